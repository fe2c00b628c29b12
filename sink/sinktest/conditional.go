package sinktest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/sink"
)

// RunConditional runs the conformance suite of sink.ConditionalSink: the
// create-if-absent and compare-and-swap writes a lease is built on. Every
// sink of this module passes it; newSink is as for Run.
//
// Every write of the suite stores content no other write of its test
// stores: on S3 a version is the ETag, a hash of the content, which the
// same bytes written again would repeat.
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
		{"FailingSwapKeepsVersion", testFailingSwapKeepsVersion},
		{"CancelledSwapKeepsVersion", testCancelledSwap},
		{"NestedKeyAndEmptyObject", testNestedKeyAndEmptyObject},
		{"DeleteThenCreate", testDeleteThenCreate},
		{"CounterIncrements", testCounterIncrements},
		{"VersionsNameOneContent", testVersionsNameOneContent},
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

// A swap whose reader fails stores nothing: the object and its version
// stay, and the swap can be made again.
func testFailingSwapKeepsVersion(t *testing.T, s sink.Sink) {
	v1, err := putIf(t, s, "lease", "one", sink.Condition{IfAbsent: true})
	require.NoError(t, err)
	boom := fmt.Errorf("reader broke")
	r := io.MultiReader(bytes.NewReader(bytes.Repeat([]byte("y"), 1000)), errReader{boom})
	_, err = sink.PutIf(t.Context(), s, "lease", r, sink.Condition{IfMatch: v1})
	require.Error(t, err)
	assert.NotErrorIs(t, err, sink.ErrPrecondition, "the reader failed, not the condition")
	body, v := getVersion(t, s, "lease")
	assert.Equal(t, "one", body)
	assert.Equal(t, v1, v, "the version is unchanged")
	_, err = putIf(t, s, "lease", "two", sink.Condition{IfMatch: v1})
	require.NoError(t, err)
}

// A swap whose context is cancelled while it streams stores nothing.
func testCancelledSwap(t *testing.T, s sink.Sink) {
	v1, err := putIf(t, s, "lease", "one", sink.Condition{IfAbsent: true})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	_, err = sink.PutIf(ctx, s, "lease", &cancellingReader{limit: 64 << 10, extra: mib, cancel: cancel}, sink.Condition{IfMatch: v1})
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
	body, v := getVersion(t, s, "lease")
	assert.Equal(t, "one", body)
	assert.Equal(t, v1, v)

	ctx, cancel = context.WithCancel(t.Context())
	defer cancel()
	_, err = sink.PutIf(ctx, s, "new", &cancellingReader{limit: 64 << 10, extra: mib, cancel: cancel}, sink.Condition{IfAbsent: true})
	require.Error(t, err)
	requireNotFound(t, s, "new")
}

// Conditional writes work on keys with slashes and on empty objects, and a
// version stays the same while nothing writes.
func testNestedKeyAndEmptyObject(t *testing.T, s sink.Sink) {
	const key = "a/b/lease"
	v1, err := putIf(t, s, key, "", sink.Condition{IfAbsent: true})
	require.NoError(t, err)
	require.NotEmpty(t, v1)
	body, v := getVersion(t, s, key)
	assert.Empty(t, body)
	assert.Equal(t, v1, v)
	_, v = getVersion(t, s, key)
	assert.Equal(t, v1, v, "reading does not change the version")
	assert.Equal(t, []string{key}, listKeys(t, s, ""), "a conditional write is an object like any other")

	v2, err := putIf(t, s, key, "full", sink.Condition{IfMatch: v1})
	require.NoError(t, err)
	v3, err := putIf(t, s, key, "", sink.Condition{IfMatch: v2})
	require.NoError(t, err)
	body, v = getVersion(t, s, key)
	assert.Empty(t, body)
	assert.Equal(t, v3, v)
	assert.Equal(t, "", string(getBytes(t, s, key)), "Get reads what GetVersion reads")
}

