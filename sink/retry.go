package sink

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/url"
	"strconv"
	"syscall"
	"time"
)

// RetryOptions configure WithRetry. Zero fields take their defaults.
type RetryOptions struct {
	// Attempts is the most tries of one operation (default 5).
	Attempts int
	// BaseDelay is the wait before the first retry (default 100 ms); each
	// retry doubles it, up to MaxDelay (default 5 s), with full jitter.
	BaseDelay, MaxDelay time.Duration
	// IsTransient decides which errors are worth another try (default
	// Transient).
	IsTransient func(error) bool
}

// WithRetry wraps s so that operations failing with a transient error are
// tried again, with exponential backoff and jitter, for as long as ctx
// allows. Permanent errors (not found, invalid key, refused credentials, a
// cancelled ctx) return at once. A Put is retried only when its reader can
// start over: an io.Seeker is sought back to its start before each retry.
// sink.Open wraps the object-store backends with it.
//
// The sink returned is a ConditionalSink: PutIf is retried as Put is (only
// with a seekable reader) and GetVersion as Get is; both return
// ErrNotSupported when s is not a ConditionalSink. A failed condition
// (ErrPrecondition) is never retried. A PutIf retried after a failure
// without an answer may report ErrPrecondition although its first attempt
// stored the object: see "Ambiguous failures" at ConditionalSink. WithRetry
// does not hide that (it cannot tell whose object it finds); the caller
// reads the object back.
func WithRetry(s Sink, opts RetryOptions) Sink {
	if opts.Attempts <= 0 {
		opts.Attempts = 5
	}
	if opts.BaseDelay <= 0 {
		opts.BaseDelay = 100 * time.Millisecond
	}
	if opts.MaxDelay <= 0 {
		opts.MaxDelay = 5 * time.Second
	}
	if opts.IsTransient == nil {
		opts.IsTransient = Transient
	}
	return &retrySink{inner: s, opts: opts}
}

var _ ConditionalSink = (*retrySink)(nil)

type retrySink struct {
	inner Sink
	opts  RetryOptions
}

// Unwrap returns the wrapped sink.
func (r *retrySink) Unwrap() Sink { return r.inner }

// do runs op until it succeeds, fails permanently, runs out of attempts or
// ctx ends. before, if set, runs before every retry and may veto it.
func (r *retrySink) do(ctx context.Context, op func() error, before func() error) error {
	delay := r.opts.BaseDelay
	var err error
	for attempt := 1; ; attempt++ {
		err = op()
		if err == nil || attempt >= r.opts.Attempts || ctx.Err() != nil || !r.opts.IsTransient(err) {
			return err
		}
		wait := time.Duration(rand.Int64N(int64(delay) + 1)) // full jitter
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		if delay *= 2; delay > r.opts.MaxDelay {
			delay = r.opts.MaxDelay
		}
		if before != nil {
			if berr := before(); berr != nil {
				return err
			}
		}
	}
}

func (r *retrySink) Put(ctx context.Context, key string, body io.Reader) error {
	return r.write(ctx, body, func() error { return r.inner.Put(ctx, key, body) })
}

// write runs put, a write of body, as do does, retrying only when body
// can be sought back to its start.
func (r *retrySink) write(ctx context.Context, body io.Reader, put func() error) error {
	seeker, canRewind := body.(io.Seeker)
	var rewind func() error
	if canRewind {
		rewind = func() error { _, err := seeker.Seek(0, io.SeekStart); return err }
	}
	return r.do(ctx, func() error {
		err := put()
		if err != nil && !canRewind {
			return permanent{err} // the input is spent: a retry would store less
		}
		return err
	}, rewind)
}

// PutIf is Put with a condition; see WithRetry.
func (r *retrySink) PutIf(ctx context.Context, key string, body io.Reader, cond Condition) (Version, error) {
	var v Version
	err := r.write(ctx, body, func() (err error) {
		v, err = PutIf(ctx, r.inner, key, body, cond)
		return err
	})
	return v, err
}

// GetVersion is Get with the version; see WithRetry.
func (r *retrySink) GetVersion(ctx context.Context, key string) (rc io.ReadCloser, v Version, err error) {
	err = r.do(ctx, func() error {
		rc, v, err = GetVersion(ctx, r.inner, key)
		return err
	}, nil)
	return rc, v, err
}

