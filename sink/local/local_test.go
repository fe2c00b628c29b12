package local_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
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
	sinktest.Run(t, newConformingSink)
}

func newConformingSink(t *testing.T) sink.Sink {
	s, err := local.New(t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	return s
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

// tempFiles returns the temp files of dir: those directly in it, and those
// in its directory of temporary files.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	for _, d := range []string{dir, filepath.Join(dir, local.TempPrefix+"files")} {
		entries, err := os.ReadDir(d)
		if d != dir && errors.Is(err, fs.ErrNotExist) {
			continue
		}
		require.NoError(t, err)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), local.TempPrefix) && !e.IsDir() {
				names = append(names, e.Name())
			}
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

// symlink is os.Symlink that fails the test on error.
func symlink(t *testing.T, target, link string) {
	t.Helper()
	require.NoError(t, os.Symlink(target, link))
}

// requireRefused asserts that err refuses an operation on key: an error
// that names the key and does not pretend the object is merely absent.
func requireRefused(t *testing.T, err error, op, key string) {
	t.Helper()
	require.Error(t, err, "%s(%q) must be refused", op, key)
	assert.Contains(t, err.Error(), key, "%s(%q): the error must name the key", op, key)
	assert.NotErrorIs(t, err, sink.ErrNotFound, "%s(%q)", op, key)
}

