package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"filippo.io/age"

	"github.com/dictdb/dictdb-go/catalog"
	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/internal/object"
	"github.com/dictdb/dictdb-go/sink"
)

// Defaults, those of the Python DictDB's BackupManager.
const (
	DefaultInterval            = 300 * time.Second
	DefaultMinInterval         = 5 * time.Second
	DefaultFormat              = dictdb.FormatJSON
	DefaultMaxDeltasBeforeFull = 10
)

// Errors of the Manager's lifecycle.
var (
	// ErrStarted is returned by a second Start.
	ErrStarted = errors.New("backup: manager already started")
	// ErrStopped is returned by Start and by backups after Stop.
	ErrStopped = errors.New("backup: manager stopped")
	// ErrOtherWriter is returned by a backup when another writer added
	// objects to the sink since this manager's last backup.
	ErrOtherWriter = errors.New("backup: another writer is using this sink")
)

// Options configure a Manager. The zero value of each field means its
// default.
type Options struct {
	// Interval between periodic backups (default 5 minutes). Negative
	// disables periodic backups.
	Interval time.Duration
	// Format of the backup objects (default JSON).
	Format dictdb.Format
	// MinInterval is the least time between a backup and a backup triggered
	// by NotifyChange (default 5 s). A notification that comes sooner is
	// deferred until the interval ends, never dropped. Negative: no wait.
	MinInterval time.Duration
	// OnFailure, if set, is called after every failed backup, manual or
	// automatic, with the error and the number of consecutive failures.
	// It runs in the goroutine that ran the backup, with no lock held.
	OnFailure func(err error, consecutive int)
	// Incremental makes BackupNow and the automatic backups write deltas
	// (the changes since the previous backup) between full backups.
	Incremental bool
	// MaxDeltasBeforeFull is how many deltas follow a full backup before the
	// next backup is a full one again (default 10).
	MaxDeltasBeforeFull int
	// Compression of the backup objects: CompressionNone (the default, so
	// JSON backups stay readable by the Python DictDB), CompressionZstd or
	// CompressionGzip. It is recorded in each object's name and header.
	Compression Compression
	// Encryption, if set, encrypts every object with age before it reaches
	// the sink.
	Encryption *Encryption
	// Retention, if set, prunes the backup points it does not keep after
	// each full backup, as Prune does. The zero value keeps everything.
	Retention Retention
	// Logger receives a structured record of every backup attempt and
	// prune (default: none). Keys are never logged.
	Logger *slog.Logger
	// OnBackup, if set, is called after every backup attempt that wrote or
	// tried to write an object, successful or not, with no lock held.
	OnBackup func(Event)
}

// Compression names how backup objects are compressed: see
// catalog.Compression.
type Compression = catalog.Compression

// The compressions.
const (
	CompressionNone = catalog.CompressionNone
	// CompressionZstd is Zstandard (klauspost/compress), the best speed and
	// ratio; objects end in .zst.
	CompressionZstd = catalog.CompressionZstd
	// CompressionGzip is gzip, readable by every tool; objects end in .gz.
	CompressionGzip = catalog.CompressionGzip
)

// Encryption encrypts backup objects with age (filippo.io/age) on the way
// to the sink: no plaintext byte is stored, names aside.
type Encryption struct {
	// Recipients can decrypt the backups: age X25519 public keys
	// (age.ParseRecipients) or one age.NewScryptRecipient for a passphrase.
	Recipients []age.Recipient
	// Identities, optional, let the manager read back the headers of the
	// objects in the sink: to continue a restored database's chain, and to
	// apply Retention (which needs them). They are never logged.
	Identities []age.Identity
}

// EncryptWithPassphrase returns an Encryption with a passphrase: its scrypt
// recipient and identity. Every object then costs one scrypt derivation to
// write and one to read (about a second each with age's default work
// factor); prefer X25519 keys for frequent backups.
func EncryptWithPassphrase(passphrase string) (*Encryption, error) {
	r, err := age.NewScryptRecipient(passphrase)
	if err != nil {
		return nil, fmt.Errorf("backup: passphrase: %w", err)
	}
	id, err := age.NewScryptIdentity(passphrase)
	if err != nil {
		return nil, fmt.Errorf("backup: passphrase: %w", err)
	}
	return &Encryption{Recipients: []age.Recipient{r}, Identities: []age.Identity{id}}, nil
}

