package sinktest

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dictdb/dictdb-go/sink"
)

// ErrInjected is the error a Faulty sink returns for the faults it injects.
// It is transient (sink.Transient reports true), like a dropped connection.
var ErrInjected error = injectedError{}

type injectedError struct{}

func (injectedError) Error() string   { return "sinktest: injected fault" }
func (injectedError) Transient() bool { return true }

// Faulty wraps a Sink and makes its operations fail on purpose, and slow
// down, for tests of what uses a sink. A failing Put first consumes part of
// its input, like a connection that drops mid-upload, so the inner sink
// sees a partial write that must not become visible. Set the fields before use; they may be
// changed later with the setters.
//
// Faulty is a sink.ConditionalSink when its inner sink is one (else PutIf
// and GetVersion return sink.ErrNotSupported). The conditional operations
// have faults of their own, so that tests of plain writes do not change
// when their code also writes on a condition: PutIf fails only as
// FailNextPutIfs and StoreThenFailNextPutIfs say, and GetVersion never;
// both wait the delay.
type Faulty struct {
	Inner sink.Sink

	mu      sync.Mutex
	rng     *rand.Rand
	putRate float64 // probability that a Put fails
	getRate float64 // probability that a Get fails
	lsRate  float64 // probability that a List fails
	failN   int     // the next failN Puts fail, whatever the rates
	storeN  int     // the next storeN Puts store the object, then fail
	condN   int     // the next condN PutIfs fail
	cStoreN int     // the next cStoreN PutIfs store the object, then fail
	delay   time.Duration

	Puts, FailedPuts     atomic.Int64 // counters of Put
	PutIfs, FailedPutIfs atomic.Int64 // counters of PutIf
}

