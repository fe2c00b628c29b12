package s3_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/sink"
	_ "github.com/dictdb/dictdb-go/sink/s3"
)

// failingStore answers every request with a 500, counting them.
func failingStore(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.WriteHeader(http.StatusInternalServerError)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// retries=1 is one request per operation: sink.Open's retries and the
// SDK's are both off. More attempts retry on both layers, as documented.
func TestRetriesOneIsOneRequest(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIATESTTESTTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "not-a-secret")
	srv, n := failingStore(t)
	s, err := sink.Open(context.Background(), "s3://b/p?use_path_style=true&region=us-east-1&retries=1&endpoint="+srv.URL)
	require.NoError(t, err)
	_, err = s.Get(context.Background(), "k")
	require.Error(t, err)
	assert.Equal(t, int64(1), n.Load(), "one operation, one request")

	n.Store(0)
	s, err = sink.Open(context.Background(), "s3://b/p?use_path_style=true&region=us-east-1&retries=2&endpoint="+srv.URL)
	require.NoError(t, err)
	_, err = s.Get(context.Background(), "k")
	require.Error(t, err)
	assert.Greater(t, n.Load(), int64(2), "two attempts, each with the SDK's own retries beneath")
}

// With no credentials and an S3-compatible endpoint, the SDK neither probes
// the instance metadata service nor prints its warnings: the operation
// fails with an error instead.
func TestNoCredentialsPrintNothing(t *testing.T) {
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	srv, n := failingStore(t)
	r, w, err := os.Pipe()
	require.NoError(t, err)
	stderr := os.Stderr
	os.Stderr = w
	s, err := sink.Open(context.Background(), "s3://b/p?use_path_style=true&region=us-east-1&retries=1&endpoint="+srv.URL)
	if err == nil {
		_, err = s.Get(context.Background(), "k")
	}
	os.Stderr = stderr
	require.NoError(t, w.Close())
	printed, _ := io.ReadAll(r)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "check the credentials")
	assert.Empty(t, string(printed), "nothing on stderr")
	assert.Zero(t, n.Load(), "no request without credentials")
}
