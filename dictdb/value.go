package dictdb

import (
	"encoding/json"
	"fmt"
	"iter"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dictdb/dictdb-go/internal/limits"
)

// Record is one row of a table: field name to value. Values follow the JSON
// data model: nil, bool, int64, float64, string, []any and map[string]any.
// Insert and friends accept other Go numeric types, slices and maps with
// string keys and convert them; Get and Select always return the data model
// types, in a fresh copy the caller owns.
//
// A record is stored only if every backup of it can be restored: field
// names, map keys and strings must be valid UTF-8, floats finite, and lists
// and dicts may nest at most MaxValueDepth levels inside a field. Anything
// else is refused with a ValueError naming the field.
type Record map[string]any

// recordParents is the number of containers that enclose a record in every
// document this package writes and reads: the top-level object, "tables",
// the table, and its "records" (full backup) or "upserts" (delta) array.
// Delete keys sit at the same depth, in the table's "deletes" array.
const recordParents = 4

// MaxValueDepth is how deep lists and dicts may nest in a field of a Record:
// 1 for a field holding [1] or {"a": 1}, 2 for [[1]], 0 for a scalar. It is
// what limits.MaxDepth (512), the nesting that the decoders of both formats
// accept, leaves once the document's own structure and the record are
// counted, so that whatever Insert accepts restores from a full backup and
// from a delta, in JSON and in binary. Deeper values are refused.
const MaxValueDepth = limits.MaxDepth - recordParents - 1

// metaValueDepth is MaxValueDepth for a top-level (Meta) field, which only
// the top-level object encloses.
const metaValueDepth = limits.MaxDepth - 1

// normalizeRecord returns a deep copy of r converted to the JSON data model,
// or the error of its first bad field in sorted order.
func normalizeRecord(r Record) (Record, prefixErr) {
	out, err := normalizeFields(r, MaxValueDepth)
	return Record(out), err
}

// normalizeFields is normalizeRecord for fields whose values may nest limit
// deep.
func normalizeFields(m map[string]any, limit int) (map[string]any, prefixErr) {
	out, err := normalizeEntries(m, limit)
	if err != nil {
		return nil, err.withLimit(limit)
	}
	return out, nil
}

// normalizeValue returns a copy of v converted to the data model; v may nest
// limit deep (v itself counts if it is a list or a dict).
func normalizeValue(v any, limit int) (any, prefixErr) {
	nv, err := normalize(v, limit)
	if err != nil {
		return nil, err.withLimit(limit)
	}
	return nv, nil
}

// pathError carries the path of a bad value up the recursion; the path is only
// built when there is an error.
type pathError struct {
	path   string
	reason string
	deep   bool // nested too deep: the reason is set by withLimit
}

func (e *pathError) prefix(field string) *pathError {
	switch {
	case e.path == "":
		e.path = field
	case e.path[0] == '[':
		e.path = field + e.path
	default:
		e.path = field + "." + e.path
	}
	return e
}

func (e *pathError) index(i int) *pathError {
	idx := "[" + strconv.Itoa(i) + "]"
	if e.path == "" || e.path[0] == '[' {
		e.path = idx + e.path
	} else {
		e.path = idx + "." + e.path
	}
	return e
}

// withLimit sets the reason of a too-deep error, once the walk that found it
// is over: only its caller knows the limit.
func (e *pathError) withLimit(limit int) *pathError {
	if e.deep {
		e.reason = fmt.Sprintf("lists and dicts nested deeper than %d levels cannot be restored from a backup", limit)
		e.deep = false
	}
	return e
}

func (e *pathError) valueError() error { return &ValueError{Field: e.path, Reason: e.reason} }

// prefixErr is normalize's error with the offending field path.
type prefixErr = *pathError

func errTooDeep() prefixErr { return &pathError{deep: true} }

