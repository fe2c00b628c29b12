package backup

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/go-multierror"

	"github.com/dictdb/dictdb-go/catalog"
	"github.com/dictdb/dictdb-go/sink"
)

// Prune applies the retention policy r to the backups in s: it keeps the
// points r selects and deletes the objects that no kept point needs. It
// lists s once and reads each object's header once (catalog.Read), never
// a payload.
//
// Prune is conservative. A kept delta keeps its chain's full backup and
// every earlier delta. The active chain (that of the newest full backup,
// and any chain with points after it) is never touched. Objects that are
// not points of a chain are never deleted: those whose header cannot be
// read, orphan deltas, deltas after a gap; and a chain they may belong to
// stays whole. Objects written while Prune runs are not in its listing and
// are never touched, nor are keys that are not backup objects. Every object
// left in place is in the result's Retained with its reason.
//
// Deletion goes from the newest object to the oldest, so within a chain
// the deltas go before their full backup, newest first: if Prune stops
// half-way, every remaining delta still has its full backup and every
// earlier delta, and every remaining point restores. When a deletion
// fails, the older objects of that chain are not deleted (the failed one
// still needs them); the other chains go on. The failures are returned
// together (a *multierror.Error, each naming its key), with the partial
// result.
//
// A Retention that keeps nothing is refused with ErrKeepNothing.
func Prune(ctx context.Context, s sink.Sink, r Retention, opts PruneOptions) (*PruneResult, error) {
	if err := r.check(); err != nil {
		return nil, fmt.Errorf("backup: prune: %w", err)
	}
	if r.IsZero() {
		return nil, ErrKeepNothing
	}
	// 1. Read the catalog.
	c, err := catalog.Read(ctx, s, catalog.Options{Identities: opts.Identities})
	if err == nil {
		err = c.ReadHeaders(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("backup: prune: %w", err)
	}
	return pruneCatalog(ctx, s, c, r, opts)
}

// pruneCatalog is Prune on the catalog c of s, whose headers are read. It
// removes what it deletes from c.
func pruneCatalog(ctx context.Context, s sink.Sink, c *catalog.Catalog, r Retention, opts PruneOptions) (*PruneResult, error) {
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	p := newPrunePlan(c)
	// 2. Apply the policy.
	kept := r.selectPoints(p.points)
	res := &PruneResult{}
	for _, pt := range p.points {
		if kept[pt.Key] {
			res.Kept = append(res.Kept, pt)
		}
	}
	// 3. Classify: what must stay, and why.
	p.protectActive()
	for key := range kept {
		w := p.where[key]
		w.c.protect(w.i, RetainNeeded)
	}
	p.classifyOthers()
	p.protectFuture(now)
	doomed := p.doomed(kept)
	// 4. Delete.
	errs := p.delete(ctx, s, doomed, opts.DryRun, res)
	for _, obj := range c.Objects() {
		if r, ok := p.retained[obj.Key]; ok {
			res.Retained = append(res.Retained, r)
		}
	}
	return res, errs.ErrorOrNil()
}

// pchain is a full backup and the points that continue it, from the
// catalog's chains.
type pchain struct {
	id     string          // chain id; "" for Python-written chains
	points []catalog.Point // time order; points[0] is the full backup
	keep   []RetainReason  // per point: why it stays ("" = the policy may delete it)
}

// protect keeps c's points up to index i, which restoring point i needs,
// unless they already stay for an earlier reason.
func (c *pchain) protect(i int, reason RetainReason) {
	for j := 0; j <= i; j++ {
		if c.keep[j] == "" {
			c.keep[j] = reason
		}
	}
}

func (c *pchain) protectAll(reason RetainReason) { c.protect(len(c.points)-1, reason) }

// at is where a point is: its chain and index.
type at struct {
	c *pchain
	i int
}

// prunePlan is what Prune knows and decides, step by step.
type prunePlan struct {
	cat      *catalog.Catalog
	points   []catalog.Point // every chain's, oldest first
	chains   []*pchain
	byFull   map[string]*pchain
	where    map[string]at
	retained map[string]Retained
}

func newPrunePlan(c *catalog.Catalog) *prunePlan {
	p := &prunePlan{cat: c, byFull: map[string]*pchain{}, where: map[string]at{}, retained: map[string]Retained{}}
	for _, ch := range c.Chains() {
		pc := &pchain{id: ch.ID}
		p.chains = append(p.chains, pc)
		p.byFull[ch.Points[0].Key] = pc
		for _, pt := range ch.Points {
			p.where[pt.Key] = at{pc, len(pc.points)}
			pc.points = append(pc.points, pt)
			pc.keep = append(pc.keep, "")
		}
	}
	for _, obj := range c.Objects() { // name order
		if w, ok := p.where[obj.Key]; ok {
			p.points = append(p.points, w.c.points[w.i])
		}
	}
	return p
}

// protectActive keeps the active chain whole: that of the newest full
// backup, with any chain that has a point at or after it (two writers).
func (p *prunePlan) protectActive() {
	var newestFull time.Time
	for _, pt := range p.points {
		if pt.Kind == catalog.Full && pt.Time.After(newestFull) {
			newestFull = pt.Time
		}
	}
	for _, c := range p.chains {
		if last := c.points[len(c.points)-1]; !last.Time.Before(newestFull) {
			c.protectAll(RetainActive)
		}
	}
}

// newestFullBefore returns the chain of the newest full backup named
// before micros, or nil.
func (p *prunePlan) newestFullBefore(micros int64) *pchain {
	var found *pchain
	for _, c := range p.chains {
		if c.points[0].Time.UnixMicro() < micros {
			found = c
		}
	}
	return found
}

// classifyOthers retains every object that is not a point, with the
// chains it may belong to.
func (p *prunePlan) classifyOthers() {
	objs := p.cat.Objects()
	for i, obj := range objs {
		if _, ok := p.where[obj.Key]; ok {
			continue
		}
		reason, pin := p.classify(obj)
		p.retained[obj.Key] = Retained{Key: obj.Key, Reason: reason, Err: obj.Err}
		if pin != nil {
			pin.protectAll(RetainUncertain)
		}
		if reason == RetainUnreadable && obj.Kind == catalog.Full {
			// An unreadable full backup may be the base of the
			// Python-written deltas after it, which the catalog gives to an
			// earlier full backup: keep those deltas where they are.
			for _, next := range objs[i+1:] {
				if next.Kind == catalog.Full {
					break
				}
				if w, ok := p.where[next.Key]; ok && w.c.id == "" {
					w.c.protect(w.i, RetainUncertain)
				}
			}
		}
	}
}

// classify says why obj, which is not a point, stays, and which chain it
// may belong to, if any.
func (p *prunePlan) classify(obj *catalog.Object) (RetainReason, *pchain) {
	h := obj.Header
	switch {
	case obj.Err != nil:
		if obj.Kind == catalog.Delta {
			// It may be a delta of the chain before it.
			return RetainUnreadable, p.newestFullBefore(obj.Micros)
		}
		return RetainUnreadable, nil
	case obj.Kind == catalog.Full:
		return RetainUnlisted, nil
	case h.Legacy():
		// The catalog gives a Python-written delta to the newest
		// Python-written full backup before it.
		for c := p.newestFullBefore(obj.Micros); c != nil; c = p.newestFullBefore(c.points[0].Time.UnixMicro()) {
			if c.id == "" {
				return RetainUnlisted, c
			}
		}
		return RetainOrphan, nil
	}
	c := p.byFull[h.Base]
	if c == nil || c.id != h.Chain {
		return RetainOrphan, nil
	}
	if last := c.points[len(c.points)-1]; last.Time.UnixMicro() < obj.Micros && last.Seq == h.FromSeq {
		return RetainUnlisted, c
	}
	return RetainGap, c
}

// protectFuture keeps the points from a clock ahead of ours, with what
// they need.
func (p *prunePlan) protectFuture(now time.Time) {
	for _, pt := range p.points {
		if pt.Time.After(now) {
			w := p.where[pt.Key]
			w.c.protect(w.i, RetainFuture)
		}
	}
}

// doomed returns the points that nothing keeps, in name order, and records
// why the others stay.
func (p *prunePlan) doomed(kept map[string]bool) []catalog.Point {
	var out []catalog.Point
	for _, pt := range p.points {
		w := p.where[pt.Key]
		switch {
		case kept[pt.Key]:
		case w.c.keep[w.i] != "":
			p.retained[pt.Key] = Retained{Key: pt.Key, Reason: w.c.keep[w.i]}
		default:
			out = append(out, pt)
		}
	}
	return out
}

// delete deletes the doomed points newest first (deltas before the full
// backup they build on), stopping a chain at its first failure, and fills
// in res.Deleted and res.Bytes.
func (p *prunePlan) delete(ctx context.Context, s sink.Sink, doomed []catalog.Point, dryRun bool, res *PruneResult) *multierror.Error {
	var errs *multierror.Error
	failed := map[*pchain]string{} // chain -> the key whose deletion failed
	deleted := map[string]bool{}
	var stopped error // the context ended
	for i := len(doomed) - 1; i >= 0; i-- {
		pt := doomed[i]
		c := p.where[pt.Key].c
		if !dryRun && stopped == nil {
			if err := ctx.Err(); err != nil {
				stopped = err
				errs = multierror.Append(errs, fmt.Errorf("backup: prune: stopped before deleting %s: %w", pt.Key, err))
			}
		}
		switch {
		case stopped != nil:
			p.retained[pt.Key] = Retained{Key: pt.Key, Reason: RetainDeleteFailed, Err: stopped}
			continue
		case failed[c] != "":
			p.retained[pt.Key] = Retained{Key: pt.Key, Reason: RetainDeleteFailed,
				Err: fmt.Errorf("needed by %s, which could not be deleted", failed[c])}
			continue
		case dryRun:
			deleted[pt.Key] = true
			res.Bytes += pt.Size
			continue
		}
		err := s.Delete(ctx, pt.Key)
		switch {
		case errors.Is(err, sink.ErrNotFound):
			deleted[pt.Key] = true // already gone: nothing freed by us
			p.cat.Remove(pt.Key)
		case err != nil:
			failed[c] = pt.Key
			p.retained[pt.Key] = Retained{Key: pt.Key, Reason: RetainDeleteFailed, Err: err}
			errs = multierror.Append(errs, fmt.Errorf("backup: prune: delete %s: %w", pt.Key, err))
		default:
			deleted[pt.Key] = true
			res.Bytes += pt.Size
			p.cat.Remove(pt.Key)
		}
	}
	for _, pt := range doomed {
		if deleted[pt.Key] {
			res.Deleted = append(res.Deleted, pt.Key)
		}
	}
	return errs
}
