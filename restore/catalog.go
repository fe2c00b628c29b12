package restore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/dictdb/dictdb-go/internal/object"
	"github.com/dictdb/dictdb-go/sink"
)

// Point is a restorable backup point: the state after one full backup or
// delta.
type Point struct {
	Key   string    // the object that completes this point
	Kind  string    // "full" or "delta"
	Time  time.Time // when the object was written (from its name)
	Seq   uint64    // the database's sequence number at this point (0 for Python-written backups)
	Size  int64     // the object's size in bytes
	Chain string    // the chain (generation) id; "" for Python-written backups
	Base  string    // the full backup the point builds on
}

// entry is one backup object of the sink, with its header once read.
type entry struct {
	name object.Name
	size int64
	read bool // hdr and err are set
	hdr  object.Header
	err  error       // the header could not be read, or disagrees with the name
	bad  ProblemKind // for err: ProblemUnreadable or ProblemMismatch
}

func (e *entry) point(base string) Point {
	return Point{Key: e.name.Key, Kind: e.name.Kind, Time: e.name.Time(), Seq: e.hdr.Seq, Size: e.size, Chain: e.hdr.Chain, Base: base}
}

// region is a full backup and every object after it, in name order, up to
// the next full backup: the objects a restore to any point in that span must
// account for. Objects before the first full backup form a region without
// one.
type region struct {
	full    *entry   // nil for the objects before the first full backup
	objects []*entry // name order; objects[0] is full, if any
	// points are the exact points: the full backup and the deltas that
	// continue it, up to the first object that does not fit.
	points  []*entry
	misfits []misfit // the objects that do not fit, name order
	overlap map[*entry]bool
}

// misfit is an object of a region that is not part of its full backup's
// chain, and why.
type misfit struct {
	e    *entry
	kind ProblemKind
	err  error // *ObjectError or *GapError, naming the object
}

// catalog is what a sink holds, from names and, where read, headers.
type catalog struct {
	entries []*entry // name order
	keys    map[string]*entry
	o       options
	s       sink.Sink
}

// headerReaders bounds the header reads in flight.
const headerReaders = 8

// listCatalog lists the backup objects of s, reading no header.
func listCatalog(ctx context.Context, s sink.Sink, o options) (*catalog, error) {
	objs, err := s.List(ctx, object.CommonPrefix)
	if err != nil {
		return nil, fmt.Errorf("restore: list: %w", err)
	}
	c := &catalog{keys: map[string]*entry{}, o: o, s: s}
	for _, o := range objs {
		if n, ok := object.Parse(o.Key); ok {
			e := &entry{name: n, size: o.Size}
			c.entries = append(c.entries, e)
			c.keys[n.Key] = e
		}
	}
	sort.SliceStable(c.entries, func(i, j int) bool {
		a, b := c.entries[i].name, c.entries[j].name
		if a.Micros != b.Micros {
			return a.Micros < b.Micros
		}
		return a.Key < b.Key
	})
	return c, nil
}

// readHeaders reads the headers of entries[from:to] not read yet.
func (c *catalog) readHeaders(ctx context.Context, from, to int) error {
	var wg sync.WaitGroup
	sem := make(chan struct{}, headerReaders)
	for _, e := range c.entries[from:to] {
		if e.read {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(e *entry) {
			defer wg.Done()
			defer func() { <-sem }()
			e.hdr, e.bad, e.err = c.o.readHeader(ctx, c.s, e.name)
			e.read = true
		}(e)
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	// A failed read that is not about the object (the sink, the network)
	// is not a property of the object: report it as such.
	for _, e := range c.entries[from:to] {
		if e.err != nil && e.bad == "" {
			return e.err
		}
	}
	return nil
}

// readAllHeaders reads every header for Verify and Chains, which report
// the objects they cannot read rather than stop: an object the sink failed
// to give counts as unreadable. Only the end of ctx stops them.
func (c *catalog) readAllHeaders(ctx context.Context) error {
	if err := c.readHeaders(ctx, 0, len(c.entries)); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return fmt.Errorf("restore: %w", ctxErr)
		}
	}
	for _, e := range c.entries {
		if e.err != nil && e.bad == "" {
			e.bad = ProblemUnreadable
		}
	}
	return nil
}

