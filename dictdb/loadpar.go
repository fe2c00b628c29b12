package dictdb

import (
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
)

// The records of a large table are loaded on every core: the goroutine
// reading the file finds where each record ends without decoding it
// (tokenReader.rawRecord) and gathers their bytes in batches; workers
// decode and check the records of a batch, and one goroutine adds them to
// the table in file order. A few batches are in flight at a time, so the
// memory held stays bounded whatever the table's size.
//
// The error is the one the reading goroutine alone would report: that of
// the first bad record in file order, with the same message and offsets,
// since each worker's decoder gets a record's bytes with their offset in
// the file and the containers around them (tokenReader.recordReader). A
// record whose end is not found that way (a value that is not a record,
// one too large or too deep, input cut short) is decoded by the reading
// goroutine, in its place.

// Variables for the tests: the number of records of a table that the
// reading goroutine loads alone before the rest go to every core, the most
// records a batch holds, the largest record a worker decodes (a larger one
// is decoded by the reading goroutine, in its place), and the number of
// workers (more than one, or the table stays on the reading goroutine).
var (
	parallelLoadMin = 1 << 12
	batchRecords    = 4096
	maxRawRecord    = 1 << 20
	loadWorkers     = func() int { return runtime.GOMAXPROCS(0) }
)

const (
	batchBytes   = 256 << 10 // the encodings a batch gathers, about
	batchesAhead = 2         // batches in flight per worker
)

// loadBatch is some records of a table, in file order.
type loadBatch struct {
	first int           // the index of its first record in the table
	buf   []byte        // the encodings of its records, one after the other
	recs  []batchRec    // its records
	out   []entry       // the records decoded and checked, by a worker
	err   error         // the error of record first+len(out), if any
	done  chan struct{} // closed when out and err are set
}

// batchRec is a record of a batch: its encoding in buf, up to end, whose
// first byte is at offset off in the file; or, when r is set, the record
// that the reading goroutine decoded.
type batchRec struct {
	end int
	off int64
	r   Record
}

// loadPipeline loads the records of a table on every core.
type loadPipeline struct {
	l      *loading
	cur    *loadBatch      // being gathered by the reading goroutine
	work   chan *loadBatch // to the workers
	order  chan *loadBatch // to the inserting goroutine, in file order
	free   chan *loadBatch // batches to reuse
	failed atomic.Bool     // err is set: the reading goroutine stops
	err    error           // the first error in file order, set by the inserting goroutine
	wg     sync.WaitGroup
}

// errStopped stops the walk of the records once the pipeline has failed;
// wait returns the pipeline's error instead.
var errStopped = errors.New("dictdb: load stopped")

// parallel starts loading l's records on every core, the next one from d.
func (l *loading) parallel(d tokenReader) *loadPipeline {
	workers := loadWorkers()
	window := workers * batchesAhead
	p := &loadPipeline{
		l: l,
		// A batch goes to order, then to work: work never holds more than
		// order, plus the one being added.
		order: make(chan *loadBatch, window),
		work:  make(chan *loadBatch, window+1),
		free:  make(chan *loadBatch, window+2),
	}
	for range workers {
		rr := d.recordReader()
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			var caches cacheSlab
			for b := range p.work {
				p.decode(rr, &caches, b)
			}
		}()
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.insert()
	}()
	return p
}

// next reads the i-th record from d, the reading goroutine's reader.
func (p *loadPipeline) next(d tokenReader, i int) error {
	if p.failed.Load() {
		return errStopped
	}
	if p.cur == nil {
		p.cur = p.batch(i)
	}
	b := p.cur
	if raw, off, ok := d.rawRecord(maxRawRecord); ok {
		b.buf = append(b.buf, raw...)
		b.recs = append(b.recs, batchRec{end: len(b.buf), off: off})
	} else {
		r, err := decodeRecord(d, p.l.t.name, i)
		if err != nil {
			return err
		}
		b.recs = append(b.recs, batchRec{end: len(b.buf), r: r})
	}
	if len(b.buf) >= batchBytes || len(b.recs) >= batchRecords {
		p.send()
	}
	return nil
}

// batch returns an empty batch whose first record is the i-th.
func (p *loadPipeline) batch(i int) *loadBatch {
	var b *loadBatch
	select {
	case b = <-p.free:
	default:
		b = &loadBatch{buf: make([]byte, 0, batchBytes+64<<10)}
	}
	b.first, b.buf, b.recs, b.out, b.err = i, b.buf[:0], b.recs[:0], b.out[:0], nil
	b.done = make(chan struct{})
	return b
}

// send hands the batch being gathered over, waiting while the inserting
// goroutine is the whole window behind.
func (p *loadPipeline) send() {
	if b := p.cur; b != nil {
		p.order <- b
		p.work <- b
		p.cur = nil
	}
}

// decode decodes and checks the records of b, on a worker, with rr and
// the worker's caches.
func (p *loadPipeline) decode(rr recordReader, caches *cacheSlab, b *loadBatch) {
	defer close(b.done)
	if p.failed.Load() {
		return // nobody will look
	}
	name := p.l.t.name
	start := 0
	for j, br := range b.recs {
		i := b.first + j
		r := br.r
		if r == nil {
			rr.Reset(b.buf[start:br.end], br.off)
			var err error
			if r, err = decodeRecord(rr, name, i); err != nil {
				b.err = err
				return
			}
		}
		start = br.end
		e, err := p.l.check(r, i, caches)
		if err != nil {
			b.err = err
			return
		}
		b.out = append(b.out, e)
	}
}

// insert adds the records of each batch to the table, in file order, until
// the first error.
func (p *loadPipeline) insert() {
	for b := range p.order {
		<-b.done
		if p.err == nil {
			for j, e := range b.out {
				if err := p.l.addEntry(e, b.first+j); err != nil {
					p.fail(err)
					break
				}
			}
			if p.err == nil && b.err != nil {
				p.fail(b.err)
			}
		}
		select {
		case p.free <- b:
		default:
		}
	}
}

func (p *loadPipeline) fail(err error) {
	p.err = err
	p.failed.Store(true)
}

// wait hands over the records gathered, waits until every record handed
// over is added, and returns the first error in file order, if any.
func (p *loadPipeline) wait() error {
	if !p.failed.Load() {
		p.send()
	}
	close(p.order)
	close(p.work)
	p.wg.Wait()
	return p.err
}
