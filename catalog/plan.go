package catalog

import (
	"context"
	"errors"
	"math"
	"sort"
	"time"
)

// Target says which backup point a restore asks for: Latest, AtTime or
// AtSeq.
type Target struct {
	// cut returns the index of the last object that can matter, from the
	// names alone.
	cut func(c *Catalog) int
	// whole says that every header up to the cut matters, not only those
	// from the newest full backup at or before it on.
	whole bool
	// choose picks the point from the regions up to the cut.
	choose func(regions []*region) choice
	// accept reports whether an exact point is at or before the target.
	accept func(obj *Object) bool
}

// choice is the point a target picks from the regions: r.points[at] (at
// -1: none), and the objects that keep it from being exact.
type choice struct {
	r   *region
	at  int
	bad []misfit
}

func (ch choice) point() *Object {
	if ch.r == nil || ch.at < 0 {
		return nil
	}
	return ch.r.points[ch.at]
}

// Latest targets the newest point.
func Latest() Target { return AtTime(time.Time{}) }

// AtTime targets the newest point written at or before tm: the newest full
// backup at or before tm and its chain's deltas up to tm. The objects from
// that full backup up to tm must all fit; those after tm do not matter.
// The zero time means the newest of all (Latest).
func AtTime(tm time.Time) Target {
	micros := int64(math.MaxInt64)
	if !tm.IsZero() {
		micros = tm.UnixMicro()
	}
	return Target{
		cut: func(c *Catalog) int {
			return sort.Search(len(c.objects), func(i int) bool { return c.objects[i].Micros > micros }) - 1
		},
		choose: func(regions []*region) choice {
			if len(regions) == 0 {
				return choice{at: -1}
			}
			r := regions[len(regions)-1]
			return choice{r: r, at: len(r.points) - 1, bad: r.misfits}
		},
		accept: func(obj *Object) bool { return obj.Micros <= micros },
	}
}

// AtSeq targets the newest point whose sequence number is at most seq. The
// objects from the point's full backup to the point must all fit its
// chain, and no object after the point that does not fit may hold a state
// at or below seq (or follow a gap that may), since that state could be
// the answer. It reads every header. Python-written backups carry no
// sequence numbers and are never chosen.
func AtSeq(seq uint64) Target {
	accept := func(obj *Object) bool { return !obj.Header.Legacy() && obj.Header.Seq <= seq }
	return Target{
		cut:   func(c *Catalog) int { return len(c.objects) - 1 },
		whole: true,
		choose: func(regions []*region) choice {
			ch := choice{at: -1}
			for _, r := range regions {
				for i, p := range r.points {
					if accept(p) {
						ch.r, ch.at = r, i
					}
				}
			}
			after := int64(math.MinInt64)
			if p := ch.point(); p != nil {
				after = p.Micros
			}
			for _, r := range regions {
				short := r == ch.r && ch.point().Header.Seq < seq
				for _, m := range r.misfits {
					if m.obj.Micros > after && mayHold(m.obj, seq, short) {
						ch.bad = append(ch.bad, m)
					}
				}
			}
			return ch
		},
		accept: accept,
	}
}

// mayHold reports whether the object obj, which does not fit, may hold a
// state at or below seq, or follow a gap that may. short says that the
// point chosen in obj's region is below seq.
func mayHold(obj *Object, seq uint64, short bool) bool {
	if obj.Err != nil || obj.Header.Legacy() || short {
		return true
	}
	if obj.Kind == Full {
		return obj.Header.Seq <= seq
	}
	return obj.Header.FromSeq < seq
}

// Plan is what a restore reads: a full backup, then deltas of its chain.
type Plan struct {
	// Steps are the objects to read, in order; Steps[0] is the full backup.
	Steps []Step
	c     *Catalog
	t     Target
}

// Step is one object of a Plan.
type Step struct {
	*Object
	// Overlap says that the delta starts before the state it applies to:
	// it rewrites the changes of the deltas before it since an earlier
	// point (the same writer wrote them all), and the new ones.
	Overlap bool
}

// Point returns the point step i restores.
func (p *Plan) Point(i int) Point { return p.Steps[i].point(p.Steps[0].Key) }

