package cborv

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"math"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// decodeAll decodes one data item from data and checks that nothing follows.
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

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	require.NoError(t, err, s)
	return b
}

// validItems are valid encodings (RFC 8949 Appendix A where they fit the
// data model, plus forms our encoder never writes) and their values.
var validItems = []struct {
	hex  string
	want any
}{
	{"00", int64(0)},
	{"17", int64(23)},
	{"1818", int64(24)},
	{"1903e8", int64(1000)},
	{"1b000000e8d4a51000", int64(1000000000000)},
	{"1b7fffffffffffffff", int64(math.MaxInt64)},
	{"20", int64(-1)},
	{"3863", int64(-100)},
	{"3b7fffffffffffffff", int64(math.MinInt64)},
	{"1800", int64(0)},                     // not the shortest form, still valid
	{"1b0000000000000001", int64(1)},       // idem
	{"f90000", 0.0},                        // half
	{"f93c00", 1.0},                        // half
	{"f93e00", 1.5},                        // half
	{"f97bff", 65504.0},                    // half
	{"f90001", 5.960464477539063e-8},       // half, subnormal
	{"f90400", 0.00006103515625},           // half, smallest normal
	{"f9c400", -4.0},                       // half
	{"fa47c35000", 100000.0},               // single
	{"fa7f7fffff", 3.4028234663852886e+38}, // single
	{"fb3ff199999999999a", 1.1},
	{"fbc010666666666666", -4.1},
	{"fb7e37e43c8800759c", 1.0e+300},
	{"f4", false},
	{"f5", true},
	{"f6", nil},
	{"60", ""},
	{"6161", "a"},
	{"6449455446", "IETF"},
	{"62c3bc", "\u00fc"},
	{"64f0908591", "\U00010151"},
	{"7f657374726561646d696e67ff", "streaming"},
	{"7fff", ""},
	{"80", []any{}},
	{"83010203", []any{int64(1), int64(2), int64(3)}},
	{"8301820203820405", []any{int64(1), []any{int64(2), int64(3)}, []any{int64(4), int64(5)}}},
	{"9fff", []any{}},
	{"9f018202039f0405ffff", []any{int64(1), []any{int64(2), int64(3)}, []any{int64(4), int64(5)}}},
	{"9f01820203820405ff", []any{int64(1), []any{int64(2), int64(3)}, []any{int64(4), int64(5)}}},
	{"a0", map[string]any{}},
	{"a26161016162820203", map[string]any{"a": int64(1), "b": []any{int64(2), int64(3)}}},
	{"826161a161626163", []any{"a", map[string]any{"b": "c"}}},
	{"bf61610161629f0203ffff", map[string]any{"a": int64(1), "b": []any{int64(2), int64(3)}}},
	{"bf6346756ef563416d7421ff", map[string]any{"Fun": true, "Amt": int64(-2)}},
	{"a2616101616102", map[string]any{"a": int64(2)}}, // duplicate key: the last wins, as in jsonv
	{"a17f6161ff01", map[string]any{"a": int64(1)}},   // indefinite-length key
}

func TestDecodeValid(t *testing.T) {
	for _, c := range validItems {
		t.Run(c.hex, func(t *testing.T) {
			data := unhex(t, c.hex)
			got, err := decodeAll(data)
			require.NoError(t, err)
			require.True(t, equalValues(c.want, got), "got %#v, want %#v", got, c.want)
			// The same through 1-byte reads and a tiny buffer.
			d := NewDecoder(iotest.OneByteReader(bytes.NewReader(data)))
			d.buf = make([]byte, 0, 1)
			got2, err := d.Value()
			require.NoError(t, err)
			require.NoError(t, d.End())
			require.True(t, equalValues(c.want, got2))
			// Skip accepts it too.
			d = NewDecoder(bytes.NewReader(data))
			require.NoError(t, d.Skip())
			require.NoError(t, d.End())
		})
	}
	v, err := decodeAll(unhex(t, "f98000"))
	require.NoError(t, err)
	assert.True(t, math.Signbit(v.(float64)), "half -0.0 keeps its sign")
}

