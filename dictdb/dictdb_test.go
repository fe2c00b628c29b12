package dictdb

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newUsers(t *testing.T, opts ...TableOption) (*DB, *Table) {
	t.Helper()
	db := New()
	tb, err := db.CreateTable("users", opts...)
	require.NoError(t, err)
	return db, tb
}

func TestRecordsAreCopiedInAndOut(t *testing.T) {
	db, users := newUsers(t)
	var seen []ChangeSet
	_, cancel := db.Subscribe(func(cs ChangeSet) { seen = append(seen, cs) })
	defer cancel()

	in := Record{"name": "Alice", "tags": []any{"a"}, "addr": map[string]any{"city": "Paris"}}
	id, err := users.Insert(in)
	require.NoError(t, err)
	in["name"] = "Mallory"
	in["tags"].([]any)[0] = "x"
	in["addr"].(map[string]any)["city"] = "Nowhere"

	got, ok := users.Get(id)
	require.True(t, ok)
	assert.Equal(t, "Alice", got["name"])
	assert.Equal(t, []any{"a"}, got["tags"])
	got["name"] = "Eve"
	got["addr"].(map[string]any)["city"] = "Berlin"
	for _, r := range users.Select(nil) {
		r["name"] = "Trudy"
		r["tags"].([]any)[0] = "y"
	}
	again, _ := users.Get(id)
	assert.Equal(t, Record{"id": int64(1), "name": "Alice", "tags": []any{"a"}, "addr": map[string]any{"city": "Paris"}}, again)
	assert.Len(t, seen, 1, "only the insert was a committed write")
}

func TestNormalization(t *testing.T) {
	type myInt int
	cases := []struct {
		name string
		in   any
		want any
	}{
		{"int", 5, int64(5)},
		{"int8", int8(-3), int64(-3)},
		{"uint32", uint32(7), int64(7)},
		{"uint64 max int", uint64(math.MaxInt64), int64(math.MaxInt64)},
		{"float32", float32(1.5), float64(1.5)},
		{"named int", myInt(9), int64(9)},
		{"string slice", []string{"a", "b"}, []any{"a", "b"}},
		{"int map", map[string]int{"x": 1}, map[string]any{"x": int64(1)}},
		{"nested", []any{map[string]any{"k": []int{1}}}, []any{map[string]any{"k": []any{int64(1)}}}},
		{"nil", nil, nil},
		{"bool", true, true},
		{"pointer", func() *int { i := 3; return &i }(), int64(3)},
		{"array", [2]int{1, 2}, []any{int64(1), int64(2)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, users := newUsers(t)
			id, err := users.Insert(Record{"v": c.in})
			require.NoError(t, err)
			got, _ := users.Get(id)
			assert.Equal(t, c.want, got["v"])
		})
	}
}

func TestRefusedValuesNameTheField(t *testing.T) {
	cases := []struct {
		name  string
		rec   Record
		field string
	}{
		{"NaN", Record{"score": math.NaN()}, "score"},
		{"+Inf", Record{"score": math.Inf(1)}, "score"},
		{"-Inf float32", Record{"score": float32(math.Inf(-1))}, "score"},
		{"channel", Record{"c": make(chan int)}, "c"},
		{"func", Record{"f": func() {}}, "f"},
		{"struct", Record{"s": struct{ A int }{1}}, "s"},
		{"nested list", Record{"tags": []any{"ok", math.NaN()}}, "tags[1]"},
		{"nested map", Record{"a": map[string]any{"b": []any{map[string]any{"c": make(chan int)}}}}, "a.b[0].c"},
		{"uint64 overflow", Record{"n": uint64(math.MaxUint64)}, "n"},
		{"non-string map key", Record{"m": map[int]string{1: "x"}}, "m"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db, users := newUsers(t)
			_, err := users.Insert(c.rec)
			require.ErrorIs(t, err, ErrInvalidValue)
			var ve *ValueError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, c.field, ve.Field)
			assert.Contains(t, err.Error(), c.field)
			assert.Equal(t, 0, users.Count())
			assert.Equal(t, uint64(1), db.Sequence(), "a refused insert commits nothing")
			_, err = users.Upsert(Record{"id": 1, "x": 1})
			require.NoError(t, err)
			_, err = users.Update(nil, c.rec)
			require.ErrorIs(t, err, ErrInvalidValue)
		})
	}
}

