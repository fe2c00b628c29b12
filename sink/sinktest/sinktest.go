package sinktest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/sink"
)

const mib = 1 << 20

// Run runs the conformance suite against the sinks returned by newSink. Each
// case is a subtest that gets its own fresh sink; newSink must return an
// empty sink and register any cleanup it needs with t.Cleanup.
func Run(t *testing.T, newSink func(t *testing.T) sink.Sink) {
	t.Helper()
	cases := []struct {
		name string
		fn   func(t *testing.T, s sink.Sink)
	}{
		{"PutGetListDelete", testPutGetListDelete},
		{"Overwrite", testOverwrite},
		{"GetMissing", testGetMissing},
		{"ListPrefix", testListPrefix},
		{"EmptyObject", testEmptyObject},
		{"LargeStreamingObject", testLargeStreamingObject},
		{"CancelledPut", testCancelledPut},
		{"FailingReader", testFailingReader},
		{"ConcurrentPuts", testConcurrentPuts},
		{"InvalidKeys", testInvalidKeys},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newSink(t)
			require.NotNil(t, s, "newSink returned nil")
			c.fn(t, s)
		})
	}
}

func testPutGetListDelete(t *testing.T, s sink.Sink) {
	ctx := t.Context()
	data := []byte(`{"hello":"world"}`)
	putBytes(t, s, "obj.json", data)
	assert.Equal(t, data, getBytes(t, s, "obj.json"))

	infos, err := s.List(ctx, "")
	require.NoError(t, err)
	require.Len(t, infos, 1)
	assert.Equal(t, "obj.json", infos[0].Key)
	assert.Equal(t, int64(len(data)), infos[0].Size)
	assert.False(t, infos[0].ModTime.IsZero(), "ModTime must be set")

	require.NoError(t, s.Delete(ctx, "obj.json"))
	requireNotFound(t, s, "obj.json")
	assert.Empty(t, listKeys(t, s, ""))

	err = s.Delete(ctx, "obj.json")
	require.Error(t, err)
	assert.ErrorIs(t, err, sink.ErrNotFound)
}

func testOverwrite(t *testing.T, s sink.Sink) {
	putBytes(t, s, "k", []byte("first version, rather long"))
	putBytes(t, s, "k", []byte("second"))
	assert.Equal(t, []byte("second"), getBytes(t, s, "k"))
	infos, err := s.List(t.Context(), "k")
	require.NoError(t, err)
	require.Len(t, infos, 1)
	assert.Equal(t, "k", infos[0].Key)
	assert.Equal(t, int64(len("second")), infos[0].Size)
}

func testGetMissing(t *testing.T, s sink.Sink) {
	requireNotFound(t, s, "never/written")
}

func testListPrefix(t *testing.T, s sink.Sink) {
	ctx := t.Context()
	objs := map[string]string{"a/x": "xx", "a/b2": "b2b2b2", "a/b/c.json": "{}"}
	for k, v := range objs {
		putBytes(t, s, k, []byte(v))
	}

	infos, err := s.List(ctx, "a/b")
	require.NoError(t, err)
	require.Len(t, infos, 2)
	assert.Equal(t, "a/b/c.json", infos[0].Key)
	assert.Equal(t, int64(2), infos[0].Size)
	assert.Equal(t, "a/b2", infos[1].Key)
	assert.Equal(t, int64(6), infos[1].Size)

	assert.Equal(t, []string{"a/b/c.json", "a/b2", "a/x"}, listKeys(t, s, ""))
	assert.Equal(t, []string{"a/b/c.json"}, listKeys(t, s, "a/b/"))

	for _, prefix := range []string{"nothing", "a/zzz", "a/b/c.json/", "b/"} {
		infos, err := s.List(ctx, prefix)
		require.NoError(t, err, "prefix %q", prefix)
		assert.Empty(t, infos, "prefix %q", prefix)
	}
}

