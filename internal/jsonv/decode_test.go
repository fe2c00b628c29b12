package jsonv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// decodeAll decodes one value from data and checks that nothing follows.
func decodeAll(data []byte) (any, error) {
	d := NewDecoder(bytes.NewReader(data))
	v, err := d.Value()
	if err != nil {
		return nil, err
	}
	if err := d.End(); err != nil {
		return nil, err
	}
	return v, nil
}

// stdDecode decodes data with encoding/json into the data model: integers
// (number literals without '.', 'e', 'E') as int64, other numbers as float64.
// ok is false if encoding/json rejects data or a number is out of range.
func stdDecode(data []byte) (v any, ok bool) {
	if !json.Valid(data) {
		return nil, false
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return nil, false
	}
	return convertNumbers(v)
}

func convertNumbers(v any) (any, bool) {
	switch x := v.(type) {
	case json.Number:
		s := string(x)
		if strings.ContainsAny(s, ".eE") {
			f, err := strconv.ParseFloat(s, 64)
			return f, err == nil
		}
		i, err := strconv.ParseInt(s, 10, 64)
		return i, err == nil
	case []any:
		for i, e := range x {
			var ok bool
			if x[i], ok = convertNumbers(e); !ok {
				return nil, false
			}
		}
		return x, true
	case map[string]any:
		for k, e := range x {
			var ok bool
			if x[k], ok = convertNumbers(e); !ok {
				return nil, false
			}
		}
		return x, true
	}
	return v, true
}

// validDocs are valid documents in the data model (no out-of-range numbers).
var validDocs = []string{
	`null`, `true`, `false`, `0`, `-0`, `1`, `-1`, `123456789012345678`, `1234567890123456789`,
	`9223372036854775807`, `-9223372036854775808`, `0.5`, `-0.0`, `1e3`, `1E3`, `1e+3`, `1e-3`,
	`2.5E-3`, `1e-400`, `5e-324`, `1.7976931348623157e308`, `0.1`, `100000000000000000000000.0`,
	`""`, `"abc"`, `"\"\\\/\b\f\n\r\t"`, `"\u00e9\u20AC"`, `"\ud83d\ude00"`, `"\ud83d"`, `"\ude00\ud83d x"`,
	`"\ud83d\u0041"`, `"é😀"`, `"é\u00e9\n€ abcdefghijklmnop"`, "\"abcdefghé\xff\\n\"",
	"\"0123456789abcdef\xe2\x82\"", "\"a\xffb\"", "\"\xe2\x82\"", "\"\u2028\"", `"\u0000"`,
	`[]`, `[ ]`, `{}`, `{ }`, `[1,2,3]`, `[[[]]]`, `[{"a":[{}]}]`,
	`{"a":1,"b":[1.5,"\u00e9",null,true]}`,
	`{"a": 1, "b": [1.5, "\u00e9", null, true]}`,
	" \t\r\n{ \"a\" : [ 1 , { } ] } \n",
	`{"dup":1,"dup":2}`,
	`{"id":123,"name":"user-123","email":"user123@example.com","age":42,"city":"Berlin","score":87.5}`,
	`{"":"","\u0000":"x","k\"ey":{"nested":{"deep":[true,false,null,-1.25e-7]}}}`,
}

func TestDecodeMatchesEncodingJSON(t *testing.T) {
	for _, doc := range validDocs {
		t.Run(doc, func(t *testing.T) {
			want, ok := stdDecode([]byte(doc))
			require.True(t, ok, "encoding/json rejects the test document")
			got, err := decodeAll([]byte(doc))
			require.NoError(t, err)
			require.Equal(t, want, got)
		})
	}
}