// dirEntries returns the names in dir, sorted.
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestDirectorySymlinkOutOfRootIsRefused(t *testing.T) {
	ctx := t.Context()
	base := t.TempDir()
	outside := filepath.Join(base, "outside")
	require.NoError(t, os.MkdirAll(filepath.Join(outside, "sub"), 0o755))
	secret := filepath.Join(outside, "secret.txt")
	require.NoError(t, os.WriteFile(secret, []byte("secret"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(outside, "sub", "deep.txt"), []byte("deep"), 0o644))
	outsideTemp := filepath.Join(outside, local.TempPrefix+"theirs")
	require.NoError(t, os.WriteFile(outsideTemp, []byte("not ours"), 0o644))

	root := filepath.Join(base, "root")
	require.NoError(t, os.MkdirAll(root, 0o755))
	symlink(t, outside, filepath.Join(root, "evil"))
	s := newSink(t, root)
	_, err := os.Stat(outsideTemp)
	require.NoError(t, err, "New must not clean up temporary files outside the root")
	require.NoError(t, s.Put(ctx, "keep/a", strings.NewReader("a")))

	for _, key := range []string{"evil/secret.txt", "evil/sub/deep.txt"} {
		rc, err := s.Get(ctx, key)
		if err == nil {
			data, _ := io.ReadAll(rc)
			_ = rc.Close()
			t.Errorf("Get(%q) read %q from outside the root", key, data)
			continue
		}
		requireRefused(t, err, "Get", key)
	}

	for _, key := range []string{"evil/x", "evil/sub/y", "evil/new/z"} {
		requireRefused(t, s.Put(ctx, key, strings.NewReader("escaped")), "Put", key)
	}
	assert.Equal(t, []string{local.TempPrefix + "theirs", "secret.txt", "sub"}, dirEntries(t, outside),
		"Put must create nothing outside the root")
	assert.Equal(t, []string{"deep.txt"}, dirEntries(t, filepath.Join(outside, "sub")),
		"Put must create nothing outside the root")

	for _, key := range []string{"evil/secret.txt", "evil/sub/deep.txt"} {
		requireRefused(t, s.Delete(ctx, key), "Delete", key)
	}
	data, err := os.ReadFile(secret)
	require.NoError(t, err, "Delete must not remove a file outside the root")
	assert.Equal(t, "secret", string(data))
	_, err = os.Stat(filepath.Join(outside, "sub", "deep.txt"))
	require.NoError(t, err, "Delete must not remove a file outside the root")

	assert.Equal(t, []string{"keep/a"}, listKeys(t, s, ""))
	for _, prefix := range []string{"evil", "evil/", "evil/sub/", "evil/sub/d"} {
		assert.Empty(t, listKeys(t, s, prefix), "List(%q) must not report files outside the root", prefix)
	}
}

func TestFileSymlinkOutOfRootIsRefused(t *testing.T) {
	ctx := t.Context()
	base := t.TempDir()
	outsideFile := filepath.Join(base, "outside.json")
	require.NoError(t, os.WriteFile(outsideFile, []byte("secret"), 0o644))
	root := filepath.Join(base, "root")
	s := newSink(t, root)
	require.NoError(t, s.Put(ctx, "d/keep", strings.NewReader("keep")))
	for _, link := range []string{"link.json", "d/link.json", "gone.json"} {
		symlink(t, outsideFile, filepath.Join(root, filepath.FromSlash(link)))
	}

	for _, key := range []string{"link.json", "d/link.json"} {
		rc, err := s.Get(ctx, key)
		if err == nil {
			data, _ := io.ReadAll(rc)
			_ = rc.Close()
			t.Errorf("Get(%q) read %q from outside the root", key, data)
			continue
		}
		requireRefused(t, err, "Get", key)
	}
	assert.Equal(t, []string{"d/keep"}, listKeys(t, s, ""), "List must not report symbolic links")

	// Delete removes the link itself, never its target.
	require.NoError(t, s.Delete(ctx, "gone.json"))
	_, err := os.Lstat(filepath.Join(root, "gone.json"))
	assert.ErrorIs(t, err, os.ErrNotExist, "Delete must remove the link")

	// Put replaces the link with a regular file; it never writes into the target.
	for _, key := range []string{"link.json", "d/link.json"} {
		require.NoError(t, s.Put(ctx, key, strings.NewReader("mine")))
		fi, err := os.Lstat(filepath.Join(root, filepath.FromSlash(key)))
		require.NoError(t, err)
		assert.True(t, fi.Mode().IsRegular(), "Put(%q) must replace the link by a regular file", key)
		assert.Equal(t, []byte("mine"), getBytes(t, s, key))
	}
	assert.Equal(t, []string{"d/keep", "d/link.json", "link.json"}, listKeys(t, s, ""))

	data, err := os.ReadFile(outsideFile)
	require.NoError(t, err, "the target outside the root must survive")
	assert.Equal(t, "secret", string(data), "the target outside the root must be untouched")
}

// Symbolic links that stay inside the root are followed by Get, Put and
// Delete's parent lookup, as long as they are relative; List never reports
// or descends into them.
func TestSymlinksInsideRoot(t *testing.T) {
	ctx := t.Context()
	base := t.TempDir()
	real := filepath.Join(base, "real")
	require.NoError(t, os.MkdirAll(real, 0o755))
	// The root itself may be reached through a link: the caller chose it.
	root := filepath.Join(base, "root")
	symlink(t, real, root)
	s := newSink(t, root)
	require.NoError(t, s.Put(ctx, "a/real.json", strings.NewReader("real")))
	symlink(t, "a/real.json", filepath.Join(root, "alias.json"))
	symlink(t, "../a/real.json", filepath.Join(root, "a", "up.json"))
	symlink(t, "a", filepath.Join(root, "adir"))
	// An absolute link is refused even if it points inside the root.
	symlink(t, filepath.Join(real, "a", "real.json"), filepath.Join(root, "abs.json"))

	for _, key := range []string{"a/real.json", "alias.json", "a/up.json", "adir/real.json"} {
		assert.Equal(t, []byte("real"), getBytes(t, s, key), "Get(%q)", key)
	}
	_, err := s.Get(ctx, "abs.json")
	requireRefused(t, err, "Get", "abs.json")

	require.NoError(t, s.Put(ctx, "adir/new.json", strings.NewReader("new")))
	assert.Equal(t, []byte("new"), getBytes(t, s, "a/new.json"))
	assert.Equal(t, []string{"a/new.json", "a/real.json"}, listKeys(t, s, ""))
	assert.Empty(t, listKeys(t, s, "adir/"), "List must not descend into a link")

	require.NoError(t, s.Delete(ctx, "adir/new.json"))
	requireNotFound(t, s, "a/new.json")
	require.NoError(t, s.Delete(ctx, "alias.json"))
	assert.Equal(t, []byte("real"), getBytes(t, s, "a/real.json"), "deleting a link keeps its target")
}

func getBytes(t *testing.T, s sink.Sink, key string) []byte {
	t.Helper()
	rc, err := s.Get(t.Context(), key)
	require.NoError(t, err, "Get(%q)", key)
	data, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	return data
}

func requireNotFound(t *testing.T, s sink.Sink, key string) {
	t.Helper()
	rc, err := s.Get(t.Context(), key)
	if err == nil {
		_ = rc.Close()
	}
	require.ErrorIs(t, err, sink.ErrNotFound, "Get(%q)", key)
}

func TestRemovedDirectory(t *testing.T) {
	ctx := t.Context()
	root := filepath.Join(t.TempDir(), "root")
	s := newSink(t, root)
	require.NoError(t, s.Put(ctx, "a/k", strings.NewReader("v")))
	require.NoError(t, os.RemoveAll(root))

	assert.Empty(t, listKeys(t, s, ""))
	assert.Empty(t, listKeys(t, s, "a/"))
	requireNotFound(t, s, "a/k")
	assert.ErrorIs(t, s.Delete(ctx, "a/k"), sink.ErrNotFound)
	require.NoError(t, s.Put(ctx, "a/k", strings.NewReader("again")), "Put recreates the directory")
	assert.Equal(t, []byte("again"), getBytes(t, s, "a/k"))
}

// inspectOnRead calls fn on its first Read, then reads as r.
type inspectOnRead struct {
	r    io.Reader
	fn   func()
	done bool
}

func (i *inspectOnRead) Read(p []byte) (int, error) {
	if !i.done {
		i.done = true
		i.fn()
	}
	return i.r.Read(p)
}

// Put writes its temporary file in the directory of temporary files next
// to the object, never among the objects; List does not look there, and
// New removes what a crash left in it.
func TestTempFilesHaveTheirOwnDirectory(t *testing.T) {
	root := t.TempDir()
	s := newSink(t, root)
	tmpDir := filepath.Join(root, "sub", local.TempPrefix+"files")
	var during []string
	require.NoError(t, s.Put(t.Context(), "sub/a", &inspectOnRead{r: strings.NewReader("x"), fn: func() {
		entries, err := os.ReadDir(tmpDir)
		require.NoError(t, err)
		for _, e := range entries {
			during = append(during, e.Name())
		}
	}}))
	require.Len(t, during, 1, "the temporary file is in the directory of temporary files")
	assert.True(t, strings.HasPrefix(during[0], local.TempPrefix))
	assert.Equal(t, []string{local.TempPrefix + "files", "a"}, dirEntries(t, filepath.Join(root, "sub")))
	assert.Empty(t, tempFiles(t, filepath.Join(root, "sub")), "nothing is left once Put returns")

	left := filepath.Join(tmpDir, local.TempPrefix+"crashed")
	require.NoError(t, os.WriteFile(left, []byte("partial"), 0o600))
	assert.Equal(t, []string{"sub/a"}, listKeys(t, s, ""))
	newSink(t, root)
	_, err := os.Stat(left)
	assert.ErrorIs(t, err, fs.ErrNotExist, "New removes a crash's temporary file")
}

// Objects larger than the writeback piece arrive whole, whether the put
// gets them in one write or in many of odd sizes.
func TestLargeObjectsInPieces(t *testing.T) {
	s := newSink(t, t.TempDir())
	want := make([]byte, 3*local.WritebackEvery+12345)
	for i := range want {
		want[i] = byte(i*7 + i>>13)
	}
	require.NoError(t, s.Put(t.Context(), "whole", bytes.NewReader(want)), "one write (bytes.Reader.WriteTo)")
	require.NoError(t, s.Put(t.Context(), "pieces", &oddReader{b: want}))
	for _, key := range []string{"whole", "pieces"} {
		rc, err := s.Get(t.Context(), key)
		require.NoError(t, err)
		got, err := io.ReadAll(rc)
		require.NoError(t, err)
		require.NoError(t, rc.Close())
		assert.True(t, bytes.Equal(want, got), "%s: %d bytes back of %d", key, len(got), len(want))
	}
}

// oddReader returns b in reads of odd sizes, and has no WriteTo.
type oddReader struct {
	b []byte
	n int
}

func (r *oddReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	r.n++
	k := copy(p[:min(len(p), 1+(r.n*7919)%(1<<20))], r.b)
	r.b = r.b[k:]
	return k, nil
}
