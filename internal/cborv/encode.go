package cborv

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/dictdb/dictdb-go/internal/limits"
)

// Major types of the initial byte of a data item (its top three bits).
const (
	MajorUint   byte = 0 // unsigned integer
	MajorNegInt byte = 1 // negative integer -1-n
	MajorBytes  byte = 2 // byte string
	MajorText   byte = 3 // UTF-8 text string
	MajorArray  byte = 4 // array
	MajorMap    byte = 5 // map
	MajorTag    byte = 6 // tagged data item
	MajorSimple byte = 7 // floats, simple values and break
)

// Initial bytes with a fixed meaning.
const (
	False           byte = 0xF4 // simple value false
	True            byte = 0xF5 // simple value true
	Null            byte = 0xF6 // simple value null
	Undefined       byte = 0xF7 // simple value undefined (never accepted)
	Float16         byte = 0xF9 // half-precision float follows
	Float32         byte = 0xFA // single-precision float follows
	Float64         byte = 0xFB // double-precision float follows
	Break           byte = 0xFF // end of an indefinite-length item
	IndefiniteArray byte = 0x9F // start of an indefinite-length array
	IndefiniteMap   byte = 0xBF // start of an indefinite-length map
)

// TagSelfDescribe is the self-describe tag number (RFC 8949 §3.4.6), whose
// encoding SelfDescribe marks a stream as CBOR.
const TagSelfDescribe = 55799

// SelfDescribe is the encoding of tag 55799, the magic number at the start
// of a self-described CBOR stream.
const SelfDescribe = "\xd9\xd9\xf7"

// errEncodeDepth is returned by AppendValue for values that would nest
// deeper than limits.MaxDepth, which the Decoder would refuse; a cyclic value
// (a map or slice containing itself) gets it too, instead of exhausting the
// stack.
var errEncodeDepth = fmt.Errorf("cborv: value nested deeper than %d levels (the decoder's limit; cyclic?)", limits.MaxDepth)

// ErrUnsupportedType is matched by every *UnsupportedTypeError with errors.Is.
var ErrUnsupportedType = errors.New("cborv: unsupported type")

// Is reports whether target is ErrUnsupportedType.
func (e *UnsupportedTypeError) Is(target error) bool { return target == ErrUnsupportedType }

// AppendValue appends the CBOR encoding of v to dst.
//
// v must be nil, bool, int64, float64, string, []any or map[string]any, with
// the elements of slices and maps again of these types; any other type
// (including int, float32, []byte and named types) is an error naming the Go
// type. Map keys are written in the order of RFC 8949's core deterministic
// encoding (shorter keys first, then byte-wise), so the output is
// deterministic. A nil []any is written as an empty array and a nil
// map[string]any as an empty map. NaN and ±Inf are an error, and so is
// nesting arrays and maps deeper than limits.MaxDepth (512), the most a
// Decoder reads. On error the returned slice is dst unchanged (its spare
// capacity may have been written to).
func AppendValue(dst []byte, v any) ([]byte, error) {
	return AppendValueAt(dst, v, 0)
}

// AppendValueAt is AppendValue for a value that the document being written
// nests inside depth arrays and maps: it refuses v if the document would
// then nest deeper than limits.MaxDepth, so that a Decoder reads back
// whatever it writes.
func AppendValueAt(dst []byte, v any, depth int) ([]byte, error) {
	out, err := appendValue(dst, v, max(depth, 0))
	if err != nil {
		return dst, err
	}
	return out, nil
}

// appendValue appends v; depth is the number of enclosing arrays and maps.
func appendValue(dst []byte, v any, depth int) ([]byte, error) {
	switch x := v.(type) {
	case string:
		return AppendString(dst, x), nil
	case int64:
		return AppendInt(dst, x), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return dst, fmt.Errorf("cborv: unsupported float value %v", x)
		}
		return AppendFloat(dst, x), nil
	case bool:
		return AppendBool(dst, x), nil
	case nil:
		return append(dst, Null), nil
	case map[string]any:
		if depth >= limits.MaxDepth {
			return dst, errEncodeDepth
		}
		return appendMap(dst, x, depth+1)
	case []any:
		if depth >= limits.MaxDepth {
			return dst, errEncodeDepth
		}
		dst = AppendArrayHeader(dst, len(x))
		for _, e := range x {
			var err error
			if dst, err = appendValue(dst, e, depth+1); err != nil {
				return dst, err
			}
		}
		return dst, nil
	default:
		return dst, &UnsupportedTypeError{Type: fmt.Sprintf("%T", v)}
	}
}

// member is a map entry being encoded.
type member struct {
	k string
	v any
}

