package restore_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/backup"
	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/restore"
	"github.com/dictdb/dictdb-go/sink"
	"github.com/dictdb/dictdb-go/sink/mem"
)

// stallingSink ends a context in the middle of an object: from its
// skip+1-th Get on, once after bytes of it were read, it calls end, and the
// reader then waits for ctx to be done before reading on.
type stallingSink struct {
	sink.Sink
	skip  int64
	after int
	end   func()
	gets  atomic.Int64
}

func (s *stallingSink) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	rc, err := s.Sink.Get(ctx, key)
	if err != nil || s.gets.Add(1) <= s.skip {
		return rc, err
	}
	return &stallingReader{ReadCloser: rc, ctx: ctx, left: s.after, end: s.end}, nil
}

type stallingReader struct {
	io.ReadCloser
	ctx  context.Context
	left int
	end  func()
	once sync.Once
}

func (r *stallingReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		r.once.Do(r.end)
		<-r.ctx.Done()
		return 0, r.ctx.Err()
	}
	n, err := r.ReadCloser.Read(p[:min(len(p), r.left)])
	r.left -= n
	return n, err
}

// A restore, verify, list or inspect whose context is cancelled or runs out
// in the middle of an object says so, and never that the object is
// corrupt.
func TestCancellationIsNotCorruption(t *testing.T) {
	inner := mem.New()
	db := dictdb.New()
	people, _ := db.CreateTable("people")
	for i := 0; i < 3000; i++ {
		_, err := people.Insert(dictdb.Record{"name": strings.Repeat("n", 40), "i": i})
		require.NoError(t, err)
	}
	m, err := backup.NewManager(db, inner, backup.Options{Interval: -1, Incremental: true})
	require.NoError(t, err)
	require.NoError(t, m.BackupNow(ctx))
	_, _ = people.Insert(dictdb.Record{"name": "last"})
	require.NoError(t, m.BackupNow(ctx))
	m.Stop()
	ns := names(t, inner)
	require.Len(t, ns, 2)

	ops := map[string]struct {
		skip  int64 // Gets that pass untouched: the header reads
		after int
		run   func(context.Context, sink.Sink) error
	}{
		"Latest, in the payload": {2, 20 << 10, func(c context.Context, s sink.Sink) error { _, err := restore.Latest(c, s); return err }},
		"Latest, in a header":    {0, 8, func(c context.Context, s sink.Sink) error { _, err := restore.Latest(c, s); return err }},
		"ToTime":                 {2, 20 << 10, func(c context.Context, s sink.Sink) error { _, err := restore.ToTime(c, s, ns[1].Time()); return err }},
		"ToSeq":                  {2, 20 << 10, func(c context.Context, s sink.Sink) error { _, err := restore.ToSeq(c, s, db.Sequence()); return err }},
		"List":                   {0, 8, func(c context.Context, s sink.Sink) error { _, err := restore.List(c, s); return err }},
		"Verify":                 {2, 20 << 10, func(c context.Context, s sink.Sink) error { _, err := restore.Verify(c, s); return err }},
		"Inspect":                {0, 20 << 10, func(c context.Context, s sink.Sink) error { _, err := restore.Inspect(c, s, ns[0].Key); return err }},
	}
	for name, op := range ops {
		t.Run(name+"/cancelled", func(t *testing.T) {
			c, cancel := context.WithCancel(ctx)
			defer cancel()
			err := op.run(c, &stallingSink{Sink: inner, skip: op.skip, after: op.after, end: cancel})
			require.Error(t, err)
			assert.ErrorIs(t, err, context.Canceled)
			assert.NotErrorIs(t, err, restore.ErrCorrupt, "%v", err)
		})
		t.Run(name+"/deadline", func(t *testing.T) {
			c, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
			defer cancel()
			err := op.run(c, &stallingSink{Sink: inner, skip: op.skip, after: op.after, end: func() {}})
			require.Error(t, err)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.NotErrorIs(t, err, restore.ErrCorrupt, "%v", err)
		})
	}
	// The same sink, read through, restores: the stalls were the cause.
	got, err := restore.Latest(ctx, inner)
	require.NoError(t, err)
	requireSameDB(t, db, got)
}

// A sink that fails in the middle of an object is a failing sink, not a
// corrupt backup.
func TestReadErrorIsNotCorruption(t *testing.T) {
	inner := mem.New()
	live := chain(t, inner)
	broken := errors.New("connection reset by peer")
	s := &failingReadSink{Sink: inner, err: broken}
	_, err := restore.Latest(ctx, s)
	require.ErrorIs(t, err, broken)
	assert.NotErrorIs(t, err, restore.ErrCorrupt)
	got, err := restore.Latest(ctx, inner)
	require.NoError(t, err)
	requireSameDB(t, live, got)
}

// failingReadSink's readers fail after their first bytes.
type failingReadSink struct {
	sink.Sink
	err error
}

func (s *failingReadSink) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	rc, err := s.Sink.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	return &failingReader{ReadCloser: rc, err: s.err, left: 16}, nil
}

type failingReader struct {
	io.ReadCloser
	err  error
	left int
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, r.err
	}
	n, err := r.ReadCloser.Read(p[:min(len(p), r.left)])
	r.left -= n
	return n, err
}
