package s3

import (
	"context"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/sink"
)

func TestParseURL(t *testing.T) {
	u, err := url.Parse("s3://bucket/some/prefix/?endpoint=http://127.0.0.1:9000&use_path_style=true&region=us-east-1&sse=AES256&profile=p&part_size=6291456")
	require.NoError(t, err)
	c, err := ParseURL(u)
	require.NoError(t, err)
	assert.Equal(t, Config{Bucket: "bucket", Prefix: "some/prefix", Region: "us-east-1", Endpoint: "http://127.0.0.1:9000",
		UsePathStyle: true, Profile: "p", SSE: "AES256", PartSize: 6 << 20}, c)
}

// An endpoint is checked when the sink opens, and the error does not quote
// it: the SDK would ignore user info there and quote the endpoint later.
func TestEndpointChecked(t *testing.T) {
	for endpoint, want := range map[string]string{
		"http://admin:S3cr3t@127.0.0.1:9000":     sink.ErrCredentialsInURL.Error(),
		"http://admin@127.0.0.1:9000":            sink.ErrCredentialsInURL.Error(),
		"http://admin:S3cr3t/x@127.0.0.1:9000":   "invalid port after host",
		"http://127.0.0.1:9000/?sig=S3cr3t":      "without a query",
		"http://127.0.0.1:9000/#S3cr3t":          "without a query",
		"ftp://127.0.0.1:9000/S3cr3t":            "want http://host:port",
		"127.0.0.1:9000/S3cr3t":                  "invalid URL",
		"http:///S3cr3t":                         "want http://host:port",
		"http://127.0.0.1:9000/%zzS3cr3t":        "invalid URL escape",
		"https://minio.example:9000/x\x7fS3cr3t": "invalid control character",
	} {
		_, err := New(context.Background(), Config{Bucket: "b", Endpoint: endpoint, Region: "eu-west-1"})
		require.Error(t, err, endpoint)
		assert.Contains(t, err.Error(), want, endpoint)
		assert.NotContains(t, err.Error(), "S3cr3t", endpoint)
		assert.NotContains(t, err.Error(), "admin", endpoint)
	}
}

// Opening an s3:// URL makes no request: nothing listens on port 1.
func TestOpenDoesNotConnect(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "example")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	s, err := sink.Open(context.Background(), "s3://bucket/p?endpoint=http://127.0.0.1:1/&region=eu-west-1&use_path_style=true&retries=1")
	require.NoError(t, err)
	require.NoError(t, s.Close())
}
