// Package restore rebuilds a dictdb database from the backups a
// backup.Manager wrote to a sink: the newest full backup plus every later
// delta of its chain, checked for gaps, in order.
//
// Restore never returns a partial database: a missing delta, a delta of the
// wrong chain or an unreadable object is an error that names the object.
//
//	store, _ := local.New("./backups")
//	db, err := restore.Latest(ctx, store)
package restore
