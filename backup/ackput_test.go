package backup

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/dictdb/dictdbtest"
	"github.com/dictdb/dictdb-go/restore"
	"github.com/dictdb/dictdb-go/sink"
	"github.com/dictdb/dictdb-go/sink/mem"
	"github.com/dictdb/dictdb-go/sink/sinktest"
)

// A Put may fail after the store committed the object (sink/local when the
// final directory fsync fails; an object store timing out after its
// commit). The next acknowledged backup must restore all the same, for
// full backups and deltas, in both modes, stored plain, compressed and
// encrypted.
func TestAcknowledgedBackupRestoresAfterAPutThatStoredAndFailed(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	require.NoError(t, err)
	storages := map[string]func(*Options){
		"plain": func(*Options) {},
		"zstd":  func(o *Options) { o.Compression = CompressionZstd },
		"zstd+age": func(o *Options) {
			o.Compression = CompressionZstd
			o.Encryption = &Encryption{Recipients: []age.Recipient{id.Recipient()}, Identities: []age.Identity{id}}
		},
	}
	type step struct {
		failing int  // how many Puts in a row store, then fail
		full    bool // the failing backup is a full one (BackupFull), not BackupNow
	}
	cases := map[string]step{
		"delta":            {failing: 1},
		"delta, twice":     {failing: 2},
		"full":             {failing: 1, full: true},
		"full, then delta": {failing: 2, full: true},
	}
	for storage, configure := range storages {
		for _, incremental := range []bool{true, false} {
			for name, c := range cases {
				t.Run(fmt.Sprintf("%s/incremental=%v/%s", storage, incremental, name), func(t *testing.T) {
					opts := Options{Interval: -1, Incremental: incremental, MaxDeltasBeforeFull: 100}
					configure(&opts)
					var ropts []restore.Option
					if opts.Encryption != nil {
						ropts = append(ropts, restore.WithIdentities(id))
					}
					inner := mem.New()
					f := sinktest.NewFaulty(inner, 1)
					db := dictdb.New()
					users, err := db.CreateTable("users")
					require.NoError(t, err)
					m, err := NewManager(db, f, opts)
					require.NoError(t, err)
					defer m.Stop()
					insert := func(v int) {
						_, err := users.Insert(dictdb.Record{"v": v})
						require.NoError(t, err)
					}
					requireLatest := func(msg string) {
						t.Helper()
						got, err := restore.Latest(ctx, inner, ropts...)
						require.NoError(t, err, msg)
						require.NoError(t, dictdbtest.Diff(db, got), msg)
					}

					insert(0)
					require.NoError(t, m.BackupNow(ctx))
					insert(1)
					require.NoError(t, m.BackupNow(ctx))
					requireLatest("before the faults")

					f.StoreThenFailNextPuts(c.failing)
					for i := 0; i < c.failing; i++ {
						insert(10 + i)
						if c.full && i == 0 {
							require.Error(t, m.BackupFull(ctx))
						} else {
							require.Error(t, m.BackupNow(ctx))
						}
					}
					assert.Equal(t, int64(c.failing), f.FailedPuts.Load(), "each failed Put stored its object")
					insert(20)
					require.NoError(t, m.BackupNow(ctx), "the next backup is acknowledged")
					requireLatest("after the acknowledged backup")
					report, err := restore.Verify(ctx, inner, ropts...)
					require.NoError(t, err)
					assert.True(t, report.OK(), "%v", report.Err())

					// And the chain goes on.
					insert(30)
					require.NoError(t, m.BackupNow(ctx))
					requireLatest("one backup later")
				})
			}
		}
	}
}

// A delta that starts before the state it would apply to is accepted only
// as a rewrite by the same writer. Two writers that continue one restored
// point (two processes restoring the same backup) are refused, whatever
// their order.
func TestOverlappingDeltasOfTwoWritersAreRefused(t *testing.T) {
	base := mem.New()
	db := dictdb.New()
	users, _ := db.CreateTable("users")
	m, err := NewManager(db, base, Options{Interval: -1, Incremental: true})
	require.NoError(t, err)
	_, _ = users.Insert(dictdb.Record{"v": 1})
	require.NoError(t, m.BackupNow(ctx))
	m.Stop()

	// Two processes restore the same point and each continue its chain, on
	// separate sinks, one by one change, one by two.
	continueOn := func(changes int) sink.Sink {
		s := mem.New()
		requireCopy(t, s, base)
		got, err := restore.Latest(ctx, s)
		require.NoError(t, err)
		m, err := NewManager(got, s, Options{Interval: -1, Incremental: true})
		require.NoError(t, err)
		defer m.Stop()
		tb, _ := got.Table("users")
		for i := 0; i < changes; i++ {
			_, _ = tb.Insert(dictdb.Record{"v": 100 + i})
		}
		require.NoError(t, m.BackupNow(ctx))
		return s
	}
	short, long := continueOn(1), continueOn(2) // short's delta is named first
	both := mem.New()
	requireCopy(t, both, short)
	requireCopy(t, both, long)
	_, err = restore.Latest(ctx, both)
	require.ErrorIs(t, err, restore.ErrCorrupt)
	var gap *restore.GapError
	require.ErrorAs(t, err, &gap, "the second delta overlaps the first: %v", err)

	long2, short2 := continueOn(2), continueOn(1) // the longer one first
	both = mem.New()
	requireCopy(t, both, long2)
	requireCopy(t, both, short2)
	_, err = restore.Latest(ctx, both)
	require.ErrorAs(t, err, &gap, "%v", err)
}

var ctx = context.Background()

func requireCopy(t *testing.T, dst, src sink.Sink) {
	t.Helper()
	require.NoError(t, sinktest.CopyAll(ctx, dst, src, ""))
}

// cancellingSink cancels the context of a Put once it has read part of the
// object, as a caller giving up mid-upload does.
type cancellingSink struct {
	sink.Sink
	cancel func()
}

func (s *cancellingSink) Put(ctx context.Context, key string, r io.Reader) error {
	var head [512]byte
	n, _ := io.ReadFull(r, head[:])
	s.cancel()
	return s.Sink.Put(ctx, key, io.MultiReader(bytes.NewReader(head[:n]), r))
}

// A backup whose context ends says so, and is never reported as corrupt
// data.
func TestCancelledBackupSaysSo(t *testing.T) {
	for _, full := range []bool{true, false} {
		t.Run(fmt.Sprintf("full=%v", full), func(t *testing.T) {
			inner := mem.New()
			db := dictdb.New()
			users, _ := db.CreateTable("users")
			m, err := NewManager(db, inner, Options{Interval: -1, Incremental: true})
			require.NoError(t, err)
			defer m.Stop()
			_, _ = users.Insert(dictdb.Record{"v": 0})
			require.NoError(t, m.BackupNow(ctx))
			for i := 0; i < 500; i++ {
				_, _ = users.Insert(dictdb.Record{"v": i, "pad": strings.Repeat("x", 100)})
			}
			c, cancel := context.WithCancel(ctx)
			defer cancel()
			m.sink = &cancellingSink{Sink: inner, cancel: cancel}
			if full {
				err = m.BackupFull(c)
			} else {
				err = m.BackupDelta(c)
			}
			require.ErrorIs(t, err, context.Canceled)
			assert.NotErrorIs(t, err, dictdb.ErrCorrupt)
			m.sink = inner
			require.NoError(t, m.BackupNow(ctx), "the changes are still pending")
			got, err := restore.Latest(ctx, inner)
			require.NoError(t, err)
			require.NoError(t, dictdbtest.Diff(db, got))
		})
	}
}
