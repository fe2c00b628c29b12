package dictdb

import (
	"bytes"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The tests of guarantee 5's last sentence: a value that could not be
// restored is refused at insert, with the field named.

// nestLists returns n lists nested around 1: nestLists(2) is [[1]].
func nestLists(n int) any {
	v := any(int64(1))
	for range n {
		v = []any{v}
	}
	return v
}

// nestDicts returns n dicts nested around 1: nestDicts(2) is {"a": {"a": 1}}.
func nestDicts(n int) any {
	v := any(int64(1))
	for range n {
		v = map[string]any{"a": v}
	}
	return v
}

// nestMixed returns n levels of lists and dicts, alternating.
func nestMixed(n int) any {
	v := any("bottom")
	for i := range n {
		if i%2 == 0 {
			v = []any{int64(i), v}
		} else {
			v = map[string]any{"k": v, "n": int64(i)}
		}
	}
	return v
}

// with returns a copy of r with the fields of more added.
func with(r Record, more Record) Record {
	out := Record{}
	for k, v := range r {
		out[k] = v
	}
	for k, v := range more {
		out[k] = v
	}
	return out
}

// requireRoundTrips checks that db saves and loads back in every format,
// and that its tables, sent as a delta in every format, rebuild the same
// records in an empty database.
func requireRoundTrips(t *testing.T, db *DB) {
	t.Helper()
	d := &Delta{Tables: map[string]*TableDelta{}}
	for _, name := range db.TableNames() {
		tb, err := db.Table(name)
		require.NoError(t, err)
		d.Tables[name] = &TableDelta{Create: &TableSpec{PrimaryKey: tb.PrimaryKey(), Schema: tb.Schema()}, Upserts: tb.Select(nil)}
	}
	for _, f := range Formats() {
		var buf bytes.Buffer
		require.NoError(t, db.Save(&buf, f), f)
		back, err := Load(&buf, f)
		require.NoError(t, err, "load %s", f)
		requireSameTables(t, db, back)

		buf.Reset()
		require.NoError(t, EncodeDelta(&buf, f, d, nil), f)
		dd, _, err := DecodeDelta(&buf, f)
		require.NoError(t, err, "decode delta %s", f)
		fresh := New()
		_, err = fresh.ApplyDelta(dd, 0)
		require.NoError(t, err, "apply delta %s", f)
		requireSameTables(t, db, fresh)
	}
}

func requireSameTables(t *testing.T, want, got *DB) {
	t.Helper()
	require.Equal(t, want.TableNames(), got.TableNames())
	for _, name := range want.TableNames() {
		wt, _ := want.Table(name)
		gt, _ := got.Table(name)
		require.Equal(t, wt.Select(nil), gt.Select(nil), name)
	}
}

func TestValueAtMaxDepthRoundTrips(t *testing.T) {
	require.Equal(t, 507, MaxValueDepth, "512 (the decoders' limit) less the 4 containers around a record and the record")
	for name, deep := range map[string]any{
		"lists": nestLists(MaxValueDepth),
		"dicts": nestDicts(MaxValueDepth),
		"mixed": nestMixed(MaxValueDepth),
	} {
		t.Run(name, func(t *testing.T) {
			db, users := newUsers(t)
			_, err := users.Insert(Record{"deep": deep})
			require.NoError(t, err)
			_, err = users.Upsert(Record{"id": 2, "deep": deep, "n": 1})
			require.NoError(t, err)
			_, err = users.Insert(Record{"id": 3})
			require.NoError(t, err)
			n, err := users.Update(func(r Record) bool { return r["id"] == int64(3) }, Record{"other": deep})
			require.NoError(t, err)
			require.Equal(t, 1, n)
			requireRoundTrips(t, db)

			// The same in a table with a schema, and in a delta to an
			// existing table (no "create": the same depth).
			typ := Dict
			if _, isList := deep.([]any); isList {
				typ = List
			}
			typed, err := db.CreateTable("typed", WithSchema(Schema{"id": Int, "deep": typ}))
			require.NoError(t, err)
			_, err = typed.Insert(Record{"deep": deep})
			require.NoError(t, err)
			for _, f := range Formats() {
				var buf bytes.Buffer
				require.NoError(t, EncodeDelta(&buf, f, &Delta{Tables: map[string]*TableDelta{"users": {Upserts: []Record{{"id": int64(9), "deep": deep}}}}}, nil))
				dd, _, err := DecodeDelta(&buf, f)
				require.NoError(t, err, f)
				_, err = db.ApplyDelta(dd, 0)
				require.NoError(t, err, f)
				got, ok := users.Get(9)
				require.True(t, ok)
				require.Equal(t, deep, got["deep"])
			}
			requireRoundTrips(t, db)
		})
	}
}

// requireRefused checks that a record with the fields bad is refused by
// Insert, Upsert, Update and ApplyDelta with a ValueError naming field, that
// nothing changes, and that the database still backs up and restores.
func requireRefused(t *testing.T, bad Record, field string) {
	t.Helper()
	db, users := newUsers(t)
	_, err := users.Insert(Record{"id": 1, "ok": "yes"})
	require.NoError(t, err)
	seq, before := db.Sequence(), users.Select(nil)
	for op, try := range map[string]func() error{
		"insert": func() error { _, err := users.Insert(with(bad, Record{"id": 2})); return err },
		"upsert": func() error { _, err := users.Upsert(with(bad, Record{"id": 1})); return err },
		"update": func() error { _, err := users.Update(nil, bad); return err },
		"delta": func() error {
			_, err := db.ApplyDelta(&Delta{Tables: map[string]*TableDelta{"users": {Upserts: []Record{with(bad, Record{"id": 3})}}}}, 0)
			return err
		},
	} {
		err := try()
		require.ErrorIs(t, err, ErrInvalidValue, op)
		var ve *ValueError
		require.ErrorAs(t, err, &ve, op)
		assert.Equal(t, field, ve.Field, op)
		assert.True(t, utf8.ValidString(err.Error()), "%s: the error text must be valid UTF-8: %q", op, err.Error())
		assert.Contains(t, err.Error(), strconv.Quote(field), op)
	}
	assert.Equal(t, seq, db.Sequence(), "nothing was committed")
	assert.Equal(t, before, users.Select(nil))
	requireRoundTrips(t, db)
}

func TestTooDeepValuesAreRefused(t *testing.T) {
	lists := "deep" + strings.Repeat("[0]", MaxValueDepth)
	dicts := "deep" + strings.Repeat(".a", MaxValueDepth)
	for _, c := range []struct {
		name  string
		v     any
		field string
	}{
		{"lists, one level more", nestLists(MaxValueDepth + 1), lists},
		{"dicts, one level more", nestDicts(MaxValueDepth + 1), dicts},
		{"lists 10000 deep", nestLists(10000), lists},
		{"dicts 10000 deep", nestDicts(10000), dicts},
	} {
		t.Run(c.name, func(t *testing.T) { requireRefused(t, Record{"deep": c.v}, c.field) })
	}
	// A too-deep value inside typed slices is found too.
	requireRefused(t, Record{"deep": [][]any{{nestLists(MaxValueDepth - 1)}}}, lists)
}

func TestCyclicValuesAreRefused(t *testing.T) {
	m := map[string]any{}
	m["self"] = m
	l := []any{nil}
	l[0] = l
	var p any
	p = &p
	requireRefused(t, Record{"m": m}, "m"+strings.Repeat(".self", MaxValueDepth))
	requireRefused(t, Record{"l": l}, "l"+strings.Repeat("[0]", MaxValueDepth))
	requireRefused(t, Record{"p": p}, "p")
}

func TestTooDeepMetaIsRefused(t *testing.T) {
	db, _ := newUsers(t)
	for _, f := range Formats() {
		var buf bytes.Buffer
		deepest := nestLists(metaValueDepth)
		require.NoError(t, db.Snapshot().Encode(&buf, f, Meta{"m": deepest}))
		_, meta, err := LoadMeta(&buf, f)
		require.NoError(t, err, "the deepest meta field the encoder writes loads back (%s)", f)
		assert.Equal(t, deepest, meta["m"])
		err = db.Snapshot().Encode(io.Discard, f, Meta{"m": nestLists(metaValueDepth + 1)})
		require.ErrorIs(t, err, ErrInvalidValue, f)
		err = EncodeDelta(io.Discard, f, &Delta{}, Meta{"ok": 1, "bad\xff": 1})
		require.ErrorIs(t, err, ErrInvalidValue, f)
	}
}

// TestEncodersRefuseWhatCannotBeRestored is the second line of defence: a
// record that got past Insert (here put into the tree directly) makes the
// backup fail cleanly instead of writing what cannot be read back.
func TestEncodersRefuseWhatCannotBeRestored(t *testing.T) {
	db, users := newUsers(t)
	bad := Record{"id": int64(2), "deep": nestLists(MaxValueDepth + 1)}
	users.tree.Set(entry{k: pkey{i: 2}, r: bad})
	huge := Record{"id": int64(3), "deep": nestLists(100000)}
	for _, f := range Formats() {
		err := db.Save(io.Discard, f)
		require.ErrorContains(t, err, "nested deeper than 512", f)
		assert.Contains(t, err.Error(), "key 2")
		for _, r := range []Record{bad, huge} {
			err = EncodeDelta(io.Discard, f, &Delta{Tables: map[string]*TableDelta{"users": {Upserts: []Record{r}}}}, nil)
			require.ErrorContains(t, err, "nested deeper than 512", f)
		}
		err = EncodeDelta(io.Discard, f, &Delta{Tables: map[string]*TableDelta{"users": {Deletes: []any{nestLists(MaxValueDepth + 2)}}}}, nil)
		require.ErrorContains(t, err, "nested deeper than 512", f)
	}
}

func TestInvalidUTF8IsRefused(t *testing.T) {
	type myString string
	for _, c := range []struct {
		name  string
		bad   Record
		field string
	}{
		{"string value", Record{"s": "ab\xff"}, "s"},
		{"surrogate half", Record{"s": "\xed\xa0\x80"}, "s"},
		{"truncated rune", Record{"s": "caf\xc3"}, "s"},
		{"string in a list", Record{"tags": []any{"ok", "\xfe"}}, "tags[1]"},
		{"string in a dict", Record{"m": map[string]any{"k": "\xc3("}}, "m.k"},
		{"typed string slice", Record{"tags": []string{"ok", "x\xff"}}, "tags[1]"},
		{"named string type", Record{"s": myString("\xff")}, "s"},
		{"field name", Record{"k\xff": 1}, "k\xff"},
		{"two field names", Record{"k\xfe": 1, "k\xff": 2}, "k\xfe"},
		{"nested key", Record{"m": map[string]any{"k\xfe": 1}}, "m.k\xfe"},
		{"two nested keys", Record{"m": map[string]any{"k\xfe": 1, "k\xff": 2}}, "m.k\xfe"},
		{"typed map key", Record{"m": map[string]int{"ok": 1, "k\xff": 2}}, "m.k\xff"},
		{"key deep down", Record{"m": []any{map[string]any{"a": map[string]any{"\xff": nil}}}}, "m[0].a.\xff"},
	} {
		t.Run(c.name, func(t *testing.T) { requireRefused(t, c.bad, c.field) })
	}

	db, users := newUsers(t)
	_, err := users.Insert(Record{"id": "k\xef\xbf\xbd"}) // U+FFFD itself is fine
	require.NoError(t, err)
	_, err = db.ApplyDelta(&Delta{Tables: map[string]*TableDelta{"users": {Deletes: []any{"k\xff"}}}}, 0)
	require.ErrorIs(t, err, ErrInvalidValue, "a delete key that no record can have")
	_, ok := users.Get("k\xff")
	assert.False(t, ok)
	assert.Equal(t, 1, users.Count())
}

func TestInvalidUTF8NamesAreRefused(t *testing.T) {
	db := New()
	for name, opts := range map[string][]TableOption{
		"primary key":           {WithPrimaryKey("id\xff")},
		"schema field":          {WithSchema(Schema{"id": Int, "n\xff": String})},
		"primary key in schema": {WithPrimaryKey("k\xff"), WithSchema(Schema{"k\xff": String})},
	} {
		_, err := db.CreateTable("t", opts...)
		require.ErrorIs(t, err, ErrSchema, name)
		assert.True(t, utf8.ValidString(err.Error()), name)
		assert.Contains(t, err.Error(), `\xff`, name)
	}
	_, err := db.CreateTable("t\xff")
	require.Error(t, err)
	assert.True(t, utf8.ValidString(err.Error()))
	for name, d := range map[string]*Delta{
		"primary key": {Tables: map[string]*TableDelta{"t": {Create: &TableSpec{PrimaryKey: "id\xff"}}}},
		"table name":  {Tables: map[string]*TableDelta{"t\xff": {Create: &TableSpec{PrimaryKey: "id"}}}},
	} {
		_, err = db.ApplyDelta(d, 0)
		require.Error(t, err, name)
	}
	assert.Empty(t, db.TableNames())
	assert.Equal(t, uint64(0), db.Sequence())
}

// TestErrorsAreDeterministic: a record with several bad fields gets the same
// error on every run, naming the first bad field in sorted order, although
// map iteration order changes from one run to the next.
func TestErrorsAreDeterministic(t *testing.T) {
	schema := Schema{"id": Int, "a": String, "b": String, "c": Int}
	db, typed := newUsers(t, WithSchema(schema))
	_, err := typed.Insert(Record{"a": "x", "b": "y", "c": 1})
	require.NoError(t, err)
	free, err := db.CreateTable("free")
	require.NoError(t, err)
	insert := func(tb *Table, r Record) func() error {
		return func() error { _, err := tb.Insert(r); return err }
	}
	for _, c := range []struct {
		name  string
		try   func() error
		field string
	}{
		{"schema: two wrong types", insert(typed, Record{"a": 1, "b": 2, "c": 1}), "a"},
		{"schema: two unknown fields", insert(typed, Record{"a": "x", "b": "y", "c": 1, "y": 1, "x": 2}), "x"},
		{"schema: two missing fields", insert(typed, Record{"c": 1}), "a"},
		{"schema: missing before unknown", insert(typed, Record{"a": "x", "c": 1, "z": 1}), "b"},
		{"schema: wrong type before missing", insert(typed, Record{"a": 1, "z": 1}), "a"},
		{"schema: update", func() error { _, err := typed.Update(nil, Record{"c": "x", "b": 1, "zz": 1}); return err }, "b"},
		{"schema: delta", func() error {
			_, err := db.ApplyDelta(&Delta{Tables: map[string]*TableDelta{"users": {Upserts: []Record{{"id": 5, "a": 1, "b": 2, "c": 1}}}}}, 0)
			return err
		}, "a"},
		{"value: two NaNs", insert(free, Record{"b": math.NaN(), "a": math.NaN()}), "a"},
		{"value: different reasons", insert(free, Record{"a": math.Inf(1), "b": make(chan int), "c": "\xff", "d": nestLists(1000)}), "a"},
		{"value: nested", insert(free, Record{"m": map[string]any{"y": make(chan int), "x": math.NaN()}}), "m.x"},
		{"value: typed map", insert(free, Record{"m": map[string]float64{"y": math.Inf(-1), "x": math.NaN()}}), "m.x"},
		{"value: bad name and bad value", insert(free, Record{"m": map[string]any{"k\xff": 1, "k": math.NaN()}}), "m.k"},
		{"value: two too deep", insert(free, Record{"b": nestLists(600), "a": nestLists(600)}), "a" + strings.Repeat("[0]", MaxValueDepth)},
		{"value: deep in several fields", insert(free, Record{"m": map[string]any{"q": map[string]any{"z": 1.0, "y": math.NaN(), "x": math.NaN()}, "p": map[string]any{"b": math.NaN(), "a": math.NaN()}}}), "m.p.a"},
	} {
		t.Run(c.name, func(t *testing.T) {
			first := c.try()
			require.Error(t, first)
			var se *SchemaError
			var ve *ValueError
			switch {
			case strings.HasPrefix(c.name, "schema"):
				require.ErrorAs(t, first, &se)
				assert.Equal(t, c.field, se.Field)
			default:
				require.ErrorAs(t, first, &ve)
				assert.Equal(t, c.field, ve.Field)
			}
			for range 50 {
				require.Equal(t, first.Error(), c.try().Error())
			}
		})
	}
}

// TestValidString checks the fast path against utf8.ValidString: every
// length up to 40, with one bad or non-ASCII byte sequence at every offset.
func TestValidString(t *testing.T) {
	for n := 0; n <= 40; n++ {
		base := strings.Repeat("a", n)
		require.True(t, validString(base))
		for i := 0; i < n; i++ {
			for _, ins := range []string{"\xff", "\x80", "é", "\xe2\x82", "€", "\xed\xa0\x80", "😀"} {
				s := base[:i] + ins + base[i:]
				require.Equal(t, utf8.ValidString(s), validString(s), "%q", s)
			}
		}
	}
}

// A file whose schema has several types that are not strings names the
// same field every time.
func TestLoadSchemaErrorIsDeterministic(t *testing.T) {
	doc := `{"tables": {"t": {"primary_key": "id", "schema": {"d": 1, "a": 2, "c": 3, "b": 4}, "records": []}}}`
	for range 50 {
		_, err := Load(strings.NewReader(doc), FormatJSON)
		require.Error(t, err)
		assert.Contains(t, err.Error(), `schema field "a"`)
	}
}
