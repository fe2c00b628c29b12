package blobsink

import (
	"fmt"
	"net/url"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gocloud.dev/blob/memblob"
)

// An HTTP client's error quotes the request URL, whose query holds the SAS
// token on Azure: errors show it redacted, and still wrap the cause.
func TestErrorsRedactRequestURLs(t *testing.T) {
	s := New(memblob.OpenBucket(nil), Options{Name: "azure"})
	defer s.Close()
	for _, raw := range []string{
		"http://127.0.0.1:1/acct/c?comp=list&restype=container&sig=S3cr3t&sv=2020-08-04",
		"http://127.0.0.1:1/acct/c?sig=S3cr3t%zz",
		"http://admin:S3cr3t/x@127.0.0.1:1/acct/c",
	} {
		cause := &url.Error{Op: "Get", URL: raw, Err: syscall.ECONNREFUSED}
		err := s.wrap("list", "db1/", fmt.Errorf("blob (code=Unknown): %w", cause))
		require.ErrorIs(t, err, syscall.ECONNREFUSED, raw)
		assert.NotContains(t, err.Error(), "S3cr3t", raw)
		assert.Contains(t, err.Error(), "sink/azure: list db1/: blob (code=Unknown): Get ", raw)
	}
	err := s.wrap("get", "k", &url.Error{Op: "Get", URL: "http://127.0.0.1:1/acct/c/k?sig=S3cr3t&sv=2020-08-04", Err: syscall.ECONNREFUSED})
	assert.Contains(t, err.Error(), `Get "http://127.0.0.1:1/acct/c/k?sig=xxxxx&sv=xxxxx": connection refused`)
}
