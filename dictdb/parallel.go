package dictdb

import (
	"fmt"
	"math"
	"runtime"
	"sync"
)

// A table's records are encoded in key ranges on every core when the table
// is large: each range into a chunk of bytes of its own, the chunks then
// written in key order, with a few ranges in flight at a time so that
// memory stays bounded whatever the table's size.

// Variables for the tests: the fewest records encoded on every core, and
// the size at which a range's chunk is handed over.
var (
	parallelMin = 1 << 16
	maxChunk    = 1 << 20
)

const (
	perRange    = 1 << 14 // records per range, about
	rangesAhead = 2       // ranges encoded ahead of the writer, per worker
)

// keyRange is the keys from lo to hi, hi excluded (nil: to the end).
type keyRange struct{ lo, hi *pkey }

// ranges splits t's keys into ranges of about perRange records: the
// integer keys evenly by value, then the string keys, if any, in one. It
// returns nil when t is too small or its keys are not mostly integers.
func (t *TableSnapshot) ranges() []keyRange {
	n := t.tree.Len()
	if n < parallelMin || runtime.GOMAXPROCS(0) < 2 {
		return nil
	}
	first, _ := t.tree.Min()
	last, _ := t.tree.Max()
	if first.k.isStr {
		return nil
	}
	maxInt := last.k
	if last.k.isStr { // find the largest integer key
		maxInt = pkey{i: math.MinInt64}
		t.tree.Descend(entry{k: pkey{isStr: true}}, func(e entry) bool {
			if !e.k.isStr {
				maxInt = e.k
				return false
			}
			return true
		})
	}
	parts := max(2, n/perRange)
	span := uint64(maxInt.i - first.k.i)
	step := span/uint64(parts) + 1
	var out []keyRange
	lo := &pkey{i: first.k.i}
	for i := 1; i < parts; i++ {
		v := first.k.i + int64(step*uint64(i))
		if v > maxInt.i || v <= lo.i {
			break
		}
		hi := &pkey{i: v}
		out = append(out, keyRange{lo: lo, hi: hi})
		lo = hi
	}
	return append(out, keyRange{lo: lo}) // the rest, string keys included
}

// chunk is the encoding of some records of a range, in order.
type chunk struct {
	b   []byte
	n   int // records
	err error
}

// encodeRanges encodes the records of the ranges on every core and writes
// them, in key order, through put, which calls release once it no longer
// uses the chunk's bytes. Each record comes from its cached encoding in
// format f, or is encoded and cached.
func (t *TableSnapshot) encodeRanges(rs []keyRange, f Format, w tokenWriter, put func(c chunk, release func()) error) error {
	workers := runtime.GOMAXPROCS(0)
	results := make([]chan chunk, len(rs))
	for i := range results {
		results[i] = make(chan chunk, 4)
	}
	next := make(chan int)
	stop := make(chan struct{})
	// A range is handed out only when the writer is at most this many
	// ranges behind: the memory held is bounded.
	window := make(chan struct{}, workers*rangesAhead)
	// Chunk buffers go back to the workers once written: a backup of a
	// large table would otherwise allocate its whole size again.
	free := make(chan []byte, 2*workers*rangesAhead)
	recycle := func(b []byte) func() {
		return func() {
			select {
			case free <- b[:0]: // the next chunk's buffer
			default:
			}
		}
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				t.encodeRange(rs[i], f, w, results[i], stop, free)
			}
		}()
	}
	go func() { // hand the ranges out in order, a few ahead of the writer
		defer close(next)
		for i := range rs {
			select {
			case window <- struct{}{}:
			case <-stop:
				return
			}
			select {
			case next <- i:
			case <-stop:
				return
			}
		}
	}()
	var err error
	for i := range rs {
		for c := range results[i] {
			if err == nil && c.err != nil {
				err = c.err
			}
			if err == nil {
				err = put(c, recycle(c.b))
			} else {
				recycle(c.b)()
			}
		}
		<-window
		if err != nil {
			break
		}
	}
	close(stop)
	// Drain what the workers still send, so that none blocks.
	go func() {
		for i := range rs {
			for range results[i] {
			}
		}
	}()
	wg.Wait()
	return err
}

// encodeRange encodes the records of r into chunks sent on out, which it
// closes, taking their buffers from free when it can.
func (t *TableSnapshot) encodeRange(r keyRange, f Format, w tokenWriter, out chan<- chunk, stop <-chan struct{}, free chan []byte) {
	defer close(out)
	buf := func() []byte {
		select {
		case b := <-free:
			return b
		default:
			return make([]byte, 0, maxChunk+64<<10)
		}
	}
	var c chunk
	send := func() bool {
		select {
		case out <- c:
		case <-stop:
			return false
		}
		c = chunk{}
		return true
	}
	var scratch []byte
	add := func(en entry, b []byte) bool {
		if b == nil {
			var err error
			if scratch, err = w.appendValue(scratch[:0], map[string]any(en.r), recordParents); err != nil {
				c.err = fmt.Errorf("dictdb: encode table %q key %s: %w", t.Name, en.k, err)
				return false
			}
			en.c.set(f, scratch)
			b = scratch
		}
		if c.b == nil {
			c.b = buf()
		}
		c.b = w.appendElem(c.b, b)
		c.n++
		if len(c.b) >= maxChunk {
			return send()
		}
		return true
	}
	// The records are taken a batch at a time: first the pointers to
	// their cached encodings, then the encodings' lengths, then their
	// bytes, so that the loads from memory of a batch are under way
	// together instead of each record waiting for the one before.
	var (
		batch [loadAhead]entry
		encs  [loadAhead]*byte
		lens  [loadAhead]uint32
		nb    int
	)
	flush := func() bool {
		for i := range nb {
			encs[i] = nil
			if c := batch[i].c; c != nil {
				encs[i] = c.slot(f).Load()
			}
		}
		for i := range nb {
			if p := encs[i]; p != nil {
				lens[i] = cachedLen(p)
			}
		}
		for i := range nb {
			var b []byte
			if p := encs[i]; p != nil {
				b = cached(p, lens[i])
			}
			if !add(batch[i], b) {
				return false
			}
		}
		nb = 0
		return true
	}
	visit := func(en entry) bool {
		batch[nb] = en
		nb++
		return nb < loadAhead || flush()
	}
	lo := entry{k: *r.lo}
	ok := true // no error and no stop
	if r.hi == nil {
		t.tree.Ascend(lo, func(en entry) bool { ok = visit(en); return ok })
	} else {
		hi := *r.hi
		t.tree.Ascend(lo, func(en entry) bool {
			if !en.k.less(hi) {
				return false // the end of the range
			}
			ok = visit(en)
			return ok
		})
	}
	if ok {
		flush()
	}
	if c.n > 0 || c.err != nil {
		send()
	}
}

// loadAhead is the number of records whose cached encodings encodeRange
// loads at a time.
const loadAhead = 32
