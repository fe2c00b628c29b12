package blobsink_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"

	"github.com/dictdb/dictdb-go/sink"
	"github.com/dictdb/dictdb-go/sink/blobsink"
)

// memblob honours blob.WriterOptions.IfNotExist, atomically, but offers
// no compare-and-swap and reports no versions (its As knows no types), so
// it cannot be a ConditionalSink: sinktest.RunConditional runs on MinIO,
// fake-gcs-server and Azurite (integration). These tests check blobsink's
// own part on memblob, with a test driver part that takes create-if-absent
// only and, for want of a version from the store, numbers its writes.
type createOnly struct {
	mu       sync.Mutex
	writes   int
	refuseAs bool  // BeforeWrite finds no As type it knows
	failWith error // BeforeWrite fails with it
	precond  error // IsPrecondition recognizes it
	noReport bool  // Version fails
}

func (c *createOnly) PrepareWrite(ctx context.Context, match sink.Version) (context.Context, blobsink.WriteHooks, error) {
	if match != "" {
		return nil, blobsink.WriteHooks{}, fmt.Errorf("memblob: compare-and-swap: %w", sink.ErrNotSupported)
	}
	return ctx, blobsink.WriteHooks{
		BeforeWrite: func(as func(any) bool) error {
			if c.refuseAs {
				return fmt.Errorf("not the driver expected: %w", sink.ErrNotSupported)
			}
			return c.failWith
		},
		Version: func() (sink.Version, error) {
			if c.noReport {
				return "", errors.New("no version in the response")
			}
			c.mu.Lock()
			defer c.mu.Unlock()
			c.writes++
			return sink.Version(fmt.Sprint(c.writes)), nil
		},
	}, nil
}

func (c *createOnly) ReaderVersion(r *blob.Reader) (sink.Version, error) {
	return "", fmt.Errorf("memblob: versions: %w", sink.ErrNotSupported)
}

func (c *createOnly) IsPrecondition(err error) bool {
	return c.precond != nil && errors.Is(err, c.precond)
}

func newMemblob(c blobsink.Conditional) (*blobsink.Sink, *blob.Bucket) {
	b := memblob.OpenBucket(nil)
	return blobsink.New(b, blobsink.Options{Name: "memblob", Conditional: c}), b
}

func putIf(t *testing.T, s sink.Sink, key, body string, cond sink.Condition) (sink.Version, error) {
	t.Helper()
	return sink.PutIf(t.Context(), s, key, strings.NewReader(body), cond)
}

func content(t *testing.T, s sink.Sink, key string) string {
	t.Helper()
	rc, err := s.Get(t.Context(), key)
	require.NoError(t, err)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	return string(b)
}

func TestConditionalNeedsTheDriversPart(t *testing.T) {
	s, _ := newMemblob(nil)
	defer s.Close()
	_, err := putIf(t, s, "lease", "x", sink.Condition{IfAbsent: true})
	require.ErrorIs(t, err, sink.ErrNotSupported)
	assert.Equal(t, "sink/memblob: put lease: sink: conditional writes not supported", err.Error())
	_, _, err = sink.GetVersion(t.Context(), s, "lease")
	require.ErrorIs(t, err, sink.ErrNotSupported)
	_, err = s.Get(t.Context(), "lease")
	require.ErrorIs(t, err, sink.ErrNotFound, "nothing stored")
}

func TestCreateIfAbsentOnMemblob(t *testing.T) {
	c := &createOnly{}
	s, _ := newMemblob(c)
	defer s.Close()
	v, err := putIf(t, s, "lease", "one", sink.Condition{IfAbsent: true})
	require.NoError(t, err)
	assert.Equal(t, sink.Version("1"), v, "the version the driver's part reports")

	_, err = putIf(t, s, "lease", "two", sink.Condition{IfAbsent: true})
	require.ErrorIs(t, err, sink.ErrPrecondition, "gocloud's FailedPrecondition")
	assert.False(t, sink.Transient(err))
	assert.Contains(t, err.Error(), "sink/memblob: put lease: sink: precondition failed: ")
	assert.Equal(t, "one", content(t, s, "lease"), "a failed condition stores nothing")

	_, err = putIf(t, s, "lease", "swap", sink.Condition{IfMatch: v})
	require.ErrorIs(t, err, sink.ErrNotSupported, "a condition the store cannot take is refused, not ignored")
	assert.Equal(t, "one", content(t, s, "lease"))
	_, _, err = sink.GetVersion(t.Context(), s, "lease")
	require.ErrorIs(t, err, sink.ErrNotSupported)

	_, err = putIf(t, s, "lease", "both", sink.Condition{IfAbsent: true, IfMatch: v})
	require.Error(t, err, "the method checks the condition")
	_, err = s.PutIf(t.Context(), "../k", strings.NewReader("x"), sink.Condition{IfAbsent: true})
	require.ErrorIs(t, err, sink.ErrInvalidKey)
}