// Deleting an object makes its key absent again; a swap of the deleted
// version fails.
func testDeleteThenCreate(t *testing.T, s sink.Sink) {
	v1, err := putIf(t, s, "lease", "first owner", sink.Condition{IfAbsent: true})
	require.NoError(t, err)
	require.NoError(t, s.Delete(t.Context(), "lease"))
	_, _, err = sink.GetVersion(t.Context(), s, "lease")
	require.ErrorIs(t, err, sink.ErrNotFound)
	_, err = putIf(t, s, "lease", "stale", sink.Condition{IfMatch: v1})
	require.ErrorIs(t, err, sink.ErrPrecondition, "the deleted version is gone")
	requireNotFound(t, s, "lease")
	v2, err := putIf(t, s, "lease", "second owner", sink.Condition{IfAbsent: true})
	require.NoError(t, err)
	body, v := getVersion(t, s, "lease")
	assert.Equal(t, "second owner", body)
	assert.Equal(t, v2, v)
}

// Writers that each add one to a counter with read, then compare-and-swap,
// then again on a failed condition, lose no increment.
func testCounterIncrements(t *testing.T, s sink.Sink) {
	const writers, each, maxTries = 4, 5, 400
	_, err := putIf(t, s, "counter", "0", sink.Condition{IfAbsent: true})
	require.NoError(t, err)
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for w := range writers {
		wg.Go(func() {
			errs[w] = func() error {
				done := 0
				for try := 0; done < each; try++ {
					if try == maxTries {
						return fmt.Errorf("writer %d: %d increments after %d tries", w, done, try)
					}
					n, v, err := readCounter(t.Context(), s)
					if err != nil {
						return err
					}
					// The content names the writer: no two writes store the same bytes.
					body := fmt.Sprintf("%d %d", n+1, w)
					_, err = sink.PutIf(t.Context(), s, "counter", bytes.NewReader([]byte(body)), sink.Condition{IfMatch: v})
					switch {
					case err == nil:
						done++
					case !errors.Is(err, sink.ErrPrecondition):
						return fmt.Errorf("writer %d: %w", w, err)
					}
				}
				return nil
			}()
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	n, _, err := readCounter(t.Context(), s)
	require.NoError(t, err)
	assert.Equal(t, writers*each, n, "every successful swap counted once")
}

// readCounter reads the number at the start of the object "counter".
func readCounter(ctx context.Context, s sink.Sink) (int, sink.Version, error) {
	rc, v, err := sink.GetVersion(ctx, s, "counter")
	if err != nil {
		return 0, "", err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return 0, "", err
	}
	num, _, _ := bytes.Cut(b, []byte(" "))
	n, err := strconv.Atoi(string(num))
	return n, v, err
}

// Under swaps racing plain Puts of the same size, a version always names
// the same content: what PutIf returned and what GetVersion read agree, and
// no version comes back for different bytes.
func testVersionsNameOneContent(t *testing.T, s sink.Sink) {
	const swappers, rounds, puts = 3, 8, 8
	_, err := putIf(t, s, "obj", fmt.Sprintf("%-12s", "start"), sink.Condition{IfAbsent: true})
	require.NoError(t, err)
	var mu sync.Mutex
	seen := map[sink.Version]string{}
	var conflicts []string
	record := func(v sink.Version, body string) {
		mu.Lock()
		defer mu.Unlock()
		if old, ok := seen[v]; ok && old != body {
			conflicts = append(conflicts, fmt.Sprintf("version %q: %q and %q", v, old, body))
		}
		seen[v] = body
	}
	var wg sync.WaitGroup
	errs := make([]error, swappers+1)
	for w := range swappers {
		wg.Go(func() {
			for i := range rounds {
				rc, v, err := sink.GetVersion(t.Context(), s, "obj")
				if err != nil {
					errs[w] = err
					return
				}
				b, err := io.ReadAll(rc)
				rc.Close()
				if err != nil {
					errs[w] = err
					return
				}
				record(v, string(b))
				body := fmt.Sprintf("%-12s", fmt.Sprintf("swap %d.%d", w, i))
				nv, err := sink.PutIf(t.Context(), s, "obj", bytes.NewReader([]byte(body)), sink.Condition{IfMatch: v})
				switch {
				case err == nil:
					record(nv, body)
				case !errors.Is(err, sink.ErrPrecondition):
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Go(func() {
		for i := range puts {
			body := fmt.Sprintf("%-12s", fmt.Sprintf("plain %d", i))
			if err := s.Put(t.Context(), "obj", bytes.NewReader([]byte(body))); err != nil {
				errs[swappers] = err
				return
			}
		}
	})
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	body, v := getVersion(t, s, "obj")
	record(v, body)
	assert.Empty(t, conflicts, "one version, two contents")
}
