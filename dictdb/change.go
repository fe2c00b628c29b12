package dictdb

// Op is the kind of a Change.
type Op uint8

// The change operations.
const (
	OpInsert      Op = iota + 1 // a new record
	OpUpsert                    // a record inserted or replaced by Upsert or ApplyDelta
	OpUpdate                    // a record changed by Update
	OpDelete                    // a record removed
	OpCreateTable               // a table created (Spec is set)
	OpDropTable                 // a table dropped
)

var opNames = [...]string{"", "insert", "upsert", "update", "delete", "create_table", "drop_table"}

func (o Op) String() string {
	if int(o) < len(opNames) && o != 0 {
		return opNames[o]
	}
	return "op(?)"
}

// Change is one effect of a committed write.
type Change struct {
	Op    Op
	Table string
	// Key is the primary key (int64 or string) of the record; nil for table
	// operations.
	Key any
	// Record is the record as stored after an insert, upsert or update. It is
	// shared with the database: read it, never modify it (use Record.Clone).
	Record Record
	// Spec is the new table's primary key and schema, for OpCreateTable.
	Spec *TableSpec
}

// ChangeSet is everything one committed write did. Every change set has its
// own sequence number, one more than the previous one of the same DB.
type ChangeSet struct {
	Seq     uint64
	Changes []Change
}

// TableSpec is a table's primary key field and optional schema.
type TableSpec struct {
	PrimaryKey string
	Schema     Schema // nil: any fields
}
