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
// checksum, and the chains they form. It reports every problem, each with
// the object's key, not just the first: unreadable headers, truncated
// objects, checksum mismatches, gaps in a chain's sequence numbers, orphan
// deltas, and chains written interleaved (two writers on one prefix). The
// report's points are those that restore. The error is for failing to list
// the sink only.
func Verify(ctx context.Context, s sink.Sink, opts ...Option) (*Report, error) {
	o := collect(opts)
	c, err := readCatalog(ctx, s, nil, o)
	if err != nil {
		return nil, err
	}
	r := &Report{}
	add := func(e *entry, kind ProblemKind, err error) {
		r.Problems = append(r.Problems, Problem{Key: e.name.Key, Kind: kind, Err: err})
	}
	for _, e := range c.unreadable {
		add(e, ProblemUnreadable, e.err)
	}

	// Read every readable object through.
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
				mu.Lock()
				bad[e] = true
				add(e, kind, err)
				mu.Unlock()
			}
		}(e)
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("restore: verify: %w", err)
	}

	for _, e := range c.orphans {
		add(e, ProblemOrphan, fmt.Errorf("no full backup %q of chain %q in the sink", e.hdr.Base, e.hdr.Chain))
	}
	var lastOfChains []*chain // non-legacy chains, for the interleaving check
	for _, ch := range c.chains {
		if ch.gap != nil {
			add(ch.gapAt, ProblemGap, ch.gap)
		}
		for _, e := range ch.points {
			if bad[e] {
				break
			}
			r.Points = append(r.Points, e.point(ch.full.name.Key))
		}
		if !ch.full.hdr.Legacy() {
			lastOfChains = append(lastOfChains, ch)
		}
	}
	// A chain must end before the next one begins.
	for i, ch := range lastOfChains {
		for _, next := range lastOfChains[i+1:] {
			for _, d := range ch.deltas {
				if d.name.Micros > next.full.name.Micros {
					add(d, ProblemInterleaved, fmt.Errorf("delta of chain %s written after %s began chain %s: two writers on one prefix?", ch.full.hdr.Chain, next.full.name.Key, next.full.hdr.Chain))
					break
				}
			}
		}
	}
	sort.SliceStable(r.Points, func(i, j int) bool { return r.Points[i].Time.Before(r.Points[j].Time) })
	sort.SliceStable(r.Problems, func(i, j int) bool { return r.Problems[i].Key < r.Problems[j].Key })
	return r, nil
}

// scanObject reads one object through and classifies what is wrong.
func (o options) scanObject(ctx context.Context, s sink.Sink, e *entry) (ProblemKind, error) {
	vr, closeFn, err := o.openObject(ctx, s, e.name)
	if err != nil {
		return ProblemUnreadable, err
	}
	defer closeFn()
	h, err := object.Scan(e.name.Kind, bufio.NewReaderSize(vr, 64<<10))
	switch {
	case vr.Err() != nil:
		return ProblemChecksum, vr.Err()
	case errors.Is(err, object.ErrTruncated):
		return ProblemTruncated, err
	case err != nil:
		return ProblemCorrupt, err
	case !h.Legacy() && !vr.Checked():
		return ProblemChecksum, errors.New("checksum missing")
	}
	return "", nil
}