func TestDecodeValues(t *testing.T) {
	tests := []struct {
		in   string
		want any
	}{
		{`0`, int64(0)},
		{`-0`, int64(0)},
		{`9223372036854775807`, int64(math.MaxInt64)},
		{`-9223372036854775808`, int64(math.MinInt64)},
		{`3.0`, 3.0},
		{`1e2`, 100.0},
		{`1E2`, 100.0},
		{`-0.0`, math.Copysign(0, -1)},
		{`"\u00e9"`, "é"},
		{`"\ud83d\ude00"`, "😀"},
		{`"\ud83d"`, "\uFFFD"},
		{`"\ud83dx"`, "\uFFFDx"},
		{`"\ud83d\u0041"`, "\uFFFDA"},
		{`"\ude00"`, "\uFFFD"},
		{"\"a\xffb\"", "a\uFFFDb"},
		{`"\/"`, "/"},
		{`[]`, []any{}},
		{`{}`, map[string]any{}},
		{`{"a":1,"a":2}`, map[string]any{"a": int64(2)}},
		{`{"a": 1, "b": [1.5, "\u00e9", null, true]}`,
			map[string]any{"a": int64(1), "b": []any{1.5, "é", nil, true}}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := decodeAll([]byte(tt.in))
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
			if f, ok := tt.want.(float64); ok {
				require.Equal(t, math.Float64bits(f), math.Float64bits(got.(float64)))
			}
		})
	}
}

func TestDecodeEmptyArrayIsNotNil(t *testing.T) {
	v, err := decodeAll([]byte(`{"a":[]}`))
	require.NoError(t, err)
	a := v.(map[string]any)["a"].([]any)
	require.NotNil(t, a)
	require.Empty(t, a)
}

func TestRoundTrip(t *testing.T) {
	values := []any{
		nil, true, false,
		int64(0), int64(1), int64(-1), int64(math.MaxInt64), int64(math.MinInt64),
		0.1, 1e21, 1e-7, math.Copysign(0, -1), 0.0, 3.0, 5e-324, math.MaxFloat64, -math.MaxFloat64,
		1e20, 1e-6, 123.456, math.Pi,
		"", "plain", "quote\" backslash\\ slash/", "\n\r\t\b\f\x00\x1f\x7f", "é€😀", "\u2028\u2029",
		strings.Repeat("long string ", 10000),
		[]any{}, map[string]any{},
		[]any{int64(1), "two", 3.0, nil, []any{[]any{}}, map[string]any{"x": []any{false}}},
		map[string]any{
			"id": int64(123), "name": "user-123", "score": 87.5,
			"nested": map[string]any{"list": []any{int64(1), 2.5, "é", nil, true}, "empty": map[string]any{}},
			"":       "empty key", "é": "non-ASCII key", "\n": "escaped key",
		},
	}
	for i, v := range values {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			enc, err := AppendValue(nil, v)
			require.NoError(t, err)
			require.True(t, json.Valid(enc), "%s", enc)
			got, err := decodeAll(enc)
			require.NoError(t, err)
			require.Equal(t, v, got)
			if f, ok := v.(float64); ok {
				require.Equal(t, math.Float64bits(f), math.Float64bits(got.(float64)), "sign of zero")
			}
			again, err := AppendValue(nil, got)
			require.NoError(t, err)
			require.Equal(t, string(enc), string(again))
		})
	}
}

