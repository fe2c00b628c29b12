// Package blobsink implements sink.Sink on a gocloud.dev/blob Bucket. The
// object-store backends (sink/s3, sink/gcs, sink/azure) only configure a
// bucket; this package does the rest once: key validation, streaming
// uploads that are complete or absent, listing, and error mapping
// (gcerrors.NotFound becomes sink.ErrNotFound).
//
// A Put streams its reader through the bucket's writer, in parts of
// Options.PartSize (multipart on S3, resumable on GCS, blocks on Azure), so
// memory stays bounded whatever the object's size. If the reader fails or
// ctx is cancelled, the upload is aborted and no object becomes visible.
//
// # Conditional writes
//
// With Options.Conditional, the driver's part (see Conditional), a Sink is
// a sink.ConditionalSink. Create-if-absent is gocloud's portable
// blob.WriterOptions.IfNotExist; a compare-and-swap is the store's own
// precondition, which the driver's part sets through
// blob.WriterOptions.BeforeWrite and the driver's As types. The store
// decides when it commits the object (for an upload in parts, when it joins
// them), so the condition holds for the whole upload. The version PutIf
// returns is the one the store's answer to the upload carries, and
// GetVersion's is the one in the response that carries the bytes: neither
// is read afterwards, when another writer may have written. A failed
// condition (gcerrors.FailedPrecondition, and what the driver's part
// recognizes) is sink.ErrPrecondition, never retried; a condition a store
// cannot take is sink.ErrNotSupported, never ignored.
package blobsink

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/dictdb/dictdb-go/sink"
)

// DefaultPartSize is the default upload part size: what a Put holds in
// memory per concurrent part.
const DefaultPartSize = 8 << 20

// DefaultConcurrency is how many parts of an upload are sent at once by
// default: a large backup uploads at the speed of several connections, for
// at most 32 MiB of parts in memory per Put.
const DefaultConcurrency = 4

// Options tune a Sink.
type Options struct {
	// Name identifies the sink in errors, e.g. "s3" (default "blob").
	Name string
	// Prefix is prepended to every key, isolating this sink's objects from
	// others in the same bucket. A trailing "/" is added if missing.
	Prefix string
	// PartSize is the upload part size (default DefaultPartSize).
	PartSize int
	// Concurrency is the number of parts uploaded at once (default
	// DefaultConcurrency), which bounds a Put's memory at Concurrency
	// parts of PartSize.
	Concurrency int
	// IsAuthError, if set, reports whether an error means the credentials
	// were refused, for stores whose refusals gocloud does not classify.
	IsAuthError func(error) bool
	// Conditional, if set, makes the Sink's PutIf and GetVersion work (see
	// Conditional); without it they return sink.ErrNotSupported.
	Conditional Conditional
}

// Sink is a sink.Sink on a blob.Bucket.
type Sink struct {
	bucket *blob.Bucket
	opts   Options
}

// New returns a Sink that stores objects in bucket, and closes it on Close.
// With a Prefix, bucket is wrapped by blob.PrefixedBucket and must not be
// used directly afterwards.
func New(bucket *blob.Bucket, opts Options) *Sink {
	if opts.Name == "" {
		opts.Name = "blob"
	}
	if opts.PartSize <= 0 {
		opts.PartSize = DefaultPartSize
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.Prefix != "" {
		if opts.Prefix[len(opts.Prefix)-1] != '/' {
			opts.Prefix += "/"
		}
		bucket = blob.PrefixedBucket(bucket, opts.Prefix)
	}
	return &Sink{bucket: bucket, opts: opts}
}

// Bucket returns the underlying bucket (already prefixed).
func (s *Sink) Bucket() *blob.Bucket { return s.bucket }

// wrap maps err once: a missing object is sink.ErrNotFound; a missing
// bucket or refused credentials get a hint besides the SDK's words; and the
// error says whether a retry may succeed (sink.TransientError).
func (s *Sink) wrap(op, key string, err error) error {
	code := gcerrors.Code(err)
	err = &classified{err: redactURLs(err), transient: transient(code, err)}
	switch {
	case code == gcerrors.NotFound && (op == "put" || op == "list"):
		return fmt.Errorf("sink/%s: %s %s: %w: %w", s.opts.Name, op, key, sink.ErrNoBucket, err)
	case code == gcerrors.NotFound:
		return fmt.Errorf("sink/%s: %s %s: %w (%v)", s.opts.Name, op, key, sink.ErrNotFound, err)
	case code == gcerrors.PermissionDenied || s.opts.IsAuthError != nil && s.opts.IsAuthError(err):
		return fmt.Errorf("sink/%s: %s %s: permission denied (check the credentials): %w", s.opts.Name, op, key, err)
	}
	return fmt.Errorf("sink/%s: %s %s: %w", s.opts.Name, op, key, err)
}

// classified is a store's error that knows whether it is transient.
type classified struct {
	err       error
	transient bool
}

func (e *classified) Error() string   { return oneLine(e.err.Error()) }
func (e *classified) Unwrap() error   { return e.err }
func (e *classified) Transient() bool { return e.transient }

// oneLine makes an SDK's error message one line: Azure's quote the whole
// response, separators and XML body included. The lines before the body
// are kept, joined with "; ".
func oneLine(msg string) string {
	if !strings.Contains(msg, "\n") {
		return msg
	}
	var keep []string
	for _, line := range strings.Split(msg, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "", strings.HasPrefix(line, "-----"):
			continue
		case strings.HasPrefix(line, "<"):
			return strings.Join(keep, "; ")
		}
		keep = append(keep, line)
	}
	return strings.Join(keep, "; ")
}

