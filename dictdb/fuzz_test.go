package dictdb_test

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/dictdb"
)

// The fuzz targets of the codecs. Their seeds (f.Add below, plus the files
// under testdata/fuzz/<FuzzName>/) run as ordinary tests with `go test`;
// scripts/fuzz.sh fuzzes them for real.

// seed is a named fuzz input.
type seed struct {
	name string
	data []byte
}

// seedFullDB is a small database with every kind of value.
func seedFullDB(tb testing.TB) *dictdb.DB {
	tb.Helper()
	db := dictdb.New()
	users, err := db.CreateTable("users", dictdb.WithSchema(dictdb.Schema{
		"id": dictdb.Int, "name": dictdb.String, "score": dictdb.Float,
		"ok": dictdb.Bool, "tags": dictdb.List, "meta": dictdb.Dict,
	}))
	require.NoError(tb, err)
	_, err = users.Insert(dictdb.Record{"name": "Zoé \"q\" \n\u2028", "score": 3.0, "ok": true,
		"tags": []any{int64(1), 2.5, nil, "x"}, "meta": map[string]any{"big": int64(math.MaxInt64), "neg": int64(math.MinInt64), "f": 1e21}})
	require.NoError(tb, err)
	_, err = users.Insert(dictdb.Record{"id": 7, "name": "", "score": -0.1, "ok": false, "tags": []any{}, "meta": map[string]any{}})
	require.NoError(tb, err)
	events, err := db.CreateTable("events", dictdb.WithPrimaryKey("event_id"))
	require.NoError(tb, err)
	_, err = events.Insert(dictdb.Record{"type": "click", "x": 1.0, "nested": map[string]any{"a": []any{map[string]any{"b": nil}}}})
	require.NoError(tb, err)
	things, err := db.CreateTable("things", dictdb.WithPrimaryKey("sku"))
	require.NoError(tb, err)
	_, err = things.Insert(dictdb.Record{"sku": "a-1", "n": 1e21, "tiny": 5e-324})
	require.NoError(tb, err)
	_, err = db.CreateTable("empty")
	require.NoError(tb, err)
	return db
}

// seedHeader is a backup header like the ones backup.Manager writes.
func seedHeader(kind string) dictdb.Meta {
	m := dictdb.Meta{"format_version": int64(1), "codec": "json", "chain": "c0ffee", "timestamp": 1700000000.25}
	if kind == "delta" {
		m["base"] = "dictdb_backup_1700000000_000000.json"
		m["from_sequence"] = int64(5)
		m["sequence"] = int64(9)
	} else {
		m["type"] = "full"
	}
	return m
}

// seedDelta is a delta with every kind of change, valid for fuzzApplyDB.
func seedDelta() *dictdb.Delta {
	return &dictdb.Delta{
		Tables: map[string]*dictdb.TableDelta{
			"users":  {Upserts: []dictdb.Record{{"id": int64(1), "name": "A"}, {"id": int64(9), "name": "new"}}, Deletes: []any{int64(2), int64(77)}},
			"events": {Upserts: []dictdb.Record{{"event_id": "e1", "x": []any{1.5, "y"}}}, Deletes: []any{"nope"}},
			"fresh":  {Create: &dictdb.TableSpec{PrimaryKey: "k", Schema: dictdb.Schema{"k": dictdb.String, "v": dictdb.Float}}, Upserts: []dictdb.Record{{"k": "x", "v": 0.5}}},
		},
		Dropped: []string{"gone"},
	}
}

