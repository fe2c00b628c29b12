package backup

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"filippo.io/age"
	"github.com/hashicorp/go-multierror"

	"github.com/dictdb/dictdb-go/internal/object"
	"github.com/dictdb/dictdb-go/restore"
	"github.com/dictdb/dictdb-go/sink"
)

// Retention says which backup points to keep; Prune deletes the objects
// that no kept point needs. The zero value keeps everything.
//
// The rules work like restic's forget: the points are taken newest first;
// KeepLast keeps the newest N; KeepDaily keeps, for each of the newest N
// distinct UTC days that have a point, the newest point of that day;
// KeepWeekly does the same for ISO weeks (UTC). A point is kept if any rule
// keeps it.
type Retention struct {
	KeepLast   int // the newest N points
	KeepDaily  int // the newest point of each of the last N days that have one
	KeepWeekly int // the newest point of each of the last N ISO weeks that have one
}

// IsZero reports whether r keeps everything.
func (r Retention) IsZero() bool { return r == Retention{} }

func (r Retention) check() error {
	if r.KeepLast < 0 || r.KeepDaily < 0 || r.KeepWeekly < 0 {
		return fmt.Errorf("retention counts must not be negative, got %+v", r)
	}
	return nil
}

// ErrKeepNothing is returned by Prune for a Retention that keeps no point:
// it would delete every backup, so Prune refuses.
var ErrKeepNothing = errors.New("backup: prune: the retention policy keeps nothing (set KeepLast, KeepDaily or KeepWeekly)")

// PruneOptions configure Prune.
type PruneOptions struct {
	// DryRun plans only: the result says what a real run would delete, and
	// nothing is deleted.
	DryRun bool
	// Identities open the headers of encrypted backups. Without one that
	// opens an object, the object is never deleted.
	Identities []age.Identity
	// Now is the time the prune runs (zero: time.Now()). Objects named
	// after it, written by a writer whose clock runs ahead, are kept.
	Now time.Time
}

// PruneResult says what Prune kept and deleted (or would delete, in a dry
// run). Every backup object in the sink is in exactly one of Kept (by its
// point), Deleted and Retained.
type PruneResult struct {
	Kept     []restore.Point // the points the policy keeps, oldest first
	Deleted  []string        // object keys deleted (or to delete), oldest first
	Retained []Retained      // the other objects left in place and why, oldest first
	Bytes    int64           // bytes freed (or to free)
}

// Retained is a backup object that Prune leaves in place although no rule
// keeps its point, and why.
type Retained struct {
	Key    string
	Reason RetainReason
	Err    error // for RetainUnreadable, why the header is unreadable; for RetainDeleteFailed, the failure
}

// String returns the key, the reason and the error, if any.
func (r Retained) String() string {
	if r.Err != nil {
		return fmt.Sprintf("%s: %s: %v", r.Key, r.Reason, r.Err)
	}
	return fmt.Sprintf("%s: %s", r.Key, r.Reason)
}

// RetainReason says why Prune left an object in place.
type RetainReason string

// The reasons, in the order Prune considers them: an object that has
// several gets the first.
const (
	// RetainActive: part of the active chain (the newest, which a manager
	// may still be writing), or of a chain written alongside it.
	RetainActive RetainReason = "in the active chain"
	// RetainNeeded: the full backup or an earlier delta of a kept point's
	// chain, which restoring that point needs.
	RetainNeeded RetainReason = "needed by a kept point"
	// RetainUnreadable: its header cannot be read (corrupt, missing, or
	// encrypted without the identity): it is kept as evidence.
	RetainUnreadable RetainReason = "header unreadable"
	// RetainOrphan: a delta whose full backup is not in the sink.
	RetainOrphan RetainReason = "delta of no chain in the sink"
	// RetainGap: a delta that does not continue its chain.
	RetainGap RetainReason = "delta after a gap in its chain"
	// RetainUnlisted: readable, but not a point of the catalog Prune read
	// first: written during the prune, or unreadable then.
	RetainUnlisted RetainReason = "not a point when the prune began"
	// RetainUncertain: in a chain that an unreadable, gapped or unlisted
	// object may belong to or build on; kept with it.
	RetainUncertain RetainReason = "may be needed by an object that cannot be placed"
	// RetainFuture: named after PruneOptions.Now, or needed by such a point.
	RetainFuture RetainReason = "written after now"
	// RetainDeleteFailed: its deletion failed, or it is needed by a later
	// object of its chain whose deletion failed (or was not attempted
	// because the context ended).
	RetainDeleteFailed RetainReason = "deletion failed"
)