// Plan returns what to restore for the target t, reading the headers it
// needs: a restore is strict. It returns a plan only when every object
// from the chosen full backup onwards, in name order (up to the target),
// is accounted for: the full backup reads cleanly and agrees with its
// name, and each later object is a delta of its chain that continues the
// state before it. Otherwise it fails with an *UnaccountedError naming
// every object that does not fit and the newest point that restores
// exactly. It returns ErrNoBackup when the sink holds no backup object at
// or before the target. The payloads are not read: a restore checks them
// as it reads them (see Reader.Check), and NewestBefore names the point to
// fall back to.
func (c *Catalog) Plan(ctx context.Context, t Target) (*Plan, error) {
	cut := t.cut(c)
	if cut < 0 {
		return nil, ErrNoBackup
	}
	// Only the newest full backup at or before the cut and what follows
	// it matter: the rest is not read.
	from := max(c.fullBefore(cut), 0)
	if t.whole {
		from = 0
	}
	if err := c.readHeaders(ctx, from, cut+1); err != nil {
		return nil, err
	}
	regions := c.regions(from, cut+1)
	ch := t.choose(regions)
	if len(ch.bad) == 0 {
		if ch.point() == nil {
			return nil, ErrNoBackup
		}
		p := &Plan{c: c, t: t}
		for _, obj := range ch.r.points[:ch.at+1] {
			p.Steps = append(p.Steps, Step{Object: obj, Overlap: ch.r.overlap[obj]})
		}
		return p, nil
	}
	for _, m := range ch.bad {
		if errors.Is(m.err, ErrNoKey) {
			return nil, m.err // not damage: the identity is missing
		}
	}
	// The newest exact point may lie before the region: read the rest.
	if err := c.readHeaders(ctx, 0, cut+1); err != nil {
		return nil, err
	}
	all := c.regions(0, cut+1)
	ch = t.choose(all[len(all)-len(regions):]) // the same choice, with every base's header known
	newest := ch.point()
	if first := ch.bad[0].obj.Micros; newest == nil || newest.Micros >= first {
		newest = exactBefore(all, func(obj *Object) bool { return obj.Micros < first && t.accept(obj) })
	}
	return nil, c.unaccounted(ctx, ch.bad, all, newest)
}

// NewestBefore returns the newest point, before the step i of the plan,
// that restores exactly (by its headers), for a restore whose step i
// failed; nil if there is none.
func (p *Plan) NewestBefore(ctx context.Context, i int) *Point {
	if i > 0 {
		pt := p.Point(i - 1)
		return &pt
	}
	n := p.c.index(p.Steps[0].Object)
	if p.c.readHeaders(ctx, 0, n) != nil {
		return nil
	}
	before := p.c.regions(0, n)
	if obj := exactBefore(before, p.t.accept); obj != nil {
		pt := obj.point(baseOf(before, obj))
		return &pt
	}
	return nil
}

// unaccounted builds the error for the misfits bad, with newest as the
// newest exact point. Each misfit whose header was read is read through, so
// that a damaged object is reported as such rather than as a stranger.
func (c *Catalog) unaccounted(ctx context.Context, bad []misfit, regions []*region, newest *Object) error {
	ue := &UnaccountedError{}
	missing := map[string]bool{}
	for _, m := range bad {
		err := m.err
		obj := m.obj
		if obj.Err == nil {
			if kind, verr := Verify(ctx, c.s, obj.Name, c.o.Identities, &obj.Header); verr != nil {
				if kind == "" {
					return verr // not about the object: the sink or the context
				}
				err = &ObjectError{Key: obj.Key, Err: verr}
			}
			if !obj.Header.Legacy() && obj.Kind == Delta && c.keys[obj.Header.Base] == nil && !missing[obj.Header.Base] {
				missing[obj.Header.Base] = true
				ue.Missing = append(ue.Missing, obj.Header.Base)
			}
		}
		ue.Objects = append(ue.Objects, err)
	}
	if newest != nil {
		p := newest.point(baseOf(regions, newest))
		ue.Newest = &p
	}
	return ue
}

// Misfits returns, in name order, every object that does not fit where it
// is: unreadable headers, headers that disagree with their names, orphans,
// gaps, and deltas of a chain after a newer chain began. Every header must
// have been read. The payloads are not read: see Verify.
func (c *Catalog) Misfits() []Problem {
	var out []Problem
	for _, r := range c.regions(0, len(c.objects)) {
		for _, m := range r.misfits {
			err := m.err
			if oe, ok := err.(*ObjectError); ok {
				err = oe.Err
			}
			out = append(out, Problem{Key: m.obj.Key, Kind: m.kind, Err: err})
		}
	}
	return out
}

// RegionPoints returns the exact points of the catalog grouped by the
// full backup they build on, for Verify, which ends each group at the
// first object whose payload is bad. Every header must have been read.
func (c *Catalog) RegionPoints() [][]Point {
	var out [][]Point
	for _, r := range c.regions(0, len(c.objects)) {
		if len(r.points) == 0 {
			continue
		}
		var ps []Point
		for _, obj := range r.points {
			ps = append(ps, obj.point(r.full.Key))
		}
		out = append(out, ps)
	}
	return out
}
