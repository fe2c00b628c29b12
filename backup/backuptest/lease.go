// Package backuptest holds tests of backup.Manager that any sink can run:
// the lease scenarios, which need a sink with conditional writes
// (sink.ConditionalSink), and which the project runs on memory, local
// directories, MinIO, fake-gcs-server and Azurite.
package backuptest

import (
	"context"
	"encoding/json"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/backup"
	"github.com/dictdb/dictdb-go/catalog"
	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/dictdb/dictdbtest"
	"github.com/dictdb/dictdb-go/restore"
	"github.com/dictdb/dictdb-go/sink"
)

// Clock is a clock that can be moved forward, for a manager whose lease
// must look expired without waiting for it (backup.Options.Now).
type Clock struct {
	ahead   atomic.Int64
	pending atomic.Int64 // a jump that happens after the next reading
}

// Now returns the time, moved forward by every Jump so far.
func (c *Clock) Now() time.Time {
	t := time.Now().Add(time.Duration(c.ahead.Load()))
	if d := c.pending.Swap(0); d != 0 {
		c.ahead.Add(d)
	}
	return t
}

// Jump moves the clock forward by d.
func (c *Clock) Jump(d time.Duration) { c.ahead.Add(int64(d)) }

// JumpAfterNextReading moves the clock forward by d once it has been read
// once more: a process that pauses between two readings.
func (c *Clock) JumpAfterNextReading(d time.Duration) { c.pending.Store(int64(d)) }

// lease is what the tests read of the lease object.
type lease struct {
	Writer   string    `json:"writer"`
	Token    string    `json:"token"`
	Expires  time.Time `json:"expires"`
	Released bool      `json:"released"`
}

func readLease(t *testing.T, s sink.Sink) lease {
	t.Helper()
	rc, err := s.Get(context.Background(), backup.LeaseKey)
	require.NoError(t, err)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	var l lease
	require.NoError(t, json.Unmarshal(b, &l))
	require.NotEmpty(t, l.Writer)
	return l
}

// writer is a database and a manager on a sink, with its own clock.
type writer struct {
	db    *dictdb.DB
	table *dictdb.Table
	m     *backup.Manager
	clock *Clock
}

func newWriter(t *testing.T, s sink.Sink, ttl time.Duration) *writer {
	t.Helper()
	w := &writer{db: dictdb.New(), clock: &Clock{}}
	var err error
	w.table, err = w.db.CreateTable("t")
	require.NoError(t, err)
	w.m, err = backup.NewManager(w.db, s, backup.Options{Interval: -1, Incremental: true, LeaseTTL: ttl, Now: w.clock.Now})
	require.NoError(t, err)
	t.Cleanup(w.m.Stop)
	return w
}

func (w *writer) write(t *testing.T, v int) {
	t.Helper()
	_, err := w.table.Insert(dictdb.Record{"v": v})
	require.NoError(t, err)
}

// backupObjects returns the backup objects of s, oldest first.
func backupObjects(t *testing.T, s sink.Sink) []*catalog.Object {
	t.Helper()
	c, err := catalog.Read(context.Background(), s, catalog.Options{})
	require.NoError(t, err)
	return c.Objects()
}

// kinds returns the kinds of the backup objects of s, oldest first, as F
// and D.
func kinds(t *testing.T, s sink.Sink) string {
	t.Helper()
	out := ""
	for _, o := range backupObjects(t, s) {
		out += map[catalog.Kind]string{catalog.Full: "F", catalog.Delta: "D"}[o.Kind]
	}
	return out
}

