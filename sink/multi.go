package sink

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/hashicorp/go-multierror"
)

// Named is a member of a Multi sink: a sink and the name Multi's errors call
// it by.
type Named struct {
	// Name identifies the sink in errors, for example its URL as Redact
	// prints it (OpenNamed does that). It must not hold credentials. Empty
	// means a name made of the member's position and type, like
	// "#2 (*local.Sink)".
	Name string
	// Sink is the member.
	Sink Sink
}

// OpenNamed opens rawURL with Open and names the sink by its URL, as Redact
// prints it if that hides something, ready for Multi.
func OpenNamed(ctx context.Context, rawURL string) (Named, error) {
	s, err := Open(ctx, rawURL)
	if err != nil {
		return Named{}, err
	}
	u, err := url.Parse(rawURL) // Open parsed it already
	if err != nil {
		_ = s.Close()
		return Named{}, err
	}
	name := rawURL
	if r := Redact(u); r != u.String() { // else keep the URL as written
		name = r
	}
	return Named{Name: name, Sink: s}, nil
}

// MultiOption configures Multi.
type MultiOption func(*multiConfig)

type multiConfig struct {
	quorum      int
	onMemberErr func(*MemberError)
}

// Quorum makes a Multi Put succeed when at least n members stored the
// object (default: all of them). It also lets List tolerate failing
// members, see Multi.
func Quorum(n int) MultiOption {
	return func(c *multiConfig) { c.quorum = n }
}

// OnMemberError sets a function called with each member error that did not
// make the operation fail: a Put below the quorum's tolerance, a Get that
// another member then served, a List that had enough answers. It lets such
// failures be logged or counted instead of going unnoticed. It runs in the
// goroutine of the operation, after its members finished.
func OnMemberError(fn func(*MemberError)) MultiOption {
	return func(c *multiConfig) { c.onMemberErr = fn }
}

// MemberError is the error of one member of a Multi sink. Errors of Multi
// aggregate them in a *multierror.Error (github.com/hashicorp/go-multierror);
// errors.Is and errors.As see through both to the member's error.
type MemberError struct {
	// Sink is the member's name.
	Sink string
	// Op is "put", "get", "list", "delete" or "close", or "put_if" or
	// "get_version" for the conditional operations of the primary.
	Op string
	// Key is the object's key, or for "list" the prefix.
	Key string
	// Err is what the member returned.
	Err error
}

// Error returns, for example, `sink "s3://bucket/db1": put k: <error>`.
func (e *MemberError) Error() string {
	switch e.Op {
	case "close":
		return fmt.Sprintf("sink %q: close: %v", e.Sink, e.Err)
	case "list":
		return fmt.Sprintf("sink %q: list %q: %v", e.Sink, e.Key, e.Err)
	}
	return fmt.Sprintf("sink %q: %s %s: %v", e.Sink, e.Op, e.Key, e.Err)
}

// Unwrap returns the member's error.
func (e *MemberError) Unwrap() error { return e.Err }

