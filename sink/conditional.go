package sink

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// ErrPrecondition is returned (wrapped) by PutIf when its condition does
// not hold: nothing was stored.
var ErrPrecondition = errors.New("sink: precondition failed")

// ErrNotSupported is returned (wrapped) by PutIf and GetVersion for a sink
// that cannot store objects on a condition.
var ErrNotSupported = errors.New("sink: conditional writes not supported")

// Version identifies one stored version of an object, as the store sees
// it: an ETag, a generation, a counter. It is opaque; two versions of the
// same key are equal only if no write came between them, with one
// exception: on S3 the version is the ETag, a hash of the content (see
// sink/s3), so a write of the same bytes gives the same version again.
// A writer that must notice every write in between (a lease) makes the
// content of each of its writes unique, with a counter or a random token.
type Version string

// Condition says when PutIf stores its object. Exactly one of its fields
// is set.
type Condition struct {
	// IfAbsent stores the object only if no object has the key.
	IfAbsent bool
	// IfMatch stores the object only if the stored one is still this
	// version: a compare-and-swap.
	IfMatch Version
}

// Validate returns an error unless exactly one of the condition's fields
// is set. PutIf calls it; so do the implementations of ConditionalSink, for
// callers of the method.
func (c Condition) Validate() error {
	if c.IfAbsent == (c.IfMatch != "") {
		return errors.New("sink: a condition is IfAbsent or IfMatch, not both or neither")
	}
	return nil
}

// ConditionalSink is implemented by sinks that write on a condition,
// atomically: create-if-absent and compare-and-swap, the two requests a
// lease needs (see package backup). Every backend of this module implements
// it: local directories, memory, S3 and MinIO (If-None-Match, If-Match),
// GCS (generation preconditions) and Azure (If-None-Match, If-Match); the
// wrappers (WithRetry, Multi, the metrics sink) pass it through.
//
// Call the package functions PutIf and GetVersion rather than the methods:
// they also work on sinks without the capability, with ErrNotSupported.
// Wrappers implement the methods whatever they wrap, and return
// ErrNotSupported when the sink inside lacks the capability, so the error,
// not a type assertion, tells whether a sink can.
//
// # Ambiguous failures
//
// A conditional write whose request failed without an answer (a timeout, a
// dropped connection) may still have been stored. When it is tried again,
// by WithRetry or by the store's own SDK, the retry finds the condition no
// longer true and reports ErrPrecondition, although the object stored is
// the caller's own. ErrPrecondition after a retried request therefore means
// "stored by someone, maybe by this call": a caller that must know reads
// the object back with GetVersion and recognizes its own content (a lease
// holds its owner's unique token). ErrPrecondition without a retry, and
// every ErrPrecondition from a sink that does not retry (local, mem), means
// nothing was stored.
type ConditionalSink interface {
	Sink
	// PutIf stores the whole content of r under key, as Put does, if cond
	// holds when the store commits the object, and returns the stored
	// version. Otherwise it stores nothing and returns an error matching
	// ErrPrecondition. A sink that wraps another that cannot returns
	// ErrNotSupported.
	PutIf(ctx context.Context, key string, r io.Reader, cond Condition) (Version, error)
	// GetVersion opens the object key and returns the version that the
	// reader reads. A missing key gives ErrNotFound.
	GetVersion(ctx context.Context, key string) (io.ReadCloser, Version, error)
}

// PutIf stores r under key in s if cond holds (see ConditionalSink). For a
// sink that cannot, the error matches ErrNotSupported.
func PutIf(ctx context.Context, s Sink, key string, r io.Reader, cond Condition) (Version, error) {
	if err := cond.Validate(); err != nil {
		return "", err
	}
	cs, ok := s.(ConditionalSink)
	if !ok {
		return "", fmt.Errorf("put %s: %w", key, ErrNotSupported)
	}
	return cs.PutIf(ctx, key, r, cond)
}

// GetVersion opens key in s with its version (see ConditionalSink). For a
// sink that cannot, the error matches ErrNotSupported.
func GetVersion(ctx context.Context, s Sink, key string) (io.ReadCloser, Version, error) {
	cs, ok := s.(ConditionalSink)
	if !ok {
		return nil, "", fmt.Errorf("get %s: %w", key, ErrNotSupported)
	}
	return cs.GetVersion(ctx, key)
}
