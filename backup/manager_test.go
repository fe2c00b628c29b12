package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/catalog"
	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/restore"
	"github.com/dictdb/dictdb-go/sink"
	"github.com/dictdb/dictdb-go/sink/mem"
	"github.com/dictdb/dictdb-go/sink/sinktest"
)

func setup(t *testing.T, opts Options) (*dictdb.DB, *dictdb.Table, *mem.Sink, *Manager) {
	t.Helper()
	db := dictdb.New()
	users, err := db.CreateTable("users")
	require.NoError(t, err)
	s := mem.New()
	m, err := NewManager(db, s, opts)
	require.NoError(t, err)
	t.Cleanup(m.Stop)
	return db, users, s, m
}

// kinds returns the kinds of the stored backups, oldest first ("F" or "D").
func kinds(t *testing.T, s sink.Sink) string {
	t.Helper()
	var names []catalog.Name
	objs, err := sinktest.ListBut(context.Background(), s, LeaseKey)
	require.NoError(t, err)
	for _, o := range objs {
		n, ok := catalog.Parse(o.Key)
		require.True(t, ok, o.Key)
		names = append(names, n)
	}
	catalog.Sort(names)
	out := ""
	for _, n := range names {
		if n.Kind == catalog.Full {
			out += "F"
		} else {
			out += "D"
		}
	}
	return out
}

func keys(t *testing.T, s sink.Sink) []string {
	t.Helper()
	objs, err := sinktest.ListBut(context.Background(), s, LeaseKey)
	require.NoError(t, err)
	var out []string
	for _, o := range objs {
		out = append(out, o.Key)
	}
	return out
}

func TestOptionsDefaults(t *testing.T) {
	o, err := Options{}.withDefaults()
	require.NoError(t, err)
	assert.Equal(t, 300*time.Second, o.Interval)
	assert.Equal(t, 5*time.Second, o.MinInterval)
	assert.Equal(t, dictdb.FormatJSON, o.Format)
	assert.False(t, o.Incremental)
	assert.Equal(t, 10, o.MaxDeltasBeforeFull)

	_, err = Options{Format: "yaml"}.withDefaults()
	require.ErrorIs(t, err, dictdb.ErrUnknownFormat)
	_, err = Options{MaxDeltasBeforeFull: -1}.withDefaults()
	require.Error(t, err)
	_, err = NewManager(nil, mem.New(), Options{})
	require.Error(t, err)
}

func TestLifecycle(t *testing.T) {
	_, users, s, m := setup(t, Options{Interval: -1})
	require.NoError(t, m.Start())
	require.ErrorIs(t, m.Start(), ErrStarted)
	_, _ = users.Insert(dictdb.Record{"a": 1})
	require.NoError(t, m.BackupNow(context.Background()))
	m.Stop()
	m.Stop() // safe twice
	require.ErrorIs(t, m.Start(), ErrStopped)
	require.ErrorIs(t, m.BackupNow(context.Background()), ErrStopped)
	assert.Equal(t, 0, m.ConsecutiveFailures(), "ErrStopped is not a backup failure")
	assert.Equal(t, "F", kinds(t, s))
}

// blockingSink blocks Put until released.
type blockingSink struct {
	sink.Sink
	entered chan struct{}
	release chan struct{}
}

func (b *blockingSink) Put(ctx context.Context, key string, r io.Reader) error {
	b.entered <- struct{}{}
	<-b.release
	return b.Sink.Put(ctx, key, r)
}

func TestStopWaitsForBackupInProgress(t *testing.T) {
	db := dictdb.New()
	_, err := db.CreateTable("t")
	require.NoError(t, err)
	bs := &blockingSink{Sink: mem.New(), entered: make(chan struct{}, 1), release: make(chan struct{})}
	m, err := NewManager(db, bs, Options{Interval: -1})
	require.NoError(t, err)
	require.NoError(t, m.Start())
	backupDone := make(chan error, 1)
	go func() { backupDone <- m.BackupNow(context.Background()) }()
	<-bs.entered
	stopped := make(chan struct{})
	go func() { m.Stop(); close(stopped) }()
	select {
	case <-stopped:
		t.Fatal("Stop returned while a backup was in progress")
	case <-time.After(50 * time.Millisecond):
	}
	close(bs.release)
	require.NoError(t, <-backupDone)
	<-stopped
	objs, err := sinktest.ListBut(context.Background(), bs, LeaseKey)
	require.NoError(t, err)
	assert.Len(t, objs, 1)
}

