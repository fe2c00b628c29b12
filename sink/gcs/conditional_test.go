package gcs

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/api/googleapi"

	"github.com/dictdb/dictdb-go/sink"
)

// A 412 anywhere in the chain is a failed condition; other refusals are
// not.
func TestIsPrecondition(t *testing.T) {
	for code, want := range map[int]bool{412: true, 404: false, 403: false, 409: false, 503: false} {
		err := fmt.Errorf("upload: %w", &googleapi.Error{Code: code})
		assert.Equal(t, want, conditional{}.IsPrecondition(err), code)
	}
	assert.False(t, conditional{}.IsPrecondition(errors.New("connection reset")))
}

// A version that is no generation cannot be the stored one: the swap fails
// before any request.
func TestSwapOfNoGeneration(t *testing.T) {
	for _, v := range []sink.Version{`"0x8D9"`, "0", "-3", "12a"} {
		_, _, err := conditional{}.PrepareWrite(context.Background(), v)
		require.ErrorIs(t, err, sink.ErrPrecondition, v)
	}
	_, hooks, err := conditional{}.PrepareWrite(context.Background(), "1796154507385908")
	require.NoError(t, err)
	assert.ErrorIs(t, hooks.BeforeWrite(func(any) bool { return false }), sink.ErrNotSupported,
		"a driver without gcsblob's As types")
}
