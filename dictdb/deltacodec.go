package dictdb

import (
	"fmt"
	"io"

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
			if e.buf, err = jsonv.AppendValue(e.buf, k); err != nil {
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
	dec := jsonv.NewDecoder(r)
	d := &Delta{Tables: map[string]*TableDelta{}}
	meta := Meta{}
	if err := dec.BeginObject(); err != nil {
		return nil, nil, corruptf("delta: %v", err)
	}
	for {
		key, ok, err := dec.NextKey()
		if err != nil {
			return nil, nil, corruptf("delta: %v", err)
		}
		if !ok {
			break
		}
		switch key {
		case fieldTables:
			if err := decodeDeltaTables(dec, d); err != nil {
				return nil, nil, err
			}
		case fieldDropped:
			v, err := dec.Value()
			if err != nil {
				return nil, nil, corruptf("delta %s: %v", key, err)
			}
			list, ok := v.([]any)
			if !ok && v != nil {
				return nil, nil, corruptf("delta %s: not a list", key)
			}
			for _, n := range list {
				s, ok := n.(string)
				if !ok {
					return nil, nil, corruptf("delta %s: table name %v is not a string", key, n)
				}
				d.Dropped = append(d.Dropped, s)
			}
		default:
			v, err := dec.Value()
			if err != nil {
				return nil, nil, corruptf("delta field %q: %v", key, err)
			}
			meta[key] = v
		}
	}
	if err := dec.End(); err != nil {
		return nil, nil, corruptf("delta: %v", err)
	}
	if t, _ := meta[fieldType].(string); t != "delta" {
		return nil, nil, corruptf("not a delta (type %v)", meta[fieldType])
	}
	return d, meta, nil
}

func decodeDeltaTables(dec *jsonv.Decoder, d *Delta) error {
	if err := dec.BeginObject(); err != nil {
		return corruptf("delta tables: %v", err)
	}
	for {
		name, ok, err := dec.NextKey()
		if err != nil {
			return corruptf("delta tables: %v", err)
		}
		if !ok {
			return nil
		}
		if _, dup := d.Tables[name]; dup {
			return corruptf("delta table %q appears twice", name)
		}
		td := &TableDelta{}
		if err := dec.BeginObject(); err != nil {
			return corruptf("delta table %q: %v", name, err)
		}
		for {
			key, ok, err := dec.NextKey()
			if err != nil {
				return corruptf("delta table %q: %v", name, err)
			}
			if !ok {
				break
			}
			switch key {
			case "create":
				spec := TableSpec{PrimaryKey: "id"}
				if err := dec.BeginObject(); err != nil {
					return corruptf("delta table %q create: %v", name, err)
				}
				for {
					k, ok, err := dec.NextKey()
					if err != nil {
						return corruptf("delta table %q create: %v", name, err)
					}
					if !ok {
						break
					}
					if k == "primary_key" || k == "schema" {
						if err := decodeSpecField(dec, name, k, &spec); err != nil {
							return err
						}
					} else if err := dec.Skip(); err != nil {
						return corruptf("delta table %q create: %v", name, err)
					}
				}
				td.Create = &spec
			case "upserts", "deletes":
				if err := dec.BeginArray(); err != nil {
					return corruptf("delta table %q %s: %v", name, key, err)
				}
				for i := 0; ; i++ {
					more, err := dec.NextElem()
					if err != nil {
						return corruptf("delta table %q %s: %v", name, key, err)
					}
					if !more {
						break
					}
					v, err := dec.Value()
					if err != nil {
						return corruptf("delta table %q %s %d: %v", name, key, i, err)
					}
					if key == "deletes" {
						td.Deletes = append(td.Deletes, v)
						continue
					}
					m, ok := v.(map[string]any)
					if !ok {
						return corruptf("delta table %q upsert %d: not an object", name, i)
					}
					td.Upserts = append(td.Upserts, Record(m))
				}
			default:
				if err := dec.Skip(); err != nil {
					return corruptf("delta table %q field %q: %v", name, key, err)
				}
			}
		}
		d.Tables[name] = td
	}
}
