package catalog

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"filippo.io/age"

	"github.com/dictdb/dictdb-go/sink"
)

// Point is a restorable backup point: the state after one full backup or
// delta.
type Point struct {
	Key   string    // the object that completes this point
	Kind  Kind      // Full or Delta
	Time  time.Time // when the object was written (from its name)
	Seq   uint64    // the database's sequence number at this point (0 for Python-written backups)
	Size  int64     // the object's size in bytes
	Chain string    // the chain (generation) id; "" for Python-written backups
	Base  string    // the full backup the point builds on
}

// Object is one backup object of a catalog, with its header once read.
type Object struct {
	Name
	Size int64
	// Header is the object's header, once read, when Err is nil.
	Header Header
	// Err says why the header could not be read, or disagrees with the
	// name; Problem classifies it (ProblemUnreadable or ProblemMismatch).
	// An Err with no Problem is not about the object: the sink failed to
	// give it.
	Err     error
	Problem ProblemKind
	read    bool
}

// HeaderRead reports whether the object's header was read (successfully
// or not).
func (o *Object) HeaderRead() bool { return o.read }

func (o *Object) point(base string) Point {
	return Point{Key: o.Key, Kind: o.Kind, Time: o.Time(), Seq: o.Header.Seq, Size: o.Size, Chain: o.Header.Chain, Base: base}
}

// Options configure how a catalog reads objects.
type Options struct {
	// Identities open encrypted objects. Without one that opens an
	// object, its header is unreadable (ErrNoKey).
	Identities []age.Identity
}

// Catalog is what a sink holds: its backup objects in name order, with
// their headers as they are read. It is the one object model of backup,
// retention, restore and the CLI: none of them lists, parses or reads
// headers on its own. A Catalog is not safe for concurrent use.
type Catalog struct {
	s       sink.Sink
	o       Options
	objects []*Object // name order
	keys    map[string]*Object
}

// headerReaders bounds the header reads in flight.
const headerReaders = 8

// Read lists the backup objects of s (keys under CommonPrefix that Parse
// accepts), reading no header yet.
func Read(ctx context.Context, s sink.Sink, o Options) (*Catalog, error) {
	infos, err := s.List(ctx, CommonPrefix)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			err = ctxErr
		}
		return nil, fmt.Errorf("list: %w", err)
	}
	c := New(s, o)
	for _, info := range infos {
		if n, ok := Parse(info.Key); ok {
			c.objects = append(c.objects, &Object{Name: n, Size: info.Size})
		}
	}
	sort.SliceStable(c.objects, func(i, j int) bool { return less(c.objects[i].Name, c.objects[j].Name) })
	for _, obj := range c.objects {
		c.keys[obj.Key] = obj
	}
	return c, nil
}

// Refresh lists the sink again, once: objects no longer there are
// forgotten, new ones are added with their headers unread, and the headers
// already read are kept, so ReadHeaders then reads only the new ones.
func (c *Catalog) Refresh(ctx context.Context) error {
	fresh, err := Read(ctx, c.s, c.o)
	if err != nil {
		return err
	}
	for i, obj := range fresh.objects {
		if old := c.keys[obj.Key]; old != nil && old.Size == obj.Size {
			fresh.objects[i] = old
			fresh.keys[obj.Key] = old
		}
	}
	c.objects, c.keys = fresh.objects, fresh.keys
	return nil
}

// New returns an empty catalog of s, for a writer that adds what it writes.
func New(s sink.Sink, o Options) *Catalog {
	return &Catalog{s: s, o: o, keys: map[string]*Object{}}
}

// Add records an object whose header is known, such as one just written.
// An object of the same key is replaced.
func (c *Catalog) Add(n Name, size int64, h Header) {
	obj := &Object{Name: n, Size: size, Header: h, read: true}
	if old := c.keys[n.Key]; old != nil {
		*old = *obj
		return
	}
	c.keys[n.Key] = obj
	i := sort.Search(len(c.objects), func(i int) bool { return !less(c.objects[i].Name, n) })
	c.objects = append(c.objects, nil)
	copy(c.objects[i+1:], c.objects[i:])
	c.objects[i] = obj
}

// Remove forgets the object key, as after deleting it.
func (c *Catalog) Remove(key string) {
	obj := c.keys[key]
	if obj == nil {
		return
	}
	delete(c.keys, key)
	i := c.index(obj)
	c.objects = append(c.objects[:i], c.objects[i+1:]...)
}

// Objects returns the catalog's objects in name order. The slice is the
// catalog's: do not change it.
func (c *Catalog) Objects() []*Object { return c.objects }

// Lookup returns the object key, or nil.
func (c *Catalog) Lookup(key string) *Object { return c.keys[key] }

