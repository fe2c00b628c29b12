package dictdb

import (
	"fmt"
	"runtime"
	"sync"
)

// A table's records are encoded in spans on every core when the table is
// large: each span into chunks of bytes of its own, the chunks then written
// in key order, with a few spans in flight at a time so that memory stays
// bounded whatever the table's size. A span is a run of the snapshot's
// tree nodes, read in place: a snapshot's nodes never change (the table
// copies a node before it writes to one that a snapshot shares).

// Variables for the tests: the fewest records encoded on every core, the
// size at which a span's chunk is handed over, and the records of a span
// (about: a span ends with a whole node).
var (
	parallelMin = 1 << 16
	maxChunk    = 1 << 20
	perSpan     = 1 << 14
)

const spansAhead = 2 // spans encoded ahead of the writer, per worker

// parallel reports whether t is large enough to be encoded on every core.
func (t *TableSnapshot) parallel() bool {
	return t.tree.Len() >= parallelMin && runtime.GOMAXPROCS(0) >= 2
}

// span is a run of records in key order: slices of the items of the
// snapshot's tree nodes.
type span [][]entry

// chunk is the encoding of some records of a span, in order.
type chunk struct {
	b   []byte
	n   int // records
	err error
}

// encodeSpans encodes the records of t on every core and writes them, in
// key order, through put, which calls release once it no longer uses the
// chunk's bytes. Each record comes from its cached encoding in format f, or
// is encoded and cached.
func (t *TableSnapshot) encodeSpans(f Format, w tokenWriter, put func(c chunk, release func()) error) error {
	workers := runtime.GOMAXPROCS(0)
	type job struct {
		s   span
		out chan chunk // closed by the worker
	}
	jobs := make(chan job)
	// The spans handed out, in key order, for the writer. Its capacity
	// bounds the memory held: a span is cut only when it leaves at most
	// workers*spansAhead spans in flight, the one the writer is writing
	// included.
	order := make(chan chan chunk, workers*spansAhead-1)
	stop := make(chan struct{})
	// Chunk buffers go back to the workers once written: a backup of a
	// large table would otherwise allocate its whole size again.
	free := make(chan []byte, 2*workers*spansAhead)
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
			for j := range jobs {
				t.encodeSpan(j.s, f, w, j.out, stop, free)
			}
		}()
	}
	go func() { // cut the spans in key order, a few ahead of the writer
		defer close(order)
		defer close(jobs)
		var s span
		n := 0
		hand := func() bool {
			out := make(chan chunk, 4)
			select {
			case order <- out:
			case <-stop:
				return false
			}
			select {
			case jobs <- job{s, out}:
			case <-stop:
				close(out) // for the drain below
				return false
			}
			s, n = make(span, 0, len(s)), 0 // the next span is about as long
			return true
		}
		ok := true
		t.tree.Walk(func(items []entry) bool {
			s = append(s, items)
			n += len(items)
			if n >= perSpan {
				ok = hand()
			}
			return ok
		})
		if ok && n > 0 {
			hand()
		}
	}()
	var err error
	for out := range order {
		for c := range out {
			if err == nil && c.err != nil {
				err = c.err
			}
			if err == nil {
				err = put(c, recycle(c.b))
			} else {
				recycle(c.b)()
			}
		}
		if err != nil {
			break
		}
	}
	close(stop)
	// Drain what the workers still send, so that none blocks.
	go func() {
		for out := range order {
			for range out {
			}
		}
	}()
	wg.Wait()
	return err
}

// encodeSpan encodes the records of s into chunks sent on out, which it
// closes, taking their buffers from free when it can.
func (t *TableSnapshot) encodeSpan(s span, f Format, w tokenWriter, out chan<- chunk, stop <-chan struct{}, free chan []byte) {
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
	add := func(en *entry, b []byte) bool {
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
		encs [loadAhead]*byte
		lens [loadAhead]uint32
	)
	for _, items := range s {
		for len(items) > 0 {
			batch := items[:min(loadAhead, len(items))]
			items = items[len(batch):]
			for i := range batch {
				encs[i] = nil
				if c := batch[i].c; c != nil {
					encs[i] = c.slot(f).Load()
				}
			}
			for i := range batch {
				if p := encs[i]; p != nil {
					lens[i] = cachedLen(p)
				}
			}
			for i := range batch {
				var b []byte
				if p := encs[i]; p != nil {
					b = cached(p, lens[i])
				}
				if !add(&batch[i], b) {
					if c.err != nil {
						send()
					}
					return // an error, or stopped
				}
			}
		}
	}
	if c.n > 0 {
		send()
	}
}

// loadAhead is the number of records whose cached encodings encodeSpan
// loads at a time.
const loadAhead = 32
