package backup

import (
	"sort"

	"github.com/dictdb/dictdb-go/dictdb"
)

// pending holds the changes not yet in a successful backup, coalesced per
// key: only the last write of each key is kept, with its sequence number, so
// memory and delta size grow with the keys touched, not the writes made.
type pending struct {
	tables map[string]*pendingTable
	maxSeq uint64 // highest sequence number observed
}

// pendingTable is one table's pending changes. create and dropped record a
// table (re)created or dropped during the span; either one means the entries
// start from an empty table.
type pendingTable struct {
	create    *dictdb.TableSpec
	createSeq uint64
	dropped   bool
	dropSeq   uint64
	entries   map[any]pendingEntry
}

type pendingEntry struct {
	rec dictdb.Record // nil: deleted
	seq uint64
}

func newPending() *pending { return &pending{tables: map[string]*pendingTable{}} }

func (p *pending) empty() bool { return len(p.tables) == 0 }

// count returns the number of pending record changes.
func (p *pending) count() int {
	n := 0
	for _, t := range p.tables {
		n += len(t.entries)
	}
	return n
}

func (p *pending) table(name string) *pendingTable {
	t := p.tables[name]
	if t == nil {
		t = &pendingTable{entries: map[any]pendingEntry{}}
		p.tables[name] = t
	}
	return t
}

// observe records a committed change set.
func (p *pending) observe(cs dictdb.ChangeSet) {
	for _, c := range cs.Changes {
		switch c.Op {
		case dictdb.OpCreateTable:
			p.tables[c.Table] = &pendingTable{create: c.Spec, createSeq: cs.Seq, entries: map[any]pendingEntry{}}
		case dictdb.OpDropTable:
			p.tables[c.Table] = &pendingTable{dropped: true, dropSeq: cs.Seq, entries: map[any]pendingEntry{}}
		case dictdb.OpDelete:
			p.table(c.Table).entries[c.Key] = pendingEntry{seq: cs.Seq}
		default:
			p.table(c.Table).entries[c.Key] = pendingEntry{rec: c.Record, seq: cs.Seq}
		}
	}
	if cs.Seq > p.maxSeq {
		p.maxSeq = cs.Seq
	}
}

// mergeOlder puts the changes of older (a span that ended before p's began)
// under p's: p's win wherever both touch the same key or table. It is how a
// failed delta's changes return to the pending set.
func (p *pending) mergeOlder(older *pending) {
	for name, ot := range older.tables {
		nt, ok := p.tables[name]
		if !ok {
			p.tables[name] = ot
			continue
		}
		if nt.create != nil || nt.dropped {
			continue // the newer span replaced the whole table
		}
		for k, e := range nt.entries {
			ot.entries[k] = e
		}
		p.tables[name] = ot
	}
	if older.maxSeq > p.maxSeq {
		p.maxSeq = older.maxSeq
	}
}

// retire drops every change with a sequence number at or below seq: a full
// backup at seq holds them.
func (p *pending) retire(seq uint64) {
	for name, t := range p.tables {
		if t.dropped && t.dropSeq <= seq {
			t.dropped = false
		}
		if t.create != nil && t.createSeq <= seq {
			t.create = nil
		}
		for k, e := range t.entries {
			if e.seq <= seq {
				delete(t.entries, k)
			}
		}
		if !t.dropped && t.create == nil && len(t.entries) == 0 {
			delete(p.tables, name)
		}
	}
}

// delta builds the Delta of the pending changes, keys sorted.
func (p *pending) delta() *dictdb.Delta {
	d := &dictdb.Delta{Tables: map[string]*dictdb.TableDelta{}}
	for name, t := range p.tables {
		if t.dropped {
			d.Dropped = append(d.Dropped, name)
			continue
		}
		keys := make([]any, 0, len(t.entries))
		for k := range t.entries {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return keyLess(keys[i], keys[j]) })
		td := &dictdb.TableDelta{Create: t.create}
		for _, k := range keys {
			if e := t.entries[k]; e.rec == nil {
				td.Deletes = append(td.Deletes, k)
			} else {
				td.Upserts = append(td.Upserts, e.rec)
			}
		}
		d.Tables[name] = td
	}
	sort.Strings(d.Dropped)
	return d
}

// keyLess orders primary keys: integers first, then strings.
func keyLess(a, b any) bool {
	ai, aInt := a.(int64)
	bi, bInt := b.(int64)
	switch {
	case aInt && bInt:
		return ai < bi
	case aInt != bInt:
		return aInt
	}
	as, _ := a.(string)
	bs, _ := b.(string)
	return as < bs
}