// index returns the position of obj in c.objects.
func (c *Catalog) index(obj *Object) int {
	return sort.Search(len(c.objects), func(i int) bool { return !less(c.objects[i].Name, obj.Name) })
}

// readHeaders reads the headers of objects[from:to] not read yet. It
// returns the first error that is not about an object: the sink's, or the
// end of ctx.
func (c *Catalog) readHeaders(ctx context.Context, from, to int) error {
	var wg sync.WaitGroup
	sem := make(chan struct{}, headerReaders)
	for _, obj := range c.objects[from:to] {
		if obj.read {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(obj *Object) {
			defer wg.Done()
			defer func() { <-sem }()
			h, err := ReadHeader(ctx, c.s, obj.Name, c.o.Identities)
			obj.Header, obj.Err, obj.read = h, err, true
			var oe *ObjectError
			if errors.As(err, &oe) {
				obj.Err, obj.Problem = oe.Err, ProblemUnreadable
				if errors.Is(oe.Err, ErrMismatch) {
					obj.Problem = ProblemMismatch
				}
			}
		}(obj)
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, obj := range c.objects[from:to] {
		if obj.Err != nil && obj.Problem == "" {
			return obj.Err
		}
	}
	return nil
}

// ReadHeaders reads every header not read yet. An object the sink fails to
// give counts as unreadable, like a damaged one: the error is for the end
// of ctx only. Points, Chains and Verify need every header read.
func (c *Catalog) ReadHeaders(ctx context.Context) error {
	_ = c.readHeaders(ctx, 0, len(c.objects))
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, obj := range c.objects {
		if obj.Err != nil && obj.Problem == "" {
			obj.Problem = ProblemUnreadable
		}
	}
	return nil
}

// fullBefore returns the index of the newest full backup whose index is at
// most i, or -1.
func (c *Catalog) fullBefore(i int) int {
	for ; i >= 0; i-- {
		if c.objects[i].Kind == Full {
			return i
		}
	}
	return -1
}

// Points returns every point in the catalog that restores exactly, oldest
// first (see Plan): each full backup that agrees with its name, and each
// delta that continues its chain with no object in between that does not
// fit. Every header must have been read.
func (c *Catalog) Points() []Point {
	var out []Point
	for _, r := range c.regions(0, len(c.objects)) {
		for _, obj := range r.points {
			out = append(out, obj.point(r.full.Key))
		}
	}
	return out
}

// List returns every point in s that restores exactly, oldest first,
// reading object headers only, never whole payloads.
func List(ctx context.Context, s sink.Sink, o Options) ([]Point, error) {
	c, err := Read(ctx, s, o)
	if err != nil {
		return nil, err
	}
	if err := c.ReadHeaders(ctx); err != nil {
		return nil, err
	}
	return c.Points(), nil
}

// Chain is a full backup and the deltas that continue it without a gap,
// from headers alone: objects of other chains written in between do not
// end it, as they end the points a restore accepts (see Plan). It says
// what depends on what, which is what retention needs.
type Chain struct {
	ID     string  // the chain id; "" for Python-written backups
	Points []Point // Points[0] is the full backup; time order
}

// Chains returns the chains of the catalog, by the time of their full
// backups. A full backup whose header cannot be read starts no chain;
// deltas that name no chain's full backup, or follow a gap, are in none.
// Every header must have been read.
func (c *Catalog) Chains() []Chain {
	type building struct {
		full   *Object
		deltas []*Object
	}
	var all []*building
	byKey := map[string]*building{}
	var legacy *building // the newest Python-written full backup so far
	for _, obj := range c.objects {
		switch {
		case obj.Err != nil || !obj.read:
		case obj.Kind == Full:
			b := &building{full: obj}
			all = append(all, b)
			byKey[obj.Key] = b
			if obj.Header.Legacy() {
				legacy = b
			}
		case obj.Header.Legacy():
			// A Python-written delta follows the newest Python-written full.
			if legacy != nil {
				legacy.deltas = append(legacy.deltas, obj)
			}
		default:
			if b := byKey[obj.Header.Base]; b != nil && b.full.Header.Chain == obj.Header.Chain {
				b.deltas = append(b.deltas, obj)
			}
		}
	}
	out := make([]Chain, 0, len(all))
	for _, b := range all {
		r := &region{full: b.full, objects: append([]*Object{b.full}, b.deltas...)}
		r.walk(c.keys)
		ch := Chain{ID: b.full.Header.Chain}
		for _, obj := range r.points {
			ch.Points = append(ch.Points, obj.point(b.full.Key))
		}
		out = append(out, ch)
	}
	return out
}
