package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/dictdb/dictdb-go/sink"
)

// TempPrefix is the name prefix of the temporary files Put writes before
// renaming them into place, and of lock files (LockName). Keys with a
// segment starting with it are invalid.
const TempPrefix = ".dictdb-tmp-"

// LockName is the name of the file that writers lock (flock(2)) around
// committing an object in a directory where the directory itself cannot be
// locked (NFS): see the package documentation. New's clean-up leaves it in
// place.
const LockName = TempPrefix + "dir.lock"

// tempDir is the directory, in each directory of objects, where Put creates
// its temporary files rather than among the objects: on the project's test
// machine (ext4) a create among thousands of backups took up to 1 ms on
// some runs, against tens of microseconds in an almost empty directory,
// and every delta pays for one. The rename into place stays atomic, within
// one file system.
const tempDir = TempPrefix + "files"

var _ sink.ConditionalSink = (*Sink)(nil)

// Sink is a [sink.Sink] backed by a directory. It is safe for concurrent use.
type Sink struct {
	root string // absolute, cleaned
}

// New returns a Sink storing objects under dir. It creates dir (mode 0o755)
// if it does not exist and removes any temporary files left under it by an
// interrupted Put.
func New(dir string) (*Sink, error) {
	if dir == "" {
		return nil, errors.New("sink/local: new: empty directory name")
	}
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("sink/local: new %s: %w", dir, err)
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("sink/local: new %s: %w", dir, err)
	}
	s := &Sink{root: root}
	r, err := s.open()
	if err != nil {
		return nil, fmt.Errorf("sink/local: new %s: %w", dir, err)
	}
	defer r.Close()
	if err := removeTempFiles(r); err != nil {
		return nil, fmt.Errorf("sink/local: new %s: removing temporary files: %w", dir, err)
	}
	return s, nil
}

// open opens the sink's directory as an [os.Root]. Every file operation
// goes through it, so no path, and no symbolic link met on the way, can
// resolve outside the directory. The root is opened per operation, so a
// Sink holds no file descriptor between calls.
func (s *Sink) open() (*os.Root, error) {
	return os.OpenRoot(s.root)
}