func TestSchema(t *testing.T) {
	schema := Schema{"id": Int, "name": String, "age": Int, "score": Float, "ok": Bool, "tags": List, "meta": Dict}
	good := func() Record {
		return Record{"name": "A", "age": 3, "score": 1.5, "ok": true, "tags": []any{}, "meta": map[string]any{}}
	}
	cases := []struct {
		name   string
		mutate func(Record)
		field  string
	}{
		{"bool is not int", func(r Record) { r["age"] = true }, "age"},
		{"int is not float", func(r Record) { r["score"] = 2 }, "score"},
		{"float is not int", func(r Record) { r["age"] = 2.0 }, "age"},
		{"string is not list", func(r Record) { r["tags"] = "x" }, "tags"},
		{"nil is not str", func(r Record) { r["name"] = nil }, "name"},
		{"missing field", func(r Record) { delete(r, "ok") }, "ok"},
		{"unknown field", func(r Record) { r["extra"] = 1 }, "extra"},
		{"string key for int pk", func(r Record) { r["id"] = "k" }, "id"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db, users := newUsers(t, WithSchema(schema))
			r := good()
			c.mutate(r)
			_, err := users.Insert(r)
			require.ErrorIs(t, err, ErrSchema)
			var se *SchemaError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, c.field, se.Field)
			assert.Equal(t, "users", se.Table)
			assert.Equal(t, 0, users.Count())
			seq := db.Sequence()
			id, err := users.Insert(good())
			require.NoError(t, err)
			assert.Equal(t, int64(1), id, "a refused insert burns no key")
			assert.Equal(t, seq+1, db.Sequence())
		})
	}
	t.Run("valid record", func(t *testing.T) {
		_, users := newUsers(t, WithSchema(schema))
		_, err := users.Insert(good())
		require.NoError(t, err)
	})
}

func TestCreateTableErrors(t *testing.T) {
	db := New()
	_, err := db.CreateTable("t", WithSchema(Schema{"id": Int, "x": "decimal"}))
	require.ErrorIs(t, err, ErrSchema)
	assert.Contains(t, err.Error(), "decimal")
	_, err = db.CreateTable("t", WithSchema(Schema{"name": String}))
	require.ErrorIs(t, err, ErrSchema, "schema without the primary key")
	_, err = db.CreateTable("t", WithSchema(Schema{"id": Float}))
	require.ErrorIs(t, err, ErrSchema, "float primary key")
	_, err = db.CreateTable("t", WithPrimaryKey(""))
	require.ErrorIs(t, err, ErrSchema)
	_, err = db.CreateTable("")
	require.Error(t, err)
	assert.Empty(t, db.TableNames())
	assert.Equal(t, uint64(0), db.Sequence())

	_, err = db.CreateTable("t")
	require.NoError(t, err)
	_, err = db.CreateTable("t")
	require.ErrorIs(t, err, ErrTableExists)
}

func TestTableNotFound(t *testing.T) {
	db, users := newUsers(t)
	_, err := db.Table("nope")
	require.ErrorIs(t, err, ErrTableNotFound)
	require.ErrorIs(t, db.DropTable("nope"), ErrTableNotFound)
	require.NoError(t, db.DropTable("users"))
	_, err = users.Insert(Record{"a": 1})
	require.ErrorIs(t, err, ErrTableNotFound, "a handle to a dropped table")
	_, err = users.Upsert(Record{"a": 1})
	require.ErrorIs(t, err, ErrTableNotFound)
	_, err = users.Update(nil, Record{"a": 1})
	require.ErrorIs(t, err, ErrTableNotFound)
	_, err = users.Delete(nil)
	require.ErrorIs(t, err, ErrTableNotFound)
	require.ErrorIs(t, users.DeleteKey(1), ErrTableNotFound)
	assert.Equal(t, 0, users.Count())
	assert.Nil(t, users.Select(nil))

	// A new table of the same name is a new table; the old handle stays dead.
	fresh, err := db.CreateTable("users")
	require.NoError(t, err)
	_, err = fresh.Insert(Record{"a": 1})
	require.NoError(t, err)
	_, err = users.Insert(Record{"a": 1})
	require.ErrorIs(t, err, ErrTableNotFound)
}