// NewFaulty wraps inner; seed makes the random faults reproducible.
func NewFaulty(inner sink.Sink, seed uint64) *Faulty {
	return &Faulty{Inner: inner, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// SetRates sets the probabilities of failure of Put, Get and List.
func (f *Faulty) SetRates(put, get, list float64) {
	f.mu.Lock()
	f.putRate, f.getRate, f.lsRate = put, get, list
	f.mu.Unlock()
}

// SetDelay makes every operation first wait a random time below max, like
// a slow network.
func (f *Faulty) SetDelay(max time.Duration) {
	f.mu.Lock()
	f.delay = max
	f.mu.Unlock()
}

// wait sleeps for the random delay, or until ctx is done.
func (f *Faulty) wait(ctx context.Context) error {
	f.mu.Lock()
	var d time.Duration
	if f.delay > 0 {
		d = time.Duration(f.rng.Int64N(int64(f.delay)))
	}
	f.mu.Unlock()
	if d == 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// FailNextPuts makes the next n Puts fail.
func (f *Faulty) FailNextPuts(n int) {
	f.mu.Lock()
	f.failN = n
	f.mu.Unlock()
}

// StoreThenFailNextPuts makes the next n Puts store the whole object in
// the inner sink and then report a failure, like a request that times out
// after the store committed it.
func (f *Faulty) StoreThenFailNextPuts(n int) {
	f.mu.Lock()
	f.storeN = n
	f.mu.Unlock()
}

func (f *Faulty) roll(rate float64) (bool, float64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rng.Float64() < rate, f.rng.Float64()
}

// Put fails with the configured probability (or when FailNextPuts says so)
// after passing a random part of r to the inner sink, or, when
// StoreThenFailNextPuts says so, after storing all of it.
func (f *Faulty) Put(ctx context.Context, key string, r io.Reader) error {
	f.Puts.Add(1)
	if err := f.wait(ctx); err != nil {
		return err
	}
	f.mu.Lock()
	forced := f.failN > 0
	if forced {
		f.failN--
	}
	stored := !forced && f.storeN > 0
	if stored {
		f.storeN--
	}
	f.mu.Unlock()
	if stored {
		f.FailedPuts.Add(1)
		if err := f.Inner.Put(ctx, key, r); err != nil {
			return err
		}
		return fmt.Errorf("sinktest: put %s: stored, then: %w", key, ErrInjected)
	}
	fail, frac := f.roll(f.putRate)
	if !fail && !forced {
		return f.Inner.Put(ctx, key, r)
	}
	f.FailedPuts.Add(1)
	limit := int64(frac * (256 << 10))
	err := f.Inner.Put(ctx, key, io.MultiReader(io.LimitReader(r, limit), errReader{ErrInjected}))
	if err == nil {
		return fmt.Errorf("sinktest: inner sink accepted a put whose reader failed: %s", key)
	}
	return fmt.Errorf("sinktest: put %s: %w", key, ErrInjected)
}

// FailNextPutIfs makes the next n PutIfs fail after passing part of their
// input to the inner sink, which stores nothing.
func (f *Faulty) FailNextPutIfs(n int) {
	f.mu.Lock()
	f.condN = n
	f.mu.Unlock()
}

// StoreThenFailNextPutIfs makes the next n PutIfs write to the inner sink
// and then report a failure whatever the outcome, like a conditional
// request that times out after the store committed it: a retry then finds
// the condition false (see sink.ConditionalSink, "Ambiguous failures").
func (f *Faulty) StoreThenFailNextPutIfs(n int) {
	f.mu.Lock()
	f.cStoreN = n
	f.mu.Unlock()
}

// PutIf passes through to the inner sink, unless FailNextPutIfs or
// StoreThenFailNextPutIfs says to fail.
func (f *Faulty) PutIf(ctx context.Context, key string, r io.Reader, cond sink.Condition) (sink.Version, error) {
	f.PutIfs.Add(1)
	if err := f.wait(ctx); err != nil {
		return "", err
	}
	f.mu.Lock()
	fail := f.condN > 0
	if fail {
		f.condN--
	}
	stored := !fail && f.cStoreN > 0
	if stored {
		f.cStoreN--
	}
	f.mu.Unlock()
	switch {
	case stored:
		f.FailedPutIfs.Add(1)
		if _, err := sink.PutIf(ctx, f.Inner, key, r, cond); err != nil {
			return "", err
		}
		return "", fmt.Errorf("sinktest: put %s: stored, then: %w", key, ErrInjected)
	case fail:
		f.FailedPutIfs.Add(1)
		_, err := sink.PutIf(ctx, f.Inner, key, io.MultiReader(io.LimitReader(r, 100), errReader{ErrInjected}), cond)
		if err == nil {
			return "", fmt.Errorf("sinktest: inner sink accepted a put whose reader failed: %s", key)
		}
		return "", fmt.Errorf("sinktest: put %s: %w", key, ErrInjected)
	}
	return sink.PutIf(ctx, f.Inner, key, r, cond)
}

// GetVersion passes through to the inner sink.
func (f *Faulty) GetVersion(ctx context.Context, key string) (io.ReadCloser, sink.Version, error) {
	if err := f.wait(ctx); err != nil {
		return nil, "", err
	}
	return sink.GetVersion(ctx, f.Inner, key)
}

// Get fails with the configured probability.
func (f *Faulty) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := f.wait(ctx); err != nil {
		return nil, err
	}
	if fail, _ := f.roll(f.rate(&f.getRate)); fail {
		return nil, fmt.Errorf("sinktest: get %s: %w", key, ErrInjected)
	}
	return f.Inner.Get(ctx, key)
}

// List fails with the configured probability.
func (f *Faulty) List(ctx context.Context, prefix string) ([]sink.ObjectInfo, error) {
	if err := f.wait(ctx); err != nil {
		return nil, err
	}
	if fail, _ := f.roll(f.rate(&f.lsRate)); fail {
		return nil, fmt.Errorf("sinktest: list %s: %w", prefix, ErrInjected)
	}
	return f.Inner.List(ctx, prefix)
}

// Delete passes through.
func (f *Faulty) Delete(ctx context.Context, key string) error { return f.Inner.Delete(ctx, key) }

// Close closes the inner sink.
func (f *Faulty) Close() error { return f.Inner.Close() }

func (f *Faulty) rate(p *float64) float64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return *p
}

var _ sink.ConditionalSink = (*Faulty)(nil)

// CopyAll copies every object of src whose key starts with prefix into
// dst, for tests that build a sink's content from others.
func CopyAll(ctx context.Context, dst, src sink.Sink, prefix string) error {
	objs, err := src.List(ctx, prefix)
	if err != nil {
		return err
	}
	for _, o := range objs {
		rc, err := src.Get(ctx, o.Key)
		if err != nil {
			return err
		}
		err = dst.Put(ctx, o.Key, rc)
		rc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// ListBut lists every object of s but those named in except, for tests
// that look at what a writer stored besides its bookkeeping (such as
// backup.LeaseKey).
func ListBut(ctx context.Context, s sink.Sink, except ...string) ([]sink.ObjectInfo, error) {
	objs, err := s.List(ctx, "")
	if err != nil {
		return nil, err
	}
	out := objs[:0]
	for _, o := range objs {
		skip := false
		for _, e := range except {
			skip = skip || o.Key == e
		}
		if !skip {
			out = append(out, o)
		}
	}
	return out, nil
}
