//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package local_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/sink"
)

// Without flock(2) and inode numbers, conditional writes are refused, not
// done without their guarantee.
func TestConditionalNotSupported(t *testing.T) {
	s := newSink(t, t.TempDir())
	_, err := sink.PutIf(t.Context(), s, "lease", strings.NewReader("x"), sink.Condition{IfAbsent: true})
	require.ErrorIs(t, err, sink.ErrNotSupported)
	_, _, err = sink.GetVersion(t.Context(), s, "lease")
	require.ErrorIs(t, err, sink.ErrNotSupported)
	requireNotFound(t, s, "lease")
}
