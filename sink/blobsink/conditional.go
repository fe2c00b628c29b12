package blobsink

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/dictdb/dictdb-go/sink"
)

var _ sink.ConditionalSink = (*Sink)(nil)

// Conditional is what a driver adds to make a Sink a sink.ConditionalSink
// (Options.Conditional): how a write takes a compare-and-swap condition
// through the driver's As types, which version the store reports for what
// it stored, and which version a reader reads. sink/s3, sink/gcs and
// sink/azure each provide one; blobsink does the rest once: keys, the
// create-if-absent condition (blob.WriterOptions.IfNotExist, which every
// gocloud driver honours), aborting an upload whose reader fails, and
// mapping a failed condition to sink.ErrPrecondition.
type Conditional interface {
	// PrepareWrite prepares one conditional upload. match is the version
	// the stored object must still have, or "" for a create-if-absent. It
	// returns the context to upload with and the upload's hooks, or an
	// error matching sink.ErrNotSupported if the store cannot take the
	// condition (never ignore one), or sink.ErrPrecondition if match cannot
	// be a version of this store.
	PrepareWrite(ctx context.Context, match sink.Version) (context.Context, WriteHooks, error)
	// ReaderVersion returns the version of the object r reads, through
	// r.As: the version of its bytes, as the response that carries them
	// says.
	ReaderVersion(r *blob.Reader) (sink.Version, error)
	// IsPrecondition reports whether err, from a conditional upload, means
	// that its condition did not hold, beyond what gocloud maps to
	// gcerrors.FailedPrecondition (which blobsink recognizes itself).
	IsPrecondition(err error) bool
}

// WriteHooks are the driver's part of one conditional upload.
type WriteHooks struct {
	// BeforeWrite becomes blob.WriterOptions.BeforeWrite: it sets the
	// condition (and whatever Version needs) through the driver's As
	// types, and fails with sink.ErrNotSupported if they are not the
	// driver's it expects.
	BeforeWrite func(asFunc func(any) bool) error
	// Version returns, once the upload has succeeded, the version the
	// store reported for the object it stored: never one read afterwards,
	// which might be another writer's.
	Version func() (sink.Version, error)
}

// PutIf is Put if cond holds when the store commits the object; see
// sink.ConditionalSink. Without Options.Conditional it returns
// sink.ErrNotSupported.
func (s *Sink) PutIf(ctx context.Context, key string, r io.Reader, cond sink.Condition) (sink.Version, error) {
	if err := sink.ValidateKey(key); err != nil {
		return "", fmt.Errorf("sink/%s: put: %w", s.opts.Name, err)
	}
	if err := cond.Validate(); err != nil {
		return "", fmt.Errorf("sink/%s: put %s: %w", s.opts.Name, key, err)
	}
	c := s.opts.Conditional
	if c == nil {
		return "", fmt.Errorf("sink/%s: put %s: %w", s.opts.Name, key, sink.ErrNotSupported)
	}
	wctx, hooks, err := c.PrepareWrite(ctx, cond.IfMatch)
	if err != nil {
		return "", fmt.Errorf("sink/%s: put %s: %w", s.opts.Name, key, err)
	}
	err = s.upload(wctx, key, r, &blob.WriterOptions{IfNotExist: cond.IfAbsent, BeforeWrite: hooks.BeforeWrite})
	if err != nil {
		if errors.Is(err, sink.ErrNotSupported) || errors.Is(err, sink.ErrPrecondition) {
			return "", fmt.Errorf("sink/%s: put %s: %w", s.opts.Name, key, err)
		}
		if !errors.As(err, new(*readError)) && (gcerrors.Code(err) == gcerrors.FailedPrecondition || c.IsPrecondition(err)) {
			return "", fmt.Errorf("sink/%s: put %s: %w: %w", s.opts.Name, key, sink.ErrPrecondition, &classified{err: redactURLs(err)})
		}
		return "", s.wrap("put", key, err)
	}
	v, err := hooks.Version()
	if err != nil {
		// Stored, but its version is unknown: the caller must read it back.
		return "", fmt.Errorf("sink/%s: put %s: stored, but the store did not say which version: %w", s.opts.Name, key, err)
	}
	return v, nil
}

// GetVersion opens the object key with the version of the bytes it reads;
// see sink.ConditionalSink. Without Options.Conditional it returns
// sink.ErrNotSupported. The reader cannot seek: a seek would open the
// object again, maybe another version of it.
func (s *Sink) GetVersion(ctx context.Context, key string) (io.ReadCloser, sink.Version, error) {
	if err := sink.ValidateKey(key); err != nil {
		return nil, "", fmt.Errorf("sink/%s: get: %w", s.opts.Name, err)
	}
	c := s.opts.Conditional
	if c == nil {
		return nil, "", fmt.Errorf("sink/%s: get %s: %w", s.opts.Name, key, sink.ErrNotSupported)
	}
	r, err := s.bucket.NewReader(ctx, key, nil)
	if err != nil {
		return nil, "", s.wrap("get", key, err)
	}
	v, err := c.ReaderVersion(r)
	if err != nil {
		_ = r.Close()
		return nil, "", fmt.Errorf("sink/%s: get %s: %w", s.opts.Name, key, err)
	}
	return struct {
		io.Reader
		io.Closer
	}{r, r}, v, nil
}

// ETagSlot receives the ETag that a store answered a conditional upload
// with, for drivers whose upload response gocloud drops: the driver's
// request hook (an SDK middleware or policy) finds the slot in the
// request's context and sets it, and WriteHooks.Version reads it. It is
// safe for concurrent use.
type ETagSlot struct {
	mu   sync.Mutex
	etag string
}

// etagSlotKey is the context key of an upload's *ETagSlot.
type etagSlotKey struct{}

// WithETagSlot returns ctx carrying a new, empty slot, and the slot.
func WithETagSlot(ctx context.Context) (context.Context, *ETagSlot) {
	slot := &ETagSlot{}
	return context.WithValue(ctx, etagSlotKey{}, slot), slot
}

// ETagSlotFrom returns the slot ctx carries, if any.
func ETagSlotFrom(ctx context.Context) (*ETagSlot, bool) {
	slot, ok := ctx.Value(etagSlotKey{}).(*ETagSlot)
	return slot, ok
}

// Set records etag.
func (s *ETagSlot) Set(etag string) {
	s.mu.Lock()
	s.etag = etag
	s.mu.Unlock()
}

// Version returns the recorded ETag as a version; an error naming driver
// if none was recorded.
func (s *ETagSlot) Version(driver string) (sink.Version, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.etag == "" {
		return "", fmt.Errorf("%s: the upload's response had no ETag", driver)
	}
	return sink.Version(s.etag), nil
}