func TestAutoIncrement(t *testing.T) {
	_, users := newUsers(t)
	id1, _ := users.Insert(Record{"n": 1})
	id2, _ := users.Insert(Record{"n": 2})
	assert.Equal(t, []any{int64(1), int64(2)}, []any{id1, id2})
	_, err := users.Insert(Record{"id": 10, "n": 3})
	require.NoError(t, err)
	id, _ := users.Insert(Record{"n": 4})
	assert.Equal(t, int64(11), id, "auto keys continue above explicit ones")
	_, err = users.Insert(Record{"id": 5, "n": 5})
	require.NoError(t, err)
	_, err = users.Insert(Record{"id": 5, "n": 6})
	require.ErrorIs(t, err, ErrDuplicateKey)
	id, _ = users.Insert(Record{"n": 7})
	assert.Equal(t, int64(12), id, "never overwrites, never burns a key on failure")
	_, err = users.Insert(Record{"id": "alice", "n": 8})
	require.NoError(t, err, "string keys are allowed without a schema")
	got, ok := users.Get("alice")
	require.True(t, ok)
	assert.Equal(t, int64(8), got["n"])

	_, strTable := newUsers(t, WithPrimaryKey("email"), WithSchema(Schema{"email": String}))
	_, err = strTable.Insert(Record{})
	require.ErrorIs(t, err, ErrSchema, "a string key cannot be generated")
}

func TestUpsertReplacesWholeRecord(t *testing.T) {
	_, users := newUsers(t)
	id, _ := users.Insert(Record{"name": "A", "old": true})
	_, err := users.Upsert(Record{"id": id, "name": "B"})
	require.NoError(t, err)
	got, _ := users.Get(id)
	assert.Equal(t, Record{"id": int64(1), "name": "B"}, got)
	id2, err := users.Upsert(Record{"name": "C"})
	require.NoError(t, err)
	assert.Equal(t, int64(2), id2)
}

func TestUpdateAndDelete(t *testing.T) {
	db, users := newUsers(t, WithSchema(Schema{"id": Int, "name": String, "age": Int}))
	for _, n := range []string{"a", "b", "c"} {
		_, err := users.Insert(Record{"name": n, "age": 20})
		require.NoError(t, err)
	}
	seq := db.Sequence()
	n, err := users.Update(func(r Record) bool { return r["name"] == "zzz" }, Record{"age": 1})
	require.NoError(t, err)
	assert.Equal(t, 0, n)
	n, err = users.Delete(func(r Record) bool { return false })
	require.NoError(t, err)
	assert.Equal(t, 0, n)
	assert.Equal(t, seq, db.Sequence(), "no-op writes commit nothing")

	n, err = users.Update(nil, Record{"age": 21})
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	assert.Equal(t, seq+1, db.Sequence(), "one update is one change set")

	// All or nothing.
	_, err = users.Update(nil, Record{"age": "old"})
	require.ErrorIs(t, err, ErrSchema)
	_, err = users.Update(nil, Record{"nick": "x"})
	require.ErrorIs(t, err, ErrSchema)
	for _, r := range users.Select(nil) {
		assert.Equal(t, int64(21), r["age"])
	}

	// Moving a key.
	_, err = users.Update(func(r Record) bool { return r["name"] == "a" }, Record{"id": 2})
	require.ErrorIs(t, err, ErrDuplicateKey, "onto another record's key")
	_, err = users.Update(nil, Record{"id": 50})
	require.ErrorIs(t, err, ErrDuplicateKey, "three records onto one key")
	a, _ := users.Get(1)
	assert.Equal(t, "a", a["name"])
	n, err = users.Update(func(r Record) bool { return r["name"] == "a" }, Record{"id": 100})
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	_, ok := users.Get(1)
	assert.False(t, ok)
	moved, _ := users.Get(100)
	assert.Equal(t, "a", moved["name"])
	id, _ := users.Insert(Record{"name": "d", "age": 1})
	assert.Equal(t, int64(101), id)

	n, err = users.Delete(func(r Record) bool { return r["name"] != "b" })
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	assert.Equal(t, 1, users.Count())
	require.ErrorIs(t, users.DeleteKey(999), ErrNotFound)
	require.NoError(t, users.DeleteKey(2))
	assert.Equal(t, 0, users.Count())
}