// invalidItems are inputs every decoding method must reject, with a part of
// the error message.
var invalidItems = []struct {
	name, hex, msg string
}{
	{"empty", "", "unexpected end"},
	{"uint64 above int64", "1b8000000000000000", "overflows int64"},
	{"uint64 max", "1bffffffffffffffff", "overflows int64"},
	{"negative below int64", "3b8000000000000000", "overflows int64"},
	{"byte string", "4401020304", "byte string"},
	{"indefinite byte string", "5f4101ff", "byte string"},
	{"tag", "c11a514b67b0", "tag 1"},
	{"bignum tag", "c249010000000000000000", "tag 2"},
	{"self-describe tag inside", "81d9d9f700", "tag 55799"},
	{"undefined", "f7", "undefined"},
	{"simple 16", "f0", "simple value 16"},
	{"simple 255", "f8ff", "simple value 255"},
	{"half NaN", "f97e00", "unsupported float"},
	{"half Inf", "f97c00", "unsupported float"},
	{"single -Inf", "faff800000", "unsupported float"},
	{"double NaN", "fb7ff8000000000000", "unsupported float"},
	{"break at top", "ff", "unexpected break"},
	{"break in definite array", "81ff", "unexpected break"},
	{"reserved info 28", "1c", "malformed"},
	{"reserved info 30", "be", "malformed"},
	{"indefinite integer", "1f", "malformed"},
	{"indefinite tag", "df", "malformed"},
	{"invalid UTF-8", "62c328", "invalid UTF-8"},
	{"invalid UTF-8 in key", "a162ffff01", "invalid UTF-8"},
	{"surrogate in UTF-8", "63eda080", "invalid UTF-8"},
	{"UTF-8 split across chunks", "7f61c361bcff", "invalid UTF-8"},
	{"bytes chunk in text", "7f4161ff", "invalid chunk"},
	{"nested indefinite chunk", "7f7f6161ffff", "invalid chunk"},
	{"integer key", "a10102", "map key must be a text string"},
	{"array key", "a18001", "map key must be a text string"},
	{"odd indefinite map", "bf6161ff", "unexpected break"},
	{"trailing data", "0000", "trailing data"},
	{"truncated head", "19 01", "unexpected end"},
	{"truncated string", "6461", "unexpected end"},
	{"truncated array", "830102", "unexpected end"},
	{"truncated indefinite", "9f01", "unexpected end"},
	{"huge string", "7bffffffffffffffff", "exceeds the limit"},
	{"huge but allowed string length", "7a7fffffff6161", "unexpected end"},
	{"huge array", "9bffffffffffffffff00", "unexpected end"},
	{"huge map", "bbffffffffffffffff616100", "unexpected end"},
}

func TestDecodeInvalid(t *testing.T) {
	for _, c := range invalidItems {
		t.Run(c.name, func(t *testing.T) {
			data := unhex(t, c.hex)
			_, err := decodeAll(data)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.msg)
			var se *SyntaxError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, c.msg == "unexpected end", errors.Is(err, io.ErrUnexpectedEOF), "only truncation wraps io.ErrUnexpectedEOF: %v", err)

			d := NewDecoder(bytes.NewReader(data))
			err = d.Skip()
			if err == nil {
				err = d.End()
			}
			require.Error(t, err, "Skip")

			d = NewDecoder(iotest.OneByteReader(bytes.NewReader(data)))
			d.buf = make([]byte, 0, 1)
			_, err = d.Value()
			if err == nil {
				err = d.End()
			}
			require.Error(t, err, "1-byte reads")
			_, again := d.Value()
			require.Equal(t, err, again, "errors are sticky")
		})
	}
}

func TestDecodeErrorOffset(t *testing.T) {
	_, err := decodeAll(unhex(t, "83 01 02 f7"))
	var se *SyntaxError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, int64(3), se.Offset)
	assert.Equal(t, "cborv: offset 3: undefined not allowed", err.Error())

	// Offsets stay right when the buffer moves: a bad string after 1 KiB,
	// read one byte at a time through a tiny buffer.
	doc := AppendArrayHeader(nil, 3)
	doc = AppendString(doc, strings.Repeat("a", 1000))
	at := len(doc)
	doc = append(doc, unhex(t, "78 20")...)
	doc = append(doc, strings.Repeat("b", 31)+"ÿ"...)
	doc = AppendInt(doc, 1)
	for _, small := range []bool{false, true} {
		d := NewDecoder(bytes.NewReader(doc))
		if small {
			d = NewDecoder(iotest.OneByteReader(bytes.NewReader(doc)))
			d.buf = make([]byte, 0, 4)
		}
		_, err = d.Value()
		require.ErrorAs(t, err, &se)
		assert.Equal(t, int64(at+2), se.Offset, "the offset of the string's contents")
		assert.Contains(t, err.Error(), "invalid UTF-8")
	}
}

