package cborv

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"github.com/dictdb/dictdb-go/internal/box"
	"github.com/fxamacker/cbor/v2"
)

// fxDecMode is fxamacker/cbor configured as strictly as our decoder, as an
// independent reference: integers as int64 (or an error), no tags, no
// undefined, invalid UTF-8 rejected, duplicate keys reported (we let the
// last one win, as jsonv does). Maps decode as map[any]any so that keys
// keep their types (into map[string]any, fxamacker/cbor turns a null key
// into "").
var fxDecMode = func() cbor.DecMode {
	sv, err := cbor.NewSimpleValueRegistryFromDefaults(cbor.WithRejectedSimpleValue(23))
	if err != nil {
		panic(err)
	}
	dm, err := cbor.DecOptions{
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
		MaxNestedLevels:  65535,
		MaxArrayElements: math.MaxInt32,
		MaxMapPairs:      math.MaxInt32,
		TagsMd:           cbor.TagsForbidden,
		IntDec:           cbor.IntDecConvertSignedOrFail,
		SimpleValues:     sv,
	}.DecMode()
	if err != nil {
		panic(err)
	}
	return dm
}()

// fxDecode decodes data with fxamacker/cbor. dup reports a duplicate map key
// (the decoding stops there, so nothing else is known about data).
func fxDecode(data []byte) (v any, err error, dup bool) {
	err = fxDecMode.Unmarshal(data, &v)
	var de *cbor.DupMapKeyError
	return v, err, errors.As(err, &de)
}

// toModel converts a value decoded by fxamacker/cbor to the data model. ok
// is false if it holds anything else (NaN or infinity, byte strings, simple
// values, map keys that are not text) or is nested deeper than maxDepth.
func toModel(v any, maxDepth int) (any, bool) {
	switch x := v.(type) {
	case nil, bool, int64, string:
		return v, true
	case float64:
		return v, !math.IsNaN(x) && !math.IsInf(x, 0)
	case []any:
		if maxDepth == 0 {
			return nil, false
		}
		out := make([]any, len(x))
		for i, e := range x {
			var ok bool
			if out[i], ok = toModel(e, maxDepth-1); !ok {
				return nil, false
			}
		}
		return out, true
	case map[any]any:
		if maxDepth == 0 {
			return nil, false
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			ks, ok := k.(string)
			if !ok {
				return nil, false
			}
			if out[ks], ok = toModel(e, maxDepth-1); !ok {
				return nil, false
			}
		}
		return out, true
	}
	return nil, false
}

// splitRune reports whether err is our rejection of an indefinite-length
// text string whose chunks split a UTF-8 sequence, which RFC 8949 §3.2.3
// forbids but fxamacker/cbor accepts (it checks the joined string).
func splitRune(data []byte, err error) bool {
	return err != nil && strings.Contains(err.Error(), "invalid UTF-8") && bytes.IndexByte(data, 0x7f) >= 0
}

// FuzzCBORDecode checks the decoder against fxamacker/cbor on arbitrary
// input: it never panics; it accepts exactly what fxamacker/cbor (as strict)
// accepts within the data model, with the same value; Skip, 1-byte reads
// and a tiny buffer agree with Value; and what it accepts re-encodes to
// bytes that decode to the same value and are canonical.
func FuzzCBORDecode(f *testing.F) {
	for _, c := range validItems {
		f.Add(unhex(f, c.hex))
	}
	for _, c := range invalidItems {
		f.Add(unhex(f, c.hex))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := decodeAll(data)
		fxv, fxErr, dup := fxDecode(data)
		want, inModel := toModel(fxv, defaultMaxDepth)
		if fxOK := fxErr == nil && inModel; !dup && !(fxOK && splitRune(data, err)) {
			if (err == nil) != fxOK {
				t.Fatalf("decoding %x: our error %v, fxamacker/cbor error %v (value %#v)", data, err, fxErr, fxv)
			}
			if err == nil && !equalValues(want, got) {
				t.Fatalf("decoded %x as %#v, fxamacker/cbor as %#v", data, got, want)
			}
		}

		d := NewDecoder(bytes.NewReader(data))
		skipErr := d.Skip()
		if skipErr == nil {
			skipErr = d.End()
		}
		if (skipErr == nil) != (err == nil) {
			t.Fatalf("Value error %v but Skip error %v for %x", err, skipErr, data)
		}
		d = NewDecoder(iotest.OneByteReader(bytes.NewReader(data)))
		d.buf = make([]byte, 0, 3)
		got2, err2 := d.Value()
		if err2 == nil {
			err2 = d.End()
		}
		if (err2 == nil) != (err == nil) || (err == nil && !equalValues(got, got2)) {
			t.Fatalf("small buffer: %#v, %v; want %#v, %v for %x", got2, err2, got, err, data)
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
			t.Fatalf("arena: %#v, %v; want %#v, %v for %x", got3, err3, got, err, data)
		}
		if err != nil {
			return
		}

		enc, err := AppendValue(nil, got)
		if err != nil {
			t.Fatalf("AppendValue(%#v): %v", got, err)
		}
		back, err := decodeAll(enc)
		if err != nil || !equalValues(got, back) {
			t.Fatalf("re-encoding %#v as %x reads back as %#v, %v", got, enc, back, err)
		}
		if enc2, _ := AppendValue(nil, back); !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding is not canonical: %x then %x", enc, enc2)
		}
		fx, fxErr, _ := fxDecode(enc)
		if fxm, ok := toModel(fx, defaultMaxDepth); fxErr != nil || !ok || !equalValues(got, fxm) {
			t.Fatalf("fxamacker/cbor reads our %x as %#v, %v; want %#v", enc, fx, fxErr, got)
		}
	})
}

// FuzzRoundTrip checks that encoding and decoding are inverse for fuzzed
// strings, integers and floats, alone and nested, and that fxamacker/cbor
// reads the same values.
func FuzzRoundTrip(f *testing.F) {
	f.Add("plain", int64(0), 0.0)
	f.Add("é\u2028\n\"\\\x00", int64(math.MinInt64), 1e21)
	f.Add("\xff\xe2\x82", int64(math.MaxInt64), 5e-324)
	f.Add("😀", int64(-1), math.Copysign(0, -1))
	f.Add("", int64(24), 1.0)
	f.Fuzz(func(t *testing.T, s string, i int64, fl float64) {
		values := []any{s, i, []any{s, i}, map[string]any{s: i, "k": []any{}}}
		if !math.IsNaN(fl) && !math.IsInf(fl, 0) {
			values = append(values, fl, []any{fl, map[string]any{"f": fl}})
		}
		for _, v := range values {
			enc, err := AppendValue(nil, v)
			if err != nil {
				t.Fatalf("AppendValue(%#v): %v", v, err)
			}
			got, err := decodeAll(enc)
			if err != nil {
				t.Fatalf("decoding our encoding %x of %#v: %v", enc, v, err)
			}
			fx, fxErr, _ := fxDecode(enc)
			if fxm, ok := toModel(fx, defaultMaxDepth); fxErr != nil || !ok || !equalValues(fxm, got) {
				t.Fatalf("fxamacker/cbor reads %x as %#v, %v; we read %#v", enc, fx, fxErr, got)
			}
			if utf8.ValidString(s) && !equalValues(v, got) {
				t.Fatalf("%#v encoded as %x reads back as %#v", v, enc, got)
			}
		}
	})
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
