package backup

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/sink"
	"github.com/dictdb/dictdb-go/sink/local"
)

func TestLeaseOnLocal(t *testing.T) {
	testLeaseScenarios(t, func(t *testing.T) sink.Sink {
		s, err := local.New(t.TempDir())
		require.NoError(t, err)
		return s
	})
}
