package restore

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/hashicorp/go-multierror"

	"github.com/dictdb/dictdb-go/internal/object"
	"github.com/dictdb/dictdb-go/sink"
)

// ProblemKind classifies what Verify found wrong.
type ProblemKind string

// The kinds of problems.
const (
	ProblemUnreadable  ProblemKind = "unreadable header" // the header cannot be read
	ProblemMismatch    ProblemKind = "name mismatch"     // the header disagrees with the name: kind, encoding or time
	ProblemTruncated   ProblemKind = "truncated"         // the object ends early
	ProblemChecksum    ProblemKind = "checksum"          // the content does not match its checksum, or has none
	ProblemCorrupt     ProblemKind = "corrupt"           // malformed content
	ProblemGap         ProblemKind = "gap"               // a delta does not continue the state before it
	ProblemOrphan      ProblemKind = "orphan"            // a delta whose full backup is missing
	ProblemInterleaved ProblemKind = "interleaved"       // a chain goes on after a newer chain began
)

// Problem is one thing wrong with the backups, naming the object.
type Problem struct {
	Key  string
	Kind ProblemKind
	Err  error
}

func (p Problem) Error() string { return fmt.Sprintf("%s: %s: %v", p.Key, p.Kind, p.Err) }

// Report is the result of Verify: the points that restore, and every
// problem found.
type Report struct {
	Points   []Point
	Problems []Problem
}

// OK reports whether Verify found no problem.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

// Err returns every problem as one error (a *multierror.Error), or nil.
func (r *Report) Err() error {
	var err *multierror.Error
	for _, p := range r.Problems {
		err = multierror.Append(err, p)
	}
	return err.ErrorOrNil()
}

// objectScanners bounds the objects read at once by Verify.
const objectScanners = 4

// Verify reads every backup object in s in full, checking its structure and
// checksum, and the chains they form, by the rule Latest follows. It reports
// every problem, each with the object's key, not just the first: unreadable
// headers, headers that disagree with their names (a copy under another
// name), truncated objects, checksum mismatches, gaps in a chain's sequence
// numbers, orphan deltas, and deltas of a chain after a newer chain began
// (two writers on one prefix). An object with several problems is reported
// once, for the first of: its bytes, then its place. The report's points
// are those that restore exactly. The error is for failing to list the sink,
// and for a cancelled or timed-out ctx.
func Verify(ctx context.Context, s sink.Sink, opts ...Option) (*Report, error) {
	o := collect(opts)
	c, err := listCatalog(ctx, s, o)
	if err != nil {
		return nil, err
	}
	if err := c.readAllHeaders(ctx); err != nil {
		return nil, err
	}
	r := &Report{}
	add := func(key string, kind ProblemKind, err error) {
		r.Problems = append(r.Problems, Problem{Key: key, Kind: kind, Err: err})
	}

	// Read every object whose header reads through.
	bad := map[*entry]bool{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, objectScanners)
	for _, e := range c.entries {
		if e.err != nil {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(e *entry) {
			defer wg.Done()
			defer func() { <-sem }()
			kind, err := o.scanObject(ctx, s, e)
			if err != nil {
				if kind == "" {
					kind = ProblemUnreadable
				}
				mu.Lock()
				bad[e] = true
				add(e.name.Key, kind, err)
				mu.Unlock()
			}
		}(e)
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("restore: verify: %w", err)
	}

	for _, rg := range c.regions(len(c.entries)) {
		for _, m := range rg.misfits {
			if !bad[m.e] {
				add(m.e.name.Key, m.kind, unwrapObject(m.err))
			}
		}
		for _, e := range rg.points {
			if bad[e] {
				break
			}
			r.Points = append(r.Points, e.point(rg.full.name.Key))
		}
	}
	sort.SliceStable(r.Points, func(i, j int) bool { return r.Points[i].Time.Before(r.Points[j].Time) })
	sort.SliceStable(r.Problems, func(i, j int) bool { return r.Problems[i].Key < r.Problems[j].Key })
	return r, nil
}

// unwrapObject returns the cause of an *ObjectError, which names the key a
// Problem names already.
func unwrapObject(err error) error {
	if oe, ok := err.(*ObjectError); ok {
		return oe.Err
	}
	return err
}

// scanObject reads one object through and classifies what is wrong. An
// error with kind "" is not about the object: the sink failed, or ctx ended.
func (o options) scanObject(ctx context.Context, s sink.Sink, e *entry) (ProblemKind, error) {
	key := e.name.Key
	vr, closeFn, err := o.openObject(ctx, s, e.name)
	if err != nil {
		var oe *ObjectError
		if errors.As(err, &oe) {
			return ProblemUnreadable, oe.Err
		}
		return "", err
	}
	defer closeFn()
	h, err := object.Scan(e.name.Kind, bufio.NewReaderSize(vr, 64<<10))
	if ioErr := vr.ioErr(key); ioErr != nil {
		return "", ioErr
	}
	switch {
	case vr.Err() != nil:
		return ProblemChecksum, vr.Err()
	case errors.Is(err, object.ErrTruncated):
		return ProblemTruncated, err
	case err != nil:
		return ProblemCorrupt, err
	case !h.Legacy() && !vr.Checked():
		return ProblemChecksum, errors.New("checksum missing")
	case e.read && e.err == nil && h != e.hdr:
		return ProblemCorrupt, errors.New("header changed while verifying")
	}
	return "", nil
}
