package backup

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/dictdb"
)

// refPending is the plain model of the pending set: one map per table from
// key to its last change. pending must always build the same deltas.
type refPending struct {
	tables map[string]*refTable
	maxSeq uint64
}

type refTable struct {
	create    *dictdb.TableSpec
	createSeq uint64
	dropped   bool
	dropSeq   uint64
	entries   map[any]pendingEntry
}

func newRef() *refPending { return &refPending{tables: map[string]*refTable{}} }

func (p *refPending) table(name string) *refTable {
	if p.tables[name] == nil {
		p.tables[name] = &refTable{entries: map[any]pendingEntry{}}
	}
	return p.tables[name]
}

func (p *refPending) observe(cs dictdb.ChangeSet) {
	for _, c := range cs.Changes {
		switch c.Op {
		case dictdb.OpCreateTable:
			p.tables[c.Table] = &refTable{create: c.Spec, createSeq: cs.Seq, entries: map[any]pendingEntry{}}
		case dictdb.OpDropTable:
			p.tables[c.Table] = &refTable{dropped: true, dropSeq: cs.Seq, entries: map[any]pendingEntry{}}
		case dictdb.OpDelete:
			p.table(c.Table).entries[c.Key] = pendingEntry{seq: cs.Seq}
		default:
			p.table(c.Table).entries[c.Key] = pendingEntry{rec: c.Record, seq: cs.Seq}
		}
	}
	p.maxSeq = max(p.maxSeq, cs.Seq)
}

func (p *refPending) mergeOlder(older *refPending) {
	for name, ot := range older.tables {
		nt, ok := p.tables[name]
		if !ok {
			p.tables[name] = ot
			continue
		}
		if nt.create != nil || nt.dropped {
			continue
		}
		for k, e := range nt.entries {
			ot.entries[k] = e
		}
		p.tables[name] = ot
	}
	p.maxSeq = max(p.maxSeq, older.maxSeq)
}

