package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/dictdb/dictdb-go/catalog"
	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/sink"
)

// Manager writes backups of a DB to a Sink: full backups and, in incremental
// mode, deltas of the changes since the previous backup. Backups run
// periodically after Start, after NotifyChange, and on demand. All methods
// are safe for concurrent use; backups run one at a time.
//
// The Manager follows the database's change sets from the moment it is
// created, so no committed change is missed: a change whose delta could not
// be written stays pending and goes into the next one. Call Stop to release
// the Manager, even if Start was never called.
type Manager struct {
	db     *dictdb.DB
	sink   sink.Sink
	opts   Options
	clock  catalog.Clock
	writer string           // this manager's id, in every object it writes
	now    func() time.Time // the lease's clock

	mu           sync.Mutex // guards the fields below
	pending      *pending
	observedSeq  uint64    // the last change set observed
	firstPending time.Time // continuous mode: when the oldest pending change was observed; zero if none
	durableSeq   uint64    // every change set up to it is in the sink
	durableCh    chan struct{}
	failures     int
	deltas       int // deltas since the last full backup
	last         time.Time
	started      bool
	stopping     bool // Stop was called
	closed       bool // no more backups

	backupMu  sync.Mutex       // serializes backups; guards the fields below
	cat       *catalog.Catalog // what the sink holds, as this manager knows it; nil until its first look
	lease     *lease           // nil: no lease (disabled, or the sink cannot)
	noLease   bool             // the sink has no conditional writes
	checked   int64            // without a lease: every object up to this time is accounted for
	attempted map[string]bool  // without a lease: keys this manager tried to write since the last check
	startSeq  uint64           // the database's sequence number when the manager subscribed
	haveBase  bool             // a full backup of this manager's chain exists
	chain     string
	base      string
	backupSeq uint64 // sequence number of the last successful backup

	stats   stats   // guarded by mu
	attempt attempt // what the current backup tries to write; guarded by backupMu

	renewing  bool // the renewer runs; guarded by backupMu
	renewStop chan struct{}
	renewDone chan struct{}

	unsubscribe func()
	notify      chan struct{}
	kick        chan struct{} // continuous mode: a change is pending
	stop        chan struct{}
	done        chan struct{} // the loop ended
	stopped     chan struct{} // Stop finished
}

// NewManager returns a Manager that backs db up to s. It starts following
// db's changes at once; Start begins the automatic backups.
func NewManager(db *dictdb.DB, s sink.Sink, opts Options) (*Manager, error) {
	if db == nil || s == nil {
		return nil, errors.New("backup: NewManager needs a database and a sink")
	}
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	m := &Manager{
		db:        db,
		sink:      s,
		opts:      o,
		writer:    catalog.NewID(),
		now:       time.Now,
		pending:   newPending(),
		durableCh: make(chan struct{}),
		attempted: map[string]bool{},
		renewStop: make(chan struct{}),
		renewDone: make(chan struct{}),
		notify:    make(chan struct{}, 1),
		kick:      make(chan struct{}, 1),
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
		stopped:   make(chan struct{}),
	}
	if o.Now != nil {
		m.now, m.clock.Now = o.Now, o.Now
	}
	m.startSeq, m.unsubscribe = db.Subscribe(m.observe)
	m.observedSeq = m.startSeq
	return m, nil
}

// continuous reports whether the manager writes continuously (MaxLag).
func (m *Manager) continuous() bool { return m.opts.MaxLag > 0 }

func (m *Manager) observe(cs dictdb.ChangeSet) {
	m.mu.Lock()
	m.pending.observe(cs)
	m.observedSeq = cs.Seq
	if m.opts.MaxLag > 0 && m.firstPending.IsZero() {
		m.firstPending = time.Now()
		select {
		case m.kick <- struct{}{}:
		default:
		}
	}
	m.mu.Unlock()
}

// advanceDurable notes that every change set up to seq is in the sink, and
// wakes the waiters. m.mu must be held.
func (m *Manager) advanceDurable(seq uint64) {
	if seq > m.durableSeq {
		m.durableSeq = seq
		close(m.durableCh)
		m.durableCh = make(chan struct{})
	}
}

// Start begins periodic and change-triggered backups in a goroutine. A
// second Start, or a Start after Stop, is an error.
func (m *Manager) Start() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopping {
		return ErrStopped
	}
	if m.started {
		return ErrStarted
	}
	m.started = true
	go m.loop()
	return nil
}