func TestRoundTripInvalidUTF8(t *testing.T) {
	enc, err := AppendValue(nil, map[string]any{"k\xff": "v\xfe\xe2\x82"})
	require.NoError(t, err)
	got, err := decodeAll(enc)
	require.NoError(t, err)
	require.Equal(t, map[string]any{"k\uFFFD": "v\uFFFD\uFFFD\uFFFD"}, got)
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		in      string
		wantMsg string
	}{
		{`9223372036854775808`, "offset 0: integer 9223372036854775808 out of range"},
		{`[1, -9223372036854775809]`, "offset 4: integer -9223372036854775809 out of range"},
		{`{"a":123456789012345678901234567890}`, "offset 5: integer 123456789012345678901234567890 out of range"},
		{`1e999`, "offset 0: number 1e999 out of range"},
		{`[-1e400]`, "offset 1: number -1e400 out of range"},
		{`NaN`, "offset 0: invalid character 'N' looking for beginning of value (NaN and Infinity are not valid JSON)"},
		{`[1, NaN]`, "offset 4: invalid character 'N'"},
		{`Infinity`, "offset 0: invalid character 'I' looking for beginning of value (NaN and Infinity are not valid JSON)"},
		{`{"a": -Infinity}`, "offset 7: invalid character 'I' in numeric literal (NaN and Infinity are not valid JSON)"},
		{`nan`, "offset 1: invalid character 'a' in literal null"},
		{`[1,2,]`, "offset 5: invalid character ']' looking for beginning of value"},
		{`{"a":1,}`, "offset 7: invalid character '}' looking for beginning of object key string"},
		{`[1 2]`, "offset 3: invalid character '2' after array element"},
		{`{"a":1 "b":2}`, "offset 7: invalid character '\"' after object key:value pair"},
		{`{"a" 1}`, "offset 5: invalid character '1' after object key"},
		{`{1:2}`, "offset 1: invalid character '1' looking for beginning of object key string"},
		{`[,1]`, "offset 1: invalid character ','"},
		{`01`, "offset 1: invalid character '1' after numeric literal"},
		{`-`, "unexpected end of input"},
		{`-x`, "offset 1: invalid character 'x' in numeric literal"},
		{`1.`, "unexpected end of input"},
		{`1.x`, "offset 2: invalid character 'x' after decimal point"},
		{`1e`, "unexpected end of input"},
		{`1e+]`, "offset 3: invalid character ']' in exponent"},
		{`.5`, "offset 0: invalid character '.' looking for beginning of value"},
		{`+1`, "offset 0: invalid character '+' looking for beginning of value"},
		{`1-2`, "offset 1: invalid character '-' after numeric literal"},
		{`tru`, "unexpected end of input"},
		{`trUe`, "offset 2: invalid character 'U' in literal true"},
		{`"a` + "\n" + `"`, "offset 2: invalid character '\\n' in string literal"},
		{`"\x"`, "offset 2: invalid character 'x' in string escape code"},
		{`"\u12G4"`, "offset 5: invalid character 'G' in \\u hexadecimal character escape"},
		{`"\ud83d\u12G4"`, "offset 11: invalid character 'G' in \\u hexadecimal character escape"},
		{`'a'`, `offset 0: invalid character '\'' looking for beginning of value`},
		{"\x01", `offset 0: invalid character '\x01' looking for beginning of value`},
		{`[1] x`, "offset 4: invalid character 'x' after top-level value (trailing data)"},
		{`{} {}`, "trailing data"},
		{``, "offset 0: unexpected end of input"},
		{`   `, "offset 3: unexpected end of input"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := decodeAll([]byte(tt.in))
			require.Error(t, err)
			require.Nil(t, got)
			require.ErrorContains(t, err, tt.wantMsg)
			require.True(t, strings.HasPrefix(err.Error(), "jsonv: offset "), err.Error())
			var se *SyntaxError
			require.ErrorAs(t, err, &se)
			_, stdOK := stdDecode([]byte(tt.in))
			require.False(t, stdOK, "encoding/json accepts it (with our number model)")
		})
	}
}

func TestSyntaxErrorFields(t *testing.T) {
	_, err := decodeAll([]byte(`[1,  99999999999999999999]`))
	var se *SyntaxError
	require.ErrorAs(t, err, &se)
	require.Equal(t, int64(5), se.Offset)
	require.Equal(t, "integer 99999999999999999999 out of range", se.Msg)
	require.Equal(t, "jsonv: offset 5: integer 99999999999999999999 out of range", err.Error())
	require.NotErrorIs(t, err, io.ErrUnexpectedEOF)

	_, err = decodeAll([]byte(`[1,`))
	require.ErrorAs(t, err, &se)
	require.Equal(t, int64(3), se.Offset)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	require.Equal(t, "jsonv: offset 3: unexpected end of input", err.Error())
}

const sampleDoc = `{"id": 123, "name": "user-\u00e9\ud83d\ude00 \"q\"", "tags": ["a", "b\n", []],` +
	` "score": -87.5e-1, "ok": true, "no": false, "nil": null, "big": 9223372036854775807,` +
	` "nested": {"x": [1, {"y": [2.0, {}]}], "z": "é"}, "e": 1E+2}`

