package restore_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/backup"
	"github.com/dictdb/dictdb-go/catalog"
	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/restore"
	"github.com/dictdb/dictdb-go/sink"
	"github.com/dictdb/dictdb-go/sink/mem"
	"github.com/dictdb/dictdb-go/sink/sinktest"
)

// history writes a full backup and deltas, each after a batch of writes,
// and keeps a copy of the database at every backup point.
func history(t *testing.T, s sink.Sink, backups, batch int) []*dictdb.DB {
	t.Helper()
	db := dictdb.New()
	users, err := db.CreateTable("users")
	require.NoError(t, err)
	m, err := backup.NewManager(db, s, backup.Options{Interval: -1, Incremental: true, MaxDeltasBeforeFull: 100})
	require.NoError(t, err)
	defer m.Stop()
	var states []*dictdb.DB
	for b := 0; b < backups; b++ {
		for i := 0; i < batch; i++ {
			_, err := users.Upsert(dictdb.Record{"id": (b*batch + i) % 700, "b": b, "pad": strings.Repeat("p", 2000)})
			require.NoError(t, err)
		}
		require.NoError(t, m.BackupNow(ctx))
		var buf bytes.Buffer
		require.NoError(t, db.Save(&buf, dictdb.FormatJSON))
		copyDB, err := dictdb.Load(&buf, dictdb.FormatJSON)
		require.NoError(t, err)
		states = append(states, copyDB)
		time.Sleep(2 * time.Millisecond) // distinct times for ToTime between points
	}
	return states
}

// countingSink counts the bytes read from each object.
type countingSink struct {
	sink.Sink
	read, gets atomic.Int64
}

type countingReader struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func (c *countingSink) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	c.gets.Add(1)
	rc, err := c.Sink.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	return countingReader{rc, &c.read}, nil
}

func TestListReadsHeadersOnly(t *testing.T) {
	cs := &countingSink{Sink: mem.New()}
	states := history(t, cs, 4, 700)
	objs, err := sinktest.ListBut(ctx, cs, backup.LeaseKey)
	require.NoError(t, err)
	var stored int64
	for _, o := range objs {
		stored += o.Size
	}
	cs.read.Store(0)
	points, err := restore.List(ctx, cs)
	require.NoError(t, err)
	require.Len(t, points, 4)
	for i, p := range points {
		assert.Equal(t, states[i].Sequence(), p.Seq)
		assert.Equal(t, map[bool]catalog.Kind{true: catalog.Full, false: catalog.Delta}[i == 0], p.Kind)
		assert.Equal(t, points[0].Key, p.Base)
		assert.Equal(t, points[0].Chain, p.Chain)
		assert.Positive(t, p.Size)
		if i > 0 {
			assert.True(t, p.Time.After(points[i-1].Time))
		}
	}
	t.Logf("List read %d of %d stored bytes", cs.read.Load(), stored)
	assert.Less(t, cs.read.Load(), stored/4, "List reads headers, not payloads")
}

func TestToTimeAndToSeq(t *testing.T) {
	s := mem.New()
	states := history(t, s, 5, 300)
	points, err := restore.List(ctx, s)
	require.NoError(t, err)
	require.Len(t, points, 5)
	for i, p := range points {
		db, err := restore.ToTime(ctx, s, p.Time)
		require.NoError(t, err)
		requireSameDB(t, states[i], db)
		if i+1 < len(points) { // between two points: the earlier one
			mid := p.Time.Add(points[i+1].Time.Sub(p.Time) / 2)
			db, err = restore.ToTime(ctx, s, mid)
			require.NoError(t, err)
			requireSameDB(t, states[i], db)
		}
		db, err = restore.ToSeq(ctx, s, p.Seq)
		require.NoError(t, err)
		requireSameDB(t, states[i], db)
		db, err = restore.ToSeq(ctx, s, p.Seq+1)
		require.NoError(t, err)
		requireSameDB(t, states[i], db)
	}
	_, err = restore.ToTime(ctx, s, points[0].Time.Add(-time.Microsecond))
	require.ErrorIs(t, err, restore.ErrNoBackup)
	_, err = restore.ToSeq(ctx, s, points[0].Seq-1)
	require.ErrorIs(t, err, restore.ErrNoBackup)
	latest, err := restore.Latest(ctx, s)
	require.NoError(t, err)
	requireSameDB(t, states[4], latest)

	// With the third delta gone, points before it still restore; later ones fail.
	require.NoError(t, s.Delete(ctx, points[3].Key))
	db, err := restore.ToTime(ctx, s, points[2].Time)
	require.NoError(t, err)
	requireSameDB(t, states[2], db)
	_, err = restore.ToTime(ctx, s, points[4].Time)
	var gap *restore.GapError
	require.ErrorAs(t, err, &gap)
	assert.Equal(t, points[4].Key, gap.Key)
	_, err = restore.ToSeq(ctx, s, points[2].Seq+1)
	require.ErrorAs(t, err, &gap, "the missing delta may hold that sequence number")
}

