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
	n := 100_000
	if testing.Short() {
		n = 20_000
	}
	db, _ := benchDB(t, n)
	d := newDiscard()
	d.gcEvery = 512 << 10
	m, err := NewManager(db, d, Options{Interval: -1})
	require.NoError(t, err)
	defer m.Stop()

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	require.NoError(t, m.BackupFull(context.Background()))
	size := d.last.Load()
	require.Greater(t, size, int64(n*60), "the backup holds every record")
	extra := int64(d.peakHeap) - int64(before.HeapAlloc)
	t.Logf("encoded %d bytes; peak extra live heap %d bytes (%.1f%% of the file)", size, extra, 100*float64(extra)/float64(size))
	require.Less(t, extra, size/8, "a full backup must not buffer the file in memory")
}