func (o Options) withDefaults() (Options, error) {
	if o.Interval == 0 {
		o.Interval = DefaultInterval
	}
	if o.MinInterval == 0 {
		o.MinInterval = DefaultMinInterval
	}
	if o.Format == "" {
		o.Format = DefaultFormat
	}
	if err := o.Format.Check(); err != nil {
		return o, fmt.Errorf("backup: options: %w", err)
	}
	if o.MaxDeltasBeforeFull == 0 {
		o.MaxDeltasBeforeFull = DefaultMaxDeltasBeforeFull
	}
	if o.MaxDeltasBeforeFull < 0 {
		return o, fmt.Errorf("backup: options: MaxDeltasBeforeFull must not be negative, got %d", o.MaxDeltasBeforeFull)
	}
	if err := o.Compression.Check(); err != nil {
		return o, fmt.Errorf("backup: options: %w", err)
	}
	if o.Encryption != nil && len(o.Encryption.Recipients) == 0 {
		return o, errors.New("backup: options: Encryption needs at least one recipient")
	}
	if err := o.Retention.check(); err != nil {
		return o, fmt.Errorf("backup: options: %w", err)
	}
	if !o.Retention.IsZero() && o.Encryption != nil && len(o.Encryption.Identities) == 0 {
		return o, errors.New("backup: options: Retention with Encryption needs Encryption.Identities to read the backups' headers")
	}
	return o, nil
}

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
	writer string // this manager's id, in every object it writes

	mu       sync.Mutex // guards the fields below
	pending  *pending
	failures int
	deltas   int // deltas since the last full backup
	last     time.Time
	started  bool
	stopping bool // Stop was called
	closed   bool // no more backups

	backupMu  sync.Mutex      // serializes backups; guards the chain state
	listed    bool            // the sink's names were read into clock
	checked   int64           // every object up to this time is accounted for
	attempted map[string]bool // keys this manager tried to write since the last check
	startSeq  uint64          // the database's sequence number when the manager subscribed
	haveBase  bool            // a full backup of this manager's chain exists
	chain     string
	base      string
	backupSeq uint64 // sequence number of the last successful backup

	stats   stats   // guarded by mu
	attempt attempt // what the current backup tries to write; guarded by backupMu

	unsubscribe func()
	notify      chan struct{}
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
		db:      db,
		sink:    s,
		opts:    o,
		writer:  catalog.NewID(),
		pending: newPending(),
		notify:  make(chan struct{}, 1),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	m.attempted = map[string]bool{}
	m.startSeq, m.unsubscribe = db.Subscribe(m.observe)
	return m, nil
}

