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

// entry is one backup object of the sink, with its header.
type entry struct {
	name object.Name
	size int64
	hdr  object.Header
	err  error // the header could not be read
}

func (e *entry) point(base string) Point {
	return Point{Key: e.name.Key, Kind: e.name.Kind, Time: e.name.Time(), Seq: e.hdr.Seq, Size: e.size, Chain: e.hdr.Chain, Base: base}
}

// chain is a full backup and the deltas that build on it.
type chain struct {
	full   *entry
	deltas []*entry // every delta of the chain, in time order
	points []*entry // the full and the deltas that continue it without a gap
	gap    error    // why deltas after points cannot be applied (*GapError), if any
	gapAt  *entry   // the delta where the gap shows
}

// catalog is what a sink holds, from names and headers only.
type catalog struct {
	entries    []*entry // time order
	chains     []*chain // by time of the full backup
	orphans    []*entry // deltas whose full backup is missing
	unreadable []*entry
}

// headerReaders bounds the header reads in flight.
const headerReaders = 8

// readCatalog lists s and reads the headers of the backup objects. With a
// skip function, the objects before the time it returns (in microseconds)
// are left out, headers unread.
func readCatalog(ctx context.Context, s sink.Sink, skip func([]object.Name) int64, o options) (*catalog, error) {
	objs, err := s.List(ctx, object.CommonPrefix)
	if err != nil {
		return nil, fmt.Errorf("restore: list: %w", err)
	}
	c := &catalog{}
	for _, o := range objs {
		if n, ok := object.Parse(o.Key); ok {
			c.entries = append(c.entries, &entry{name: n, size: o.Size})
		}
	}
	sort.SliceStable(c.entries, func(i, j int) bool {
		a, b := c.entries[i].name, c.entries[j].name
		if a.Micros != b.Micros {
			return a.Micros < b.Micros
		}
		return a.Key < b.Key
	})
	if skip != nil {
		names := make([]object.Name, len(c.entries))
		for i, e := range c.entries {
			names[i] = e.name
		}
		from := skip(names)
		i := 0
		for i < len(c.entries) && c.entries[i].name.Micros < from {
			i++
		}
		c.entries = c.entries[i:]
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, headerReaders)
	for _, e := range c.entries {
		wg.Add(1)
		sem <- struct{}{}
		go func(e *entry) {
			defer wg.Done()
			defer func() { <-sem }()
			e.hdr, e.err = o.readHeader(ctx, s, e.name)
		}(e)
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	c.build()
	return c, nil
}

func (o options) readHeader(ctx context.Context, s sink.Sink, n object.Name) (object.Header, error) {
	r, closeFn, err := o.openObject(ctx, s, n)
	if err != nil {
		var oe *ObjectError
		if errors.As(err, &oe) {
			return object.Header{}, oe.Err
		}
		return object.Header{}, err
	}
	defer closeFn()
	h, err := object.ReadHeader(n.Kind, r)
	if err != nil {
		return h, err
	}
	return h, checkName(h, n)
}

// checkName checks that the name and the header agree on how the object is
// stored. Legacy objects carry no header: their names are all there is.
func checkName(h object.Header, n object.Name) error {
	if h.Legacy() {
		return nil
	}
	if h.Encoding() != n.Encoding {
		return fmt.Errorf("header says %s, the name says %s", h.Encoding().Ext(), n.Ext())
	}
	return nil
}

// build groups the entries into chains.
func (c *catalog) build() {
	byKey := map[string]*chain{}
	var legacy *chain // the newest legacy full so far
	for _, e := range c.entries {
		switch {
		case e.err != nil:
			c.unreadable = append(c.unreadable, e)
		case e.name.Kind == object.KindFull:
			ch := &chain{full: e}
			c.chains = append(c.chains, ch)
			byKey[e.name.Key] = ch
			if e.hdr.Legacy() {
				legacy = ch
			}
		case e.hdr.Legacy():
			// A Python-written delta follows the newest Python-written full.
			if legacy == nil {
				c.orphans = append(c.orphans, e)
				continue
			}
			legacy.deltas = append(legacy.deltas, e)
		default:
			ch := byKey[e.hdr.Base]
			if ch == nil || ch.full.hdr.Chain != e.hdr.Chain {
				c.orphans = append(c.orphans, e)
				continue
			}
			ch.deltas = append(ch.deltas, e)
		}
	}
	for _, ch := range c.chains {
		ch.walk()
	}
}

// walk finds the deltas that continue the full backup without a gap.
func (ch *chain) walk() {
	ch.points = []*entry{ch.full}
	if ch.full.hdr.Legacy() {
		ch.points = append(ch.points, ch.deltas...)
		return
	}
	cur := ch.full.hdr.Seq
	for _, d := range ch.deltas {
		if d.hdr.FromSeq != cur {
			ch.gap = &GapError{Key: d.name.Key, From: cur, To: d.hdr.FromSeq}
			ch.gapAt = d
			return
		}
		ch.points = append(ch.points, d)
		cur = d.hdr.Seq
	}
}

// points returns every restorable point, oldest first.
func (c *catalog) points() []Point {
	var out []Point
	for _, ch := range c.chains {
		for _, e := range ch.points {
			out = append(out, e.point(ch.full.name.Key))
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out
}

// target says which backup point a restore asks for.
type target struct {
	// skip, if set, returns the time before which no object can matter, so
	// their headers need not be read.
	skip func(names []object.Name) int64
	// accept reports whether the object's state is at or before the target.
	// For an object whose header is unreadable it must answer by time.
	accept func(e *entry) bool
	// beyond reports whether the target lies after the object's state, so
	// that a missing later delta could be the answer.
	beyond func(e *entry) bool
}

// plan returns the objects to restore for the newest point at or before t:
// the newest accepted full backup and the deltas of its chain. It fails,
// naming the object, when an object that could belong to the answer is
// unreadable or a delta before the answer is missing.
func (c *catalog) plan(t target) ([]*entry, error) {
	var ch *chain
	for i := len(c.chains) - 1; i >= 0; i-- {
		if t.accept(c.chains[i].full) {
			ch = c.chains[i]
			break
		}
	}
	// An unreadable object after the chosen full backup (or at all, if
	// there is none) might be a newer full backup or a delta of the chain:
	// the answer is unknown.
	after := int64(math.MinInt64)
	if ch != nil {
		after = ch.full.name.Micros
	}
	for i := len(c.unreadable) - 1; i >= 0; i-- {
		if e := c.unreadable[i]; e.name.Micros > after && t.accept(e) {
			return nil, &ObjectError{Key: e.name.Key, Err: fmt.Errorf("header unreadable: %w", e.err)}
		}
	}
	if ch == nil {
		return nil, ErrNoBackup
	}
	n := 0
	for n < len(ch.points) && t.accept(ch.points[n]) {
		n++
	}
	if ch.gap != nil && n == len(ch.points) && t.beyond(ch.points[n-1]) {
		return nil, ch.gap
	}
	return ch.points[:n], nil
}

// atTime targets the newest point written at or before tm; the zero time
// means the newest of all.
func atTime(tm time.Time) target {
	micros := tm.UnixMicro()
	if tm.IsZero() {
		micros = math.MaxInt64
	}
	return target{
		// Only the newest full backup at or before tm and what follows it
		// matter: the rest is not read.
		skip: func(names []object.Name) int64 {
			for i := len(names) - 1; i >= 0; i-- {
				if names[i].Kind == object.KindFull && names[i].Micros <= micros {
					return names[i].Micros
				}
			}
			return math.MinInt64
		},
		accept: func(e *entry) bool { return e.name.Micros <= micros },
		beyond: func(e *entry) bool { return micros > e.name.Micros },
	}
}

// atSeq targets the newest point whose sequence number is at most seq.
// Python-written backups have none and never match.
func atSeq(seq uint64) target {
	return target{
		accept: func(e *entry) bool {
			if e.err != nil {
				return true // cannot tell: plan reports it
			}
			return !e.hdr.Legacy() && e.hdr.Seq <= seq
		},
		beyond: func(e *entry) bool { return seq > e.hdr.Seq },
	}
}
