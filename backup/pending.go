package backup

import (
	"fmt"
	"slices"
	"sort"

	"github.com/dictdb/dictdb-go/dictdb"
)

// pending holds the changes not yet in a successful backup, coalesced per
// key: only the last write of each key is kept, with its sequence number, so
// memory and delta size grow with the keys touched, not the writes made.
//
// observe runs inside every commit, with the database locked, so the common
// case must be nearly free: records inserted with increasing integer keys
// (auto-increment) are appended to a sorted run, with no hashing; other
// integer keys and string keys go to typed maps.
type pending struct {
	tables map[string]*pendingTable
	maxSeq uint64 // highest sequence number observed

	last     *pendingTable // cache of the last table written, for observe
	lastName string
}

// pendingTable is one table's pending changes. create and dropped record a
// table (re)created or dropped during the span; either one means the entries
// start from an empty table. Each key is in exactly one of run, ints and
// strs.
type pendingTable struct {
	create    *dictdb.TableSpec
	createSeq uint64
	dropped   bool
	dropSeq   uint64
	run       run // integer keys, strictly increasing
	ints      map[int64]pendingEntry
	strs      map[string]pendingEntry
}

type pendingEntry struct {
	rec dictdb.Record // nil: deleted
	seq uint64
}

type runEntry struct {
	key int64
	pendingEntry
}

// runChunk is the size of a run's chunks: growing a run never copies it.
const runChunk = 4096

// run is a sequence of entries with strictly increasing keys, in chunks of
// runChunk entries (the last chunk may be shorter; after retire any may be).
// Each chunk knows bounds of its sequence numbers, so that retire keeps or
// drops whole chunks without looking at their entries: inserts come in
// sequence order, so all chunks but one are usually on one side.
type run struct {
	chunks []chunk
	n      int
}

type chunk struct {
	e      []runEntry
	lo, hi uint64 // every seq in e is in [lo, hi]
}

func (r *run) lastKey() (int64, bool) {
	if r.n == 0 {
		return 0, false
	}
	c := r.chunks[len(r.chunks)-1].e
	return c[len(c)-1].key, true
}

// push appends an entry whose key is above every key in the run.
func (r *run) push(e runEntry) {
	n := len(r.chunks)
	if n == 0 || len(r.chunks[n-1].e) == cap(r.chunks[n-1].e) {
		r.chunks = append(r.chunks, chunk{e: make([]runEntry, 0, runChunk), lo: e.seq})
		n++
	}
	c := &r.chunks[n-1]
	c.e = append(c.e, e)
	c.lo, c.hi = min(c.lo, e.seq), max(c.hi, e.seq)
	r.n++
}

// set replaces the entry with key k and reports whether there was one.
func (r *run) set(k int64, e pendingEntry) bool {
	ci := sort.Search(len(r.chunks), func(i int) bool {
		c := r.chunks[i].e
		return c[len(c)-1].key >= k
	})
	if ci == len(r.chunks) {
		return false
	}
	c := &r.chunks[ci]
	i, ok := slices.BinarySearchFunc(c.e, k, func(e runEntry, k int64) int {
		switch {
		case e.key < k:
			return -1
		case e.key > k:
			return 1
		}
		return 0
	})
	if !ok {
		return false
	}
	c.e[i].pendingEntry = e
	c.lo, c.hi = min(c.lo, e.seq), max(c.hi, e.seq)
	return true
}

// retire drops the entries with a sequence number at or below seq.
func (r *run) retire(seq uint64) {
	out := r.chunks[:0]
	r.n = 0
	for _, c := range r.chunks {
		switch {
		case c.hi <= seq:
			continue // all retired
		case c.lo <= seq:
			c.e = slices.DeleteFunc(c.e, func(e runEntry) bool { return e.seq <= seq })
			c.lo = c.hi
			for _, e := range c.e {
				c.lo = min(c.lo, e.seq)
			}
		}
		out = append(out, c)
		r.n += len(c.e)
	}
	clear(r.chunks[len(out):])
	r.chunks = out
}

func (r *run) each(fn func(*runEntry)) {
	for _, c := range r.chunks {
		for i := range c.e {
			fn(&c.e[i])
		}
	}
}

func newPending() *pending { return &pending{tables: map[string]*pendingTable{}} }

func (p *pending) empty() bool { return len(p.tables) == 0 }

// count returns the number of pending record changes.
func (p *pending) count() int {
	n := 0
	for _, t := range p.tables {
		n += t.len()
	}
	return n
}

func (t *pendingTable) len() int { return t.run.n + len(t.ints) + len(t.strs) }

