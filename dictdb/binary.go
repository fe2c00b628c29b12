package dictdb

import (
	"encoding/hex"
	"fmt"
	"io"
	"sort"
	"strconv"

	"github.com/dictdb/dictdb-go/internal/cborv"
)

// This file is the FormatBinary (CBOR, RFC 8949) twin of codec.go and
// deltacodec.go. The document has the structure of the JSON one, field for
// field and in the same order:
//
//	D9 D9 F7                 tag 55799 (self-describe CBOR): the magic number
//	BF                       indefinite-length map:
//	  <meta fields>          text key -> value, keys sorted as in JSON
//	  full:  "sequence" -> int, "tables" -> map(n) {name -> map(3) {
//	             "primary_key" -> text, "schema" -> null | map(k) {field -> type name},
//	             "records" -> array(len) [record, ...] }}     (records in key order)
//	  delta: "type" -> "delta", "dropped_tables" -> array [text, ...],
//	         "tables" -> map(n) {name -> map(2|3) {["create" -> map(2) {"primary_key", "schema"}],
//	             "deletes" -> array [key, ...], "upserts" -> array [record, ...] }}
//	  ("checksum" -> bytes(32))  added by internal/object's ChecksumWriter
//	FF                       break: the end of the top-level map
//
// Every length is definite except the top-level map's, whose end the
// checksum writer moves. A record is a definite-length map with text keys
// in RFC 8949 deterministic order; values follow internal/cborv: int64 as
// CBOR integers, float64 always as doubles (0xFB), strings as text, lists
// as arrays, dicts as maps. The decoder also accepts what other CBOR
// writers produce for the same document: no tag, definite or indefinite
// lengths, shorter floats, keys in any order.

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

// binaryHeader starts a binary document: the magic number, the head of the
// top-level map and the meta fields, sorted.
func (e *encoder) binaryHeader(meta Meta, reserved ...string) error {
	e.buf = append(e.buf, BinaryMagic...)
	e.buf = append(e.buf, cborv.IndefiniteMap)
	keys, nm, err := metaFields(meta, reserved)
	if err != nil {
		return err
	}
	for _, k := range keys {
		e.buf = cborv.AppendString(e.buf, k)
		if e.buf, err = cborv.AppendValueAt(e.buf, nm[k], 1); err != nil {
			return fmt.Errorf("dictdb: meta field %q: %w", k, err)
		}
	}
	return nil
}

