package dictdb

import (
	"fmt"
	"math"

	"github.com/tidwall/btree"
)

// Table is a handle to one table of a DB. Its methods are safe for concurrent
// use. Records are copied in and out: changing a Record after Insert, or one
// returned by Get or Select, never changes the table.
type Table struct {
	db      *DB
	name    string
	spec    TableSpec
	tree    *btree.BTreeG[entry]
	nextID  int64 // next auto-increment key; above every integer key
	dropped bool
	caches  cacheSlab // the encoding caches of written records; db.mu guards it
}

// Name returns the table's name.
func (t *Table) Name() string { return t.name }

// PrimaryKey returns the primary key field.
func (t *Table) PrimaryKey() string { return t.spec.PrimaryKey }

// Schema returns a copy of the table's schema (nil if it has none).
func (t *Table) Schema() Schema { return t.spec.Schema.clone() }

func (t *Table) errGone() error {
	return fmt.Errorf("dictdb: table %q: %w", t.name, ErrTableNotFound)
}

// autoKeyAllowed reports whether an absent primary key may be generated.
func (t *Table) autoKeyAllowed() bool {
	return t.spec.Schema == nil || t.spec.Schema[t.spec.PrimaryKey] == Int
}

// prepare normalizes and validates a record outside the lock. It reports
// whether the primary key is absent (to be generated).
func (t *Table) prepare(r Record) (Record, bool, error) {
	nr, err := normalizeRecord(r)
	if err != nil {
		return nil, false, fmt.Errorf("table %q: %w", t.name, err.valueError())
	}
	pk := t.spec.PrimaryKey
	if v, ok := nr[pk]; !ok || v == nil {
		if !t.autoKeyAllowed() {
			return nil, false, &SchemaError{Table: t.name, Field: pk, Reason: "primary key is missing (auto-increment needs an int key)"}
		}
		nr[pk] = int64(0) // placeholder with the right type for validation
		if err := checkRecord(t.name, &t.spec, nr); err != nil {
			return nil, false, err
		}
		return nr, true, nil
	}
	if err := checkRecord(t.name, &t.spec, nr); err != nil {
		return nil, false, err
	}
	return nr, false, nil
}

// assignKey sets a generated or explicit key; t.db.mu must be held.
func (t *Table) assignKey(nr Record, auto bool) (pkey, error) {
	if auto {
		if t.nextID == math.MaxInt64 {
			return pkey{}, fmt.Errorf("dictdb: table %q: auto-increment key space exhausted", t.name)
		}
		nr[t.spec.PrimaryKey] = t.nextID
		return pkey{i: t.nextID}, nil
	}
	return keyOf(t.name, t.spec.PrimaryKey, nr[t.spec.PrimaryKey], true)
}

// noteKey keeps nextID above every integer key; t.db.mu must be held.
func (t *Table) noteKey(k pkey) {
	if !k.isStr && k.i >= t.nextID {
		if k.i == math.MaxInt64 {
			t.nextID = math.MaxInt64
		} else {
			t.nextID = k.i + 1
		}
	}
}

// Insert adds a record and returns its primary key (int64 or string). When
// the record has no primary key and the key is an integer (or there is no
// schema), the next auto-increment key is used. It returns an error matching
// ErrDuplicateKey if the key exists, ErrSchema or ErrInvalidValue for a bad
// record, and ErrTableNotFound if the table was dropped. A failed Insert
// changes nothing.
func (t *Table) Insert(r Record) (any, error) { return t.write(r, OpInsert) }

// Upsert inserts the record, or replaces the whole record that has the same
// primary key (fields absent from r do not survive). Without a primary key it
// behaves like Insert. It returns the primary key.
func (t *Table) Upsert(r Record) (any, error) { return t.write(r, OpUpsert) }

// write is Insert (op OpInsert) or Upsert (OpUpsert).
func (t *Table) write(r Record, op Op) (any, error) {
	nr, auto, err := t.prepare(r)
	if err != nil {
		return nil, err
	}
	db := t.db
	db.mu.Lock()
	defer db.mu.Unlock()
	if t.dropped {
		return nil, t.errGone()
	}
	k, err := t.assignKey(nr, auto)
	if err != nil {
		return nil, err
	}
	if old, exists := t.tree.Set(t.stored(k, nr)); exists && op == OpInsert {
		t.tree.Set(old) // put it back: one tree walk on the common path
		return nil, fmt.Errorf("dictdb: table %q: insert key %s: %w", t.name, k, ErrDuplicateKey)
	}
	t.noteKey(k)
	kv := k.value()
	db.commit([]Change{{Op: op, Table: t.name, Key: kv, Record: nr}})
	return kv, nil
}

// Get returns a copy of the record with primary key pk.
func (t *Table) Get(pk any) (Record, bool) {
	k, ok := lookupKey(pk)
	if !ok {
		return nil, false
	}
	t.db.mu.RLock()
	if t.dropped {
		t.db.mu.RUnlock()
		return nil, false
	}
	e, found := t.tree.Get(entry{k: k})
	t.db.mu.RUnlock()
	if !found {
		return nil, false
	}
	return copyRecord(e.r), true
}

