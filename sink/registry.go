package sink

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Opener opens a Sink from a parsed URL of its scheme.
type Opener func(ctx context.Context, u *url.URL) (Sink, error)

// A SchemeOption configures a scheme given to Register.
type SchemeOption func(*scheme)

// Credentials tells where the scheme's credentials come from, such as the
// environment variables its SDK reads. Open's error for a URL that holds
// credentials says it.
func Credentials(where string) SchemeOption {
	return func(s *scheme) { s.credentials = where }
}

// scheme is a registered backend.
type scheme struct {
	open        Opener
	credentials string // where they come from; "" for none
}

var (
	registryMu sync.RWMutex
	registry   = map[string]scheme{}
)

// Register makes a backend available to Open under name. Each backend
// package registers its own scheme in its init function, so importing the
// package (for example `_ "github.com/dictdb/dictdb-go/sink/s3"`, or
// sink/all for every backend) enables its URLs. Register panics if the
// scheme is taken.
func Register(name string, open Opener, opts ...SchemeOption) {
	s := scheme{open: open}
	for _, o := range opts {
		o(&s)
	}
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[name]; dup {
		panic("sink: scheme registered twice: " + name)
	}
	registry[name] = s
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

// ErrCredentialsInURL is the error Open returns for a URL that holds
// credentials: user info (s3://KEY:SECRET@bucket), also in a URL nested in
// a parameter (endpoint=http://user:password@host). Credentials come from
// the environment, never from a URL, which ends up in logs, shell
// histories and process lists.
var ErrCredentialsInURL = errors.New("credentials in a URL are refused")

// Open opens the sink that rawURL names, e.g. "file:///var/backups",
// "mem://", "s3://bucket/prefix?region=eu-west-1", "gs://bucket/prefix" or
// "azblob://container/prefix". An unknown scheme or query parameter is an
// error that lists what is supported; a URL with credentials is
// ErrCredentialsInURL. Errors show the URL as Redact prints it.
func Open(ctx context.Context, rawURL string) (Sink, error) {
	u, err := Parse(rawURL)
	if err != nil {
		return nil, err
	}
	if u.Scheme == "" {
		return nil, fmt.Errorf("sink: URL %q has no scheme (supported: %s)", Redact(u), schemeList())
	}
	registryMu.RLock()
	sc, ok := registry[u.Scheme]
	registryMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("sink: unknown scheme %q in %q (supported: %s; import github.com/dictdb/dictdb-go/sink/all to enable every backend)", u.Scheme, Redact(u), schemeList())
	}
	var r redactor
	shown := r.url(u, 0)
	if r.credentials {
		where := sc.credentials
		if where == "" {
			where = u.Scheme + ":// URLs take no credentials; backends that need some read them from the environment"
		}
		return nil, fmt.Errorf("sink: %s: %w: %s", shown, ErrCredentialsInURL, where)
	}
	if _, err := url.ParseQuery(u.RawQuery); err != nil {
		// url.URL.Query drops what it cannot parse: refuse it instead.
		return nil, fmt.Errorf("sink: %s: malformed query: %s", shown, unquote(err.Error()))
	}
	s, err := sc.open(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("sink: open %s: %w", shown, err)
	}
	return s, nil
}

// Parse parses a sink URL like url.Parse, but its error never quotes the
// URL or a part of it, which may hold a secret (url.Parse's may quote the
// "port" that a password holding a "/" seems to end with).
func Parse(rawURL string) (*url.URL, error) {
	u, err := url.Parse(rawURL)
	if err == nil {
		return u, nil
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	msg := unquote(err.Error())
	if strings.Contains(rawURL, "@") {
		msg += " (credentials do not go in a URL: give them through the environment)"
	}
	return nil, fmt.Errorf("sink: invalid URL: %s", msg)
}

// quoted matches a quoted string in an error message, with its leading space.
var quoted = regexp.MustCompile(` ?"(?:[^"\\]|\\.)*"`)

// unquote removes what msg quotes.
func unquote(msg string) string { return quoted.ReplaceAllString(msg, "") }

func schemeList() string {
	s := Schemes()
	if len(s) == 0 {
		return "none registered"
	}
	return strings.Join(s, ", ")
}

// plainName matches a query parameter name that errors may quote.
var plainName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// CheckParams returns an error if u has a query parameter not in allowed,
// or one given twice. The error lists the allowed parameters; it quotes an
// unknown name only if it is a plain name, and never a value.
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
			name := strconv.Quote(k)
			if !plainName.MatchString(k) {
				name = "(name not shown)"
			}
			return fmt.Errorf("unknown query parameter %s for %s:// URLs (supported: %s)", name, u.Scheme, list)
		}
		if len(vs) > 1 {
			return fmt.Errorf("query parameter %q given %d times", k, len(vs))
		}
	}
	return nil
}

