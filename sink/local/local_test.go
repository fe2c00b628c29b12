package local_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/sink"
	"github.com/dictdb/dictdb-go/sink/local"
	"github.com/dictdb/dictdb-go/sink/sinktest"
)

func TestConformance(t *testing.T) {
	sinktest.Run(t, func(t *testing.T) sink.Sink {
		s, err := local.New(t.TempDir())
		require.NoError(t, err)
		t.Cleanup(func() { assert.NoError(t, s.Close()) })
		return s
	})
}

func newSink(t *testing.T, dir string) *local.Sink {
	t.Helper()
	s, err := local.New(dir)
	require.NoError(t, err)
	return s
}

func listKeys(t *testing.T, s sink.Sink, prefix string) []string {
	t.Helper()
	infos, err := s.List(t.Context(), prefix)
	require.NoError(t, err)
	keys := make([]string, 0, len(infos))
	for _, info := range infos {
		keys = append(keys, info.Key)
	}
	return keys
}

// tempFiles returns the temp files directly in dir.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), local.TempPrefix) {
			names = append(names, e.Name())
		}
	}
	return names
}

func TestNewCreatesDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "x", "y")
	s := newSink(t, dir)
	fi, err := os.Stat(dir)
	require.NoError(t, err)
	assert.True(t, fi.IsDir())
	assert.Empty(t, listKeys(t, s, ""))
}

func TestNewRejectsFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, []byte("x"), 0o644))
	_, err := local.New(file)
	assert.Error(t, err)
	_, err = local.New("")
	assert.Error(t, err)
}

func TestObjectLayoutAndMode(t *testing.T) {
	root := t.TempDir()
	s := newSink(t, root)
	require.NoError(t, s.Put(t.Context(), "a/b/c.json", strings.NewReader("{}")))

	data, err := os.ReadFile(filepath.Join(root, "a", "b", "c.json"))
	require.NoError(t, err)
	assert.Equal(t, "{}", string(data))
	fi, err := os.Stat(filepath.Join(root, "a", "b", "c.json"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), fi.Mode().Perm())
}

func TestCrashLeftoversHiddenAndRemovedByNew(t *testing.T) {
	ctx := t.Context()
	root := t.TempDir()
	s := newSink(t, root)
	require.NoError(t, s.Put(ctx, "sub/real", strings.NewReader("real")))
	require.NoError(t, s.Put(ctx, "top", strings.NewReader("top")))

	// Simulate a crash in the middle of two Puts.
	leftovers := []string{
		filepath.Join(root, local.TempPrefix+"xyz"),
		filepath.Join(root, "sub", local.TempPrefix+"xyz"),
	}
	for _, p := range leftovers {
		require.NoError(t, os.WriteFile(p, []byte("partial"), 0o600))
	}

	assert.Equal(t, []string{"sub/real", "top"}, listKeys(t, s, ""))
	assert.Equal(t, []string{"sub/real"}, listKeys(t, s, "sub/"))
	_, err := s.Get(ctx, local.TempPrefix+"xyz")
	assert.ErrorIs(t, err, sink.ErrInvalidKey, "temp files must not be addressable")
	assert.ErrorIs(t, s.Delete(ctx, "sub/"+local.TempPrefix+"xyz"), sink.ErrInvalidKey)

	s2 := newSink(t, root)
	for _, p := range leftovers {
		_, err := os.Stat(p)
		assert.ErrorIs(t, err, os.ErrNotExist, "New must remove %s", p)
	}
	assert.Equal(t, []string{"sub/real", "top"}, listKeys(t, s2, ""))
}

func TestKeysEscapingRootAreRefused(t *testing.T) {
	ctx := t.Context()
	base := t.TempDir()
	root := filepath.Join(base, "root")
	s := newSink(t, root)

	keys := []string{
		"../escape", "a/../../escape", "../../escape", "/abs/escape", "..", "a/..",
		local.TempPrefix + "x", "a/" + local.TempPrefix + "x/b",
	}
	for _, key := range keys {
		err := s.Put(ctx, key, strings.NewReader("evil"))
		assert.ErrorIs(t, err, sink.ErrInvalidKey, "Put(%q)", key)
	}

	entries, err := os.ReadDir(base)
	require.NoError(t, err)
	require.Len(t, entries, 1, "nothing may be created next to the root")
	assert.Equal(t, "root", entries[0].Name())
	entries, err = os.ReadDir(root)
	require.NoError(t, err)
	assert.Empty(t, entries, "nothing may be created in the root")
}