// readHeader reads the header of the object n and checks that it agrees
// with the name. bad classifies an err that is about the object; an error
// with bad == "" is about reaching it (the sink, the context).
func (o options) readHeader(ctx context.Context, s sink.Sink, n object.Name) (h object.Header, bad ProblemKind, err error) {
	r, closeFn, err := o.openObject(ctx, s, n)
	if err != nil {
		var oe *ObjectError
		if errors.As(err, &oe) {
			return object.Header{}, ProblemUnreadable, oe.Err
		}
		return object.Header{}, "", err
	}
	defer closeFn()
	h, err = object.ReadHeader(n.Kind, r)
	if err != nil {
		if ioErr := r.ioErr(n.Key); ioErr != nil {
			return h, "", ioErr
		}
		return h, ProblemUnreadable, err
	}
	if err := checkName(h, n); err != nil {
		return h, ProblemMismatch, err
	}
	return h, "", nil
}

// checkName checks that the name and the header agree on the object's kind
// (object.FromMeta checked it), how it is stored and when it was written.
// Legacy objects carry no header: their names are all there is.
func checkName(h object.Header, n object.Name) error {
	if h.Legacy() {
		return nil
	}
	if h.Encoding() != n.Encoding {
		return fmt.Errorf("header says %s, the name says %s", h.Encoding().Ext(), n.Ext())
	}
	if h.Micros() != n.Micros {
		return fmt.Errorf("header says written at %s, the name says %s: a copy under another name?",
			time.UnixMicro(h.Micros()).UTC().Format(time.RFC3339Nano), n.Time().Format(time.RFC3339Nano))
	}
	return nil
}

// fullBefore returns the index of the newest full backup whose index is at
// most i, or -1.
func (c *catalog) fullBefore(i int) int {
	for ; i >= 0; i-- {
		if c.entries[i].name.Kind == object.KindFull {
			return i
		}
	}
	return -1
}

// regions groups entries[:to] into regions, which must have their headers
// read.
func (c *catalog) regions(to int) []*region {
	var out []*region
	var cur *region
	for _, e := range c.entries[:to] {
		if e.name.Kind == object.KindFull || cur == nil {
			cur = &region{}
			if e.name.Kind == object.KindFull {
				cur.full = e
			}
			out = append(out, cur)
		}
		cur.objects = append(cur.objects, e)
	}
	for _, r := range out {
		r.walk(c.keys)
	}
	return out
}

// walk finds the region's points and misfits. Every object after the full
// backup must be a delta of its chain that continues the state before it.
// A delta may also start before that state if it continues an earlier point
// and every delta since was written by the same writer: a writer whose Put
// failed after storing the object writes the changes again, with the newer
// ones, from where its last acknowledged backup left off.
func (r *region) walk(keys map[string]*entry) {
	add := func(e *entry, kind ProblemKind, err error) {
		r.misfits = append(r.misfits, misfit{e: e, kind: kind, err: err})
	}
	rest := r.objects
	f := r.full
	switch {
	case f == nil:
	case f.err != nil:
		add(f, f.bad, &ObjectError{Key: f.name.Key, Err: f.err})
		rest = rest[1:]
		f = nil
	default:
		r.points = []*entry{f}
		rest = rest[1:]
	}
	onPath := f != nil
	known := true // cur is the state of the last delta that fits
	var cur uint64
	if f != nil {
		cur = f.hdr.Seq
	}
	for _, e := range rest {
		kind, err := r.fit(e, f, keys, cur, known)
		switch {
		case err == nil:
			if onPath {
				r.points = append(r.points, e)
			}
		case kind == ProblemGap:
			add(e, kind, err)
			onPath = false
		default:
			add(e, kind, err)
			onPath = false
			if e.err != nil || f == nil || e.hdr.Chain != f.hdr.Chain {
				if e.err != nil {
					known = false // it may have moved the chain on
				}
				continue
			}
		}
		if e.err == nil && f != nil && !f.hdr.Legacy() && e.hdr.Chain == f.hdr.Chain {
			cur, known = e.hdr.Seq, true
		}
	}
}