// binarySpec writes the two entries "primary_key" and "schema" of spec; the
// caller writes the head of the map holding them.
func (e *encoder) binarySpec(spec TableSpec) {
	e.buf = cborv.AppendString(e.buf, "primary_key")
	e.buf = cborv.AppendString(e.buf, spec.PrimaryKey)
	e.buf = cborv.AppendString(e.buf, "schema")
	if spec.Schema == nil {
		e.buf = cborv.AppendNull(e.buf)
		return
	}
	fields := make([]string, 0, len(spec.Schema))
	for f := range spec.Schema {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	e.buf = cborv.AppendMapHeader(e.buf, len(fields))
	for _, f := range fields {
		e.buf = cborv.AppendString(e.buf, f)
		e.buf = cborv.AppendString(e.buf, string(spec.Schema[f]))
	}
}

func (e *encoder) binaryRecord(r Record) error {
	var err error
	e.buf, err = cborv.AppendValueAt(e.buf, map[string]any(r), recordParents)
	return err
}

// encodeBinary is Snapshot.Encode for FormatBinary.
func (s *Snapshot) encodeBinary(w io.Writer, meta Meta) error {
	e := &encoder{w: w, buf: make([]byte, 0, flushSize+4096)}
	if err := e.binaryHeader(meta, fieldTables, fieldSeq); err != nil {
		return err
	}
	e.buf = cborv.AppendString(e.buf, fieldSeq)
	e.buf = cborv.AppendInt(e.buf, int64(s.Seq))
	e.buf = cborv.AppendString(e.buf, fieldTables)
	e.buf = cborv.AppendMapHeader(e.buf, len(s.tables))
	for _, t := range s.tables {
		e.buf = cborv.AppendString(e.buf, t.Name)
		e.buf = cborv.AppendMapHeader(e.buf, 3)
		e.binarySpec(t.Spec)
		e.buf = cborv.AppendString(e.buf, "records")
		e.buf = cborv.AppendArrayHeader(e.buf, t.tree.Len())
		var rerr error
		t.tree.Ascend(func(en entry) bool {
			if rerr = e.binaryRecord(en.r); rerr != nil {
				rerr = fmt.Errorf("dictdb: encode table %q key %s: %w", t.Name, en.k, rerr)
				return false
			}
			e.flushIfFull()
			return e.err == nil
		})
		if rerr != nil {
			return rerr
		}
		if e.err != nil {
			return e.err
		}
	}
	e.buf = append(e.buf, cborv.Break)
	e.flush()
	return e.err
}

// encodeDeltaBinary is EncodeDelta for FormatBinary.
func encodeDeltaBinary(w io.Writer, d *Delta, meta Meta) error {
	e := &encoder{w: w, buf: make([]byte, 0, flushSize+4096)}
	if err := e.binaryHeader(meta, fieldTables, fieldType, fieldDropped); err != nil {
		return err
	}
	e.buf = cborv.AppendString(e.buf, fieldType)
	e.buf = cborv.AppendString(e.buf, "delta")
	e.buf = cborv.AppendString(e.buf, fieldDropped)
	e.buf = cborv.AppendArrayHeader(e.buf, len(d.Dropped))
	for _, name := range d.Dropped {
		e.buf = cborv.AppendString(e.buf, name)
	}
	names := d.TableNames()
	e.buf = cborv.AppendString(e.buf, fieldTables)
	e.buf = cborv.AppendMapHeader(e.buf, len(names))
	for _, name := range names {
		td := d.Tables[name]
		if td == nil {
			td = &TableDelta{}
		}
		e.buf = cborv.AppendString(e.buf, name)
		if td.Create != nil {
			e.buf = cborv.AppendMapHeader(e.buf, 3)
			e.buf = cborv.AppendString(e.buf, "create")
			e.buf = cborv.AppendMapHeader(e.buf, 2)
			e.binarySpec(*td.Create)
		} else {
			e.buf = cborv.AppendMapHeader(e.buf, 2)
		}
		e.buf = cborv.AppendString(e.buf, "deletes")
		e.buf = cborv.AppendArrayHeader(e.buf, len(td.Deletes))
		for _, k := range td.Deletes {
			var err error
			if e.buf, err = cborv.AppendValueAt(e.buf, k, recordParents); err != nil {
				return fmt.Errorf("dictdb: encode delta table %q delete: %w", name, err)
			}
		}
		e.buf = cborv.AppendString(e.buf, "upserts")
		e.buf = cborv.AppendArrayHeader(e.buf, len(td.Upserts))
		for j, r := range td.Upserts {
			if err := e.binaryRecord(r); err != nil {
				return fmt.Errorf("dictdb: encode delta table %q upsert %d: %w", name, j, err)
			}
			e.flushIfFull()
			if e.err != nil {
				return e.err
			}
		}
	}
	e.buf = append(e.buf, cborv.Break)
	e.flush()
	return e.err
}

// ---- decoding ----

// binaryTop reads the top-level map of a binary document (after the
// optional self-describe tag) and calls fn with each key.
func binaryTop(d *cborv.Decoder, what string, fn func(key string) error) error {
	if _, err := d.SelfDescribe(); err != nil {
		return corruptf("%s: %v", what, err)
	}
	return binaryEachKey(d, what, fn)
}

// binaryEachKey reads the map at d's position and calls fn with each key;
// fn must consume the value. what names the map in errors.
func binaryEachKey(d *cborv.Decoder, what string, fn func(key string) error) error {
	if err := d.BeginMap(); err != nil {
		return corruptf("%s: %v", what, err)
	}
	for {
		key, ok, err := d.NextKey()
		if err != nil {
			return corruptf("%s: %v", what, err)
		}
		if !ok {
			return nil
		}
		if err := fn(key); err != nil {
			return err
		}
	}
}

// binaryEachElem reads the array at d's position and calls fn with each
// index; fn must consume the element.
func binaryEachElem(d *cborv.Decoder, what string, fn func(i int) error) error {
	if err := d.BeginArray(); err != nil {
		return corruptf("%s: %v", what, err)
	}
	for i := 0; ; i++ {
		more, err := d.NextElem()
		if err != nil {
			return corruptf("%s: %v", what, err)
		}
		if !more {
			return nil
		}
		if err := fn(i); err != nil {
			return err
		}
	}
}

// fieldChecksum is the field of the checksum trailer that backup objects
// end with (see internal/object); in a binary document its value is the raw
// SHA-256 digest, a byte string.
const fieldChecksum = "checksum"

// binaryMetaField stores a top-level field other than the tables. A
// checksum digest (a byte string, outside the data model) is stored as the
// JSON format's "sha256:<hex>" text, so that Meta is the same in both
// formats.
func binaryMetaField(d *cborv.Decoder, meta Meta, key string) error {
	if key == fieldChecksum {
		if c, err := d.Peek(); err == nil && c>>5 == cborv.MajorBytes {
			sum, err := d.Bytes()
			if err != nil {
				return corruptf("field %q: %v", key, err)
			}
			if len(sum) != 32 {
				return corruptf("field %q: a SHA-256 digest has 32 bytes, not %d", key, len(sum))
			}
			meta[key] = "sha256:" + hex.EncodeToString(sum)
			return nil
		}
	}
	v, err := d.Value()
	if err != nil {
		return corruptf("field %q: %v", key, err)
	}
	meta[key] = v
	return nil
}

// binarySkip consumes the value of a field the decoder does not use,
// checking it as Value would.
func binarySkip(d *cborv.Decoder, what, key string) error {
	if err := d.Skip(); err != nil {
		return corruptf("%s: field %q: %v", what, key, err)
	}
	return nil
}

// setSpecField sets "primary_key" or "schema" of spec from its decoded
// value v, with the checks of decodeSpecField.
func setSpecField(table, key string, v any, spec *TableSpec) error {
	if key == "primary_key" {
		switch pk := v.(type) {
		case nil:
		case string:
			spec.PrimaryKey = pk
		default:
			return corruptf("table %q: primary_key must be a string", table)
		}
		return nil
	}
	if v == nil {
		spec.Schema = nil
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return corruptf("table %q: schema must be an object or null", table)
	}
	spec.Schema = make(Schema, len(m))
	for f, tv := range m {
		ts, ok := tv.(string)
		if !ok {
			return corruptf("table %q: schema field %q: type must be a string", table, f)
		}
		spec.Schema[f] = Type(ts)
	}
	return nil
}

func binarySpecField(d *cborv.Decoder, table, key string, spec *TableSpec) error {
	v, err := d.Value()
	if err != nil {
		return corruptf("table %q: %s: %v", table, key, err)
	}
	return setSpecField(table, key, v, spec)
}

// binarySpec decodes {"primary_key": ..., "schema": ...}.
func binaryDecodeSpec(d *cborv.Decoder, table string) (*TableSpec, error) {
	spec := &TableSpec{PrimaryKey: "id"}
	err := binaryEachKey(d, "table "+strconv.Quote(table)+" spec", func(key string) error {
		if key == "primary_key" || key == "schema" {
			return binarySpecField(d, table, key, spec)
		}
		return binarySkip(d, "table "+strconv.Quote(table)+" spec", key)
	})
	return spec, err
}

// binaryRecordValue decodes the next data item, which must be a record (a
// map).
func binaryRecordValue(d *cborv.Decoder) (Record, error) {
	v, err := d.Value()
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("not a map (found %s)", typeName(v))
	}
	return Record(m), nil
}