// fullSeeds are whole-database documents, valid and not.
func fullSeeds(tb testing.TB) []seed {
	tb.Helper()
	db := seedFullDB(tb)
	var plain, withHeader bytes.Buffer
	require.NoError(tb, db.Save(&plain, dictdb.FormatJSON))
	require.NoError(tb, db.Snapshot().Encode(&withHeader, dictdb.FormatJSON, seedHeader("full")))
	p := plain.Bytes()
	return []seed{
		{"encoder-full", p},
		{"encoder-full-header", withHeader.Bytes()},
		{"encoder-empty-db", []byte(`{"sequence": 0, "tables": {}}` + "\n")},
		{"python-full", []byte(`{"tables": {"users": {"primary_key": "id", "schema": null, "records": [{"id": 1, "name": "A"}]}}}`)},
		{"python-full-schema", []byte(`{"tables": {"users": {"records": [{"id": 1, "name": "Alic\u00e9", "score": 9.5, "tags": ["a"]}, {"id": 2, "name": "Bob", "score": 7.0, "tags": []}], "primary_key": "id", "schema": {"id": "int", "name": "str", "score": "float", "tags": "list"}}, "events": {"primary_key": "event_id", "schema": null, "records": [{"event_id": 10, "type": "click"}]}}}`)},
		{"late-spec", []byte(`{"tables": {"t": {"records": [{"k": "a", "n": 1}], "schema": {"k": "str", "n": "int"}, "primary_key": "k"}}}`)},
		{"truncated-half", p[:len(p)/2]},
		{"truncated-end", p[:len(p)-3]},
		{"nan", []byte(`{"tables": {"t": {"records": [{"id": 1, "x": NaN}]}}}`)},
		{"infinity", []byte(`{"tables": {"t": {"records": [{"id": 1, "x": -Infinity}]}}}`)},
		{"huge-int", []byte(`{"tables": {"t": {"records": [{"id": 1, "x": ` + strings.Repeat("9", 400) + `}]}}}`)},
		{"huge-exponent", []byte(`{"tables": {"t": {"records": [{"id": 1, "x": 1e999999}]}}}`)},
		{"deep-ok", []byte(`{"tables": {"t": {"records": [{"id": 1, "x": ` + strings.Repeat("[", 500) + strings.Repeat("]", 500) + `}]}}}`)},
		{"deep-too-deep", []byte(`{"tables": {"t": {"records": [{"id": 1, "x": ` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}]}}}`)},
		{"duplicate-key", []byte(`{"tables": {"t": {"records": [{"id": 1}, {"id": 1}]}}}`)},
		{"sequence-wrong", []byte(`{"sequence": "7", "tables": {}}`)},
		{"records-not-list", []byte(`{"tables": {"t": {"primary_key": "id", "records": {"id": 1}}}}`)},
		{"pk-number", []byte(`{"tables": {"t": {"primary_key": 1, "records": []}}}`)},
		{"schema-type-number", []byte(`{"tables": {"t": {"schema": {"id": 1}, "records": []}}}`)},
		{"invalid-utf8", []byte("{\"tables\": {\"t\xff\": {\"records\": [{\"id\": \"\xfe\"}]}}}")},
	}
}

// deltaSeeds are delta documents, valid and not.
func deltaSeeds(tb testing.TB) []seed {
	tb.Helper()
	var plain, withHeader bytes.Buffer
	require.NoError(tb, dictdb.EncodeDelta(&plain, dictdb.FormatJSON, seedDelta(), dictdb.Meta{"timestamp": 1.5}))
	require.NoError(tb, dictdb.EncodeDelta(&withHeader, dictdb.FormatJSON, seedDelta(), seedHeader("delta")))
	p := plain.Bytes()
	return []seed{
		{"encoder-delta", p},
		{"encoder-delta-header", withHeader.Bytes()},
		{"python-delta", []byte(`{"type": "delta", "timestamp": 1.5, "tables": {"users": {"upserts": [{"id": 1}], "deletes": [2]}}}`)},
		{"python-delta-schema", []byte(`{"type": "delta", "timestamp": 2, "tables": {"users": {"upserts": [{"id": 3, "name": "C"}], "deletes": []}, "events": {"upserts": [{"event_id": 4, "type": "view"}], "deletes": [10, "s"]}}}`)},
		{"delta-create-drop", []byte(`{"type": "delta", "dropped_tables": ["events"], "tables": {"users": {"create": {"primary_key": "id", "schema": null}, "upserts": [{"id": "s"}]}}}`)},
		{"delta-drop-and-change", []byte(`{"type": "delta", "dropped_tables": ["users"], "tables": {"users": {"upserts": [{"id": 1, "name": "A"}]}}}`)},
		{"delta-schema-violation", []byte(`{"type": "delta", "tables": {"users": {"upserts": [{"id": 1, "name": 5}]}}}`)},
		{"delta-duplicate-upsert", []byte(`{"type": "delta", "tables": {"users": {"upserts": [{"id": 1, "name": "a"}, {"id": 1, "name": "b"}]}}}`)},
		{"delta-missing-table", []byte(`{"type": "delta", "tables": {"nope": {"upserts": [{"id": 1}]}}}`)},
		{"delta-bad-create", []byte(`{"type": "delta", "tables": {"t": {"create": {"primary_key": "id", "schema": {"id": "float"}}}}}`)},
		{"delta-bad-delete", []byte(`{"type": "delta", "tables": {"users": {"deletes": [1.5, {"a": 1}]}}}`)},
		{"delta-truncated", p[:len(p)/2]},
		{"delta-nan", []byte(`{"type": "delta", "tables": {"users": {"upserts": [{"id": 1, "name": NaN}]}}}`)},
		{"delta-deep", []byte(`{"type": "delta", "tables": {"events": {"upserts": [{"event_id": 1, "x": ` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}]}}}`)},
		{"not-a-delta", []byte(`{"tables": {}}`)},
		{"empty", nil},
	}
}

// allSeeds returns every seed: each target gets the others' seeds too, as
// near misses.
func allSeeds(tb testing.TB) []seed {
	return append(fullSeeds(tb), deltaSeeds(tb)...)
}

func addSeeds(f *testing.F) {
	for _, s := range allSeeds(f) {
		f.Add(s.data)
	}
}

// tableState is what a table holds, through the public API.
type tableState struct {
	PrimaryKey string
	Schema     dictdb.Schema
	Records    []dictdb.Record
}

// dbState returns every table of db.
func dbState(tb testing.TB, db *dictdb.DB) map[string]tableState {
	tb.Helper()
	out := map[string]tableState{}
	for _, name := range db.TableNames() {
		t, err := db.Table(name)
		require.NoError(tb, err)
		out[name] = tableState{PrimaryKey: t.PrimaryKey(), Schema: t.Schema(), Records: t.Select(nil)}
	}
	return out
}

// requireEqualDB compares table names, each table's primary key, schema and
// records (values and types), and the sequence numbers.
func requireEqualDB(tb testing.TB, want, got *dictdb.DB) {
	tb.Helper()
	require.Equal(tb, want.TableNames(), got.TableNames())
	for _, name := range want.TableNames() {
		wt, err := want.Table(name)
		require.NoError(tb, err)
		gt, err := got.Table(name)
		require.NoError(tb, err)
		require.Equal(tb, wt.PrimaryKey(), gt.PrimaryKey(), name)
		require.Equal(tb, wt.Schema(), gt.Schema(), name)
		require.Equal(tb, wt.Select(nil), gt.Select(nil), name)
	}
	require.Equal(tb, want.Sequence(), got.Sequence())
}

// FuzzLoad: loading never panics, and whatever loads saves and loads back to
// the same database.
func FuzzLoad(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		db, meta, err := dictdb.LoadMeta(bytes.NewReader(data), dictdb.FormatJSON)
		if err != nil {
			require.ErrorIs(t, err, dictdb.ErrCorrupt)
			require.Nil(t, db)
			return
		}
		require.NotNil(t, meta)
		var buf bytes.Buffer
		require.NoError(t, db.Save(&buf, dictdb.FormatJSON), "a loaded database must save")
		db2, err := dictdb.Load(bytes.NewReader(buf.Bytes()), dictdb.FormatJSON)
		require.NoError(t, err, "what Save wrote must load: %q", buf.Bytes())
		requireEqualDB(t, db, db2)
	})
}

