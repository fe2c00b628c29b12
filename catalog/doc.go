// Package catalog is the object model every reader of a sink shares:
// backup, retention, restore and the dictdb-backup CLI, and any tool like
// it. It names backup objects, reads their headers, groups them into
// chains and points, opens them (decrypting, decompressing and checking
// their checksums as they stream), and says when a restore would not be
// exact.
//
//	c, err := catalog.Read(ctx, store, catalog.Options{})   // one LIST, no header read yet
//	err = c.ReadHeaders(ctx)                                 // one small GET per object
//	for _, p := range c.Points() { fmt.Println(p.Key, p.Seq) }
//	plan, err := c.Plan(ctx, catalog.Latest())               // what a restore reads, or why it cannot
//
// # Names
//
// Objects are named dictdb_backup_<sec>_<usec>.<ext> (full backups) and
// dictdb_delta_<sec>_<usec>.<ext> (deltas), as the Python DictDB names
// them; <sec>_<usec> is the time of writing in microseconds, unique per
// writer, so name order is time order. The extension records the format,
// the compression and the encryption (.json, .cbor.zst, .json.gz.age).
//
// # Headers
//
// Every object this project writes starts with a header, top-level fields
// the Python loader ignores: format version, kind, codec, storage, chain,
// writer, the full backup a delta builds on, its sequence range and the
// time of writing. The header must agree with the name; an object copied
// under another name does not. Python-written objects have no header: they
// are legacy objects, placed by name alone.
//
// # Strictness
//
// A restore to a target (Latest, AtTime, AtSeq) chooses the newest full
// backup at or before it and must account for every object from there on,
// in name order: each must be a delta of that full backup's chain that
// continues the state before it. Anything else (a damaged object, a delta
// of another chain, an orphan, a gap) makes Plan fail with an
// *UnaccountedError naming each such object and the newest point that
// restores exactly. A delta may start before the state it applies to only
// when it rewrites, from an earlier point, the deltas one writer wrote
// since: what a writer does after a Put that failed but stored its object.
//
// # Errors
//
// Errors about stored bytes match ErrCorrupt, which is dictdb.ErrCorrupt.
// Errors that are not about them never do: the end of a context, a failing
// sink, a missing identity (ErrNoKey).
package catalog