// transient maps gocloud's error codes: an overloaded, failing or slow store
// may answer a retry; a missing object, refused credentials or a bad
// request never will. Other codes are decided as sink.Transient decides a
// plain error: by the network error or HTTP status in its chain.
func transient(code gcerrors.ErrorCode, err error) bool {
	switch code {
	case gcerrors.ResourceExhausted, gcerrors.Internal, gcerrors.DeadlineExceeded:
		return true
	case gcerrors.NotFound, gcerrors.PermissionDenied, gcerrors.InvalidArgument, gcerrors.FailedPrecondition,
		gcerrors.AlreadyExists, gcerrors.Unimplemented, gcerrors.Canceled:
		return false
	}
	return sink.Transient(err)
}

// redactURLs returns err with each request URL its message quotes (that
// of each *url.Error in its chain) redacted: an HTTP client's error quotes
// the request URL, whose query holds the SAS token on Azure. The result
// wraps err, and those *url.Error hold the redacted URL too.
func redactURLs(err error) error {
	msg := err.Error()
	changed := false
	for e := err; ; {
		var ue *url.Error
		if !errors.As(e, &ue) {
			break
		}
		shown := "(URL not shown)"
		if u, perr := url.Parse(ue.URL); perr == nil {
			shown = sink.Redact(u)
		}
		if shown != ue.URL {
			msg = strings.ReplaceAll(msg, strconv.Quote(ue.URL), strconv.Quote(shown))
			msg = strings.ReplaceAll(msg, ue.URL, shown)
			ue.URL = shown
			changed = true
		}
		e = ue.Err
	}
	if !changed {
		return err
	}
	return &redactedError{msg: msg, err: err}
}

// redactedError is an error with a message redacted by redactURLs.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// Put streams r into the object key. On any failure the upload is aborted:
// the object keeps its previous state.
func (s *Sink) Put(ctx context.Context, key string, r io.Reader) error {
	if err := sink.ValidateKey(key); err != nil {
		return fmt.Errorf("sink/%s: put: %w", s.opts.Name, err)
	}
	if err := s.upload(ctx, key, r, &blob.WriterOptions{}); err != nil {
		return s.wrap("put", key, err)
	}
	return nil
}

// upload streams r into the object key with opts, to which it adds the
// content type, part size and concurrency. A read error of r comes back
// as a *readError, the upload it aborted being no news.
func (s *Sink) upload(ctx context.Context, key string, r io.Reader, opts *blob.WriterOptions) error {
	// Cancelling wctx aborts the upload: gocloud finishes an upload when its
	// writer closes, even after a failed read, unless its context is done.
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ar := &abortingReader{r: sink.NewContextReader(ctx, r), abort: cancel}
	opts.ContentType = "application/octet-stream"
	opts.BufferSize = s.opts.PartSize
	opts.MaxConcurrency = s.opts.Concurrency
	err := s.bucket.Upload(wctx, key, ar, opts)
	if ar.err != nil {
		return &readError{ar.err} // the reader's error, not the abort it caused
	}
	return err
}

// abortingReader cancels the upload's context before it reports a read
// error, so the upload is aborted rather than completed with part of the data.
type abortingReader struct {
	r     io.Reader
	abort context.CancelFunc
	err   error
}

func (a *abortingReader) Read(p []byte) (int, error) {
	n, err := a.r.Read(p)
	if err != nil && err != io.EOF {
		a.err = err
		a.abort()
	}
	return n, err
}

// readError is the error of the reader an upload read.
type readError struct{ err error }

func (e *readError) Error() string { return e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// Get opens the object key for reading.
func (s *Sink) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := sink.ValidateKey(key); err != nil {
		return nil, fmt.Errorf("sink/%s: get: %w", s.opts.Name, err)
	}
	r, err := s.bucket.NewReader(ctx, key, nil)
	if err != nil {
		return nil, s.wrap("get", key, err)
	}
	return r, nil
}

// List returns the objects whose key starts with prefix, sorted by key.
func (s *Sink) List(ctx context.Context, prefix string) ([]sink.ObjectInfo, error) {
	var out []sink.ObjectInfo
	it := s.bucket.List(&blob.ListOptions{Prefix: prefix})
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, s.wrap("list", prefix, err)
		}
		if obj.IsDir {
			continue
		}
		out = append(out, sink.ObjectInfo{Key: obj.Key, Size: obj.Size, ModTime: obj.ModTime})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Delete removes the object key; a missing key is sink.ErrNotFound.
func (s *Sink) Delete(ctx context.Context, key string) error {
	if err := sink.ValidateKey(key); err != nil {
		return fmt.Errorf("sink/%s: delete: %w", s.opts.Name, err)
	}
	if err := s.bucket.Delete(ctx, key); err != nil {
		return s.wrap("delete", key, err)
	}
	return nil
}

// Close closes the bucket.
func (s *Sink) Close() error { return s.bucket.Close() }
