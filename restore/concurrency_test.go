package restore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
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
	"github.com/dictdb/dictdb-go/sink/sinktest"
)

// writer runs random inserts, upserts, updates, deletes and table creations
// and drops until stop is closed.
func writer(t *testing.T, db *dictdb.DB, w int, stop <-chan struct{}, ops *atomic.Int64) {
	rng := rand.New(rand.NewPCG(uint64(w), 42))
	own := fmt.Sprintf("w%d", w)
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		tb, err := db.Table(own)
		if err != nil {
			tb, err = db.CreateTable(own)
			if !assert.NoError(t, err) {
				return
			}
		}
		shared, err := db.Table("shared")
		if !assert.NoError(t, err) {
			return
		}
		key := int64(rng.IntN(200))
		switch op := rng.IntN(100); {
		case op < 35:
			_, err = shared.Upsert(dictdb.Record{"id": key, "w": w, "i": i, "f": rng.Float64(), "tags": []any{"x", int64(i)}, "ok": i%2 == 0})
		case op < 55:
			_, err = tb.Insert(dictdb.Record{"i": i, "nested": map[string]any{"w": w, "l": []any{1.5, nil}}})
		case op < 70:
			_, err = shared.Update(func(r dictdb.Record) bool { return r["id"] == key }, dictdb.Record{"u": i})
		case op < 85:
			_, err = shared.Delete(func(r dictdb.Record) bool { return r["id"] == key })
		case op < 95:
			_, err = tb.Delete(func(r dictdb.Record) bool { return r["i"].(int64)%3 == 0 })
		case op < 98:
			err = db.DropTable(own)
		default:
			if tmp, cerr := db.CreateTable(fmt.Sprintf("tmp-%d-%d", w, i)); cerr == nil {
				_, err = tmp.Insert(dictdb.Record{"v": i})
			}
		}
		if !assert.NoError(t, err) {
			return
		}
		ops.Add(1)
	}
}

// runConcurrent has 8 writers race a manager taking a delta every couple of
// milliseconds and a full backup every few deltas, and restores in between;
// after a final backup, the restore must equal the live database exactly.
func runConcurrent(t *testing.T, s sink.Sink, faulty *sinktest.Faulty) {
	db := dictdb.New()
	_, err := db.CreateTable("shared")
	require.NoError(t, err)
	m, err := backup.NewManager(db, s, backup.Options{Interval: -1, Incremental: true, MaxDeltasBeforeFull: 5})
	require.NoError(t, err)
	defer m.Stop()

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var ops atomic.Int64
	var once sync.Once
	halt := func() { once.Do(func() { close(stop) }); wg.Wait() }
	defer halt() // also when an assertion below stops the test
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) { defer wg.Done(); writer(t, db, w, stop, &ops) }(w)
	}
	var backups, failures, restores int
	for backups < 60 {
		err := m.BackupNow(context.Background())
		if err != nil {
			require.NotNil(t, faulty, "only injected faults may fail: %v", err)
			failures++
		} else {
			backups++
		}
		if backups%15 == 0 && err == nil {
			// A restore in the middle must succeed too (retrying injected
			// read faults).
			for attempt := 1; ; attempt++ {
				_, err := restore.Latest(context.Background(), s)
				if err == nil {
					restores++
					break
				}
				require.NotNil(t, faulty, "restore failed: %v", err)
				require.Less(t, attempt, 50, "restore keeps failing, not only from injected faults: %v", err)
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	halt()
	if faulty != nil {
		faulty.SetRates(0, 0, 0)
	}
	require.NoError(t, m.BackupNow(context.Background()))
	got, err := restore.Latest(context.Background(), s)
	require.NoError(t, err)
	requireSameDB(t, db, got)
	t.Logf("%d writes, %d backups, %d failed, %d restores in between, %d tables", ops.Load(), backups, failures, restores, len(db.TableNames()))
	require.Greater(t, ops.Load(), int64(1000), "the writers must have raced the backups")
}

func TestConcurrentWritersBackupsRestore(t *testing.T) {
	runConcurrent(t, mem.New(), nil)
}

func TestConcurrentWithFaultySink(t *testing.T) {
	f := sinktest.NewFaulty(mem.New(), 7)
	f.SetRates(0.2, 0.1, 0.1)
	f.SetDelay(time.Millisecond)
	runConcurrent(t, f, f)
	require.Positive(t, f.FailedPuts.Load(), "faults were injected")
}
