// Package crashtest proves that backups survive the backing-up process
// being killed at any moment. A child process runs a deterministic workload
// and takes incremental backups (or, in continuous mode, waits for its
// writes to be durable), logging the sequence number of every backup it was
// told succeeded; the parent kills it with SIGKILL at random moments and
// checks that Verify finds no problem and that the latest restore is
// exactly the workload's state at the last acknowledged sequence or a later
// one.
//
// A test package uses it with a TestMain that hands control to the child:
//
//	func TestMain(m *testing.M) {
//		crashtest.MaybeChild()
//		os.Exit(m.Run())
//	}
package crashtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/dictdb/dictdb-go/backup"
	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/dictdb/dictdbtest"
	"github.com/dictdb/dictdb-go/restore"
	"github.com/dictdb/dictdb-go/sink"
	_ "github.com/dictdb/dictdb-go/sink/all" // the child opens its sink by URL
)

// Workload is a deterministic stream of writes: for one seed, step i is
// always the same write, so the state at any sequence number can be
// rebuilt by replaying.
type Workload struct {
	rng  *rand.Rand
	db   *dictdb.DB
	step int
}

// NewWorkload returns the workload of seed on a fresh database.
func NewWorkload(seed uint64) (*Workload, error) {
	db := dictdb.New()
	if _, err := db.CreateTable("users", dictdb.WithSchema(dictdb.Schema{"id": dictdb.Int, "name": dictdb.String, "score": dictdb.Float, "tags": dictdb.List})); err != nil {
		return nil, err
	}
	if _, err := db.CreateTable("events"); err != nil {
		return nil, err
	}
	return &Workload{rng: rand.New(rand.NewPCG(seed, 0x5eed)), db: db}, nil
}

// DB returns the workload's database.
func (w *Workload) DB() *dictdb.DB { return w.db }

// Step makes one write (which commits one change set or, when it matches
// nothing, none).
func (w *Workload) Step() error {
	w.step++
	users, err := w.db.Table("users")
	if err != nil {
		return err
	}
	k := int64(w.rng.IntN(400))
	switch op := w.rng.IntN(100); {
	case op < 40:
		_, err = users.Upsert(dictdb.Record{"id": k, "name": fmt.Sprintf("user-%d-%d", k, w.step), "score": w.rng.Float64() * 100, "tags": []any{int64(w.step), "t"}})
	case op < 55:
		_, err = users.Update(func(r dictdb.Record) bool { return r["id"] == k }, dictdb.Record{"score": float64(w.step)})
	case op < 65:
		_, err = users.Delete(func(r dictdb.Record) bool { return r["id"] == k })
	case op < 97:
		var events *dictdb.Table
		if events, err = w.db.Table("events"); err == nil {
			_, err = events.Insert(dictdb.Record{"step": w.step, "kind": []string{"click", "view", "buy"}[w.rng.IntN(3)], "blob": fmt.Sprintf("%0200d", w.step)})
		}
	case op < 99:
		if _, terr := w.db.Table("tmp"); terr == nil {
			err = w.db.DropTable("tmp")
		} else {
			_, err = w.db.CreateTable("tmp", dictdb.WithPrimaryKey("k"))
		}
	default:
		err = w.db.DropTable("events")
		if err == nil {
			_, err = w.db.CreateTable("events")
		}
	}
	return err
}

// ReplayTo returns the state the workload of seed has at sequence number
// seq.
func ReplayTo(seed, seq uint64) (*dictdb.DB, error) {
	w, err := NewWorkload(seed)
	if err != nil {
		return nil, err
	}
	for w.db.Sequence() < seq {
		if err := w.Step(); err != nil {
			return nil, err
		}
	}
	if w.db.Sequence() != seq {
		return nil, fmt.Errorf("crashtest: replay passed sequence %d (at %d)", seq, w.db.Sequence())
	}
	return w.db, nil
}

const (
	envChild = "DICTDB_CRASHTEST_CHILD"
	envURL   = "DICTDB_CRASHTEST_URL"
	envSeed  = "DICTDB_CRASHTEST_SEED"
	envAck   = "DICTDB_CRASHTEST_ACK"
	envMode  = "DICTDB_CRASHTEST_CONTINUOUS"
)

// MaybeChild runs the child and exits if this process was started as one;
// otherwise it returns at once.
func MaybeChild() {
	if os.Getenv(envChild) != "1" {
		return
	}
	seed, err := strconv.ParseUint(os.Getenv(envSeed), 10, 64)
	if err == nil {
		if os.Getenv(envMode) == "1" {
			err = continuousChild(os.Getenv(envURL), seed, os.Getenv(envAck))
		} else {
			err = child(os.Getenv(envURL), seed, os.Getenv(envAck))
		}
	}
	fmt.Fprintln(os.Stderr, "crashtest child:", err)
	os.Exit(3)
}

