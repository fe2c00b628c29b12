package restore

import (
	"context"
	"sort"
	"sync"

	"github.com/hashicorp/go-multierror"

	"github.com/dictdb/dictdb-go/catalog"
	"github.com/dictdb/dictdb-go/sink"
)

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
	c, err := catalog.Read(ctx, s, o.catalog())
	if err == nil {
		err = c.ReadHeaders(ctx)
	}
	if err != nil {
		return nil, wrap(ctx, err)
	}
	r := &Report{}
	// Read every object whose header reads through.
	bad := map[string]bool{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, objectScanners)
	for _, obj := range c.Objects() {
		if obj.Err != nil {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(obj *catalog.Object) {
			defer wg.Done()
			defer func() { <-sem }()
			kind, err := catalog.Verify(ctx, s, obj.Name, o.identities, &obj.Header)
			if err != nil {
				if kind == "" {
					kind = ProblemUnreadable // the sink failed to give it
				}
				mu.Lock()
				bad[obj.Key] = true
				r.Problems = append(r.Problems, Problem{Key: obj.Key, Kind: kind, Err: err})
				mu.Unlock()
			}
		}(obj)
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, wrap(ctx, err)
	}
	for _, p := range c.Misfits() {
		if !bad[p.Key] {
			r.Problems = append(r.Problems, p)
		}
	}
	for _, points := range c.RegionPoints() {
		for _, p := range points {
			if bad[p.Key] {
				break
			}
			r.Points = append(r.Points, p)
		}
	}
	sort.SliceStable(r.Points, func(i, j int) bool { return r.Points[i].Time.Before(r.Points[j].Time) })
	sort.SliceStable(r.Problems, func(i, j int) bool { return r.Problems[i].Key < r.Problems[j].Key })
	return r, nil
}
