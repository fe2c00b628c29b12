package dictdb

import (
	"fmt"
	"sort"
	"unicode/utf8"
)

// Type is a schema field type. The names are those of the Python DictDB.
type Type string

// The schema types.
const (
	Int    Type = "int"   // int64 (a bool is not an int)
	String Type = "str"   // string
	Float  Type = "float" // float64 (an int is not a float)
	Bool   Type = "bool"  // bool
	List   Type = "list"  // []any
	Dict   Type = "dict"  // map[string]any
)

// Schema maps every field of a table to its type. A table with a schema
// accepts only records that have exactly these fields (the primary key may be
// left out on insert when it is an auto-increment Int), each of its type; nil
// is not a value of any type. A table without a schema accepts any record.
type Schema map[string]Type

func (t Type) valid() bool {
	switch t {
	case Int, String, Float, Bool, List, Dict:
		return true
	}
	return false
}

// matches reports whether the normalized value v has type t.
func (t Type) matches(v any) bool {
	switch v.(type) {
	case int64:
		return t == Int
	case string:
		return t == String
	case float64:
		return t == Float
	case bool:
		return t == Bool
	case []any:
		return t == List
	case map[string]any:
		return t == Dict
	}
	return false
}

// typeName names the data-model type of a normalized value for error messages.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case int64:
		return "int"
	case string:
		return "str"
	case float64:
		return "float"
	case bool:
		return "bool"
	case []any:
		return "list"
	case map[string]any:
		return "dict"
	}
	return fmt.Sprintf("%T", v)
}

// clone returns a copy of s (nil stays nil).
func (s Schema) clone() Schema {
	if s == nil {
		return nil
	}
	out := make(Schema, len(s))
	for k, v := range s {
		out[k] = v
	}
	return out
}

// validateSpec checks a table's primary key and schema.
func validateSpec(table string, spec TableSpec) error {
	if spec.PrimaryKey == "" {
		return &SchemaError{Table: table, Field: "", Reason: "primary key field name is empty"}
	}
	if !utf8.ValidString(spec.PrimaryKey) {
		return &SchemaError{Table: table, Field: spec.PrimaryKey, Reason: "primary key field name is not valid UTF-8 (it would not survive a backup)"}
	}
	if spec.Schema == nil {
		return nil
	}
	names := make([]string, 0, len(spec.Schema))
	for f := range spec.Schema {
		names = append(names, f)
	}
	sort.Strings(names)
	for _, f := range names {
		if !utf8.ValidString(f) {
			return &SchemaError{Table: table, Field: f, Reason: "field name is not valid UTF-8 (it would not survive a backup)"}
		}
		if t := spec.Schema[f]; !t.valid() {
			return &SchemaError{Table: table, Field: f, Reason: fmt.Sprintf("unknown type %q (want int, str, float, bool, list or dict)", string(t))}
		}
	}
	pkType, ok := spec.Schema[spec.PrimaryKey]
	if !ok {
		return &SchemaError{Table: table, Field: spec.PrimaryKey, Reason: "primary key is missing from the schema"}
	}
	if pkType != Int && pkType != String {
		return &SchemaError{Table: table, Field: spec.PrimaryKey, Reason: fmt.Sprintf("primary key type must be int or str, not %s", pkType)}
	}
	return nil
}

// checkRecord validates a normalized record against the table's spec. The
// primary key must be present. Of several bad fields it names the first in
// sorted order.
func checkRecord(table string, spec *TableSpec, r Record) error {
	if _, err := keyOf(table, spec.PrimaryKey, r[spec.PrimaryKey], true); err != nil {
		return err
	}
	if spec.Schema == nil {
		return nil
	}
	for f, v := range r {
		if t, ok := spec.Schema[f]; !ok || !t.matches(v) {
			return firstSchemaError(table, spec.Schema, r, true)
		}
	}
	if len(r) != len(spec.Schema) {
		return firstSchemaError(table, spec.Schema, r, true)
	}
	return nil
}

// checkFields validates the fields of an Update's changes against the schema.
// Of several bad fields it names the first in sorted order.
func checkFields(table string, spec *TableSpec, changes Record) error {
	if spec.Schema == nil {
		return nil
	}
	for f, v := range changes {
		if t, ok := spec.Schema[f]; !ok || !t.matches(v) {
			return firstSchemaError(table, spec.Schema, changes, false)
		}
	}
	return nil
}

// firstSchemaError is the error path of checkRecord (whole: every field of
// the schema must be present) and checkFields: it returns the error of the
// first bad field in sorted order, so that the same record always gets the
// same error whatever the order of the map's iteration.
func firstSchemaError(table string, schema Schema, r Record, whole bool) error {
	names := make([]string, 0, len(r)+len(schema))
	for f := range r {
		names = append(names, f)
	}
	if whole {
		for f := range schema {
			if _, ok := r[f]; !ok {
				names = append(names, f)
			}
		}
	}
	sort.Strings(names)
	for _, f := range names {
		v, present := r[f]
		t, known := schema[f]
		switch {
		case !present:
			return &SchemaError{Table: table, Field: f, Reason: "missing field"}
		case !known:
			return &SchemaError{Table: table, Field: f, Reason: "unknown field (not in the schema)"}
		case !t.matches(v):
			return &SchemaError{Table: table, Field: f, Reason: fmt.Sprintf("want %s, got %s", t, typeName(v))}
		}
	}
	return nil
}
