// Package azure is the sink for Azure Blob Storage, through
// gocloud.dev/blob/azureblob.
//
// Credentials come from the environment: AZURE_STORAGE_ACCOUNT with
// AZURE_STORAGE_KEY (shared key), AZURE_STORAGE_SAS_TOKEN, or
// AZURE_STORAGE_CONNECTION_STRING; without any of these, Azure's default
// credential chain (managed identity, Azure CLI, ...). Never from the URL:
// sink.Open refuses user info, and a SAS token's parameters (sig=, sv=, ...)
// are not parameters of azblob:// URLs.
//
// # URLs
//
// Importing this package registers the azblob scheme with sink.Open:
//
//	azblob://container/some/prefix
//	azblob://container/prefix?protocol=http&domain=127.0.0.1:10000&localemu=true   (Azurite)
//
// The host is the container and the path, if any, the prefix under which
// every object is stored. Query parameters:
//
//   - storage_account: the account name (default AZURE_STORAGE_ACCOUNT).
//   - domain: the storage domain (default blob.core.windows.net); for
//     Azurite, its host:port.
//   - protocol: "https" (default) or "http".
//   - localemu: "true" for the local emulator (account name in the path).
//   - cdn: "true" when domain is a CDN in front of the account.
//   - part_size: upload block size in bytes (default 8 MiB).
//   - retries: attempts per operation through sink.Open (default 5; 1
//     disables retries).
//
// Any other parameter is an error.
//
// # Conditional writes
//
// The sink is a sink.ConditionalSink: create-if-absent sends
// If-None-Match: * and compare-and-swap If-Match: <ETag> with Put Blob, or,
// for an object uploaded in blocks, with Put Block List, where Azure
// decides; 412 ConditionNotMet and 409 BlobAlreadyExists are
// sink.ErrPrecondition. The version is the ETag, which every write
// changes, as the upload's response and the download response of
// GetVersion report it. A client made by OpenURL reports the upload's ETag
// through a pipeline policy of its own.
package azure

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"gocloud.dev/blob/azureblob"

	"github.com/dictdb/dictdb-go/sink"
	"github.com/dictdb/dictdb-go/sink/blobsink"
)

// Scheme is the URL scheme of this sink.
const Scheme = azureblob.Scheme

// Sink is an Azure Blob Storage sink.
type Sink = blobsink.Sink

// params are the URL parameters; sink.Open reads retries (sink.RetryParam)
// before the URL reaches OpenURL, which ignores it.
var params = []string{"storage_account", "domain", "protocol", "localemu", "cdn", "part_size", sink.RetryParam}

func init() {
	sink.RegisterWithRetry(Scheme, func(ctx context.Context, u *url.URL) (sink.Sink, error) { return OpenURL(ctx, u) },
		sink.Credentials("they come from the environment: AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY, "+
			"AZURE_STORAGE_SAS_TOKEN or AZURE_STORAGE_CONNECTION_STRING; else Azure's default credential chain "+
			"(managed identity, Azure CLI, ...)"))
}