// appendMap writes m with its keys sorted. It is separate from appendValue
// so that the on-stack member array does not enlarge every frame of the
// recursion.
func appendMap(dst []byte, m map[string]any, depth int) ([]byte, error) {
	var small [16]member
	ms := small[:0]
	if len(m) > len(small) {
		ms = make([]member, 0, len(m))
	}
	for k, v := range m {
		ms = append(ms, member{k, v})
	}
	sortMembers(ms)
	dst = AppendMapHeader(dst, len(ms))
	for i := range ms {
		dst = AppendString(dst, ms[i].k)
		var err error
		if dst, err = appendValue(dst, ms[i].v, depth); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// sortMembers sorts ms by key (keys are distinct) in the order of RFC 8949
// §4.2.1 (core deterministic encoding): the bytewise order of the encoded
// keys, which for text strings is shorter keys first, then bytewise. It is
// also cheaper than string order, as most keys differ in length.
// Insertion sort for the few keys of typical records, pdqsort beyond.
func sortMembers(ms []member) {
	if len(ms) > 12 {
		slices.SortFunc(ms, func(a, b member) int {
			if len(a.k) != len(b.k) {
				return len(a.k) - len(b.k)
			}
			return strings.Compare(a.k, b.k)
		})
		return
	}
	for i := 1; i < len(ms); i++ {
		for j := i; j > 0 && keyLess(ms[j].k, ms[j-1].k); j-- {
			ms[j], ms[j-1] = ms[j-1], ms[j]
		}
	}
}

// keyLess reports whether key a sorts before key b: shorter first, then
// bytewise.
func keyLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// AppendHead appends the head of a data item: the initial byte of major type
// major with argument n, in the shortest form.
func AppendHead(dst []byte, major byte, n uint64) []byte {
	m := major << 5
	switch {
	case n < 24:
		return append(dst, m|byte(n))
	case n <= math.MaxUint8:
		return append(dst, m|24, byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(dst, m|25), uint16(n))
	case n <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(dst, m|26), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(dst, m|27), n)
}

// AppendInt appends the integer i (major type 0 or 1).
func AppendInt(dst []byte, i int64) []byte {
	if i >= 0 {
		if i < 24 {
			return append(dst, byte(i))
		}
		return AppendHead(dst, MajorUint, uint64(i))
	}
	return AppendHead(dst, MajorNegInt, uint64(^i)) // -1-i
}

// AppendFloat appends f as a double-precision float (0xFB and 8 bytes), so
// that it reads back as the same float64, never as an integer, and -0.0
// keeps its sign. The caller guarantees that f is finite.
func AppendFloat(dst []byte, f float64) []byte {
	return binary.BigEndian.AppendUint64(append(dst, Float64), math.Float64bits(f))
}

// AppendBool appends true or false.
func AppendBool(dst []byte, b bool) []byte {
	if b {
		return append(dst, True)
	}
	return append(dst, False)
}

// AppendNull appends null.
func AppendNull(dst []byte) []byte { return append(dst, Null) }

// AppendString appends s as a text string. Each byte of invalid UTF-8 is
// replaced with U+FFFD, as jsonv (and encoding/json) do, since a CBOR text
// string must be valid UTF-8.
func AppendString(dst []byte, s string) []byte {
	if len(s) < 24 {
		// Short strings (keys, most values): an ASCII check is cheaper than
		// a call to utf8.ValidString.
		var or byte
		for i := 0; i < len(s); i++ {
			or |= s[i]
		}
		if or >= utf8.RuneSelf && !utf8.ValidString(s) {
			return appendInvalidString(dst, s)
		}
		dst = append(dst, MajorText<<5|byte(len(s)))
		return append(dst, s...)
	}
	if !utf8.ValidString(s) {
		return appendInvalidString(dst, s)
	}
	return append(AppendHead(dst, MajorText, uint64(len(s))), s...)
}

// appendInvalidString appends s with each byte of invalid UTF-8 replaced.
func appendInvalidString(dst []byte, s string) []byte {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString("\uFFFD")
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	v := b.String()
	return append(AppendHead(dst, MajorText, uint64(len(v))), v...)
}

// AppendBytes appends b as a byte string. Byte strings are not part of the
// data model; the backup checksum uses one.
func AppendBytes(dst, b []byte) []byte {
	return append(AppendHead(dst, MajorBytes, uint64(len(b))), b...)
}

// AppendArrayHeader appends the head of an array of n elements, which the
// caller appends next.
func AppendArrayHeader(dst []byte, n int) []byte {
	return AppendHead(dst, MajorArray, uint64(n))
}

// AppendMapHeader appends the head of a map of n entries; the caller appends
// n keys (with AppendString), each followed by its value.
func AppendMapHeader(dst []byte, n int) []byte {
	return AppendHead(dst, MajorMap, uint64(n))
}