func TestFailedPutLeavesNoTempFile(t *testing.T) {
	ctx := t.Context()
	root := t.TempDir()
	s := newSink(t, root)
	errBoom := errors.New("boom")

	for _, key := range []string{"obj", "dir/obj"} {
		r := io.MultiReader(strings.NewReader(strings.Repeat("x", 100<<10)), errReader{errBoom})
		err := s.Put(ctx, key, r)
		require.ErrorIs(t, err, errBoom)
	}
	assert.Empty(t, tempFiles(t, root))
	assert.Empty(t, tempFiles(t, filepath.Join(root, "dir")))

	cctx, cancel := cancelledContext(t)
	defer cancel()
	err := s.Put(cctx, "dir/obj", strings.NewReader("data"))
	require.Error(t, err)
	assert.Empty(t, tempFiles(t, filepath.Join(root, "dir")))
	assert.Empty(t, listKeys(t, s, ""))
}

func TestDirectoryIsNotAnObject(t *testing.T) {
	ctx := t.Context()
	root := t.TempDir()
	s := newSink(t, root)
	require.NoError(t, s.Put(ctx, "a/b/c", strings.NewReader("c")))

	_, err := s.Get(ctx, "a/b")
	assert.ErrorIs(t, err, sink.ErrNotFound)
	assert.ErrorIs(t, s.Delete(ctx, "a/b"), sink.ErrNotFound)
	_, err = s.Get(ctx, "a/b/c/d") // parent is a file
	assert.ErrorIs(t, err, sink.ErrNotFound)
	assert.ErrorIs(t, s.Delete(ctx, "a/b/c/d"), sink.ErrNotFound)

	// Delete keeps parent directories.
	require.NoError(t, s.Delete(ctx, "a/b/c"))
	fi, err := os.Stat(filepath.Join(root, "a", "b"))
	require.NoError(t, err)
	assert.True(t, fi.IsDir())
	assert.Empty(t, listKeys(t, s, ""))
}

func TestListPrefixes(t *testing.T) {
	ctx := t.Context()
	root := t.TempDir()
	s := newSink(t, root)
	for _, k := range []string{"a/b.txt", "a/b/c", "a/b/d/e", "a/b2", "ab", "z"} {
		require.NoError(t, s.Put(ctx, k, strings.NewReader(k)))
	}
	// A file whose name is not a valid key, placed by hand, is not listed.
	require.NoError(t, os.WriteFile(filepath.Join(root, "a", `bad\name`), nil, 0o644))

	assert.Equal(t, []string{"a/b.txt", "a/b/c", "a/b/d/e", "a/b2", "ab", "z"}, listKeys(t, s, ""))
	assert.Equal(t, []string{"a/b.txt", "a/b/c", "a/b/d/e", "a/b2", "ab"}, listKeys(t, s, "a"))
	assert.Equal(t, []string{"a/b.txt", "a/b/c", "a/b/d/e", "a/b2"}, listKeys(t, s, "a/"))
	assert.Equal(t, []string{"a/b.txt", "a/b/c", "a/b/d/e", "a/b2"}, listKeys(t, s, "a/b"))
	assert.Equal(t, []string{"a/b/c", "a/b/d/e"}, listKeys(t, s, "a/b/"))
	assert.Equal(t, []string{"a/b/d/e"}, listKeys(t, s, "a/b/d"))
	assert.Equal(t, []string{"a/b/d/e"}, listKeys(t, s, "a/b/d/e"))
	for _, p := range []string{"a/b/d/e/", "a/b/c/x", "nope/deeper/", "../", "/", "a//", `a\`, "a/b/zz"} {
		assert.Empty(t, listKeys(t, s, p), "prefix %q", p)
	}
}

func TestCloseIsNoOp(t *testing.T) {
	s := newSink(t, t.TempDir())
	require.NoError(t, s.Close())
	require.NoError(t, s.Put(t.Context(), "k", strings.NewReader("v")))
	assert.Equal(t, []string{"k"}, listKeys(t, s, ""))
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func cancelledContext(t *testing.T) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	return ctx, cancel
}