// validString is utf8.ValidString with a faster path for ASCII, which most
// field names and strings are: it runs on every one of them at insert. The
// hot paths write it out (isASCII(s) || utf8.ValidString(s)), as it is not
// inlined.
func validString(s string) bool { return isASCII(s) || utf8.ValidString(s) }

// isASCII reports whether s is all ASCII. It ORs the bytes together a word at
// a time (the first and last words overlap).
func isASCII(s string) bool {
	n := len(s)
	var or uint64
	switch {
	case n < 4:
		if n > 0 {
			or = uint64(s[0] | s[uint(n)/2] | s[n-1])
		}
	case n < 8:
		or = uint64(load32(s) | load32(s[n-4:]))
	default:
		for rest := s; len(rest) > 8; rest = rest[8:] {
			or |= load64(rest)
		}
		or |= load64(s[n-8:])
	}
	return or&0x8080808080808080 == 0
}

// load64 and load32 load the first 8 or 4 bytes of s (one load on amd64
// and arm64).
func load64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

func load32(s string) uint32 {
	_ = s[3]
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}

const errInvalidString = "string is not valid UTF-8 (it would not survive a backup)"

// normalize converts v to the data model. room is how many levels of lists
// and dicts v may still open (v itself counts if it is one).
func normalize(v any, room int) (any, prefixErr) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		if !isASCII(x) && !utf8.ValidString(x) {
			return nil, &pathError{reason: errInvalidString}
		}
		return x, nil
	case bool:
		return x, nil
	case int64:
		return x, nil
	case int:
		return int64(x), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, &pathError{reason: fmt.Sprintf("%v cannot be stored (JSON has no NaN or infinity)", x)}
		}
		return x, nil
	case int32:
		return int64(x), nil
	case int16:
		return int64(x), nil
	case int8:
		return int64(x), nil
	case uint8:
		return int64(x), nil
	case uint16:
		return int64(x), nil
	case uint32:
		return int64(x), nil
	case uint:
		return normUint(uint64(x))
	case uint64:
		return normUint(x)
	case float32:
		return normalize(float64(x), room)
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i, nil
		}
		f, err := x.Float64()
		if err != nil {
			return nil, &pathError{reason: fmt.Sprintf("invalid number %q", string(x))}
		}
		return normalize(f, room)
	case []any:
		if room <= 0 {
			return nil, errTooDeep()
		}
		out := make([]any, len(x))
		for i, e := range x {
			ne, err := normalize(e, room-1)
			if err != nil {
				return nil, err.index(i)
			}
			out[i] = ne
		}
		return out, nil
	case map[string]any:
		return normalizeMap(x, room)
	case Record:
		return normalizeMap(x, room)
	}
	return normalizeReflect(reflect.ValueOf(v), room)
}

func normUint(u uint64) (any, prefixErr) {
	if u > math.MaxInt64 {
		return nil, &pathError{reason: fmt.Sprintf("integer %d overflows int64", u)}
	}
	return int64(u), nil
}

func normalizeMap(m map[string]any, room int) (any, prefixErr) {
	if room <= 0 {
		return nil, errTooDeep()
	}
	return normalizeEntries(m, room-1)
}

// normalizeEntries copies the entries of a map whose values may open room
// levels of lists and dicts.
func normalizeEntries(m map[string]any, room int) (map[string]any, prefixErr) {
	out := make(map[string]any, len(m))
	for k, e := range m {
		if !isASCII(k) && !utf8.ValidString(k) {
			return nil, firstError(maps.All(m), out, k, errInvalidName(k), room)
		}
		ne, err := normalize(e, room)
		if err != nil {
			return nil, firstError(maps.All(m), out, k, err.prefix(k), room)
		}
		out[k] = ne
	}
	return out, nil
}

func errInvalidName(k string) prefixErr {
	return &pathError{path: k, reason: "field name is not valid UTF-8 (it would not survive a backup)"}
}