func TestChangeCaptureConcurrent(t *testing.T) {
	db := New()
	var mu sync.Mutex
	var seqs []uint64
	ops := map[Op]int{}
	start, cancel := db.Subscribe(func(cs ChangeSet) {
		mu.Lock()
		seqs = append(seqs, cs.Seq)
		for _, c := range cs.Changes {
			ops[c.Op]++
		}
		mu.Unlock()
	})
	defer cancel()
	const workers, each = 8, 200
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			name := "t" + string(rune('a'+w))
			tb, err := db.CreateTable(name)
			if !assert.NoError(t, err) {
				return
			}
			for i := 0; i < each; i++ {
				id, err := tb.Insert(Record{"i": i})
				assert.NoError(t, err)
				_, err = tb.Upsert(Record{"id": id, "i": -i})
				assert.NoError(t, err)
				_, err = tb.Update(func(r Record) bool { return r["id"] == id }, Record{"u": true})
				assert.NoError(t, err)
				assert.NoError(t, tb.DeleteKey(id))
			}
			assert.NoError(t, db.DropTable(name))
		}(w)
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, seqs, workers*(2+4*each))
	for i, s := range seqs {
		require.Equal(t, start+uint64(i)+1, s, "change sets arrive in commit order, none missed")
	}
	assert.Equal(t, map[Op]int{OpCreateTable: workers, OpDropTable: workers, OpInsert: workers * each,
		OpUpsert: workers * each, OpUpdate: workers * each, OpDelete: workers * each}, ops)
}

func TestSnapshotIsPointInTime(t *testing.T) {
	db, users := newUsers(t)
	for i := 0; i < 1000; i++ {
		_, err := users.Insert(Record{"i": i})
		require.NoError(t, err)
	}
	snap := db.Snapshot()
	_, err := users.Delete(func(r Record) bool { return r["i"].(int64)%2 == 0 })
	require.NoError(t, err)
	_, err = users.Update(nil, Record{"changed": true})
	require.NoError(t, err)
	_, err = db.CreateTable("later")
	require.NoError(t, err)

	require.Len(t, snap.Tables(), 1)
	ts := snap.Tables()[0]
	assert.Equal(t, 1000, ts.Len())
	n := 0
	ts.Range(func(r Record) bool {
		_, changed := r["changed"]
		assert.False(t, changed)
		n++
		return true
	})
	assert.Equal(t, 1000, n)
	assert.Equal(t, uint64(1001), snap.Seq)
}

