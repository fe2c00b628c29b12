package sink_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/sink"
)

// Errors from Open never repeat a password or a secret parameter.
func TestOpenErrorsHideSecrets(t *testing.T) {
	for _, raw := range []string{
		"nosuch://user:hunter2@host/x?secret_key=hunter2",
		"//user:hunter2@host/x?token=hunter2",
		"s3://user:hunter2@bucket/%zz",
		"mem://?access_key=hunter2",
	} {
		_, err := sink.Open(context.Background(), raw)
		require.Error(t, err, raw)
		assert.NotContains(t, err.Error(), "hunter2", raw)
	}
}
