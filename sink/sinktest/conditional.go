package sinktest

import (
	"bytes"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/sink"
)

// RunConditional runs the conformance suite of sink.ConditionalSink: the
// create-if-absent and compare-and-swap writes a lease is built on. Every
// sink of this module passes it; newSink is as for Run.
func RunConditional(t *testing.T, newSink func(t *testing.T) sink.Sink) {
	t.Helper()
	cases := []struct {
		name string
		fn   func(t *testing.T, s sink.Sink)
	}{
		{"CreateThenSwap", testCreateThenSwap},
		{"RacingCreators", testRacingCreators},
		{"RacingSwaps", testRacingSwaps},
		{"PlainPutChangesVersion", testPlainPutChangesVersion},
		{"FailingReaderStoresNothing", testConditionalFailingReader},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newSink(t)
			require.NotNil(t, s, "newSink returned nil")
			_, ok := s.(sink.ConditionalSink)
			require.True(t, ok, "%T does not implement sink.ConditionalSink", s)
			c.fn(t, s)
		})
	}
}

func putIf(t *testing.T, s sink.Sink, key, body string, cond sink.Condition) (sink.Version, error) {
	t.Helper()
	return sink.PutIf(t.Context(), s, key, bytes.NewReader([]byte(body)), cond)
}

// getVersion returns the content and version of key.
func getVersion(t *testing.T, s sink.Sink, key string) (string, sink.Version) {
	t.Helper()
	rc, v, err := sink.GetVersion(t.Context(), s, key)
	require.NoError(t, err)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NotEmpty(t, v, "a version")
	return string(b), v
}

func testCreateThenSwap(t *testing.T, s sink.Sink) {
	ctx := t.Context()
	_, _, err := sink.GetVersion(ctx, s, "lease")
	require.ErrorIs(t, err, sink.ErrNotFound)
	_, err = putIf(t, s, "lease", "x", sink.Condition{IfMatch: "1"})
	require.ErrorIs(t, err, sink.ErrPrecondition, "a swap of a missing object fails")

	v1, err := putIf(t, s, "lease", "one", sink.Condition{IfAbsent: true})
	require.NoError(t, err)
	body, v := getVersion(t, s, "lease")
	assert.Equal(t, "one", body)
	assert.Equal(t, v1, v, "GetVersion reads the version PutIf returned")

	_, err = putIf(t, s, "lease", "again", sink.Condition{IfAbsent: true})
	require.ErrorIs(t, err, sink.ErrPrecondition, "create-if-absent fails when it exists")
	body, _ = getVersion(t, s, "lease")
	assert.Equal(t, "one", body, "a failed condition stores nothing")

	v2, err := putIf(t, s, "lease", "two", sink.Condition{IfMatch: v1})
	require.NoError(t, err)
	assert.NotEqual(t, v1, v2)
	body, v = getVersion(t, s, "lease")
	assert.Equal(t, "two", body)
	assert.Equal(t, v2, v)

	_, err = putIf(t, s, "lease", "stale", sink.Condition{IfMatch: v1})
	require.ErrorIs(t, err, sink.ErrPrecondition, "a stale swap fails")
	body, _ = getVersion(t, s, "lease")
	assert.Equal(t, "two", body)

	_, err = putIf(t, s, "lease", "both", sink.Condition{IfAbsent: true, IfMatch: v2})
	require.Error(t, err, "a condition is one or the other")
	_, err = putIf(t, s, "lease", "neither", sink.Condition{})
	require.Error(t, err)
}

func testRacingCreators(t *testing.T, s sink.Sink) {
	const n = 8
	var wg sync.WaitGroup
	results := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, results[i] = putIf(t, s, "race", fmt.Sprint("writer ", i), sink.Condition{IfAbsent: true})
		}()
	}
	wg.Wait()
	winner := -1
	for i, err := range results {
		if err == nil {
			require.Equal(t, -1, winner, "two creators won: %d and %d", winner, i)
			winner = i
			continue
		}
		require.ErrorIs(t, err, sink.ErrPrecondition, "creator %d", i)
	}
	require.NotEqual(t, -1, winner, "one creator wins")
	body, _ := getVersion(t, s, "race")
	assert.Equal(t, fmt.Sprint("writer ", winner), body, "the winner's object is stored")
}

func testRacingSwaps(t *testing.T, s sink.Sink) {
	v0, err := putIf(t, s, "swap", "start", sink.Condition{IfAbsent: true})
	require.NoError(t, err)
	const n = 8
	var wg sync.WaitGroup
	results := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, results[i] = putIf(t, s, "swap", fmt.Sprint("writer ", i), sink.Condition{IfMatch: v0})
		}()
	}
	wg.Wait()
	winner := -1
	for i, err := range results {
		if err == nil {
			require.Equal(t, -1, winner, "two swaps of one version won: %d and %d", winner, i)
			winner = i
			continue
		}
		require.ErrorIs(t, err, sink.ErrPrecondition, "swap %d", i)
	}
	require.NotEqual(t, -1, winner, "one swap wins")
	body, _ := getVersion(t, s, "swap")
	assert.Equal(t, fmt.Sprint("writer ", winner), body)
}

func testPlainPutChangesVersion(t *testing.T, s sink.Sink) {
	v1, err := putIf(t, s, "obj", "one", sink.Condition{IfAbsent: true})
	require.NoError(t, err)
	putBytes(t, s, "obj", []byte("plain"))
	_, err = putIf(t, s, "obj", "swap", sink.Condition{IfMatch: v1})
	require.ErrorIs(t, err, sink.ErrPrecondition, "a plain Put between makes the version stale")
	body, v2 := getVersion(t, s, "obj")
	assert.Equal(t, "plain", body)
	_, err = putIf(t, s, "obj", "swap", sink.Condition{IfMatch: v2})
	require.NoError(t, err)
}

func testConditionalFailingReader(t *testing.T, s sink.Sink) {
	boom := fmt.Errorf("reader broke")
	r := io.MultiReader(bytes.NewReader(bytes.Repeat([]byte("x"), 1000)), errReader{boom})
	_, err := sink.PutIf(t.Context(), s, "half", r, sink.Condition{IfAbsent: true})
	require.Error(t, err)
	requireNotFound(t, s, "half")
	_, err = putIf(t, s, "half", "whole", sink.Condition{IfAbsent: true})
	require.NoError(t, err, "nothing was stored, so the key is still absent")
}