func TestSaveLoadRoundTrip(t *testing.T) {
	db := New()
	users, err := db.CreateTable("users", WithSchema(Schema{"id": Int, "name": String, "score": Float, "ok": Bool, "tags": List, "meta": Dict}))
	require.NoError(t, err)
	_, err = users.Insert(Record{"name": "é \"q\" \n\u2028", "score": 3.0, "ok": false, "tags": []any{int64(1), 2.5, nil, "x"}, "meta": map[string]any{"big": int64(math.MaxInt64), "neg": int64(math.MinInt64)}})
	require.NoError(t, err)
	_, err = users.Insert(Record{"id": 7, "name": "", "score": -0.1, "ok": true, "tags": []any{}, "meta": map[string]any{}})
	require.NoError(t, err)
	things, err := db.CreateTable("things", WithPrimaryKey("sku"))
	require.NoError(t, err)
	_, err = things.Insert(Record{"sku": "a-1", "n": 1e21, "tiny": 5e-324})
	require.NoError(t, err)
	_, err = db.CreateTable("empty")
	require.NoError(t, err)

	var buf bytes.Buffer
	require.NoError(t, db.Save(&buf, FormatJSON))
	db2, err := Load(bytes.NewReader(buf.Bytes()), FormatJSON)
	require.NoError(t, err)
	assertSameDB(t, db, db2)
	assert.Equal(t, db.Sequence(), db2.Sequence())

	u2, _ := db2.Table("users")
	r, _ := u2.Get(1)
	assert.IsType(t, float64(0), r["score"], "3.0 stays a float")
	id, err := u2.Insert(Record{"name": "n", "score": 1.0, "ok": true, "tags": []any{}, "meta": map[string]any{}})
	require.NoError(t, err)
	assert.Equal(t, int64(8), id, "auto-increment continues after Load")

	path := t.TempDir() + "/db.json"
	require.NoError(t, db.SaveFile(path, FormatJSON))
	db3, err := LoadFile(path, FormatJSON)
	require.NoError(t, err)
	assertSameDB(t, db, db3)
}

// A file as the Python DictDB writes it: default separators, ASCII escapes,
// no sequence, spec fields in any order.
const pythonFull = `{"tables": {"users": {"records": [{"id": 1, "name": "Alic\u00e9", "score": 9.5, "tags": ["a"]}, {"id": 2, "name": "Bob", "score": 7.0, "tags": []}], "primary_key": "id", "schema": {"id": "int", "name": "str", "score": "float", "tags": "list"}}, "events": {"primary_key": "event_id", "schema": null, "records": [{"event_id": 10, "type": "click"}]}}}`

func TestLoadPythonFile(t *testing.T) {
	db, err := Load(strings.NewReader(pythonFull), FormatJSON)
	require.NoError(t, err)
	assert.Equal(t, []string{"events", "users"}, db.TableNames())
	users, _ := db.Table("users")
	assert.Equal(t, Schema{"id": Int, "name": String, "score": Float, "tags": List}, users.Schema())
	r, _ := users.Get(1)
	assert.Equal(t, Record{"id": int64(1), "name": "Alicé", "score": 9.5, "tags": []any{"a"}}, r)
	r, _ = users.Get(2)
	assert.Equal(t, 7.0, r["score"])
	events, _ := db.Table("events")
	assert.Equal(t, "event_id", events.PrimaryKey())
	id, err := events.Insert(Record{"type": "view"})
	require.NoError(t, err)
	assert.Equal(t, int64(11), id)
}

// Key order in a JSON object is free: the table spec may follow the records.
func TestLoadSpecAfterRecords(t *testing.T) {
	for _, doc := range []string{
		`{"tables": {"t": {"records": [{"event_id": 2, "x": 1.5}, {"event_id": 1, "x": 0.0}], "schema": {"event_id": "int", "x": "float"}, "primary_key": "event_id"}}}`,
		`{"tables": {"t": {"records": [{"event_id": 2, "x": 1.5}, {"event_id": 1}], "primary_key": "event_id", "schema": null}}}`,
		`{"tables": {"t": {"schema": null, "records": [{"event_id": 2, "x": 1.5}, {"event_id": 1}], "primary_key": "event_id"}}}`,
	} {
		for _, f := range Formats() {
			db, err := Load(strings.NewReader(doc), FormatJSON)
			require.NoError(t, err, doc)
			tb, err := db.Table("t")
			require.NoError(t, err)
			assert.Equal(t, "event_id", tb.PrimaryKey())
			assert.Equal(t, 2, tb.Count())
			r, ok := tb.Get(2)
			require.True(t, ok)
			assert.Equal(t, 1.5, r["x"])
			id, err := tb.Insert(Record{"x": 2.0})
			require.NoError(t, err)
			assert.Equal(t, int64(3), id, "auto-increment continues above the loaded keys")
			var buf bytes.Buffer
			require.NoError(t, db.Save(&buf, f))
			back, err := Load(&buf, f)
			require.NoError(t, err)
			bt, err := back.Table("t")
			require.NoError(t, err)
			assert.Equal(t, tb.Select(nil), bt.Select(nil))
			assert.Equal(t, "event_id", bt.PrimaryKey())
		}
	}
	_, err := Load(strings.NewReader(`{"tables": {"t": {"records": [{"x": 1}], "primary_key": "event_id"}}}`), FormatJSON)
	assert.ErrorIs(t, err, ErrCorrupt, "a held record without the key is still refused")
}

