package dictdb

import (
	"fmt"
	"strings"
)

// pkey is a primary key: an int64 or a string. Integer keys sort before
// string keys.
type pkey struct {
	s     string
	i     int64
	isStr bool
}

func (k pkey) value() any {
	if k.isStr {
		return k.s
	}
	return k.i
}

func (k pkey) String() string {
	if k.isStr {
		return fmt.Sprintf("%q", k.s)
	}
	return fmt.Sprint(k.i)
}

func (a pkey) less(b pkey) bool {
	if a.isStr != b.isStr {
		return !a.isStr
	}
	if a.isStr {
		return a.s < b.s
	}
	return a.i < b.i
}

func (a pkey) compare(b pkey) int {
	if a.isStr != b.isStr {
		if a.isStr {
			return 1
		}
		return -1
	}
	if a.isStr {
		return strings.Compare(a.s, b.s)
	}
	switch {
	case a.i < b.i:
		return -1
	case a.i > b.i:
		return 1
	}
	return 0
}

// keyOf converts a normalized primary-key value to a pkey.
func keyOf(table, field string, v any, required bool) (pkey, error) {
	switch x := v.(type) {
	case int64:
		return pkey{i: x}, nil
	case string:
		return pkey{s: x, isStr: true}, nil
	case nil:
		if required {
			return pkey{}, &SchemaError{Table: table, Field: field, Reason: "primary key is missing"}
		}
	}
	return pkey{}, &SchemaError{Table: table, Field: field, Reason: fmt.Sprintf("primary key must be an int or a str, got %s", typeName(v))}
}

// lookupKey converts a caller-supplied key (any Go integer type or string).
func lookupKey(v any) (pkey, bool) {
	nv, err := normalize(v, 0) // a key is no list or dict
	if err != nil {
		return pkey{}, false
	}
	switch x := nv.(type) {
	case int64:
		return pkey{i: x}, true
	case string:
		return pkey{s: x, isStr: true}, true
	}
	return pkey{}, false
}