func (p *refPending) retire(seq uint64) {
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

func (p *refPending) count() int {
	n := 0
	for _, t := range p.tables {
		n += len(t.entries)
	}
	return n
}

func (p *refPending) delta() *dictdb.Delta {
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
		sort.Slice(keys, func(i, j int) bool {
			a, aInt := keys[i].(int64)
			b, bInt := keys[j].(int64)
			if aInt != bInt {
				return aInt
			}
			if aInt {
				return a < b
			}
			return keys[i].(string) < keys[j].(string)
		})
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

// changeGen makes random change sets over a few tables, with keys that
// mostly increase (auto-increment), some that go back, and string keys.
type changeGen struct {
	rng  *rand.Rand
	seq  uint64
	next map[string]int64
}

func (g *changeGen) key(table string) any {
	switch r := g.rng.IntN(10); {
	case r < 5:
		g.next[table]++
		return g.next[table]
	case r < 8:
		return g.rng.Int64N(g.next[table] + 3)
	default:
		return fmt.Sprintf("s%d", g.rng.IntN(40))
	}
}

func (g *changeGen) changeSet() dictdb.ChangeSet {
	g.seq++
	tables := []string{"a", "b", "c"}
	n := 1 + g.rng.IntN(3)
	if g.rng.IntN(8) == 0 {
		n = 20 // an Update of many records
	}
	var cs []dictdb.Change
	for range n {
		t := tables[g.rng.IntN(len(tables))]
		switch r := g.rng.IntN(100); {
		case r < 2:
			cs = append(cs, dictdb.Change{Op: dictdb.OpCreateTable, Table: t, Spec: &dictdb.TableSpec{PrimaryKey: "id"}})
		case r < 4:
			cs = append(cs, dictdb.Change{Op: dictdb.OpDropTable, Table: t})
		case r < 20:
			cs = append(cs, dictdb.Change{Op: dictdb.OpDelete, Table: t, Key: g.key(t)})
		default:
			k := g.key(t)
			op := []dictdb.Op{dictdb.OpInsert, dictdb.OpUpsert, dictdb.OpUpdate}[g.rng.IntN(3)]
			cs = append(cs, dictdb.Change{Op: op, Table: t, Key: k, Record: dictdb.Record{"id": k, "seq": int64(g.seq)}})
		}
	}
	return dictdb.ChangeSet{Seq: g.seq, Changes: cs}
}

// The pending set builds exactly the deltas of the plain model, through
// random changes, full backups (retire), and deltas that succeed or fail
// (mergeOlder).
func TestPendingMatchesModel(t *testing.T) {
	for seed := uint64(0); seed < 200; seed++ {
		g := &changeGen{rng: rand.New(rand.NewPCG(seed, 7)), next: map[string]int64{}}
		p, ref := newPending(), newRef()
		var failedP *pending
		var failedRef *refPending
		steps := 50 + g.rng.IntN(400)
		for step := 0; step < steps; step++ {
			switch r := g.rng.IntN(100); {
			case r < 3: // a full backup at a past sequence number
				seq := g.seq - uint64(g.rng.IntN(5))
				if g.rng.IntN(2) == 0 {
					seq = g.seq
				}
				p.retire(seq)
				ref.retire(seq)
			case r < 6: // a delta starts: its changes are taken out
				require.Equal(t, ref.count(), p.count(), "seed %d step %d", seed, step)
				require.Equal(t, ref.delta(), p.delta(), "seed %d step %d", seed, step)
				if failedP == nil && g.rng.IntN(2) == 0 {
					failedP, failedRef = p, ref // it will fail
				}
				p, ref = newPending(), newRef()
			case r < 8 && failedP != nil: // the failed delta's changes come back
				p.mergeOlder(failedP)
				ref.mergeOlder(failedRef)
				failedP, failedRef = nil, nil
			default:
				cs := g.changeSet()
				p.observe(cs)
				ref.observe(cs)
			}
		}
		require.Equal(t, ref.empty(), p.empty(), "seed %d", seed)
		require.Equal(t, ref.count(), p.count(), "seed %d", seed)
		require.Equal(t, ref.maxSeq, p.maxSeq, "seed %d", seed)
		require.Equal(t, ref.delta(), p.delta(), "seed %d", seed)
	}
}

func (p *refPending) empty() bool { return len(p.tables) == 0 }

// Many auto-increment inserts fill several chunks of the run; updates and
// deletes of them change entries in place; a full backup in the middle
// retires the older ones.
func TestPendingRun(t *testing.T) {
	p, ref := newPending(), newRef()
	seq := uint64(0)
	apply := func(c dictdb.Change) {
		seq++
		cs := dictdb.ChangeSet{Seq: seq, Changes: []dictdb.Change{c}}
		p.observe(cs)
		ref.observe(cs)
	}
	n := 3*runChunk + 17
	for i := 1; i <= n; i++ {
		apply(dictdb.Change{Op: dictdb.OpInsert, Table: "t", Key: int64(i), Record: dictdb.Record{"id": int64(i)}})
	}
	require.Equal(t, n, p.tables["t"].run.n)
	require.Empty(t, p.tables["t"].ints, "increasing keys never hash")
	for i := 1; i <= n; i += 97 {
		apply(dictdb.Change{Op: dictdb.OpUpdate, Table: "t", Key: int64(i), Record: dictdb.Record{"id": int64(i), "v": true}})
		apply(dictdb.Change{Op: dictdb.OpDelete, Table: "t", Key: int64(i + 1)})
	}
	apply(dictdb.Change{Op: dictdb.OpInsert, Table: "t", Key: int64(n + 10), Record: dictdb.Record{}})
	apply(dictdb.Change{Op: dictdb.OpInsert, Table: "t", Key: int64(n + 5), Record: dictdb.Record{}}) // below the last: hashed
	apply(dictdb.Change{Op: dictdb.OpUpsert, Table: "t", Key: int64(n + 7), Record: dictdb.Record{}})
	require.Equal(t, ref.delta(), p.delta())
	p.retire(uint64(n / 2))
	ref.retire(uint64(n / 2))
	require.Equal(t, ref.count(), p.count())
	require.Equal(t, ref.delta(), p.delta())
	apply(dictdb.Change{Op: dictdb.OpInsert, Table: "t", Key: int64(n + 100), Record: dictdb.Record{}})
	require.Equal(t, ref.delta(), p.delta())
	p.retire(seq)
	ref.retire(seq)
	require.True(t, p.empty())
}