// fit says why the delta e does not continue the chain of the full backup
// f (nil: none) at state cur, or returns nil.
func (r *region) fit(e, f *entry, keys map[string]*entry, cur uint64, known bool) (ProblemKind, error) {
	key := e.name.Key
	objErr := func(format string, args ...any) error {
		return &ObjectError{Key: key, Err: fmt.Errorf(format, args...)}
	}
	if e.err != nil {
		return e.bad, &ObjectError{Key: key, Err: e.err}
	}
	if f == nil {
		if r.full != nil {
			return ProblemOrphan, objErr("follows %s, a full backup that cannot be read", r.full.name.Key)
		}
		if e.hdr.Legacy() {
			return ProblemOrphan, objErr("a Python-written delta with no full backup before it")
		}
		if b := keys[e.hdr.Base]; b == nil {
			return ProblemOrphan, objErr("builds on %s, which is not in the sink", e.hdr.Base)
		}
		return ProblemOrphan, objErr("builds on %s, which is not readable", e.hdr.Base)
	}
	if f.hdr.Legacy() != e.hdr.Legacy() {
		if e.hdr.Legacy() {
			return ProblemOrphan, objErr("a Python-written delta after %s, which is not", f.name.Key)
		}
		return ProblemOrphan, objErr("a delta of chain %s after the Python-written %s", e.hdr.Chain, f.name.Key)
	}
	if e.hdr.Legacy() {
		return "", nil // Python-written deltas apply in name order
	}
	if e.hdr.Chain != f.hdr.Chain || e.hdr.Base != f.name.Key {
		b := keys[e.hdr.Base]
		switch {
		case b == nil:
			return ProblemOrphan, objErr("builds on %s, which is not in the sink", e.hdr.Base)
		case b.read && b.err == nil && b.hdr.Chain == e.hdr.Chain:
			return ProblemInterleaved, objErr("delta of chain %s (base %s) written after %s began chain %s: two writers on one prefix?",
				e.hdr.Chain, e.hdr.Base, f.name.Key, f.hdr.Chain)
		default:
			return ProblemOrphan, objErr("belongs to chain %s with base %s, which does not start that chain", e.hdr.Chain, e.hdr.Base)
		}
	}
	if !known || e.hdr.FromSeq == cur {
		return "", nil
	}
	if r.supersedes(e, cur) {
		if r.overlap == nil {
			r.overlap = map[*entry]bool{}
		}
		r.overlap[e] = true
		return "", nil
	}
	return ProblemGap, &GapError{Key: key, From: cur, To: e.hdr.FromSeq}
}

// supersedes reports whether the delta e, which starts before the state cur
// of the points so far, rewrites their changes from an earlier point on: it
// starts at a point, reaches at least cur, and it and every delta since
// that point come from one writer.
func (r *region) supersedes(e *entry, cur uint64) bool {
	h := e.hdr
	if h.Writer == "" || h.FromSeq > cur || h.Seq < cur {
		return false
	}
	for i := len(r.points) - 1; i >= 0; i-- {
		p := r.points[i]
		if p.hdr.Seq == h.FromSeq {
			return true
		}
		if p.name.Kind == object.KindFull || p.hdr.Writer != h.Writer || p.hdr.Seq < h.FromSeq {
			return false
		}
	}
	return false
}

// baseOf returns the key of the full backup of the region that holds the
// point e.
func baseOf(regions []*region, e *entry) string {
	for _, r := range regions {
		for _, p := range r.points {
			if p == e {
				return r.full.name.Key
			}
		}
	}
	return ""
}

// points returns every exact point of the regions, oldest first.
func points(regions []*region) []Point {
	var out []Point
	for _, r := range regions {
		for _, e := range r.points {
			out = append(out, e.point(r.full.name.Key))
		}
	}
	return out
}