// normalizeEntry normalizes one field or map entry: its name, then its value.
func normalizeEntry(k string, v any, room int) (any, prefixErr) {
	if !validString(k) {
		return nil, errInvalidName(k)
	}
	nv, err := normalize(v, room)
	if err != nil {
		return nil, err.prefix(k)
	}
	return nv, nil
}

// firstError is the error path of a map walk that failed with err at key
// bad, having copied the entries in done: it returns the error of the first
// bad entry in key order, so that the same value always gets the same error
// whatever the order of the map's iteration. It walks only the entries not
// walked yet that sort before bad, so no entry is walked twice.
func firstError(all iter.Seq2[string, any], done map[string]any, bad string, err prefixErr, room int) prefixErr {
	type kv struct {
		k string
		v any
	}
	var todo []kv
	for k, v := range all {
		if _, ok := done[k]; !ok && k < bad {
			todo = append(todo, kv{k, v})
		}
	}
	slices.SortFunc(todo, func(a, b kv) int { return strings.Compare(a.k, b.k) })
	for _, e := range todo {
		if _, eerr := normalizeEntry(e.k, e.v, room); eerr != nil {
			return eerr
		}
	}
	return err
}

// normalizeReflect handles named types and typed slices and maps.
func normalizeReflect(rv reflect.Value, room int) (any, prefixErr) {
	switch rv.Kind() {
	case reflect.Bool:
		return rv.Bool(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return normUint(rv.Uint())
	case reflect.Float32, reflect.Float64:
		return normalize(rv.Float(), room)
	case reflect.String:
		return normalize(rv.String(), room)
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return nil, nil
		}
		if room <= 0 {
			return nil, errTooDeep()
		}
		out := make([]any, rv.Len())
		for i := range out {
			ne, err := normalize(rv.Index(i).Interface(), room-1)
			if err != nil {
				return nil, err.index(i)
			}
			out[i] = ne
		}
		return out, nil
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return nil, &pathError{reason: fmt.Sprintf("map key type %s is not string", rv.Type().Key())}
		}
		if rv.IsNil() {
			return nil, nil
		}
		if room <= 0 {
			return nil, errTooDeep()
		}
		out := make(map[string]any, rv.Len())
		it := rv.MapRange()
		for it.Next() {
			k := it.Key().String()
			ne, err := normalizeEntry(k, it.Value().Interface(), room-1)
			if err != nil {
				return nil, firstError(reflectEntries(rv), out, k, err, room-1)
			}
			out[k] = ne
		}
		return out, nil
	case reflect.Pointer, reflect.Interface:
		// Pointers do not nest the value, but a chain of them can be a
		// cycle (var p any; p = &p): give up after as many as a value may
		// nest.
		for hops := 0; rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface; hops++ {
			if rv.IsNil() {
				return nil, nil
			}
			if hops == MaxValueDepth {
				return nil, &pathError{reason: fmt.Sprintf("more than %d pointers in a row (a cycle?)", MaxValueDepth)}
			}
			rv = rv.Elem()
		}
		return normalize(rv.Interface(), room)
	}
	return nil, &pathError{reason: fmt.Sprintf("type %s cannot be stored (not part of the JSON data model)", rv.Type())}
}

// reflectEntries iterates over a map with string keys.
func reflectEntries(rv reflect.Value) iter.Seq2[string, any] {
	return func(yield func(string, any) bool) {
		it := rv.MapRange()
		for it.Next() {
			if !yield(it.Key().String(), it.Value().Interface()) {
				return
			}
		}
	}
}

// copyValue deep-copies a data-model value so the caller may mutate it.
func copyValue(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = copyValue(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = copyValue(e)
		}
		return out
	}
	return v
}

// copyRecord deep-copies a stored record for the caller.
func copyRecord(r Record) Record {
	out := make(Record, len(r))
	for k, v := range r {
		out[k] = copyValue(v)
	}
	return out
}

// Clone returns a deep copy of r. It is meant for records received from change
// sets and snapshots, which are shared with the database and must not be
// modified.
func (r Record) Clone() Record { return copyRecord(r) }