// Multi returns a sink that fans out to several sinks, for example a local
// directory and an object store, so that a backup survives the loss of
// either. Members are used in the order given.
//
//   - Put streams its reader to every member's Put at once, each through its
//     own pipe, without holding the object in memory: the source advances
//     at the pace of the slowest member still reading. A member that fails
//     stops receiving data and the others go on. Put succeeds when every
//     member succeeded, or at least the Quorum. When Put fails, or succeeds
//     by quorum, the object may exist on some members and not on others;
//     each member still holds it complete or not at all.
//   - Get reads from the first member that returns the object, trying the
//     next on any error. A read that fails after Get returned is not
//     retried on another member.
//   - List returns the union of the members' keys, sorted; for a key held by
//     several members it reports the first one's ObjectInfo. Members are
//     listed at once. With the default quorum List fails if any member
//     fails; with Quorum(q) of n members it tolerates min(n-q, q-1) failing
//     members: never more than Put tolerates, and few enough that every
//     object a successful Put wrote is on a member that answered. A member
//     added later, empty, does not count towards that.
//   - Delete deletes from every member at once. A member that does not have
//     the object is not an error if another deleted it; if none had it the
//     error matches ErrNotFound. Any other member error fails Delete, since
//     the object would still be listed.
//   - Close closes every member.
//   - PutIf and GetVersion (see ConditionalSink) go to the first member
//     only, the primary, which arbitrates: a compare-and-swap needs one
//     authority for the current version, and the version one member reports
//     means nothing to another. Multi does not copy a conditional write to
//     the other members (a lease object need not survive the primary: it
//     only guards the primary), and it has no failover: when the primary
//     fails or lacks the capability (ErrNotSupported), so does the
//     operation. Quorum does not apply. Plain Puts still fan out, also of
//     the key a conditional write wrote; Get, List and Delete see the
//     primary's object like any other.
//
// Errors aggregate one *MemberError per failing member, such as
// `sink "s3://bucket/db1": put k: ...`, in a *multierror.Error; errors.Is
// (ErrNotFound, context.Canceled, ...) and errors.As work through it. Keys
// are checked with ValidateKey before any member is called.
//
// # Retries
//
// Multi reads the Put source once. Retries are the members' business: when
// the source is an io.Seeker (like the reader backup.Manager passes), each
// member's reader is one too, so a member wrapped in WithRetry (as
// Open wraps object stores) can retry its upload. Its Seek(0,
// io.SeekStart) waits until the members still reading the current pass are
// done, then seeks the source back and streams it again to the members that
// asked, so a member's retry reads the source once more. Until a failed
// member seeks or returns, the others wait for it: a retry layer's backoff
// pauses them. When the source cannot seek, neither can the members'
// readers, and WithRetry does not retry their Puts. Other Seek calls fail.
func Multi(sinks []Named, opts ...MultiOption) (Sink, error) {
	if len(sinks) == 0 {
		return nil, errors.New("sink/multi: no sinks")
	}
	cfg := multiConfig{quorum: len(sinks)}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.quorum < 1 || cfg.quorum > len(sinks) {
		return nil, fmt.Errorf("sink/multi: quorum %d: want 1 to %d, the number of sinks", cfg.quorum, len(sinks))
	}
	members := make([]Named, len(sinks))
	seen := map[string]bool{}
	for i, n := range sinks {
		if n.Sink == nil {
			return nil, fmt.Errorf("sink/multi: sink #%d (%q) is nil", i+1, n.Name)
		}
		if n.Name == "" {
			n.Name = defaultName(i, n.Sink)
		}
		if seen[n.Name] {
			return nil, fmt.Errorf("sink/multi: two sinks named %q", n.Name)
		}
		seen[n.Name] = true
		members[i] = n
	}
	return &multi{members: members, cfg: cfg}, nil
}

// defaultName names the member at index i by its position and the type of
// the sink under any wrappers.
func defaultName(i int, s Sink) string {
	for {
		u, ok := s.(interface{ Unwrap() Sink })
		if !ok {
			break
		}
		inner := u.Unwrap()
		if inner == nil {
			break
		}
		s = inner
	}
	return fmt.Sprintf("#%d (%T)", i+1, s)
}

var _ ConditionalSink = (*multi)(nil)

type multi struct {
	members []Named
	cfg     multiConfig
}

func (m *multi) memberErr(i int, op, key string, err error) *MemberError {
	return &MemberError{Sink: m.members[i].Name, Op: op, Key: key, Err: err}
}

// tolerated passes errors that did not fail the operation to OnMemberError.
func (m *multi) tolerated(errs []*MemberError) {
	if m.cfg.onMemberErr == nil {
		return
	}
	for _, e := range errs {
		m.cfg.onMemberErr(e)
	}
}

// aggregate returns errs as one *multierror.Error whose message starts with
// header.
func aggregate(header string, errs []*MemberError) error {
	all := make([]error, len(errs))
	for i, e := range errs {
		all[i] = e
	}
	return &multierror.Error{Errors: all, ErrorFormat: func(es []error) string {
		parts := make([]string, len(es))
		for i, e := range es {
			parts[i] = e.Error()
		}
		return header + ": " + strings.Join(parts, "; ")
	}}
}

// each runs fn for every member at once and returns the errors, by member.
func (m *multi) each(fn func(i int, s Sink) error) []error {
	errs := make([]error, len(m.members))
	var wg sync.WaitGroup
	for i, n := range m.members {
		wg.Go(func() { errs[i] = fn(i, n.Sink) })
	}
	wg.Wait()
	return errs
}

