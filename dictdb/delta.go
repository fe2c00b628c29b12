package dictdb

import (
	"fmt"
	"sort"
)

// Delta is a coalesced set of changes: what a table must look like after a
// span of writes, per primary key. It is the in-memory form of an incremental
// backup.
type Delta struct {
	// Tables holds, per table, the records to upsert and the keys to delete.
	Tables map[string]*TableDelta
	// Dropped lists tables that no longer exist at the end of the span.
	Dropped []string
}

// TableDelta is the part of a Delta for one table.
type TableDelta struct {
	// Create, when set, means the table was (re)created during the span:
	// any existing table of that name is replaced by an empty one with this
	// spec before Upserts and Deletes apply.
	Create *TableSpec
	// Upserts are whole records: each replaces any record with its key.
	Upserts []Record
	// Deletes are primary keys (int64 or string) to remove.
	Deletes []any
}

// TableNames returns the names in d.Tables, sorted.
func (d *Delta) TableNames() []string {
	names := make([]string, 0, len(d.Tables))
	for n := range d.Tables {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ApplyDelta applies d atomically: it validates everything first and changes
// nothing if any part is invalid. Upserts replace whole records; deleting a
// missing key or dropping a missing table is not an error. It returns the
// number of records upserted or deleted.
//
// seq is the sequence number the database takes once d is applied (restore
// passes the backup's, so the numbering continues from it); it must exceed
// the current one. 0 means the next number. The delta is committed as one
// change set, so subscribers see it like any other write.
func (db *DB) ApplyDelta(d *Delta, seq uint64) (int, error) {
	type planned struct {
		name    string
		spec    TableSpec
		create  bool
		upserts []entry
		deletes []pkey
	}
	// Validate outside the lock what does not depend on the current state.
	plans := make([]*planned, 0, len(d.Tables))
	for _, name := range d.TableNames() {
		td := d.Tables[name]
		if td == nil {
			continue
		}
		p := &planned{name: name}
		if td.Create != nil {
			if err := validTableName(name); err != nil {
				return 0, err
			}
			p.create = true
			p.spec = TableSpec{PrimaryKey: td.Create.PrimaryKey, Schema: td.Create.Schema.clone()}
			if err := validateSpec(name, p.spec); err != nil {
				return 0, err
			}
		}
		for _, pk := range td.Deletes {
			nv, perr := normalizeValue(pk, MaxValueDepth)
			if perr != nil {
				return 0, fmt.Errorf("dictdb: delta table %q delete: %w", name, perr.valueError())
			}
			k, err := keyOf(name, "delete", nv, true)
			if err != nil {
				return 0, err
			}
			p.deletes = append(p.deletes, k)
		}
		for i, r := range td.Upserts {
			nr, perr := normalizeRecord(r)
			if perr != nil {
				return 0, fmt.Errorf("dictdb: delta table %q upsert %d: %w", name, i, perr.valueError())
			}
			p.upserts = append(p.upserts, entry{r: nr})
		}
		plans = append(plans, p)
	}
	for _, name := range d.Dropped {
		if _, ok := d.Tables[name]; ok {
			return 0, fmt.Errorf("dictdb: delta both drops and changes table %q", name)
		}
	}

	db.mu.Lock()
	defer db.mu.Unlock()
	if seq != 0 && seq <= db.seq {
		return 0, fmt.Errorf("dictdb: delta sequence %d is not after the database's %d", seq, db.seq)
	}
	// Validate against the current state.
	for _, p := range plans {
		if !p.create {
			t, ok := db.tables[p.name]
			if !ok {
				return 0, fmt.Errorf("dictdb: delta changes table %q: %w", p.name, ErrTableNotFound)
			}
			p.spec = t.spec
		}
		seen := make(map[pkey]struct{}, len(p.upserts))
		for i := range p.upserts {
			r := p.upserts[i].r
			if err := checkRecord(p.name, &p.spec, r); err != nil {
				return 0, err
			}
			k, _ := keyOf(p.name, p.spec.PrimaryKey, r[p.spec.PrimaryKey], true)
			if _, dup := seen[k]; dup {
				return 0, fmt.Errorf("dictdb: delta table %q upserts key %s twice: %w", p.name, k, ErrDuplicateKey)
			}
			seen[k] = struct{}{}
			p.upserts[i].k = k
		}
	}
	// Apply.
	var changes []Change
	n := 0
	for _, name := range d.Dropped {
		if t, ok := db.tables[name]; ok {
			db.dropLocked(t)
			changes = append(changes, Change{Op: OpDropTable, Table: name})
		}
	}
	for _, p := range plans {
		t := db.tables[p.name]
		if p.create {
			if t != nil {
				db.dropLocked(t)
				changes = append(changes, Change{Op: OpDropTable, Table: p.name})
			}
			t = newTable(db, p.name, p.spec)
			db.tables[p.name] = t
			sp := p.spec
			changes = append(changes, Change{Op: OpCreateTable, Table: p.name, Spec: &sp})
		}
		for _, k := range p.deletes {
			if _, found := t.tree.Delete(entry{k: k}); found {
				n++
				changes = append(changes, Change{Op: OpDelete, Table: p.name, Key: k.value()})
			}
		}
		for _, e := range p.upserts {
			e.c = t.caches.next()
			t.tree.Set(e)
			t.noteKey(e.k)
			n++
			changes = append(changes, Change{Op: OpUpsert, Table: p.name, Key: e.k.value(), Record: e.r})
		}
	}
	if seq != 0 {
		db.seq = seq - 1
	}
	db.commit(changes)
	return n, nil
}
