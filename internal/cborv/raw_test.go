package cborv

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// element is what reading one element of an array gave: its value, or the
// error that ended the array.
type element struct {
	v   any
	err string
}

// rawDoc wraps the items of an indefinite-length array in a map, two
// containers deep, with a key a few bytes long before them, so that
// offsets and depths count.
func rawDoc(elems []byte) []byte {
	doc := append([]byte{0xa1, 0x65}, "table"...)
	doc = append(doc, 0x9f)
	return append(append(doc, elems...), Break)
}

// readElements reads the elements of the array of rawDoc(elems) until the
// array or an error ends: each with Value (raw false) or, when raw is set,
// with RawMap and a Decoder from NewValueDecoder for its bytes, Value for
// the rest. small reads the document a byte at a time through a tiny
// buffer.
func readElements(t *testing.T, elems []byte, raw, small bool, limit, maxDepth int) []element {
	t.Helper()
	var r io.Reader = bytes.NewReader(rawDoc(elems))
	if small {
		r = iotest.OneByteReader(r)
	}
	d := NewDecoder(r)
	d.SetMaxDepth(maxDepth)
	if small {
		d.buf = make([]byte, 0, 3)
	}
	var out []element
	fail := func(err error) []element { return append(out, element{err: err.Error()}) }
	if err := d.BeginMap(); err != nil {
		return fail(err)
	}
	if _, _, err := d.NextKey(); err != nil {
		return fail(err)
	}
	if err := d.BeginArray(); err != nil {
		return fail(err)
	}
	vd := NewValueDecoder(d.Depth())
	vd.SetMaxDepth(maxDepth)
	for {
		more, err := d.NextElem()
		if err != nil {
			return fail(err)
		}
		if !more {
			return out
		}
		var v any
		if b, off, ok := d.RawMap(limit); raw && ok {
			vd.Reset(b, off)
			if v, err = vd.Value(); err == nil && vd.Offset() != off+int64(len(b)) {
				t.Fatalf("the item % x ends at offset %d, RawMap at %d", b, vd.Offset(), off+int64(len(b)))
			}
		} else if ok {
			t.Fatal("RawMap consumed an item when raw was not asked for")
		} else {
			v, err = d.Value()
		}
		if err != nil {
			return fail(err)
		}
		out = append(out, element{v: v})
	}
}

// requireSameElements checks that the elements of rawDoc(elems) read
// through RawMap are those read with Value alone, errors and their offsets
// included, with every reader and limit.
func requireSameElements(t *testing.T, elems []byte) {
	t.Helper()
	for _, maxDepth := range []int{defaultMaxDepth, 4} {
		for _, small := range []bool{false, true} {
			want := readElements(t, elems, false, small, 0, maxDepth)
			for _, limit := range []int{1 << 20, 16} {
				got := readElements(t, elems, true, small, limit, maxDepth)
				if fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", want) {
					t.Fatalf("% x (small %v, limit %d, depth %d):\nraw   %#v\nvalue %#v", elems, small, limit, maxDepth, got, want)
				}
			}
		}
	}
}

// rawSeeds are items, valid and not, bad in every way the decoder has an
// error for, and cut everywhere, in hex.
var rawSeeds = []string{
	"a2 6269 64 01 646e616d65 6161  a2 6269 64 02 646e616d65 6162",  // {"id":1,"name":"a"}, {"id":2,"name":"b"}
	"a0 a1 6161 82 01 a1 6162 617d a1 6164 f6",                      // {}, {"a":[1,{"b":"}"}]}, {"d":null}
	"a1 6161 fb 3ff8000000000000 a1 6161 f93c00 a1 6161 fa3fc00000", // floats of every width
	"a1 6161 1b7fffffffffffffff a1 6161 3b7fffffffffffffff a1 6161 1bffffffffffffffff",
	"a1 6161 62c328", "a1 6161 61ff", "a1 6161 4161", "a1 01 02", "a1 f6 01", "a1 6161 c001", "a1 6161 f7",
	"a1 6161 f0", "a1 6161 f818", "a1 6161 ff", "a1 6161 fb7ff8000000000000", "a1 6161 1c", "a1 6161 7f6161ff",
	"a1 6161 9f01ff", "a1 6161 bf6162 01ff", "bf 6161 01 ff", "81 01", "01", "6178", "f6",
	"a1 6161 7a00010000", "a1 6161 9b0000000100000000", "a1 6161 9a7fffffff", "a2 6161 01",
	"a1 6161 81 81 81 81 01", "a1 6161 a1 6162 a1 6163 a0", "a1 6161 78" + "28" + strings.Repeat("79", 40),
	"a1 6161 01 ff a1 6162 80", "a1 6161 ba00000001 6162",
}

func TestRawMapReadsAsValue(t *testing.T) {
	for _, s := range rawSeeds {
		b := unhex(t, s)
		for cut := 0; cut <= len(b); cut++ {
			requireSameElements(t, b[:cut])
		}
	}
}

// A deep map is left to Value, which reports the depth.
func TestRawMapLeavesDeepMaps(t *testing.T) {
	d := NewDecoder(bytes.NewReader(unhex(t, "a1 6161 81 81 01  a1 6161 81 01")))
	d.SetMaxDepth(2)
	if _, _, ok := d.RawMap(1 << 20); ok {
		t.Fatal("a map three deep was returned with a limit of 2")
	}
	if _, err := d.Value(); err == nil || !strings.Contains(err.Error(), "exceeded max depth 2") {
		t.Fatalf("Value: %v", err)
	}
}

// The bytes RawMap returns are the map's, at its offset; the Decoder of
// NewValueDecoder leaves them as they are.
func TestRawMapBytes(t *testing.T) {
	doc := unhex(t, "01 a1 6161 617d 02")
	d := NewDecoder(bytes.NewReader(doc))
	if _, err := d.Value(); err != nil {
		t.Fatal(err)
	}
	b, off, ok := d.RawMap(1 << 20)
	if !ok || !bytes.Equal(b, doc[1:6]) || off != 1 {
		t.Fatalf("% x at %d, %v", b, off, ok)
	}
	keep := string(b)
	vd := NewValueDecoder(0)
	vd.Reset(b, off)
	if v, err := vd.Value(); err != nil || fmt.Sprint(v) != "map[a:}]" {
		t.Fatalf("%v, %v", v, err)
	}
	if _, err := vd.Value(); err == nil || !strings.Contains(err.Error(), "offset 6: unexpected end of input") {
		t.Fatalf("past the end: %v", err)
	}
	if string(b) != keep {
		t.Fatalf("the bytes changed to % x", b)
	}
}

func FuzzRawMap(f *testing.F) {
	for _, s := range rawSeeds {
		f.Add(unhex(f, s))
	}
	f.Fuzz(func(t *testing.T, elems []byte) {
		requireSameElements(t, elems)
	})
}