// child runs the workload with incremental backups until it is killed,
// appending each acknowledged backup's sequence number to ackPath.
func child(url string, seed uint64, ackPath string) error {
	ctx := context.Background()
	s, err := sink.Open(ctx, url)
	if err != nil {
		return err
	}
	ack, err := os.OpenFile(ackPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	w, err := NewWorkload(seed)
	if err != nil {
		return err
	}
	m, err := backup.NewManager(w.DB(), s, backup.Options{Interval: -1, Incremental: true, MaxDeltasBeforeFull: 5})
	if err != nil {
		return err
	}
	for {
		for i := 0; i < 40; i++ {
			if err := w.Step(); err != nil {
				return err
			}
		}
		// The sequence number is read before the backup: the backup holds at
		// least this state, and nothing writes meanwhile.
		seq := w.DB().Sequence()
		if err := m.BackupNow(ctx); err != nil {
			return err
		}
		if _, err := fmt.Fprintf(ack, "%d\n", seq); err != nil {
			return err
		}
		if err := ack.Sync(); err != nil {
			return err
		}
	}
}

// continuousChild runs the workload in continuous mode (MaxLag): every few
// writes it waits until they are durable, and appends the sequence number
// it waited for to ackPath once WaitDurable returned.
func continuousChild(url string, seed uint64, ackPath string) error {
	ctx := context.Background()
	s, err := sink.Open(ctx, url)
	if err != nil {
		return err
	}
	ack, err := os.OpenFile(ackPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	w, err := NewWorkload(seed)
	if err != nil {
		return err
	}
	m, err := backup.NewManager(w.DB(), s, backup.Options{Interval: -1, MaxLag: 5 * time.Millisecond, MaxDeltasBeforeFull: 20})
	if err != nil {
		return err
	}
	if err := m.Start(); err != nil {
		return err
	}
	for {
		for i := 0; i < 10; i++ {
			if err := w.Step(); err != nil {
				return err
			}
		}
		seq := w.DB().Sequence()
		if err := m.WaitDurable(ctx, seq); err != nil {
			return err
		}
		if _, err := fmt.Fprintf(ack, "%d\n", seq); err != nil {
			return err
		}
		if err := ack.Sync(); err != nil {
			return err
		}
	}
}

// Options configure Run.
type Options struct {
	// Kills is the number of child processes started and killed.
	Kills int
	// URL returns the sink URL for round i; each round needs an empty sink.
	URL func(t *testing.T, i int) string
	// MaxRun is the longest a child runs before it is killed (default 400 ms).
	MaxRun time.Duration
	// Continuous runs the child in continuous mode (Options.MaxLag), with
	// the writes it waited for (WaitDurable) as the acknowledged ones.
	Continuous bool
}

// Run starts the current test binary as a child Kills times, kills each at
// a random moment, and checks the backups it left.
func Run(t *testing.T, o Options) {
	t.Helper()
	if o.MaxRun == 0 {
		o.MaxRun = 400 * time.Millisecond
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	acked, restored := 0, 0
	for i := 0; i < o.Kills; i++ {
		seed := rng.Uint64()
		url := o.URL(t, i)
		ackPath := filepath.Join(t.TempDir(), "acks")
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), envChild+"=1", envURL+"="+url, envSeed+"="+strconv.FormatUint(seed, 10), envAck+"="+ackPath)
		if o.Continuous {
			cmd.Env = append(cmd.Env, envMode+"=1")
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.Int64N(int64(o.MaxRun))) + 20*time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ProcessState.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("round %d: the child did not die of SIGKILL: %v", i, err)
		}
		last, n := lastAck(t, ackPath)
		if n > 0 {
			acked++
		}
		if check(t, i, url, seed, last, n > 0) {
			restored++
		}
	}
	t.Logf("%d kills; %d after at least one acknowledged backup; %d restores checked against a replay", o.Kills, acked, restored)
	if o.Kills >= 10 && acked == 0 {
		t.Fatalf("no child acknowledged a backup before it was killed: the test proves nothing (raise MaxRun)")
	}
}

// lastAck returns the last complete line of the ack file and the count.
func lastAck(t *testing.T, path string) (uint64, int) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, 0
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var last uint64
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		v, err := strconv.ParseUint(sc.Text(), 10, 64)
		if err != nil {
			break // a line cut by the kill
		}
		last, n = v, n+1
	}
	return last, n
}

// check verifies the sink after round i and reports whether a restore was
// compared.
func check(t *testing.T, i int, url string, seed, lastAck uint64, hasAck bool) bool {
	t.Helper()
	ctx := context.Background()
	s, err := sink.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	report, err := restore.Verify(ctx, s)
	if err != nil {
		t.Fatalf("round %d: verify: %v", i, err)
	}
	if !report.OK() {
		t.Fatalf("round %d: verify found problems after a kill: %v", i, report.Err())
	}
	db, err := restore.Latest(ctx, s)
	if errors.Is(err, restore.ErrNoBackup) && !hasAck {
		return false // killed before the first backup completed
	}
	if err != nil {
		t.Fatalf("round %d: restore after a kill (last acknowledged sequence %d): %v", i, lastAck, err)
	}
	if db.Sequence() < lastAck {
		t.Fatalf("round %d: restore is at sequence %d, before the acknowledged %d", i, db.Sequence(), lastAck)
	}
	want, err := ReplayTo(seed, db.Sequence())
	if err != nil {
		t.Fatalf("round %d: %v", i, err)
	}
	if err := dictdbtest.Diff(want, db); err != nil {
		t.Fatalf("round %d: restore at sequence %d differs from the workload's state: %v", i, db.Sequence(), err)
	}
	return true
}
