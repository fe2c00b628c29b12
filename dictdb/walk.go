package dictdb

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
)

// The parts of the document walk that full backups and deltas share: the
// top-level map and its meta fields, table specs, maps, arrays and records.

// writeHeader starts a document: the top-level map and the meta fields,
// sorted. None may be named as a reserved field.
func writeHeader(w tokenWriter, meta Meta, reserved ...string) error {
	w.beginDoc()
	keys, nm, err := metaFields(meta, reserved)
	if err != nil {
		return err
	}
	for _, k := range keys {
		w.key(k)
		if err := w.value(nm[k], 1); err != nil {
			return fmt.Errorf("dictdb: meta field %q: %w", k, err)
		}
	}
	return nil
}

// metaFields checks the meta fields of a document (none may be named as a
// reserved field) and returns their names, sorted, and their values
// normalized.
func metaFields(meta Meta, reserved []string) ([]string, map[string]any, error) {
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if slices.Contains(reserved, k) {
			return nil, nil, fmt.Errorf("dictdb: meta field %q is reserved", k)
		}
	}
	nm, perr := normalizeFields(meta, metaValueDepth)
	if perr != nil {
		return nil, nil, fmt.Errorf("dictdb: meta: %w", perr.valueError())
	}
	return keys, nm, nil
}

// writeSpecFields writes the two entries "primary_key" and "schema" of
// spec; the caller writes the head of the map holding them.
func writeSpecFields(w tokenWriter, spec TableSpec) {
	w.key("primary_key")
	w.text(spec.PrimaryKey)
	w.key("schema")
	if spec.Schema == nil {
		w.null()
		return
	}
	fields := make([]string, 0, len(spec.Schema))
	for f := range spec.Schema {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	w.beginMap(len(fields), inline)
	for _, f := range fields {
		w.key(f)
		w.text(string(spec.Schema[f]))
	}
	w.endMap()
}

// eachTopKey reads the top-level map of a document and calls fn with each
// key; fn must consume the value. what names the document in errors.
func eachTopKey(d tokenReader, what string, fn func(key string) error) error {
	if err := d.start(); err != nil {
		return corruptf("%s: %v", what, err)
	}
	return eachKey(d, what, fn)
}

// eachKey reads the map at d's position and calls fn with each key; fn
// must consume the value. what names the map in errors.
func eachKey(d tokenReader, what string, fn func(key string) error) error {
	if err := d.BeginMap(); err != nil {
		return corruptf("%s: %v", what, err)
	}
	for {
		key, ok, err := d.NextKey()
		if err != nil {
			return corruptf("%s: %v", what, err)
		}
		if !ok {
			return nil
		}
		if err := fn(key); err != nil {
			return err
		}
	}
}

// eachElem reads the array at d's position and calls fn with each index; fn
// must consume the element.
func eachElem(d tokenReader, what string, fn func(i int) error) error {
	if err := d.BeginArray(); err != nil {
		return corruptf("%s: %v", what, err)
	}
	for i := 0; ; i++ {
		more, err := d.NextElem()
		if err != nil {
			return corruptf("%s: %v", what, err)
		}
		if !more {
			return nil
		}
		if err := fn(i); err != nil {
			return err
		}
	}
}

// skipField consumes the value of the field key of the map what, which the
// walk does not use, checking it as Value would.
func skipField(d tokenReader, what, key string) error {
	if err := d.Skip(); err != nil {
		return d.skipError(what, key, err)
	}
	return nil
}

// decodeMetaField stores a top-level field other than the tables.
func decodeMetaField(d tokenReader, meta Meta, key string) error {
	v, err := d.metaValue(key)
	if err != nil {
		return corruptf("field %q: %v", key, err)
	}
	meta[key] = v
	return nil
}

// asCorrupt makes err match ErrCorrupt unless it already does.
func asCorrupt(err error) error {
	if errors.Is(err, ErrCorrupt) {
		return err
	}
	return corruptf("%v", err)
}

// decodeSpecField decodes "primary_key" or "schema" into spec.
func decodeSpecField(d tokenReader, table, key string, spec *TableSpec) error {
	v, err := d.Value()
	if err != nil {
		return corruptf("table %q: %s: %v", table, key, err)
	}
	if key == "primary_key" {
		switch pk := v.(type) {
		case nil:
		case string:
			spec.PrimaryKey = pk
		default:
			return corruptf("table %q: primary_key must be a string", table)
		}
		return nil
	}
	spec.Schema, err = schemaOf(table, v)
	return err
}

// schemaOf is the schema whose decoded value is v.
func schemaOf(table string, v any) (Schema, error) {
	if v == nil {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, corruptf("table %q: schema must be an object or null", table)
	}
	s := make(Schema, len(m))
	bad := ""
	for f, tv := range m {
		ts, ok := tv.(string)
		if !ok {
			if bad == "" || f < bad { // the first in order: the same error every time
				bad = f
			}
			continue
		}
		s[f] = Type(ts)
	}
	if bad != "" {
		return nil, corruptf("table %q: schema field %q: type must be a string", table, bad)
	}
	return s, nil
}

// decodeSpec decodes {"primary_key": ..., "schema": ...}.
func decodeSpec(d tokenReader, table string) (*TableSpec, error) {
	spec := &TableSpec{PrimaryKey: "id"}
	what := "table " + strconv.Quote(table) + " spec"
	err := eachKey(d, what, func(key string) error {
		if key == "primary_key" || key == "schema" {
			return decodeSpecField(d, table, key, spec)
		}
		return skipField(d, what, key)
	})
	return spec, err
}

// decodeRecord decodes the i-th record of table name.
func decodeRecord(d valueReader, name string, i int) (Record, error) {
	v, err := d.Value()
	if err != nil {
		return nil, corruptf("table %q record %d: %v", name, i, err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, corruptf("table %q record %d: %s", name, i, d.notMap(v))
	}
	return Record(m), nil
}