// binaryDecodeTable is decodeTable for FormatBinary. Our writer (like the
// Python one) puts the spec first, and records are checked against it as
// they come. Generic CBOR writers may sort the keys, as RFC 8949's
// deterministic encoding does: "records" before "primary_key". Records
// that come before both spec fields are held until the end of the table
// and loaded then; a spec field repeated after the records makes them be
// checked again against the final spec.
func binaryDecodeTable(d *cborv.Decoder, db *DB, name string) (*Table, error) {
	spec := TableSpec{PrimaryKey: "id"}
	var t *Table      // records streamed in with the spec known then
	var held []Record // records that came before the spec
	sawRecords := false
	sawPK, sawSchema := false, false
	rebuild := false
	what := "table " + strconv.Quote(name)
	err := binaryEachKey(d, what, func(key string) error {
		switch key {
		case "primary_key", "schema":
			rebuild = rebuild || t != nil
			sawPK = sawPK || key == "primary_key"
			sawSchema = sawSchema || key == "schema"
			return binarySpecField(d, name, key, &spec)
		case "records":
			if sawRecords {
				return corruptf("table %q: two record lists", name)
			}
			sawRecords = true
			if !sawPK || !sawSchema || validateSpec(name, spec) != nil {
				return binaryEachElem(d, what+" records", func(i int) error {
					r, err := binaryRecordValue(d)
					if err != nil {
						return corruptf("table %q record %d: %v", name, i, err)
					}
					held = append(held, r)
					return nil
				})
			}
			t = newTable(db, name, spec)
			return binaryEachElem(d, what+" records", func(i int) error {
				r, err := binaryRecordValue(d)
				if err != nil {
					return corruptf("table %q record %d: %v", name, i, err)
				}
				return t.loadRecord(r, i)
			})
		}
		return binarySkip(d, what, key)
	})
	if err != nil {
		return nil, err
	}
	if err := validateSpec(name, spec); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if t != nil && !rebuild {
		return t, nil
	}
	final := newTable(db, name, spec)
	for i, r := range held {
		if err := final.loadRecord(r, i); err != nil {
			return nil, err
		}
	}
	if t != nil {
		i := 0
		t.tree.Ascend(func(e entry) bool {
			err = final.loadRecord(e.r, i)
			i++
			return err == nil
		})
	}
	return final, err
}

