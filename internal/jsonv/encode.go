package jsonv

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dictdb/dictdb-go/internal/limits"
)

// errEncodeDepth is returned by AppendValue for values that would nest
// deeper than limits.MaxDepth, which the Decoder would refuse; a cyclic value
// (a map or slice containing itself) gets it too, instead of exhausting the
// stack.
var errEncodeDepth = fmt.Errorf("jsonv: value nested deeper than %d levels (the decoder's limit; cyclic?)", limits.MaxDepth)

// AppendValue appends the JSON encoding of v to dst.
//
// v must be nil, bool, int64, float64, string, []any or map[string]any, with
// the elements of slices and maps again of these types; any other type
// (including int, float32 and named types) is an error naming the Go type.
// Map keys are written in sorted (byte-wise) order, so the output is
// deterministic. A nil []any is written as [] and a nil map[string]any as {}.
// NaN and ±Inf are an error, and so is nesting arrays and objects deeper
// than limits.MaxDepth (512), the most a Decoder reads. On error the returned
// slice is dst unchanged (its spare capacity may have been written to).
func AppendValue(dst []byte, v any) ([]byte, error) {
	return AppendValueAt(dst, v, 0)
}

// AppendValueAt is AppendValue for a value that the document being written
// nests inside depth arrays and objects: it refuses v if the document would
// then nest deeper than limits.MaxDepth, so that a Decoder reads back
// whatever it writes.
func AppendValueAt(dst []byte, v any, depth int) ([]byte, error) {
	out, err := appendValue(dst, v, max(depth, 0))
	if err != nil {
		return dst, err
	}
	return out, nil
}

// appendValue appends v; depth is the number of enclosing arrays and
// objects.
func appendValue(dst []byte, v any, depth int) ([]byte, error) {
	switch x := v.(type) {
	case string:
		return AppendString(dst, x), nil
	case int64:
		return strconv.AppendInt(dst, x, 10), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return dst, fmt.Errorf("jsonv: unsupported float value %v", x)
		}
		return AppendFloat(dst, x), nil
	case bool:
		if x {
			return append(dst, "true"...), nil
		}
		return append(dst, "false"...), nil
	case nil:
		return append(dst, "null"...), nil
	case map[string]any:
		if depth >= limits.MaxDepth {
			return dst, errEncodeDepth
		}
		return appendObject(dst, x, depth+1)
	case []any:
		if depth >= limits.MaxDepth {
			return dst, errEncodeDepth
		}
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = appendValue(dst, e, depth+1); err != nil {
				return dst, err
			}
		}
		return append(dst, ']'), nil
	default:
		return dst, &UnsupportedTypeError{Type: fmt.Sprintf("%T", v)}
	}
}

// member is an object member being encoded.
type member struct {
	k string
	v any
}

// appendObject writes m with its keys sorted. It is separate from
// appendValue so that the on-stack member array does not enlarge every
// frame of the recursion.
func appendObject(dst []byte, m map[string]any, depth int) ([]byte, error) {
	var small [16]member
	ms := small[:0]
	if len(m) > len(small) {
		ms = make([]member, 0, len(m))
	}
	for k, v := range m {
		ms = append(ms, member{k, v})
	}
	sortMembers(ms)
	dst = append(dst, '{')
	for i := range ms {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendString(dst, ms[i].k)
		dst = append(dst, ':')
		var err error
		if dst, err = appendValue(dst, ms[i].v, depth); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

// sortMembers sorts ms by key (keys are distinct): insertion sort for the
// few keys of typical records, pdqsort beyond.
func sortMembers(ms []member) {
	if len(ms) > 12 {
		slices.SortFunc(ms, func(a, b member) int { return strings.Compare(a.k, b.k) })
		return
	}
	for i := 1; i < len(ms); i++ {
		for j := i; j > 0 && ms[j].k < ms[j-1].k; j-- {
			ms[j], ms[j-1] = ms[j-1], ms[j]
		}
	}
}

// UnsupportedTypeError is returned by AppendValue for a value whose Go type
// is not part of the data model.
type UnsupportedTypeError struct {
	Type string // the Go type, as printed by %T
}

func (e *UnsupportedTypeError) Error() string {
	return "jsonv: unsupported type " + e.Type
}

// ErrUnsupportedType is matched by every *UnsupportedTypeError with errors.Is.
var ErrUnsupportedType = errors.New("jsonv: unsupported type")

// Is reports whether target is ErrUnsupportedType.
func (e *UnsupportedTypeError) Is(target error) bool { return target == ErrUnsupportedType }

const hexDigits = "0123456789abcdef"

// strSafe[c] is true for the bytes that appear verbatim inside a JSON string
// without further checks: printable ASCII other than '"' and '\\'.
var strSafe = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// specialMask returns, for the 8 bytes of w (little endian), a mask with the
// high bit set for each byte that is '"', '\\', a control character or
// non-ASCII. Borrows can also mark bytes above such a byte, but never below
// the first one, so bits.TrailingZeros64(mask)/8 is the index of the first.
func specialMask(w uint64) uint64 {
	return ((w - lsb*0x20) | ((w ^ lsb*'"') - lsb) | ((w ^ lsb*'\\') - lsb) | w) & msb
}

// load64 loads s[i:i+8] as a little-endian uint64 (one load on amd64/arm64).
func load64(s string, i int) uint64 {
	_ = s[i+7]
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
}

// AppendString appends s as a quoted JSON string to dst.
//
// It escapes '"', '\\' and the control characters (as \n, \r, \t, \b, \f or
// \u00XX), U+2028 and U+2029 (as \u2028 and \u2029), and replaces each byte
// of invalid UTF-8 with \ufffd, like encoding/json. Other non-ASCII text is
// written raw.
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0 // s[start:i] is pending, to be copied verbatim
	for i := 0; i < len(s); {
		// Skip 8 bytes at a time while none needs attention.
		for i+8 <= len(s) {
			m := specialMask(load64(s, i))
			if m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if strSafe[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// AppendInt appends the decimal form of i to dst.
func AppendInt(dst []byte, i int64) []byte {
	return strconv.AppendInt(dst, i, 10)
}

// AppendFloat appends the shortest representation of f that reads back as
// the same float64, in the format of encoding/json (exponent form only for
// |f| < 1e-6 or |f| >= 1e21, with a minimal exponent such as "1e-7"), and
// always in a form that reads back as a float: ".0" is added when the text
// would otherwise look like an integer (3.0 -> "3.0", -0.0 -> "-0.0").
// The caller guarantees that f is finite.
func AppendFloat(dst []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// Shorten e-07 to e-7, like encoding/json (and JavaScript).
		n := len(dst)
		if n-start >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
		return dst
	}
	for _, c := range dst[start:] {
		if c == '.' {
			return dst
		}
	}
	return append(dst, '.', '0')
}
