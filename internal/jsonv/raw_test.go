package jsonv

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

// rawDoc wraps the elements of an array in a document, two containers
// deep, with a name a few bytes long before them, so that offsets and
// depths count.
func rawDoc(elems []byte) []byte {
	return append(append([]byte(`{"table": [`), elems...), "]}"...)
}

// readElements reads the elements of the array of rawDoc(elems) until the
// array or an error ends: each with Value (raw false) or, when raw is set,
// with RawObject and a Decoder from NewValueDecoder for its bytes, Value
// for the rest. small reads the document a byte at a time through a tiny
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
	if err := d.BeginObject(); err != nil {
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
		if b, off, ok := d.RawObject(limit); raw && ok {
			vd.Reset(b, off)
			if v, err = vd.Value(); err == nil && vd.Offset() != off+int64(len(b)) {
				t.Fatalf("the value of %q ends at offset %d, RawObject at %d", b, vd.Offset(), off+int64(len(b)))
			}
		} else if ok {
			t.Fatal("RawObject consumed a value when raw was not asked for")
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
// through RawObject are those read with Value alone, errors and their
// offsets included, with every reader and limit.
func requireSameElements(t *testing.T, elems []byte) {
	t.Helper()
	for _, maxDepth := range []int{defaultMaxDepth, 4} {
		for _, small := range []bool{false, true} {
			want := readElements(t, elems, false, small, 0, maxDepth)
			for _, limit := range []int{1 << 20, 16} {
				got := readElements(t, elems, true, small, limit, maxDepth)
				if fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", want) {
					t.Fatalf("%q (small %v, limit %d, depth %d):\nraw   %#v\nvalue %#v", elems, small, limit, maxDepth, got, want)
				}
			}
		}
	}
}

// rawSeeds are arrays of records, valid and not, bad in every way the
// decoder has an error for, and cut everywhere.
var rawSeeds = []string{
	`{"id":1,"name":"a"},{"id":2,"name":"b"}`,
	`{}, {"a": [1, {"b": "}"}], "c": "\"]"}` + "\n" + `,{"d":null}`,
	`{"s":"\\\\"},{"s":"\\""},{"s":"\u00e9\ud83d\ude00\ud800"},{"s":"x\ud800"}`,
	`{"a":tru}`, `{"a":t}`, `{"a":[n]}`, `{"a":nul`, `{"a":1.}`, `{"a":-}`, `{"a":01}`, `{"a":1e}`,
	`{"a":"\u12"}`, `{"a":"\q"}`, "{\"a\":\"x\ny\"}", "{\"a\":\"\xff\"}", `{"a":1 "b":2}`, `{"a" 1}`,
	`{"a":[1 2]}`, `{"a":[1,]}`, `{"a":1,}`, `{1:2}`, `{"a":NaN}`, `{"a":99999999999999999999}`,
	`{"a":1e999}`, `[1]`, `1`, `"x"`, `null`, `{"a":1}}`, `{"a":1}]`, `{"a":1} {"b":2}`, `{"a":1},,{}`,
	`{"a":[[[[[1]]]]]}`, `{"a":{"b":{"c":{}}}}`, `{"a":"` + strings.Repeat("y", 40) + `"}`,
	`{"a":1}` + strings.Repeat(" ", 30) + `,{"b":[]}`,
}

func TestRawObjectReadsAsValue(t *testing.T) {
	for _, s := range rawSeeds {
		for cut := 0; cut <= len(s); cut++ {
			requireSameElements(t, []byte(s[:cut]))
		}
	}
}

// A deep object is left to Value, which reports the depth.
func TestRawObjectLeavesDeepObjects(t *testing.T) {
	d := NewDecoder(strings.NewReader(`{"a":[[1]]} {"a":[1]}`))
	d.SetMaxDepth(2)
	if _, _, ok := d.RawObject(1 << 20); ok {
		t.Fatal("an object three deep was returned with a limit of 2")
	}
	if _, err := d.Value(); err == nil || !strings.Contains(err.Error(), "exceeded max depth 2") {
		t.Fatalf("Value: %v", err)
	}
}

// The bytes RawObject returns are the object's, at its offset; the
// Decoder of NewValueDecoder leaves them as they are.
func TestRawObjectBytes(t *testing.T) {
	doc := `  {"a": "}"}  ,{"b":[1]}`
	d := NewDecoder(strings.NewReader(doc))
	b, off, ok := d.RawObject(1 << 20)
	if !ok || string(b) != `{"a": "}"}` || off != 2 {
		t.Fatalf("%q at %d, %v", b, off, ok)
	}
	keep := string(b)
	vd := NewValueDecoder(0)
	vd.Reset(b, off)
	if v, err := vd.Value(); err != nil || fmt.Sprint(v) != "map[a:}]" {
		t.Fatalf("%v, %v", v, err)
	}
	if _, err := vd.Value(); err == nil || !strings.Contains(err.Error(), "offset 12: unexpected end of input") {
		t.Fatalf("past the end: %v", err)
	}
	if string(b) != keep {
		t.Fatalf("the bytes changed to %q", b)
	}
}

func FuzzRawObject(f *testing.F) {
	for _, s := range rawSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, elems []byte) {
		requireSameElements(t, elems)
	})
}
