package s3

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseURL(t *testing.T) {
	u, err := url.Parse("s3://bucket/some/prefix/?endpoint=http://127.0.0.1:9000&use_path_style=true&region=us-east-1&sse=AES256&profile=p&part_size=6291456")
	require.NoError(t, err)
	c, err := ParseURL(u)
	require.NoError(t, err)
	assert.Equal(t, Config{Bucket: "bucket", Prefix: "some/prefix", Region: "us-east-1", Endpoint: "http://127.0.0.1:9000",
		UsePathStyle: true, Profile: "p", SSE: "AES256", PartSize: 6 << 20}, c)
}
