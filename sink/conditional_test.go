package sink_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/sink"
	"github.com/dictdb/dictdb-go/sink/local"
	"github.com/dictdb/dictdb-go/sink/mem"
	"github.com/dictdb/dictdb-go/sink/sinktest"
)

// plain hides the capability of the sink inside: only sink.Sink's methods.
type plain struct{ sink.Sink }

func readVersion(t *testing.T, s sink.Sink, key string) (string, sink.Version) {
	t.Helper()
	rc, v, err := sink.GetVersion(t.Context(), s, key)
	require.NoError(t, err)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	return string(b), v
}

func TestPackageFuncsWithoutTheCapability(t *testing.T) {
	ctx := t.Context()
	s := plain{mem.New()}
	_, err := sink.PutIf(ctx, s, "k", strings.NewReader("x"), sink.Condition{IfAbsent: true})
	assert.ErrorIs(t, err, sink.ErrNotSupported)
	_, _, err = sink.GetVersion(ctx, s, "k")
	assert.ErrorIs(t, err, sink.ErrNotSupported)
	assert.False(t, sink.Transient(err), "a missing capability stays missing")
	assert.False(t, sink.Transient(sink.ErrPrecondition))

	_, err = sink.PutIf(ctx, mem.New(), "k", strings.NewReader("x"), sink.Condition{})
	assert.Error(t, err, "a condition is needed")
	_, err = mem.New().PutIf(ctx, "k", strings.NewReader("x"), sink.Condition{})
	assert.Error(t, err, "the method checks it too")
	assert.NoError(t, sink.Condition{IfMatch: "1"}.Validate())
}

func TestRetryConditional(t *testing.T) {
	sinktest.RunConditional(t, func(t *testing.T) sink.Sink { return sink.WithRetry(mem.New(), fast) })
	sinktest.RunConditional(t, func(t *testing.T) sink.Sink {
		return sink.WithRetry(sinktest.NewFaulty(mem.New(), 1), fast)
	})
}

func TestRetryPutIfRetriesTransientFailures(t *testing.T) {
	ctx := t.Context()
	f := sinktest.NewFaulty(mem.New(), 1)
	s := sink.WithRetry(f, fast)
	f.FailNextPutIfs(2)
	v, err := sink.PutIf(ctx, s, "lease", strings.NewReader("mine"), sink.Condition{IfAbsent: true})
	require.NoError(t, err, "two failures, then success")
	assert.Equal(t, int64(3), f.PutIfs.Load())
	body, got := readVersion(t, f.Inner, "lease")
	assert.Equal(t, "mine", body, "each retry re-reads the input from its start")
	assert.Equal(t, v, got)

	f.FailNextPutIfs(1)
	_, err = sink.PutIf(ctx, s, "lease", struct{ io.Reader }{strings.NewReader("spent")}, sink.Condition{IfMatch: v})
	assert.ErrorIs(t, err, sinktest.ErrInjected, "a spent stream cannot be sent again")
	assert.Equal(t, int64(4), f.PutIfs.Load())

	_, err = sink.PutIf(ctx, s, "lease", strings.NewReader("again"), sink.Condition{IfAbsent: true})
	assert.ErrorIs(t, err, sink.ErrPrecondition)
	assert.Equal(t, int64(5), f.PutIfs.Load(), "a failed condition is not retried")
}

// A retry after an attempt that stored the object but failed to say so
// finds the condition false: WithRetry reports ErrPrecondition, and the
// caller tells its own object by reading it back.
func TestRetryPutIfAfterAmbiguousFailure(t *testing.T) {
	ctx := t.Context()
	f := sinktest.NewFaulty(mem.New(), 1)
	s := sink.WithRetry(f, fast)
	f.StoreThenFailNextPutIfs(1)
	_, err := sink.PutIf(ctx, s, "lease", strings.NewReader("owner 42"), sink.Condition{IfAbsent: true})
	require.ErrorIs(t, err, sink.ErrPrecondition)
	assert.Equal(t, int64(2), f.PutIfs.Load())
	body, _ := readVersion(t, s, "lease")
	assert.Equal(t, "owner 42", body, "the first attempt stored it")
}

// flakyVersions fails the first n GetVersions with a transient error.
type flakyVersions struct {
	sink.ConditionalSink
	n, calls atomic.Int64
}

func (f *flakyVersions) GetVersion(ctx context.Context, key string) (io.ReadCloser, sink.Version, error) {
	if f.calls.Add(1) <= f.n.Load() {
		return nil, "", transientErr{}
	}
	return f.ConditionalSink.GetVersion(ctx, key)
}

func TestRetryGetVersion(t *testing.T) {
	ctx := t.Context()
	m := mem.New()
	v, err := m.PutIf(ctx, "k", strings.NewReader("x"), sink.Condition{IfAbsent: true})
	require.NoError(t, err)
	f := &flakyVersions{ConditionalSink: m}
	f.n.Store(2)
	s := sink.WithRetry(f, fast)
	body, got := readVersion(t, s, "k")
	assert.Equal(t, "x", body)
	assert.Equal(t, v, got)
	assert.Equal(t, int64(3), f.calls.Load())

	f.calls.Store(0)
	f.n.Store(0)
	_, _, err = sink.GetVersion(ctx, s, "missing")
	assert.ErrorIs(t, err, sink.ErrNotFound)
	assert.Equal(t, int64(1), f.calls.Load(), "not found is permanent")
}

