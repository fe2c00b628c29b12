package mem

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dictdb/dictdb-go/sink"
)

var _ sink.ConditionalSink = (*Sink)(nil)

// Sink is an in-memory [sink.Sink]. It is safe for concurrent use. After
// Close, every operation returns an error matching [sink.ErrClosed].
type Sink struct {
	mu      sync.RWMutex
	objects map[string]object
	closed  bool
	version uint64 // of the last write: every write gets the next one
}

// object is a stored object. data is never modified after it is stored, so
// readers may share it.
type object struct {
	data    []byte
	modTime time.Time
	version uint64
}

// New returns an empty in-memory sink.
func New() *Sink {
	return &Sink{objects: make(map[string]object)}
}

// Put reads r completely (aborting if ctx is cancelled) and then stores the
// bytes under key, replacing any previous object.
func (s *Sink) Put(ctx context.Context, key string, r io.Reader) error {
	_, err := s.put(ctx, key, r, nil)
	return err
}

// PutIf is Put if cond holds when the object is stored; see
// sink.ConditionalSink. Versions count writes.
func (s *Sink) PutIf(ctx context.Context, key string, r io.Reader, cond sink.Condition) (sink.Version, error) {
	if err := cond.Validate(); err != nil {
		return "", fmt.Errorf("sink/mem: put %s: %w", key, err)
	}
	return s.put(ctx, key, r, &cond)
}

func (s *Sink) put(ctx context.Context, key string, r io.Reader, cond *sink.Condition) (sink.Version, error) {
	if err := sink.ValidateKey(key); err != nil {
		return "", fmt.Errorf("sink/mem: put: %w", err)
	}
	if err := s.checkOpen(); err != nil {
		return "", fmt.Errorf("sink/mem: put %s: %w", key, err)
	}
	data, err := io.ReadAll(sink.NewContextReader(ctx, r))
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return "", fmt.Errorf("sink/mem: put %s: %w", key, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return "", fmt.Errorf("sink/mem: put %s: %w", key, sink.ErrClosed)
	}
	if cond != nil {
		old, exists := s.objects[key]
		switch {
		case cond.IfAbsent && exists:
			return "", fmt.Errorf("sink/mem: put %s: exists: %w", key, sink.ErrPrecondition)
		case cond.IfMatch != "" && (!exists || version(old.version) != cond.IfMatch):
			return "", fmt.Errorf("sink/mem: put %s: changed: %w", key, sink.ErrPrecondition)
		}
	}
	s.version++
	s.objects[key] = object{data: data, modTime: time.Now(), version: s.version}
	return version(s.version), nil
}

func version(n uint64) sink.Version { return sink.Version(strconv.FormatUint(n, 10)) }

// GetVersion is Get, with the version read; see sink.ConditionalSink.
func (s *Sink) GetVersion(ctx context.Context, key string) (io.ReadCloser, sink.Version, error) {
	obj, err := s.get(ctx, key)
	if err != nil {
		return nil, "", err
	}
	return io.NopCloser(bytes.NewReader(obj.data)), version(obj.version), nil
}

// Get returns a reader over the object's current content. Later writes to
// key do not affect a reader that is already open.
func (s *Sink) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	obj, err := s.get(ctx, key)
	if err != nil {
		return nil, err
	}
	return io.NopCloser(bytes.NewReader(obj.data)), nil
}

func (s *Sink) get(ctx context.Context, key string) (object, error) {
	if err := sink.ValidateKey(key); err != nil {
		return object{}, fmt.Errorf("sink/mem: get: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return object{}, fmt.Errorf("sink/mem: get %s: %w", key, err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return object{}, fmt.Errorf("sink/mem: get %s: %w", key, sink.ErrClosed)
	}
	obj, ok := s.objects[key]
	if !ok {
		return object{}, fmt.Errorf("sink/mem: get %s: %w", key, sink.ErrNotFound)
	}
	return obj, nil
}

// List returns the objects whose key starts with prefix, sorted by key.
func (s *Sink) List(ctx context.Context, prefix string) ([]sink.ObjectInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sink/mem: list %s: %w", prefix, err)
	}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return nil, fmt.Errorf("sink/mem: list %s: %w", prefix, sink.ErrClosed)
	}
	infos := make([]sink.ObjectInfo, 0)
	for key, obj := range s.objects {
		if strings.HasPrefix(key, prefix) {
			infos = append(infos, sink.ObjectInfo{Key: key, Size: int64(len(obj.data)), ModTime: obj.modTime})
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(infos, func(a, b sink.ObjectInfo) int { return strings.Compare(a.Key, b.Key) })
	return infos, nil
}

// Delete removes the object stored under key.
func (s *Sink) Delete(ctx context.Context, key string) error {
	if err := sink.ValidateKey(key); err != nil {
		return fmt.Errorf("sink/mem: delete: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sink/mem: delete %s: %w", key, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("sink/mem: delete %s: %w", key, sink.ErrClosed)
	}
	if _, ok := s.objects[key]; !ok {
		return fmt.Errorf("sink/mem: delete %s: %w", key, sink.ErrNotFound)
	}
	delete(s.objects, key)
	return nil
}

// Close discards all objects; later operations fail with [sink.ErrClosed].
// Readers returned by Get stay usable. Calling Close again is a no-op.
func (s *Sink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.objects = nil
	return nil
}

// checkOpen returns sink.ErrClosed if s has been closed.
func (s *Sink) checkOpen() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return sink.ErrClosed
	}
	return nil
}

func init() {
	sink.Register("mem", func(ctx context.Context, u *url.URL) (sink.Sink, error) {
		if err := sink.CheckParams(u); err != nil {
			return nil, err
		}
		return New(), nil
	})
}