// Count returns the number of records (0 if the table was dropped).
func (t *Table) Count() int {
	t.db.mu.RLock()
	defer t.db.mu.RUnlock()
	if t.dropped {
		return 0
	}
	return t.tree.Len()
}

// Select returns copies of the records for which where returns true (every
// record if where is nil), in primary-key order. It reads a snapshot of the
// table, so where may take its time and writers are not blocked meanwhile.
// where sees the stored record: it must not modify it.
func (t *Table) Select(where func(Record) bool) []Record {
	t.db.mu.Lock()
	if t.dropped {
		t.db.mu.Unlock()
		return nil
	}
	tree := t.tree.Copy()
	t.db.mu.Unlock()
	var out []Record
	tree.Scan(func(e entry) bool {
		if where == nil || where(e.r) {
			out = append(out, copyRecord(e.r))
		}
		return true
	})
	return out
}

// Update sets the fields of changes on every record for which where returns
// true (nil: every record) and returns how many records changed. Matching
// nothing returns 0 and no error. Changing the primary key moves the record,
// but never onto another record's key (ErrDuplicateKey). The update is all or
// nothing. where sees the stored record, while the database is locked: it
// must not modify the record nor call methods of this DB.
func (t *Table) Update(where func(Record) bool, changes Record) (int, error) {
	nc, err := normalizeRecord(changes)
	if err != nil {
		return 0, fmt.Errorf("table %q: %w", t.name, err.valueError())
	}
	if err := checkFields(t.name, &t.spec, nc); err != nil {
		return 0, err
	}
	pk := t.spec.PrimaryKey
	newPK, movesKey := nc[pk]
	var newKey pkey
	if movesKey {
		k, err := keyOf(t.name, pk, newPK, true)
		if err != nil {
			return 0, err
		}
		newKey = k
	}
	db := t.db
	db.mu.Lock()
	defer db.mu.Unlock()
	if t.dropped {
		return 0, t.errGone()
	}
	var matched []entry
	t.tree.Scan(func(e entry) bool {
		if where == nil || where(e.r) {
			matched = append(matched, e)
		}
		return true
	})
	if len(matched) == 0 {
		return 0, nil
	}
	if movesKey {
		if len(matched) > 1 {
			return 0, fmt.Errorf("dictdb: table %q: update would give %d records the key %s: %w", t.name, len(matched), newKey, ErrDuplicateKey)
		}
		if newKey != matched[0].k {
			if _, exists := t.tree.Get(entry{k: newKey}); exists {
				return 0, fmt.Errorf("dictdb: table %q: update key %s onto %s: %w", t.name, matched[0].k, newKey, ErrDuplicateKey)
			}
		}
	}
	changesOut := make([]Change, 0, len(matched)+1)
	for _, e := range matched {
		nr := make(Record, len(e.r)+len(nc))
		for f, v := range e.r {
			nr[f] = v
		}
		for f, v := range nc {
			nr[f] = v // values are immutable once stored, so sharing nc is safe
		}
		k := e.k
		if movesKey && newKey != e.k {
			t.tree.Delete(e)
			changesOut = append(changesOut, Change{Op: OpDelete, Table: t.name, Key: e.k.value()})
			k = newKey
			t.noteKey(k)
		}
		t.tree.Set(t.stored(k, nr))
		changesOut = append(changesOut, Change{Op: OpUpdate, Table: t.name, Key: k.value(), Record: nr})
	}
	db.commit(changesOut)
	return len(matched), nil
}

// Delete removes every record for which where returns true (nil: every
// record) and returns how many were removed. Matching nothing returns 0 and
// no error. where sees the stored record, while the database is locked: it
// must not modify the record nor call methods of this DB.
func (t *Table) Delete(where func(Record) bool) (int, error) {
	db := t.db
	db.mu.Lock()
	defer db.mu.Unlock()
	if t.dropped {
		return 0, t.errGone()
	}
	var keys []pkey
	t.tree.Scan(func(e entry) bool {
		if where == nil || where(e.r) {
			keys = append(keys, e.k)
		}
		return true
	})
	if len(keys) == 0 {
		return 0, nil
	}
	changes := make([]Change, len(keys))
	for i, k := range keys {
		t.tree.Delete(entry{k: k})
		changes[i] = Change{Op: OpDelete, Table: t.name, Key: k.value()}
	}
	db.commit(changes)
	return len(keys), nil
}

// DeleteKey removes the record with primary key pk, or returns ErrNotFound.
func (t *Table) DeleteKey(pk any) error {
	k, ok := lookupKey(pk)
	if !ok {
		return fmt.Errorf("dictdb: table %q: delete key %v: %w", t.name, pk, ErrNotFound)
	}
	db := t.db
	db.mu.Lock()
	defer db.mu.Unlock()
	if t.dropped {
		return t.errGone()
	}
	if _, found := t.tree.Delete(entry{k: k}); !found {
		return fmt.Errorf("dictdb: table %q: delete key %s: %w", t.name, k, ErrNotFound)
	}
	db.commit([]Change{{Op: OpDelete, Table: t.name, Key: k.value()}})
	return nil
}