// RunLease runs the lease scenarios on fresh sinks from newSink, which
// must support conditional writes: a second writer refused while the lease
// is held and taking over once it is released or expired; the old holder
// fenced; a restore that never includes what a paused writer wrote after
// the takeover; the renewal in the background.
func RunLease(t *testing.T, newSink func(t *testing.T) sink.Sink) {
	ctx := context.Background()
	t.Run("RefusedWhileHeld", func(t *testing.T) {
		s := newSink(t)
		w1, w2 := newWriter(t, s, 0), newWriter(t, s, 0)
		w1.write(t, 1)
		require.NoError(t, w1.m.BackupNow(ctx))
		holder := readLease(t, s).Writer
		before := kinds(t, s)
		w2.write(t, 2)
		err := w2.m.BackupNow(ctx)
		require.ErrorIs(t, err, backup.ErrOtherWriter)
		assert.Contains(t, err.Error(), holder, "names the holder")
		assert.Equal(t, before, kinds(t, s), "the refused writer wrote nothing")

		w1.m.Stop() // releases the lease: taken over at once
		assert.True(t, readLease(t, s).Released)
		require.NoError(t, w2.m.BackupNow(ctx))
		assert.NotEqual(t, holder, readLease(t, s).Writer)
		assert.Equal(t, "FF", kinds(t, s))
	})
	t.Run("ExpiredIsTakenOverAndTheOldHolderFenced", func(t *testing.T) {
		s := newSink(t)
		w1, w2 := newWriter(t, s, 0), newWriter(t, s, 0)
		w1.write(t, 1)
		require.NoError(t, w1.m.BackupNow(ctx))
		w1.write(t, 2)
		require.NoError(t, w1.m.BackupNow(ctx))
		first := readLease(t, s).Writer
		// w1 pauses (its renewer is ten seconds away); by w2's clock the
		// lease expired.
		w2.clock.Jump(time.Minute)
		w2.write(t, 1)
		require.NoError(t, w2.m.BackupNow(ctx), "takes the expired lease over")
		assert.NotEqual(t, first, readLease(t, s).Writer)
		assert.Equal(t, "FDF", kinds(t, s), "a chain of its own: it starts with a full backup")

		// w1 wakes up; its clock says its lease expired too: fenced before
		// it writes anything, now and on every later backup.
		w1.clock.Jump(time.Minute)
		w1.write(t, 3)
		err := w1.m.BackupNow(ctx)
		require.ErrorIs(t, err, backup.ErrOtherWriter)
		assert.Contains(t, err.Error(), "taken over")
		require.ErrorIs(t, w1.m.BackupNow(ctx), backup.ErrOtherWriter)
		assert.Equal(t, "FDF", kinds(t, s))

		got, err := restore.Latest(ctx, s)
		require.NoError(t, err)
		require.NoError(t, dictdbtest.Diff(w2.db, got))
	})
	t.Run("APausedWritersLateDeltaIsNeverRestored", func(t *testing.T) {
		s := newSink(t)
		w1, w2 := newWriter(t, s, 0), newWriter(t, s, 0)
		w1.write(t, 1)
		require.NoError(t, w1.m.BackupNow(ctx))
		w2.clock.Jump(time.Minute)
		w2.write(t, 1)
		require.NoError(t, w2.m.BackupNow(ctx), "takes the expired lease over")
		// w1 checks its lease (still good by its clock), then pauses two
		// minutes before it names its delta: the zombie fencing cannot
		// catch. Its delta lands after w2's full backup.
		w1.clock.JumpAfterNextReading(2 * time.Minute)
		w1.write(t, 2)
		require.NoError(t, w1.m.BackupNow(ctx))
		assert.Equal(t, "FFD", kinds(t, s))
		_, err := restore.Latest(ctx, s)
		var ue *restore.UnaccountedError
		require.ErrorAs(t, err, &ue, "the late delta does not fit the newest chain: %v", err)
		require.NotNil(t, ue.Newest)
		got, err := restore.ToTime(ctx, s, ue.Newest.Time)
		require.NoError(t, err)
		require.NoError(t, dictdbtest.Diff(w2.db, got), "the newest exact point is the new writer's")
	})
	t.Run("RenewedInTheBackground", func(t *testing.T) {
		s := newSink(t)
		w1, w2 := newWriter(t, s, time.Second), newWriter(t, s, time.Second)
		w1.write(t, 1)
		require.NoError(t, w1.m.BackupNow(ctx))
		first := readLease(t, s)
		require.Eventually(t, func() bool { return readLease(t, s).Token != first.Token }, 10*time.Second, 20*time.Millisecond, "renewed")
		l := readLease(t, s)
		assert.Equal(t, first.Writer, l.Writer)
		assert.True(t, l.Expires.After(first.Expires), "each renewal moves the expiry on")
		if time.Now().Before(l.Expires) {
			w2.write(t, 1)
			require.ErrorIs(t, w2.m.BackupNow(ctx), backup.ErrOtherWriter, "a renewed lease is still held")
		}
	})
}