func TestTruncatedInput(t *testing.T) {
	full := []byte(sampleDoc)
	_, err := decodeAll(full)
	require.NoError(t, err)
	for n := 0; n < len(full); n++ {
		for _, mode := range []string{"Value", "Skip"} {
			d := NewDecoder(bytes.NewReader(full[:n]))
			var v any
			var err error
			if mode == "Value" {
				v, err = d.Value()
			} else {
				err = d.Skip()
			}
			require.Error(t, err, "%s of prefix %q", mode, full[:n])
			require.Nil(t, v)
			require.ErrorIs(t, err, io.ErrUnexpectedEOF, "%s of prefix %q", mode, full[:n])
			var se *SyntaxError
			require.ErrorAs(t, err, &se)
			require.Equal(t, int64(n), se.Offset)
		}
	}
}

func TestTruncatedInputOneByteReader(t *testing.T) {
	full := []byte(sampleDoc)
	for n := 0; n < len(full); n++ {
		_, err := NewDecoder(iotest.OneByteReader(bytes.NewReader(full[:n]))).Value()
		require.ErrorIs(t, err, io.ErrUnexpectedEOF, "prefix %q", full[:n])
	}
}

func TestMaxDepth(t *testing.T) {
	nested := func(n int) []byte {
		return []byte(strings.Repeat("[", n) + strings.Repeat("]", n))
	}
	nestedObj := func(n int) []byte {
		return []byte(strings.Repeat(`{"a":`, n) + "null" + strings.Repeat("}", n))
	}
	for _, doc := range [][]byte{nested(512), nestedObj(512)} {
		_, err := decodeAll(doc)
		require.NoError(t, err)
		require.NoError(t, NewDecoder(bytes.NewReader(doc)).Skip())
	}
	for _, doc := range [][]byte{nested(513), nestedObj(513), nested(100000)} {
		_, err := decodeAll(doc)
		require.ErrorContains(t, err, "exceeded max depth 512")
		require.ErrorContains(t, NewDecoder(bytes.NewReader(doc)).Skip(), "exceeded max depth 512")
	}

	d := NewDecoder(bytes.NewReader(nested(4)))
	d.SetMaxDepth(3)
	_, err := d.Value()
	var se *SyntaxError
	require.ErrorAs(t, err, &se)
	require.Equal(t, "exceeded max depth 3", se.Msg)
	require.Equal(t, int64(3), se.Offset)

	d = NewDecoder(bytes.NewReader(nested(3)))
	d.SetMaxDepth(3)
	_, err = d.Value()
	require.NoError(t, err)

	// Containers opened through the streaming API count too.
	d = NewDecoder(bytes.NewReader(nested(4)))
	d.SetMaxDepth(3)
	require.NoError(t, d.BeginArray())
	require.NoError(t, d.BeginArray())
	ok, err := d.NextElem()
	require.NoError(t, err)
	require.True(t, ok)
	_, err = d.Value()
	require.ErrorContains(t, err, "exceeded max depth 3")

	d = NewDecoder(bytes.NewReader(nested(4)))
	d.SetMaxDepth(2)
	require.NoError(t, d.BeginArray())
	require.NoError(t, d.BeginArray())
	require.ErrorContains(t, d.BeginArray(), "exceeded max depth 2")

	d = NewDecoder(bytes.NewReader(nested(600)))
	d.SetMaxDepth(1000)
	_, err = d.Value()
	require.NoError(t, err)
}

func TestStreamingLargeDocument(t *testing.T) {
	const n = 200000
	var doc bytes.Buffer
	doc.WriteString(`{"name": "big", "items": [`)
	for i := range n {
		if i > 0 {
			doc.WriteString(", ")
		}
		fmt.Fprintf(&doc, `{"i": %d, "s": "item-%d\n", "f": %d.5}`, i, i, i)
	}
	doc.WriteString(`], "count": 200000}`)
	require.Greater(t, doc.Len(), 4*defaultBufSize)

	d := NewDecoder(bytes.NewReader(doc.Bytes()))
	require.NoError(t, d.BeginObject())
	key, ok, err := d.NextKey()
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "name", key)
	name, err := d.String()
	require.NoError(t, err)
	require.Equal(t, "big", name)

	key, ok, err = d.NextKey()
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "items", key)
	require.NoError(t, d.BeginArray())
	count := 0
	for {
		ok, err := d.NextElem()
		require.NoError(t, err)
		if !ok {
			break
		}
		if count%2 == 0 {
			v, err := d.Value()
			require.NoError(t, err)
			want := map[string]any{"i": int64(count), "s": fmt.Sprintf("item-%d\n", count), "f": float64(count) + 0.5}
			if !assert.Equal(t, want, v) {
				t.FailNow()
			}
		} else {
			require.NoError(t, d.Skip())
		}
		count++
	}
	require.Equal(t, n, count)

	key, ok, err = d.NextKey()
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "count", key)
	v, err := d.Value()
	require.NoError(t, err)
	require.Equal(t, int64(n), v)

	_, ok, err = d.NextKey()
	require.NoError(t, err)
	require.False(t, ok)
	require.NoError(t, d.End())
	require.Equal(t, int64(doc.Len()), d.Offset())
}

