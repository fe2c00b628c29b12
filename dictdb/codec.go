package dictdb

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"

	"github.com/dictdb/dictdb-go/internal/jsonv"
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

// flushSize is how much encoded output is gathered before a Write.
const flushSize = 64 << 10

type encoder struct {
	w   io.Writer
	buf []byte
	err error
}

func (e *encoder) flushIfFull() {
	if len(e.buf) >= flushSize {
		e.flush()
	}
}

func (e *encoder) flush() {
	if e.err == nil && len(e.buf) > 0 {
		_, e.err = e.w.Write(e.buf)
	}
	e.buf = e.buf[:0]
}

// header writes "{" and the meta fields, sorted, each followed by a comma.
func (e *encoder) header(meta Meta, reserved ...string) error {
	e.buf = append(e.buf, '{')
	keys, nm, err := metaFields(meta, reserved)
	if err != nil {
		return err
	}
	for _, k := range keys {
		e.buf = jsonv.AppendString(e.buf, k)
		e.buf = append(e.buf, ": "...)
		if e.buf, err = jsonv.AppendValueAt(e.buf, nm[k], 1); err != nil {
			return fmt.Errorf("dictdb: meta field %q: %w", k, err)
		}
		e.buf = append(e.buf, ", "...)
	}
	return nil
}

// metaFields checks the meta fields of a document (none may be named as a
// reserved field) and returns their names, sorted, and their values
// normalized.
func metaFields(meta Meta, reserved []string) ([]string, map[string]any, error) {
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if slices.Contains(reserved, k) {
			return nil, nil, fmt.Errorf("dictdb: meta field %q is reserved", k)
		}
	}
	nm, perr := normalizeFields(meta, metaValueDepth)
	if perr != nil {
		return nil, nil, fmt.Errorf("dictdb: meta: %w", perr.valueError())
	}
	return keys, nm, nil
}

func (e *encoder) spec(spec TableSpec) {
	e.buf = append(e.buf, `{"primary_key": `...)
	e.buf = jsonv.AppendString(e.buf, spec.PrimaryKey)
	e.buf = append(e.buf, `, "schema": `...)
	if spec.Schema == nil {
		e.buf = append(e.buf, "null"...)
	} else {
		fields := make([]string, 0, len(spec.Schema))
		for f := range spec.Schema {
			fields = append(fields, f)
		}
		sort.Strings(fields)
		e.buf = append(e.buf, '{')
		for i, f := range fields {
			if i > 0 {
				e.buf = append(e.buf, ", "...)
			}
			e.buf = jsonv.AppendString(e.buf, f)
			e.buf = append(e.buf, ": "...)
			e.buf = jsonv.AppendString(e.buf, string(spec.Schema[f]))
		}
		e.buf = append(e.buf, '}')
	}
}

func (e *encoder) record(r Record) error {
	var err error
	e.buf, err = jsonv.AppendValueAt(e.buf, map[string]any(r), recordParents)
	return err
}