func (r *retrySink) Get(ctx context.Context, key string) (rc io.ReadCloser, err error) {
	err = r.do(ctx, func() error {
		rc, err = r.inner.Get(ctx, key)
		return err
	}, nil)
	return rc, err
}

func (r *retrySink) List(ctx context.Context, prefix string) (objs []ObjectInfo, err error) {
	err = r.do(ctx, func() error {
		objs, err = r.inner.List(ctx, prefix)
		return err
	}, nil)
	return objs, err
}

func (r *retrySink) Delete(ctx context.Context, key string) error {
	return r.do(ctx, func() error { return r.inner.Delete(ctx, key) }, nil)
}

func (r *retrySink) Close() error { return r.inner.Close() }

// permanent marks an error as not worth retrying.
type permanent struct{ error }

func (p permanent) Unwrap() error { return p.error }

// TransientError is implemented by errors that say whether a retry may
// succeed.
type TransientError interface {
	error
	Transient() bool
}

// Transient reports whether err is worth another try: a store that is
// unavailable, overloaded, timing out or failing internally, or a network
// connection that broke. Missing objects, invalid keys, refused
// credentials, bad arguments, failed conditions (ErrPrecondition), missing
// capabilities (ErrNotSupported) and a cancelled context are permanent. An
// error that says so itself (a TransientError, as the object-store
// backends' errors are) decides; otherwise the network error or HTTP
// status in its chain does.
func Transient(err error) bool {
	if err == nil {
		return false
	}
	var p permanent
	if errors.As(err, &p) || errors.Is(err, ErrPrecondition) || errors.Is(err, ErrNotSupported) {
		return false // a failed condition or a missing capability stays so
	}
	var te TransientError
	if errors.As(err, &te) {
		return te.Transient()
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, ErrNotFound) || errors.Is(err, ErrInvalidKey) || errors.Is(err, ErrClosed) {
		return false
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return true
	}
	for _, e := range []error{syscall.ECONNRESET, syscall.ECONNREFUSED, syscall.EPIPE, io.ErrUnexpectedEOF} {
		if errors.Is(err, e) {
			return true
		}
	}
	var status interface{ HTTPStatusCode() int }
	if errors.As(err, &status) {
		c := status.HTTPStatusCode()
		return c == 429 || c >= 500
	}
	return false
}

// RetryParam is the query parameter of object-store URLs that sets the
// number of attempts of each operation ("retries=1" disables retries).
const RetryParam = "retries"

// RegisterWithRetry registers an object-store backend. Open wraps what it
// opens with WithRetry, whose attempts the URL's "retries" parameter sets
// (default 5).
//
// Retries come in two layers: WithRetry tries each operation again (an
// upload from its start), and beneath it the store's SDK retries a single
// request (one part of an upload) a few times. With retries=1 the backend
// turns the SDK's retries off too (SingleAttempt), so that one operation
// makes one request; a backend's opener must do so.
func RegisterWithRetry(scheme string, open Opener, opts ...SchemeOption) {
	Register(scheme, func(ctx context.Context, u *url.URL) (Sink, error) {
		var ro RetryOptions
		n, err := attemptsParam(u)
		if err != nil {
			return nil, err
		}
		ro.Attempts = n
		s, err := open(ctx, u)
		if err != nil {
			return nil, err
		}
		return WithRetry(s, ro), nil
	}, opts...)
}

// attemptsParam returns the "retries" parameter of u, 0 when absent.
func attemptsParam(u *url.URL) (int, error) {
	vs, ok := u.Query()[RetryParam]
	if !ok {
		return 0, nil
	}
	n, err := strconv.Atoi(vs[0])
	if err != nil || n < 1 || n > 100 || len(vs) > 1 {
		return 0, fmt.Errorf("%s=%q: want one number of attempts from 1 to 100", RetryParam, vs[0])
	}
	return n, nil
}

// SingleAttempt reports whether u asks for one attempt of every operation
// (retries=1): the backends then turn their SDK's own retries off.
func SingleAttempt(u *url.URL) bool {
	n, err := attemptsParam(u)
	return err == nil && n == 1
}
