package sink_test

import (
	"context"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/sink"
	_ "github.com/dictdb/dictdb-go/sink/all"
)

func TestOpenRegisteredSchemes(t *testing.T) {
	assert.Equal(t, []string{"azblob", "file", "gs", "mem", "s3"}, sink.Schemes())
	ctx := context.Background()

	dir := t.TempDir()
	s, err := sink.Open(ctx, "file://"+filepath.ToSlash(dir))
	require.NoError(t, err)
	require.NoError(t, s.Put(ctx, "a/b", strings.NewReader("x")))
	assert.FileExists(t, filepath.Join(dir, "a", "b"))
	require.NoError(t, s.Close())

	m, err := sink.Open(ctx, "mem://")
	require.NoError(t, err)
	require.NoError(t, m.Put(ctx, "k", strings.NewReader("v")))
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		url, want string
	}{
		{"ftp://host/x", `unknown scheme "ftp"`},
		{"ftp://host/x", "azblob, file, gs, mem, s3"},
		{"/just/a/path", "has no scheme"},
		{"file://remote-host/x", `names host "remote-host"`},
		{"file://", "no path"},
		{"mem://?size=1", `unknown query parameter "size"`},
		{"file:///tmp/x?sync=false", `unknown query parameter "sync"`},
		{"s3://bucket?endpont=http://x", `unknown query parameter "endpont"`},
		{"s3://bucket?endpont=http://x", "endpoint, kms_key_id, part_size, profile, region, retries, sse, use_path_style"},
		{"s3://bucket?use_path_style=maybe", "use_path_style"},
		{"s3://bucket?sse=rot13", "sse"},
		{"s3://bucket?kms_key_id=k", "kms_key_id needs sse=aws:kms"},
		{"s3://bucket?checksums=always", "checksums"},
		{"s3://bucket?part_size=10", "part_size"},
		{"s3:///prefix", "no bucket"},
		{"s3://b?region=a&region=b", "given 2 times"},
		{"gs://bucket?project=p", `unknown query parameter "project"`},
		{"gs://bucket?anonymous=sure", "anonymous"},
		{"azblob://container?account=a", `unknown query parameter "account"`},
		{"azblob://container?protocol=ftp", "protocol"},
		{"azblob://container?localemu=perhaps", "localemu"},
		{"azblob:///prefix", "no container"},
		{"%zz", "invalid URL"},
	}
	for _, c := range cases {
		t.Run(c.url, func(t *testing.T) {
			s, err := sink.Open(ctx, c.url)
			require.Error(t, err)
			assert.Nil(t, s)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

func TestRedact(t *testing.T) {
	u, err := url.Parse("s3://user:pw@bucket/p?region=x&secret_key=abc&sas_token=t&kms_key_id=id")
	require.NoError(t, err)
	got := sink.Redact(u)
	assert.NotContains(t, got, "pw")
	assert.NotContains(t, got, "abc")
	assert.NotContains(t, got, "=t")
	assert.Contains(t, got, "kms_key_id=id")
	assert.Contains(t, got, "region=x")
}

// A URL that names no bucket says so plainly, with the URL as written.
func TestOpenWithoutBucket(t *testing.T) {
	for url, want := range map[string]string{
		"s3://":     "sink: open s3://: s3: the URL names no bucket: want s3://BUCKET/prefix",
		"gs://":     "sink: open gs://: gcs: the URL names no bucket: want gs://BUCKET/prefix",
		"azblob://": "sink: open azblob://: azure: the URL names no container: want azblob://CONTAINER/prefix",
	} {
		_, err := sink.Open(context.Background(), url)
		require.Error(t, err, url)
		assert.Equal(t, want, err.Error())
	}
}

// The unknown-parameter error of an object store lists retries, which
// sink.Open reads before the backend sees the URL.
func TestUnknownParamListsRetries(t *testing.T) {
	for _, url := range []string{"s3://b?bogus=1", "gs://b?bogus=1", "azblob://c?bogus=1"} {
		_, err := sink.Open(context.Background(), url)
		require.Error(t, err, url)
		assert.Contains(t, err.Error(), `unknown query parameter "bogus"`, url)
		assert.Contains(t, err.Error(), "retries", url)
	}
}
