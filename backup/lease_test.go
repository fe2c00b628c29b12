package backup

import (
	"context"
	"encoding/json"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/dictdb/dictdbtest"
	"github.com/dictdb/dictdb-go/restore"
	"github.com/dictdb/dictdb-go/sink"
	"github.com/dictdb/dictdb-go/sink/mem"
	"github.com/dictdb/dictdb-go/sink/sinktest"
)

// skewedClock is a clock that can be moved forward, for a manager whose
// lease must look expired without waiting for it.
type skewedClock struct{ ahead atomic.Int64 }

func (c *skewedClock) now() time.Time       { return time.Now().Add(time.Duration(c.ahead.Load())) }
func (c *skewedClock) jump(d time.Duration) { c.ahead.Add(int64(d)) }

// writerOn returns a database with a table and a manager on s whose lease
// clock is clk.
func writerOn(t *testing.T, s sink.Sink, clk *skewedClock, opts Options) (*dictdb.DB, *dictdb.Table, *Manager) {
	t.Helper()
	db := dictdb.New()
	tb, err := db.CreateTable("t")
	require.NoError(t, err)
	if opts.Interval == 0 {
		opts.Interval = -1
	}
	opts.Incremental = true
	m, err := NewManager(db, s, opts)
	require.NoError(t, err)
	m.now = clk.now
	t.Cleanup(m.Stop)
	return db, tb, m
}

func readLease(t *testing.T, s sink.Sink) leaseRecord {
	t.Helper()
	rc, err := s.Get(context.Background(), LeaseKey)
	require.NoError(t, err)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	var r leaseRecord
	require.NoError(t, json.Unmarshal(b, &r))
	return r
}

// The lease scenarios on one sink: refusal while held, takeover after a
// release or an expiry, fencing of the writer that lost it, and a restore
// that never includes what the fenced writer wrote after the takeover.
func testLeaseScenarios(t *testing.T, newSink func(t *testing.T) sink.Sink) {
	ctx := context.Background()
	t.Run("a second writer is refused while the lease is held", func(t *testing.T) {
		s := newSink(t)
		var c1, c2 skewedClock
		_, t1, m1 := writerOn(t, s, &c1, Options{})
		_, t2, m2 := writerOn(t, s, &c2, Options{})
		_, _ = t1.Insert(dictdb.Record{"v": 1})
		require.NoError(t, m1.BackupNow(ctx))
		before, err := sinktest.ListBut(ctx, s, LeaseKey)
		require.NoError(t, err)
		_, _ = t2.Insert(dictdb.Record{"v": 2})
		err = m2.BackupNow(ctx)
		require.ErrorIs(t, err, ErrOtherWriter)
		assert.Contains(t, err.Error(), m1.writer, "names the holder")
		after, err := sinktest.ListBut(ctx, s, LeaseKey)
		require.NoError(t, err)
		assert.Equal(t, before, after, "the refused writer wrote nothing")
		assert.Equal(t, m1.writer, readLease(t, s).Writer)

		// Released by Stop: taken over at once.
		m1.Stop()
		assert.True(t, readLease(t, s).Released)
		require.NoError(t, m2.BackupNow(ctx))
		assert.Equal(t, m2.writer, readLease(t, s).Writer)
	})
	t.Run("an expired lease is taken over, and its old holder is fenced", func(t *testing.T) {
		s := newSink(t)
		var c1, c2 skewedClock
		db1, t1, m1 := writerOn(t, s, &c1, Options{})
		db2, t2, m2 := writerOn(t, s, &c2, Options{})
		_, _ = t1.Insert(dictdb.Record{"v": 1})
		require.NoError(t, m1.BackupNow(ctx))
		_, _ = t1.Insert(dictdb.Record{"v": 2})
		require.NoError(t, m1.BackupNow(ctx))
		// m1 pauses (no renewal: its renewer is ten seconds away); by m2's
		// clock the lease expired.
		c2.jump(time.Minute)
		_, _ = t2.Insert(dictdb.Record{"w": 1})
		require.NoError(t, m2.BackupNow(ctx), "takes the expired lease over")
		assert.Equal(t, m2.writer, readLease(t, s).Writer)
		assert.Equal(t, "FDF", kinds(t, s), "a chain of its own: it starts with a full backup")

		// m1 wakes up; its clock says its lease expired too: fenced before
		// it writes anything.
		c1.jump(time.Minute)
		_, _ = t1.Insert(dictdb.Record{"v": 3})
		before, _ := sinktest.ListBut(ctx, s, LeaseKey)
		err := m1.BackupNow(ctx)
		require.ErrorIs(t, err, ErrOtherWriter)
		assert.Contains(t, err.Error(), "taken over")
		after, _ := sinktest.ListBut(ctx, s, LeaseKey)
		assert.Equal(t, before, after)
		err = m1.BackupNow(ctx)
		require.ErrorIs(t, err, ErrOtherWriter, "and on every later backup while m2 holds it")

		got, err := restore.Latest(ctx, s)
		require.NoError(t, err)
		require.NoError(t, dictdbtest.Diff(db2, got))
		_ = db1
	})
	t.Run("what a paused writer writes after the takeover is never restored", func(t *testing.T) {
		s := newSink(t)
		var c1, c2 skewedClock
		_, t1, m1 := writerOn(t, s, &c1, Options{})
		db2, t2, m2 := writerOn(t, s, &c2, Options{})
		_, _ = t1.Insert(dictdb.Record{"v": 1})
		require.NoError(t, m1.BackupNow(ctx))
		c2.jump(time.Minute)
		_, _ = t2.Insert(dictdb.Record{"w": 1})
		require.NoError(t, m2.BackupNow(ctx))
		// m1's clock says its lease is still good: it writes a delta with
		// no request first (the zombie case fencing cannot catch).
		_, _ = t1.Insert(dictdb.Record{"v": 2})
		require.NoError(t, m1.BackupNow(ctx))
		assert.Equal(t, "FFD", kinds(t, s))
		_, err := restore.Latest(ctx, s)
		var ue *restore.UnaccountedError
		require.ErrorAs(t, err, &ue, "the zombie's delta does not fit the newest chain: %v", err)
		require.NotNil(t, ue.Newest)
		got, err := restore.ToTime(ctx, s, ue.Newest.Time)
		require.NoError(t, err)
		require.NoError(t, dictdbtest.Diff(db2, got), "the newest exact point is the new writer's")
	})
	t.Run("the lease is renewed in the background", func(t *testing.T) {
		s := newSink(t)
		var c1, c2 skewedClock
		_, t1, m1 := writerOn(t, s, &c1, Options{LeaseTTL: time.Second})
		_, t2, m2 := writerOn(t, s, &c2, Options{LeaseTTL: time.Second})
		_, _ = t1.Insert(dictdb.Record{"v": 1})
		require.NoError(t, m1.BackupNow(ctx))
		first := readLease(t, s).Token
		require.Eventually(t, func() bool { return readLease(t, s).Token != first }, 10*time.Second, 20*time.Millisecond, "renewed")
		r := readLease(t, s)
		assert.Equal(t, m1.writer, r.Writer)
		if time.Now().Before(r.Expires) {
			_, _ = t2.Insert(dictdb.Record{"w": 1})
			require.ErrorIs(t, m2.BackupNow(ctx), ErrOtherWriter, "a renewed lease is still held")
		}
	})
}

