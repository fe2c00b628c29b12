// Package gcs is the sink for Google Cloud Storage, through
// gocloud.dev/blob/gcsblob.
//
// Credentials are Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS,
// gcloud's user credentials, or the metadata server), never from the URL
// (sink.Open refuses user info). When STORAGE_EMULATOR_HOST is set (e.g.
// 127.0.0.1:4443), requests go to that emulator, such as fake-gcs-server,
// without credentials.
//
// # URLs
//
// Importing this package registers the gs scheme with sink.Open:
//
//	gs://bucket/some/prefix
//
// The host is the bucket and the path, if any, the prefix under which every
// object is stored. Query parameters:
//
//   - anonymous: "true" uses no credentials (public buckets, emulators).
//   - part_size: upload chunk size in bytes (default 8 MiB).
//   - retries: attempts per operation through sink.Open (default 5; 1
//     disables retries).
//
// Any other parameter is an error.
//
// # Conditional writes
//
// The sink is a sink.ConditionalSink: create-if-absent is the upload's
// ifGenerationMatch=0 precondition and compare-and-swap ifGenerationMatch
// with the generation, decided when the upload is finalized; 412 is
// sink.ErrPrecondition. The version is the object's generation, which
// every write changes, as the upload's response and the response carrying
// GetVersion's bytes report it.
package gcs

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"

	"cloud.google.com/go/storage"
	"gocloud.dev/blob/gcsblob"
	"gocloud.dev/gcp"

	"github.com/dictdb/dictdb-go/sink"
	"github.com/dictdb/dictdb-go/sink/blobsink"
)

// Scheme is the URL scheme of this sink.
const Scheme = "gs"

// Sink is a GCS sink.
type Sink = blobsink.Sink

// Config configures a GCS sink.
type Config struct {
	Bucket    string
	Prefix    string
	Anonymous bool
	PartSize  int
	// NoSDKRetries turns the storage client's own retries off, so that
	// every operation is one request (sink.Open sets it for retries=1).
	NoSDKRetries bool
}

func init() {
	sink.RegisterWithRetry(Scheme, func(ctx context.Context, u *url.URL) (sink.Sink, error) { return OpenURL(ctx, u) },
		sink.Credentials("Application Default Credentials come from the environment (GOOGLE_APPLICATION_CREDENTIALS "+
			"names a service account key file), gcloud's user credentials or the metadata server; anonymous=true uses none"))
}

// ParseURL turns a gs:// URL into a Config.
func ParseURL(u *url.URL) (Config, error) {
	if err := sink.CheckParams(u, "anonymous", "part_size", sink.RetryParam); err != nil { // sink.Open reads retries first
		return Config{}, err
	}
	q := u.Query()
	c := Config{Bucket: u.Host, Prefix: strings.Trim(u.Path, "/")}
	var err error
	if c.Anonymous, err = sink.BoolParam(q, "anonymous", false); err != nil {
		return c, err
	}
	if c.PartSize, err = sink.SizeParam(q, "part_size", 256<<10); err != nil {
		return c, err
	}
	c.NoSDKRetries = sink.SingleAttempt(u)
	return c, nil
}

// OpenURL opens the sink a gs:// URL names.
func OpenURL(ctx context.Context, u *url.URL) (*Sink, error) {
	c, err := ParseURL(u)
	if err != nil {
		return nil, err
	}
	return New(ctx, c)
}

// New opens a GCS sink.
func New(ctx context.Context, c Config) (*Sink, error) {
	if c.Bucket == "" {
		return nil, fmt.Errorf("gcs: the URL names no bucket: want gs://BUCKET/prefix")
	}
	var client *gcp.HTTPClient
	if c.Anonymous || os.Getenv("STORAGE_EMULATOR_HOST") != "" {
		client = gcp.NewAnonymousHTTPClient(gcp.DefaultTransport())
	} else {
		creds, err := gcp.DefaultCredentials(ctx)
		if err != nil {
			return nil, fmt.Errorf("gcs: application default credentials: %w", err)
		}
		client, err = gcp.NewHTTPClient(gcp.DefaultTransport(), gcp.CredentialsTokenSource(creds))
		if err != nil {
			return nil, fmt.Errorf("gcs: %w", err)
		}
	}
	bucket, err := gcsblob.OpenBucket(ctx, client, c.Bucket, nil)
	if err != nil {
		return nil, fmt.Errorf("gcs: open bucket %s: %w", c.Bucket, err)
	}
	var sc *storage.Client
	if c.NoSDKRetries && bucket.As(&sc) {
		sc.SetRetry(storage.WithPolicy(storage.RetryNever))
	}
	return blobsink.New(bucket, blobsink.Options{Name: "gcs", Prefix: c.Prefix, PartSize: c.PartSize, Conditional: conditional{}}), nil
}