func (m *multi) Put(ctx context.Context, key string, r io.Reader) error {
	if err := ValidateKey(key); err != nil {
		return fmt.Errorf("sink/multi: put: %w", err)
	}
	errs := newFanout(ctx, r, len(m.members)).run(func(i int, body io.Reader) error {
		return m.members[i].Sink.Put(ctx, key, body)
	})
	var failed []*MemberError
	for i, err := range errs {
		if err != nil {
			failed = append(failed, m.memberErr(i, "put", key, err))
		}
	}
	n := len(m.members)
	if n-len(failed) >= m.cfg.quorum {
		m.tolerated(failed)
		return nil
	}
	return aggregate(fmt.Sprintf("sink/multi: put %s: %d of %d sinks failed, %d must succeed", key, len(failed), n, m.cfg.quorum), failed)
}

// PutIf writes on a condition to the primary only; see Multi.
func (m *multi) PutIf(ctx context.Context, key string, r io.Reader, cond Condition) (Version, error) {
	if err := ValidateKey(key); err != nil {
		return "", fmt.Errorf("sink/multi: put: %w", err)
	}
	v, err := PutIf(ctx, m.members[0].Sink, key, r, cond)
	if err != nil {
		return "", fmt.Errorf("sink/multi: put %s on the primary: %w", key, m.memberErr(0, "put_if", key, err))
	}
	return v, nil
}

// GetVersion reads the object and its version from the primary only; see
// Multi.
func (m *multi) GetVersion(ctx context.Context, key string) (io.ReadCloser, Version, error) {
	if err := ValidateKey(key); err != nil {
		return nil, "", fmt.Errorf("sink/multi: get: %w", err)
	}
	rc, v, err := GetVersion(ctx, m.members[0].Sink, key)
	if err != nil {
		return nil, "", fmt.Errorf("sink/multi: get %s from the primary: %w", key, m.memberErr(0, "get_version", key, err))
	}
	return rc, v, nil
}

func (m *multi) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := ValidateKey(key); err != nil {
		return nil, fmt.Errorf("sink/multi: get: %w", err)
	}
	var failed []*MemberError
	for i, n := range m.members {
		rc, err := n.Sink.Get(ctx, key)
		if err == nil {
			m.tolerated(failed)
			return rc, nil
		}
		failed = append(failed, m.memberErr(i, "get", key, err))
		if ctx.Err() != nil {
			break
		}
	}
	return nil, aggregate(fmt.Sprintf("sink/multi: get %s: no sink returned it", key), failed)
}

func (m *multi) List(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	lists := make([][]ObjectInfo, len(m.members))
	errs := m.each(func(i int, s Sink) (err error) {
		lists[i], err = s.List(ctx, prefix)
		return err
	})
	var failed []*MemberError
	for i, err := range errs {
		if err != nil {
			failed = append(failed, m.memberErr(i, "list", prefix, err))
		}
	}
	n, q := len(m.members), m.cfg.quorum
	if allowed := min(n-q, q-1); len(failed) > allowed {
		return nil, aggregate(fmt.Sprintf("sink/multi: list %q: %d of %d sinks failed, at most %d may", prefix, len(failed), n, allowed), failed)
	}
	m.tolerated(failed)
	seen := map[string]bool{}
	out := make([]ObjectInfo, 0)
	for i, list := range lists {
		if errs[i] != nil {
			continue
		}
		for _, info := range list {
			if !seen[info.Key] {
				seen[info.Key] = true
				out = append(out, info)
			}
		}
	}
	slices.SortFunc(out, func(a, b ObjectInfo) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

func (m *multi) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return fmt.Errorf("sink/multi: delete: %w", err)
	}
	errs := m.each(func(_ int, s Sink) error { return s.Delete(ctx, key) })
	var missing, failed []*MemberError
	for i, err := range errs {
		switch {
		case err == nil:
		case errors.Is(err, ErrNotFound):
			missing = append(missing, m.memberErr(i, "delete", key, err))
		default:
			failed = append(failed, m.memberErr(i, "delete", key, err))
		}
	}
	n := len(m.members)
	switch {
	case len(failed) > 0:
		return aggregate(fmt.Sprintf("sink/multi: delete %s: %d of %d sinks failed", key, len(failed), n), failed)
	case len(missing) == n:
		return aggregate(fmt.Sprintf("sink/multi: delete %s: no sink has it", key), missing)
	}
	return nil
}

func (m *multi) Close() error {
	var failed []*MemberError
	for i, n := range m.members {
		if err := n.Sink.Close(); err != nil {
			failed = append(failed, m.memberErr(i, "close", "", err))
		}
	}
	if len(failed) > 0 {
		return aggregate("sink/multi: close", failed)
	}
	return nil
}