func TestRetryWithoutTheCapability(t *testing.T) {
	ctx := t.Context()
	f := newFlaky(0, transientErr{})
	s := sink.WithRetry(plain{f}, fast)
	_, err := sink.PutIf(ctx, s, "k", strings.NewReader("x"), sink.Condition{IfAbsent: true})
	assert.ErrorIs(t, err, sink.ErrNotSupported)
	_, _, err = sink.GetVersion(ctx, s, "k")
	assert.ErrorIs(t, err, sink.ErrNotSupported)
	assert.Equal(t, int64(0), f.calls.Load(), "nothing reached the sink")
}

func TestMultiConditional(t *testing.T) {
	t.Run("TwoMem", func(t *testing.T) {
		sinktest.RunConditional(t, func(t *testing.T) sink.Sink {
			return newMulti(t, []sink.Named{{Name: "a", Sink: mem.New()}, {Name: "b", Sink: mem.New()}})
		})
	})
	t.Run("LocalPrimaryRetryingMembers", func(t *testing.T) {
		sinktest.RunConditional(t, func(t *testing.T) sink.Sink {
			l, err := local.New(t.TempDir())
			require.NoError(t, err)
			return newMulti(t, []sink.Named{
				{Sink: sink.WithRetry(l, fast)},
				{Sink: sink.WithRetry(mem.New(), fast)},
				{Sink: mem.New()},
			}, sink.Quorum(2))
		})
	})
}

func TestMultiConditionalGoesToThePrimary(t *testing.T) {
	ctx := t.Context()
	a, b := mem.New(), mem.New()
	s := newMulti(t, []sink.Named{{Name: "a", Sink: a}, {Name: "b", Sink: b}})
	v, err := sink.PutIf(ctx, s, "lease", strings.NewReader("held"), sink.Condition{IfAbsent: true})
	require.NoError(t, err)
	_, av := readVersion(t, a, "lease")
	assert.Equal(t, v, av, "the primary's version")
	_, err = b.Get(ctx, "lease")
	assert.ErrorIs(t, err, sink.ErrNotFound, "not copied to the other members")
	body, mv := readVersion(t, s, "lease")
	assert.Equal(t, "held", body)
	assert.Equal(t, v, mv)
	assert.Equal(t, "held", getString(t, s, "lease"), "Get finds it on the primary")

	// A version the other member holds the same key at means nothing.
	_, err = b.PutIf(ctx, "other", strings.NewReader("b's"), sink.Condition{IfAbsent: true})
	require.NoError(t, err)
	_, bv := readVersion(t, b, "other")
	_, _, err = sink.GetVersion(ctx, s, "other")
	assert.ErrorIs(t, err, sink.ErrNotFound, "GetVersion reads the primary alone")
	_, err = sink.PutIf(ctx, s, "other", strings.NewReader("swap"), sink.Condition{IfMatch: bv})
	assert.ErrorIs(t, err, sink.ErrPrecondition)

	require.NoError(t, s.Put(ctx, "lease", bytes.NewReader([]byte("plain"))))
	assert.Equal(t, "plain", getString(t, b, "lease"), "plain writes still fan out")
	_, err = sink.PutIf(ctx, s, "lease", strings.NewReader("stale"), sink.Condition{IfMatch: v})
	assert.ErrorIs(t, err, sink.ErrPrecondition, "the plain Put changed the primary's version")
}

func TestMultiConditionalErrors(t *testing.T) {
	ctx := t.Context()
	t.Run("PrimaryWithoutTheCapability", func(t *testing.T) {
		s := newMulti(t, []sink.Named{{Name: "a", Sink: plain{mem.New()}}, {Name: "b", Sink: mem.New()}})
		_, err := sink.PutIf(ctx, s, "k", strings.NewReader("x"), sink.Condition{IfAbsent: true})
		assert.ErrorIs(t, err, sink.ErrNotSupported, "no failover to a member that can")
		_, _, err = sink.GetVersion(ctx, s, "k")
		assert.ErrorIs(t, err, sink.ErrNotSupported)
	})
	t.Run("FailingPrimary", func(t *testing.T) {
		f := sinktest.NewFaulty(mem.New(), 1)
		s := newMulti(t, []sink.Named{{Name: "a", Sink: f}, {Name: "b", Sink: mem.New()}}, sink.Quorum(1))
		f.FailNextPutIfs(1)
		_, err := sink.PutIf(ctx, s, "k", strings.NewReader("x"), sink.Condition{IfAbsent: true})
		require.ErrorIs(t, err, sinktest.ErrInjected, "Quorum does not apply")
		var me *sink.MemberError
		require.True(t, errors.As(err, &me))
		assert.Equal(t, "a", me.Sink)
		assert.Equal(t, "put_if", me.Op)
		assert.Equal(t, `sink/multi: put k on the primary: sink "a": put_if k: sinktest: put k: sinktest: injected fault`, err.Error())
	})
	t.Run("InvalidKey", func(t *testing.T) {
		s := newMulti(t, []sink.Named{{Sink: mem.New()}})
		_, err := sink.PutIf(ctx, s, "../k", strings.NewReader("x"), sink.Condition{IfAbsent: true})
		assert.ErrorIs(t, err, sink.ErrInvalidKey)
		_, _, err = sink.GetVersion(ctx, s, "../k")
		assert.ErrorIs(t, err, sink.ErrInvalidKey)
	})
}