func TestLoadRejectsBadInput(t *testing.T) {
	cases := []struct{ name, in string }{
		{"empty", ``},
		{"not json", `hello`},
		{"truncated", pythonFull[:len(pythonFull)/2]},
		{"trailing data", `{"tables": {}} {}`},
		{"no tables", `{"sequence": 1}`},
		{"tables not object", `{"tables": [1]}`},
		{"record not object", `{"tables": {"t": {"records": [1]}}}`},
		{"duplicate key", `{"tables": {"t": {"records": [{"id": 1}, {"id": 1}]}}}`},
		{"missing key", `{"tables": {"t": {"records": [{"x": 1}]}}}`},
		{"float key", `{"tables": {"t": {"records": [{"id": 1.5}]}}}`},
		{"schema violation", `{"tables": {"t": {"schema": {"id": "int", "n": "str"}, "records": [{"id": 1, "n": 2}]}}}`},
		{"late schema violation", `{"tables": {"t": {"records": [{"id": 1, "n": 2}], "schema": {"id": "int", "n": "str"}}}}`},
		{"unknown type", `{"tables": {"t": {"schema": {"id": "int", "n": "text"}, "records": []}}}`},
		{"NaN", `{"tables": {"t": {"records": [{"id": 1, "x": NaN}]}}}`},
		{"int overflow", `{"tables": {"t": {"records": [{"id": 99999999999999999999}]}}}`},
		{"negative sequence", `{"sequence": -1, "tables": {}}`},
		{"a delta", `{"type": "delta", "tables": {}}`},
		{"duplicate table", `{"tables": {"t": {"records": []}, "t": {"records": []}}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db, err := Load(strings.NewReader(c.in), FormatJSON)
			require.ErrorIs(t, err, ErrCorrupt)
			assert.Nil(t, db)
		})
	}
	_, err := Load(strings.NewReader(`{"tables": {}}`), Format("xml"))
	require.ErrorIs(t, err, ErrUnknownFormat)
}

func TestApplyDelta(t *testing.T) {
	db, users := newUsers(t)
	_, _ = users.Insert(Record{"name": "a", "stale": 1})
	_, _ = users.Insert(Record{"name": "b"})
	_, _ = db.CreateTable("gone")
	seq := db.Sequence()

	d := &Delta{
		Tables: map[string]*TableDelta{
			"users": {Upserts: []Record{{"id": 1, "name": "A"}, {"id": 9, "name": "new"}}, Deletes: []any{int64(2), int64(77)}},
			"fresh": {Create: &TableSpec{PrimaryKey: "k", Schema: Schema{"k": String}}, Upserts: []Record{{"k": "x"}}},
		},
		Dropped: []string{"gone", "never-existed"},
	}
	n, err := db.ApplyDelta(d, seq+5)
	require.NoError(t, err)
	assert.Equal(t, 4, n, "two upserts and one delete in users, one upsert in fresh")
	assert.Equal(t, seq+5, db.Sequence())
	r, _ := users.Get(1)
	assert.Equal(t, Record{"id": int64(1), "name": "A"}, r, "an upsert replaces the whole record")
	_, ok := users.Get(2)
	assert.False(t, ok)
	assert.Equal(t, []string{"fresh", "users"}, db.TableNames())
	id, _ := users.Insert(Record{"name": "next"})
	assert.Equal(t, int64(10), id)

	// Invalid deltas change nothing.
	before := db.Sequence()
	bad := []*Delta{
		{Tables: map[string]*TableDelta{"users": {Upserts: []Record{{"id": 1, "name": "ok"}, {"name": "no key"}}}}},
		{Tables: map[string]*TableDelta{"users": {Upserts: []Record{{"id": 1}, {"id": 1}}}}},
		{Tables: map[string]*TableDelta{"missing": {Upserts: []Record{{"id": 1}}}}},
		{Tables: map[string]*TableDelta{"fresh": {Upserts: []Record{{"k": 5}}}}},
		{Tables: map[string]*TableDelta{"users": {Deletes: []any{1.5}}}},
		{Tables: map[string]*TableDelta{"users": {}}, Dropped: []string{"users"}},
	}
	for i, b := range bad {
		_, err := db.ApplyDelta(b, 0)
		require.Error(t, err, "bad delta %d", i)
	}
	_, err = db.ApplyDelta(&Delta{}, before)
	require.Error(t, err, "a sequence number that does not advance")
	assert.Equal(t, before, db.Sequence())
	r, _ = users.Get(1)
	assert.Equal(t, "A", r["name"])
}

func TestDeltaCodecRoundTrip(t *testing.T) {
	d := &Delta{
		Tables: map[string]*TableDelta{
			"users": {Upserts: []Record{{"id": int64(1), "name": "A", "x": 2.0}}, Deletes: []any{int64(2), "s"}},
			"fresh": {Create: &TableSpec{PrimaryKey: "k", Schema: Schema{"k": String}}},
		},
		Dropped: []string{"gone"},
	}
	var buf bytes.Buffer
	require.NoError(t, EncodeDelta(&buf, FormatJSON, d, Meta{"timestamp": 12.5, "sequence": 3}))
	got, meta, err := DecodeDelta(&buf, FormatJSON)
	require.NoError(t, err)
	assert.Equal(t, "delta", meta["type"])
	assert.Equal(t, int64(3), meta["sequence"])
	assert.Equal(t, 12.5, meta["timestamp"])
	assert.Equal(t, []string{"gone"}, got.Dropped)
	assert.Equal(t, d.Tables["users"].Upserts, got.Tables["users"].Upserts)
	assert.Equal(t, d.Tables["users"].Deletes, got.Tables["users"].Deletes)
	assert.Equal(t, d.Tables["fresh"].Create, got.Tables["fresh"].Create)

	_, _, err = DecodeDelta(strings.NewReader(`{"tables": {}}`), FormatJSON)
	require.ErrorIs(t, err, ErrCorrupt, "a full backup is not a delta")
	_, _, err = DecodeDelta(strings.NewReader(`{"type": "delta", "tables": {"t": {"upserts": [1]}}}`), FormatJSON)
	require.ErrorIs(t, err, ErrCorrupt)
	require.Error(t, EncodeDelta(&buf, FormatJSON, d, Meta{"tables": 1}), "reserved meta field")
}

func TestSnapshotEncodeFailingWriter(t *testing.T) {
	db, users := newUsers(t)
	for i := 0; i < 5000; i++ {
		_, _ = users.Insert(Record{"payload": strings.Repeat("x", 100)})
	}
	boom := errors.New("disk full")
	err := db.Save(&failAfter{n: 100 << 10, err: boom}, FormatJSON)
	require.ErrorIs(t, err, boom)
}

type failAfter struct {
	n   int
	err error
}

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		return 0, f.err
	}
	f.n -= len(p)
	return len(p), nil
}

// assertSameDB compares every table, spec, record, value and type.
func assertSameDB(t *testing.T, want, got *DB) {
	t.Helper()
	require.Equal(t, want.TableNames(), got.TableNames())
	for _, name := range want.TableNames() {
		wt, _ := want.Table(name)
		gt, _ := got.Table(name)
		assert.Equal(t, wt.PrimaryKey(), gt.PrimaryKey(), name)
		assert.Equal(t, wt.Schema(), gt.Schema(), name)
		assert.Equal(t, wt.Select(nil), gt.Select(nil), name)
	}
}