// safeParams are the query parameters whose values Redact shows: the
// backends' settings that hold no secret. Every other value is hidden, so
// that a parameter no backend accepts (sig, X-Amz-Signature, password,
// ...) is never echoed, whatever its name.
var safeParams = map[string]bool{
	"region": true, "endpoint": true, "use_path_style": true, "profile": true, "sse": true,
	"kms_key_id": true, "checksums": true, "part_size": true, RetryParam: true,
	"anonymous": true, "storage_account": true, "domain": true, "protocol": true,
	"localemu": true, "cdn": true,
}

// hidden replaces what Redact hides.
const hidden = "xxxxx"

// Redact returns u as a string for error messages and logs, without
// secrets: user info becomes xxxxx (name and password), and so does the
// value of every query parameter but the few known to hold no secret
// (region, endpoint, use_path_style, profile, sse, kms_key_id, checksums,
// part_size, retries, anonymous, storage_account, domain, protocol,
// localemu, cdn). A URL in such a value is redacted the same way
// (endpoint=http://xxxxx:xxxxx@host:9000); in any other such value, what
// precedes an "@" is hidden, and a value with a "?", "#", "&" or "=" is
// hidden whole. The fragment is dropped.
func Redact(u *url.URL) string {
	var r redactor
	return r.url(u, 0)
}

// Secrets returns the parts of u that Redact hides (user name and password,
// hidden parameter values, credentials of nested URLs, the fragment), so
// that a program can scrub them from text that may quote them, such as an
// SDK's error.
func Secrets(u *url.URL) []string {
	var r redactor
	r.url(u, 0)
	return r.hidden
}

// redactor redacts URLs, noting what it hides and whether a URL held
// credentials.
type redactor struct {
	hidden      []string
	credentials bool
}

func (r *redactor) hide(s string) {
	if s != "" {
		r.hidden = append(r.hidden, s)
	}
}

// maxNesting bounds how deep URLs nested in parameter values are redacted;
// deeper ones are hidden whole.
const maxNesting = 2

func (r *redactor) url(u *url.URL, depth int) string {
	c := *u
	if c.User != nil {
		r.credentials = true
		r.hide(c.User.Username())
		if p, has := c.User.Password(); has {
			r.hide(p)
			c.User = url.UserPassword(hidden, hidden)
		} else {
			c.User = url.User(hidden)
		}
	}
	if i := strings.LastIndex(c.Opaque, "@"); i >= 0 { // user:password@host
		r.credentials = true
		r.hide(c.Opaque[:i])
		c.Opaque = hidden + c.Opaque[i:]
	}
	r.hide(c.Fragment)
	c.Fragment, c.RawFragment = "", ""
	c.RawQuery = r.query(c.Query(), depth)
	c.ForceQuery = false
	shown := c.String()
	if c.Scheme != "" && c.Opaque == "" && c.Host == "" && c.User == nil && c.Path == "" && !c.OmitHost {
		// "s3://" and "mem://" as written, not "s3:".
		shown = c.Scheme + "://" + strings.TrimPrefix(shown, c.Scheme+":")
	}
	return shown
}

func (r *redactor) query(q url.Values, depth int) string {
	names := make([]string, 0, len(q))
	for k := range q {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, k := range names {
		for _, v := range q[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			name := k
			if !plainName.MatchString(k) {
				r.hide(k)
				name = hidden
			}
			b.WriteString(queryEscape(name))
			b.WriteByte('=')
			b.WriteString(queryEscape(r.value(k, v, depth)))
		}
	}
	return b.String()
}

// value returns the value v of parameter name as Redact shows it.
func (r *redactor) value(name, v string, depth int) string {
	switch {
	case v == "":
		return v
	case !safeParams[name]:
		r.hide(v)
		return hidden
	case strings.Contains(v, "://"):
		n, err := url.Parse(v)
		if err != nil || depth >= maxNesting {
			r.hide(v)
			return hidden
		}
		return r.url(n, depth+1)
	case strings.ContainsAny(v, "?#&="): // a query of its own
		r.hide(v)
		return hidden
	}
	if i := strings.LastIndex(v, "@"); i >= 0 {
		r.hide(v[:i])
		return hidden + v[i:]
	}
	return v
}

// queryEscape escapes s for a query, leaving the characters a query may
// hold as they are (so endpoint=http://host:9000 stays readable).
func queryEscape(s string) string {
	return queryUnescaper.Replace(url.QueryEscape(s))
}

var queryUnescaper = strings.NewReplacer("%3A", ":", "%2F", "/", "%40", "@", "%3F", "?")

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
