package backup

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dictdb/dictdb-go/catalog"
	"github.com/dictdb/dictdb-go/sink"
)

// prepare makes sure this manager may write to the sink, before every
// backup. The first time (and after losing the lease) it takes the lease
// and lists the sink once: new names then sort after every backup already
// there, and a database restored from the newest point of a chain in this
// sink continues that chain. Later, with the lease, it sends nothing while
// the lease is valid by its clock, and renews it otherwise; a lease taken
// over by another writer fences this one (ErrOtherWriter) before it writes
// anything. Without a lease it lists the sink before each backup and
// refuses to go on when an object appeared that it did not write.
func (m *Manager) prepare(ctx context.Context) error {
	if m.cat == nil {
		return m.firstLook(ctx)
	}
	if m.lease == nil {
		return m.checkListing(ctx)
	}
	if m.lease.valid(m.opts.LeaseTTL / 3) {
		return nil
	}
	if !m.lease.holding() {
		return m.firstLook(ctx) // lost it earlier: take it again, or fail
	}
	err := m.lease.renew(ctx)
	if errors.Is(err, ErrOtherWriter) {
		m.lost()
	}
	return err
}

// lost forgets what this manager knew of the sink once another writer took
// the lease over: the next backup lists the sink again and starts a chain
// of its own.
func (m *Manager) lost() {
	m.cat, m.haveBase = nil, false
}

// firstLook takes the lease, then lists the sink.
func (m *Manager) firstLook(ctx context.Context) error {
	if err := m.takeLease(ctx); err != nil {
		return err
	}
	c, err := catalog.Read(ctx, m.sink, catalog.Options{Identities: m.identities()})
	if err != nil {
		return fmt.Errorf("backup: list existing backups: %w", err)
	}
	m.cat = c
	clear(m.attempted)
	objs := c.Objects()
	if len(objs) == 0 {
		return nil
	}
	newest := objs[len(objs)-1]
	m.clock.Observe(newest.Micros)
	m.checked = newest.Micros
	if m.lease != nil && m.lease.tookOver {
		// The last holder never released the lease: it may still be
		// writing to its chain. Start a new one.
		m.haveBase = false
		return nil
	}
	return m.continueChain(ctx, c)
}

// takeLease acquires the lease unless it is disabled, and keeps it renewed
// in the background. A sink without conditional writes gets none: this
// manager then checks the listing before each backup.
func (m *Manager) takeLease(ctx context.Context) error {
	if m.opts.LeaseTTL < 0 || m.noLease {
		return nil
	}
	if m.lease == nil {
		m.lease = newLease(m.sink, m.opts.LeaseTTL, m.writer, m.now)
	}
	err := m.lease.acquire(ctx)
	if errors.Is(err, sink.ErrNotSupported) {
		m.lease, m.noLease = nil, true
		return nil
	}
	if err != nil {
		return err
	}
	if !m.renewing {
		m.renewing = true
		go m.renewLease()
	}
	return nil
}

// renewLease renews the lease every third of its TTL until Stop. A renewal
// that fails is tried again at the next tick; a backup finding the lease
// short renews it itself first.
func (m *Manager) renewLease() {
	defer close(m.renewDone)
	t := time.NewTicker(m.opts.LeaseTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-m.renewStop:
			return
		case <-t.C:
			if !m.lease.holding() {
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), m.opts.LeaseTTL/3)
			err := m.lease.renew(ctx)
			cancel()
			if err != nil {
				if l := m.opts.Logger; l != nil {
					l.Warn("lease renewal failed", "error", err)
				}
			}
		}
	}
}

// checkListing is the check of a sink without a lease: an object that
// appeared since this manager's last backup, and that it did not write,
// means another writer.
func (m *Manager) checkListing(ctx context.Context) error {
	if err := m.cat.Refresh(ctx); err != nil {
		return fmt.Errorf("backup: list existing backups: %w", err)
	}
	objs := m.cat.Objects()
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
	m.advanceDurable(seq)
	m.mu.Unlock()
	return nil
}
