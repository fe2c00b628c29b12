package dictdb

import (
	"io"
	"sync/atomic"

	"github.com/dictdb/dictdb-go/internal/cborv"
	"github.com/dictdb/dictdb-go/internal/jsonv"
	"github.com/dictdb/dictdb-go/internal/lend"
)

// The structure of a document (its tables, records, specs and deltas) is
// walked once, in codec.go, tableload.go and deltacodec.go, through a token
// writer or reader per format: json.go for FormatJSON, binary.go for
// FormatBinary.

// A tokenWriter writes the tokens of one format into a buffer that it
// flushes to an io.Writer, adding what its format needs around them (JSON's
// separators, CBOR's magic number and heads). Maps have string keys; each
// key is followed by one value. Only value and the flushes can fail.
type tokenWriter interface {
	// beginDoc starts the top-level map; endDoc ends it and flushes.
	beginDoc()
	endDoc() error
	// beginMap starts a map of n entries; endMap ends it.
	beginMap(n int, l layout)
	endMap()
	// beginArray starts an array of n elements; endArray ends it.
	beginArray(n int, l layout)
	endArray()
	key(k string)
	text(s string)
	integer(i int64)
	null()
	// value writes v, a value of the data model that the document nests
	// inside depth containers (see jsonv.AppendValueAt).
	value(v any, depth int) error
	// appendValue appends the encoding of v, as value would write it, to
	// dst; encoded writes such an encoding where value would.
	appendValue(dst []byte, v any, depth int) ([]byte, error)
	encoded(b []byte)
	// appendElem appends the encoding b of an element of a perLine array
	// to dst, with what goes before an element that is not the first;
	// elems writes n such elements where n elements would go, lending b
	// to the io.Writer when it borrows buffers (see writeChunk): release
	// is called once b is no longer used.
	appendElem(dst, b []byte) []byte
	elems(b []byte, n int, release func()) error
	// flushIfFull writes out the buffer once it holds a chunk. It returns
	// the first error of the io.Writer, after which nothing more is written.
	flushIfFull() error
	// overlap makes the writes to the io.Writer run on a goroutine of their
	// own, so that encoding the next chunk and writing the last overlap;
	// wait, which endDoc calls, waits for them.
	overlap()
	wait() error
}

// layout is how a text format lays out the entries of a map or the elements
// of an array: all on one line, or each on a line of its own (the tables and
// records of a document), which binary formats ignore.
type layout bool

const (
	inline  layout = false
	perLine layout = true
)

// newTokenWriter returns the token writer of format f (checked) writing to w.
func newTokenWriter(w io.Writer, f Format) tokenWriter {
	if f == FormatBinary {
		return &cborWriter{writeBuf: newWriteBuf(w)}
	}
	return &jsonWriter{writeBuf: newWriteBuf(w), open: make([]jsonFrame, 0, 8)}
}

// flushSize is how much encoded output is gathered before a Write.
const flushSize = 64 << 10

// writeBuf is the output buffer of the token writers.
type writeBuf struct {
	w   io.Writer
	buf []byte
	err error       // the first error of w
	bg  *background // set by overlap
}

func newWriteBuf(w io.Writer) writeBuf {
	return writeBuf{w: w, buf: make([]byte, 0, flushSize+4096)}
}

func (e *writeBuf) flushIfFull() error {
	if len(e.buf) >= flushSize {
		e.flush()
	}
	return e.err
}

func (e *writeBuf) flush() error {
	if e.bg != nil {
		return e.bg.send(e)
	}
	if e.err == nil && len(e.buf) > 0 {
		_, e.err = e.w.Write(e.buf)
	}
	e.buf = e.buf[:0]
	return e.err
}

// writeChunk writes b after what is buffered. An io.Writer that borrows
// buffers (see package lend) gets b itself, once everything before it is
// written; others get a copy through the buffer. release is called once b
// is no longer used.
func (e *writeBuf) writeChunk(b []byte, release func()) error {
	lw, ok := e.w.(lend.Writer)
	if !ok || e.err != nil {
		e.buf = append(e.buf, b...)
		release()
		return e.flushIfFull()
	}
	if err := e.drain(); err != nil {
		release()
		return err
	}
	if err := lw.WriteLent(b, release); err != nil {
		e.err = err
	}
	return e.err
}

// drain writes out the buffer and waits until the background goroutine,
// if any, has written everything handed to it: the io.Writer can then be
// called on this goroutine.
func (e *writeBuf) drain() error {
	if err := e.flush(); err != nil || e.bg == nil || !e.bg.queued {
		return err // nothing handed over since the last drain
	}
	e.bg.queued = false
	done := make(chan struct{})
	e.bg.full <- bgWrite{done: done}
	<-done
	if p := e.bg.err.Load(); p != nil {
		e.err = *p
	}
	return e.err
}

