package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/dictdb/dictdbtest"
	"github.com/dictdb/dictdb-go/restore"
	"github.com/dictdb/dictdb-go/sink"
	"github.com/dictdb/dictdb-go/sink/local"
	"github.com/dictdb/dictdb-go/sink/mem"
	"github.com/dictdb/dictdb-go/sink/sinktest"
)

// Every write whose WaitDurable returned is in the restore of a fresh
// handle on the sink, with 8 writers at once; and they share PUTs.
func TestWaitDurableWritesAreRestored(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := local.New(dir)
	require.NoError(t, err)
	cs := sinktest.NewCounting(s)
	db := dictdb.New()
	tb, err := db.CreateTable("t", dictdb.WithPrimaryKey("k"))
	require.NoError(t, err)
	m, err := NewManager(db, cs, Options{MaxLag: 20 * time.Millisecond, Interval: -1})
	require.NoError(t, err)
	require.NoError(t, m.Start())
	defer m.Stop()

	const writers, each = 8, 25
	var durable sync.Map // key -> value, once WaitDurable returned
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				key := fmt.Sprintf("w%d-%d", w, i)
				_, err := tb.Upsert(dictdb.Record{"k": key, "v": i})
				if !assert.NoError(t, err) {
					return
				}
				if assert.NoError(t, m.WaitDurable(ctx, db.Sequence())) {
					durable.Store(key, int64(i))
				}
			}
		}()
	}
	wg.Wait()

	fresh, err := local.New(dir)
	require.NoError(t, err)
	got, err := restore.Latest(ctx, fresh)
	require.NoError(t, err)
	gt, err := got.Table("t")
	require.NoError(t, err)
	n := 0
	durable.Range(func(k, v any) bool {
		n++
		rec, ok := gt.Get(k.(string))
		if assert.True(t, ok, "durable write %s is restored", k) {
			assert.Equal(t, v, rec["v"])
		}
		return true
	})
	assert.Equal(t, writers*each, n)
	puts := cs.Puts.Load()
	t.Logf("%d durable writes, %s", n, cs)
	assert.Less(t, puts, int64(n/2), "writers share PUTs (group commit)")
}

// gatedSink holds Puts until the gate opens, counting them.
type gatedSink struct {
	sink.Sink
	gate    chan struct{}
	entered chan struct{}
	puts    atomic.Int64
}

func (g *gatedSink) Put(ctx context.Context, key string, r io.Reader) error {
	g.puts.Add(1)
	select {
	case g.entered <- struct{}{}:
	default:
	}
	<-g.gate
	return g.Sink.Put(ctx, key, r)
}

// Concurrent Flush calls share writes: while one write is in Put, every
// other caller's changes go into the next one, and no caller writes alone.
func TestConcurrentFlushesShareWrites(t *testing.T) {
	ctx := context.Background()
	gs := &gatedSink{Sink: plainSink{mem.New()}, gate: make(chan struct{}), entered: make(chan struct{}, 1)}
	db := dictdb.New()
	tb, _ := db.CreateTable("t")
	m, err := NewManager(db, gs, Options{Interval: -1, Incremental: true})
	require.NoError(t, err)
	defer m.Stop()
	_, _ = tb.Insert(dictdb.Record{"v": 0})
	first := make(chan error, 1)
	go func() { first <- m.Flush(ctx) }()
	<-gs.entered // the first write is in Put

	const callers = 10
	errs := make(chan error, callers)
	for i := range callers {
		_, err := tb.Insert(dictdb.Record{"v": i + 1})
		require.NoError(t, err)
		go func() { errs <- m.Flush(ctx) }()
	}
	time.Sleep(20 * time.Millisecond) // let them queue behind the first write
	close(gs.gate)
	require.NoError(t, <-first)
	for range callers {
		require.NoError(t, <-errs)
	}
	assert.LessOrEqual(t, gs.puts.Load(), int64(3), "one write for the first caller, then shared ones")
	assert.Equal(t, db.Sequence(), m.DurableSequence())
	got, err := restore.Latest(ctx, gs)
	require.NoError(t, err)
	require.NoError(t, dictdbtest.Diff(db, got))
}

