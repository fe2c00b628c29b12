//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package local_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/sink"
	"github.com/dictdb/dictdb-go/sink/local"
	"github.com/dictdb/dictdb-go/sink/sinktest"
)

const (
	envCASChild     = "DICTDB_LOCAL_CAS_CHILD" // the directory a child works in
	envCASID        = "DICTDB_LOCAL_CAS_ID"
	envCASLockFiles = "DICTDB_LOCAL_CAS_LOCK_FILES" // "1": lock files, not directories
	casEach         = 25                            // increments per process
)

// TestMain lets the test binary run as a child of TestCrossProcessSwaps.
func TestMain(m *testing.M) {
	if dir := os.Getenv(envCASChild); dir != "" {
		if os.Getenv(envCASLockFiles) == "1" {
			local.UseLockFiles()
		}
		if err := casChild(dir, os.Getenv(envCASID)); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// casChild opens the directory, says it is ready, waits for its standard
// input to close, then races the others: see casWork.
func casChild(dir, id string) error {
	s, err := local.New(dir)
	if err != nil {
		return err
	}
	fmt.Println("ready")
	if _, err := io.Copy(io.Discard, os.Stdin); err != nil {
		return err
	}
	won, err := casWork(context.Background(), s, id)
	if err != nil {
		return err
	}
	fmt.Println("created", won)
	return nil
}

// casWork adds casEach to the number in "counter", one compare-and-swap at
// a time, and tries to create "created", reporting whether it did.
func casWork(ctx context.Context, s sink.Sink, id string) (bool, error) {
	for done := 0; done < casEach; {
		rc, v, err := sink.GetVersion(ctx, s, "counter")
		if err != nil {
			return false, err
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return false, err
		}
		num, _, _ := strings.Cut(string(b), " ")
		n, err := strconv.Atoi(num)
		if err != nil {
			return false, err
		}
		_, err = sink.PutIf(ctx, s, "counter", strings.NewReader(fmt.Sprintf("%d %s", n+1, id)), sink.Condition{IfMatch: v})
		switch {
		case err == nil:
			done++
		case !errors.Is(err, sink.ErrPrecondition):
			return false, err
		}
	}
	_, err := sink.PutIf(ctx, s, "created", strings.NewReader(id), sink.Condition{IfAbsent: true})
	if errors.Is(err, sink.ErrPrecondition) {
		return false, nil
	}
	return err == nil, err
}

// Processes racing compare-and-swaps on one directory, and goroutines of
// this one with them, lose no increment, and exactly one creates an object:
// with directories locked, and with lock files, as on NFS.
func TestCrossProcessSwaps(t *testing.T) {
	t.Run("DirectoryLocks", func(t *testing.T) { crossProcessSwaps(t, false) })
	t.Run("LockFiles", func(t *testing.T) {
		restore := local.UseLockFiles()
		defer restore()
		crossProcessSwaps(t, true)
	})
}

func crossProcessSwaps(t *testing.T, lockFiles bool) {
	const children = 3
	dir := t.TempDir()
	s := newSink(t, dir)
	_, err := sink.PutIf(t.Context(), s, "counter", strings.NewReader("0"), sink.Condition{IfAbsent: true})
	require.NoError(t, err)

	type child struct {
		cmd    *exec.Cmd
		stdin  io.WriteCloser
		out    *bufio.Reader
		stderr bytes.Buffer
	}
	kids := make([]*child, children)
	for i := range kids {
		c := &child{cmd: exec.Command(os.Args[0])}
		c.cmd.Env = append(os.Environ(), envCASChild+"="+dir, envCASID+"=child-"+strconv.Itoa(i))
		if lockFiles {
			c.cmd.Env = append(c.cmd.Env, envCASLockFiles+"=1")
		}
		c.cmd.Stderr = &c.stderr
		c.stdin, err = c.cmd.StdinPipe()
		require.NoError(t, err)
		stdout, err := c.cmd.StdoutPipe()
		require.NoError(t, err)
		c.out = bufio.NewReader(stdout)
		require.NoError(t, c.cmd.Start())
		t.Cleanup(func() { _ = c.cmd.Process.Kill(); _ = c.cmd.Wait() })
		kids[i] = c
	}
	// Each child has run New, whose clean-up would remove another's
	// temporary file, before any of them writes.
	for i, c := range kids {
		line, err := c.out.ReadString('\n')
		if err != nil {
			_ = c.cmd.Wait() // the child's standard error is complete once it has exited
			t.Fatalf("child %d: %v: %s", i, err, c.stderr.String())
		}
		require.Equal(t, "ready\n", line)
	}
	for _, c := range kids {
		require.NoError(t, c.stdin.Close())
	}
	var won []string
	local1, local2 := make(chan error, 1), make(chan error, 1)
	results := map[string]chan error{"parent-a": local1, "parent-b": local2}
	wins := make(chan string, 2)
	for id, ch := range results {
		go func() {
			w, err := casWork(t.Context(), s, id)
			if w {
				wins <- id
			}
			ch <- err
		}()
	}
	for i, c := range kids {
		rest, err := io.ReadAll(c.out)
		require.NoError(t, err)
		if err := c.cmd.Wait(); err != nil {
			t.Fatalf("child %d: %v: %s", i, err, c.stderr.String())
		}
		switch strings.TrimSpace(string(rest)) {
		case "created true":
			won = append(won, "child-"+strconv.Itoa(i))
		case "created false":
		default:
			t.Fatalf("child %d said %q", i, rest)
		}
	}
	require.NoError(t, <-local1)
	require.NoError(t, <-local2)
	close(wins)
	for id := range wins {
		won = append(won, id)
	}

	rc, _, err := sink.GetVersion(t.Context(), s, "counter")
	require.NoError(t, err)
	b, err := io.ReadAll(rc)
	require.NoError(t, rc.Close())
	require.NoError(t, err)
	num, _, _ := strings.Cut(string(b), " ")
	assert.Equal(t, strconv.Itoa((children+2)*casEach), num, "every increment of every process counted once")
	require.Len(t, won, 1, "exactly one creator wins")
	assert.Equal(t, won[0], string(getBytes(t, s, "created")))
	assert.Equal(t, []string{"counter", "created"}, listKeys(t, s, ""), "a lock file is not an object")
	_, err = os.Stat(filepath.Join(dir, local.LockName))
	if lockFiles {
		assert.NoError(t, err, "the lock file, which New left in place")
	} else {
		assert.ErrorIs(t, err, os.ErrNotExist, "no lock file where directories lock")
	}
}

func TestConditionalConformance(t *testing.T) {
	sinktest.RunConditional(t, newConformingSink)
}

// The conditional conformance suite, with writers locking lock files, as
// where directories cannot be locked.
func TestConditionalWithLockFiles(t *testing.T) {
	restore := local.UseLockFiles()
	defer restore()
	sinktest.RunConditional(t, func(t *testing.T) sink.Sink { return newSink(t, t.TempDir()) })
}