// streamWalk decodes data with the streaming API, descending into every
// container with BeginObject/BeginArray and using Null, String and Value
// for the leaves, and rebuilds the value.
func streamWalk(d *Decoder) (any, error) {
	c, err := d.Peek()
	if err != nil {
		return nil, err
	}
	switch c {
	case '{':
		if err := d.BeginObject(); err != nil {
			return nil, err
		}
		m := map[string]any{}
		for {
			k, ok, err := d.NextKey()
			if err != nil {
				return nil, err
			}
			if !ok {
				return m, nil
			}
			if m[k], err = streamWalk(d); err != nil {
				return nil, err
			}
		}
	case '[':
		if err := d.BeginArray(); err != nil {
			return nil, err
		}
		a := []any{}
		for {
			ok, err := d.NextElem()
			if err != nil {
				return nil, err
			}
			if !ok {
				return a, nil
			}
			v, err := streamWalk(d)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
	case '"':
		return d.String()
	case 'n':
		isNull, err := d.Null()
		if err != nil || !isNull {
			return nil, fmt.Errorf("Null() = %v, %v", isNull, err)
		}
		return nil, nil
	}
	isNull, err := d.Null()
	if err != nil || isNull {
		return nil, fmt.Errorf("Null() = %v, %v before %q", isNull, err, c)
	}
	return d.Value()
}

func TestStreamingOneByteReader(t *testing.T) {
	want, err := decodeAll([]byte(sampleDoc))
	require.NoError(t, err)
	readers := map[string]func([]byte) io.Reader{
		"OneByteReader": func(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) },
		"HalfReader":    func(b []byte) io.Reader { return iotest.HalfReader(bytes.NewReader(b)) },
		"DataErrReader": func(b []byte) io.Reader { return iotest.DataErrReader(bytes.NewReader(b)) },
	}
	for name, mk := range readers {
		t.Run(name, func(t *testing.T) {
			d := NewDecoder(mk([]byte(sampleDoc)))
			got, err := streamWalk(d)
			require.NoError(t, err)
			require.Equal(t, want, got)
			require.NoError(t, d.End())
			require.Equal(t, int64(len(sampleDoc)), d.Offset())

			got, err = NewDecoder(mk([]byte(sampleDoc))).Value()
			require.NoError(t, err)
			require.Equal(t, want, got)
		})
	}
}

// TestSmallBuffers runs every valid document through decoders with tiny
// buffers, so that every token straddles buffer refills and growth.
func TestSmallBuffers(t *testing.T) {
	docs := append([]string{sampleDoc, `"` + strings.Repeat(`ab\n\u00e9é`, 50) + `"`}, validDocs...)
	for _, doc := range docs {
		want, err := decodeAll([]byte(doc))
		require.NoError(t, err)
		for size := 1; size <= 8; size++ {
			for _, oneByte := range []bool{false, true} {
				var r io.Reader = bytes.NewReader([]byte(doc))
				if oneByte {
					r = iotest.OneByteReader(r)
				}
				d := NewDecoder(r)
				d.buf = make([]byte, 0, size)
				got, err := d.Value()
				require.NoError(t, err, "doc %q size %d", doc, size)
				require.Equal(t, want, got, "doc %q size %d", doc, size)
				require.NoError(t, d.End())

				d = NewDecoder(bytes.NewReader([]byte(doc)))
				d.buf = make([]byte, 0, size)
				require.NoError(t, d.Skip())
				require.NoError(t, d.End())
				require.Equal(t, int64(len(doc)), d.Offset())
			}
		}
	}
}

