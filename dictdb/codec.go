package dictdb

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Encode writes the snapshot to w in format f, streaming table by table: no
// more than a small buffer is held in memory. meta adds top-level fields
// (they may not be named "tables" or "sequence"); the snapshot's sequence
// number is always written as "sequence".
func (s *Snapshot) Encode(w io.Writer, f Format, meta Meta) error {
	if err := f.Check(); err != nil {
		return err
	}
	tw := newTokenWriter(w, f)
	tw.overlap() // a whole database: encode and write at once
	defer tw.wait()
	return s.encode(tw, f, meta)
}

// encode writes the whole document.
func (s *Snapshot) encode(w tokenWriter, f Format, meta Meta) error {
	if err := writeHeader(w, meta, fieldTables, fieldSeq); err != nil {
		return err
	}
	w.key(fieldSeq)
	w.integer(int64(s.Seq))
	w.key(fieldTables)
	w.beginMap(len(s.tables), perLine)
	for _, t := range s.tables {
		w.key(t.Name)
		w.beginMap(3, inline)
		writeSpecFields(w, t.Spec)
		w.key("records")
		w.beginArray(t.tree.Len(), perLine)
		if err := t.encodeRecords(w, f); err != nil {
			return err
		}
		w.endArray()
		w.endMap()
	}
	w.endMap()
	return w.endDoc()
}

// encodeRecords writes the records of t in key order, in format f: each
// from its cached encoding, or encoded now and cached for the next time.
func (t *TableSnapshot) encodeRecords(w tokenWriter, f Format) error {
	if t.parallel() {
		return t.encodeSpans(f, w, func(c chunk, release func()) error {
			return w.elems(c.b, c.n, release)
		})
	}
	var err error
	var scratch []byte
	t.tree.Scan(func(en entry) bool {
		b := en.c.get(f)
		if b == nil {
			if scratch, err = w.appendValue(scratch[:0], map[string]any(en.r), recordParents); err != nil {
				err = fmt.Errorf("dictdb: encode table %q key %s: %w", t.Name, en.k, err)
				return false
			}
			en.c.set(f, scratch)
			b = scratch
		}
		w.encoded(b)
		err = w.flushIfFull()
		return err == nil
	})
	return err
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
	d := newTokenReader(r, f)
	db := New()
	meta := Meta{}
	sawTables := false
	err := eachTopKey(d, "database", func(key string) error {
		if key != fieldTables {
			return decodeMetaField(d, meta, key)
		}
		if isDelta(meta) {
			return corruptf("this is a delta, not a full database")
		}
		sawTables = true
		return decodeTables(d, db)
	})
	if err == nil {
		err = d.End()
	}
	switch {
	case err != nil:
		return nil, nil, asCorrupt(err)
	case !sawTables:
		return nil, nil, corruptf("no %q field", fieldTables)
	case isDelta(meta):
		return nil, nil, corruptf("this is a delta, not a full database")
	}
	if err := db.setSequence(meta); err != nil {
		return nil, nil, err
	}
	return db, meta, nil
}

// isDelta reports whether the meta fields read so far say "type": "delta".
func isDelta(meta Meta) bool {
	t, _ := meta[fieldType].(string)
	return t == "delta"
}

// decodeTables decodes the map of tables into db.
func decodeTables(d tokenReader, db *DB) error {
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
}

// setSequence sets the sequence number of a database being loaded from its
// "sequence" field, if any.
func (db *DB) setSequence(meta Meta) error {
	v, ok := meta[fieldSeq]
	if !ok {
		return nil
	}
	seq, isInt := v.(int64)
	if !isInt || seq < 0 {
		return corruptf("field %q must be a non-negative integer, got %v", fieldSeq, v)
	}
	db.seq = uint64(seq)
	return nil
}