func TestLeaseOnMem(t *testing.T) {
	testLeaseScenarios(t, func(t *testing.T) sink.Sink { return mem.New() })
}

// plainSink hides a sink's conditional writes.
type plainSink struct{ sink.Sink }

// Without conditional writes there is no lease: the manager lists the sink
// before each backup instead.
func TestNoLeaseWithoutConditionalWrites(t *testing.T) {
	ctx := context.Background()
	inner := mem.New()
	cs := sinktest.NewCounting(plainSink{inner})
	var clk skewedClock
	_, tb, m := writerOn(t, cs, &clk, Options{})
	for i := range 3 {
		_, _ = tb.Insert(dictdb.Record{"v": i})
		require.NoError(t, m.BackupNow(ctx))
	}
	assert.Equal(t, int64(3), cs.Lists.Load(), "one listing per backup: %s", cs)
	_, err := inner.Get(ctx, LeaseKey)
	require.ErrorIs(t, err, sink.ErrNotFound)
}

// A lease write that stores and then fails is still ours: the manager
// reads it back and goes on.
func TestLeaseWriteThatStoredThenFailed(t *testing.T) {
	ctx := context.Background()
	f := sinktest.NewFaulty(mem.New(), 1)
	var clk skewedClock
	db, tb, m := writerOn(t, f, &clk, Options{})
	f.StoreThenFailNextPutIfs(1) // the lease's create
	_, _ = tb.Insert(dictdb.Record{"v": 1})
	require.NoError(t, m.BackupNow(ctx))
	assert.Equal(t, m.writer, readLease(t, f).Writer)
	got, err := restore.Latest(ctx, f)
	require.NoError(t, err)
	require.NoError(t, dictdbtest.Diff(db, got))
	assert.Equal(t, "F", kinds(t, f))

}