// FuzzDecodeDelta: decoding never panics, and whatever decodes encodes and
// decodes back to the same delta and top-level fields.
func FuzzDecodeDelta(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		d, meta, err := dictdb.DecodeDelta(bytes.NewReader(data), dictdb.FormatJSON)
		if err != nil {
			require.ErrorIs(t, err, dictdb.ErrCorrupt)
			return
		}
		require.Equal(t, "delta", meta["type"])
		rest := dictdb.Meta{}
		for k, v := range meta {
			if k != "type" { // written by EncodeDelta itself
				rest[k] = v
			}
		}
		var buf bytes.Buffer
		require.NoError(t, dictdb.EncodeDelta(&buf, dictdb.FormatJSON, d, rest), "a decoded delta must encode")
		d2, meta2, err := dictdb.DecodeDelta(bytes.NewReader(buf.Bytes()), dictdb.FormatJSON)
		require.NoError(t, err, "what EncodeDelta wrote must decode: %q", buf.Bytes())
		require.Equal(t, d, d2)
		require.Equal(t, meta, meta2)
	})
}

// fuzzApplyDB is the database FuzzApplyDelta applies deltas to: a table
// with a schema and an int key, a schema-less table with another key field,
// and a table to drop.
func fuzzApplyDB(tb testing.TB) *dictdb.DB {
	tb.Helper()
	db := dictdb.New()
	users, err := db.CreateTable("users", dictdb.WithSchema(dictdb.Schema{"id": dictdb.Int, "name": dictdb.String}))
	require.NoError(tb, err)
	for _, n := range []string{"a", "b", "c"} {
		_, err = users.Insert(dictdb.Record{"name": n})
		require.NoError(tb, err)
	}
	events, err := db.CreateTable("events", dictdb.WithPrimaryKey("event_id"))
	require.NoError(tb, err)
	_, err = events.Insert(dictdb.Record{"type": "click", "x": 1.5, "tags": []any{"a", nil}})
	require.NoError(tb, err)
	_, err = events.Insert(dictdb.Record{"event_id": "s", "type": "view"})
	require.NoError(tb, err)
	_, err = db.CreateTable("gone")
	require.NoError(tb, err)
	return db
}

