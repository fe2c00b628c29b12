//go:build integration

package integration

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/sink"
	_ "github.com/dictdb/dictdb-go/sink/all"
)

// backend is one real object store under test.
type backend struct {
	name string
	env  []string // variables that must be set
	// url returns the sink URL for a bucket and prefix.
	url func(bucket, prefix string) string
	// bucket returns the test bucket or container.
	bucket func() string
}

var backends = []backend{
	{
		name: "minio",
		env:  []string{"DICTDB_S3_ENDPOINT", "DICTDB_S3_BUCKET", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"},
		url: func(bucket, prefix string) string {
			return fmt.Sprintf("s3://%s/%s?endpoint=%s&use_path_style=true&region=us-east-1", bucket, prefix, url.QueryEscape(os.Getenv("DICTDB_S3_ENDPOINT")))
		},
		bucket: func() string { return os.Getenv("DICTDB_S3_BUCKET") },
	},
	{
		name:   "fake-gcs-server",
		env:    []string{"STORAGE_EMULATOR_HOST", "DICTDB_GCS_BUCKET"},
		url:    func(bucket, prefix string) string { return fmt.Sprintf("gs://%s/%s", bucket, prefix) },
		bucket: func() string { return os.Getenv("DICTDB_GCS_BUCKET") },
	},
	{
		name: "azurite",
		env:  []string{"DICTDB_AZURE_DOMAIN", "DICTDB_AZURE_CONTAINER", "AZURE_STORAGE_ACCOUNT", "AZURE_STORAGE_KEY"},
		url: func(bucket, prefix string) string {
			return fmt.Sprintf("azblob://%s/%s?protocol=http&domain=%s&localemu=true", bucket, prefix, os.Getenv("DICTDB_AZURE_DOMAIN"))
		},
		bucket: func() string { return os.Getenv("DICTDB_AZURE_CONTAINER") },
	},
}

// need skips the test unless the backend's environment is set, or fails it
// when DICTDB_REQUIRE_INTEGRATION=1.
func (b backend) need(t *testing.T) {
	t.Helper()
	for _, v := range b.env {
		if os.Getenv(v) == "" {
			msg := fmt.Sprintf("%s: %s is not set; start the servers with scripts/test-servers.sh up, then eval \"$(scripts/test-servers.sh env)\" (or run scripts/test.sh)", b.name, v)
			if os.Getenv("DICTDB_REQUIRE_INTEGRATION") == "1" {
				t.Fatal(msg + " [DICTDB_REQUIRE_INTEGRATION=1: a skip is a failure]")
			}
			t.Skip(msg)
		}
	}
}

func randomPrefix(t *testing.T) string {
	var b [6]byte
	_, err := rand.Read(b[:])
	require.NoError(t, err)
	return "itest-" + hex.EncodeToString(b[:])
}

// open opens a sink on a fresh random prefix and deletes everything under
// it when the test ends.
func (b backend) open(t *testing.T) sink.Sink {
	t.Helper()
	b.need(t)
	return b.openAt(t, b.bucket(), randomPrefix(t))
}

// openAt opens the sink at bucket and prefix, with extra URL parameters
// ("part_size=65536"), and deletes everything under it when the test ends.
func (b backend) openAt(t *testing.T, bucket, prefix string, params ...string) sink.Sink {
	t.Helper()
	u := b.url(bucket, prefix)
	for _, p := range params {
		if strings.Contains(u, "?") {
			u += "&" + p
		} else {
			u += "?" + p
		}
	}
	s, err := sink.Open(context.Background(), u)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx := context.Background()
		objs, err := s.List(ctx, "")
		if err == nil {
			for _, o := range objs {
				_ = s.Delete(ctx, o.Key)
			}
		}
		s.Close()
	})
	return s
}

// each runs fn as a subtest per backend.
func each(t *testing.T, fn func(t *testing.T, b backend)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { fn(t, b) })
	}
}
