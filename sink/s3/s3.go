// Package s3 is the sink for Amazon S3 and S3-compatible stores such as
// MinIO, through gocloud.dev/blob/s3blob and aws-sdk-go-v2.
//
// Credentials come from the AWS SDK's default chain: the environment
// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), the shared
// config and credentials files, a named profile, or the instance role;
// never from the URL (sink.Open refuses user info, here and in endpoint).
//
// # URLs
//
// Importing this package registers the s3 scheme with sink.Open:
//
//	s3://bucket/some/prefix?region=eu-west-1
//	s3://bucket/prefix?endpoint=http://127.0.0.1:9000&use_path_style=true&region=us-east-1
//
// The host is the bucket and the path, if any, the prefix under which every
// object is stored, so many databases can share a bucket. Query parameters:
//
//   - region: the AWS region (default: from the environment or profile).
//   - endpoint: the S3 endpoint URL, for S3-compatible stores (MinIO).
//   - use_path_style: "true" addresses buckets as endpoint/bucket instead of
//     bucket.endpoint; MinIO needs it.
//   - profile: the shared config profile to use.
//   - sse: server-side encryption, "AES256" or "aws:kms".
//   - kms_key_id: the KMS key for sse=aws:kms.
//   - checksums: "when_required" or "when_supported", the SDK's request
//     checksum and response validation mode. The default is the SDK's
//     (when_supported) for AWS and when_required when endpoint is set, since
//     some S3-compatible stores reject the newer default checksums.
//   - part_size: upload part size in bytes (default 8 MiB).
//   - retries: attempts per operation through sink.Open (default 5; 1
//     disables retries).
//
// Any other parameter is an error.
//
// # Conditional writes
//
// The sink is a sink.ConditionalSink: create-if-absent sends
// If-None-Match: * and compare-and-swap If-Match: <ETag> with PutObject,
// or, for an object of 16 MiB or more uploaded in parts, with
// CompleteMultipartUpload, where S3 decides. 412 PreconditionFailed, 409
// ConditionalRequestConflict (a race with another conditional write) and,
// for If-Match, 404 NoSuchKey are sink.ErrPrecondition. The version is the
// ETag that S3 answered the upload with, and that of the GetObject response
// GetVersion reads. An ETag is a hash of the content (for objects not
// encrypted with KMS keys): writing the same bytes again gives the same
// version, so a lease must make each of its writes unique. S3 (since
// 2024) and MinIO support both conditions; a store that ignores them
// would break the guarantee, so check an S3-compatible store with
// sinktest.RunConditional before relying on it.
package s3

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/logging"
	"gocloud.dev/blob/s3blob"

	"github.com/dictdb/dictdb-go/sink"
	"github.com/dictdb/dictdb-go/sink/blobsink"
)

// Scheme is the URL scheme of this sink.
const Scheme = "s3"

// Config configures an S3 sink.
type Config struct {
	Bucket       string
	Prefix       string // objects are stored under Prefix/ (optional)
	Region       string // default: from the environment or profile
	Endpoint     string // for S3-compatible stores, e.g. http://127.0.0.1:9000
	UsePathStyle bool   // endpoint/bucket addressing (MinIO)
	Profile      string // shared config profile
	SSE          string // server-side encryption: "", "AES256" or "aws:kms"
	KMSKeyID     string // KMS key for SSE "aws:kms"
	// Checksums is "when_required" or "when_supported" ("" = when_supported
	// for AWS, when_required with a custom Endpoint).
	Checksums string
	PartSize  int // upload part size (default blobsink.DefaultPartSize)
	// NoSDKRetries turns the AWS SDK's own retries off, so that every
	// operation is one request (sink.Open sets it for retries=1; retries
	// are then WithRetry's alone).
	NoSDKRetries bool
}

// Sink is an S3 sink.
type Sink = blobsink.Sink

// credentials says where they come from, for sink.Open's refusal of a URL
// that holds some.
const credentials = "the AWS SDK reads them from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, " +
	"AWS_SESSION_TOKEN), the shared config and credentials files (profile= or AWS_PROFILE picks a profile) " +
	"or the instance role"

// params are the URL parameters; sink.Open reads retries (sink.RetryParam)
// before the URL reaches OpenURL, which ignores it.
var params = []string{"region", "endpoint", "use_path_style", "profile", "sse", "kms_key_id", "checksums", "part_size", sink.RetryParam}

func init() {
	sink.RegisterWithRetry(Scheme, func(ctx context.Context, u *url.URL) (sink.Sink, error) { return OpenURL(ctx, u) },
		sink.Credentials(credentials))
}

// ParseURL turns an s3:// URL into a Config.
func ParseURL(u *url.URL) (Config, error) {
	if err := sink.CheckParams(u, params...); err != nil {
		return Config{}, err
	}
	q := u.Query()
	c := Config{
		Bucket:    u.Host,
		Prefix:    strings.Trim(u.Path, "/"),
		Region:    q.Get("region"),
		Endpoint:  q.Get("endpoint"),
		Profile:   q.Get("profile"),
		SSE:       q.Get("sse"),
		KMSKeyID:  q.Get("kms_key_id"),
		Checksums: q.Get("checksums"),
	}
	var err error
	if c.UsePathStyle, err = sink.BoolParam(q, "use_path_style", false); err != nil {
		return c, err
	}
	if c.PartSize, err = sink.SizeParam(q, "part_size", 5<<20); err != nil { // S3's least part
		return c, err
	}
	c.NoSDKRetries = sink.SingleAttempt(u)
	return c, nil
}

