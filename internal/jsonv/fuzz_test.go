package jsonv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"github.com/dictdb/dictdb-go/internal/box"
)

// FuzzDecode checks the decoder against encoding/json on arbitrary input:
// it never panics; whatever encoding/json accepts (with integers in int64
// and floats in range) it accepts with the same value; and whatever it
// accepts, encoding/json accepts.
func FuzzDecode(f *testing.F) {
	for _, doc := range validDocs {
		f.Add([]byte(doc))
	}
	for _, doc := range []string{
		sampleDoc, `[1,]`, `{"a":1,}`, `NaN`, `-Infinity`, `9223372036854775808`, `1e999`, `"\ud800`,
		`[[[[`, `{"a" 1}`, `"\u00e9"`, "\"\xff\"", `01`, `1.e5`, `-`, `tru`, `[1 2]`,
	} {
		f.Add([]byte(doc))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := decodeAll(data)
		want, stdOK := stdDecode(data)
		if err == nil {
			if !json.Valid(data) {
				t.Fatalf("accepted %q which encoding/json rejects", data)
			}
			if !stdOK {
				t.Fatalf("accepted %q which has an out-of-range number", data)
			}
		}
		if stdOK {
			if err != nil {
				t.Fatalf("rejected %q which encoding/json accepts: %v", data, err)
			}
			if !equalValues(want, got) {
				t.Fatalf("decoded %q as %#v, encoding/json as %#v", data, got, want)
			}
		}

		// Skip accepts the same input, and so do tiny buffers and 1-byte reads.
		d := NewDecoder(bytes.NewReader(data))
		skipErr := d.Skip()
		if skipErr == nil {
			skipErr = d.End()
		}
		if (skipErr == nil) != (err == nil) {
			t.Fatalf("Value error %v but Skip error %v for %q", err, skipErr, data)
		}
		d = NewDecoder(iotest.OneByteReader(bytes.NewReader(data)))
		d.buf = make([]byte, 0, 3)
		got2, err2 := d.Value()
		if err2 == nil {
			err2 = d.End()
		}
		if (err2 == nil) != (err == nil) || (err == nil && !equalValues(got, got2)) {
			t.Fatalf("small buffer: %#v, %v; want %#v, %v for %q", got2, err2, got, err, data)
		}

		// Values boxed from an arena are the same values, and the errors
		// the same errors.
		d = NewDecoder(bytes.NewReader(data))
		d.UseArena(new(box.Arena))
		got3, err3 := d.Value()
		if err3 == nil {
			err3 = d.End()
		}
		if fmt.Sprint(err3) != fmt.Sprint(err) || (err == nil && !equalValues(got, got3)) {
			t.Fatalf("arena: %#v, %v; want %#v, %v for %q", got3, err3, got, err, data)
		}
	})
}

// FuzzRoundTrip checks that encoding and decoding are inverse: for values
// decoded from the fuzzed document and for fuzzed strings, integers and
// floats. The encoding is canonical: re-encoding gives the same bytes.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte(sampleDoc), "plain", int64(0), 0.0)
	f.Add([]byte(`[1,2.5,"x"]`), "é\u2028\n\"\\\x00", int64(math.MinInt64), 1e21)
	f.Add([]byte(`{"a":{"b":[]}}`), "\xff\xe2\x82", int64(math.MaxInt64), 5e-324)
	f.Add([]byte(`-0.0`), "😀", int64(-1), math.Copysign(0, -1))
	f.Add([]byte(`"\ud83d"`), "", int64(42), 1e-7)
	f.Fuzz(func(t *testing.T, doc []byte, s string, i int64, fl float64) {
		values := []any{s, i, []any{s, i}, map[string]any{s: i}}
		if !math.IsNaN(fl) && !math.IsInf(fl, 0) {
			values = append(values, fl)
		}
		if v, err := decodeAll(doc); err == nil {
			values = append(values, v)
		}
		for _, v := range values {
			enc, err := AppendValue(nil, v)
			if err != nil {
				t.Fatalf("AppendValue(%#v): %v", v, err)
			}
			if !json.Valid(enc) {
				t.Fatalf("encoding/json rejects our encoding %q of %#v", enc, v)
			}
			got, err := decodeAll(enc)
			if err != nil {
				t.Fatalf("decoding our encoding %q of %#v: %v", enc, v, err)
			}
			// encoding/json reads the same value (in particular, strings with
			// invalid UTF-8 come back with the same replacements).
			if want, ok := stdDecode(enc); !ok || !equalValues(want, got) {
				t.Fatalf("decoded %q as %#v, encoding/json as %#v", enc, got, want)
			}
			if utf8.ValidString(s) && !equalValues(v, got) {
				t.Fatalf("%#v encoded as %q reads back as %#v", v, enc, got)
			}
			// After one round trip the encoding is canonical.
			enc2 := mustAppend(t, got)
			if utf8.ValidString(s) && !bytes.Equal(enc, enc2) {
				t.Fatalf("re-encoding %q gives %q", enc, enc2)
			}
			got2, err := decodeAll(enc2)
			if err != nil || !equalValues(got, got2) || !bytes.Equal(enc2, mustAppend(t, got2)) {
				t.Fatalf("second round trip of %q: %#v, %v", enc2, got2, err)
			}
		}
		if !math.IsNaN(fl) && !math.IsInf(fl, 0) {
			got, err := decodeAll(AppendFloat(nil, fl))
			if err != nil || math.Float64bits(got.(float64)) != math.Float64bits(fl) {
				t.Fatalf("float %v: got %v, %v", fl, got, err)
			}
		}
		if got, err := decodeAll(AppendInt(nil, i)); err != nil || got != i {
			t.Fatalf("int %v: got %v, %v", i, got, err)
		}
	})
}

func mustAppend(t *testing.T, v any) []byte {
	t.Helper()
	enc, err := AppendValue(nil, v)
	if err != nil {
		t.Fatalf("AppendValue(%#v): %v", v, err)
	}
	return enc
}

// equalValues compares data-model values, telling 0.0 and -0.0 apart.
func equalValues(a, b any) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		return ok && math.Float64bits(x) == math.Float64bits(y)
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) || (x == nil) != (y == nil) {
			return false
		}
		for i := range x {
			if !equalValues(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !equalValues(xv, yv) {
				return false
			}
		}
		return true
	}
	return a == b
}
