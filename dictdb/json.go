package dictdb

import (
	"github.com/dictdb/dictdb-go/internal/box"
	"github.com/dictdb/dictdb-go/internal/jsonv"
)

// The FormatJSON tokens. A document is laid out as the Python DictDB's
// json.dump writes it, but for one table and one record per line:
//
//	{<meta fields>, "sequence": 7, "tables": {
//	"users": {"primary_key": "id", "schema": {"id": "int", "name": "str"}, "records": [
//	{"id":1,"name":"Alice"},
//	{"id":2,"name":"Bob"}]}}}
//
// Records and other values are compact (jsonv.AppendValue).

// jsonWriter is the tokenWriter of FormatJSON.
type jsonWriter struct {
	writeBuf
	open []jsonFrame // the containers being written, the innermost last
}

// jsonFrame is a container being written.
type jsonFrame struct {
	array bool // an array, not an object
	lines bool // one member per line
	n     int  // members written
}

// member starts a member of the innermost container: an object's key or an
// array's element.
func (w *jsonWriter) member() {
	f := &w.open[len(w.open)-1]
	switch {
	case f.lines:
		if f.n > 0 {
			w.buf = append(w.buf, ',')
		}
		w.buf = append(w.buf, '\n')
	case f.n > 0:
		w.buf = append(w.buf, ", "...)
	}
	f.n++
}

// elem starts a value: a member if it is an array's element (an object's
// values follow their keys).
func (w *jsonWriter) elem() {
	if w.open[len(w.open)-1].array {
		w.member()
	}
}

func (w *jsonWriter) push(open byte, array bool, l layout) {
	w.buf = append(w.buf, open)
	w.open = append(w.open, jsonFrame{array: array, lines: bool(l)})
}

func (w *jsonWriter) pop(end byte) {
	w.open = w.open[:len(w.open)-1]
	w.buf = append(w.buf, end)
}

func (w *jsonWriter) beginDoc() { w.push('{', false, inline) }

func (w *jsonWriter) endDoc() error {
	w.pop('}')
	w.buf = append(w.buf, '\n')
	w.flush()
	return w.wait()
}

func (w *jsonWriter) beginMap(_ int, l layout) {
	w.elem()
	w.push('{', false, l)
}

func (w *jsonWriter) endMap() { w.pop('}') }

func (w *jsonWriter) beginArray(_ int, l layout) {
	w.elem()
	w.push('[', true, l)
}

func (w *jsonWriter) endArray() { w.pop(']') }

func (w *jsonWriter) key(k string) {
	w.member()
	w.buf = jsonv.AppendString(w.buf, k)
	w.buf = append(w.buf, ": "...)
}

func (w *jsonWriter) text(s string) {
	w.elem()
	w.buf = jsonv.AppendString(w.buf, s)
}

func (w *jsonWriter) integer(i int64) {
	w.elem()
	w.buf = jsonv.AppendInt(w.buf, i)
}

func (w *jsonWriter) null() {
	w.elem()
	w.buf = append(w.buf, "null"...)
}

func (w *jsonWriter) value(v any, depth int) error {
	w.elem()
	var err error
	w.buf, err = jsonv.AppendValueAt(w.buf, v, depth)
	return err
}

func (w *jsonWriter) appendValue(dst []byte, v any, depth int) ([]byte, error) {
	return jsonv.AppendValueAt(dst, v, depth)
}

func (w *jsonWriter) encoded(b []byte) {
	w.elem()
	w.buf = append(w.buf, b...)
}

func (w *jsonWriter) appendElem(dst, b []byte) []byte {
	dst = append(dst, ",\n"...)
	return append(dst, b...)
}

func (w *jsonWriter) elems(b []byte, n int, release func()) error {
	f := &w.open[len(w.open)-1]
	if f.n == 0 && len(b) > 0 {
		b = b[1:] // the first element has no comma before it
	}
	f.n += n
	return w.writeChunk(b, release)
}

// jsonReader is the tokenReader of FormatJSON.
type jsonReader struct{ *jsonv.Decoder }

func (r jsonReader) BeginMap() error { return r.BeginObject() }

func (jsonReader) start() error { return nil }

func (r jsonReader) metaValue(string) (any, error) { return r.Value() }

func (jsonReader) notMap(any) string { return "not an object" }

// skipError is Skip's error as it is: it has the offset.
func (jsonReader) skipError(_, _ string, err error) error { return err }

func (jsonReader) upsertNoun() string { return "upserts" }

// holdsUntilSchema is false: the Python writer puts the primary key and
// the schema before the records.
func (jsonReader) holdsUntilSchema() bool { return false }

func (r jsonReader) rawRecord(limit int) ([]byte, int64, bool) { return r.RawObject(limit) }

func (r jsonReader) recordReader() recordReader {
	d := jsonv.NewValueDecoder(r.Depth())
	d.UseArena(new(box.Arena)) // a worker's: the records of a large table
	return jsonReader{d}
}

var (
	_ tokenWriter  = (*jsonWriter)(nil)
	_ tokenReader  = jsonReader{}
	_ recordReader = jsonReader{}
)