// FuzzApplyDelta: applying a decoded delta never panics; it either fails and
// changes nothing, or succeeds as one commit and leaves a database that saves
// and loads back.
func FuzzApplyDelta(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		d, _, err := dictdb.DecodeDelta(bytes.NewReader(data), dictdb.FormatJSON)
		if err != nil {
			return
		}
		db := fuzzApplyDB(t)
		seq := db.Sequence()
		before := dbState(t, db)
		n, err := db.ApplyDelta(d, 0)
		if err != nil {
			require.Equal(t, seq, db.Sequence(), "a failed ApplyDelta must not commit")
			require.Equal(t, before, dbState(t, db), "a failed ApplyDelta must change nothing")
			return
		}
		require.Equal(t, seq+1, db.Sequence(), "ApplyDelta commits once")
		most := 0
		for _, td := range d.Tables {
			most += len(td.Upserts) + len(td.Deletes)
		}
		require.GreaterOrEqual(t, n, 0)
		require.LessOrEqual(t, n, most)

		var buf bytes.Buffer
		require.NoError(t, db.Save(&buf, dictdb.FormatJSON), "the database after ApplyDelta must save")
		back, err := dictdb.Load(bytes.NewReader(buf.Bytes()), dictdb.FormatJSON)
		require.NoError(t, err, "the database after ApplyDelta must load back: %q", buf.Bytes())
		requireEqualDB(t, db, back)
	})
}

// TestFuzzSeedCorpusFiles checks that the corpus files parse as the fuzzing
// engine expects, so they are really run as seeds.
func TestFuzzSeedCorpusFiles(t *testing.T) {
	for _, target := range []string{"FuzzLoad", "FuzzDecodeDelta", "FuzzApplyDelta"} {
		entries, err := os.ReadDir(filepath.Join("testdata", "fuzz", target))
		require.NoError(t, err, target)
		require.NotEmpty(t, entries, target)
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join("testdata", "fuzz", target, e.Name()))
			require.NoError(t, err)
			text := string(b)
			require.True(t, strings.HasPrefix(text, "go test fuzz v1\n[]byte("), "%s/%s", target, e.Name())
			lit := strings.TrimSuffix(strings.TrimPrefix(text, "go test fuzz v1\n[]byte("), ")\n")
			_, err = strconv.Unquote(lit)
			require.NoError(t, err, fmt.Sprintf("%s/%s", target, e.Name()))
		}
	}
}