func TestDecodeTruncatedEverywhere(t *testing.T) {
	doc, err := AppendValue(nil, map[string]any{
		"a": []any{int64(1), int64(-300), 2.5, "héllo", nil, true, map[string]any{"x": int64(1 << 40)}},
		"b": strings.Repeat("long ", 20), "c": map[string]any{},
	})
	require.NoError(t, err)
	for i := range len(doc) {
		_, err := decodeAll(doc[:i])
		require.ErrorIs(t, err, io.ErrUnexpectedEOF, "cut at %d", i)
	}
	_, err = decodeAll(doc)
	require.NoError(t, err)
}

func TestDecodeDepth(t *testing.T) {
	nest := func(n int) []byte { return append(bytes.Repeat([]byte{0x81}, n), 0x00) }
	_, err := decodeAll(nest(defaultMaxDepth))
	require.NoError(t, err)
	_, err = decodeAll(nest(defaultMaxDepth + 1))
	require.ErrorContains(t, err, "exceeded max depth 512")

	// Maps count too, and so do containers opened with BeginArray.
	deepMap := append(bytes.Repeat([]byte{0xa1, 0x61, 'k'}, 100), 0x00)
	d := NewDecoder(bytes.NewReader(deepMap))
	d.SetMaxDepth(100)
	_, err = d.Value()
	require.NoError(t, err)
	d = NewDecoder(bytes.NewReader(append([]byte{0x81}, deepMap...)))
	d.SetMaxDepth(100)
	require.NoError(t, d.BeginArray())
	ok, err := d.NextElem()
	require.NoError(t, err)
	require.True(t, ok)
	_, err = d.Value()
	require.ErrorContains(t, err, "exceeded max depth 100")

	// A million nested indefinite arrays fail fast, without a deep stack.
	_, err = decodeAll(bytes.Repeat([]byte{0x9f}, 1<<20))
	require.ErrorContains(t, err, "exceeded max depth")
}

// TestDecodeHugeLengthsDoNotAllocate: a declared length costs nothing until
// the data comes.
func TestDecodeHugeLengthsDoNotAllocate(t *testing.T) {
	inputs := []string{
		"9bffffffffffffffff", // array of 2^64-1 elements
		"bbffffffffffffffff", // map of 2^64-1 entries
		"7a7fffffff",         // text of 2^31-1 bytes
		"9a7fffffff 9a7fffffff 9a7fffffff 9a7fffffff 9a7fffffff 9a7fffffff 9a7fffffff 9a7fffffff",
		"ba7fffffff 6161 ba7fffffff 6161 ba7fffffff 6161 ba7fffffff",
	}
	for _, in := range inputs {
		data := unhex(t, in)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := decodeAll(data)
		runtime.ReadMemStats(&after)
		require.ErrorIs(t, err, io.ErrUnexpectedEOF, in)
		assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(64<<10), "%s allocated %d bytes", in, after.TotalAlloc-before.TotalAlloc)
	}
}