// Every Stop waits for the backup in flight: the second one, concurrent
// ones, and ones made while the first is still waiting, whether the backup
// is manual or periodic.
func TestEveryStopWaits(t *testing.T) {
	for _, manual := range []bool{true, false} {
		t.Run(fmt.Sprintf("manual=%v", manual), func(t *testing.T) {
			db := dictdb.New()
			tb, err := db.CreateTable("t")
			require.NoError(t, err)
			_, _ = tb.Insert(dictdb.Record{"v": 1})
			bs := &blockingSink{Sink: mem.New(), entered: make(chan struct{}, 1), release: make(chan struct{})}
			opts := Options{Interval: -1}
			if !manual {
				opts.Interval = time.Millisecond
			}
			m, err := NewManager(db, bs, opts)
			require.NoError(t, err)
			require.NoError(t, m.Start())
			backupDone := make(chan error, 1)
			if manual {
				go func() { backupDone <- m.BackupFull(context.Background()) }()
			}
			<-bs.entered // a backup is in Put
			var returned atomic.Int32
			var wg sync.WaitGroup
			for i := 0; i < 4; i++ {
				wg.Add(1)
				go func() { defer wg.Done(); m.Stop(); returned.Add(1) }()
			}
			time.Sleep(50 * time.Millisecond) // time to return, if they would
			assert.Zero(t, returned.Load(), "a Stop returned while a backup was in Put")
			close(bs.release)
			wg.Wait()
			assert.Equal(t, int32(4), returned.Load())
			if manual {
				require.NoError(t, <-backupDone)
			}
			m.Stop() // after the others: returns at once
			objs, err := sinktest.ListBut(context.Background(), bs, LeaseKey)
			require.NoError(t, err)
			assert.NotEmpty(t, objs, "the backup in flight completed")
		})
	}
}

func TestFailuresCallOnFailure(t *testing.T) {
	db := dictdb.New()
	users, _ := db.CreateTable("users")
	fs := sinktest.NewFaulty(mem.New(), 1)
	var mu sync.Mutex
	var calls []int
	m, err := NewManager(db, fs, Options{Interval: -1, Incremental: true, OnFailure: func(err error, n int) {
		assert.ErrorIs(t, err, sinktest.ErrInjected)
		mu.Lock()
		calls = append(calls, n)
		mu.Unlock()
	}})
	require.NoError(t, err)
	defer m.Stop()
	ctx := context.Background()
	_, _ = users.Insert(dictdb.Record{"a": 1})

	fs.FailNextPuts(3)
	require.ErrorIs(t, m.BackupNow(ctx), sinktest.ErrInjected)
	require.ErrorIs(t, m.BackupFull(ctx), sinktest.ErrInjected)
	require.ErrorIs(t, m.BackupDelta(ctx), sinktest.ErrInjected)
	assert.Equal(t, 3, m.ConsecutiveFailures())
	require.NoError(t, m.BackupNow(ctx))
	assert.Equal(t, 0, m.ConsecutiveFailures())
	_, _ = users.Insert(dictdb.Record{"a": 2})
	fs.FailNextPuts(1)
	err = m.BackupDelta(ctx)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "dictdb_delta_", "the error names the object")
	mu.Lock()
	assert.Equal(t, []int{1, 2, 3, 1}, calls)
	mu.Unlock()
	assert.Equal(t, "F", kinds(t, fs), "failed puts leave no object")
}

func TestIncrementalCompaction(t *testing.T) {
	_, users, s, m := setup(t, Options{Interval: -1, Incremental: true, MaxDeltasBeforeFull: 2})
	ctx := context.Background()
	want := ""
	for i := 0; i < 7; i++ {
		_, err := users.Insert(dictdb.Record{"i": i})
		require.NoError(t, err)
		require.NoError(t, m.BackupNow(ctx))
		want += map[bool]string{true: "F", false: "D"}[i%3 == 0]
		assert.Equal(t, i%3, m.DeltasSinceFull())
	}
	assert.Equal(t, want, kinds(t, s))
	assert.Equal(t, "FDDFDDF", want)

	require.NoError(t, m.BackupNow(ctx))
	assert.Equal(t, want, kinds(t, s), "nothing changed: nothing written")
	require.NoError(t, m.BackupDelta(ctx))
	assert.Equal(t, want, kinds(t, s), "an empty delta is not written")
	require.NoError(t, m.BackupFull(ctx))
	assert.Equal(t, want+"F", kinds(t, s), "BackupFull always writes")
}

