package restore_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/backup"
	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/restore"
	"github.com/dictdb/dictdb-go/sink"
	"github.com/dictdb/dictdb-go/sink/mem"
)

// bigRecords is a table large enough that dictdb loads most of it on every
// core (from its 4096th record on, when there is more than one).
const bigRecords = 20_000

// bigChain writes a full backup of a table of bigRecords records in format
// f to s, then deltas of 500 upserts and deletes each, and returns the live
// database and the size of the full backup.
func bigChain(t *testing.T, s sink.Sink, f dictdb.Format, deltas int) (*dictdb.DB, int64) {
	t.Helper()
	db := dictdb.New()
	users, err := db.CreateTable("users", dictdb.WithSchema(dictdb.Schema{"id": dictdb.Int, "name": dictdb.String, "score": dictdb.Float, "tags": dictdb.List}))
	require.NoError(t, err)
	for i := range bigRecords {
		_, err := users.Insert(dictdb.Record{"name": fmt.Sprintf("user-%d é \"%d\"", i, i), "score": float64(i) / 3, "tags": []any{int64(i), "t"}})
		require.NoError(t, err)
	}
	m, err := backup.NewManager(db, s, backup.Options{Interval: -1, Format: f, Incremental: true, MaxDeltasBeforeFull: deltas + 1})
	require.NoError(t, err)
	defer m.Stop()
	require.NoError(t, m.BackupFull(ctx))
	objs := names(t, s)
	require.Len(t, objs, 1)
	info, err := s.List(ctx, objs[0].Key)
	require.NoError(t, err)
	require.Len(t, info, 1)
	for d := range deltas {
		for j := range 500 {
			id := int64(d*1000 + j*7 + 1)
			_, err := users.Upsert(dictdb.Record{"id": id, "name": "changed", "score": 0.5, "tags": []any{}})
			require.NoError(t, err)
		}
		require.NoError(t, users.DeleteKey(int64(d*1000+3)))
		require.NoError(t, m.BackupDelta(ctx))
	}
	return db, info[0].Size
}

// A large table restores, on every core, from a full backup and ten
// deltas, into the live database, in both formats.
func TestParallelRestore(t *testing.T) {
	for _, f := range dictdb.Formats() {
		s := mem.New()
		live, _ := bigChain(t, s, f, 10)
		got, err := restore.Latest(ctx, s)
		require.NoError(t, err, f)
		requireSameDB(t, live, got, f)
	}
}

// A restore whose context is cancelled or runs out while the records of
// the full backup are loaded on every core says so, and never that the
// backup is corrupt; a sink that fails then is a failing sink. The same
// sink read through restores.
func TestParallelRestoreCancelled(t *testing.T) {
	for _, f := range dictdb.Formats() {
		inner := mem.New()
		live, size := bigChain(t, inner, f, 0)
		after := int(size / 2) // well into the records loaded on every core
		t.Run(string(f)+"/cancelled", func(t *testing.T) {
			c, cancel := context.WithCancel(ctx)
			defer cancel()
			_, err := restore.Latest(c, &stallingSink{Sink: inner, skip: 1, after: after, end: cancel})
			require.Error(t, err)
			assert.ErrorIs(t, err, context.Canceled)
			assert.NotErrorIs(t, err, restore.ErrCorrupt, "%v", err)
		})
		t.Run(string(f)+"/deadline", func(t *testing.T) {
			c, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
			defer cancel()
			_, err := restore.Latest(c, &stallingSink{Sink: inner, skip: 1, after: after, end: func() {}})
			require.Error(t, err)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.NotErrorIs(t, err, restore.ErrCorrupt, "%v", err)
		})
		t.Run(string(f)+"/read error", func(t *testing.T) {
			broken := errors.New("connection reset by peer")
			_, err := restore.Latest(ctx, &failingHalfwaySink{Sink: inner, err: broken, after: after})
			require.ErrorIs(t, err, broken)
			assert.NotErrorIs(t, err, restore.ErrCorrupt)
		})
		got, err := restore.Latest(ctx, inner)
		require.NoError(t, err)
		requireSameDB(t, live, got)
	}
}

// failingHalfwaySink's readers fail after the first after bytes of a
// payload (the first Get, the header's, passes).
type failingHalfwaySink struct {
	sink.Sink
	err   error
	after int
	gets  atomic.Int64
}

func (s *failingHalfwaySink) Get(c context.Context, key string) (io.ReadCloser, error) {
	rc, err := s.Sink.Get(c, key)
	if s.gets.Add(1) == 1 || err != nil {
		return rc, err
	}
	return &failingReader{ReadCloser: rc, err: s.err, left: s.after}, nil
}
