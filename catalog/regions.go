package catalog

import "fmt"

// region is a full backup and every object after it, in name order, up to
// the next full backup: the objects a restore to any point in that span
// must account for. Objects before the first full backup form a region
// without one.
type region struct {
	full    *Object   // nil for the objects before the first full backup
	objects []*Object // name order; objects[0] is full, if any
	// points are the exact points: the full backup and the deltas that
	// continue it, up to the first object that does not fit.
	points  []*Object
	misfits []misfit // the objects that do not fit, name order
	overlap map[*Object]bool
}

// misfit is an object of a region that is not part of its full backup's
// chain, and why.
type misfit struct {
	obj  *Object
	kind ProblemKind
	err  error // *ObjectError or *GapError, naming the object
}

// regions groups objects[from:to], whose headers must be read, into
// regions; from must be a full backup or 0.
func (c *Catalog) regions(from, to int) []*region {
	var out []*region
	var cur *region
	for _, obj := range c.objects[from:to] {
		if obj.Kind == Full || cur == nil {
			cur = &region{}
			if obj.Kind == Full {
				cur.full = obj
			}
			out = append(out, cur)
		}
		cur.objects = append(cur.objects, obj)
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
func (r *region) walk(keys map[string]*Object) {
	add := func(obj *Object, kind ProblemKind, err error) {
		r.misfits = append(r.misfits, misfit{obj: obj, kind: kind, err: err})
	}
	rest := r.objects
	f := r.full
	switch {
	case f == nil:
	case f.Err != nil:
		add(f, f.Problem, &ObjectError{Key: f.Key, Err: f.Err})
		rest = rest[1:]
		f = nil
	default:
		r.points = []*Object{f}
		rest = rest[1:]
	}
	onPath := f != nil
	known := true // cur is the state after the last delta of the chain
	var cur uint64
	if f != nil {
		cur = f.Header.Seq
	}
	for _, obj := range rest {
		kind, err := r.fit(obj, f, keys, cur, known)
		if err == nil {
			if onPath {
				r.points = append(r.points, obj)
			}
		} else {
			add(obj, kind, err)
			onPath = false
		}
		switch {
		case obj.Err != nil:
			known = false // it may have moved the chain on
		case f != nil && !f.Header.Legacy() && obj.Header.Chain == f.Header.Chain && obj.Header.Base == f.Key:
			cur, known = obj.Header.Seq, true
		}
	}
}

// fit says why the delta obj does not continue the chain of the full
// backup f (nil: none) at state cur, or returns nil.
func (r *region) fit(obj, f *Object, keys map[string]*Object, cur uint64, known bool) (ProblemKind, error) {
	key := obj.Key
	objErr := func(format string, args ...any) error {
		return &ObjectError{Key: key, Err: fmt.Errorf(format, args...)}
	}
	if obj.Err != nil {
		return obj.Problem, &ObjectError{Key: key, Err: obj.Err}
	}
	h := obj.Header
	if f == nil {
		switch {
		case r.full != nil:
			return ProblemOrphan, objErr("follows %s, a full backup that cannot be read", r.full.Key)
		case h.Legacy():
			return ProblemOrphan, objErr("a Python-written delta with no full backup before it")
		case keys[h.Base] == nil:
			return ProblemOrphan, objErr("builds on %s, which is not in the sink", h.Base)
		}
		return ProblemOrphan, objErr("builds on %s, which is not before it", h.Base)
	}
	if f.Header.Legacy() != h.Legacy() {
		if h.Legacy() {
			return ProblemOrphan, objErr("a Python-written delta after %s, which is not", f.Key)
		}
		return ProblemOrphan, objErr("a delta of chain %s after the Python-written %s", h.Chain, f.Key)
	}
	if h.Legacy() {
		return "", nil // Python-written deltas apply in name order
	}
	if h.Chain != f.Header.Chain || h.Base != f.Key {
		b := keys[h.Base]
		switch {
		case b == nil:
			return ProblemOrphan, objErr("builds on %s, which is not in the sink", h.Base)
		case b.read && b.Err == nil && b.Header.Chain == h.Chain:
			return ProblemInterleaved, objErr("delta of chain %s (base %s) written after %s began chain %s: two writers on one prefix?",
				h.Chain, h.Base, f.Key, f.Header.Chain)
		default:
			return ProblemOrphan, objErr("belongs to chain %s with base %s, which does not start that chain", h.Chain, h.Base)
		}
	}
	if !known || h.FromSeq == cur {
		return "", nil
	}
	if r.supersedes(obj, cur) {
		if r.overlap == nil {
			r.overlap = map[*Object]bool{}
		}
		r.overlap[obj] = true
		return "", nil
	}
	return ProblemGap, &GapError{Key: key, From: cur, To: h.FromSeq}
}

// supersedes reports whether the delta obj, which starts before the state
// cur of the points so far, rewrites their changes from an earlier point
// on: it starts at a point, reaches at least cur, and it and every delta
// since that point come from one writer.
func (r *region) supersedes(obj *Object, cur uint64) bool {
	h := obj.Header
	if h.Writer == "" || h.FromSeq > cur || h.Seq < cur {
		return false
	}
	for i := len(r.points) - 1; i >= 0; i-- {
		p := r.points[i]
		if p.Header.Seq == h.FromSeq {
			return true
		}
		if p.Kind == Full || p.Header.Writer != h.Writer || p.Header.Seq < h.FromSeq {
			return false
		}
	}
	return false
}

// baseOf returns the key of the full backup of the region that holds the
// point obj.
func baseOf(regions []*region, obj *Object) string {
	for _, r := range regions {
		for _, p := range r.points {
			if p == obj {
				return r.full.Key
			}
		}
	}
	return ""
}

// exactBefore returns the newest exact point of the regions that accept
// accepts, or nil.
func exactBefore(regions []*region, accept func(*Object) bool) *Object {
	var best *Object
	for _, r := range regions {
		for _, p := range r.points {
			if accept(p) && (best == nil || p.Micros > best.Micros) {
				best = p
			}
		}
	}
	return best
}