// After the first backup, a manager sends no LIST and no GET: 200 deltas
// cost 200 PUTs.
func TestDeltasCostOnePutEach(t *testing.T) {
	ctx := context.Background()
	cs := sinktest.NewCounting(mem.New())
	db := dictdb.New()
	tb, _ := db.CreateTable("t")
	m, err := NewManager(db, cs, Options{Interval: -1, Incremental: true, MaxDeltasBeforeFull: 1000})
	require.NoError(t, err)
	defer m.Stop()
	_, _ = tb.Insert(dictdb.Record{"v": 0})
	require.NoError(t, m.BackupNow(ctx))
	t.Logf("the first backup: %s", cs)
	assert.Equal(t, int64(1), cs.Lists.Load(), "the first backup lists once")
	cs.Reset()
	for i := range 200 {
		_, _ = tb.Insert(dictdb.Record{"v": i})
		require.NoError(t, m.BackupNow(ctx))
	}
	assert.Equal(t, int64(200), cs.Puts.Load(), cs.String())
	assert.Zero(t, cs.Lists.Load(), cs.String())
	assert.Zero(t, cs.Gets.Load(), cs.String())
	assert.Zero(t, cs.GetVersions.Load(), cs.String())
	assert.LessOrEqual(t, cs.PutIfs.Load(), int64(1), "lease renewals only: %s", cs)
	got, err := restore.Latest(ctx, cs)
	require.NoError(t, err)
	require.NoError(t, dictdbtest.Diff(db, got))
}

// With Retention, each prune lists once and reads no header the manager
// knows: those it wrote.
func TestPruneReadsNoHeaderTwice(t *testing.T) {
	ctx := context.Background()
	cs := sinktest.NewCounting(mem.New())
	db := dictdb.New()
	tb, _ := db.CreateTable("t")
	m, err := NewManager(db, cs, Options{Interval: -1, Incremental: true, MaxDeltasBeforeFull: 4, Retention: Retention{KeepLast: 3}})
	require.NoError(t, err)
	defer m.Stop()
	_, _ = tb.Insert(dictdb.Record{"v": 0})
	require.NoError(t, m.BackupNow(ctx))
	cs.Reset()
	const backups = 50
	for i := range backups {
		_, _ = tb.Insert(dictdb.Record{"v": i})
		require.NoError(t, m.BackupNow(ctx))
	}
	fulls := int64(backups / 5)
	assert.Equal(t, fulls, cs.Lists.Load(), "one listing per prune, one prune per full backup: %s", cs)
	assert.Zero(t, cs.Gets.Load(), "no header read: the manager wrote them all: %s", cs)
	assert.Positive(t, cs.Deletes.Load())
	got, err := restore.Latest(ctx, cs)
	require.NoError(t, err)
	require.NoError(t, dictdbtest.Diff(db, got))
}

// Stop in continuous mode writes what is pending: the sink then equals the
// live database.
func TestStopFlushesInContinuousMode(t *testing.T) {
	ctx := context.Background()
	s := mem.New()
	db := dictdb.New()
	tb, _ := db.CreateTable("t")
	m, err := NewManager(db, s, Options{MaxLag: time.Hour, Interval: -1})
	require.NoError(t, err)
	require.NoError(t, m.Start())
	for i := range 100 {
		_, _ = tb.Insert(dictdb.Record{"v": i})
	}
	m.Stop()
	got, err := restore.Latest(ctx, s)
	require.NoError(t, err)
	require.NoError(t, dictdbtest.Diff(db, got))
	assert.Equal(t, db.Sequence(), m.DurableSequence())
}

