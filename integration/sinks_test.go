//go:build integration

package integration

import (
	"bytes"
	"context"
	"io"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/backup"
	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/dictdb/dictdbtest"
	"github.com/dictdb/dictdb-go/restore"
	"github.com/dictdb/dictdb-go/sink"
	"github.com/dictdb/dictdb-go/sink/blobsink"
	"github.com/dictdb/dictdb-go/sink/sinktest"
)

var ctx = context.Background()

func TestConformance(t *testing.T) {
	each(t, func(t *testing.T, b backend) {
		b.need(t)
		sinktest.Run(t, func(t *testing.T) sink.Sink { return b.open(t) })
	})
}

// Create-if-absent and compare-and-swap against the real stores, through
// sink.Open (and so through WithRetry), as a lease uses them.
func TestConditionalConformance(t *testing.T) {
	each(t, func(t *testing.T, b backend) {
		b.need(t)
		sinktest.RunConditional(t, func(t *testing.T) sink.Sink { return b.open(t) })
	})
}

// Conditional writes of objects larger than a part: an S3 upload in parts
// is decided at CompleteMultipartUpload, an Azure upload in blocks at Put
// Block List, a GCS upload in chunks at its last chunk; each must honour
// the condition there and report the version of what it stored.
func TestConditionalLargeObjects(t *testing.T) {
	// The part size, and the size of the objects: S3's transfer manager
	// uploads in parts only from 16 MiB on.
	parts := map[string][2]int{"minio": {5 << 20, 17 << 20}, "fake-gcs-server": {256 << 10, 384 << 10}, "azurite": {64 << 10, 96 << 10}}
	each(t, func(t *testing.T, b backend) {
		b.need(t)
		part, size := parts[b.name][0], parts[b.name][1]
		s := b.openAt(t, b.bucket(), randomPrefix(t), "part_size="+strconv.Itoa(part))
		body := func(c byte) *bytes.Reader { return bytes.NewReader(bytes.Repeat([]byte{c}, size)) }
		read := func() (byte, sink.Version) {
			rc, v, err := sink.GetVersion(ctx, s, "lease")
			require.NoError(t, err)
			defer rc.Close()
			got, err := io.ReadAll(rc)
			require.NoError(t, err)
			require.Len(t, got, size)
			return got[0], v
		}

		v1, err := sink.PutIf(ctx, s, "lease", body('a'), sink.Condition{IfAbsent: true})
		require.NoError(t, err)
		if b.name == "minio" {
			assert.Contains(t, v1, "-", "the ETag of an object uploaded in parts")
		}
		c, v := read()
		assert.Equal(t, byte('a'), c)
		assert.Equal(t, v1, v, "the version of the object in parts")
		_, err = sink.PutIf(ctx, s, "lease", body('b'), sink.Condition{IfAbsent: true})
		require.ErrorIs(t, err, sink.ErrPrecondition, "create-if-absent decided when the parts are joined")
		v2, err := sink.PutIf(ctx, s, "lease", body('c'), sink.Condition{IfMatch: v1})
		require.NoError(t, err)
		assert.NotEqual(t, v1, v2)
		_, err = sink.PutIf(ctx, s, "lease", body('d'), sink.Condition{IfMatch: v1})
		require.ErrorIs(t, err, sink.ErrPrecondition, "a stale swap in parts fails")
		c, v = read()
		assert.Equal(t, byte('c'), c)
		assert.Equal(t, v2, v)
		t.Logf("%s: versions %s, %s", b.name, v1, v2)
	})
}

func requireSameDB(t *testing.T, want, got *dictdb.DB) {
	t.Helper()
	require.NoError(t, dictdbtest.Diff(want, got))
}

func TestBackupDeltaRestore(t *testing.T) {
	each(t, func(t *testing.T, b backend) {
		s := b.open(t)
		db := dictdb.New()
		users, err := db.CreateTable("users", dictdb.WithSchema(dictdb.Schema{"id": dictdb.Int, "name": dictdb.String, "score": dictdb.Float}))
		require.NoError(t, err)
		m, err := backup.NewManager(db, s, backup.Options{Interval: -1, Incremental: true})
		require.NoError(t, err)
		defer m.Stop()
		for i := 0; i < 500; i++ {
			_, err := users.Insert(dictdb.Record{"name": "u", "score": float64(i)})
			require.NoError(t, err)
		}
		require.NoError(t, m.BackupNow(ctx)) // full
		_, err = users.Update(func(r dictdb.Record) bool { return r["score"].(float64) < 100 }, dictdb.Record{"name": "low"})
		require.NoError(t, err)
		_, err = users.Delete(func(r dictdb.Record) bool { return r["score"].(float64) >= 400 })
		require.NoError(t, err)
		require.NoError(t, m.BackupNow(ctx)) // delta
		events, _ := db.CreateTable("events")
		_, _ = events.Insert(dictdb.Record{"k": "v"})
		require.NoError(t, m.BackupNow(ctx)) // delta
		assert.Equal(t, 2, m.DeltasSinceFull())

		got, err := restore.Latest(ctx, s)
		require.NoError(t, err)
		requireSameDB(t, db, got)
	})
}

// Prefixes isolate databases sharing one bucket.
func TestPrefixesIsolate(t *testing.T) {
	each(t, func(t *testing.T, b backend) {
		b.need(t)
		dbs := make([]*dictdb.DB, 3)
		sinks := make([]sink.Sink, 3)
		for i := range dbs {
			sinks[i] = b.openAt(t, b.bucket(), randomPrefix(t))
			dbs[i] = dictdb.New()
			tb, _ := dbs[i].CreateTable("t")
			for j := 0; j <= i; j++ {
				_, _ = tb.Insert(dictdb.Record{"db": i})
			}
			m, err := backup.NewManager(dbs[i], sinks[i], backup.Options{Interval: -1})
			require.NoError(t, err)
			require.NoError(t, m.BackupFull(ctx))
			m.Stop()
		}
		for i := range dbs {
			objs, err := sinktest.ListBut(ctx, sinks[i], backup.LeaseKey)
			require.NoError(t, err)
			assert.Len(t, objs, 1, "each prefix sees only its own backup")
			got, err := restore.Latest(ctx, sinks[i])
			require.NoError(t, err)
			requireSameDB(t, dbs[i], got)
		}
	})
}

