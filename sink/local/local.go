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

	"github.com/dictdb/dictdb-go/sink"
)

// TempPrefix is the name prefix of the temporary files Put writes before
// renaming them into place. Keys with a segment starting with it are invalid.
const TempPrefix = ".dictdb-tmp-"

var _ sink.Sink = (*Sink)(nil)

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
// with TempPrefix. It does not follow symbolic links.
func removeTempFiles(r *os.Root) error {
	return fs.WalkDir(r.FS(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && strings.HasPrefix(d.Name(), TempPrefix) {
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
	if err := s.put(ctx, name, r); err != nil {
		return fmt.Errorf("sink/local: put %s: %w", key, err)
	}
	return nil
}

func (s *Sink) put(ctx context.Context, name string, r io.Reader) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	// Like New, Put creates the directory if it has been removed since.
	if err := os.MkdirAll(s.root, 0o755); err != nil {
		return err
	}
	root, err := s.open()
	if err != nil {
		return err
	}
	defer root.Close()
	dir, base := filepath.Split(name)
	dir = filepath.Clean(dir) // "." for a key without a slash
	if err := root.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// Resolve the directory once; the temp file, the rename and the
	// directory sync all happen relative to it.
	d, err := root.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return putIn(ctx, d, base, r)
}

// putIn writes r to a temporary file in d, syncs it and renames it to base.
// The rename replaces whatever entry base is, a symbolic link included; it
// never writes through a link.
func putIn(ctx context.Context, d *os.Root, base string, r io.Reader) (err error) {
	f, tmp, err := createTemp(d)
	if err != nil {
		return err
	}
	closed, renamed := false, false
	defer func() {
		if err != nil && !closed {
			_ = f.Close()
		}
		if err != nil && !renamed {
			_ = d.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if _, err := io.Copy(f, sink.NewContextReader(ctx, r)); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	closed = true
	if err := f.Close(); err != nil {
		return err
	}
	// Last chance to honour a cancellation before the object becomes visible.
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := d.Rename(tmp, base); err != nil {
		return err
	}
	renamed = true
	return syncDir(d)
}

// createTemp creates a new file named TempPrefix+<random> in d, mode 0o600,
// and returns it with its name.
func createTemp(d *os.Root) (*os.File, string, error) {
	for range 100 {
		name := TempPrefix + strconv.FormatUint(rand.Uint64(), 36)
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
	f, err := s.get(ctx, name)
	if err != nil {
		if isNotExist(err) {
			err = sink.ErrNotFound
		}
		return nil, fmt.Errorf("sink/local: get %s: %w", key, err)
	}
	return f, nil
}

func (s *Sink) get(ctx context.Context, name string) (*os.File, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	root, err := s.open()
	if err != nil {
		return nil, err
	}
	defer root.Close() // f keeps its own descriptor
	f, err := root.Open(name)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = sink.ErrNotFound
	}
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return f, nil
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
	return root.Remove(name)
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
