package dictdb

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error the package returns for one of these conditions
// matches the sentinel through errors.Is.
var (
	// ErrTableNotFound: the table does not exist (or was dropped).
	ErrTableNotFound = errors.New("dictdb: table not found")
	// ErrTableExists: CreateTable was called with the name of an existing table.
	ErrTableExists = errors.New("dictdb: table already exists")
	// ErrDuplicateKey: a write would give two records the same primary key.
	ErrDuplicateKey = errors.New("dictdb: duplicate primary key")
	// ErrNotFound: no record has the given primary key.
	ErrNotFound = errors.New("dictdb: record not found")
	// ErrSchema: a record or a schema does not follow the rules; see SchemaError.
	ErrSchema = errors.New("dictdb: schema violation")
	// ErrInvalidValue: a value cannot be stored because it does not round-trip
	// through JSON; see ValueError.
	ErrInvalidValue = errors.New("dictdb: invalid value")
	// ErrUnknownFormat: the Format is not one this package can read or write.
	ErrUnknownFormat = errors.New("dictdb: unknown format")
	// ErrCorrupt: serialized data (a saved database or a delta) is malformed.
	ErrCorrupt = errors.New("dictdb: corrupt data")
)

// SchemaError describes a schema violation. It matches ErrSchema.
type SchemaError struct {
	Table  string // table name, if known
	Field  string // the offending field
	Reason string // what is wrong
}

func (e *SchemaError) Error() string {
	if e.Table != "" {
		return fmt.Sprintf("dictdb: table %q: field %q: %s", e.Table, e.Field, e.Reason)
	}
	return fmt.Sprintf("dictdb: field %q: %s", e.Field, e.Reason)
}

// Is reports whether target is ErrSchema.
func (e *SchemaError) Is(target error) bool { return target == ErrSchema }

// ValueError describes a value that cannot be stored. It matches ErrInvalidValue.
type ValueError struct {
	Field  string // path of the offending value, e.g. "tags[2]" or "address.city"
	Reason string
}

func (e *ValueError) Error() string {
	return fmt.Sprintf("dictdb: field %q: %s", e.Field, e.Reason)
}

// Is reports whether target is ErrInvalidValue.
func (e *ValueError) Is(target error) bool { return target == ErrInvalidValue }

// corruptf returns an error matching ErrCorrupt.
func corruptf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}