// background writes the full buffers of a writeBuf to its io.Writer on a
// goroutine, in order, while the encoder fills the next: two buffers in
// flight at most.
type background struct {
	full   chan bgWrite
	free   chan []byte
	done   chan struct{}
	err    atomic.Pointer[error]
	waited bool
	queued bool // a buffer was handed over since the last drain (encoder side)
}

// bgWrite is a buffer for the background goroutine to write, or, with
// done set, a request to close done once everything before it is written.
type bgWrite struct {
	buf  []byte
	done chan struct{}
}

func (e *writeBuf) overlap() {
	if e.bg != nil {
		return
	}
	b := &background{full: make(chan bgWrite, 2), free: make(chan []byte, 2), done: make(chan struct{})}
	// Room for a chunk of the parallel encoder (see parallel.go) besides
	// what is already there: no buffer grows.
	size := flushSize + maxChunk + 64<<10
	e.buf = append(make([]byte, 0, size), e.buf...)
	for range 2 {
		b.free <- make([]byte, 0, size)
	}
	go func() {
		defer close(b.done)
		for req := range b.full {
			if req.done != nil {
				close(req.done)
				continue
			}
			if b.err.Load() == nil {
				if _, err := e.w.Write(req.buf); err != nil {
					b.err.Store(&err)
				}
			}
			b.free <- req.buf[:0]
		}
	}()
	e.bg = b
}

// send hands the buffer to the goroutine and takes a free one.
func (b *background) send(e *writeBuf) error {
	if p := b.err.Load(); p != nil {
		e.err, e.buf = *p, e.buf[:0]
		return e.err
	}
	if len(e.buf) > 0 {
		b.full <- bgWrite{buf: e.buf}
		b.queued = true
		e.buf = <-b.free
	}
	return nil
}

// wait waits for the writes handed to the background, if any, and returns
// the first error of the io.Writer.
func (e *writeBuf) wait() error {
	if b := e.bg; b != nil && !b.waited {
		b.waited = true
		close(b.full)
		<-b.done
		if p := b.err.Load(); p != nil && e.err == nil {
			e.err = *p
		}
	}
	return e.err
}

// A tokenReader reads the tokens of one format. Its first methods are
// those of the decoders in internal/cborv and internal/jsonv (a JSON object
// is a map); errors are sticky. The others are where the formats differ:
// CBOR's optional tag and checksum digest, and the messages and loading
// rules that each format had before they shared one walk, kept as they were.
type tokenReader interface {
	BeginMap() error
	NextKey() (key string, ok bool, err error)
	BeginArray() error
	NextElem() (bool, error)
	Value() (any, error)
	String() (string, error)
	Skip() error
	End() error

	// start consumes what may come before the top-level map.
	start() error
	// metaValue decodes the value of the top-level field key.
	metaValue(key string) (any, error)
	// notMap says what v, found where a record should be, is instead.
	notMap(v any) string
	// skipError is the error for a field named key of the map what whose
	// value Skip could not read, Skip's error being err.
	skipError(what, key string, err error) error
	// upsertNoun names an upsert that does not decode, in errors.
	upsertNoun() string
	// holdsUntilSchema reports whether the records of a table that come
	// before its schema (or with a schema that is not valid) are held until
	// the table ends, rather than checked as they come; the records that
	// come before the primary key are always held.
	holdsUntilSchema() bool

	// rawRecord returns the encoding of the next record and the stream
	// offset of its first byte, consuming it, if it finds where the record
	// ends without decoding it (see jsonv's RawObject and cborv's RawMap);
	// otherwise it consumes nothing and returns ok false, and Value
	// decodes the record, or says what is wrong with it. The bytes are
	// valid until the next call.
	rawRecord(limit int) (raw []byte, offset int64, ok bool)
	// recordReader returns a reader, for another goroutine, of the
	// records that rawRecord returns at the current position: it decodes
	// them, and fails on them, as this reader would have.
	recordReader() recordReader
}

// valueReader is what decodeRecord needs of a reader.
type valueReader interface {
	Value() (any, error)
	notMap(v any) string
}

// A recordReader decodes the records that a tokenReader's rawRecord
// returned, each given whole with its stream offset to Reset.
type recordReader interface {
	valueReader
	Reset(raw []byte, offset int64)
}

// newTokenReader returns the token reader of format f (checked) reading
// from r.
func newTokenReader(r io.Reader, f Format) tokenReader {
	if f == FormatBinary {
		return cborReader{cborv.NewDecoder(r)}
	}
	return jsonReader{jsonv.NewDecoder(r)}
}
