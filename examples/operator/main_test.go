package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dictdb/dictdb-go/backup"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		if e.Type().IsRegular() && e.Name() != backup.LeaseKey { // the lease is released at the end; the sink keeps a directory of temporary files
			out = append(out, e.Name())
		}
	}
	return out
}

// The example runs with a relative -dir, as its default is, and with
// -start its backups get the same names on every run: those of the sample
// in testdata/ops, which the README's transcript shows.
func TestRelativeDirAndFixedClock(t *testing.T) {
	sample, err := filepath.Abs("testdata/ops/primary")
	require.NoError(t, err)
	t.Chdir(t.TempDir())
	start := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	var out strings.Builder
	require.NoError(t, run(context.Background(), &out, "ops", "", filepath.Join("ops", "key.txt"), &batchClock{start: start}))

	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	require.Len(t, lines, 7, out.String())
	assert.Regexp(t, `^backups: 12 \(3 full\), \d+ bytes written, 4 pruned, last delta dictdb_delta_1767610200_000000\.json\.zst\.age$`, lines[0])
	assert.Equal(t, "file://./ops/primary: restored 6000 orders, identical to the live data", lines[5])
	assert.Equal(t, "file://./ops/secondary: restored 6000 orders, identical to the live data", lines[6])
	assert.Equal(t, names(t, sample), names(t, filepath.Join("ops", "primary")))
	assert.Equal(t, names(t, sample), names(t, filepath.Join("ops", "secondary")))
	assert.FileExists(t, filepath.Join("ops", "key.txt"))
}

func TestFileURL(t *testing.T) {
	for dir, want := range map[string]string{
		"ops/primary":     "file://./ops/primary",
		"./ops/primary":   "file://./ops/primary",
		"ops":             "file://./ops",
		".":               "file://./.",
		"../ops/primary":  "file://../ops/primary",
		"/var/ops/backup": "file:///var/ops/backup",
	} {
		assert.Equal(t, want, fileURL(dir), dir)
	}
}