func TestStreamingAPIErrors(t *testing.T) {
	t.Run("trailing comma in object", func(t *testing.T) {
		d := NewDecoder(strings.NewReader(`{"a":1,}`))
		require.NoError(t, d.BeginObject())
		k, ok, err := d.NextKey()
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, "a", k)
		_, err = d.Value()
		require.NoError(t, err)
		_, _, err = d.NextKey()
		require.ErrorContains(t, err, "offset 7: invalid character '}' looking for beginning of object key string")
		// Errors are sticky.
		_, err = d.Value()
		require.ErrorContains(t, err, "offset 7")
		require.ErrorContains(t, d.End(), "offset 7")
	})
	t.Run("missing comma in object", func(t *testing.T) {
		d := NewDecoder(strings.NewReader(`{"a":1 "b":2}`))
		require.NoError(t, d.BeginObject())
		_, _, err := d.NextKey()
		require.NoError(t, err)
		require.NoError(t, d.Skip())
		_, _, err = d.NextKey()
		require.ErrorContains(t, err, "after object key:value pair")
	})
	t.Run("trailing comma in array", func(t *testing.T) {
		d := NewDecoder(strings.NewReader(`[1,]`))
		require.NoError(t, d.BeginArray())
		ok, err := d.NextElem()
		require.NoError(t, err)
		require.True(t, ok)
		require.NoError(t, d.Skip())
		_, err = d.NextElem()
		require.ErrorContains(t, err, "offset 3: invalid character ']' looking for beginning of value")
	})
	t.Run("missing comma in array", func(t *testing.T) {
		d := NewDecoder(strings.NewReader(`[1 2]`))
		require.NoError(t, d.BeginArray())
		_, err := d.NextElem()
		require.NoError(t, err)
		require.NoError(t, d.Skip())
		_, err = d.NextElem()
		require.ErrorContains(t, err, "offset 3: invalid character '2' after array element")
	})
	t.Run("leading comma in array", func(t *testing.T) {
		d := NewDecoder(strings.NewReader(`[,1]`))
		require.NoError(t, d.BeginArray())
		_, err := d.NextElem()
		require.ErrorContains(t, err, "offset 1: invalid character ','")
	})
	t.Run("missing colon", func(t *testing.T) {
		d := NewDecoder(strings.NewReader(`{"a" 1}`))
		require.NoError(t, d.BeginObject())
		_, _, err := d.NextKey()
		require.ErrorContains(t, err, "after object key")
	})
	t.Run("wrong container", func(t *testing.T) {
		d := NewDecoder(strings.NewReader(`[1]`))
		require.ErrorContains(t, d.BeginObject(), "offset 0: invalid character '[' looking for beginning of object")
		d = NewDecoder(strings.NewReader(`{}`))
		require.ErrorContains(t, d.BeginArray(), "offset 0: invalid character '{' looking for beginning of array")
		d = NewDecoder(strings.NewReader(`1`))
		_, err := d.String()
		require.ErrorContains(t, err, "offset 0: invalid character '1' looking for beginning of string")
	})
	t.Run("NextKey outside object", func(t *testing.T) {
		d := NewDecoder(strings.NewReader(`[1]`))
		_, _, err := d.NextKey()
		require.ErrorContains(t, err, "NextKey called outside an object")
		d = NewDecoder(strings.NewReader(`[1]`))
		require.NoError(t, d.BeginArray())
		_, _, err = d.NextKey()
		require.ErrorContains(t, err, "NextKey called outside an object")
		d = NewDecoder(strings.NewReader(`{}`))
		require.NoError(t, d.BeginObject())
		_, err = d.NextElem()
		require.ErrorContains(t, err, "NextElem called outside an array")
	})
	t.Run("End inside container", func(t *testing.T) {
		d := NewDecoder(strings.NewReader(`[1]`))
		require.NoError(t, d.BeginArray())
		require.ErrorContains(t, d.End(), "unclosed")
	})
	t.Run("End with trailing data", func(t *testing.T) {
		d := NewDecoder(strings.NewReader("[1] \n x"))
		require.NoError(t, d.Skip())
		require.ErrorContains(t, d.End(), "offset 6: invalid character 'x' after top-level value (trailing data)")
	})
	t.Run("truncated in streaming", func(t *testing.T) {
		d := NewDecoder(strings.NewReader(`{"a":[1`))
		require.NoError(t, d.BeginObject())
		_, _, err := d.NextKey()
		require.NoError(t, err)
		require.NoError(t, d.BeginArray())
		ok, err := d.NextElem()
		require.NoError(t, err)
		require.True(t, ok)
		_, err = d.Value()
		require.NoError(t, err)
		_, err = d.NextElem()
		require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	})
}