func testEmptyObject(t *testing.T, s sink.Sink) {
	putBytes(t, s, "empty", nil)
	got := getBytes(t, s, "empty")
	assert.Empty(t, got)
	infos, err := s.List(t.Context(), "empty")
	require.NoError(t, err)
	require.Len(t, infos, 1)
	assert.Equal(t, "empty", infos[0].Key)
	assert.Equal(t, int64(0), infos[0].Size)
}

func testLargeStreamingObject(t *testing.T, s sink.Sink) {
	ctx := t.Context()
	size := int64(64 * mib)
	if testing.Short() {
		size = 8 * mib
	}
	// The content is generated on the fly; the test never holds it in memory.
	wantHash := sha256.New()
	src := io.TeeReader(io.LimitReader(rand.NewChaCha8([32]byte{42}), size), wantHash)
	require.NoError(t, s.Put(ctx, "big/object.bin", src))

	rc, err := s.Get(ctx, "big/object.bin")
	require.NoError(t, err)
	gotHash := sha256.New()
	n, err := io.Copy(gotHash, rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	assert.Equal(t, size, n, "bytes read back")
	assert.Equal(t, wantHash.Sum(nil), gotHash.Sum(nil), "sha256 of content")

	infos, err := s.List(ctx, "big/")
	require.NoError(t, err)
	require.Len(t, infos, 1)
	assert.Equal(t, size, infos[0].Size)
}

// cancellingReader delivers data, cancels its context after limit bytes and
// then keeps delivering up to extra more bytes before reporting io.EOF, so a
// sink that ignores cancellation finishes (and fails the test) instead of
// hanging.
type cancellingReader struct {
	limit, extra int
	cancel       context.CancelFunc
	sent         int
}

func (r *cancellingReader) Read(p []byte) (int, error) {
	if r.sent >= r.limit && r.cancel != nil {
		r.cancel()
		r.cancel = nil
	}
	left := r.limit + r.extra - r.sent
	if left <= 0 {
		return 0, io.EOF
	}
	p = p[:min(len(p), left, 64<<10)]
	for i := range p {
		p[i] = byte(r.sent + i)
	}
	r.sent += len(p)
	return len(p), nil
}

func testCancelledPut(t *testing.T, s sink.Sink) {
	cancelledPut := func(key string) {
		t.Helper()
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		err := s.Put(ctx, key, &cancellingReader{limit: mib, extra: 4 * mib, cancel: cancel})
		require.Error(t, err, "Put must fail when its context is cancelled")
		assert.ErrorIs(t, err, context.Canceled)
	}

	cancelledPut("cancelled/new")
	requireNotFound(t, s, "cancelled/new")
	assert.NotContains(t, listKeys(t, s, ""), "cancelled/new")

	old := []byte("previous content")
	putBytes(t, s, "cancelled/existing", old)
	cancelledPut("cancelled/existing")
	assert.Equal(t, old, getBytes(t, s, "cancelled/existing"))
	infos, err := s.List(t.Context(), "")
	require.NoError(t, err)
	require.Len(t, infos, 1)
	assert.Equal(t, "cancelled/existing", infos[0].Key)
	assert.Equal(t, int64(len(old)), infos[0].Size)
}

// errReader returns err on every Read.
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func testFailingReader(t *testing.T, s sink.Sink) {
	errBoom := errors.New("sinktest: reader exploded")
	failingPut := func(key string) {
		t.Helper()
		r := io.MultiReader(io.LimitReader(rand.NewChaCha8([32]byte{7}), 300<<10), errReader{errBoom})
		err := s.Put(t.Context(), key, r)
		require.Error(t, err, "Put must fail when the reader fails")
		assert.ErrorIs(t, err, errBoom)
	}

	failingPut("failing/new")
	requireNotFound(t, s, "failing/new")
	assert.Empty(t, listKeys(t, s, ""))

	old := []byte("survivor")
	putBytes(t, s, "failing/existing", old)
	failingPut("failing/existing")
	assert.Equal(t, old, getBytes(t, s, "failing/existing"))
	assert.Equal(t, []string{"failing/existing"}, listKeys(t, s, ""))
}

func testConcurrentPuts(t *testing.T, s sink.Sink) {
	ctx := t.Context()
	const distinct, writers = 16, 8
	payload := func(tag string, i int) []byte {
		head := fmt.Sprintf("%s-%02d:", tag, i)
		return append([]byte(head), bytes.Repeat([]byte{byte('a' + i)}, 200<<10+i*1000)...)
	}

	var wg sync.WaitGroup
	for i := range distinct {
		wg.Go(func() {
			key := fmt.Sprintf("concurrent/k%02d", i)
			assert.NoError(t, s.Put(ctx, key, bytes.NewReader(payload("distinct", i))))
		})
	}
	shared := make([][]byte, writers)
	for i := range writers {
		shared[i] = payload("shared", i)
		wg.Go(func() {
			assert.NoError(t, s.Put(ctx, "concurrent/shared", bytes.NewReader(shared[i])))
		})
	}
	wg.Wait()
	require.False(t, t.Failed(), "concurrent puts failed")

	for i := range distinct {
		key := fmt.Sprintf("concurrent/k%02d", i)
		assert.Equal(t, payload("distinct", i), getBytes(t, s, key), "key %s", key)
	}
	got := getBytes(t, s, "concurrent/shared")
	match := -1
	for i, p := range shared {
		if bytes.Equal(got, p) {
			match = i
		}
	}
	assert.GreaterOrEqual(t, match, 0, "shared key holds none of the complete payloads (%d bytes)", len(got))
	assert.Len(t, listKeys(t, s, "concurrent/"), distinct+1)
}

func testInvalidKeys(t *testing.T, s sink.Sink) {
	ctx := t.Context()
	for _, key := range []string{"", "/abs", "../x", "a/../../x", "a//b", `a\b`} {
		err := s.Put(ctx, key, bytes.NewReader([]byte("data")))
		require.Error(t, err, "Put(%q)", key)
		assert.ErrorIs(t, err, sink.ErrInvalidKey, "Put(%q)", key)

		_, err = s.Get(ctx, key)
		assert.ErrorIs(t, err, sink.ErrInvalidKey, "Get(%q)", key)
		err = s.Delete(ctx, key)
		assert.ErrorIs(t, err, sink.ErrInvalidKey, "Delete(%q)", key)
	}
	assert.Empty(t, listKeys(t, s, ""), "nothing may be stored under invalid keys")
}

// putBytes stores data under key and fails the test on error.
func putBytes(t *testing.T, s sink.Sink, key string, data []byte) {
	t.Helper()
	require.NoError(t, s.Put(t.Context(), key, bytes.NewReader(data)), "Put(%q)", key)
}

// getBytes reads the whole object under key and fails the test on error.
func getBytes(t *testing.T, s sink.Sink, key string) []byte {
	t.Helper()
	rc, err := s.Get(t.Context(), key)
	require.NoError(t, err, "Get(%q)", key)
	data, err := io.ReadAll(rc)
	require.NoError(t, err, "reading %q", key)
	require.NoError(t, rc.Close(), "closing %q", key)
	return data
}

// listKeys returns the keys List reports for prefix, checking they are sorted.
func listKeys(t *testing.T, s sink.Sink, prefix string) []string {
	t.Helper()
	infos, err := s.List(t.Context(), prefix)
	require.NoError(t, err, "List(%q)", prefix)
	keys := make([]string, 0, len(infos))
	for _, info := range infos {
		keys = append(keys, info.Key)
	}
	assert.IsIncreasing(t, keys, "List(%q) must be sorted", prefix)
	return keys
}

// requireNotFound asserts that Get of key fails with sink.ErrNotFound.
func requireNotFound(t *testing.T, s sink.Sink, key string) {
	t.Helper()
	rc, err := s.Get(t.Context(), key)
	if err == nil {
		_ = rc.Close()
	}
	require.Error(t, err, "Get(%q) of a missing object", key)
	require.ErrorIs(t, err, sink.ErrNotFound, "Get(%q)", key)
}
