// Package backup turns the change sets of a dictdb database into full
// backups and incremental deltas in a sink: periodically, after
// NotifyChange, or on demand. It is the Go successor of the Python DictDB's
// BackupManager, with the same options and defaults.
//
// A Manager follows every committed write from the moment it is created. In
// incremental mode the first backup of a chain is a full one; each later
// BackupNow writes a delta holding exactly the changes since the previous
// backup, coalesced per key (the last write wins; an insert then a delete is
// a delete), until MaxDeltasBeforeFull deltas follow the full backup and the
// next backup is full again. A delta that fails to be written keeps its
// changes pending for the next one; a full backup at sequence S retires the
// pending changes up to S. Failures are returned and also reported to
// Options.OnFailure with the count of consecutive failures.
//
// # Objects
//
// Full backups are named dictdb_backup_<sec>_<usec>.<ext> and deltas
// dictdb_delta_<sec>_<usec>.<ext>, with microsecond timestamps that strictly
// increase (also within one microsecond, and after the newest name already in
// the sink). Each object carries a header: format version, codec, chain id,
// the sequence range it covers and, for a delta, the full backup it builds
// on. The JSON objects stay readable by the Python DictDB.
//
// Full backups are encoded from a dictdb.Snapshot straight into the sink's
// writer: the database is not locked while it is encoded, and no whole-file
// buffer is held in memory. Every object ends with a SHA-256 checksum of its
// content, computed while it streams.
//
// # Compression and encryption
//
// Options.Compression stores objects zstd- or gzip-compressed, and
// Options.Encryption encrypts them with age (filippo.io/age) before they
// reach the sink: X25519 recipients, or a passphrase (EncryptWithPassphrase).
// The encoding is recorded in the name (dictdb_backup_<sec>_<usec>.json.zst.age)
// and in the header inside, so a reader never guesses. The defaults are
// neither: uncompressed JSON objects stay readable by the Python DictDB.
// Restore opens encrypted objects with restore.WithIdentities; without the
// key it fails with an error naming the object. Zstd is the better choice
// for speed and size; gzip is there for tools that know nothing else.
//
// # Observing
//
// Stats returns counters and the last backup's kind, key, size and
// duration. Options.Logger receives a log/slog record per backup, and
// Options.OnBackup an Event; package backup/metrics turns those into
// Prometheus metrics.
//
// # Retention
//
// Prune deletes the backup points a Retention policy does not keep, and no
// object a kept point needs. Options.Retention applies it after every full
// backup.
//
// # One writer per sink prefix
//
// Before each backup the Manager lists the sink. The first time, it makes
// its names sort after every existing object and, if the database was
// restored from the newest point of a chain there (dictdb.DB.Lineage),
// continues that chain. Later, an object it did not write means another
// writer on the same prefix: the backup fails with ErrOtherWriter. This
// works the same on local disk and object stores. Chains never mix in any
// case, since every delta names its chain and full backup.
package backup
