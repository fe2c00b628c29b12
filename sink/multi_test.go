package sink_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-multierror"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/sink"
	"github.com/dictdb/dictdb-go/sink/local"
	"github.com/dictdb/dictdb-go/sink/mem"
	"github.com/dictdb/dictdb-go/sink/sinktest"
)

// newMulti returns Multi over members and closes it at the end of the test.
func newMulti(t *testing.T, members []sink.Named, opts ...sink.MultiOption) sink.Sink {
	t.Helper()
	s, err := sink.Multi(members, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	return s
}

func TestMultiConformance(t *testing.T) {
	t.Run("TwoMem", func(t *testing.T) {
		sinktest.Run(t, func(t *testing.T) sink.Sink {
			return newMulti(t, []sink.Named{{Name: "a", Sink: mem.New()}, {Name: "b", Sink: mem.New()}})
		})
	})
	t.Run("MemAndLocal", func(t *testing.T) {
		sinktest.Run(t, func(t *testing.T) sink.Sink {
			l, err := local.New(t.TempDir())
			require.NoError(t, err)
			return newMulti(t, []sink.Named{{Sink: mem.New()}, {Sink: l}})
		})
	})
	t.Run("RetryingMembersQuorum", func(t *testing.T) {
		sinktest.Run(t, func(t *testing.T) sink.Sink {
			return newMulti(t, []sink.Named{
				{Sink: sink.WithRetry(mem.New(), fast)},
				{Sink: sink.WithRetry(mem.New(), fast)},
				{Sink: mem.New()},
			}, sink.Quorum(2))
		})
	})
}

// getString reads key from s.
func getString(t *testing.T, s sink.Sink, key string) string {
	t.Helper()
	rc, err := s.Get(t.Context(), key)
	require.NoError(t, err, "get %s", key)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	return string(b)
}

// alwaysFailingPuts returns a Faulty sink whose every Put fails.
func alwaysFailingPuts(inner sink.Sink) *sinktest.Faulty {
	f := sinktest.NewFaulty(inner, 1)
	f.SetRates(1, 0, 0)
	return f
}

func TestMultiQuorum(t *testing.T) {
	ctx := t.Context()
	setup := func() (a, c *mem.Sink, bad *sinktest.Faulty, members []sink.Named) {
		a, c = mem.New(), mem.New()
		bad = alwaysFailingPuts(mem.New())
		return a, c, bad, []sink.Named{{Name: "a", Sink: a}, {Name: "bad", Sink: bad}, {Name: "c", Sink: c}}
	}

	t.Run("AllRequired", func(t *testing.T) {
		a, c, bad, members := setup()
		s := newMulti(t, members)
		err := s.Put(ctx, "k", strings.NewReader("payload"))
		require.Error(t, err)
		assert.ErrorIs(t, err, sinktest.ErrInjected)
		assert.Equal(t, `sink/multi: put k: 1 of 3 sinks failed, 3 must succeed: sink "bad": put k: sinktest: put k: sinktest: injected fault`, err.Error())
		var merr *multierror.Error
		require.ErrorAs(t, err, &merr)
		require.Len(t, merr.Errors, 1)
		var me *sink.MemberError
		require.ErrorAs(t, err, &me)
		assert.Equal(t, "bad", me.Sink)
		assert.Equal(t, "put", me.Op)
		assert.Equal(t, "k", me.Key)
		// The healthy members hold the object, complete; the failing one does not.
		assert.Equal(t, "payload", getString(t, a, "k"))
		assert.Equal(t, "payload", getString(t, c, "k"))
		_, err = bad.Inner.Get(ctx, "k")
		assert.ErrorIs(t, err, sink.ErrNotFound)
		assert.Equal(t, int64(1), bad.FailedPuts.Load())
	})

	t.Run("Quorum2", func(t *testing.T) {
		a, c, bad, members := setup()
		var tolerated []*sink.MemberError
		s := newMulti(t, members, sink.Quorum(2), sink.OnMemberError(func(e *sink.MemberError) { tolerated = append(tolerated, e) }))
		require.NoError(t, s.Put(ctx, "k", strings.NewReader("payload")))
		assert.Equal(t, "payload", getString(t, a, "k"))
		assert.Equal(t, "payload", getString(t, c, "k"))
		require.Len(t, tolerated, 1, "the tolerated failure is reported")
		assert.Equal(t, "bad", tolerated[0].Sink)
		assert.ErrorIs(t, tolerated[0], sinktest.ErrInjected)
		assert.Equal(t, "payload", getString(t, s, "k"))

		// Two failing members are below the quorum.
		bad2 := alwaysFailingPuts(mem.New())
		s2 := newMulti(t, []sink.Named{{Name: "a", Sink: mem.New()}, {Name: "bad", Sink: bad}, {Name: "bad2", Sink: bad2}}, sink.Quorum(2))
		err := s2.Put(ctx, "k", strings.NewReader("payload"))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "sink/multi: put k: 2 of 3 sinks failed, 2 must succeed: ")
		assert.Contains(t, err.Error(), `sink "bad": put k: `)
		assert.Contains(t, err.Error(), `sink "bad2": put k: `)
	})
}

