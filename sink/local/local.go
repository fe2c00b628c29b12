package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
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
	if err := removeTempFiles(root); err != nil {
		return nil, fmt.Errorf("sink/local: new %s: removing temporary files: %w", dir, err)
	}
	return &Sink{root: root}, nil
}

// removeTempFiles deletes every regular file under root whose name starts
// with TempPrefix.
func removeTempFiles(root string) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && strings.HasPrefix(d.Name(), TempPrefix) {
			if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
		return nil
	})
}

// path validates key and returns the file path that stores it.
func (s *Sink) path(key string) (string, error) {
	if err := sink.ValidateKey(key); err != nil {
		return "", err
	}
	for seg := range strings.SplitSeq(key, "/") {
		if strings.HasPrefix(seg, TempPrefix) {
			return "", fmt.Errorf("%w %q: segment starts with reserved prefix %q", sink.ErrInvalidKey, key, TempPrefix)
		}
	}
	p := filepath.Join(s.root, filepath.FromSlash(key))
	rel, err := filepath.Rel(s.root, p)
	if err != nil || rel == "." || !filepath.IsLocal(rel) {
		return "", fmt.Errorf("%w %q: resolves outside the sink directory", sink.ErrInvalidKey, key)
	}
	return p, nil
}

// Put atomically stores the content of r as the file for key; see the
// package documentation for the write protocol. If the final directory sync
// fails, the new object is already visible but an error is returned because
// its durability is not guaranteed.
func (s *Sink) Put(ctx context.Context, key string, r io.Reader) error {
	p, err := s.path(key)
	if err != nil {
		return fmt.Errorf("sink/local: put: %w", err)
	}
	if err := s.put(ctx, p, r); err != nil {
		return fmt.Errorf("sink/local: put %s: %w", key, err)
	}
	return nil
}

func (s *Sink) put(ctx context.Context, path string, r io.Reader) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, TempPrefix+"*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	closed, renamed := false, false
	defer func() {
		if err != nil && !closed {
			_ = f.Close()
		}
		if err != nil && !renamed {
			_ = os.Remove(tmp)
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
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	renamed = true
	return syncDir(dir)
}

// syncDir fsyncs a directory so that entries renamed into it are durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		_ = d.Close()
		return fmt.Errorf("sync directory: %w", err)
	}
	return d.Close()
}

// Get opens the file for key. The returned reader is an *os.File.
func (s *Sink) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, fmt.Errorf("sink/local: get: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sink/local: get %s: %w", key, err)
	}
	f, err := os.Open(p)
	if err != nil {
		if isNotExist(err) {
			err = sink.ErrNotFound
		}
		return nil, fmt.Errorf("sink/local: get %s: %w", key, err)
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = sink.ErrNotFound
	}
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("sink/local: get %s: %w", key, err)
	}
	return f, nil
}

// List returns the objects whose key starts with prefix, sorted by key. It
// only walks the directories that can contain matching keys. Temporary
// files, directories, non-regular files and files whose path is not a valid
// key are not listed.
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
	// Start at the deepest directory the prefix names completely. If that
	// part is not a valid key, no valid key can start with prefix.
	start := s.root
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		p, err := s.path(prefix[:i])
		if err != nil {
			return infos, nil
		}
		start = p
	}
	fi, err := os.Lstat(start)
	if err != nil {
		if isNotExist(err) {
			return infos, nil
		}
		return nil, err
	}
	if !fi.IsDir() {
		return infos, nil
	}
	err = filepath.WalkDir(start, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if isNotExist(err) { // removed while walking
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if path == s.root {
			return nil
		}
		rel, err := filepath.Rel(s.root, path)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
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

// Delete removes the file for key. Parent directories are left in place.
// A key naming a directory is reported as [sink.ErrNotFound].
func (s *Sink) Delete(ctx context.Context, key string) error {
	p, err := s.path(key)
	if err != nil {
		return fmt.Errorf("sink/local: delete: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sink/local: delete %s: %w", key, err)
	}
	fi, err := os.Lstat(p)
	if err == nil && fi.IsDir() {
		err = sink.ErrNotFound
	}
	if err == nil {
		err = os.Remove(p)
	}
	if err != nil {
		if isNotExist(err) {
			err = sink.ErrNotFound
		}
		return fmt.Errorf("sink/local: delete %s: %w", key, err)
	}
	return nil
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
