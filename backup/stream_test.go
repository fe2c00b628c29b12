package backup

import (
	"context"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

// A full backup streams into the sink: the live heap never holds the encoded
// file. Measured after a forced GC every 512 KiB the sink receives, so only
// live memory counts, never garbage or timing.
func TestFullBackupStreams(t *testing.T) {
	n := 400_000 // a file (40 MB) larger than what is in flight
	if testing.Short() {
		n = 20_000
	}
	db, _ := benchDB(t, n)
	d := newDiscard()
	d.gcEvery = 512 << 10
	m, err := NewManager(db, d, Options{Interval: -1})
	require.NoError(t, err)
	defer m.Stop()

	// The first backup caches each record's encoding (the database keeps
	// it for the next backups): what it holds besides is bounded.
	live := func() int64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return int64(ms.HeapAlloc)
	}
	before := live()
	require.NoError(t, m.BackupFull(context.Background()))
	size := d.last.Load()
	require.Greater(t, size, int64(n*60), "the backup holds every record")
	cached := live() - before
	transient := int64(d.peakHeap) - before - cached
	t.Logf("encoded %d bytes; the cache keeps %d; peak live heap besides %d (%.1f%% of the file)", size, cached, transient, 100*float64(transient)/float64(size))
	// Beyond the size of a few spans in flight (the parallel encoder's,
	// bounded whatever the table), no copy of the file is held.
	const inFlight = 24 << 20
	require.Less(t, transient, size/8+inFlight, "a full backup must not buffer the file in memory")
	require.Less(t, cached, size*3/2, "the cache is about the size of the encoding")

	// The next backup copies from the cache: nothing grows.
	d.peakHeap = 0
	before = live()
	require.NoError(t, m.BackupFull(context.Background()))
	extra := int64(d.peakHeap) - before
	t.Logf("again: peak extra live heap %d bytes (%.1f%% of the file)", extra, 100*float64(extra)/float64(size))
	require.Less(t, extra, size/8+inFlight, "a full backup must not buffer the file in memory")
}
