package dictdb

import (
	"encoding/hex"
	"fmt"

	"github.com/dictdb/dictdb-go/internal/box"
	"github.com/dictdb/dictdb-go/internal/cborv"
)

// The FormatBinary (CBOR, RFC 8949) tokens. The document has the structure
// of the JSON one, field for field and in the same order:
//
//	D9 D9 F7                 tag 55799 (self-describe CBOR): the magic number
//	BF                       indefinite-length map:
//	  <meta fields>          text key -> value, keys sorted as in JSON
//	  full:  "sequence" -> int, "tables" -> map(n) {name -> map(3) {
//	             "primary_key" -> text, "schema" -> null | map(k) {field -> type name},
//	             "records" -> array(len) [record, ...] }}     (records in key order)
//	  delta: "type" -> "delta", "dropped_tables" -> array [text, ...],
//	         "tables" -> map(n) {name -> map(2|3) {["create" -> map(2) {"primary_key", "schema"}],
//	             "deletes" -> array [key, ...], "upserts" -> array [record, ...] }}
//	  ("checksum" -> bytes(32))  added by internal/object's ChecksumWriter
//	FF                       break: the end of the top-level map
//
// Every length is definite except the top-level map's, whose end the
// checksum writer moves. A record is a definite-length map with text keys
// in RFC 8949 deterministic order; values follow internal/cborv: int64 as
// CBOR integers, float64 always as doubles (0xFB), strings as text, lists
// as arrays, dicts as maps. The decoder also accepts what other CBOR
// writers produce for the same document: no tag, definite or indefinite
// lengths, shorter floats, keys in any order.

// cborWriter is the tokenWriter of FormatBinary.
type cborWriter struct{ writeBuf }

func (w *cborWriter) beginDoc() {
	w.buf = append(w.buf, BinaryMagic...)
	w.buf = append(w.buf, cborv.IndefiniteMap)
}

func (w *cborWriter) endDoc() error {
	w.buf = append(w.buf, cborv.Break)
	w.flush()
	return w.wait()
}

func (w *cborWriter) beginMap(n int, _ layout) { w.buf = cborv.AppendMapHeader(w.buf, n) }

func (w *cborWriter) endMap() {}

func (w *cborWriter) beginArray(n int, _ layout) { w.buf = cborv.AppendArrayHeader(w.buf, n) }

func (w *cborWriter) endArray() {}

func (w *cborWriter) key(k string) { w.buf = cborv.AppendString(w.buf, k) }

func (w *cborWriter) text(s string) { w.buf = cborv.AppendString(w.buf, s) }

func (w *cborWriter) integer(i int64) { w.buf = cborv.AppendInt(w.buf, i) }

func (w *cborWriter) null() { w.buf = cborv.AppendNull(w.buf) }

func (w *cborWriter) value(v any, depth int) error {
	var err error
	w.buf, err = cborv.AppendValueAt(w.buf, v, depth)
	return err
}

func (w *cborWriter) appendValue(dst []byte, v any, depth int) ([]byte, error) {
	return cborv.AppendValueAt(dst, v, depth)
}

func (w *cborWriter) encoded(b []byte) { w.buf = append(w.buf, b...) }

func (w *cborWriter) appendElem(dst, b []byte) []byte { return append(dst, b...) }

func (w *cborWriter) elems(b []byte, _ int, release func()) error {
	return w.writeChunk(b, release)
}

// cborReader is the tokenReader of FormatBinary.
type cborReader struct{ *cborv.Decoder }

// start consumes the self-describe tag, which generic writers may leave out.
func (r cborReader) start() error {
	_, err := r.SelfDescribe()
	return err
}

// metaValue stores a checksum digest (a byte string, outside the data
// model) as the JSON format's "sha256:<hex>" text, so that Meta is the same
// in both formats.
func (r cborReader) metaValue(key string) (any, error) {
	if key == fieldChecksum {
		if c, err := r.Peek(); err == nil && c>>5 == cborv.MajorBytes {
			sum, err := r.Bytes()
			if err != nil {
				return nil, err
			}
			if len(sum) != 32 {
				return nil, fmt.Errorf("a SHA-256 digest has 32 bytes, not %d", len(sum))
			}
			return "sha256:" + hex.EncodeToString(sum), nil
		}
	}
	return r.Value()
}

func (cborReader) notMap(v any) string { return "not a map (found " + typeName(v) + ")" }

func (cborReader) skipError(what, key string, err error) error {
	return corruptf("%s: field %q: %v", what, key, err)
}

func (cborReader) upsertNoun() string { return "upsert" }

// holdsUntilSchema is true: generic CBOR writers may sort the keys, as RFC
// 8949's deterministic encoding does, putting "records" before
// "primary_key" and "schema".
func (cborReader) holdsUntilSchema() bool { return true }

func (r cborReader) rawRecord(limit int) ([]byte, int64, bool) { return r.RawMap(limit) }

func (r cborReader) recordReader() recordReader {
	d := cborv.NewValueDecoder(r.Depth())
	d.UseArena(new(box.Arena)) // a worker's: the records of a large table
	return cborReader{d}
}

var (
	_ tokenWriter  = (*cborWriter)(nil)
	_ tokenReader  = cborReader{}
	_ recordReader = cborReader{}
)
