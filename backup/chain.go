package backup

import (
	"context"
	"fmt"

	"github.com/dictdb/dictdb-go/catalog"
)

// checkSink lists the sink before each backup. The first time, it makes
// new names sort after every backup already there and, if the database was
// restored from the newest point of a chain in this sink, continues that
// chain. Later, it refuses to go on when an object appeared that this
// manager did not write: another writer on the same prefix.
func (m *Manager) checkSink(ctx context.Context) error {
	c, err := catalog.Read(ctx, m.sink, catalog.Options{Identities: m.identities()})
	if err != nil {
		return fmt.Errorf("backup: list existing backups: %w", err)
	}
	objs := c.Objects()
	if !m.listed {
		m.listed = true
		if len(objs) > 0 {
			newest := objs[len(objs)-1]
			m.clock.Observe(newest.Micros)
			m.checked = newest.Micros
			return m.continueChain(ctx, c)
		}
		return nil
	}
	for _, obj := range objs {
		if obj.Micros > m.checked && !m.attempted[obj.Key] {
			return fmt.Errorf("%w: found %s, which this manager did not write; two managers on one prefix would interleave their chains (give each database its own prefix)", ErrOtherWriter, obj.Key)
		}
	}
	if len(objs) > 0 && objs[len(objs)-1].Micros > m.checked {
		m.checked = objs[len(objs)-1].Micros
	}
	clear(m.attempted)
	return nil
}

// continueChain lets a database restored from this sink go on with its
// chain: when the newest object in the sink is the point the database was
// restored from (its Lineage), and nothing was written since, the next
// backup can be a delta of that chain.
func (m *Manager) continueChain(ctx context.Context, c *catalog.Catalog) error {
	chain, base, seq, ok := catalog.ParseLineage(m.db.Lineage())
	if !ok || seq != m.startSeq {
		return nil
	}
	objs := c.Objects()
	newest := objs[len(objs)-1]
	h, err := catalog.ReadHeader(ctx, m.sink, newest.Name, m.identities())
	if err != nil || h.Legacy() || h.Chain != chain || h.Seq != seq {
		return nil // the sink moved on, or is unreadable: start a new chain
	}
	if h.Kind == catalog.Full && newest.Key != base || h.Kind == catalog.Delta && h.Base != base {
		return nil
	}
	deltas := 0
	for i := len(objs) - 1; i >= 0 && objs[i].Key != base; i-- {
		if objs[i].Kind == catalog.Delta {
			deltas++
		}
	}
	m.haveBase, m.chain, m.base, m.backupSeq = true, chain, base, seq
	m.mu.Lock()
	m.deltas = deltas
	m.mu.Unlock()
	return nil
}