// Stop ends the automatic backups, waits for a backup in progress, runs a
// change-triggered backup that NotifyChange asked for and that has not run
// yet (deferred by MinInterval, or requested before Start), and stops
// following the database. In continuous mode it first writes what is
// pending, within ShutdownTimeout (a failure goes to OnFailure). It then
// releases the lease, so that another writer may take the prefix over at
// once. Later backups return ErrStopped, and so do the WaitDurable calls
// still waiting. Stop is safe to call more than once and from several
// goroutines: every call returns only once the first has finished, so no
// backup is in flight after any Stop. Close also flushes, in every mode.
func (m *Manager) Stop() {
	m.mu.Lock()
	if m.stopping {
		m.mu.Unlock()
		<-m.stopped
		return
	}
	m.stopping = true
	started := m.started
	m.mu.Unlock()
	defer close(m.stopped)
	if started {
		close(m.stop)
	} else {
		if m.takeNotification() {
			_ = m.BackupNow(context.Background())
		}
		close(m.done)
	}
	<-m.done
	m.backupMu.Lock() // wait for a manual backup in progress
	m.mu.Lock()
	m.closed = true
	close(m.durableCh) // wake the waiters: they see closed
	m.durableCh = make(chan struct{})
	m.mu.Unlock()
	m.unsubscribe()
	close(m.renewStop)
	if m.renewing {
		<-m.renewDone
	}
	if m.lease != nil {
		ctx, cancel := context.WithTimeout(context.Background(), m.opts.ShutdownTimeout)
		if err := m.lease.release(ctx); err != nil {
			if l := m.opts.Logger; l != nil {
				l.Warn("lease release failed", "error", err)
			}
		}
		cancel()
	}
	m.backupMu.Unlock()
}

// NotifyChange asks for a backup soon: at once if MinInterval has passed
// since the last backup, otherwise when it has. It never blocks. Before
// Start, the request waits for Start.
func (m *Manager) NotifyChange() {
	select {
	case m.notify <- struct{}{}:
	default: // one is already queued
	}
}

// takeNotification consumes a queued NotifyChange and reports whether there
// was one.
func (m *Manager) takeNotification() bool {
	select {
	case <-m.notify:
		return true
	default:
		return false
	}
}

// ConsecutiveFailures returns the number of backups that failed since the
// last successful one.
func (m *Manager) ConsecutiveFailures() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.failures
}

// DeltasSinceFull returns the number of deltas written since the last full
// backup.
func (m *Manager) DeltasSinceFull() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.deltas
}

// PendingChanges returns the number of record changes (coalesced per key)
// not yet in a successful backup.
func (m *Manager) PendingChanges() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.pending.count()
}

type kind int

const (
	auto kind = iota
	full
	delta
)

// BackupNow takes the backup that is due: a full backup, or in incremental
// mode a delta, unless the chain has no full backup yet or
// MaxDeltasBeforeFull deltas already follow it. When nothing changed since
// the last backup, it writes nothing.
func (m *Manager) BackupNow(ctx context.Context) error { return m.run(ctx, auto, 0) }

// BackupFull writes a full backup, which starts a new chain, even if nothing
// changed.
func (m *Manager) BackupFull(ctx context.Context) error { return m.run(ctx, full, 0) }

// BackupDelta writes a delta of the changes since the previous backup, in any
// mode; if there is no full backup to build on yet, it writes a full one. A
// delta with no changes is not written.
func (m *Manager) BackupDelta(ctx context.Context) error { return m.run(ctx, delta, 0) }

// run takes a backup of kind k, unless target is set and every change set
// up to it is durable by the time this backup's turn comes.
func (m *Manager) run(ctx context.Context, k kind, target uint64) error {
	start := time.Now()
	m.backupMu.Lock()
	m.attempt = attempt{}
	err := m.backupLocked(ctx, k, target)
	a := m.attempt
	m.backupMu.Unlock()
	if errors.Is(err, ErrStopped) {
		return err
	}
	m.mu.Lock()
	m.last = time.Now()
	var ev Event
	if a.key != "" || err != nil {
		if a.kind == "" {
			a.kind = "check"
		}
		ev = m.record(a, start, err)
	}
	if err == nil {
		m.failures = 0
		m.mu.Unlock()
		if a.key != "" {
			m.report(ev)
		}
		return nil
	}
	m.failures++
	n := m.failures
	m.mu.Unlock()
	m.report(ev)
	if m.opts.OnFailure != nil {
		m.opts.OnFailure(err, n)
	}
	return err
}