// plan is what a restore reads: a full backup and the deltas after it.
type plan struct {
	path    []*entry
	overlap map[*entry]bool // deltas that start before the state they apply to
}

// choice is the point a target picks from the regions: regions[r].points[at]
// (at -1: none), and the objects that keep it from being exact.
type choice struct {
	r   *region
	at  int
	bad []misfit
}

func (ch choice) point() *entry {
	if ch.r == nil || ch.at < 0 {
		return nil
	}
	return ch.r.points[ch.at]
}

// target says which backup point a restore asks for.
type target struct {
	// cut returns the index of the last entry that can matter, from the
	// names alone.
	cut func(c *catalog) int
	// whole says that every header up to the cut matters, not only those
	// from the newest full backup at or before it on.
	whole bool
	// choose picks the point from the regions up to the cut.
	choose func(regions []*region) choice
	// accept reports whether an exact point is at or before the target.
	accept func(e *entry) bool
}

// atTime targets the newest point written at or before tm; the zero time
// means the newest of all.
func atTime(tm time.Time) target {
	micros := int64(math.MaxInt64)
	if !tm.IsZero() {
		micros = tm.UnixMicro()
	}
	return target{
		cut: func(c *catalog) int {
			return sort.Search(len(c.entries), func(i int) bool { return c.entries[i].name.Micros > micros }) - 1
		},
		// Every object from the newest full backup at or before the cut to
		// the cut must fit.
		choose: func(regions []*region) choice {
			if len(regions) == 0 {
				return choice{at: -1}
			}
			r := regions[len(regions)-1]
			return choice{r: r, at: len(r.points) - 1, bad: r.misfits}
		},
		accept: func(e *entry) bool { return e.name.Micros <= micros },
	}
}

// atSeq targets the newest point whose sequence number is at most seq.
// Python-written backups have none and never match.
func atSeq(seq uint64) target {
	accept := func(e *entry) bool { return !e.hdr.Legacy() && e.hdr.Seq <= seq }
	return target{
		cut:   func(c *catalog) int { return len(c.entries) - 1 },
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
			// Every object after the point that might hold a state at or
			// below seq must be accounted for.
			after := int64(math.MinInt64)
			if p := ch.point(); p != nil {
				after = p.name.Micros
			}
			for _, r := range regions {
				short := r == ch.r && ch.point().hdr.Seq < seq
				for _, m := range r.misfits {
					if m.e.name.Micros > after && mayHold(m.e, seq, short) {
						ch.bad = append(ch.bad, m)
					}
				}
			}
			return ch
		},
		accept: accept,
	}
}

// mayHold reports whether the object e, which does not fit, may hold a
// state at or below seq, or follow a gap that may. short says that the
// point chosen in e's region is below seq.
func mayHold(e *entry, seq uint64, short bool) bool {
	if e.err != nil || e.hdr.Legacy() || short {
		return true
	}
	if e.name.Kind == object.KindFull {
		return e.hdr.Seq <= seq
	}
	return e.hdr.FromSeq < seq
}

