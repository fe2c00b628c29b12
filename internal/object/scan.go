package object

import (
	"errors"
	"fmt"
	"io"

	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/internal/jsonv"
)

// ErrTruncated reports an object that ends early.
var ErrTruncated = errors.New("truncated")

// ReadHeader reads the header of the object of the given kind from r: the
// top-level fields before "tables", which come first in every object this
// project writes. It reads no further, so listing never downloads payloads.
// Objects without those fields first (Python-written ones) give a legacy
// header.
func ReadHeader(kind string, r io.Reader) (Header, error) {
	return scan(kind, r, false)
}

// Scan reads the whole object from r, checking that it is well-formed JSON
// without building its records, and returns its header. Wrap r in a
// VerifyingReader to check the checksum too.
func Scan(kind string, r io.Reader) (Header, error) {
	return scan(kind, r, true)
}

func scan(kind string, r io.Reader, whole bool) (Header, error) {
	d := jsonv.NewDecoder(r)
	meta := dictdb.Meta{}
	fail := func(err error) (Header, error) {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return Header{}, fmt.Errorf("%w: %v", ErrTruncated, err)
		}
		return Header{}, err
	}
	if err := d.BeginObject(); err != nil {
		return fail(err)
	}
	for {
		key, ok, err := d.NextKey()
		if err != nil {
			return fail(err)
		}
		if !ok {
			break
		}
		if key == "tables" && !whole {
			return FromMeta(kind, meta)
		}
		if key == "tables" || key == "dropped_tables" {
			if err := d.Skip(); err != nil {
				return fail(err)
			}
			continue
		}
		v, err := d.Value()
		if err != nil {
			return fail(err)
		}
		meta[key] = v
	}
	if err := d.End(); err != nil {
		return fail(err)
	}
	return FromMeta(kind, meta)
}