// set records e as the latest change of key (an int64 or a string, dictdb's
// primary keys).
func (t *pendingTable) set(key any, e pendingEntry) {
	switch k := key.(type) {
	case int64:
		t.setInt(k, e)
	case string:
		if t.strs == nil {
			t.strs = map[string]pendingEntry{}
		}
		t.strs[k] = e
	default:
		panic(fmt.Sprintf("backup: primary key of type %T", key)) // a bug in dictdb
	}
}

func (t *pendingTable) setInt(k int64, e pendingEntry) {
	if last, ok := t.run.lastKey(); !ok || k > last {
		if _, inMap := t.ints[k]; !inMap {
			t.run.push(runEntry{key: k, pendingEntry: e})
			return
		}
	} else if t.run.set(k, e) {
		return
	}
	if t.ints == nil {
		t.ints = map[int64]pendingEntry{}
	}
	t.ints[k] = e
}

func (p *pending) table(name string) *pendingTable {
	if p.last != nil && p.lastName == name {
		return p.last
	}
	t := p.tables[name]
	if t == nil {
		t = &pendingTable{}
		p.tables[name] = t
	}
	p.last, p.lastName = t, name
	return t
}

// replaceTable starts name's changes over with t.
func (p *pending) replaceTable(name string, t *pendingTable) {
	p.tables[name] = t
	p.last, p.lastName = t, name
}

// observe records a committed change set.
func (p *pending) observe(cs dictdb.ChangeSet) {
	for _, c := range cs.Changes {
		switch c.Op {
		case dictdb.OpCreateTable:
			p.replaceTable(c.Table, &pendingTable{create: c.Spec, createSeq: cs.Seq})
		case dictdb.OpDropTable:
			p.replaceTable(c.Table, &pendingTable{dropped: true, dropSeq: cs.Seq})
		case dictdb.OpDelete:
			p.table(c.Table).set(c.Key, pendingEntry{seq: cs.Seq})
		default:
			p.table(c.Table).set(c.Key, pendingEntry{rec: c.Record, seq: cs.Seq})
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
		nt.run.each(func(e *runEntry) { ot.setInt(e.key, e.pendingEntry) })
		for k, e := range nt.ints {
			ot.setInt(k, e)
		}
		for k, e := range nt.strs {
			ot.set(k, e)
		}
		p.tables[name] = ot
	}
	p.last, p.lastName = nil, ""
	p.maxSeq = max(p.maxSeq, older.maxSeq)
}

// retire drops every change with a sequence number at or below seq: a full
// backup at seq holds them.
func (p *pending) retire(seq uint64) {
	p.last, p.lastName = nil, ""
	if seq >= p.maxSeq {
		clear(p.tables) // the usual case when nothing was written meanwhile
		return
	}
	for name, t := range p.tables {
		if t.dropped && t.dropSeq <= seq {
			t.dropped = false
		}
		if t.create != nil && t.createSeq <= seq {
			t.create = nil
		}
		t.run.retire(seq)
		for k, e := range t.ints {
			if e.seq <= seq {
				delete(t.ints, k)
			}
		}
		for k, e := range t.strs {
			if e.seq <= seq {
				delete(t.strs, k)
			}
		}
		if !t.dropped && t.create == nil && t.len() == 0 {
			delete(p.tables, name)
		}
	}
}

// delta builds the Delta of the pending changes, keys in dictdb's order:
// integers, then strings, each ascending.
func (p *pending) delta() *dictdb.Delta {
	d := &dictdb.Delta{Tables: map[string]*dictdb.TableDelta{}}
	for name, t := range p.tables {
		if t.dropped {
			d.Dropped = append(d.Dropped, name)
			continue
		}
		td := &dictdb.TableDelta{Create: t.create}
		add := func(k any, e pendingEntry) {
			if e.rec == nil {
				td.Deletes = append(td.Deletes, k)
			} else {
				td.Upserts = append(td.Upserts, e.rec)
			}
		}
		// Merge the run with the sorted keys of ints.
		ints := make([]int64, 0, len(t.ints))
		for k := range t.ints {
			ints = append(ints, k)
		}
		slices.Sort(ints)
		t.run.each(func(e *runEntry) {
			for len(ints) > 0 && ints[0] < e.key {
				add(ints[0], t.ints[ints[0]])
				ints = ints[1:]
			}
			add(e.key, e.pendingEntry)
		})
		for _, k := range ints {
			add(k, t.ints[k])
		}
		strs := make([]string, 0, len(t.strs))
		for k := range t.strs {
			strs = append(strs, k)
		}
		slices.Sort(strs)
		for _, k := range strs {
			add(k, t.strs[k])
		}
		d.Tables[name] = td
	}
	slices.Sort(d.Dropped)
	return d
}