// plan returns what to restore for the target t, reading the headers it
// needs. It fails with an *UnaccountedError when an object the target must
// account for does not fit, and with ErrNoBackup when the sink holds no
// backup point at or before the target and nothing that could be one.
func (c *catalog) plan(ctx context.Context, t target) (*plan, error) {
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
	regions := c.regionsFrom(from, cut+1)
	ch := t.choose(regions)
	if len(ch.bad) == 0 {
		if ch.point() == nil {
			return nil, ErrNoBackup
		}
		return &plan{path: ch.r.points[:ch.at+1], overlap: ch.r.overlap}, nil
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
	all := c.regions(cut + 1)
	ch = t.choose(all[len(all)-len(regions):]) // the same choice, with every base's header known
	newest := ch.point()
	if first := ch.bad[0].e.name.Micros; newest == nil || newest.name.Micros >= first {
		newest = exactBefore(all, func(e *entry) bool { return e.name.Micros < first && t.accept(e) })
	}
	return nil, c.unaccounted(ctx, ch.bad, all, newest)
}

// exactBefore returns the newest exact point of the regions that accept
// accepts, or nil.
func exactBefore(regions []*region, accept func(*entry) bool) *entry {
	var best *entry
	for _, r := range regions {
		for _, p := range r.points {
			if accept(p) && (best == nil || p.name.Micros > best.name.Micros) {
				best = p
			}
		}
	}
	return best
}

// regionsFrom groups entries[from:to] into regions; from must be a full
// backup or 0.
func (c *catalog) regionsFrom(from, to int) []*region {
	sub := &catalog{entries: c.entries[from:to], keys: c.keys}
	return sub.regions(to - from)
}

// unaccounted builds the error for the misfits bad, with newest as the
// newest exact point. Each misfit whose header was read is read through, so
// that a damaged object is reported as such rather than as a stranger.
func (c *catalog) unaccounted(ctx context.Context, bad []misfit, regions []*region, newest *entry) error {
	ue := &UnaccountedError{}
	missing := map[string]bool{}
	for _, m := range bad {
		err := m.err
		if m.e.err == nil {
			if kind, serr := c.o.scanObject(ctx, c.s, m.e); serr != nil {
				if kind == "" {
					return serr // not about the object: the sink or the context
				}
				err = &ObjectError{Key: m.e.name.Key, Err: serr}
			}
			if !m.e.hdr.Legacy() && m.e.name.Kind == object.KindDelta && c.keys[m.e.hdr.Base] == nil && !missing[m.e.hdr.Base] {
				missing[m.e.hdr.Base] = true
				ue.Missing = append(ue.Missing, m.e.hdr.Base)
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

// Chain is a full backup and the deltas that continue it without a gap,
// from headers alone: objects of other chains written in between do not
// end it, as they end the points a restore accepts (see Latest). It says
// what depends on what, which is what retention needs.
type Chain struct {
	ID     string  // the chain id; "" for Python-written backups
	Points []Point // Points[0] is the full backup; time order
}

// Chains returns the chains in s, by the time of their full backups,
// reading object headers only. A full backup whose header cannot be read
// (damaged, encrypted without the identity, or not given by the sink)
// starts no chain; deltas that name no chain's full backup, or follow a
// gap, are in none. The error is for failing to list the sink, and for a
// cancelled or timed-out ctx.
func Chains(ctx context.Context, s sink.Sink, opts ...Option) ([]Chain, error) {
	c, err := listCatalog(ctx, s, collect(opts))
	if err != nil {
		return nil, err
	}
	if err := c.readAllHeaders(ctx); err != nil {
		return nil, err
	}
	return c.chains(), nil
}

// chains groups the entries, every header read, into chains.
func (c *catalog) chains() []Chain {
	type building struct {
		full   *entry
		deltas []*entry
	}
	var all []*building
	byKey := map[string]*building{}
	var legacy *building // the newest Python-written full backup so far
	for _, e := range c.entries {
		switch {
		case e.err != nil:
		case e.name.Kind == object.KindFull:
			b := &building{full: e}
			all = append(all, b)
			byKey[e.name.Key] = b
			if e.hdr.Legacy() {
				legacy = b
			}
		case e.hdr.Legacy():
			// A Python-written delta follows the newest Python-written full.
			if legacy != nil {
				legacy.deltas = append(legacy.deltas, e)
			}
		default:
			if b := byKey[e.hdr.Base]; b != nil && b.full.hdr.Chain == e.hdr.Chain {
				b.deltas = append(b.deltas, e)
			}
		}
	}
	out := make([]Chain, 0, len(all))
	for _, b := range all {
		r := &region{full: b.full, objects: append([]*entry{b.full}, b.deltas...)}
		r.walk(c.keys)
		ch := Chain{ID: b.full.hdr.Chain}
		for _, e := range r.points {
			ch.Points = append(ch.Points, e.point(b.full.name.Key))
		}
		out = append(out, ch)
	}
	return out
}