// Encode writes the snapshot to w in format f, streaming table by table: no
// more than a small buffer is held in memory. meta adds top-level fields
// (they may not be named "tables" or "sequence"); the snapshot's sequence
// number is always written as "sequence".
func (s *Snapshot) Encode(w io.Writer, f Format, meta Meta) error {
	if err := f.Check(); err != nil {
		return err
	}
	if f == FormatBinary {
		return s.encodeBinary(w, meta)
	}
	e := &encoder{w: w, buf: make([]byte, 0, flushSize+4096)}
	if err := e.header(meta, fieldTables, fieldSeq); err != nil {
		return err
	}
	e.buf = append(e.buf, `"sequence": `...)
	e.buf = jsonv.AppendInt(e.buf, int64(s.Seq))
	e.buf = append(e.buf, `, "tables": {`...)
	for i, t := range s.tables {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.buf = append(e.buf, "\n"...)
		e.buf = jsonv.AppendString(e.buf, t.Name)
		e.buf = append(e.buf, ": "...)
		e.spec(t.Spec)
		e.buf = append(e.buf, `, "records": [`...)
		first := true
		var rerr error
		t.tree.Ascend(func(en entry) bool {
			if !first {
				e.buf = append(e.buf, ',')
			}
			first = false
			e.buf = append(e.buf, '\n')
			if rerr = e.record(en.r); rerr != nil {
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
		e.buf = append(e.buf, "]}"...)
	}
	e.buf = append(e.buf, "}}\n"...)
	e.flush()
	return e.err
}

// Save writes a consistent snapshot of the database to w in format f.
func (db *DB) Save(w io.Writer, f Format) error {
	return db.Snapshot().Encode(w, f, nil)
}

// SaveFile saves the database to path atomically: it writes a temporary file
// in the same directory, syncs it and renames it over path.
func (db *DB) SaveFile(path string, f Format) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".dictdb-save-*")
	if err != nil {
		return fmt.Errorf("dictdb: save %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = db.Save(tmp, f); err != nil {
		return fmt.Errorf("dictdb: save %s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("dictdb: save %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("dictdb: save %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("dictdb: save %s: %w", path, err)
	}
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// Load reads a database written by Save (or by the Python DictDB's JSON
// save). Integers come back as int64, and auto-increment keys continue above
// the largest integer key of each table.
func Load(r io.Reader, f Format) (*DB, error) {
	db, _, err := LoadMeta(r, f)
	return db, err
}

// LoadFile loads the database saved at path.
func LoadFile(path string, f Format) (*DB, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dictdb: load: %w", err)
	}
	defer file.Close()
	db, err := Load(file, f)
	if err != nil {
		return nil, fmt.Errorf("dictdb: load %s: %w", path, err)
	}
	return db, nil
}

// LoadMeta is Load that also returns the top-level fields other than the
// tables, such as the sequence number and backup headers. The database's
// sequence number is the file's "sequence" field (0 if absent).
func LoadMeta(r io.Reader, f Format) (*DB, Meta, error) {
	if err := f.Check(); err != nil {
		return nil, nil, err
	}
	if f == FormatBinary {
		return loadMetaBinary(r)
	}
	d := jsonv.NewDecoder(r)
	db := New()
	meta := Meta{}
	sawTables := false
	err := eachKey(d, "database", func(key string) error {
		if key != fieldTables {
			return decodeMetaField(d, meta, key)
		}
		if t, _ := meta[fieldType].(string); t == "delta" {
			return corruptf("this is a delta, not a full database")
		}
		sawTables = true
		return eachKey(d, fieldTables, func(name string) error {
			if _, dup := db.tables[name]; dup {
				return corruptf("table %q appears twice", name)
			}
			if err := validTableName(name); err != nil {
				return corruptf("%v", err)
			}
			t, err := decodeTable(d, db, name)
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

// eachKey reads the object at d's position and calls fn with each key; fn
// must consume the value. what names the object in errors.
func eachKey(d *jsonv.Decoder, what string, fn func(key string) error) error {
	if err := d.BeginObject(); err != nil {
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

// eachElem reads the array at d's position and calls fn with each index; fn
// must consume the element.
func eachElem(d *jsonv.Decoder, what string, fn func(i int) error) error {
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

// decodeMetaField stores a top-level field other than the tables.
func decodeMetaField(d *jsonv.Decoder, meta Meta, key string) error {
	v, err := d.Value()
	if err != nil {
		return corruptf("field %q: %v", key, err)
	}
	meta[key] = v
	return nil
}

// asCorrupt makes err match ErrCorrupt unless it already does.
func asCorrupt(err error) error {
	if errors.Is(err, ErrCorrupt) {
		return err
	}
	return corruptf("%v", err)
}

// decodeSpecField decodes "primary_key" or "schema" into spec.
func decodeSpecField(d *jsonv.Decoder, table, key string, spec *TableSpec) error {
	v, err := d.Value()
	if err != nil {
		return corruptf("table %q: %s: %v", table, key, err)
	}
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

// decodeSpec decodes {"primary_key": ..., "schema": ...}.
func decodeSpec(d *jsonv.Decoder, table string) (*TableSpec, error) {
	spec := &TableSpec{PrimaryKey: "id"}
	err := eachKey(d, "table "+strconv.Quote(table)+" spec", func(key string) error {
		if key == "primary_key" || key == "schema" {
			return decodeSpecField(d, table, key, spec)
		}
		return d.Skip()
	})
	return spec, err
}

func decodeTable(d *jsonv.Decoder, db *DB, name string) (*Table, error) {
	spec := TableSpec{PrimaryKey: "id"}
	// Records are checked against the spec known when "records" starts. The
	// Python writer puts the spec first; if a spec field comes later, the
	// records are checked again against the final spec. Records that come
	// before the primary key (key order is free in JSON) are held until the
	// end, since their keys are unknown.
	var t *Table
	var held []Record
	rebuild, pkSeen, seenRecords := false, false, false
	err := eachKey(d, "table "+strconv.Quote(name), func(key string) error {
		switch key {
		case "primary_key", "schema":
			rebuild = rebuild || t != nil
			pkSeen = pkSeen || key == "primary_key"
			return decodeSpecField(d, name, key, &spec)
		case "records":
			if seenRecords {
				return corruptf("table %q: two record lists", name)
			}
			seenRecords = true
			if !pkSeen {
				return eachElem(d, "table "+strconv.Quote(name)+" records", func(i int) error {
					r, err := decodeRecord(d, name, i)
					held = append(held, r)
					return err
				})
			}
			provisional := spec
			if validateSpec(name, provisional) != nil {
				provisional.Schema, rebuild = nil, true
			}
			t = newTable(db, name, provisional)
			return eachElem(d, "table "+strconv.Quote(name)+" records", func(i int) error {
				r, err := decodeRecord(d, name, i)
				if err != nil {
					return err
				}
				return t.loadRecord(r, i)
			})
		}
		return d.Skip()
	})
	if err != nil {
		return nil, err
	}
	if err := validateSpec(name, spec); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if held != nil {
		t = newTable(db, name, spec)
		for i, r := range held {
			if err := t.loadRecord(r, i); err != nil {
				return nil, err
			}
		}
		return t, nil
	}
	if t == nil {
		return newTable(db, name, spec), nil
	}
	if !rebuild {
		return t, nil
	}
	final := newTable(db, name, spec)
	i := 0
	t.tree.Ascend(func(e entry) bool {
		err = final.loadRecord(e.r, i)
		i++
		return err == nil
	})
	return final, err
}

// decodeRecord decodes the i-th record of table name.
func decodeRecord(d *jsonv.Decoder, name string, i int) (Record, error) {
	v, err := d.Value()
	if err != nil {
		return nil, corruptf("table %q record %d: %v", name, i, err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, corruptf("table %q record %d: not an object", name, i)
	}
	return Record(m), nil
}

// loadRecord adds the i-th record of a file being loaded.
func (t *Table) loadRecord(r Record, i int) error {
	if err := checkRecord(t.name, &t.spec, r); err != nil {
		return fmt.Errorf("%w: table %q record %d: %v", ErrCorrupt, t.name, i, err)
	}
	k, _ := keyOf(t.name, t.spec.PrimaryKey, r[t.spec.PrimaryKey], true)
	if _, dup := t.tree.ReplaceOrInsert(entry{k: k, r: r}); dup {
		return corruptf("table %q record %d: duplicate primary key %s", t.name, i, k)
	}
	t.noteKey(k)
	return nil
}
