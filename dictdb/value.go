package dictdb

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
)

// Record is one row of a table: field name to value. Values follow the JSON
// data model: nil, bool, int64, float64, string, []any and map[string]any,
// nested to any depth. Insert and friends accept other Go numeric types, slices
// and maps with string keys and convert them; Get and Select always return the
// data model types, in a fresh copy the caller owns.
type Record map[string]any

// normalizeRecord returns a deep copy of r converted to the JSON data model.
func normalizeRecord(r Record) (Record, prefixErr) {
	out := make(Record, len(r))
	for k, v := range r {
		nv, err := normalize(v)
		if err != nil {
			return nil, err.prefix(k)
		}
		out[k] = nv
	}
	return out, nil
}

// pathError carries the path of a bad value up the recursion; the path is only
// built when there is an error.
type pathError struct {
	path   string
	reason string
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

func (e *pathError) valueError() error { return &ValueError{Field: e.path, Reason: e.reason} }

// prefixErr is normalize's error with the offending field path.
type prefixErr = *pathError

func normalize(v any) (any, prefixErr) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
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
		return normalize(float64(x))
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i, nil
		}
		f, err := x.Float64()
		if err != nil {
			return nil, &pathError{reason: fmt.Sprintf("invalid number %q", string(x))}
		}
		return normalize(f)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			ne, err := normalize(e)
			if err != nil {
				return nil, err.index(i)
			}
			out[i] = ne
		}
		return out, nil
	case map[string]any:
		return normalizeMap(x)
	case Record:
		return normalizeMap(x)
	}
	return normalizeReflect(reflect.ValueOf(v))
}

func normUint(u uint64) (any, prefixErr) {
	if u > math.MaxInt64 {
		return nil, &pathError{reason: fmt.Sprintf("integer %d overflows int64", u)}
	}
	return int64(u), nil
}

func normalizeMap(m map[string]any) (any, prefixErr) {
	out := make(map[string]any, len(m))
	for k, e := range m {
		ne, err := normalize(e)
		if err != nil {
			return nil, err.prefix(k)
		}
		out[k] = ne
	}
	return out, nil
}

// normalizeReflect handles named types and typed slices and maps.
func normalizeReflect(rv reflect.Value) (any, prefixErr) {
	switch rv.Kind() {
	case reflect.Bool:
		return rv.Bool(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return normUint(rv.Uint())
	case reflect.Float32, reflect.Float64:
		return normalize(rv.Float())
	case reflect.String:
		return rv.String(), nil
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return nil, nil
		}
		out := make([]any, rv.Len())
		for i := range out {
			ne, err := normalize(rv.Index(i).Interface())
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
		out := make(map[string]any, rv.Len())
		it := rv.MapRange()
		for it.Next() {
			k := it.Key().String()
			ne, err := normalize(it.Value().Interface())
			if err != nil {
				return nil, err.prefix(k)
			}
			out[k] = ne
		}
		return out, nil
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nil, nil
		}
		return normalize(rv.Elem().Interface())
	}
	return nil, &pathError{reason: fmt.Sprintf("type %s cannot be stored (not part of the JSON data model)", rv.Type())}
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