func TestNonIncrementalWritesFulls(t *testing.T) {
	_, users, s, m := setup(t, Options{Interval: -1})
	for i := 0; i < 3; i++ {
		_, _ = users.Insert(dictdb.Record{"i": i})
		require.NoError(t, m.BackupNow(context.Background()))
	}
	assert.Equal(t, "FFF", kinds(t, s))
	_, _ = users.Insert(dictdb.Record{"i": 9})
	require.NoError(t, m.BackupDelta(context.Background()))
	assert.Equal(t, "FFFD", kinds(t, s), "BackupDelta forces a delta in any mode")
}

func readDelta(t *testing.T, s sink.Sink, key string) (*dictdb.Delta, catalog.Header) {
	t.Helper()
	rc, err := s.Get(context.Background(), key)
	require.NoError(t, err)
	defer rc.Close()
	d, meta, err := dictdb.DecodeDelta(rc, dictdb.FormatJSON)
	require.NoError(t, err)
	h, err := catalog.FromMeta(catalog.Delta, meta)
	require.NoError(t, err)
	return d, h
}

func lastKey(t *testing.T, s sink.Sink, kind catalog.Kind) string {
	t.Helper()
	var names []catalog.Name
	objs, err := sinktest.ListBut(context.Background(), s, LeaseKey)
	require.NoError(t, err)
	for _, o := range objs {
		if n, _ := catalog.Parse(o.Key); n.Kind == kind {
			names = append(names, n)
		}
	}
	require.NotEmpty(t, names)
	catalog.Sort(names)
	return names[len(names)-1].Key
}

func TestDeltaIsCoalescedPerKey(t *testing.T) {
	db, users, s, m := setup(t, Options{Interval: -1, Incremental: true})
	ctx := context.Background()
	a, _ := users.Insert(dictdb.Record{"name": "a"})
	b, _ := users.Insert(dictdb.Record{"name": "b"})
	require.NoError(t, m.BackupFull(ctx))
	fullSeq := db.Sequence()

	_, _ = users.Upsert(dictdb.Record{"id": a, "name": "a2"})
	_, _ = users.Update(func(r dictdb.Record) bool { return r["id"] == a }, dictdb.Record{"x": 1})
	require.NoError(t, users.DeleteKey(b))
	c, _ := users.Insert(dictdb.Record{"name": "c"})
	require.NoError(t, users.DeleteKey(c)) // insert then delete: a delete
	tmp, _ := db.CreateTable("tmp")
	_, _ = tmp.Insert(dictdb.Record{"v": 1})
	_, _ = db.CreateTable("gone")
	require.NoError(t, db.DropTable("gone"))
	require.NoError(t, m.BackupDelta(ctx))

	d, h := readDelta(t, s, lastKey(t, s, catalog.Delta))
	assert.Equal(t, fullSeq, h.FromSeq)
	assert.Equal(t, db.Sequence(), h.Seq)
	assert.Equal(t, lastKey(t, s, catalog.Full), h.Base)
	assert.Equal(t, []dictdb.Record{{"id": a, "name": "a2", "x": int64(1)}}, d.Tables["users"].Upserts)
	assert.Equal(t, []any{b, c}, d.Tables["users"].Deletes)
	assert.Nil(t, d.Tables["users"].Create)
	assert.Equal(t, &dictdb.TableSpec{PrimaryKey: "id"}, d.Tables["tmp"].Create)
	assert.Equal(t, []dictdb.Record{{"id": int64(1), "v": int64(1)}}, d.Tables["tmp"].Upserts)
	assert.Equal(t, []string{"gone"}, d.Dropped)
	assert.Equal(t, 0, m.PendingChanges())
}

func TestFailedDeltaChangesGoIntoTheNext(t *testing.T) {
	db := dictdb.New()
	users, _ := db.CreateTable("users")
	fs := sinktest.NewFaulty(mem.New(), 2)
	m, err := NewManager(db, fs, Options{Interval: -1, Incremental: true})
	require.NoError(t, err)
	defer m.Stop()
	ctx := context.Background()
	require.NoError(t, m.BackupFull(ctx))
	fullSeq := db.Sequence()

	x, _ := users.Insert(dictdb.Record{"v": "lost?"})
	y, _ := users.Insert(dictdb.Record{"v": "y1"})
	fs.FailNextPuts(1)
	require.Error(t, m.BackupDelta(ctx))
	assert.Equal(t, 2, m.PendingChanges(), "the failed delta's changes stay pending")
	_, _ = users.Upsert(dictdb.Record{"id": y, "v": "y2"}) // newer than the failed delta
	require.NoError(t, m.BackupDelta(ctx))

	d, h := readDelta(t, fs, lastKey(t, fs, catalog.Delta))
	assert.Equal(t, fullSeq, h.FromSeq, "the delta starts where the last successful backup ended")
	assert.Equal(t, db.Sequence(), h.Seq)
	assert.Equal(t, []dictdb.Record{{"id": x, "v": "lost?"}, {"id": y, "v": "y2"}}, d.Tables["users"].Upserts)
}

