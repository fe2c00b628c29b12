package backup

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/sink"
	"github.com/dictdb/dictdb-go/sink/mem"
)

// discardSink consumes every Put and keeps only its size. With gcEvery > 0
// it also runs the garbage collector every gcEvery bytes and records the
// peak live heap, to measure what a backup holds in memory.
type discardSink struct {
	sink.Sink
	last     atomic.Int64
	gcEvery  int64
	mu       sync.Mutex
	peakHeap uint64
}

func (d *discardSink) Put(ctx context.Context, key string, r io.Reader) error {
	buf := make([]byte, 32<<10)
	var n, sinceGC int64
	for {
		m, err := r.Read(buf)
		n += int64(m)
		sinceGC += int64(m)
		if d.gcEvery > 0 && sinceGC >= d.gcEvery {
			sinceGC = 0
			d.sampleHeap()
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	d.last.Store(n)
	return nil
}

func (d *discardSink) sampleHeap() {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	d.mu.Lock()
	if ms.HeapAlloc > d.peakHeap {
		d.peakHeap = ms.HeapAlloc
	}
	d.mu.Unlock()
}

func newDiscard() *discardSink { return &discardSink{Sink: mem.New()} }

// benchDB returns a database of n records shaped like the Python DictDB's
// benchmark: {id, name, email, age, city, score}.
func benchDB(tb testing.TB, n int) (*dictdb.DB, *dictdb.Table) {
	db := dictdb.New()
	users, err := db.CreateTable("users")
	require.NoError(tb, err)
	for i := 0; i < n; i++ {
		_, err := users.Insert(benchRecord(i))
		require.NoError(tb, err)
	}
	return db, users
}

var cities = []string{"Berlin", "Paris", "Lisbon", "Oslo", "Rome", "Madrid", "Vienna", "Prague"}

func benchRecord(i int) dictdb.Record {
	return dictdb.Record{
		"name":  fmt.Sprintf("user-%d", i),
		"email": fmt.Sprintf("user%d@example.com", i),
		"age":   18 + i%60,
		"city":  cities[i%len(cities)],
		"score": float64(i%1000) / 10,
	}
}

func BenchmarkInsert(b *testing.B) {
	for _, withManager := range []bool{false, true} {
		b.Run(fmt.Sprintf("manager=%v", withManager), func(b *testing.B) {
			db := dictdb.New()
			users, _ := db.CreateTable("users")
			if withManager {
				m, err := NewManager(db, newDiscard(), Options{Interval: -1, Incremental: true})
				require.NoError(b, err)
				defer m.Stop()
			}
			recs := make([]dictdb.Record, 1024)
			for i := range recs {
				recs[i] = benchRecord(i)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := users.Insert(recs[i%len(recs)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

var sizes = []int{100_000, 1_000_000}

// BenchmarkFullBackupJSON measures a full backup into a sink that discards
// the bytes, and as its baseline in the same process the naive way: the
// records read out of the table and encoded with encoding/json.
func BenchmarkFullBackupJSON(b *testing.B) {
	for _, n := range sizes {
		db, users := benchDB(b, n)
		b.Run(fmt.Sprintf("records=%d/baseline=encoding-json", n), func(b *testing.B) {
			b.ReportAllocs()
			var size int64
			for i := 0; i < b.N; i++ {
				cw := &countWriter{}
				doc := map[string]any{"tables": map[string]any{"users": map[string]any{
					"primary_key": "id", "schema": nil, "records": users.Select(nil)}}}
				if err := json.NewEncoder(cw).Encode(doc); err != nil {
					b.Fatal(err)
				}
				size = cw.n
			}
			b.SetBytes(size)
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			d := newDiscard()
			m, err := NewManager(db, d, Options{Interval: -1})
			require.NoError(b, err)
			defer m.Stop()
			ctx := context.Background()
			require.NoError(b, m.BackupFull(ctx))
			b.SetBytes(d.last.Load())
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := m.BackupFull(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

func BenchmarkDelta1k(b *testing.B) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			db, users := benchDB(b, n)
			d := newDiscard()
			m, err := NewManager(db, d, Options{Interval: -1, Incremental: true, MaxDeltasBeforeFull: 1 << 30})
			require.NoError(b, err)
			defer m.Stop()
			ctx := context.Background()
			require.NoError(b, m.BackupFull(ctx))
			b.ReportAllocs()
			b.ResetTimer()
			var bytes int64
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				for j := 0; j < 1000; j++ {
					r := benchRecord(j)
					r["id"] = int64((i*7919 + j*104729) % n)
					if _, err := users.Upsert(r); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				if err := m.BackupDelta(ctx); err != nil {
					b.Fatal(err)
				}
				bytes += d.last.Load()
			}
			b.SetBytes(bytes / int64(b.N))
		})
	}
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }
