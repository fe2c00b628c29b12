package azure_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/sink"
	_ "github.com/dictdb/dictdb-go/sink/azure"
)

// The service URL gocloud builds holds AZURE_STORAGE_SAS_TOKEN; an error
// about it does not quote it.
func TestOpenErrorsHideTheSASToken(t *testing.T) {
	const sig = "S1gnature-from-the-env"
	t.Setenv("AZURE_STORAGE_ACCOUNT", "acct")
	t.Setenv("AZURE_STORAGE_KEY", "")
	t.Setenv("AZURE_STORAGE_CONNECTION_STRING", "")
	t.Setenv("AZURE_STORAGEBLOB_CONNECTIONSTRING", "")
	t.Setenv("AZURE_STORAGE_SAS_TOKEN", "sv=2020-08-04&se=2030-01-01&sp=rwdl&sig="+sig)
	ctx := context.Background()

	_, err := sink.Open(ctx, "azblob://c?domain=127.0.0.1:port&protocol=http")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "invalid port")
	assert.NotContains(t, err.Error(), sig)

	// A valid one opens without connecting.
	s, err := sink.Open(ctx, "azblob://c/p?domain=127.0.0.1:1&protocol=http&retries=1")
	require.NoError(t, err)
	require.NoError(t, s.Close())
}

// A domain is a host and port: credentials or a path there are refused,
// without quoting them.
func TestOpenRefusesDomainWithUserInfo(t *testing.T) {
	for _, domain := range []string{"user:S3cr3t@127.0.0.1:10000", "127.0.0.1:10000/x?sig=S3cr3t"} {
		_, err := sink.Open(context.Background(), "azblob://c?domain="+domain)
		require.Error(t, err, domain)
		assert.Contains(t, err.Error(), "domain: want a host name", domain)
		assert.NotContains(t, err.Error(), "S3cr3t", domain)
	}
}