// OpenURL opens the sink an azblob:// URL names.
func OpenURL(ctx context.Context, u *url.URL) (*Sink, error) {
	if err := sink.CheckParams(u, params...); err != nil {
		return nil, err
	}
	if u.Host == "" {
		return nil, fmt.Errorf("azure: the URL names no container: want azblob://CONTAINER/prefix")
	}
	q := u.Query()
	partSize, err := sink.SizeParam(q, "part_size", 64<<10)
	if err != nil {
		return nil, err
	}
	for _, b := range []string{"localemu", "cdn"} {
		if _, err := sink.BoolParam(q, b, false); err != nil {
			return nil, err
		}
	}
	if p := q.Get("protocol"); p != "" && p != "http" && p != "https" {
		return nil, fmt.Errorf("protocol=%q: want http or https", p)
	}
	opts := azureblob.NewDefaultServiceURLOptions() // read from the environment on every open
	if v := q.Get("storage_account"); v != "" {
		opts.AccountName = v
	}
	if v := q.Get("domain"); v != "" {
		if strings.ContainsAny(v, "@/?#") {
			return nil, fmt.Errorf("domain: want a host name, with a port if need be, like 127.0.0.1:10000")
		}
		opts.StorageDomain = v
	}
	if v := q.Get("protocol"); v != "" {
		opts.Protocol = v
	}
	localemu, _ := sink.BoolParam(q, "localemu", opts.IsLocalEmulator)
	cdn, _ := sink.BoolParam(q, "cdn", opts.IsCDN)
	opts.IsLocalEmulator, opts.IsCDN = localemu, cdn
	client, err := newClient(opts, u.Host, sink.SingleAttempt(u))
	if err != nil {
		return nil, fmt.Errorf("azure: container %s: %w", u.Host, err)
	}
	bucket, err := azureblob.OpenBucket(ctx, client, nil)
	if err != nil {
		return nil, fmt.Errorf("azure: open container %s: %w", u.Host, err)
	}
	return blobsink.New(bucket, blobsink.Options{
		Name: "azure", Prefix: strings.Trim(u.Path, "/"), PartSize: partSize, IsAuthError: isAuthError, Conditional: conditional{},
	}), nil
}

// newClient makes a container client with the credentials the environment
// names: a shared key, a SAS token, a connection string, or else Azure's
// default credential chain.
func newClient(opts *azureblob.ServiceURLOptions, containerName string, noRetries bool) (*container.Client, error) {
	account, key := os.Getenv("AZURE_STORAGE_ACCOUNT"), os.Getenv("AZURE_STORAGE_KEY")
	if opts.AccountName != "" {
		account = opts.AccountName
	}
	connStr := os.Getenv("AZURE_STORAGE_CONNECTION_STRING")
	if connStr == "" {
		connStr = os.Getenv("AZURE_STORAGEBLOB_CONNECTIONSTRING")
	}
	if connStr != "" && key == "" && opts.SASToken == "" {
		return container.NewClientFromConnectionString(connStr, containerName, clientOptions(noRetries))
	}
	svcURL, err := azureblob.NewServiceURL(opts)
	if err != nil {
		return nil, err
	}
	// The service URL holds AZURE_STORAGE_SAS_TOKEN: sink.Parse's error
	// does not quote it, url.Parse's would.
	u, err := sink.Parse(string(svcURL))
	if err != nil {
		return nil, fmt.Errorf("service URL from the account, domain and protocol: %w", err)
	}
	containerURL := u.JoinPath(containerName).String()
	switch {
	case account != "" && key != "":
		cred, err := azblob.NewSharedKeyCredential(account, key)
		if err != nil {
			return nil, fmt.Errorf("AZURE_STORAGE_KEY: %w", err)
		}
		return container.NewClientWithSharedKeyCredential(containerURL, cred, clientOptions(noRetries))
	case opts.SASToken != "":
		return container.NewClientWithNoCredential(containerURL, clientOptions(noRetries))
	}
	cred, err := azidentity.NewDefaultAzureCredential(nil)
	if err != nil {
		return nil, fmt.Errorf("no AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY, AZURE_STORAGE_SAS_TOKEN or AZURE_STORAGE_CONNECTION_STRING, and Azure's default credentials failed: %w", err)
	}
	return container.NewClient(containerURL, cred, clientOptions(noRetries))
}

// clientOptions are the options of every container client: the policy
// that reports the versions conditional uploads stored.
// clientOptions returns the container client's options; noRetries turns
// the SDK's own retries off (sink.Open's retries=1).
func clientOptions(noRetries bool) *container.ClientOptions {
	var o container.ClientOptions
	o.PerCallPolicies = []policy.Policy{recordETags{}}
	if noRetries {
		o.Retry.MaxRetries = -1 // one try
	}
	return &o
}

// isAuthError reports whether Azure refused the credentials (HTTP 401/403).
func isAuthError(err error) bool {
	var re *azcore.ResponseError
	return errors.As(err, &re) && (re.StatusCode == http.StatusUnauthorized || re.StatusCode == http.StatusForbidden)
}