// Close flushes in every mode, and returns the flush's error.
func TestCloseFlushes(t *testing.T) {
	ctx := context.Background()
	for _, incremental := range []bool{false, true} {
		s := mem.New()
		db := dictdb.New()
		tb, _ := db.CreateTable("t")
		m, err := NewManager(db, s, Options{Interval: -1, Incremental: incremental})
		require.NoError(t, err)
		_, _ = tb.Insert(dictdb.Record{"v": 1})
		require.NoError(t, m.Close(ctx))
		got, err := restore.Latest(ctx, s)
		require.NoError(t, err)
		require.NoError(t, dictdbtest.Diff(db, got))
		require.ErrorIs(t, m.BackupNow(ctx), ErrStopped)
	}
	f := sinktest.NewFaulty(mem.New(), 1)
	db := dictdb.New()
	_, _ = db.CreateTable("t")
	m, err := NewManager(db, f, Options{Interval: -1, LeaseTTL: -1})
	require.NoError(t, err)
	f.FailNextPuts(1)
	require.ErrorIs(t, m.Close(ctx), sinktest.ErrInjected)
}

// A flush that fails leaves the change pending: WaitDurable waits for the
// retry, and returns only once the change is in the sink.
func TestWaitDurableOutlastsFailedFlushes(t *testing.T) {
	ctx := context.Background()
	inner := mem.New()
	f := sinktest.NewFaulty(inner, 1)
	db := dictdb.New()
	tb, _ := db.CreateTable("t")
	var failures atomic.Int64
	m, err := NewManager(db, f, Options{MaxLag: 5 * time.Millisecond, Interval: -1, LeaseTTL: -1,
		OnFailure: func(error, int) { failures.Add(1) }})
	require.NoError(t, err)
	require.NoError(t, m.Start())
	defer m.Stop()
	_, _ = tb.Insert(dictdb.Record{"v": 1})
	require.NoError(t, m.WaitDurable(ctx, db.Sequence()))
	f.FailNextPuts(3)
	_, _ = tb.Insert(dictdb.Record{"v": 2})
	seq := db.Sequence()
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	require.NoError(t, m.WaitDurable(wctx, seq))
	assert.Equal(t, int64(3), failures.Load(), "three flushes failed first")
	got, err := restore.Latest(ctx, inner)
	require.NoError(t, err)
	require.NoError(t, dictdbtest.Diff(db, got))
}

// WaitDurable returns with ctx's error, or ErrStopped when the manager
// stops first; it forces no write.
func TestWaitDurableEnds(t *testing.T) {
	ctx := context.Background()
	cs := sinktest.NewCounting(mem.New())
	db := dictdb.New()
	tb, _ := db.CreateTable("t")
	m, err := NewManager(db, cs, Options{Interval: -1})
	require.NoError(t, err)
	_, _ = tb.Insert(dictdb.Record{"v": 1})
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	err = m.WaitDurable(short, db.Sequence())
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Zero(t, cs.Puts.Load()+cs.PutIfs.Load(), "WaitDurable writes nothing")

	done := make(chan error, 1)
	go func() { done <- m.WaitDurable(ctx, db.Sequence()) }()
	m.Stop()
	err = <-done
	require.ErrorIs(t, err, ErrStopped)
	assert.True(t, errors.Is(err, ErrStopped))
}

// In continuous mode nothing is written while nothing changes, and a burst
// of changes becomes one delta.
func TestContinuousModeGroupsAndIdles(t *testing.T) {
	ctx := context.Background()
	cs := sinktest.NewCounting(mem.New())
	db := dictdb.New()
	tb, _ := db.CreateTable("t")
	m, err := NewManager(db, cs, Options{MaxLag: 30 * time.Millisecond, Interval: -1})
	require.NoError(t, err)
	require.NoError(t, m.Start())
	defer m.Stop()
	_, _ = tb.Insert(dictdb.Record{"v": 0})
	require.NoError(t, m.WaitDurable(ctx, db.Sequence()))
	cs.Reset()
	for i := range 500 {
		_, _ = tb.Insert(dictdb.Record{"v": i})
	}
	require.NoError(t, m.WaitDurable(ctx, db.Sequence()))
	assert.LessOrEqual(t, cs.Puts.Load(), int64(3), "a burst is one delta, or a few: %s", cs)
	cs.Reset()
	time.Sleep(100 * time.Millisecond) // idle: MaxLag passes three times
	assert.Zero(t, cs.Puts.Load(), "nothing written while nothing changes")
	got, err := restore.Latest(ctx, cs)
	require.NoError(t, err)
	require.NoError(t, dictdbtest.Diff(db, got))
}