func TestMultiOptionsAndNames(t *testing.T) {
	a := mem.New()
	for _, c := range []struct {
		name    string
		members []sink.Named
		opts    []sink.MultiOption
		want    string
	}{
		{"none", nil, nil, "sink/multi: no sinks"},
		{"quorum0", []sink.Named{{Sink: a}}, []sink.MultiOption{sink.Quorum(0)}, "sink/multi: quorum 0: want 1 to 1, the number of sinks"},
		{"quorumTooBig", []sink.Named{{Sink: a}, {Sink: a}}, []sink.MultiOption{sink.Quorum(3)}, "sink/multi: quorum 3: want 1 to 2, the number of sinks"},
		{"nil", []sink.Named{{Sink: a}, {Name: "x"}}, nil, `sink/multi: sink #2 ("x") is nil`},
		{"duplicate", []sink.Named{{Name: "x", Sink: a}, {Name: "x", Sink: mem.New()}}, nil, `sink/multi: two sinks named "x"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := sink.Multi(c.members, c.opts...)
			assert.Nil(t, s)
			assert.EqualError(t, err, c.want)
		})
	}

	t.Run("DefaultNames", func(t *testing.T) {
		bad := mem.New()
		require.NoError(t, bad.Close())
		s := newMulti(t, []sink.Named{{Sink: mem.New()}, {Sink: sink.WithRetry(bad, fast)}})
		err := s.Put(t.Context(), "k", strings.NewReader("x"))
		require.Error(t, err)
		assert.ErrorIs(t, err, sink.ErrClosed)
		// The name is the position and the type under the retry wrapper.
		assert.Contains(t, err.Error(), `: sink "#2 (*mem.Sink)": put k: sink/mem: put k: sink: closed`)
	})

	t.Run("OpenNamedRedacts", func(t *testing.T) {
		// Credentials are refused, not named.
		_, err := sink.OpenNamed(t.Context(), "mem://alice:hunter2@host")
		require.ErrorIs(t, err, sink.ErrCredentialsInURL)
		assert.Contains(t, err.Error(), "mem://xxxxx:xxxxx@host")
		assert.NotContains(t, err.Error(), "hunter2")
		assert.NotContains(t, err.Error(), "alice")

		// What Redact drops (here the fragment) is not in the name.
		dir := "file://" + filepath.ToSlash(t.TempDir())
		n, err := sink.OpenNamed(t.Context(), dir+"#hunter2")
		require.NoError(t, err)
		assert.Equal(t, dir, n.Name)
		require.NoError(t, n.Sink.Close())

		plain, err := sink.OpenNamed(t.Context(), "mem://")
		require.NoError(t, err)
		assert.Equal(t, "mem://", plain.Name, "a URL without secrets keeps its spelling")
		require.NoError(t, plain.Sink.Close())

		_, err = sink.OpenNamed(t.Context(), "nosuch://x")
		assert.ErrorContains(t, err, `unknown scheme "nosuch"`)
	})

	t.Run("InvalidKeyCheckedFirst", func(t *testing.T) {
		f := sinktest.NewFaulty(mem.New(), 1)
		s := newMulti(t, []sink.Named{{Sink: f}})
		err := s.Put(t.Context(), "../x", strings.NewReader("x"))
		assert.ErrorIs(t, err, sink.ErrInvalidKey)
		assert.Equal(t, int64(0), f.Puts.Load(), "no member is called")
	})
}

// stopAfter is a sink whose Put reads n bytes, then fails and returns,
// leaving the rest of its input unread.
type stopAfter struct {
	sink.Sink
	n    int64
	read atomic.Int64
}

var errStopped = errors.New("member stopped reading")

func (s *stopAfter) Put(ctx context.Context, key string, r io.Reader) error {
	n, _ := io.Copy(io.Discard, io.LimitReader(r, s.n))
	s.read.Store(n)
	return errStopped
}

func TestMultiFailingMemberDoesNotBlockOthers(t *testing.T) {
	ctx := t.Context()
	const size = 48 << 20
	dir := t.TempDir()
	l, err := local.New(dir)
	require.NoError(t, err)
	a := mem.New()
	early := &stopAfter{Sink: mem.New(), n: 1000}
	faulty := sinktest.NewFaulty(mem.New(), 3)
	faulty.FailNextPuts(1) // fails after up to 256 KiB
	s := newMulti(t, []sink.Named{{Name: "early", Sink: early}, {Name: "mem", Sink: a}, {Name: "faulty", Sink: faulty}, {Name: "local", Sink: l}}, sink.Quorum(2))

	want := sha256.New()
	src := io.TeeReader(io.LimitReader(rand.NewChaCha8([32]byte{1}), size), want)
	done := make(chan error, 1)
	go func() { done <- s.Put(ctx, "big", src) }()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(2 * time.Minute): // a deadlock guard, not a timing assertion
		t.Fatal("Put did not return: a failed member blocks the others")
	}
	assert.Equal(t, int64(1000), early.read.Load())
	assert.Equal(t, int64(1), faulty.FailedPuts.Load())
	for _, m := range []sink.Sink{a, l} {
		rc, err := m.Get(ctx, "big")
		require.NoError(t, err)
		got := sha256.New()
		n, err := io.Copy(got, rc)
		require.NoError(t, err)
		require.NoError(t, rc.Close())
		assert.Equal(t, int64(size), n)
		assert.Equal(t, want.Sum(nil), got.Sum(nil))
	}
	_, err = faulty.Inner.Get(ctx, "big")
	assert.ErrorIs(t, err, sink.ErrNotFound)
}

// countingSeeker is a bytes.Reader that counts its seeks.
type countingSeeker struct {
	*bytes.Reader
	seeks atomic.Int64
}

func (c *countingSeeker) Seek(off int64, whence int) (int64, error) {
	c.seeks.Add(1)
	return c.Reader.Seek(off, whence)
}

func TestMultiMembersRetryWithSeekableSource(t *testing.T) {
	ctx := t.Context()
	data := bytes.Repeat([]byte("0123456789abcdef"), 100<<10) // 1.6 MB, beyond Faulty's partial reads

	t.Run("Seekable", func(t *testing.T) {
		plain := mem.New()
		f1 := sinktest.NewFaulty(mem.New(), 1)
		f1.FailNextPuts(2)
		f2 := sinktest.NewFaulty(mem.New(), 2)
		f2.FailNextPuts(1)
		s := newMulti(t, []sink.Named{
			{Name: "plain", Sink: plain},
			{Name: "retry1", Sink: sink.WithRetry(f1, fast)},
			{Name: "retry2", Sink: sink.WithRetry(f2, fast)},
		})
		src := &countingSeeker{Reader: bytes.NewReader(data)}
		require.NoError(t, s.Put(ctx, "k", src))
		assert.Equal(t, int64(3), f1.Puts.Load(), "two failures, then success")
		assert.Equal(t, int64(2), f2.Puts.Load(), "one failure, then success")
		assert.GreaterOrEqual(t, src.seeks.Load(), int64(2), "the source is sought back for the retries")
		assert.LessOrEqual(t, src.seeks.Load(), int64(3), "at most one seek per retry")
		for _, m := range []sink.Sink{plain, f1.Inner, f2.Inner} {
			assert.Equal(t, string(data), getString(t, m, "k"))
		}
	})

	t.Run("NotSeekable", func(t *testing.T) {
		f := sinktest.NewFaulty(mem.New(), 1)
		f.FailNextPuts(1)
		s := newMulti(t, []sink.Named{{Name: "plain", Sink: mem.New()}, {Name: "retry", Sink: sink.WithRetry(f, fast)}})
		err := s.Put(ctx, "k", struct{ io.Reader }{bytes.NewReader(data)})
		require.Error(t, err)
		assert.ErrorIs(t, err, sinktest.ErrInjected)
		assert.Contains(t, err.Error(), `sink "retry": put k: `)
		assert.Equal(t, int64(1), f.Puts.Load(), "a reader that cannot seek is not retried")
	})

	t.Run("SeekFailureStopsRetries", func(t *testing.T) {
		f := sinktest.NewFaulty(mem.New(), 1)
		f.FailNextPuts(1)
		s := newMulti(t, []sink.Named{{Name: "plain", Sink: mem.New()}, {Name: "retry", Sink: sink.WithRetry(f, fast)}})
		err := s.Put(ctx, "k", brokenSeeker{bytes.NewReader(data)})
		require.Error(t, err)
		assert.ErrorIs(t, err, sinktest.ErrInjected)
		assert.Equal(t, int64(1), f.Puts.Load())
	})
}

// brokenSeeker is a reader whose Seek always fails.
type brokenSeeker struct{ io.Reader }

func (brokenSeeker) Seek(int64, int) (int64, error) { return 0, errors.New("cannot seek") }

func TestMultiGetFallback(t *testing.T) {
	ctx := t.Context()
	a, b := mem.New(), mem.New()
	fa := sinktest.NewFaulty(a, 1)
	var tolerated []string
	s := newMulti(t, []sink.Named{{Name: "a", Sink: fa}, {Name: "b", Sink: b}},
		sink.OnMemberError(func(e *sink.MemberError) { tolerated = append(tolerated, e.Error()) }))
	require.NoError(t, a.Put(ctx, "both", strings.NewReader("from a")))
	require.NoError(t, b.Put(ctx, "both", strings.NewReader("from b")))
	require.NoError(t, b.Put(ctx, "onlyb", strings.NewReader("b's")))

	assert.Equal(t, "from a", getString(t, s, "both"), "the first member that has it")
	assert.Empty(t, tolerated)
	assert.Equal(t, "b's", getString(t, s, "onlyb"), "falls back after not found")
	assert.Equal(t, []string{`sink "a": get onlyb: sink/mem: get onlyb: sink: object not found`}, tolerated)

	fa.SetRates(0, 1, 0)
	assert.Equal(t, "from b", getString(t, s, "both"), "falls back after another error")

	_, err := s.Get(ctx, "nowhere")
	require.Error(t, err)
	assert.ErrorIs(t, err, sink.ErrNotFound)
	assert.ErrorIs(t, err, sinktest.ErrInjected)
	assert.Equal(t, `sink/multi: get nowhere: no sink returned it: `+
		`sink "a": get nowhere: sinktest: get nowhere: sinktest: injected fault; `+
		`sink "b": get nowhere: sink/mem: get nowhere: sink: object not found`, err.Error())
}

func TestMultiListUnion(t *testing.T) {
	ctx := t.Context()
	a, b, c := mem.New(), mem.New(), mem.New()
	put := func(s sink.Sink, key, data string) {
		require.NoError(t, s.Put(ctx, key, strings.NewReader(data)))
	}
	put(a, "x", "1")
	put(a, "y", "22")
	put(b, "y", "4444") // differs: a's info wins
	put(b, "z", "333")
	put(c, "w", "55555")
	put(c, "other/v", "1")

	s := newMulti(t, []sink.Named{{Sink: a}, {Sink: b}, {Sink: c}})
	infos, err := s.List(ctx, "")
	require.NoError(t, err)
	var keys []string
	sizes := map[string]int64{}
	for _, info := range infos {
		keys = append(keys, info.Key)
		sizes[info.Key] = info.Size
	}
	assert.Equal(t, []string{"other/v", "w", "x", "y", "z"}, keys)
	assert.Equal(t, map[string]int64{"other/v": 1, "w": 5, "x": 1, "y": 2, "z": 3}, sizes)

	infos, err = s.List(ctx, "other/")
	require.NoError(t, err)
	require.Len(t, infos, 1)
	assert.Equal(t, "other/v", infos[0].Key)

	fb := sinktest.NewFaulty(b, 1)
	fb.SetRates(0, 0, 1)
	members := []sink.Named{{Name: "a", Sink: a}, {Name: "b", Sink: fb}, {Name: "c", Sink: c}}
	for _, tc := range []struct {
		quorum int
		ok     bool
	}{{3, false}, {2, true}, {1, false}} {
		s, err := sink.Multi(members, sink.Quorum(tc.quorum))
		require.NoError(t, err)
		infos, err := s.List(ctx, "")
		if !tc.ok {
			require.Error(t, err, "quorum %d", tc.quorum)
			assert.ErrorIs(t, err, sinktest.ErrInjected)
			assert.Contains(t, err.Error(), `1 of 3 sinks failed, at most 0 may: sink "b": list "": sinktest: list : sinktest: injected fault`)
			continue
		}
		require.NoError(t, err, "quorum %d", tc.quorum)
		keys = keys[:0]
		for _, info := range infos {
			keys = append(keys, info.Key)
		}
		assert.Equal(t, []string{"other/v", "w", "x", "y"}, keys, "z is only on the failing member")
	}
}

func TestMultiDelete(t *testing.T) {
	ctx := t.Context()
	a, b := mem.New(), mem.New()
	s := newMulti(t, []sink.Named{{Name: "a", Sink: a}, {Name: "b", Sink: b}})
	require.NoError(t, s.Put(ctx, "both", strings.NewReader("x")))
	require.NoError(t, b.Put(ctx, "onlyb", strings.NewReader("x")))

	require.NoError(t, s.Delete(ctx, "both"))
	require.NoError(t, s.Delete(ctx, "onlyb"), "missing on a but deleted on b")
	for _, m := range []sink.Sink{a, b} {
		infos, err := m.List(ctx, "")
		require.NoError(t, err)
		assert.Empty(t, infos)
	}

	err := s.Delete(ctx, "onlyb")
	require.Error(t, err)
	assert.ErrorIs(t, err, sink.ErrNotFound)
	assert.Equal(t, `sink/multi: delete onlyb: no sink has it: `+
		`sink "a": delete onlyb: sink/mem: delete onlyb: sink: object not found; `+
		`sink "b": delete onlyb: sink/mem: delete onlyb: sink: object not found`, err.Error())

	// A member that cannot delete fails Delete, naming only it.
	require.NoError(t, a.Put(ctx, "k", strings.NewReader("x")))
	require.NoError(t, b.Close())
	err = s.Delete(ctx, "k")
	require.Error(t, err)
	assert.ErrorIs(t, err, sink.ErrClosed)
	assert.NotErrorIs(t, err, sink.ErrNotFound)
	assert.Equal(t, `sink/multi: delete k: 1 of 2 sinks failed: sink "b": delete k: sink/mem: delete k: sink: closed`, err.Error())
}

func TestMultiCloseClosesAll(t *testing.T) {
	a, b := mem.New(), mem.New()
	s, err := sink.Multi([]sink.Named{{Sink: a}, {Sink: b}})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	for _, m := range []sink.Sink{a, b} {
		_, err := m.List(t.Context(), "")
		assert.ErrorIs(t, err, sink.ErrClosed)
	}
	err = s.Put(t.Context(), "k", strings.NewReader("x"))
	assert.ErrorIs(t, err, sink.ErrClosed)
}

func TestMultiCancelledPutWithRetryingMembers(t *testing.T) {
	// A member waiting in Seek for the next pass returns when ctx ends.
	ctx, cancel := context.WithCancel(t.Context())
	f := sinktest.NewFaulty(mem.New(), 1)
	f.SetRates(1, 0, 0)
	slow := sink.WithRetry(f, sink.RetryOptions{Attempts: 100, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond})
	s := newMulti(t, []sink.Named{{Name: "plain", Sink: mem.New()}, {Name: "retry", Sink: slow}})
	src := &countingSeeker{Reader: bytes.NewReader(bytes.Repeat([]byte("x"), 1<<20))}
	go func() {
		for src.seeks.Load() < 3 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	err := s.Put(ctx, "k", src)
	require.Error(t, err)
	assert.ErrorIs(t, err, sinktest.ErrInjected, "the retry layer returns its last error")
	assert.Contains(t, err.Error(), `sink "retry": put k: `)
	assert.Equal(t, "x", getString(t, s, "k")[:1], "the plain member got the object")
}
