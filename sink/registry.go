package sink

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Opener opens a Sink from a parsed URL of its scheme.
type Opener func(ctx context.Context, u *url.URL) (Sink, error)

var (
	registryMu sync.RWMutex
	registry   = map[string]Opener{}
)

// Register makes a backend available to Open under scheme. Each backend
// package registers its own scheme in its init function, so importing the
// package (for example `_ "github.com/dictdb/dictdb-go/sink/s3"`, or
// sink/all for every backend) enables its URLs. Register panics if the
// scheme is taken.
func Register(scheme string, open Opener) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[scheme]; dup {
		panic("sink: scheme registered twice: " + scheme)
	}
	registry[scheme] = open
}

// Schemes returns the registered schemes, sorted.
func Schemes() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	out := make([]string, 0, len(registry))
	for s := range registry {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// Open opens the sink that rawURL names, e.g. "file:///var/backups",
// "mem://", "s3://bucket/prefix?region=eu-west-1", "gs://bucket/prefix" or
// "azblob://container/prefix". An unknown scheme or query parameter is an
// error that lists what is supported.
func Open(ctx context.Context, rawURL string) (Sink, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// The URL may hold credentials: report the reason, not the URL.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, fmt.Errorf("sink: invalid URL: %w", err)
	}
	if u.Scheme == "" {
		return nil, fmt.Errorf("sink: URL %q has no scheme (supported: %s)", Redact(u), schemeList())
	}
	registryMu.RLock()
	open, ok := registry[u.Scheme]
	registryMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("sink: unknown scheme %q in %q (supported: %s; import github.com/dictdb/dictdb-go/sink/all to enable every backend)", u.Scheme, Redact(u), schemeList())
	}
	s, err := open(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("sink: open %s: %w", Redact(u), err)
	}
	return s, nil
}

func schemeList() string {
	s := Schemes()
	if len(s) == 0 {
		return "none registered"
	}
	return strings.Join(s, ", ")
}

// CheckParams returns an error if u has a query parameter not in allowed,
// or one given twice. The error lists the allowed parameters.
func CheckParams(u *url.URL, allowed ...string) error {
	for k, vs := range u.Query() {
		known := false
		for _, a := range allowed {
			if k == a {
				known = true
				break
			}
		}
		if !known {
			sorted := append([]string(nil), allowed...)
			sort.Strings(sorted)
			list := strings.Join(sorted, ", ")
			if list == "" {
				list = "none"
			}
			return fmt.Errorf("unknown query parameter %q for %s:// URLs (supported: %s)", k, u.Scheme, list)
		}
		if len(vs) > 1 {
			return fmt.Errorf("query parameter %q given %d times", k, len(vs))
		}
	}
	return nil
}

// Redact returns u as a string with any password and secret-looking query
// parameters replaced, for error messages and logs.
func Redact(u *url.URL) string {
	c := *u
	if c.User != nil {
		if _, has := c.User.Password(); has {
			c.User = url.UserPassword(c.User.Username(), "xxxxx")
		}
	}
	q := c.Query()
	for k := range q {
		lk := strings.ToLower(k)
		if strings.Contains(lk, "secret") || strings.Contains(lk, "key") && !strings.Contains(lk, "id") || strings.Contains(lk, "token") || strings.Contains(lk, "password") {
			q.Set(k, "xxxxx")
		}
	}
	c.RawQuery = q.Encode()
	return c.String()
}

// BoolParam returns the boolean query parameter name of q (def when absent),
// or an error naming it.
func BoolParam(q url.Values, name string, def bool) (bool, error) {
	v := q.Get(name)
	if v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return def, fmt.Errorf("%s=%q: want true or false", name, v)
	}
	return b, nil
}

// SizeParam returns the byte-size query parameter name of q (0 when
// absent), which must be at least min.
func SizeParam(q url.Values, name string, min int) (int, error) {
	v := q.Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min {
		return 0, fmt.Errorf("%s=%q: want a number of bytes, at least %d", name, v, min)
	}
	return n, nil
}
