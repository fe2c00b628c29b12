package sink_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/sink"
	"github.com/dictdb/dictdb-go/sink/mem"
	"github.com/dictdb/dictdb-go/sink/sinktest"
)

type transientErr struct{}

func (transientErr) Error() string   { return "connection dropped" }
func (transientErr) Transient() bool { return true }

// flaky fails the first n calls of each operation with err.
type flaky struct {
	sink.Sink
	n, calls atomic.Int64
	err      error
	putBody  []string // what each Put attempt read
}

func (f *flaky) fail() error {
	if f.calls.Add(1) <= f.n.Load() {
		return f.err
	}
	return nil
}

func (f *flaky) Put(ctx context.Context, key string, r io.Reader) error {
	b, _ := io.ReadAll(io.LimitReader(r, 3)) // a failing attempt consumes some input
	f.putBody = append(f.putBody, string(b))
	if err := f.fail(); err != nil {
		return err
	}
	rest, _ := io.ReadAll(r)
	return f.Sink.Put(ctx, key, bytes.NewReader(append(b, rest...)))
}

func (f *flaky) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := f.fail(); err != nil {
		return nil, err
	}
	return f.Sink.Get(ctx, key)
}

func (f *flaky) List(ctx context.Context, prefix string) ([]sink.ObjectInfo, error) {
	if err := f.fail(); err != nil {
		return nil, err
	}
	return f.Sink.List(ctx, prefix)
}

func newFlaky(n int64, err error) *flaky {
	f := &flaky{Sink: mem.New(), err: err}
	f.n.Store(n)
	return f
}

var fast = sink.RetryOptions{Attempts: 4, BaseDelay: time.Microsecond, MaxDelay: time.Millisecond}

func TestRetryTransient(t *testing.T) {
	ctx := context.Background()
	f := newFlaky(3, transientErr{})
	s := sink.WithRetry(f, fast)
	require.NoError(t, s.Put(ctx, "k", strings.NewReader("hello world")), "three failures, then success")
	assert.Equal(t, []string{"hel", "hel", "hel", "hel"}, f.putBody, "each retry re-reads the input from its start")
	rc, err := f.Sink.Get(ctx, "k")
	require.NoError(t, err)
	b, _ := io.ReadAll(rc)
	assert.Equal(t, "hello world", string(b))

	f.calls.Store(0)
	objs, err := s.List(ctx, "")
	require.NoError(t, err)
	assert.Len(t, objs, 1)
	assert.Equal(t, int64(4), f.calls.Load())

	f.calls.Store(0)
	f.n.Store(10)
	_, err = s.Get(ctx, "k")
	require.ErrorIs(t, err, transientErr{}, "gives up after Attempts")
	assert.Equal(t, int64(4), f.calls.Load())
}

func TestRetryPermanentErrorsAreNotRetried(t *testing.T) {
	ctx := context.Background()
	for _, perm := range []error{sink.ErrNotFound, sink.ErrInvalidKey, context.Canceled, errors.New("some other error")} {
		t.Run(perm.Error(), func(t *testing.T) {
			f := newFlaky(1, fmt.Errorf("wrapped: %w", perm))
			_, err := sink.WithRetry(f, fast).Get(ctx, "k")
			require.ErrorIs(t, err, perm)
			assert.Equal(t, int64(1), f.calls.Load())
		})
	}
}

func TestRetryPutNeedsASeeker(t *testing.T) {
	f := newFlaky(1, transientErr{})
	err := sink.WithRetry(f, fast).Put(context.Background(), "k", io.MultiReader(strings.NewReader("abcdef")))
	require.Error(t, err, "a spent stream cannot be sent again")
	assert.Equal(t, int64(1), f.calls.Load())
}

func TestRetryStopsWithContext(t *testing.T) {
	f := newFlaky(1000, transientErr{})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	s := sink.WithRetry(f, sink.RetryOptions{Attempts: 1000, BaseDelay: time.Hour})
	_, err := s.Get(ctx, "k")
	require.ErrorIs(t, err, transientErr{})
	assert.Equal(t, int64(1), f.calls.Load(), "the backoff wait ends with ctx")
}

func TestTransient(t *testing.T) {
	assert.True(t, sink.Transient(sinktest.ErrInjected))
	assert.True(t, sink.Transient(fmt.Errorf("x: %w", io.ErrUnexpectedEOF)))
	assert.False(t, sink.Transient(nil))
	assert.False(t, sink.Transient(fmt.Errorf("x: %w", sink.ErrNotFound)))
}

func TestOpenRetriesParam(t *testing.T) {
	_, err := sink.Open(context.Background(), "s3://bucket?retries=0")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "retries")
}