// removeTempFiles deletes every regular file under r whose name starts
// with TempPrefix, except lock files, which another Sink may hold: a
// removed lock file would let two writers lock two different files. It
// does not follow symbolic links.
func removeTempFiles(r *os.Root) error {
	return fs.WalkDir(r.FS(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && strings.HasPrefix(d.Name(), TempPrefix) && d.Name() != LockName {
			if err := r.Remove(filepath.FromSlash(name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
		return nil
	})
}

// checkKey validates key and returns its name relative to the root.
func checkKey(key string) (string, error) {
	if err := sink.ValidateKey(key); err != nil {
		return "", err
	}
	for seg := range strings.SplitSeq(key, "/") {
		if strings.HasPrefix(seg, TempPrefix) {
			return "", fmt.Errorf("%w %q: segment starts with reserved prefix %q", sink.ErrInvalidKey, key, TempPrefix)
		}
	}
	return filepath.FromSlash(key), nil
}

// Put atomically stores the content of r as the file for key; see the
// package documentation for the write protocol. If the final directory sync
// fails, the new object is already visible but an error is returned because
// its durability is not guaranteed.
func (s *Sink) Put(ctx context.Context, key string, r io.Reader) error {
	name, err := checkKey(key)
	if err != nil {
		return fmt.Errorf("sink/local: put: %w", err)
	}
	if _, err := s.put(ctx, name, r, nil); err != nil {
		return fmt.Errorf("sink/local: put %s: %w", key, err)
	}
	return nil
}

// PutIf is Put if cond holds when the object is renamed into place; see
// sink.ConditionalSink and the package documentation. The version is the
// file's device, inode, modification time and size.
func (s *Sink) PutIf(ctx context.Context, key string, r io.Reader, cond sink.Condition) (sink.Version, error) {
	name, err := checkKey(key)
	if err != nil {
		return "", fmt.Errorf("sink/local: put: %w", err)
	}
	if err := cond.Validate(); err != nil {
		return "", fmt.Errorf("sink/local: put %s: %w", key, err)
	}
	if !conditionalWrites {
		return "", fmt.Errorf("sink/local: put %s: %w on this system", key, sink.ErrNotSupported)
	}
	v, err := s.put(ctx, name, r, &cond)
	if err != nil {
		return "", fmt.Errorf("sink/local: put %s: %w", key, err)
	}
	return v, nil
}

func (s *Sink) put(ctx context.Context, name string, r io.Reader, cond *sink.Condition) (sink.Version, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	// Like New, Put creates the directory if it has been removed since.
	if err := os.MkdirAll(s.root, 0o755); err != nil {
		return "", err
	}
	root, err := s.open()
	if err != nil {
		return "", err
	}
	defer root.Close()
	dir, base := filepath.Split(name)
	dir = filepath.Clean(dir) // "." for a key without a slash
	if err := root.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	// Resolve the directory once; the temp file, the lock, the rename and
	// the directory sync all happen relative to it.
	d, err := root.OpenRoot(dir)
	if err != nil {
		return "", err
	}
	defer d.Close()
	return putIn(ctx, d, base, r, cond)
}

// putIn writes r to a temporary file in d, syncs it and, holding d's lock,
// checks cond (if any) and renames the file to base (or, for IfAbsent,
// links it there without replacing anything). The rename replaces whatever
// entry base is, a symbolic link included; it never writes through a link.
// It returns the version of the object stored.
func putIn(ctx context.Context, d *os.Root, base string, r io.Reader, cond *sink.Condition) (v sink.Version, err error) {
	f, tmp, err := createTemp(d)
	if err != nil {
		return "", err
	}
	closed, committed := false, false
	defer func() {
		if !closed {
			_ = f.Close()
		}
		if !committed {
			_ = d.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o644); err != nil {
		return "", err
	}
	if _, err := io.Copy(&writeback{f: f}, sink.NewContextReader(ctx, r)); err != nil {
		return "", err
	}
	// The modification time is part of the version: take it from the
	// clock, finer than the file system's own tick.
	if err := setModTime(d, tmp, time.Now()); err != nil {
		return "", err
	}
	if err := f.Sync(); err != nil {
		return "", err
	}

	unlock, err := lockDir(ctx, d)
	if err != nil {
		return "", err
	}
	defer unlock()
	cur, err := current(d, base)
	switch {
	case err == nil:
	case isNotExist(err):
		cur = nil
	case cond == nil:
		cur = nil // not an object (a directory, a link out of the root): the rename decides, as ever
	default:
		return "", err
	}
	if cond != nil {
		if err := check(*cond, cur); err != nil {
			return "", err
		}
	}
	fi, err := f.Stat()
	if err != nil {
		return "", err
	}
	if cur != nil && !fi.ModTime().After(cur.ModTime()) {
		if fi, err = setLaterModTime(d, f, tmp, cur.ModTime()); err != nil {
			return "", err
		}
	}
	closed = true
	if err := f.Close(); err != nil {
		return "", err
	}
	// Last chance to honour a cancellation before the object becomes visible.
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if cond != nil && cond.IfAbsent {
		err = linkNew(d, tmp, base)
	} else {
		err = d.Rename(tmp, base)
	}
	if err != nil {
		return "", err
	}
	committed = true
	if err := syncDir(d); err != nil {
		return "", err
	}
	return fileVersion(fi), nil
}

// current returns the info of the object at base in d, following a link as
// Get does; an error matching fs.ErrNotExist if there is none.
func current(d *os.Root, base string) (os.FileInfo, error) {
	f, err := d.OpenFile(base, os.O_RDONLY|openNonBlocking, 0) // never wait on a FIFO
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file: %s", fi.Mode().Type())
	}
	return fi, nil
}

// check returns an error matching sink.ErrPrecondition unless cond holds
// for cur, the current object (nil if there is none).
func check(cond sink.Condition, cur os.FileInfo) error {
	switch {
	case cond.IfAbsent && cur != nil:
		return fmt.Errorf("exists: %w", sink.ErrPrecondition)
	case cond.IfMatch != "" && cur == nil:
		return fmt.Errorf("absent: %w", sink.ErrPrecondition)
	case cond.IfMatch != "" && fileVersion(cur) != cond.IfMatch:
		return fmt.Errorf("changed: %w", sink.ErrPrecondition)
	}
	return nil
}

// setModTime sets the access and modification times of the file name in d.
func setModTime(d *os.Root, name string, t time.Time) error {
	return d.Chtimes(name, t, t)
}

// setLaterModTime gives f, the temporary file name in d, a modification
// time after prev, the current object's, so that no two versions of a key
// share one (an inode freed by a rename can be reused by a later write).
// The file system may store times more coarsely than asked: it tries
// larger steps until the time it stored is later. It returns f's info.
func setLaterModTime(d *os.Root, f *os.File, name string, prev time.Time) (os.FileInfo, error) {
	for step := time.Microsecond; step <= 100*time.Second; step *= 10 {
		t := prev.Add(step)
		if now := time.Now(); now.After(t) {
			t = now
		}
		if err := setModTime(d, name, t); err != nil {
			return nil, err
		}
		fi, err := f.Stat()
		if err != nil {
			return nil, err
		}
		if fi.ModTime().After(prev) {
			return fi, f.Sync()
		}
	}
	return nil, errors.New("the file system's modification times are too coarse to tell versions apart")
}

// linkNew links the file tmp in d to base if nothing is there, then removes
// tmp: a no-replace commit, atomic also against writers that do not lock.
// Where hard links are not supported it renames tmp, which d's lock makes
// safe among this package's writers, having found base absent. A dangling
// symbolic link at base, which current took for no object, is replaced as
// Put replaces it.
func linkNew(d *os.Root, tmp, base string) error {
	err := d.Link(tmp, base)
	switch {
	case err == nil:
		return d.Remove(tmp)
	case errors.Is(err, fs.ErrExist):
		if fi, lerr := d.Lstat(base); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return d.Rename(tmp, base)
		}
		return fmt.Errorf("exists: %w", sink.ErrPrecondition)
	case linkUnsupported(err):
		return d.Rename(tmp, base)
	}
	return err
}

// createTemp creates a new file named TempPrefix+<random> in d's tempDir,
// mode 0o600, and returns it with its name relative to d.
func createTemp(d *os.Root) (*os.File, string, error) {
	if err := d.Mkdir(tempDir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, "", err
	}
	for range 100 {
		name := filepath.Join(tempDir, TempPrefix+strconv.FormatUint(rand.Uint64(), 36))
		f, err := d.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, name, err
	}
	return nil, "", errors.New("cannot create a temporary file: too many name collisions")
}

// syncDir fsyncs a directory so that entries renamed into it are durable.
func syncDir(d *os.Root) error {
	f, err := d.Open(".")
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return fmt.Errorf("sync directory: %w", err)
	}
	return f.Close()
}

// Get opens the file for key. The returned reader is an *os.File.
func (s *Sink) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	name, err := checkKey(key)
	if err != nil {
		return nil, fmt.Errorf("sink/local: get: %w", err)
	}
	f, _, err := s.get(ctx, name)
	if err != nil {
		if isNotExist(err) {
			err = sink.ErrNotFound
		}
		return nil, fmt.Errorf("sink/local: get %s: %w", key, err)
	}
	return f, nil
}

