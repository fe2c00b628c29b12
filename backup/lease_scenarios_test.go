package backup_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/backup/backuptest"
	"github.com/dictdb/dictdb-go/sink"
	"github.com/dictdb/dictdb-go/sink/local"
	"github.com/dictdb/dictdb-go/sink/mem"
)

func TestLeaseOnMem(t *testing.T) {
	backuptest.RunLease(t, func(t *testing.T) sink.Sink { return mem.New() })
}

func TestLeaseOnLocal(t *testing.T) {
	backuptest.RunLease(t, func(t *testing.T) sink.Sink {
		s, err := local.New(t.TempDir())
		require.NoError(t, err)
		return s
	})
}