func TestConditionalUploadFailures(t *testing.T) {
	t.Run("DriverWithoutTheAsTypes", func(t *testing.T) {
		s, _ := newMemblob(&createOnly{refuseAs: true})
		_, err := putIf(t, s, "k", "x", sink.Condition{IfAbsent: true})
		require.ErrorIs(t, err, sink.ErrNotSupported)
		_, err = s.Get(t.Context(), "k")
		require.ErrorIs(t, err, sink.ErrNotFound)
	})
	t.Run("FailingReader", func(t *testing.T) {
		s, _ := newMemblob(&createOnly{})
		boom := errors.New("reader broke")
		_, err := sink.PutIf(t.Context(), s, "k", io.MultiReader(bytes.NewReader(make([]byte, 300<<10)), errReader{boom}), sink.Condition{IfAbsent: true})
		require.ErrorIs(t, err, boom)
		assert.NotErrorIs(t, err, sink.ErrPrecondition)
		_, err = s.Get(t.Context(), "k")
		require.ErrorIs(t, err, sink.ErrNotFound, "the upload was aborted")
	})
	t.Run("StoreSpecificPrecondition", func(t *testing.T) {
		conflict := errors.New("409 ConditionalRequestConflict")
		s, _ := newMemblob(&createOnly{failWith: conflict, precond: conflict})
		_, err := putIf(t, s, "k", "x", sink.Condition{IfAbsent: true})
		require.ErrorIs(t, err, sink.ErrPrecondition, "the driver's part recognizes its store's refusals")
		other := errors.New("500")
		s, _ = newMemblob(&createOnly{failWith: other, precond: conflict})
		_, err = putIf(t, s, "k", "x", sink.Condition{IfAbsent: true})
		require.ErrorIs(t, err, other)
		assert.NotErrorIs(t, err, sink.ErrPrecondition)
	})
	t.Run("NoVersionReported", func(t *testing.T) {
		s, _ := newMemblob(&createOnly{noReport: true})
		_, err := putIf(t, s, "k", "x", sink.Condition{IfAbsent: true})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "stored, but the store did not say which version")
		assert.NotErrorIs(t, err, sink.ErrPrecondition)
		assert.Equal(t, "x", content(t, s, "k"), "the caller must read it back")
	})
}

func TestRacingCreatorsOnMemblob(t *testing.T) {
	s, _ := newMemblob(&createOnly{})
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { _, errs[i] = putIf(t, s, "race", fmt.Sprint("writer ", i), sink.Condition{IfAbsent: true}) })
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		if err == nil {
			require.Equal(t, -1, winner, "two creators won")
			winner = i
			continue
		}
		require.ErrorIs(t, err, sink.ErrPrecondition)
	}
	require.NotEqual(t, -1, winner)
	assert.Equal(t, fmt.Sprint("writer ", winner), content(t, s, "race"))
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// An upload's ETag reaches its WriteHooks.Version through the context: a
// slot records what the request hook sets, and says so when it got none.
func TestETagSlot(t *testing.T) {
	_, ok := blobsink.ETagSlotFrom(context.Background())
	assert.False(t, ok, "a context without a slot")

	ctx, slot := blobsink.WithETagSlot(context.Background())
	_, err := slot.Version("s3")
	assert.EqualError(t, err, "s3: the upload's response had no ETag")
	got, ok := blobsink.ETagSlotFrom(ctx)
	require.True(t, ok)
	got.Set(`"abc"`)
	v, err := slot.Version("s3")
	require.NoError(t, err)
	assert.Equal(t, sink.Version(`"abc"`), v)
}