func TestVerify(t *testing.T) {
	s := mem.New()
	history(t, s, 6, 200)
	report, err := restore.Verify(ctx, s)
	require.NoError(t, err)
	assert.True(t, report.OK(), "%v", report.Err())
	require.Len(t, report.Points, 6)
	require.NoError(t, report.Err())
	p := report.Points

	get := func(key string) string {
		rc, err := s.Get(ctx, key)
		require.NoError(t, err)
		defer rc.Close()
		b, err := io.ReadAll(rc)
		require.NoError(t, err)
		return string(b)
	}
	put := func(key, body string) { require.NoError(t, s.Put(ctx, key, strings.NewReader(body))) }

	// Break it in every way at once.
	require.NoError(t, s.Delete(ctx, p[2].Key))                       // a gap before p[3]
	body := get(p[4].Key)                                             // an edited byte
	put(p[4].Key, strings.Replace(body, `"b":4`, `"b":9`, 1))         //
	put(p[5].Key, get(p[5].Key)[:len(get(p[5].Key))/2])               // truncated
	put("dictdb_delta_4000000000_000000.json", "this is not a delta") // unreadable header
	other := mem.New()                                                // a delta of a chain whose full backup is elsewhere: an orphan
	history(t, other, 2, 10)
	otherPoints, err := restore.List(ctx, other)
	require.NoError(t, err)
	rc, err := other.Get(ctx, otherPoints[1].Key)
	require.NoError(t, err)
	orphan, _ := io.ReadAll(rc)
	rc.Close()
	put(otherPoints[1].Key, string(orphan)) // under its own name: it is newer than every object of s

	report, err = restore.Verify(ctx, s)
	require.NoError(t, err)
	assert.False(t, report.OK())
	kinds := map[string]restore.ProblemKind{}
	for _, pr := range report.Problems {
		kinds[pr.Key] = pr.Kind
		assert.Contains(t, pr.Error(), pr.Key)
	}
	assert.Equal(t, map[string]restore.ProblemKind{
		p[3].Key:                              restore.ProblemGap,
		p[4].Key:                              restore.ProblemChecksum,
		p[5].Key:                              restore.ProblemTruncated,
		"dictdb_delta_4000000000_000000.json": restore.ProblemUnreadable,
		otherPoints[1].Key:                    restore.ProblemOrphan,
	}, kinds)
	assert.Len(t, report.Points, 2, "the full backup and the first delta still restore")
	assert.Contains(t, report.Err().Error(), "5 errors occurred")
	assert.Contains(t, report.Err().Error(), "(401, 601]", "the gap names the missing range")

	_, err = restore.Latest(ctx, s)
	require.Error(t, err)
}

// copyAll copies every object of src into dst.
func copyAll(t *testing.T, dst, src sink.Sink) {
	t.Helper()
	require.NoError(t, sinktest.CopyAll(ctx, dst, src, ""))
}

// Two writers on one prefix: each manager refuses once it sees the other's
// objects, but objects written before that (here, by managers on separate
// sinks, then copied together) interleave, and Verify says so.
func TestVerifyInterleavedChains(t *testing.T) {
	sA, sB := mem.New(), mem.New()
	dbA, dbB := dictdb.New(), dictdb.New()
	ta, _ := dbA.CreateTable("a")
	tb, _ := dbB.CreateTable("b")
	mA, err := backup.NewManager(dbA, sA, backup.Options{Interval: -1, Incremental: true})
	require.NoError(t, err)
	defer mA.Stop()
	mB, err := backup.NewManager(dbB, sB, backup.Options{Interval: -1, Incremental: true})
	require.NoError(t, err)
	defer mB.Stop()
	_, _ = ta.Insert(dictdb.Record{"v": 1})
	require.NoError(t, mA.BackupNow(ctx))
	_, _ = tb.Insert(dictdb.Record{"v": 1})
	require.NoError(t, mB.BackupNow(ctx))
	_, _ = ta.Insert(dictdb.Record{"v": 2})
	require.NoError(t, mA.BackupNow(ctx)) // chain A goes on after chain B began
	s := mem.New()
	copyAll(t, s, sA)
	copyAll(t, s, sB)

	report, err := restore.Verify(ctx, s)
	require.NoError(t, err)
	require.Len(t, report.Problems, 1)
	assert.Equal(t, restore.ProblemInterleaved, report.Problems[0].Kind)
	// Latest refuses: chain A's delta after B's full backup is not part of
	// B's chain. The error names it, and B's full backup as the newest
	// point that restores exactly.
	_, err = restore.Latest(ctx, s)
	require.ErrorIs(t, err, restore.ErrCorrupt)
	var ue *restore.UnaccountedError
	require.ErrorAs(t, err, &ue)
	require.Len(t, ue.Objects, 1)
	assert.Contains(t, ue.Objects[0].Error(), report.Problems[0].Key)
	assert.Contains(t, err.Error(), "two writers on one prefix")
	require.NotNil(t, ue.Newest)
	assert.Equal(t, catalog.Full, ue.Newest.Kind)
	got, err := restore.ToTime(ctx, s, ue.Newest.Time)
	require.NoError(t, err)
	requireSameDB(t, dbB, got) // the newest full backup's chain, never a mix
}

// Latest reads the headers of the newest full backup and what follows it
// only, not of the whole history.
func TestLatestReadsOnlyTheNewestChain(t *testing.T) {
	cs := &countingSink{Sink: mem.New()}
	history(t, cs, 10, 20) // F and 9 deltas
	db := dictdb.New()
	tb, _ := db.CreateTable("t")
	m, err := backup.NewManager(db, cs, backup.Options{Interval: -1, Incremental: true})
	require.NoError(t, err)
	defer m.Stop()
	_, _ = tb.Insert(dictdb.Record{"v": 1})
	require.NoError(t, m.BackupNow(ctx)) // a new chain: F
	_, _ = tb.Insert(dictdb.Record{"v": 2})
	require.NoError(t, m.BackupNow(ctx)) // D
	cs.gets.Store(0)
	got, err := restore.Latest(ctx, cs)
	require.NoError(t, err)
	requireSameDB(t, db, got)
	assert.Equal(t, int64(4), cs.gets.Load(), "two headers and two payloads")
}
