package restore_test

import (
	"flag"
	"os"
	"testing"

	"github.com/dictdb/dictdb-go/internal/crashtest"
)

var long = flag.Bool("long", false, "kill the backing-up child 500 times instead of 50")

func TestMain(m *testing.M) {
	crashtest.MaybeChild()
	os.Exit(m.Run())
}

// A process taking incremental backups to local disk is killed with
// SIGKILL at random moments; every time, Verify finds no problem and the
// latest restore is exactly the state of the last acknowledged backup or a
// later one.
func TestCrashSafety(t *testing.T) {
	kills := 50
	if *long {
		kills = 500
	}
	crashtest.Run(t, crashtest.Options{
		Kills: kills,
		URL:   func(t *testing.T, i int) string { return "file://" + t.TempDir() },
	})
}

// The same in continuous mode: every write whose WaitDurable returned
// before the kill is in the restore.
func TestCrashSafetyContinuous(t *testing.T) {
	kills := 50
	if *long {
		kills = 500
	}
	crashtest.Run(t, crashtest.Options{
		Kills:      kills,
		Continuous: true,
		URL:        func(t *testing.T, i int) string { return "file://" + t.TempDir() },
	})
}