// loadMetaBinary is LoadMeta for FormatBinary.
func loadMetaBinary(r io.Reader) (*DB, Meta, error) {
	d := cborv.NewDecoder(r)
	db := New()
	meta := Meta{}
	sawTables := false
	err := binaryTop(d, "database", func(key string) error {
		if key != fieldTables {
			return binaryMetaField(d, meta, key)
		}
		if t, _ := meta[fieldType].(string); t == "delta" {
			return corruptf("this is a delta, not a full database")
		}
		sawTables = true
		return binaryEachKey(d, fieldTables, func(name string) error {
			if _, dup := db.tables[name]; dup {
				return corruptf("table %q appears twice", name)
			}
			if err := validTableName(name); err != nil {
				return corruptf("%v", err)
			}
			t, err := binaryDecodeTable(d, db, name)
			db.tables[name] = t
			return err
		})
	})
	if err == nil {
		err = d.End()
	}
	switch {
	case err != nil:
		return nil, nil, asCorrupt(err)
	case !sawTables:
		return nil, nil, corruptf("no %q field", fieldTables)
	}
	if t, _ := meta[fieldType].(string); t == "delta" {
		return nil, nil, corruptf("this is a delta, not a full database")
	}
	if v, ok := meta[fieldSeq]; ok {
		seq, isInt := v.(int64)
		if !isInt || seq < 0 {
			return nil, nil, corruptf("field %q must be a non-negative integer, got %v", fieldSeq, v)
		}
		db.seq = uint64(seq)
	}
	return db, meta, nil
}

// decodeDeltaBinary is DecodeDelta for FormatBinary.
func decodeDeltaBinary(r io.Reader) (*Delta, Meta, error) {
	dec := cborv.NewDecoder(r)
	d := &Delta{Tables: map[string]*TableDelta{}}
	meta := Meta{}
	err := binaryTop(dec, "delta", func(key string) error {
		switch key {
		case fieldTables:
			return binaryEachKey(dec, "delta tables", func(name string) error {
				if _, dup := d.Tables[name]; dup {
					return corruptf("delta table %q appears twice", name)
				}
				td, err := binaryDecodeTableDelta(dec, name)
				d.Tables[name] = td
				return err
			})
		case fieldDropped:
			return binaryEachElem(dec, "delta "+fieldDropped, func(int) error {
				name, err := dec.String()
				if err != nil {
					return corruptf("delta %s: %v", fieldDropped, err)
				}
				d.Dropped = append(d.Dropped, name)
				return nil
			})
		}
		return binaryMetaField(dec, meta, key)
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

func binaryDecodeTableDelta(dec *cborv.Decoder, name string) (*TableDelta, error) {
	td := &TableDelta{}
	what := "delta table " + strconv.Quote(name)
	err := binaryEachKey(dec, what, func(key string) error {
		switch key {
		case "create":
			spec, err := binaryDecodeSpec(dec, name)
			td.Create = spec
			return err
		case "deletes":
			return binaryEachElem(dec, what+" deletes", func(i int) error {
				v, err := dec.Value()
				if err != nil {
					return corruptf("%s deletes %d: %v", what, i, err)
				}
				td.Deletes = append(td.Deletes, v)
				return nil
			})
		case "upserts":
			return binaryEachElem(dec, what+" upserts", func(i int) error {
				r, err := binaryRecordValue(dec)
				if err != nil {
					return corruptf("%s upsert %d: %v", what, i, err)
				}
				td.Upserts = append(td.Upserts, r)
				return nil
			})
		}
		return binarySkip(dec, what, key)
	})
	return td, err
}