// OpenURL opens the sink an s3:// URL names.
func OpenURL(ctx context.Context, u *url.URL) (*Sink, error) {
	c, err := ParseURL(u)
	if err != nil {
		return nil, err
	}
	return New(ctx, c)
}

// New opens an S3 sink.
func New(ctx context.Context, c Config) (*Sink, error) {
	if c.Bucket == "" {
		return nil, fmt.Errorf("s3: the URL names no bucket: want s3://BUCKET/prefix")
	}
	var sse types.ServerSideEncryption
	switch strings.ToLower(c.SSE) {
	case "":
	case "aes256":
		sse = types.ServerSideEncryptionAes256
	case "aws:kms":
		sse = types.ServerSideEncryptionAwsKms
	default:
		return nil, fmt.Errorf("s3: sse=%q: want AES256 or aws:kms", c.SSE)
	}
	if c.Endpoint != "" {
		if err := checkEndpoint(c.Endpoint); err != nil {
			return nil, err
		}
	}
	if c.KMSKeyID != "" && sse != types.ServerSideEncryptionAwsKms {
		return nil, fmt.Errorf("s3: kms_key_id needs sse=aws:kms")
	}
	checksums := c.Checksums
	if checksums == "" {
		checksums = "when_supported"
		if c.Endpoint != "" {
			checksums = "when_required"
		}
	}
	var reqCk aws.RequestChecksumCalculation
	var respCk aws.ResponseChecksumValidation
	switch checksums {
	case "when_supported":
		reqCk, respCk = aws.RequestChecksumCalculationWhenSupported, aws.ResponseChecksumValidationWhenSupported
	case "when_required":
		reqCk, respCk = aws.RequestChecksumCalculationWhenRequired, aws.ResponseChecksumValidationWhenRequired
	default:
		return nil, fmt.Errorf("s3: checksums=%q: want when_required or when_supported", c.Checksums)
	}

	loadOpts := []func(*config.LoadOptions) error{
		config.WithRequestChecksumCalculation(reqCk),
		config.WithResponseChecksumValidation(respCk),
		// The SDK's log lines (such as its warning when it falls back to
		// IMDSv1) would go to stderr: errors are returned instead.
		config.WithLogger(logging.Nop{}),
	}
	if c.NoSDKRetries {
		loadOpts = append(loadOpts, config.WithRetryMaxAttempts(1))
	}
	if c.Endpoint != "" {
		// An S3-compatible store has no instance metadata service: do not
		// probe for one when no other credentials are set.
		loadOpts = append(loadOpts, config.WithEC2IMDSClientEnableState(imds.ClientDisabled))
	}
	if c.Region != "" {
		loadOpts = append(loadOpts, config.WithRegion(c.Region))
	}
	if c.Profile != "" {
		loadOpts = append(loadOpts, config.WithSharedConfigProfile(c.Profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return nil, fmt.Errorf("s3: load AWS config: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	client := awss3.NewFromConfig(cfg, func(o *awss3.Options) {
		if c.Endpoint != "" {
			o.BaseEndpoint = aws.String(c.Endpoint)
		}
		o.UsePathStyle = c.UsePathStyle
		o.APIOptions = append(o.APIOptions, recordETags)
	})
	bucket, err := s3blob.OpenBucket(ctx, client, c.Bucket, &s3blob.Options{
		EncryptionType:             sse,
		KMSEncryptionID:            c.KMSKeyID,
		RequestChecksumCalculation: reqCk,
	})
	if err != nil {
		return nil, fmt.Errorf("s3: open bucket %s: %w", c.Bucket, err)
	}
	return blobsink.New(bucket, blobsink.Options{
		Name: "s3", Prefix: c.Prefix, PartSize: c.PartSize, IsAuthError: isAuthError, Conditional: conditional{},
	}), nil
}

// checkEndpoint returns an error, which does not quote it, unless endpoint
// is an http or https URL with a host and neither user info, query nor
// fragment: the SDK would ignore credentials there, and its errors would
// quote the endpoint.
func checkEndpoint(endpoint string) error {
	u, err := sink.Parse(endpoint)
	if err != nil {
		return fmt.Errorf("s3: endpoint: %w", err)
	}
	if u.User != nil {
		return fmt.Errorf("s3: endpoint: %w: %s", sink.ErrCredentialsInURL, credentials)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return fmt.Errorf("s3: endpoint: want http://host:port or https://host[:port][/path], without a query or fragment")
	}
	return nil
}

// isAuthError reports whether S3 refused the request's credentials
// (SignatureDoesNotMatch, InvalidAccessKeyId, AccessDenied: HTTP 401/403),
// or the SDK found none to send.
func isAuthError(err error) bool {
	if strings.Contains(err.Error(), "get credentials:") {
		return true // the SDK found no credentials: no request was sent
	}
	var status interface{ HTTPStatusCode() int }
	if errors.As(err, &status) {
		code := status.HTTPStatusCode()
		return code == http.StatusUnauthorized || code == http.StatusForbidden
	}
	return false
}
