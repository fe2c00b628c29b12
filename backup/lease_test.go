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
