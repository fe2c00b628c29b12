package dictdb

import (
	"fmt"

	"github.com/dictdb/dictdb-go/internal/cborv"
)

// Format names a serialization of a whole database or of a delta. It is an
// open set: new formats are added as new constants, and each stored object
// records its format so readers never guess.
type Format string

// FormatJSON is the Python DictDB's JSON format:
//
//	{"tables": {"<name>": {"primary_key": "id", "schema": {...} | null, "records": [...]}}}
//
// with extra top-level fields (sequence, backup metadata) that the Python
// loader ignores.
const FormatJSON Format = "json"

// FormatBinary is a compact binary twin of FormatJSON: the same document in
// standard CBOR (RFC 8949), which any CBOR library reads. It starts with the
// self-describe tag 55799 (BinaryMagic), integers stay integers and floats
// are always doubles; binary.go describes the layout.
const FormatBinary Format = "cbor"

// Formats lists the formats this build reads and writes.
func Formats() []Format { return []Format{FormatJSON, FormatBinary} }

// Ext returns the file extension of the format, with the dot (".json").
func (f Format) Ext() string { return "." + string(f) }

// Check returns an error matching ErrUnknownFormat if f is not supported.
func (f Format) Check() error {
	for _, g := range Formats() {
		if f == g {
			return nil
		}
	}
	return fmt.Errorf("%w %q (supported: %v)", ErrUnknownFormat, string(f), Formats())
}

// BinaryMagic is how every FormatBinary document starts: the encoding of the
// CBOR self-describe tag 55799 (D9 D9 F7).
const BinaryMagic = cborv.SelfDescribe

// DetectFormat reports the format of a serialized database or delta from
// its first bytes: FormatBinary if prefix starts with BinaryMagic, FormatJSON
// if the first byte after any JSON whitespace is '{'. Give it at least the
// first three bytes after any whitespace (fewer only if the input is
// shorter); ok is false if the format is not recognised.
func DetectFormat(prefix []byte) (f Format, ok bool) {
	if len(prefix) >= len(BinaryMagic) && string(prefix[:len(BinaryMagic)]) == BinaryMagic {
		return FormatBinary, true
	}
	for _, c := range prefix {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{':
			return FormatJSON, true
		}
		break
	}
	return "", false
}

// Meta holds the top-level fields of a serialized database or delta other
// than its tables: the sequence number and whatever metadata the writer added
// (backup headers). Values follow the JSON data model.
type Meta map[string]any

// Reserved top-level field names.
const (
	fieldTables  = "tables"
	fieldSeq     = "sequence"
	fieldDropped = "dropped_tables"
	fieldType    = "type"
)

// fieldChecksum is the field of the checksum trailer that backup objects
// end with (see internal/object); in a binary document its value is the raw
// SHA-256 digest, a byte string.
const fieldChecksum = "checksum"