func TestDecodeStreaming(t *testing.T) {
	// {"n": 1, "list": [indefinite: "a", {"x": null}], "s": "str", "skip": [1, 2]} then a second item.
	var doc []byte
	doc = append(doc, SelfDescribe...)
	doc = append(doc, IndefiniteMap)
	doc = AppendString(doc, "n")
	doc = AppendInt(doc, 1)
	doc = AppendString(doc, "list")
	doc = append(doc, IndefiniteArray)
	doc = AppendString(doc, "a")
	doc, _ = AppendValue(doc, map[string]any{"x": nil})
	doc = append(doc, Break)
	doc = AppendString(doc, "s")
	doc = AppendString(doc, "str")
	doc = AppendString(doc, "b")
	doc = AppendBytes(doc, []byte{0xde, 0xad})
	doc = AppendString(doc, "skip")
	doc, _ = AppendValue(doc, []any{int64(1), int64(2)})
	doc = append(doc, Break)

	d := NewDecoder(iotest.OneByteReader(bytes.NewReader(doc)))
	ok, err := d.SelfDescribe()
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = d.SelfDescribe()
	require.NoError(t, err)
	require.False(t, ok, "only one tag")
	require.NoError(t, d.BeginMap())
	var keys []string
	for {
		k, ok, err := d.NextKey()
		require.NoError(t, err)
		if !ok {
			break
		}
		keys = append(keys, k)
		switch k {
		case "n":
			v, err := d.Value()
			require.NoError(t, err)
			assert.Equal(t, int64(1), v)
		case "list":
			require.NoError(t, d.BeginArray())
			n := 0
			for {
				more, err := d.NextElem()
				require.NoError(t, err)
				if !more {
					break
				}
				n++
				c, err := d.Peek()
				require.NoError(t, err)
				if c>>5 == MajorMap {
					require.NoError(t, d.BeginMap())
					k, ok, err := d.NextKey()
					require.NoError(t, err)
					require.True(t, ok)
					assert.Equal(t, "x", k)
					isNull, err := d.Null()
					require.NoError(t, err)
					assert.True(t, isNull)
					_, ok, err = d.NextKey()
					require.NoError(t, err)
					require.False(t, ok)
				} else {
					isNull, err := d.Null()
					require.NoError(t, err)
					assert.False(t, isNull)
					s, err := d.String()
					require.NoError(t, err)
					assert.Equal(t, "a", s)
				}
			}
			assert.Equal(t, 2, n)
		case "s":
			s, err := d.String()
			require.NoError(t, err)
			assert.Equal(t, "str", s)
		case "b":
			b, err := d.Bytes()
			require.NoError(t, err)
			assert.Equal(t, []byte{0xde, 0xad}, b)
		default:
			require.NoError(t, d.Skip())
		}
	}
	assert.Equal(t, []string{"n", "list", "s", "b", "skip"}, keys)
	assert.Equal(t, int64(len(doc)), d.Offset())
	require.NoError(t, d.End())

	// A CBOR sequence: Peek at the top level reports the clean end.
	d = NewDecoder(bytes.NewReader(unhex(t, "01 02")))
	for range 2 {
		_, err := d.Peek()
		require.NoError(t, err)
		_, err = d.Value()
		require.NoError(t, err)
	}
	_, err = d.Peek()
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	require.NoError(t, d.End())
}

func TestDecodeStreamingErrors(t *testing.T) {
	d := NewDecoder(bytes.NewReader(unhex(t, "80")))
	require.ErrorContains(t, d.BeginMap(), "expected map, found array")
	require.ErrorContains(t, d.BeginArray(), "expected map", "sticky")

	d = NewDecoder(bytes.NewReader(unhex(t, "a0")))
	_, _, err := d.NextKey()
	require.ErrorContains(t, err, "NextKey called outside a map")

	d = NewDecoder(bytes.NewReader(unhex(t, "a1 01 02")))
	require.NoError(t, d.BeginMap())
	_, _, err = d.NextKey()
	require.ErrorContains(t, err, "map key must be a text string")

	d = NewDecoder(bytes.NewReader(unhex(t, "81 01")))
	require.NoError(t, d.BeginArray())
	require.ErrorContains(t, d.End(), "unclosed")

	d = NewDecoder(bytes.NewReader(unhex(t, "01")))
	_, err = d.String()
	require.ErrorContains(t, err, "expected text string, found unsigned integer")
	d = NewDecoder(bytes.NewReader(unhex(t, "6161")))
	_, err = d.Bytes()
	require.ErrorContains(t, err, "expected byte string, found text string")

	d = NewDecoder(bytes.NewReader(unhex(t, "d9d9")))
	ok, err := d.SelfDescribe()
	require.NoError(t, err)
	require.False(t, ok)
	_, err = d.Value()
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)

	boom := errors.New("boom")
	d = NewDecoder(io.MultiReader(bytes.NewReader(unhex(t, "83 01")), iotest.ErrReader(boom)))
	_, err = d.Value()
	require.ErrorIs(t, err, boom)
	require.NotErrorIs(t, err, io.ErrUnexpectedEOF)
}
