package dictdb

import (
	"fmt"
	"io"
	"strconv"

	"github.com/dictdb/dictdb-go/internal/jsonv"
)

// EncodeDelta writes d to w in format f. In JSON it is the Python DictDB's
// delta structure:
//
//	{"type": "delta", "timestamp": ..., "tables": {"<name>": {"upserts": [...], "deletes": [...]}}}
//
// plus "create" inside a table that was (re)created and a top-level
// "dropped_tables" list; the Python apply_delta ignores both. meta adds
// top-level fields; "type" is always "delta".
func EncodeDelta(w io.Writer, f Format, d *Delta, meta Meta) error {
	if err := f.Check(); err != nil {
		return err
	}
	if f == FormatBinary {
		return encodeDeltaBinary(w, d, meta)
	}
	e := &encoder{w: w, buf: make([]byte, 0, flushSize+4096)}
	if err := e.header(meta, fieldTables, fieldType, fieldDropped); err != nil {
		return err
	}
	e.buf = append(e.buf, `"type": "delta", "dropped_tables": [`...)
	for i, name := range d.Dropped {
		if i > 0 {
			e.buf = append(e.buf, ", "...)
		}
		e.buf = jsonv.AppendString(e.buf, name)
	}
	e.buf = append(e.buf, `], "tables": {`...)
	for i, name := range d.TableNames() {
		td := d.Tables[name]
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.buf = append(e.buf, '\n')
		e.buf = jsonv.AppendString(e.buf, name)
		e.buf = append(e.buf, ": {"...)
		if td.Create != nil {
			e.buf = append(e.buf, `"create": `...)
			e.spec(*td.Create)
			e.buf = append(e.buf, "}, "...)
		}
		e.buf = append(e.buf, `"deletes": [`...)
		for j, k := range td.Deletes {
			if j > 0 {
				e.buf = append(e.buf, ", "...)
			}
			var err error
			if e.buf, err = jsonv.AppendValueAt(e.buf, k, recordParents); err != nil {
				return fmt.Errorf("dictdb: encode delta table %q delete: %w", name, err)
			}
		}
		e.buf = append(e.buf, `], "upserts": [`...)
		for j, r := range td.Upserts {
			if j > 0 {
				e.buf = append(e.buf, ',')
			}
			e.buf = append(e.buf, '\n')
			if err := e.record(r); err != nil {
				return fmt.Errorf("dictdb: encode delta table %q upsert %d: %w", name, j, err)
			}
			e.flushIfFull()
			if e.err != nil {
				return e.err
			}
		}
		e.buf = append(e.buf, "]}"...)
	}
	e.buf = append(e.buf, "}}\n"...)
	e.flush()
	return e.err
}

// DecodeDelta reads a delta written by EncodeDelta or by the Python DictDB.
// The input must say "type": "delta". It returns the delta and the other
// top-level fields.
func DecodeDelta(r io.Reader, f Format) (*Delta, Meta, error) {
	if err := f.Check(); err != nil {
		return nil, nil, err
	}
	if f == FormatBinary {
		return decodeDeltaBinary(r)
	}
	dec := jsonv.NewDecoder(r)
	d := &Delta{Tables: map[string]*TableDelta{}}
	meta := Meta{}
	err := eachKey(dec, "delta", func(key string) error {
		switch key {
		case fieldTables:
			return eachKey(dec, "delta tables", func(name string) error {
				if _, dup := d.Tables[name]; dup {
					return corruptf("delta table %q appears twice", name)
				}
				td, err := decodeTableDelta(dec, name)
				d.Tables[name] = td
				return err
			})
		case fieldDropped:
			return eachElem(dec, "delta "+fieldDropped, func(int) error {
				name, err := dec.String()
				if err != nil {
					return corruptf("delta %s: %v", fieldDropped, err)
				}
				d.Dropped = append(d.Dropped, name)
				return nil
			})
		}
		return decodeMetaField(dec, meta, key)
	})
	if err == nil {
		err = dec.End()
	}
	if err != nil {
		return nil, nil, asCorrupt(err)
	}
	if t, _ := meta[fieldType].(string); t != "delta" {
		return nil, nil, corruptf("not a delta (type %v)", meta[fieldType])
	}
	return d, meta, nil
}

func decodeTableDelta(dec *jsonv.Decoder, name string) (*TableDelta, error) {
	td := &TableDelta{}
	what := "delta table " + strconv.Quote(name)
	err := eachKey(dec, what, func(key string) error {
		switch key {
		case "create":
			spec, err := decodeSpec(dec, name)
			td.Create = spec
			return err
		case "upserts", "deletes":
			return eachElem(dec, what+" "+key, func(i int) error {
				v, err := dec.Value()
				if err != nil {
					return corruptf("%s %s %d: %v", what, key, i, err)
				}
				if key == "deletes" {
					td.Deletes = append(td.Deletes, v)
					return nil
				}
				m, ok := v.(map[string]any)
				if !ok {
					return corruptf("%s upsert %d: not an object", what, i)
				}
				td.Upserts = append(td.Upserts, Record(m))
				return nil
			})
		}
		return dec.Skip()
	})
	return td, err
}