func TestPeekNullString(t *testing.T) {
	d := NewDecoder(strings.NewReader(` null  "s\u00e9" nul`))
	c, err := d.Peek()
	require.NoError(t, err)
	require.Equal(t, byte('n'), c)
	require.Equal(t, int64(1), d.Offset(), "Peek consumes whitespace only")
	isNull, err := d.Null()
	require.NoError(t, err)
	require.True(t, isNull)
	require.Equal(t, int64(5), d.Offset())

	isNull, err = d.Null()
	require.NoError(t, err)
	require.False(t, isNull)
	require.Equal(t, int64(7), d.Offset())
	c, err = d.Peek()
	require.NoError(t, err)
	require.Equal(t, byte('"'), c)
	s, err := d.String()
	require.NoError(t, err)
	require.Equal(t, "sé", s)

	_, err = d.Null()
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
}

func TestPeekAtEnd(t *testing.T) {
	// A stream of top-level values (JSON Lines) ends cleanly: Peek reports
	// the end without making the decoder fail.
	d := NewDecoder(strings.NewReader("{\"a\":1}\n[2]\n\"x\"\n"))
	var got []any
	for {
		if _, err := d.Peek(); err != nil {
			require.ErrorIs(t, err, io.ErrUnexpectedEOF)
			break
		}
		v, err := d.Value()
		require.NoError(t, err)
		got = append(got, v)
	}
	require.Equal(t, []any{map[string]any{"a": int64(1)}, []any{int64(2)}, "x"}, got)
	require.NoError(t, d.End())
}

var errBoom = errors.New("boom")

func TestReaderErrors(t *testing.T) {
	t.Run("error after data", func(t *testing.T) {
		r := io.MultiReader(strings.NewReader(`{"a": [1, 2`), iotest.ErrReader(errBoom))
		_, err := NewDecoder(r).Value()
		require.ErrorIs(t, err, errBoom)
		require.NotErrorIs(t, err, io.ErrUnexpectedEOF)
		require.ErrorContains(t, err, "jsonv: offset 11: read error: boom")
	})
	t.Run("error with data", func(t *testing.T) {
		// The data returned together with the error is used first.
		r := iotest.TimeoutReader(iotest.OneByteReader(strings.NewReader(`[1]`)))
		d := NewDecoder(r)
		_, err := d.Value()
		require.ErrorIs(t, err, iotest.ErrTimeout)
	})
	t.Run("error at End", func(t *testing.T) {
		r := io.MultiReader(strings.NewReader(`1 `), iotest.ErrReader(errBoom))
		d := NewDecoder(r)
		v, err := d.Value()
		require.NoError(t, err)
		require.Equal(t, int64(1), v)
		require.ErrorIs(t, d.End(), errBoom)
	})
	t.Run("error in number at end", func(t *testing.T) {
		r := io.MultiReader(strings.NewReader(`12`), iotest.ErrReader(errBoom))
		_, err := NewDecoder(r).Value()
		require.ErrorIs(t, err, errBoom)
	})
	t.Run("no progress", func(t *testing.T) {
		_, err := NewDecoder(emptyReader{}).Value()
		require.ErrorIs(t, err, io.ErrNoProgress)
	})
}

type emptyReader struct{}

func (emptyReader) Read([]byte) (int, error) { return 0, nil }