func TestFullRetiresPendingChanges(t *testing.T) {
	_, users, _, m := setup(t, Options{Interval: -1, Incremental: true})
	for i := 0; i < 5; i++ {
		_, _ = users.Insert(dictdb.Record{"i": i})
	}
	assert.Equal(t, 5, m.PendingChanges())
	require.NoError(t, m.BackupFull(context.Background()))
	assert.Equal(t, 0, m.PendingChanges())
}

func TestNamesStrictlyIncreaseWithinAMicrosecond(t *testing.T) {
	_, users, s, m := setup(t, Options{Interval: -1, Incremental: true, MaxDeltasBeforeFull: 3})
	frozen := time.Unix(1700000000, 123456000)
	m.clock.Now = func() time.Time { return frozen }
	for i := 0; i < 8; i++ {
		_, _ = users.Insert(dictdb.Record{"i": i})
		require.NoError(t, m.BackupNow(context.Background()))
	}
	ks := keys(t, s)
	require.Len(t, ks, 8)
	var micros []int64
	for _, k := range ks {
		n, ok := catalog.Parse(k)
		require.True(t, ok)
		micros = append(micros, n.Micros)
	}
	sort.Slice(micros, func(i, j int) bool { return micros[i] < micros[j] })
	for i := 1; i < len(micros); i++ {
		assert.Equal(t, micros[i-1]+1, micros[i])
	}
	assert.Equal(t, frozen.UnixMicro(), micros[0])
	assert.Contains(t, ks, "dictdb_backup_1700000000_123456.json")
}

