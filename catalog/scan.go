package catalog

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/internal/cborv"
	"github.com/dictdb/dictdb-go/internal/jsonv"
)

// DecodeHeader reads the header of an object of the given kind from its
// content r (decrypted and decompressed): the top-level fields before
// "tables", which come first in every object this project writes. It reads
// no further, so listing never downloads payloads. Objects without those
// fields first (Python-written ones) give a legacy header. JSON and CBOR
// (FormatBinary) objects are told apart by their first bytes.
func DecodeHeader(kind Kind, r io.Reader) (Header, error) {
	return scan(kind, r, false)
}

// Scan reads the whole content of an object from r, checking that it is
// well-formed JSON or CBOR without building its records, and returns its
// header. Read r from Open to check the checksum too. An object that ends
// early gives an error matching ErrTruncated.
func Scan(kind Kind, r io.Reader) (Header, error) {
	return scan(kind, r, true)
}

// scanner is the part of a streaming decoder that scan uses; jsonv and
// cborv decoders both have it.
type scanner interface {
	NextKey() (string, bool, error)
	Value() (any, error)
	Skip() error
	End() error
}

func scan(kind Kind, r io.Reader, whole bool) (Header, error) {
	fail := func(err error) (Header, error) {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return Header{}, fmt.Errorf("%w: %v", ErrTruncated, err)
		}
		return Header{}, err
	}
	// A small bufio.Reader only to peek at the magic number: once it is
	// empty, the decoder's large reads go straight to r.
	br := bufio.NewReaderSize(r, 16)
	var d scanner
	var cd *cborv.Decoder
	if prefix, _ := br.Peek(len(dictdb.BinaryMagic)); string(prefix) == dictdb.BinaryMagic {
		cd = cborv.NewDecoder(br)
		if _, err := cd.SelfDescribe(); err != nil {
			return fail(err)
		}
		if err := cd.BeginMap(); err != nil {
			return fail(err)
		}
		d = cd
	} else {
		jd := jsonv.NewDecoder(br)
		if err := jd.BeginObject(); err != nil {
			return fail(err)
		}
		d = jd
	}
	meta := dictdb.Meta{}
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
		if key == "checksum" && cd != nil {
			if c, err := cd.Peek(); err == nil && c>>5 == cborv.MajorBytes {
				// The raw digest of the CBOR trailer, read as in dictdb.
				sum, err := cd.Bytes()
				if err != nil {
					return fail(err)
				}
				meta[key] = "sha256:" + hex.EncodeToString(sum)
				continue
			}
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

// bufferedReader buffers r for a decoder's small reads.
func bufferedReader(r io.Reader) *bufio.Reader { return bufio.NewReaderSize(r, 64<<10) }

func isTruncated(err error) bool { return errors.Is(err, ErrTruncated) }
