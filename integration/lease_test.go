//go:build integration

package integration

import (
	"testing"

	"github.com/dictdb/dictdb-go/backup/backuptest"
	"github.com/dictdb/dictdb-go/sink"
)

// The lease scenarios of package backup on each real store, through
// sink.Open: one writer per prefix by create-if-absent and
// compare-and-swap, takeover after a release or an expiry, fencing, and a
// restore that never includes a paused writer's late delta.
func TestLease(t *testing.T) {
	each(t, func(t *testing.T, b backend) {
		b.need(t)
		backuptest.RunLease(t, func(t *testing.T) sink.Sink { return b.open(t) })
	})
}
