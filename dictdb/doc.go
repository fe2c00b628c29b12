// Package dictdb is an embedded, in-memory table database whose every
// committed write is numbered and published as a change set, so that a
// backup manager (package backup) can turn the changes into full backups and
// incremental deltas.
//
// Records are maps of field to value in the JSON data model (nil, bool,
// int64, float64, string, []any, map[string]any). They are copied in and
// out: a caller never holds a map the database uses. Values that a backup
// could not restore (NaN, infinities, channels, funcs, structs, strings and
// field names that are not valid UTF-8, lists and dicts nested deeper than
// MaxValueDepth) are refused at insert time with an error naming the field,
// never discovered at backup time.
//
// A table has a primary key field (default "id"). Integer keys are assigned
// by auto-increment when a record has none; the counter always stays above
// every existing integer key, also after Load or a restore. A table may have
// a Schema, which fixes its fields and their types.
//
// Every write (Insert, Upsert, Update, Delete, DeleteKey, CreateTable,
// DropTable, ApplyDelta) is atomic: it applies completely or, on error, not
// at all. A write that changes nothing (an Update or Delete matching no
// record) commits nothing.
//
// Snapshot returns a consistent view of all tables at one sequence number at
// the cost of copying table pointers: record trees are shared copy-on-write,
// so encoding a large snapshot never blocks writers.
//
// Save and Load use the Python DictDB's JSON format, so files move between
// the two implementations in both directions.
package dictdb