// heapPeak samples the live heap (after a forced GC, so garbage does not
// count) every few milliseconds until stopped.
type heapPeak struct {
	stop chan struct{}
	done chan struct{}
	peak atomic.Uint64
}

func startHeapPeak() *heapPeak {
	h := &heapPeak{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(h.done)
		var ms runtime.MemStats
		for {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > h.peak.Load() {
				h.peak.Store(ms.HeapInuse)
			}
			select {
			case <-h.stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	return h
}

func (h *heapPeak) Stop() uint64 { close(h.stop); <-h.done; return h.peak.Load() }

// A 200 MB full backup streams: the process's heap stays far below the
// object's size. The records share one 100 KB string, so the database
// itself is small while its backup is large.
func TestLargeBackupStreams(t *testing.T) {
	each(t, func(t *testing.T, b backend) {
		s := b.open(t)
		db := dictdb.New()
		blobs, _ := db.CreateTable("blobs")
		payload := strings.Repeat("0123456789", 10_000)
		for i := 0; i < 2000; i++ {
			_, err := blobs.Insert(dictdb.Record{"payload": payload})
			require.NoError(t, err)
		}
		m, err := backup.NewManager(db, s, backup.Options{Interval: -1})
		require.NoError(t, err)
		defer m.Stop()

		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		h := startHeapPeak()
		require.NoError(t, m.BackupFull(ctx))
		peak := h.Stop()

		objs, err := sinktest.ListBut(ctx, s, backup.LeaseKey)
		require.NoError(t, err)
		require.Len(t, objs, 1)
		size := objs[0].Size
		require.Greater(t, size, int64(200_000_000))
		extra := int64(peak) - int64(before.HeapInuse)
		t.Logf("%s: object %d MB, heap before %d MB, peak %d MB (extra %d MB)", b.name, size>>20, before.HeapInuse>>20, peak>>20, extra>>20)
		// What a streaming upload holds, whatever the object's size: the
		// parts being sent (S3's transfer manager pools Concurrency+1 parts
		// and fills one more), and the encoder's chunks in flight (about
		// 15 MB). MinIO measures about 60 MB under -race. Buffering the
		// object would hold all of it.
		bound := int64(blobsink.DefaultConcurrency+2)*blobsink.DefaultPartSize + 32<<20
		require.Less(t, 2*bound, size, "the object must be large enough to tell streaming from buffering")
		assert.Less(t, extra, bound, "the upload must stream, not buffer the object")

		got, err := restore.Latest(ctx, s)
		require.NoError(t, err)
		gb, _ := got.Table("blobs")
		assert.Equal(t, 2000, gb.Count())
	})
}

// cancelAfter delivers n bytes, then cancels the context and keeps going.
type cancelAfter struct {
	n      int64
	cancel context.CancelFunc
	once   sync.Once
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	if c.n <= 0 {
		c.once.Do(c.cancel)
	}
	for i := range p {
		p[i] = byte(i)
	}
	c.n -= int64(len(p))
	return len(p), nil
}

// An upload interrupted after several parts leaves no object.
func TestInterruptedUpload(t *testing.T) {
	each(t, func(t *testing.T, b backend) {
		s := b.open(t)
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		err := s.Put(cctx, "dictdb_backup_1_000000.json", &cancelAfter{n: 40 << 20, cancel: cancel})
		require.Error(t, err)
		_, err = s.Get(ctx, "dictdb_backup_1_000000.json")
		require.ErrorIs(t, err, sink.ErrNotFound)
		objs, err := s.List(ctx, "")
		require.NoError(t, err)
		assert.Empty(t, objs)
	})
}

func TestMissingBucket(t *testing.T) {
	each(t, func(t *testing.T, b backend) {
		b.need(t)
		s, err := sink.Open(ctx, b.url("dictdb-no-such-bucket", "p"))
		if err == nil {
			defer s.Close()
			err = s.Put(ctx, "k", strings.NewReader("x"))
		}
		require.Error(t, err)
		assert.Contains(t, err.Error(), "not found", "a clear error: %v", err)
		t.Logf("%s: %v", b.name, err)
	})
}

func TestWrongCredentials(t *testing.T) {
	cases := map[string]map[string]string{
		"minio":   {"AWS_SECRET_ACCESS_KEY": "wrong-secret"},
		"azurite": {"AZURE_STORAGE_KEY": "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXk="},
		// fake-gcs-server accepts any credentials, so it cannot refuse wrong
		// ones: there is nothing to test against it.
	}
	each(t, func(t *testing.T, b backend) {
		env, ok := cases[b.name]
		if !ok {
			return
		}
		b.need(t)
		for k, v := range env {
			t.Setenv(k, v)
		}
		s, err := sink.Open(ctx, b.url(b.bucket(), randomPrefix(t)))
		if err == nil {
			defer s.Close()
			err = s.Put(ctx, "k", strings.NewReader("x"))
		}
		require.Error(t, err)
		assert.Contains(t, err.Error(), "permission denied (check the credentials)", "a clear error: %v", err)
		assert.NotContains(t, err.Error(), "wrong-secret", "secrets never appear in errors")
		t.Logf("%s: %v", b.name, err)
	})
}
