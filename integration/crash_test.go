//go:build integration

package integration

import (
	"os"
	"testing"
	"time"

	"github.com/dictdb/dictdb-go/internal/crashtest"
)

func TestMain(m *testing.M) {
	crashtest.MaybeChild()
	os.Exit(m.Run())
}

// The crash test of package restore, against MinIO: a process taking
// incremental backups is killed with SIGKILL at random moments; every time
// Verify finds no problem and the latest restore is exact.
func TestCrashSafetyMinIO(t *testing.T) {
	b := backends[0]
	b.need(t)
	crashtest.Run(t, crashtest.Options{
		Kills:  20,
		MaxRun: 600 * time.Millisecond,
		URL: func(t *testing.T, i int) string {
			prefix := randomPrefix(t)
			b.openAt(t, b.bucket(), prefix) // deletes the round's objects when the test ends
			return b.url(b.bucket(), prefix)
		},
	})
}

// The same in continuous mode, against MinIO: every write whose
// WaitDurable returned before the kill is in the restore.
func TestCrashSafetyContinuousMinIO(t *testing.T) {
	b := backends[0]
	b.need(t)
	crashtest.Run(t, crashtest.Options{
		Kills:      20,
		MaxRun:     600 * time.Millisecond,
		Continuous: true,
		URL: func(t *testing.T, i int) string {
			prefix := randomPrefix(t)
			b.openAt(t, b.bucket(), prefix) // deletes the round's objects when the test ends
			return b.url(b.bucket(), prefix)
		},
	})
}