func TestNumberTokenAtBufferEnd(t *testing.T) {
	// A top-level number is complete at the end of the input.
	for _, doc := range []string{"0", "-0", "12", "1.5", "1e5", "-1.25E-3", "9223372036854775807"} {
		want, ok := stdDecode([]byte(doc))
		require.True(t, ok)
		for size := 1; size <= len(doc)+1; size++ {
			d := NewDecoder(iotest.OneByteReader(strings.NewReader(doc)))
			d.buf = make([]byte, 0, size)
			got, err := d.Value()
			require.NoError(t, err)
			require.Equal(t, want, got)
			require.NoError(t, d.End())
		}
	}
}

func TestLongTokens(t *testing.T) {
	long := strings.Repeat("x", 3*defaultBufSize+17)
	escaped := strings.Repeat(`\u00e9\n`, defaultBufSize)
	doc := `["` + long + `", "` + escaped + `", 1` + strings.Repeat("0", 200) + `.5, "` + long + `"]`
	v, err := decodeAll([]byte(doc))
	require.NoError(t, err)
	a := v.([]any)
	require.Len(t, a, 4)
	require.Equal(t, long, a[0])
	require.Equal(t, strings.Repeat("é\n", defaultBufSize), a[1])
	require.Equal(t, 1e200, a[2])
	require.Equal(t, long, a[3])

	// Error messages quote long tokens in part only.
	_, err = decodeAll([]byte(strings.Repeat("9", 1000)))
	require.ErrorContains(t, err, "integer "+strings.Repeat("9", 64)+"... out of range")
}

func TestKeyCache(t *testing.T) {
	d := NewDecoder(strings.NewReader(`[{"name":1,"x":2},{"name":3,"y":4},{"name":5}]`))
	v, err := d.Value()
	require.NoError(t, err)
	recs := v.([]any)
	require.Equal(t, []any{
		map[string]any{"name": int64(1), "x": int64(2)},
		map[string]any{"name": int64(3), "y": int64(4)},
		map[string]any{"name": int64(5)},
	}, recs)
	// The keys are not aliased to the reused buffer: decoding more input
	// must not change them.
	_, err = d.Value()
	require.Error(t, err)
	for k := range recs[0].(map[string]any) {
		require.Contains(t, []string{"name", "x"}, k)
	}
}

func TestStringsDoNotAliasBuffer(t *testing.T) {
	d := NewDecoder(iotest.HalfReader(strings.NewReader(`"abc" "a\nc" "xyz" "x\ty"`)))
	var got []string
	for range 4 {
		s, err := d.String()
		require.NoError(t, err)
		got = append(got, s)
	}
	require.Equal(t, []string{"abc", "a\nc", "xyz", "x\ty"}, got)
}

func TestDecodeRecords(t *testing.T) {
	doc := recordsDoc(100)
	d := NewDecoder(bytes.NewReader(doc))
	v, err := d.Value()
	require.NoError(t, err)
	require.Len(t, v, 100)
	require.Equal(t, sampleRecord(7), v.([]any)[7])
}

func TestFloatParsingMatchesStrconv(t *testing.T) {
	// Covers the exact fast path and its boundaries (15 digits, 1e±22)
	// against strconv.ParseFloat, which is correctly rounded.
	rng := rand.New(rand.NewPCG(1, 2))
	digits := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('0' + rng.IntN(10))
		}
		return string(b)
	}
	for range 20000 {
		s := ""
		if rng.IntN(2) == 0 {
			s = "-"
		}
		if rng.IntN(5) == 0 {
			s += "0"
		} else {
			s += strconv.Itoa(1+rng.IntN(9)) + digits(rng.IntN(17))
		}
		hasFrac := rng.IntN(4) != 0
		if hasFrac {
			s += "." + digits(1+rng.IntN(12))
		}
		if !hasFrac || rng.IntN(3) == 0 {
			s += "e" + strconv.Itoa(rng.IntN(70)-35)
		}
		want, err := strconv.ParseFloat(s, 64)
		require.NoError(t, err, s)
		got, err := decodeAll([]byte(s))
		require.NoError(t, err, s)
		require.Equal(t, math.Float64bits(want), math.Float64bits(got.(float64)), s)
	}
}