func (m *Manager) observe(cs dictdb.ChangeSet) {
	m.mu.Lock()
	m.pending.observe(cs)
	m.mu.Unlock()
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
// following the database. Later backups return ErrStopped. Stop is safe to
// call more than once and from several goroutines: every call returns only
// once the first has finished, so no backup is in flight after any Stop.
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
	m.mu.Unlock()
	m.unsubscribe()
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

func (m *Manager) loop() {
	defer close(m.done)
	var tick <-chan time.Time
	if m.opts.Interval > 0 {
		t := time.NewTicker(m.opts.Interval)
		defer t.Stop()
		tick = t.C
	}
	var deferred *time.Timer
	var deferredC <-chan time.Time
	ctx := context.Background()
	for {
		select {
		case <-m.stop:
			if deferred != nil {
				deferred.Stop()
				m.takeNotification()
				_ = m.BackupNow(ctx)
			} else if m.takeNotification() {
				_ = m.BackupNow(ctx)
			}
			return
		case <-tick:
			_ = m.BackupNow(ctx)
		case <-m.notify:
			if deferred != nil {
				continue // a backup is already due at the end of the interval
			}
			m.mu.Lock()
			wait := m.opts.MinInterval - time.Since(m.last)
			m.mu.Unlock()
			if wait <= 0 {
				_ = m.BackupNow(ctx)
				continue
			}
			deferred = time.NewTimer(wait)
			deferredC = deferred.C
		case <-deferredC:
			deferred, deferredC = nil, nil
			_ = m.BackupNow(ctx)
		}
	}
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
func (m *Manager) BackupNow(ctx context.Context) error { return m.run(ctx, auto) }

// BackupFull writes a full backup, which starts a new chain, even if nothing
// changed.
func (m *Manager) BackupFull(ctx context.Context) error { return m.run(ctx, full) }

// BackupDelta writes a delta of the changes since the previous backup, in any
// mode; if there is no full backup to build on yet, it writes a full one. A
// delta with no changes is not written.
func (m *Manager) BackupDelta(ctx context.Context) error { return m.run(ctx, delta) }

func (m *Manager) run(ctx context.Context, k kind) error {
	start := time.Now()
	m.backupMu.Lock()
	m.attempt = attempt{}
	err := m.backupLocked(ctx, k)
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

func (m *Manager) backupLocked(ctx context.Context, k kind) error {
	m.mu.Lock()
	closed := m.closed
	m.mu.Unlock()
	if closed {
		return ErrStopped
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := m.checkSink(ctx); err != nil {
		return err
	}
	m.mu.Lock()
	deltas := m.deltas // after checkSink, which may continue a chain
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

// encoding returns how the manager stores objects.
func (m *Manager) encoding() catalog.Encoding {
	return catalog.Encoding{Format: m.opts.Format, Compression: m.opts.Compression, Encrypted: m.opts.Encryption != nil}
}

// writeObject returns the function that streams an object into w: encode
// writes the content, which goes through the checksum, the compression and
// the encryption.
func (m *Manager) writeObject(encode func(io.Writer) error) func(io.Writer) error {
	return func(w io.Writer) error {
		var recipients []age.Recipient
		if m.opts.Encryption != nil {
			recipients = m.opts.Encryption.Recipients
		}
		enc := m.encoding()
		ow, err := object.NewWriter(w, object.Layers{Compression: object.Compression(enc.Compression), Encrypted: enc.Encrypted}, recipients)
		if err != nil {
			return err
		}
		if err := encode(ow); err != nil {
			return err
		}
		return ow.Close()
	}
}

// identities returns the identities that open the manager's own objects.
func (m *Manager) identities() []age.Identity {
	if m.opts.Encryption == nil {
		return nil
	}
	return m.opts.Encryption.Identities
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
	m.mu.Lock()
	m.pending.retire(snap.Seq)
	m.deltas = 0
	m.mu.Unlock()
	m.haveBase, m.chain, m.base, m.backupSeq = true, chain, key, snap.Seq
	if !m.opts.Retention.IsZero() {
		// A failed prune does not fail the backup: it is logged and kept
		// in the stats.
		res, perr := Prune(ctx, m.sink, m.opts.Retention, PruneOptions{Identities: m.identities()})
		m.mu.Lock()
		if res != nil {
			m.stats.pruned += int64(len(res.Deleted))
		}
		m.stats.pruneErr = perr
		m.mu.Unlock()
		if l := m.opts.Logger; perr != nil && l != nil {
			l.Warn("prune failed", "error", perr)
		}
	}
	return nil
}

func (m *Manager) delta(ctx context.Context) error {
	m.mu.Lock()
	p := m.pending
	if p.empty() {
		m.mu.Unlock()
		return nil
	}
	m.pending = newPending()
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
		m.mu.Unlock()
		return err
	}
	m.mu.Lock()
	m.deltas++
	m.mu.Unlock()
	m.backupSeq = p.maxSeq
	return nil
}

// put streams what encode writes into the sink under key. The reader it
// passes can start over (io.Seeker), by encoding again, so a retrying sink
// can retry the upload.
func (m *Manager) put(ctx context.Context, key string, encode func(io.Writer) error) error {
	m.attempted[key] = true // even a failed put may have stored the object
	er := &encodingReader{encode: encode}
	er.start()
	cr := &countingReader{r: er}
	err := m.sink.Put(ctx, key, cr)
	m.attempt.bytes = cr.n
	if eerr := er.close(); eerr != nil {
		return fmt.Errorf("backup: encode %s: %w", key, eerr)
	}
	if err != nil {
		return fmt.Errorf("backup: put %s: %w", key, err)
	}
	return nil
}

// encodingReader reads what an encoder writes, through a buffered pipe fed
// by a goroutine, so that encoding and the sink's writing overlap.
// Seek(0, io.SeekStart) stops the encoder and starts it again.
type encodingReader struct {
	encode func(io.Writer) error
	pipe   *chunkPipe
	done   chan error
}

var errReaderDone = errors.New("backup: reader closed")

func (e *encodingReader) start() {
	p := newChunkPipe()
	done := make(chan error, 1)
	go func() {
		err := e.encode(p)
		p.closeWrite(err)
		done <- err
	}()
	e.pipe, e.done = p, done
}

// stop ends the current encoding and returns its error, if it was not
// caused by the stop.
func (e *encodingReader) stop() error {
	e.pipe.stop() // unblocks the encoder if nobody reads
	if err := <-e.done; err != nil && !errors.Is(err, errReaderDone) {
		return err
	}
	return nil
}

func (e *encodingReader) Read(p []byte) (int, error) { return e.pipe.Read(p) }

// Seek supports only Seek(0, io.SeekStart): encoding starts over.
func (e *encodingReader) Seek(offset int64, whence int) (int64, error) {
	if offset != 0 || whence != io.SeekStart {
		return 0, errors.New("backup: encoding reader can only seek to its start")
	}
	if err := e.stop(); err != nil {
		return 0, err
	}
	e.start()
	return 0, nil
}

func (e *encodingReader) close() error { return e.stop() }
