package dictdb

import (
	"fmt"
	"io"
	"strconv"
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
	return encodeDelta(newTokenWriter(w, f), d, meta)
}

// encodeDelta writes the whole document.
func encodeDelta(w tokenWriter, d *Delta, meta Meta) error {
	if err := writeHeader(w, meta, fieldTables, fieldType, fieldDropped); err != nil {
		return err
	}
	w.key(fieldType)
	w.text("delta")
	w.key(fieldDropped)
	w.beginArray(len(d.Dropped), inline)
	for _, name := range d.Dropped {
		w.text(name)
	}
	w.endArray()
	names := d.TableNames()
	w.key(fieldTables)
	w.beginMap(len(names), perLine)
	for _, name := range names {
		if err := encodeTableDelta(w, name, d.Tables[name]); err != nil {
			return err
		}
	}
	w.endMap()
	return w.endDoc()
}

// encodeTableDelta writes the entry of table name in the delta's tables.
func encodeTableDelta(w tokenWriter, name string, td *TableDelta) error {
	if td == nil {
		td = &TableDelta{}
	}
	w.key(name)
	if td.Create != nil {
		w.beginMap(3, inline)
		w.key("create")
		w.beginMap(2, inline)
		writeSpecFields(w, *td.Create)
		w.endMap()
	} else {
		w.beginMap(2, inline)
	}
	w.key("deletes")
	w.beginArray(len(td.Deletes), inline)
	for _, k := range td.Deletes {
		if err := w.value(k, recordParents); err != nil {
			return fmt.Errorf("dictdb: encode delta table %q delete: %w", name, err)
		}
	}
	w.endArray()
	w.key("upserts")
	w.beginArray(len(td.Upserts), perLine)
	for j, r := range td.Upserts {
		if err := w.value(map[string]any(r), recordParents); err != nil {
			return fmt.Errorf("dictdb: encode delta table %q upsert %d: %w", name, j, err)
		}
		if err := w.flushIfFull(); err != nil {
			return err
		}
	}
	w.endArray()
	w.endMap()
	return nil
}

// DecodeDelta reads a delta written by EncodeDelta or by the Python DictDB.
// The input must say "type": "delta". It returns the delta and the other
// top-level fields.
func DecodeDelta(r io.Reader, f Format) (*Delta, Meta, error) {
	if err := f.Check(); err != nil {
		return nil, nil, err
	}
	dec := newTokenReader(r, f)
	d := &Delta{Tables: map[string]*TableDelta{}}
	meta := Meta{}
	err := eachTopKey(dec, "delta", func(key string) error {
		switch key {
		case fieldTables:
			return decodeTableDeltas(dec, d)
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

// decodeTableDeltas decodes the map of tables of a delta into d.
func decodeTableDeltas(dec tokenReader, d *Delta) error {
	return eachKey(dec, "delta tables", func(name string) error {
		if _, dup := d.Tables[name]; dup {
			return corruptf("delta table %q appears twice", name)
		}
		td, err := decodeTableDelta(dec, name)
		d.Tables[name] = td
		return err
	})
}

// decodeTableDelta decodes the part of a delta for table name.
func decodeTableDelta(dec tokenReader, name string) (*TableDelta, error) {
	td := &TableDelta{}
	what := "delta table " + strconv.Quote(name)
	err := eachKey(dec, what, func(key string) error {
		switch key {
		case "create":
			spec, err := decodeSpec(dec, name)
			td.Create = spec
			return err
		case "deletes":
			return eachElem(dec, what+" deletes", func(i int) error {
				v, err := dec.Value()
				if err != nil {
					return corruptf("%s deletes %d: %v", what, i, err)
				}
				td.Deletes = append(td.Deletes, v)
				return nil
			})
		case "upserts":
			return eachElem(dec, what+" upserts", func(i int) error {
				r, err := decodeUpsert(dec, what, i)
				if err == nil {
					td.Upserts = append(td.Upserts, r)
				}
				return err
			})
		}
		return skipField(dec, what, key)
	})
	return td, err
}

// decodeUpsert decodes the i-th upsert of the delta table what.
func decodeUpsert(dec tokenReader, what string, i int) (Record, error) {
	v, err := dec.Value()
	if err != nil {
		return nil, corruptf("%s %s %d: %v", what, dec.upsertNoun(), i, err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, corruptf("%s upsert %d: %s", what, i, dec.notMap(v))
	}
	return Record(m), nil
}
