// Package restore rebuilds a dictdb database from the backups a
// backup.Manager wrote to a sink, to the latest state or to a point in time,
// and verifies the backups.
//
// Restore never returns a partial database: a missing delta, a delta of
// another chain, a checksum mismatch or an unreadable object is an error
// that names the object.
//
//	store, _ := local.New("./backups")
//	db, err := restore.Latest(ctx, store)             // newest full backup + its chain's deltas
//	db, err = restore.ToTime(ctx, store, yesterday)   // the last backup point at or before a time
//	points, err := restore.List(ctx, store)           // restorable points, from headers only
//	report, err := restore.Verify(ctx, store)         // every problem, each naming its object
//
// Objects are grouped into chains: a full backup and the deltas that name
// it as their base, each delta covering the sequence range that follows the
// previous one. Python-written backups, which carry no chain information,
// restore too: their deltas apply in name order after the newest
// Python-written full backup before them.
package restore
