// Package restore rebuilds a dictdb database from the backups a
// backup.Manager wrote to a sink, to the latest state or to a point in time,
// and verifies the backups.
//
//	store, _ := local.New("./backups")
//	db, err := restore.Latest(ctx, store)             // newest full backup + its chain's deltas
//	db, err = restore.ToTime(ctx, store, yesterday)   // the last backup point at or before a time
//	points, err := restore.List(ctx, store)           // restorable points, from headers only
//	report, err := restore.Verify(ctx, store)         // every problem, each naming its object
//
// Restore is strict. It returns a state only when every backup object from
// the chosen full backup onwards, in name order, is accounted for: a delta
// of that full backup's chain that continues the state before it and reads
// cleanly, checksum included. Otherwise (a missing delta, a damaged object,
// a delta of another chain, an orphan, a full backup copied under another
// name) it fails with an *UnaccountedError that names every object that
// does not fit and the newest point that still restores exactly, which the
// caller may then restore on purpose. It never returns a partial database,
// nor an older state in silence.
//
// Objects are grouped into chains: a full backup and the deltas that name
// it as their base, each delta covering the sequence range that follows the
// previous one, or rewriting it from an earlier point when the same writer
// wrote every delta since (after a Put that failed but stored its object).
// Python-written backups, which carry no chain information, restore too:
// their deltas apply in name order after the Python-written full backup
// before them.
//
// # Errors
//
// Every error about stored bytes (a decoder's, a checksum's, ApplyDelta's,
// a chain check's) matches ErrCorrupt, which is dictdb.ErrCorrupt. Errors
// that are not about the bytes never do: a cancelled or timed-out context
// (context.Canceled, context.DeadlineExceeded), a failing sink, a missing
// identity (ErrNoKey).
package restore
