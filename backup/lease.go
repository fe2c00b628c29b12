package backup

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/dictdb/dictdb-go/catalog"
	"github.com/dictdb/dictdb-go/sink"
)

// LeaseKey is the object that holds the lease on a prefix: one writer at a
// time. It is not a backup object, nor under catalog.CommonPrefix, so
// restore, retention and the CLI never see it, and the Python DictDB
// ignores it.
const LeaseKey = "dictdb-lease.json"

// leaseRecord is the content of the lease object.
type leaseRecord struct {
	Writer   string    `json:"writer"`             // the holder's writer id
	Token    string    `json:"token"`              // new on every write: tells our write from another's
	Expires  time.Time `json:"expires"`            // the holder's clock
	Released bool      `json:"released,omitempty"` // given up by its holder
	Host     string    `json:"host,omitempty"`
	PID      int       `json:"pid,omitempty"`
}

// lease is a writer's hold on its prefix, kept with conditional writes:
// create-if-absent to take a free prefix, compare-and-swap to renew, take
// over an expired or released lease, and release. Every write carries a new
// token, so that after an ambiguous failure (a write that may have
// committed) reading the lease back says whose it is.
type lease struct {
	s      sink.Sink
	ttl    time.Duration
	writer string
	now    func() time.Time

	mu      sync.Mutex
	held    bool
	version sink.Version
	token   string
	expires time.Time // by our clock: when our hold ends unless renewed
	// tookOver says that the last acquire took the lease from another
	// writer that had not released it: that writer may still be writing,
	// so the new holder starts a chain of its own.
	tookOver bool
}

func newLease(s sink.Sink, ttl time.Duration, writer string, now func() time.Time) *lease {
	return &lease{s: s, ttl: ttl, writer: writer, now: now}
}

// errLeaseHeld builds the ErrOtherWriter of a lease another writer holds.
func errLeaseHeld(r leaseRecord) error {
	return fmt.Errorf("%w: writer %s (host %q, pid %d) holds the lease %s until %s; it is taken over once released or expired (give each database its own prefix)",
		ErrOtherWriter, r.Writer, r.Host, r.PID, LeaseKey, r.Expires.UTC().Format(time.RFC3339))
}

// read returns the lease record and its version; found is false when there
// is none.
func (l *lease) read(ctx context.Context) (r leaseRecord, v sink.Version, found bool, err error) {
	rc, v, err := sink.GetVersion(ctx, l.s, LeaseKey)
	if errors.Is(err, sink.ErrNotFound) {
		return r, "", false, nil
	}
	if err != nil {
		return r, "", false, fmt.Errorf("backup: read lease: %w", err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 64<<10))
	if err != nil {
		return r, "", false, fmt.Errorf("backup: read lease: %w", err)
	}
	if err := json.Unmarshal(b, &r); err != nil || r.Writer == "" {
		// Not a lease this project wrote: never take it over in silence.
		return r, "", false, fmt.Errorf("backup: %s is not a lease object (%d bytes): remove it if nothing else uses this prefix", LeaseKey, len(b))
	}
	return r, v, true, nil
}

// write stores a new lease record on cond and, on success, holds it.
func (l *lease) write(ctx context.Context, cond sink.Condition, released bool) error {
	sent := l.now()
	host, _ := os.Hostname()
	r := leaseRecord{Writer: l.writer, Token: catalog.NewID(), Expires: sent.Add(l.ttl), Released: released, Host: host, PID: os.Getpid()}
	if released {
		r.Expires = sent
	}
	b, _ := json.Marshal(r)
	v, err := sink.PutIf(ctx, l.s, LeaseKey, bytes.NewReader(b), cond)
	if err != nil {
		// The write may have committed all the same: read back whose it is.
		if got, gv, found, rerr := l.read(ctx); rerr == nil && found && got.Token == r.Token {
			v, err = gv, nil
		}
	}
	if err != nil {
		return err
	}
	l.version, l.token, l.expires, l.held = v, r.Token, r.Expires, !released
	return nil
}

// acquire takes the lease: creates it, renews our own, or takes over one
// that is released or expired. While another writer holds it, the error
// matches ErrOtherWriter. On a sink without conditional writes the error
// matches sink.ErrNotSupported.
func (l *lease) acquire(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	r, v, found, err := l.read(ctx)
	if err != nil {
		return err
	}
	if !found {
		l.tookOver = false
		return l.put(ctx, sink.Condition{IfAbsent: true})
	}
	if r.Writer != l.writer && !r.Released && l.now().Before(r.Expires) {
		return errLeaseHeld(r)
	}
	l.tookOver = r.Writer != l.writer && !r.Released
	return l.put(ctx, sink.Condition{IfMatch: v})
}

// put writes the lease on cond; losing the race to another writer is
// ErrOtherWriter.
func (l *lease) put(ctx context.Context, cond sink.Condition) error {
	err := l.write(ctx, cond, false)
	if errors.Is(err, sink.ErrPrecondition) {
		if r, _, found, rerr := l.read(ctx); rerr == nil && found {
			return errLeaseHeld(r)
		}
		return fmt.Errorf("%w: another writer wrote the lease %s first", ErrOtherWriter, LeaseKey)
	}
	if err != nil {
		return fmt.Errorf("backup: write lease: %w", err)
	}
	return nil
}

// renew extends our hold with a compare-and-swap on the version we wrote.
// If another writer wrote the lease since (it expired and was taken over),
// we are fenced: the error matches ErrOtherWriter, and we no longer hold
// it.
func (l *lease) renew(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.held {
		return fmt.Errorf("%w: this manager does not hold the lease %s", ErrOtherWriter, LeaseKey)
	}
	err := l.write(ctx, sink.Condition{IfMatch: l.version}, false)
	if errors.Is(err, sink.ErrPrecondition) {
		l.held = false
		r, _, found, rerr := l.read(ctx)
		if rerr == nil && found {
			return fmt.Errorf("%w: the lease expired and was taken over: %w", ErrOtherWriter, errLeaseHeld(r))
		}
		return fmt.Errorf("%w: the lease %s was taken over", ErrOtherWriter, LeaseKey)
	}
	if err != nil {
		return fmt.Errorf("backup: renew lease: %w", err)
	}
	return nil
}

// valid reports whether we hold the lease with at least margin left before
// it expires, by our clock: then a write needs no request first.
func (l *lease) valid(margin time.Duration) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.held && l.now().Add(margin).Before(l.expires)
}

// holding reports whether we hold the lease, valid or not.
func (l *lease) holding() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.held
}

// release gives the lease up, so that another writer may take it at once.
func (l *lease) release(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.held {
		return nil
	}
	l.held = false
	if err := l.write(ctx, sink.Condition{IfMatch: l.version}, true); err != nil && !errors.Is(err, sink.ErrPrecondition) {
		return fmt.Errorf("backup: release lease: %w", err)
	}
	return nil
}