// GetVersion is Get, with the version of the file opened, read from its
// descriptor: the version of the bytes the reader returns, since a write
// never changes a file in place. See sink.ConditionalSink.
func (s *Sink) GetVersion(ctx context.Context, key string) (io.ReadCloser, sink.Version, error) {
	name, err := checkKey(key)
	if err != nil {
		return nil, "", fmt.Errorf("sink/local: get: %w", err)
	}
	if !conditionalWrites {
		return nil, "", fmt.Errorf("sink/local: get %s: %w on this system", key, sink.ErrNotSupported)
	}
	f, fi, err := s.get(ctx, name)
	if err != nil {
		if isNotExist(err) {
			err = sink.ErrNotFound
		}
		return nil, "", fmt.Errorf("sink/local: get %s: %w", key, err)
	}
	return f, fileVersion(fi), nil
}

func (s *Sink) get(ctx context.Context, name string) (*os.File, os.FileInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	root, err := s.open()
	if err != nil {
		return nil, nil, err
	}
	defer root.Close() // f keeps its own descriptor
	f, err := root.Open(name)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = sink.ErrNotFound
	}
	if err != nil {
		_ = f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

// List returns the objects whose key starts with prefix, sorted by key. It
// only walks the directories that can contain matching keys, and never
// follows a symbolic link. Temporary files, directories, symbolic links,
// other non-regular files and files whose path is not a valid key are not
// listed.
func (s *Sink) List(ctx context.Context, prefix string) ([]sink.ObjectInfo, error) {
	infos, err := s.list(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("sink/local: list %s: %w", prefix, err)
	}
	return infos, nil
}

func (s *Sink) list(ctx context.Context, prefix string) ([]sink.ObjectInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	infos := make([]sink.ObjectInfo, 0)
	root, err := s.open()
	if err != nil {
		if isNotExist(err) { // the directory has been removed: it holds nothing
			return infos, nil
		}
		return nil, err
	}
	defer root.Close()
	start, ok, err := listStart(root, prefix)
	if err != nil || !ok {
		return infos, err
	}
	err = fs.WalkDir(root.FS(), start, func(key string, d fs.DirEntry, err error) error {
		if err != nil {
			if isNotExist(err) { // removed while walking
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if key == "." {
			return nil
		}
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), TempPrefix) {
				return fs.SkipDir // temporary files
			}
			// Descend only if keys below this directory can match prefix.
			dirPrefix := key + "/"
			if strings.HasPrefix(dirPrefix, prefix) || strings.HasPrefix(prefix, dirPrefix) {
				return nil
			}
			return fs.SkipDir
		}
		if !d.Type().IsRegular() || strings.HasPrefix(d.Name(), TempPrefix) ||
			!strings.HasPrefix(key, prefix) || sink.ValidateKey(key) != nil {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			if isNotExist(err) {
				return nil
			}
			return err
		}
		infos = append(infos, sink.ObjectInfo{Key: key, Size: info.Size(), ModTime: info.ModTime()})
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(infos, func(a, b sink.ObjectInfo) int { return strings.Compare(a.Key, b.Key) })
	return infos, nil
}

// listStart returns the deepest directory (an fs.FS path in root) that the
// prefix names completely, and false if there is none: the prefix's
// directory part is not a valid key, or one of its components is missing,
// is not a directory, or is a symbolic link, which List does not follow.
func listStart(root *os.Root, prefix string) (string, bool, error) {
	i := strings.LastIndexByte(prefix, '/')
	if i < 0 {
		return ".", true, nil
	}
	dir := prefix[:i]
	if _, err := checkKey(dir); err != nil {
		return "", false, nil
	}
	for j := 0; j <= len(dir); j++ {
		if j < len(dir) && dir[j] != '/' {
			continue
		}
		fi, err := root.Lstat(filepath.FromSlash(dir[:j]))
		if err != nil {
			if isNotExist(err) {
				return "", false, nil
			}
			return "", false, err
		}
		if !fi.IsDir() {
			return "", false, nil
		}
	}
	return dir, true, nil
}

// Delete removes the file for key. Parent directories are left in place.
// A key naming a directory is reported as [sink.ErrNotFound]. If the key
// names a symbolic link, the link itself is removed, never its target.
func (s *Sink) Delete(ctx context.Context, key string) error {
	name, err := checkKey(key)
	if err != nil {
		return fmt.Errorf("sink/local: delete: %w", err)
	}
	if err := s.delete(ctx, name); err != nil {
		if isNotExist(err) {
			err = sink.ErrNotFound
		}
		return fmt.Errorf("sink/local: delete %s: %w", key, err)
	}
	return nil
}

func (s *Sink) delete(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	root, err := s.open()
	if err != nil {
		return err
	}
	defer root.Close()
	fi, err := root.Lstat(name)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return sink.ErrNotFound
	}
	dir, base := filepath.Split(name)
	d, err := root.OpenRoot(filepath.Clean(dir))
	if err != nil {
		return err
	}
	defer d.Close()
	// Under the lock, so that a removal cannot come between a conditional
	// write's check and its rename.
	unlock, err := lockDir(ctx, d)
	if err != nil {
		return err
	}
	defer unlock()
	return d.Remove(base)
}

// Close is a no-op that returns nil; a local Sink holds no resources, and it
// remains usable after Close.
func (s *Sink) Close() error { return nil }

// isNotExist reports whether err means the path does not exist, including
// the case where a parent path component is a regular file.
func isNotExist(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// Scheme is the URL scheme of local directories: file:///abs/dir, or
// file://./rel/dir for a path relative to the working directory.
const Scheme = "file"

func init() {
	sink.Register(Scheme, func(ctx context.Context, u *url.URL) (sink.Sink, error) {
		if err := sink.CheckParams(u); err != nil {
			return nil, err
		}
		var dir string
		switch u.Host {
		case "", "localhost":
			dir = u.Path
		case ".", "..":
			dir = u.Host + u.Path
		default:
			return nil, fmt.Errorf("file URL names host %q: use file:///absolute/dir or file://./relative/dir", u.Host)
		}
		if u.Opaque != "" {
			dir = u.Opaque
		}
		if dir == "" {
			return nil, fmt.Errorf("file URL has no path: use file:///absolute/dir or file://./relative/dir")
		}
		return New(filepath.FromSlash(dir))
	})
}

// writebackEvery is how many bytes a put writes between two requests to
// the kernel to start writing them to the disk (startWriteback).
const writebackEvery = 8 << 20

// writeback writes to f and, every writebackEvery bytes, asks the kernel
// to start writing the bytes since the last request to the disk. A large
// object then goes to the disk while it is being written, instead of all
// at the fsync: the fsync is short, and the dirty pages that other writers
// of the machine wait behind stay few.
type writeback struct {
	f       *os.File
	written int64 // bytes written to f
	started int64 // bytes whose writeback was requested
}

// Write writes p in pieces of up to writebackEvery bytes, so that a large
// p, too, goes to the disk while the rest of it is being written.
func (w *writeback) Write(p []byte) (int, error) {
	done := 0
	for done < len(p) {
		piece := p[done:min(len(p), done+writebackEvery)]
		n, err := w.f.Write(piece)
		done += n
		w.written += int64(n)
		if w.written-w.started >= writebackEvery {
			startWriteback(w.f, w.started, w.written-w.started)
			w.started = w.written
		}
		if err != nil {
			return done, err
		}
	}
	return done, nil
}