// pchain is a full backup and the points that continue it, from the
// restore catalog.
type pchain struct {
	id     string          // chain id; "" for Python-written chains
	points []restore.Point // time order; points[0] is the full backup
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

// Prune applies the retention policy r to the backups in s: it keeps the
// points r selects and deletes the objects that no kept point needs. It
// reads the chains from the restore catalog (restore.Chains), object
// headers only.
//
// Prune is conservative. A kept delta keeps its chain's full backup and
// every earlier delta. The active chain (that of the newest full backup,
// and any chain with points after it) is never touched. Objects that are
// not restorable points are never deleted: those whose header cannot be
// read, orphan deltas, deltas after a gap, objects written while Prune
// runs; and a chain they may belong to stays whole. Keys that are not
// backup objects are never touched. Every object left in place is in the
// result's Retained with its reason.
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
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	chainList, err := restore.Chains(ctx, s, restore.WithIdentities(opts.Identities...))
	if err != nil {
		return nil, fmt.Errorf("backup: prune: %w", err)
	}
	var points []restore.Point
	for _, c := range chainList {
		points = append(points, c.Points...)
	}
	sort.SliceStable(points, func(i, j int) bool { return points[i].Time.Before(points[j].Time) })
	// Listed after the catalog: an object written in between is not a point
	// and stays.
	infos, err := s.List(ctx, object.CommonPrefix)
	if err != nil {
		return nil, fmt.Errorf("backup: prune: list: %w", err)
	}
	var names []object.Name
	size := map[string]int64{}
	for _, o := range infos {
		if n, ok := object.Parse(o.Key); ok {
			names = append(names, n)
			size[o.Key] = o.Size
		}
	}
	object.Sort(names)

	// The chains, from the catalog's points.
	var chains []*pchain
	byFull := map[string]*pchain{}
	type at struct {
		c *pchain
		i int
	}
	where := map[string]at{}
	for _, p := range points { // oldest first: each full before its deltas
		c := byFull[p.Base]
		if c == nil {
			c = &pchain{id: p.Chain}
			byFull[p.Base] = c
			chains = append(chains, c)
		}
		where[p.Key] = at{c, len(c.points)}
		c.points = append(c.points, p)
		c.keep = append(c.keep, "")
	}

	// The policy.
	kept := r.selectPoints(points)
	res := &PruneResult{}
	for _, p := range points {
		if kept[p.Key] {
			res.Kept = append(res.Kept, p)
		}
	}
	// The active chain: that of the newest full backup, with any chain
	// that has a point at or after it (two writers).
	var newestFull time.Time
	for _, p := range points {
		if p.Kind == object.KindFull && p.Time.After(newestFull) {
			newestFull = p.Time
		}
	}
	for _, c := range chains {
		if last := c.points[len(c.points)-1]; !last.Time.Before(newestFull) {
			c.protectAll(RetainActive)
		}
	}
	// What the kept points need: their chain up to them.
	for key := range kept {
		w := where[key]
		w.c.protect(w.i, RetainNeeded)
	}

	// Objects that are not points stay; so do the chains they may belong to.
	retained := map[string]Retained{}
	newestFullBefore := func(micros int64) *pchain {
		var found *pchain
		for _, c := range chains {
			if c.points[0].Time.UnixMicro() < micros {
				found = c
			}
		}
		return found
	}
	for i, n := range names {
		if _, ok := where[n.Key]; ok {
			continue
		}
		reason, pin, err := classify(ctx, s, n, opts.Identities, byFull, newestFullBefore)
		retained[n.Key] = Retained{Key: n.Key, Reason: reason, Err: err}
		if pin != nil {
			pin.protectAll(RetainUncertain)
		}
		if reason == RetainUnreadable && n.Kind == object.KindFull {
			// An unreadable full backup may be the base of the
			// Python-written deltas after it, which the catalog gives to an
			// earlier full backup: keep those deltas where they are.
			for _, m := range names[i+1:] {
				if m.Kind == object.KindFull {
					break
				}
				if w, ok := where[m.Key]; ok && w.c.id == "" {
					w.c.protect(w.i, RetainUncertain)
				}
			}
		}
	}

	// Points from a clock ahead of ours stay, with what they need.
	for _, p := range points {
		if p.Time.After(now) {
			w := where[p.Key]
			w.c.protect(w.i, RetainFuture)
		}
	}

	// The doomed: listed points that nothing keeps.
	var doomed []object.Name
	for _, n := range names {
		w, ok := where[n.Key]
		switch {
		case !ok:
		case kept[n.Key]:
		case w.c.keep[w.i] != "":
			retained[n.Key] = Retained{Key: n.Key, Reason: w.c.keep[w.i]}
		default:
			doomed = append(doomed, n)
		}
	}

	// Delete newest first: deltas before the full backup they build on.
	var errs *multierror.Error
	failed := map[*pchain]string{} // chain -> the key whose deletion failed
	var deleted []object.Name
	var stopped error // the context ended
	for i := len(doomed) - 1; i >= 0; i-- {
		n := doomed[i]
		c := where[n.Key].c
		if !opts.DryRun && stopped == nil {
			if err := ctx.Err(); err != nil {
				stopped = err
				errs = multierror.Append(errs, fmt.Errorf("backup: prune: stopped before deleting %s: %w", n.Key, err))
			}
		}
		switch {
		case stopped != nil:
			retained[n.Key] = Retained{Key: n.Key, Reason: RetainDeleteFailed, Err: stopped}
			continue
		case failed[c] != "":
			retained[n.Key] = Retained{Key: n.Key, Reason: RetainDeleteFailed,
				Err: fmt.Errorf("needed by %s, which could not be deleted", failed[c])}
			continue
		case opts.DryRun:
			deleted = append(deleted, n)
			res.Bytes += size[n.Key]
			continue
		}
		err := s.Delete(ctx, n.Key)
		switch {
		case errors.Is(err, sink.ErrNotFound):
			deleted = append(deleted, n) // already gone: nothing freed by us
		case err != nil:
			failed[c] = n.Key
			retained[n.Key] = Retained{Key: n.Key, Reason: RetainDeleteFailed, Err: err}
			errs = multierror.Append(errs, fmt.Errorf("backup: prune: delete %s: %w", n.Key, err))
		default:
			deleted = append(deleted, n)
			res.Bytes += size[n.Key]
		}
	}
	object.Sort(deleted)
	for _, n := range deleted {
		res.Deleted = append(res.Deleted, n.Key)
	}
	for _, n := range names {
		if r, ok := retained[n.Key]; ok {
			res.Retained = append(res.Retained, r)
		}
	}
	return res, errs.ErrorOrNil()
}