func TestNamesFollowExistingBackups(t *testing.T) {
	db := dictdb.New()
	s := mem.New()
	future := int64(4000000000_000000)
	require.NoError(t, s.Put(context.Background(), catalog.Key(catalog.Full, future, catalog.Encoding{Format: dictdb.FormatJSON}), eofReader{}))
	m, err := NewManager(db, s, Options{Interval: -1})
	require.NoError(t, err)
	defer m.Stop()
	require.NoError(t, m.BackupFull(context.Background()))
	ks := keys(t, s)
	require.Len(t, ks, 2)
	n, _ := catalog.Parse(lastKey(t, s, catalog.Full))
	assert.Equal(t, future+1, n.Micros, "a new name sorts after every existing one")
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

func TestNotifyChangeIsDebouncedNotDropped(t *testing.T) {
	t.Run("deferred until the interval ends", func(t *testing.T) {
		_, users, s, m := setup(t, Options{Interval: -1, MinInterval: 300 * time.Millisecond})
		require.NoError(t, m.Start())
		_, _ = users.Insert(dictdb.Record{"i": 1})
		m.NotifyChange()
		require.Eventually(t, func() bool { return kinds(t, s) == "F" }, 10*time.Second, 5*time.Millisecond)
		_, _ = users.Insert(dictdb.Record{"i": 2})
		m.NotifyChange()
		m.NotifyChange()
		require.Eventually(t, func() bool { return kinds(t, s) == "FF" }, 10*time.Second, 5*time.Millisecond,
			"the debounced change is backed up when the interval ends")
	})
	t.Run("flushed by Stop", func(t *testing.T) {
		_, users, s, m := setup(t, Options{Interval: -1, MinInterval: time.Hour})
		require.NoError(t, m.Start())
		require.NoError(t, m.BackupNow(context.Background()))
		_, _ = users.Insert(dictdb.Record{"i": 1})
		m.NotifyChange()
		// Within the hour nothing more is written; Stop must not drop it.
		m.Stop()
		assert.Equal(t, "FF", kinds(t, s))
	})
	t.Run("flushed by Stop even if the loop never saw it", func(t *testing.T) {
		for i := 0; i < 50; i++ {
			_, users, s, m := setup(t, Options{Interval: -1, MinInterval: time.Hour})
			require.NoError(t, m.Start())
			_, _ = users.Insert(dictdb.Record{"i": 1})
			m.NotifyChange()
			m.Stop()
			require.Equal(t, "F", kinds(t, s), "round %d", i)
		}
	})
	t.Run("flushed by Stop without Start", func(t *testing.T) {
		_, users, s, m := setup(t, Options{Interval: -1})
		_, _ = users.Insert(dictdb.Record{"i": 1})
		m.NotifyChange()
		m.Stop()
		assert.Equal(t, "F", kinds(t, s))
	})
	t.Run("before Start it waits for Start", func(t *testing.T) {
		_, users, s, m := setup(t, Options{Interval: -1, MinInterval: -1})
		_, _ = users.Insert(dictdb.Record{"i": 1})
		m.NotifyChange()
		assert.Equal(t, "", kinds(t, s))
		require.NoError(t, m.Start())
		require.Eventually(t, func() bool { return kinds(t, s) == "F" }, 10*time.Second, 5*time.Millisecond)
	})
}

func TestPeriodicBackups(t *testing.T) {
	_, users, s, m := setup(t, Options{Interval: 20 * time.Millisecond, Incremental: true, MaxDeltasBeforeFull: 2})
	require.NoError(t, m.Start())
	for i := 0; i < 3; i++ {
		_, _ = users.Insert(dictdb.Record{"i": i})
		n := len(kinds(t, s))
		require.Eventually(t, func() bool { return len(kinds(t, s)) > n }, 10*time.Second, 5*time.Millisecond)
	}
	m.Stop()
	assert.Regexp(t, `^F(DD?F?)*D?D?$`, kinds(t, s))
}

func TestCancelledContext(t *testing.T) {
	_, users, s, m := setup(t, Options{Interval: -1})
	_, _ = users.Insert(dictdb.Record{"i": 1})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := m.BackupNow(ctx)
	require.True(t, errors.Is(err, context.Canceled), err)
	assert.Equal(t, "", kinds(t, s))
	assert.Equal(t, 1, m.ConsecutiveFailures())
}

// Through a retrying sink, an upload that fails midway is sent again from
// the start: the encoder starts over.
func TestBackupsRetryThroughWithRetry(t *testing.T) {
	db := dictdb.New()
	users, _ := db.CreateTable("users")
	fs := sinktest.NewFaulty(mem.New(), 3)
	fs.SetRates(0.5, 0, 0)
	s := sink.WithRetry(fs, sink.RetryOptions{Attempts: 30, BaseDelay: time.Microsecond, MaxDelay: time.Millisecond})
	m, err := NewManager(db, s, Options{Interval: -1, Incremental: true, MaxDeltasBeforeFull: 3})
	require.NoError(t, err)
	defer m.Stop()
	for i := 0; i < 20; i++ {
		for j := 0; j < 200; j++ {
			_, err := users.Insert(dictdb.Record{"i": i, "pad": strings.Repeat("x", 200)})
			require.NoError(t, err)
		}
		require.NoError(t, m.BackupNow(context.Background()))
	}
	assert.Positive(t, fs.FailedPuts.Load(), "faults were injected")
	assert.Equal(t, 0, m.ConsecutiveFailures())
	got, err := restore.Latest(context.Background(), fs)
	require.NoError(t, err)
	gu, _ := got.Table("users")
	assert.Equal(t, users.Select(nil), gu.Select(nil))
}

// On a sink without a lease, a manager lists the sink before each backup
// and refuses to go on once it sees another writer's objects.
func TestRefusesASecondWriterWithoutALease(t *testing.T) {
	s := mem.New()
	db1, db2 := dictdb.New(), dictdb.New()
	t1, _ := db1.CreateTable("t")
	t2, _ := db2.CreateTable("t")
	opts := Options{Interval: -1, Incremental: true, LeaseTTL: -1}
	m1, err := NewManager(db1, s, opts)
	require.NoError(t, err)
	defer m1.Stop()
	m2, err := NewManager(db2, s, opts)
	require.NoError(t, err)
	defer m2.Stop()
	ctx := context.Background()
	_, _ = t1.Insert(dictdb.Record{"v": 1})
	require.NoError(t, m1.BackupNow(ctx))
	require.NoError(t, m1.BackupFull(ctx), "its own objects are no reason to stop")
	_, _ = t2.Insert(dictdb.Record{"v": 1})
	require.NoError(t, m2.BackupNow(ctx), "m2 starts after m1's objects: a new chain")
	_, _ = t1.Insert(dictdb.Record{"v": 2})
	err = m1.BackupNow(ctx)
	require.ErrorIs(t, err, ErrOtherWriter)
	assert.Contains(t, err.Error(), lastKey(t, s, catalog.Full), "names the other writer's object")
	assert.Equal(t, "FFF", kinds(t, s), "nothing written after the refusal")
	objs, err := s.List(ctx, "")
	require.NoError(t, err)
	for _, o := range objs {
		assert.NotEqual(t, LeaseKey, o.Key, "LeaseTTL < 0: no lease")
	}
}

// A database restored from the newest point of a chain continues that
// chain: its next backup is a delta, and the chain restores whole.
func TestRestoredDatabaseContinuesItsChain(t *testing.T) {
	s := mem.New()
	db := dictdb.New()
	users, _ := db.CreateTable("users")
	m, err := NewManager(db, s, Options{Interval: -1, Incremental: true, MaxDeltasBeforeFull: 4})
	require.NoError(t, err)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		_, _ = users.Insert(dictdb.Record{"i": i})
		require.NoError(t, m.BackupNow(ctx))
	}
	m.Stop()
	assert.Equal(t, "FDD", kinds(t, s))

	restored, err := restore.Latest(ctx, s)
	require.NoError(t, err)
	m2, err := NewManager(restored, s, Options{Interval: -1, Incremental: true, MaxDeltasBeforeFull: 4})
	require.NoError(t, err)
	defer m2.Stop()
	ru, _ := restored.Table("users")
	_, _ = ru.Insert(dictdb.Record{"i": 3})
	require.NoError(t, m2.BackupNow(ctx))
	assert.Equal(t, "FDDD", kinds(t, s), "a delta of the restored chain")
	assert.Equal(t, 3, m2.DeltasSinceFull())
	_, _ = ru.Insert(dictdb.Record{"i": 4})
	require.NoError(t, m2.BackupNow(ctx))
	_, _ = ru.Insert(dictdb.Record{"i": 5})
	require.NoError(t, m2.BackupNow(ctx))
	assert.Equal(t, "FDDDDF", kinds(t, s), "compaction counts the chain's earlier deltas")

	// Restored from a chain that already has MaxDeltasBeforeFull deltas, the
	// next backup is a full one.
	s2 := mem.New()
	copyObjects(t, s2, s, 5) // F D D D D
	full4, err := restore.Latest(ctx, s2)
	require.NoError(t, err)
	m4, err := NewManager(full4, s2, Options{Interval: -1, Incremental: true, MaxDeltasBeforeFull: 4})
	require.NoError(t, err)
	defer m4.Stop()
	f4u, _ := full4.Table("users")
	_, _ = f4u.Insert(dictdb.Record{"i": 99})
	require.NoError(t, m4.BackupNow(ctx))
	assert.Equal(t, "FDDDDF", kinds(t, s2))
	again, err := restore.Latest(ctx, s)
	require.NoError(t, err)
	ag, _ := again.Table("users")
	assert.Equal(t, ru.Select(nil), ag.Select(nil))

	// A restored database written to before its manager starts a new chain.
	restored2, err := restore.Latest(ctx, s)
	require.NoError(t, err)
	r2u, _ := restored2.Table("users")
	_, _ = r2u.Insert(dictdb.Record{"i": 6})
	m2.Stop()
	m3, err := NewManager(restored2, s, Options{Interval: -1, Incremental: true})
	require.NoError(t, err)
	defer m3.Stop()
	_, _ = r2u.Insert(dictdb.Record{"i": 7})
	require.NoError(t, m3.BackupNow(ctx))
	assert.Equal(t, "FDDDDFF", kinds(t, s))
}

// copyObjects copies the n oldest backup objects of src into dst.
func copyObjects(t *testing.T, dst, src sink.Sink, n int) {
	t.Helper()
	var names []catalog.Name
	objs, err := sinktest.ListBut(context.Background(), src, LeaseKey)
	require.NoError(t, err)
	for _, o := range objs {
		if nm, ok := catalog.Parse(o.Key); ok {
			names = append(names, nm)
		}
	}
	catalog.Sort(names)
	for _, nm := range names[:n] {
		rc, err := src.Get(context.Background(), nm.Key)
		require.NoError(t, err)
		require.NoError(t, dst.Put(context.Background(), nm.Key, rc))
		rc.Close()
	}
}