func (m *Manager) backupLocked(ctx context.Context, k kind, target uint64) error {
	m.mu.Lock()
	closed, durable := m.closed, m.durableSeq
	m.mu.Unlock()
	if closed {
		return ErrStopped
	}
	if target > 0 && durable >= target {
		return nil // a backup that ran meanwhile holds it
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := m.prepare(ctx); err != nil {
		return err
	}
	m.mu.Lock()
	deltas := m.deltas // after prepare, which may continue a chain
	m.mu.Unlock()
	switch {
	case !m.haveBase, k == full:
		return m.full(ctx, k == full)
	case k == delta, m.opts.Incremental && deltas < m.opts.MaxDeltasBeforeFull:
		return m.delta(ctx)
	default:
		return m.full(ctx, false)
	}
}

func (m *Manager) full(ctx context.Context, force bool) error {
	snap := m.db.Snapshot()
	if !force && m.haveBase && snap.Seq == m.backupSeq {
		return nil // nothing changed since the last backup
	}
	micros := m.clock.Next()
	chain := catalog.NewID()
	enc := m.encoding()
	key := catalog.Key(catalog.Full, micros, enc)
	h := catalog.Header{Kind: catalog.Full, Codec: enc.Format, Compression: enc.Compression, Encrypted: enc.Encrypted,
		Chain: chain, Writer: m.writer, Seq: snap.Seq, Timestamp: catalog.Seconds(micros)}
	m.attempt = attempt{kind: string(catalog.Full), key: key}
	err := m.put(ctx, key, m.writeObject(func(w io.Writer) error {
		return snap.Encode(w, enc.Format, h.Meta())
	}))
	if err != nil {
		// The object may be stored all the same (a Put can fail after its
		// commit). A delta of the old chain after it would not fit the
		// newest full backup, so the next backup is a full one: either
		// way the newest full backup then begins a clean chain.
		m.haveBase = false
		return err
	}
	m.wrote(key, h)
	m.mu.Lock()
	m.pending.retire(snap.Seq)
	if m.pending.empty() {
		m.firstPending = time.Time{}
	}
	m.deltas = 0
	m.advanceDurable(snap.Seq)
	m.mu.Unlock()
	m.haveBase, m.chain, m.base, m.backupSeq = true, chain, key, snap.Seq
	if !m.opts.Retention.IsZero() {
		m.prune(ctx)
	}
	return nil
}

// wrote records the object just written in the manager's catalog.
func (m *Manager) wrote(key string, h catalog.Header) {
	if n, ok := catalog.Parse(key); ok {
		m.cat.Add(n, m.attempt.bytes, h)
	}
}

// prune applies the Retention after a full backup, on the manager's
// catalog: one listing, and no header read twice. A failed prune does not
// fail the backup: it is logged and kept in the stats.
func (m *Manager) prune(ctx context.Context) {
	err := m.cat.Refresh(ctx)
	if err == nil {
		err = m.cat.ReadHeaders(ctx)
	}
	var res *PruneResult
	if err == nil {
		res, err = pruneCatalog(ctx, m.sink, m.cat, m.opts.Retention, PruneOptions{Identities: m.identities()})
	}
	if err != nil {
		err = fmt.Errorf("backup: prune: %w", err)
	}
	m.mu.Lock()
	if res != nil {
		m.stats.pruned += int64(len(res.Deleted))
	}
	m.stats.pruneErr = err
	m.mu.Unlock()
	if l := m.opts.Logger; err != nil && l != nil {
		l.Warn("prune failed", "error", err)
	}
}

func (m *Manager) delta(ctx context.Context) error {
	m.mu.Lock()
	p := m.pending
	if p.empty() {
		m.advanceDurable(m.observedSeq) // nothing to write: all of it is there
		m.mu.Unlock()
		return nil
	}
	m.pending = newPending()
	covered, first := m.observedSeq, m.firstPending
	m.firstPending = time.Time{}
	m.mu.Unlock()

	micros := m.clock.Next()
	enc := m.encoding()
	key := catalog.Key(catalog.Delta, micros, enc)
	h := catalog.Header{
		Kind: catalog.Delta, Codec: enc.Format, Compression: enc.Compression, Encrypted: enc.Encrypted,
		Chain: m.chain, Writer: m.writer, Base: m.base, FromSeq: m.backupSeq, Seq: p.maxSeq, Timestamp: catalog.Seconds(micros),
	}
	d := p.delta()
	m.attempt = attempt{kind: string(catalog.Delta), key: key}
	err := m.put(ctx, key, m.writeObject(func(w io.Writer) error {
		return dictdb.EncodeDelta(w, enc.Format, d, h.Meta())
	}))
	if err != nil {
		// The changes go into the next delta, which starts where this one
		// did. If this one was stored all the same (a Put can fail after its
		// commit), the next one supersedes it: restore accepts a delta that
		// starts at an earlier point when the same writer wrote every delta
		// since (catalog.Header.Writer).
		m.mu.Lock()
		m.pending.mergeOlder(p)
		if !first.IsZero() && (m.firstPending.IsZero() || first.Before(m.firstPending)) {
			m.firstPending = first
		}
		m.mu.Unlock()
		return err
	}
	m.wrote(key, h)
	m.mu.Lock()
	m.deltas++
	m.advanceDurable(covered)
	m.mu.Unlock()
	m.backupSeq = p.maxSeq
	return nil
}