// selectPoints returns the keys of the points r keeps.
func (r Retention) selectPoints(points []restore.Point) map[string]bool {
	byAge := append([]restore.Point(nil), points...)
	sort.SliceStable(byAge, func(i, j int) bool {
		if !byAge[i].Time.Equal(byAge[j].Time) {
			return byAge[i].Time.After(byAge[j].Time)
		}
		return byAge[i].Key > byAge[j].Key
	})
	kept := map[string]bool{}
	days, weeks := r.KeepDaily, r.KeepWeekly
	var lastDay, lastWeek string
	for i, p := range byAge {
		t := p.Time.UTC()
		if i < r.KeepLast {
			kept[p.Key] = true
		}
		if day := t.Format(time.DateOnly); day != lastDay {
			lastDay = day
			if days > 0 {
				kept[p.Key] = true
				days--
			}
		}
		y, w := t.ISOWeek()
		if week := fmt.Sprintf("%d-W%02d", y, w); week != lastWeek {
			lastWeek = week
			if weeks > 0 {
				kept[p.Key] = true
				weeks--
			}
		}
	}
	return kept
}

// classify says why the object n, which is not a restorable point, stays,
// and which chain it may belong to, if any.
func classify(ctx context.Context, s sink.Sink, n object.Name, ids []age.Identity,
	byFull map[string]*pchain, newestFullBefore func(int64) *pchain) (RetainReason, *pchain, error) {
	h, err := readHeader(ctx, s, n, ids)
	switch {
	case err != nil:
		if n.Kind == object.KindDelta {
			// It may be a delta of the chain before it.
			return RetainUnreadable, newestFullBefore(n.Micros), err
		}
		return RetainUnreadable, nil, err
	case n.Kind == object.KindFull:
		return RetainUnlisted, nil, nil
	case h.Legacy():
		// The catalog gives a Python-written delta to the newest
		// Python-written full backup before it.
		for c := newestFullBefore(n.Micros); c != nil; c = newestFullBefore(c.points[0].Time.UnixMicro()) {
			if c.id == "" {
				return RetainUnlisted, c, nil
			}
		}
		return RetainOrphan, nil, nil
	}
	c := byFull[h.Base]
	if c == nil || c.id != h.Chain {
		return RetainOrphan, nil, nil
	}
	if last := c.points[len(c.points)-1]; last.Time.UnixMicro() < n.Micros && last.Seq == h.FromSeq {
		return RetainUnlisted, c, nil
	}
	return RetainGap, c, nil
}

// readHeader reads the header of the object n, as the restore catalog
// does: an object whose name and header disagree is unreadable.
func readHeader(ctx context.Context, s sink.Sink, n object.Name, ids []age.Identity) (object.Header, error) {
	rc, err := s.Get(ctx, n.Key)
	if err != nil {
		return object.Header{}, err
	}
	defer rc.Close()
	r, err := object.NewReader(sink.NewContextReader(ctx, rc), n.Encoding, ids)
	if err != nil {
		return object.Header{}, err
	}
	defer r.Close()
	h, err := object.ReadHeader(n.Kind, r)
	if err == nil && !h.Legacy() && h.Encoding() != n.Encoding {
		err = fmt.Errorf("header says %s, the name says %s", h.Encoding().Ext(), n.Ext())
	}
	return h, err
}
