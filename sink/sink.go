package sink

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// MaxKeyLen is the maximum length of a key in bytes.
const MaxKeyLen = 1024

// Sink stores backup objects by key. Implementations must be safe for
// concurrent use.
type Sink interface {
	// Put stores the whole content of r under key, atomically: after Put
	// returns, readers see either the complete new object or (if Put failed
	// or ctx was cancelled) the previous state; never a partial object. Put
	// streams r; it must not require the whole object in memory (the mem
	// sink may buffer).
	Put(ctx context.Context, key string, r io.Reader) error
	// Get opens the object. Missing key -> error matching ErrNotFound via
	// errors.Is.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// List returns the objects whose key starts with prefix (plain string
	// prefix, "" = all), sorted by key.
	List(ctx context.Context, prefix string) ([]ObjectInfo, error)
	// Delete removes the object; a missing key -> ErrNotFound.
	Delete(ctx context.Context, key string) error
	// Close releases resources.
	Close() error
}

// ObjectInfo describes a stored object as reported by [Sink.List].
type ObjectInfo struct {
	// Key is the object's key.
	Key string
	// Size is the object's length in bytes.
	Size int64
	// ModTime is the time the object was last written.
	ModTime time.Time
}

// ErrNotFound is returned (wrapped) when an object does not exist.
var ErrNotFound = errors.New("sink: object not found")

// ErrNoBucket is returned (wrapped) by object-store sinks when the bucket
// or container their URL names does not exist.
var ErrNoBucket = errors.New("sink: bucket or container not found")

// ErrInvalidKey is returned (wrapped) when a key is not acceptable; see
// [ValidateKey].
var ErrInvalidKey = errors.New("sink: invalid key")

// ErrClosed is returned (wrapped) by sinks that refuse operations after Close.
var ErrClosed = errors.New("sink: closed")

// ValidateKey returns an error wrapping ErrInvalidKey (naming the key and the
// reason) unless key is a clean relative slash-separated path: non-empty,
// valid UTF-8, no leading "/", no backslash, no NUL or control characters, no
// empty, "." or ".." segment, at most 1024 bytes. All sinks call it in
// Put/Get/Delete.
func ValidateKey(key string) error {
	if reason := keyProblem(key); reason != "" {
		return fmt.Errorf("%w %s: %s", ErrInvalidKey, quoteKey(key), reason)
	}
	return nil
}

// keyProblem returns why key is invalid, or "" if it is valid.
func keyProblem(key string) string {
	switch {
	case key == "":
		return "empty"
	case len(key) > MaxKeyLen:
		return fmt.Sprintf("longer than %d bytes", MaxKeyLen)
	case !utf8.ValidString(key):
		return "not valid UTF-8"
	case key[0] == '/':
		return "leading slash"
	case strings.ContainsRune(key, '\\'):
		return "contains a backslash"
	case strings.ContainsFunc(key, unicode.IsControl):
		return "contains a NUL or control character"
	}
	for seg := range strings.SplitSeq(key, "/") {
		switch seg {
		case "":
			return "empty path segment"
		case ".", "..":
			return fmt.Sprintf("%q path segment", seg)
		}
	}
	return ""
}

// quoteKey quotes key for an error message, shortening very long keys.
func quoteKey(key string) string {
	const maxShown = 64
	if len(key) <= maxShown {
		return fmt.Sprintf("%q", key)
	}
	return fmt.Sprintf("%q... (%d bytes)", key[:maxShown], len(key))
}

// NewContextReader returns a reader that returns ctx.Err() once ctx is done
// (checked before every Read). Sinks use it so cancelling ctx aborts a
// streaming Put.
// If r is an io.WriterTo, so is the reader returned, checking ctx before
// every Write to the destination instead, so that io.Copy still copies
// without a buffer of its own.
func NewContextReader(ctx context.Context, r io.Reader) io.Reader {
	if wt, ok := r.(io.WriterTo); ok {
		return &contextWriterTo{contextReader{ctx: ctx, r: r}, wt}
	}
	return &contextReader{ctx: ctx, r: r}
}

// contextReader is the reader returned by NewContextReader for a plain
// reader.
type contextReader struct {
	ctx context.Context
	r   io.Reader
}

// contextWriterTo is the reader returned by NewContextReader for an
// io.WriterTo.
type contextWriterTo struct {
	contextReader
	wt io.WriterTo
}

// WriteTo writes to w through a writer that returns ctx.Err() once ctx is
// done.
func (c *contextWriterTo) WriteTo(w io.Writer) (int64, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.wt.WriteTo(contextWriter{c.ctx, w})
}

// contextWriter checks its context before every Write.
type contextWriter struct {
	ctx context.Context
	w   io.Writer
}

func (cw contextWriter) Write(p []byte) (int, error) {
	if err := cw.ctx.Err(); err != nil {
		return 0, err
	}
	return cw.w.Write(p)
}

func (cr *contextReader) Read(p []byte) (int, error) {
	if err := cr.ctx.Err(); err != nil {
		return 0, err
	}
	return cr.r.Read(p)
}
