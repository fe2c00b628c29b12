package restore_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/backup"
	"github.com/dictdb/dictdb-go/catalog"
	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/internal/object"
	"github.com/dictdb/dictdb-go/restore"
	"github.com/dictdb/dictdb-go/sink"
	"github.com/dictdb/dictdb-go/sink/local"
	"github.com/dictdb/dictdb-go/sink/mem"
	"github.com/dictdb/dictdb-go/sink/sinktest"
)

// badEnv is what every row of the bad-input matrix may touch: a mem sink
// holding a valid backup chain, the live database it backs up, and a local
// sink whose root lies in a parent directory that also holds a file outside
// the root.
type badEnv struct {
	mem       *mem.Sink
	db        *dictdb.DB
	parent    string // holds root and secret.txt
	root      string
	local     *local.Sink
	badKey    string // the key of the planted bad object, if any
	badMicros int64  // and its time
}

func newBadEnv(t *testing.T) *badEnv {
	t.Helper()
	ctx := context.Background()
	e := &badEnv{mem: mem.New(), db: dictdb.New()}
	users, err := e.db.CreateTable("users", dictdb.WithSchema(dictdb.Schema{"id": dictdb.Int, "name": dictdb.String, "age": dictdb.Int}))
	require.NoError(t, err)
	events, err := e.db.CreateTable("events", dictdb.WithPrimaryKey("event_id"))
	require.NoError(t, err)
	m, err := backup.NewManager(e.db, e.mem, backup.Options{Interval: -1, Incremental: true})
	require.NoError(t, err)
	_, err = users.Insert(dictdb.Record{"name": "Alice", "age": 30})
	require.NoError(t, err)
	require.NoError(t, m.BackupNow(ctx))
	_, err = users.Insert(dictdb.Record{"name": "Bob", "age": 25})
	require.NoError(t, err)
	_, err = events.Insert(dictdb.Record{"type": "click", "x": 1.5, "tags": []any{"a", nil}})
	require.NoError(t, err)
	require.NoError(t, m.BackupNow(ctx))
	_, err = users.Update(func(r dictdb.Record) bool { return r["name"] == "Alice" }, dictdb.Record{"age": 31})
	require.NoError(t, err)
	require.NoError(t, m.BackupNow(ctx))
	m.Stop()

	restored, err := restore.Latest(ctx, e.mem)
	require.NoError(t, err, "the chain restores before anything bad is added")
	require.Equal(t, e.db.Sequence(), restored.Sequence())

	e.parent = t.TempDir()
	e.root = filepath.Join(e.parent, "root")
	e.local, err = local.New(e.root)
	require.NoError(t, err)
	require.NoError(t, e.local.Put(ctx, "keep/a.json", strings.NewReader(`{"keep": true}`)))
	require.NoError(t, os.WriteFile(filepath.Join(e.parent, "secret.txt"), []byte("outside the root"), 0o600))
	return e
}

// newestKey returns the key of the newest object of kind in the mem sink.
func (e *badEnv) newestKey(t *testing.T, kind catalog.Kind) (string, int64) {
	t.Helper()
	objs, err := sinktest.ListBut(context.Background(), e.mem, backup.LeaseKey)
	require.NoError(t, err)
	key, newest := "", int64(-1)
	for _, o := range objs {
		n, ok := catalog.Parse(o.Key)
		require.True(t, ok, o.Key)
		if n.Kind == kind && n.Micros > newest {
			key, newest = n.Key, n.Micros
		}
	}
	require.NotEmpty(t, key, "no %s object", kind)
	return key, newest
}

// newestContent returns the content of the newest object of kind.
func (e *badEnv) newestContent(t *testing.T, kind catalog.Kind) []byte {
	t.Helper()
	key, _ := e.newestKey(t, kind)
	return sinkObjects(t, e.mem)[key]
}

// chooseBadKey picks the key of a full backup newer than every object.
func (e *badEnv) chooseBadKey(t *testing.T) {
	t.Helper()
	objs, err := sinktest.ListBut(context.Background(), e.mem, backup.LeaseKey)
	require.NoError(t, err)
	newest := int64(0)
	for _, o := range objs {
		n, ok := catalog.Parse(o.Key)
		require.True(t, ok, o.Key)
		newest = max(newest, n.Micros)
	}
	e.badMicros = newest + 1_000_000
	e.badKey = catalog.Key(catalog.Full, e.badMicros, catalog.Encoding{Format: dictdb.FormatJSON})
}

// sinkObjects returns every object of s with its content.
func sinkObjects(t *testing.T, s sink.Sink) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	objs, err := sinktest.ListBut(ctx, s, backup.LeaseKey)
	require.NoError(t, err)
	out := make(map[string][]byte, len(objs))
	for _, o := range objs {
		rc, err := s.Get(ctx, o.Key)
		require.NoError(t, err)
		b, err := io.ReadAll(rc)
		require.NoError(t, rc.Close())
		require.NoError(t, err)
		out[o.Key] = b
	}
	return out
}

// fileTree returns every file and directory under dir, with file contents.
func fileTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			out[rel] = "<dir>"
			return nil
		}
		b, err := os.ReadFile(path)
		out[rel] = string(b)
		return err
	}))
	return out
}

// badDBState is the sequence number and every table of a database.
type badDBState struct {
	Seq    uint64
	Tables map[string]badTableState
}

type badTableState struct {
	PrimaryKey string
	Schema     dictdb.Schema
	Records    []dictdb.Record
}

func dbContents(t *testing.T, db *dictdb.DB) badDBState {
	t.Helper()
	st := badDBState{Seq: db.Sequence(), Tables: map[string]badTableState{}}
	for _, name := range db.TableNames() {
		tb, err := db.Table(name)
		require.NoError(t, err)
		st.Tables[name] = badTableState{PrimaryKey: tb.PrimaryKey(), Schema: tb.Schema(), Records: tb.Select(nil)}
	}
	return st
}

// badRow is one bad input: setup (optional) prepares it before the state is
// recorded, run feeds it in and returns the error.
type badRow struct {
	name     string
	setup    func(t *testing.T, e *badEnv)
	run      func(t *testing.T, e *badEnv) error
	is       []error  // the error matches each
	isAny    []error  // the error matches at least one
	contains []string // the message contains each
	namesKey bool     // the message names e.badKey
	absent   []string // paths relative to the parent dir that must not exist
}

type docFn func(t *testing.T, e *badEnv) []byte

// sealed is lit with the checksum trailer a backup writer adds.
func sealed(s string) docFn {
	var buf bytes.Buffer
	cw := object.NewChecksumWriter(&buf)
	if _, err := cw.Write([]byte(s + "\n")); err != nil {
		panic(err)
	}
	if err := cw.Close(); err != nil {
		panic(err)
	}
	return lit(buf.String())
}

func lit(s string) docFn {
	return func(*testing.T, *badEnv) []byte { return []byte(s) }
}

// usersFull is a Python-style full backup of a users table holding recs.
func usersFull(recs string) docFn {
	return lit(`{"tables": {"users": {"primary_key": "id", "schema": null, "records": [` + recs + `]}}}`)
}

// usersDelta is a Python-style delta upserting recs into users.
func usersDelta(recs string) docFn {
	return lit(`{"type": "delta", "timestamp": 1.5, "tables": {"users": {"upserts": [` + recs + `], "deletes": []}}}`)
}

// truncatedNewest is the newest stored object of kind, cut at two thirds.
func truncatedNewest(kind catalog.Kind) docFn {
	return func(t *testing.T, e *badEnv) []byte {
		b := e.newestContent(t, kind)
		return b[:len(b)*2/3]
	}
}

// fullHeaderDoc is a full backup with a chain header whose timestamp and
// codec agree with the planted key, except for what version, codec and rest
// say.
func fullHeaderDoc(version, codec, rest string) docFn {
	return func(_ *testing.T, e *badEnv) []byte {
		ts := strconv.FormatFloat(catalog.Seconds(e.badMicros), 'f', -1, 64)
		return []byte(`{"type": "full", "format_version": ` + version + `, "chain": "c0ffee", "codec": ` + codec +
			`, "timestamp": ` + ts + `, ` + rest + `, "tables": {}}`)
	}
}

// truncatedFull is a real full backup of the live database for the planted
// key (header and checksum as backup.Manager writes them), cut at two
// thirds, inside the records.
func truncatedFull(t *testing.T, e *badEnv) []byte {
	h := catalog.Header{Kind: catalog.Full, Version: catalog.FormatVersion, Codec: dictdb.FormatJSON,
		Chain: catalog.NewID(), Seq: e.db.Sequence(), Timestamp: catalog.Seconds(e.badMicros)}
	var buf bytes.Buffer
	cw := object.NewChecksumWriter(&buf)
	require.NoError(t, e.db.Snapshot().Encode(cw, dictdb.FormatJSON, h.Meta()))
	require.NoError(t, cw.Close())
	b := buf.Bytes()
	cut := len(b) * 2 / 3
	require.Greater(t, cut, bytes.Index(b, []byte(`"tables"`)), "the cut is after the header")
	return b[:cut]
}

// fullRow: doc stored as the newest full backup makes restore.Latest fail,
// naming the object.
func fullRow(class string, doc docFn, is []error, contains ...string) badRow {
	return badRow{
		name: "full/" + class,
		setup: func(t *testing.T, e *badEnv) {
			e.chooseBadKey(t)
			require.NoError(t, e.mem.Put(context.Background(), e.badKey, bytes.NewReader(doc(t, e))))
		},
		run: func(t *testing.T, e *badEnv) error {
			db, err := restore.Latest(context.Background(), e.mem)
			assert.Nil(t, db, "never a partial database")
			return err
		},
		is:       append([]error{restore.ErrCorrupt}, is...),
		contains: contains,
		namesKey: true,
	}
}

// deltaRow: doc applied to the live database with restore.ApplyDelta fails.
func deltaRow(class string, doc docFn, is []error, contains ...string) badRow {
	var content []byte
	return badRow{
		name:  "delta/" + class,
		setup: func(t *testing.T, e *badEnv) { content = doc(t, e) },
		run: func(t *testing.T, e *badEnv) error {
			n, err := restore.ApplyDelta(e.db, bytes.NewReader(content))
			assert.Zero(t, n)
			return err
		},
		is:       is,
		contains: contains,
	}
}

// valueRow: a write of a record holding a value outside the JSON data model
// fails, naming the field.
func valueRow(class string, write func(e *badEnv) error, field string, contains ...string) badRow {
	return badRow{
		name:     "value/" + class,
		run:      func(_ *testing.T, e *badEnv) error { return write(e) },
		is:       []error{dictdb.ErrInvalidValue},
		contains: append([]string{`field "` + field + `"`}, contains...),
	}
}

func table(e *badEnv, name string) *dictdb.Table {
	t, err := e.db.Table(name)
	if err != nil {
		panic(err)
	}
	return t
}

func insertEvent(r dictdb.Record) func(e *badEnv) error {
	return func(e *badEnv) error {
		_, err := table(e, "events").Insert(r)
		return err
	}
}

// keyRow: an operation on the local sink with a key that escapes its root
// (or is otherwise not a clean key) fails with sink.ErrInvalidKey and
// touches no file.
func keyRow(op, key string, absent ...string) badRow {
	return badRow{
		name: "key/" + op + " " + strings.ReplaceAll(key, "/", "∕"),
		run: func(_ *testing.T, e *badEnv) error {
			ctx := context.Background()
			switch op {
			case "put":
				return e.local.Put(ctx, key, strings.NewReader("escaped"))
			case "get":
				rc, err := e.local.Get(ctx, key)
				if err == nil {
					rc.Close()
				}
				return err
			case "delete":
				return e.local.Delete(ctx, key)
			case "mem put":
				return e.mem.Put(ctx, key, strings.NewReader("escaped"))
			}
			panic(op)
		},
		is:     []error{sink.ErrInvalidKey},
		absent: absent,
	}
}

// openRow: sink.Open with a bad URL fails and creates nothing.
func openRow(class string, url func(e *badEnv) string, contains ...string) badRow {
	return badRow{
		name: "url/" + class,
		run: func(t *testing.T, e *badEnv) error {
			s, err := sink.Open(context.Background(), url(e))
			if s != nil {
				s.Close()
			}
			assert.Nil(t, s)
			return err
		},
		contains: contains,
	}
}

// optionsRow: backup.NewManager with bad options fails and writes nothing.
func optionsRow(class string, opts backup.Options, is []error, contains ...string) badRow {
	return badRow{
		name: "options/" + class,
		run: func(t *testing.T, e *badEnv) error {
			m, err := backup.NewManager(e.db, e.mem, opts)
			if m != nil {
				m.Stop()
			}
			assert.Nil(t, m)
			return err
		},
		is:       is,
		contains: contains,
	}
}

func errs(e ...error) []error { return e }

// withAny makes row also require that its error match one of targets.
func withAny(row badRow, targets ...error) badRow {
	row.isAny = targets
	return row
}

// TestBadInputMatrix feeds every class of bad input through the public
// entry points. Each must fail with a clear error and change nothing: not
// the database (sequence number and contents), not the sinks, and no file
// in or next to the local sink's directory.
func TestBadInputMatrix(t *testing.T) {
	huge := strings.Repeat("9", 400)
	deep := strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
	corrupt := errs(dictdb.ErrCorrupt)
	header := func(version, codec, seqs string) string {
		return `"type": "delta", "format_version": ` + version + `, "chain": "c0ffee", "codec": ` + codec + `, "timestamp": 1.5, "base": "dictdb_backup_1_000000.json", ` + seqs
	}

	rows := []badRow{
		// Full backups: the newest full backup is bad; restore.Latest names it.
		fullRow("malformed JSON", usersFull(`{"id": 1,}`), corrupt, "invalid character"),
		fullRow("binary garbage", lit("\x00\x01\x02garbage"), nil, "x00"),
		withAny(fullRow("empty", lit(""), nil), io.ErrUnexpectedEOF, catalog.ErrTruncated),
		fullRow("trailing data", lit(`{"tables": {}} {}`), corrupt),
		fullRow("tables not an object", lit(`{"tables": [1]}`), corrupt, "tables"),
		fullRow("records not a list", lit(`{"tables": {"users": {"primary_key": "id", "schema": null, "records": {"id": 1}}}}`), corrupt, `"users" records`),
		fullRow("record not an object", usersFull(`[1]`), corrupt, "record 0: not an object"),
		fullRow("schema type not a string", lit(`{"tables": {"users": {"primary_key": "id", "schema": {"id": "int", "name": 5}, "records": []}}}`), corrupt, `field "name": type must be a string`),
		fullRow("schema not an object", lit(`{"tables": {"users": {"primary_key": "id", "schema": "int", "records": []}}}`), corrupt, "schema must be an object or null"),
		fullRow("unknown schema type", lit(`{"tables": {"users": {"primary_key": "id", "schema": {"id": "int", "name": "text"}, "records": []}}}`), corrupt, `unknown type "text"`),
		fullRow("primary_key a number", lit(`{"tables": {"users": {"primary_key": 1, "schema": null, "records": []}}}`), corrupt, "primary_key must be a string"),
		fullRow("sequence not an integer", lit(`{"sequence": "7", "tables": {}}`), corrupt, `"sequence" must be a non-negative integer`),
		fullRow("negative sequence", lit(`{"sequence": -1, "tables": {}}`), corrupt, `"sequence" must be a non-negative integer`),
		fullRow("unknown format version", fullHeaderDoc("99", `"json"`, `"sequence": 100`), nil, "unsupported format_version 99"),
		fullRow("format version not a number", fullHeaderDoc(`"1"`, `"json"`, `"sequence": 100`), nil, "format_version is missing"),
		fullRow("unknown codec", fullHeaderDoc("1", `"xml"`, `"sequence": 100`), errs(dictdb.ErrUnknownFormat), `"xml"`),
		fullRow("type says delta", lit(`{"type": "delta", "tables": {}}`), nil, "delta"),
		fullRow("huge integer", usersFull(`{"id": 1, "n": `+huge+`}`), corrupt, "integer 9999", "out of range"),
		fullRow("huge integer key", usersFull(`{"id": `+huge+`}`), corrupt, "out of range"),
		fullRow("huge exponent", usersFull(`{"id": 1, "n": 1e999999}`), corrupt, "number 1e999999 out of range"),
		fullRow("deep nesting", usersFull(`{"id": 1, "n": `+deep+`}`), corrupt, "exceeded max depth"),
		fullRow("NaN", usersFull(`{"id": 1, "n": NaN}`), corrupt, "NaN and Infinity are not valid JSON"),
		fullRow("Infinity", usersFull(`{"id": 1, "n": -Infinity}`), corrupt, "NaN and Infinity are not valid JSON"),
		fullRow("duplicate primary keys", usersFull(`{"id": 1, "name": "a"}, {"id": 1, "name": "b"}`), corrupt, `table "users" record 1: duplicate primary key 1`),
		fullRow("duplicate table", lit(`{"tables": {"t": {"records": []}, "t": {"records": []}}}`), corrupt, `table "t" appears twice`),
		fullRow("schema violation", lit(`{"tables": {"users": {"primary_key": "id", "schema": {"id": "int", "name": "str"}, "records": [{"id": 1, "name": 5}]}}}`), corrupt, `field "name": want str, got int`),
		fullRow("missing primary key", usersFull(`{"name": "a"}`), corrupt, "primary key is missing"),
		fullRow("float primary key", usersFull(`{"id": 1.5}`), corrupt, "primary key must be an int or a str, got float"),
		fullRow("truncated", truncatedFull, corrupt, "unexpected end of input"),

		// Deltas applied to the live database with restore.ApplyDelta.
		deltaRow("malformed JSON", usersDelta(`{"id": 1, "name": "x", "age": 1,}`), corrupt, "invalid character"),
		deltaRow("binary garbage", lit("\x00\x01\x02garbage"), errs(dictdb.ErrUnknownFormat), "0x00"),
		deltaRow("empty", lit(" \n"), corrupt, "empty input"),
		deltaRow("trailing data", lit(`{"type": "delta", "tables": {}} x`), corrupt),
		deltaRow("tables not an object", lit(`{"type": "delta", "tables": [1]}`), corrupt, "tables"),
		deltaRow("upserts not a list", lit(`{"type": "delta", "tables": {"users": {"upserts": {"id": 1, "name": "x", "age": 1}}}}`), corrupt, `"users" upserts`),
		deltaRow("upsert not an object", usersDelta(`"x"`), corrupt, "upsert 0: not an object"),
		deltaRow("dropped_tables not strings", lit(`{"type": "delta", "dropped_tables": [1], "tables": {}}`), corrupt, "dropped_tables"),
		deltaRow("schema type not a string", lit(`{"type": "delta", "tables": {"users": {"create": {"primary_key": "id", "schema": {"id": "int", "name": 5}}, "upserts": []}}}`), corrupt, `field "name": type must be a string`),
		deltaRow("unknown schema type", lit(`{"type": "delta", "tables": {"users": {"create": {"primary_key": "id", "schema": {"id": "int", "name": "text"}}}}}`), errs(dictdb.ErrSchema), `unknown type "text"`),
		deltaRow("primary_key a number", lit(`{"type": "delta", "tables": {"users": {"create": {"primary_key": 1, "schema": null}}}}`), corrupt, "primary_key must be a string"),
		deltaRow("sequence not an integer", lit(`{`+header("1", `"json"`, `"from_sequence": 0, "sequence": "7"`)+`, "tables": {}}`), corrupt, "sequence is missing or negative"),
		deltaRow("range reversed", lit(`{`+header("1", `"json"`, `"from_sequence": 9, "sequence": 3`)+`, "tables": {}}`), corrupt, "from_sequence"),
		deltaRow("unknown format version", lit(`{`+header("99", `"json"`, `"from_sequence": 0, "sequence": 100`)+`, "tables": {}}`), corrupt, "unsupported format_version 99"),
		deltaRow("unknown codec", lit(`{`+header("1", `"xml"`, `"from_sequence": 0, "sequence": 100`)+`, "tables": {}}`), corrupt, `"xml"`),
		deltaRow("gap in the chain", sealed(`{`+header("1", `"json"`, `"from_sequence": 1000, "sequence": 2000`)+`, "tables": {"users": {"upserts": [{"id": 1, "name": "x", "age": 1}]}}}`), errs(restore.ErrCorrupt), "are missing before this delta"),
		deltaRow("overlapping the state", sealed(`{`+header("1", `"json"`, `"from_sequence": 1, "sequence": 2000`)+`, "tables": {"users": {"upserts": [{"id": 1, "name": "x", "age": 1}]}}}`), errs(restore.ErrCorrupt), "overlaps"),
		deltaRow("type says full", lit(`{"type": "full", "tables": {}}`), corrupt, "not a delta"),
		deltaRow("no type", lit(`{"tables": {}}`), corrupt, "not a delta"),
		deltaRow("huge integer", usersDelta(`{"id": 1, "name": "x", "age": `+huge+`}`), corrupt, "out of range"),
		deltaRow("huge integer delete", lit(`{"type": "delta", "tables": {"users": {"deletes": [`+huge+`]}}}`), corrupt, "out of range"),
		deltaRow("huge exponent", usersDelta(`{"id": 1, "name": "x", "age": 1e999999}`), corrupt, "number 1e999999 out of range"),
		deltaRow("deep nesting", lit(`{"type": "delta", "tables": {"events": {"upserts": [{"event_id": 1, "n": `+deep+`}]}}}`), corrupt, "exceeded max depth"),
		deltaRow("NaN", usersDelta(`{"id": 1, "name": "x", "age": NaN}`), corrupt, "NaN and Infinity are not valid JSON"),
		deltaRow("Infinity", usersDelta(`{"id": 1, "name": "x", "age": Infinity}`), corrupt, "NaN and Infinity are not valid JSON"),
		deltaRow("duplicate primary keys", usersDelta(`{"id": 1, "name": "a", "age": 1}, {"id": 1, "name": "b", "age": 2}`), errs(dictdb.ErrDuplicateKey), `table "users" upserts key 1 twice`),
		deltaRow("duplicate table", lit(`{"type": "delta", "tables": {"users": {"upserts": []}, "users": {"upserts": []}}}`), corrupt, `"users" appears twice`),
		deltaRow("schema violation", usersDelta(`{"id": 1, "name": 5, "age": 1}`), errs(dictdb.ErrSchema), `field "name": want str, got int`),
		deltaRow("unknown field", usersDelta(`{"id": 1, "name": "x", "age": 1, "extra": true}`), errs(dictdb.ErrSchema), `field "extra"`),
		deltaRow("missing primary key", usersDelta(`{"name": "a", "age": 1}`), errs(dictdb.ErrSchema), "primary key is missing"),
		deltaRow("bad delete key", lit(`{"type": "delta", "tables": {"users": {"deletes": [1.5]}}}`), errs(dictdb.ErrSchema), "primary key must be an int or a str"),
		deltaRow("missing table", lit(`{"type": "delta", "tables": {"nope": {"upserts": [{"id": 1}]}}}`), errs(dictdb.ErrTableNotFound), `"nope"`),
		deltaRow("drops and changes a table", lit(`{"type": "delta", "dropped_tables": ["users"], "tables": {"users": {"upserts": [{"id": 1, "name": "x", "age": 1}]}}}`), nil, `both drops and changes table "users"`),
		deltaRow("one bad upsert among good ones", usersDelta(`{"id": 1, "name": "ok", "age": 1}, {"id": 50, "name": "ok", "age": 2}, {"id": 51, "name": "bad", "age": "x"}`), errs(dictdb.ErrSchema), `field "age"`),
		deltaRow("truncated", truncatedNewest(catalog.Delta), corrupt, "unexpected end of input"),

		// Records with values outside the JSON data model.
		valueRow("NaN", insertEvent(dictdb.Record{"event_id": 100, "x": math.NaN()}), "x", "NaN"),
		valueRow("nested infinity", insertEvent(dictdb.Record{"event_id": 100, "m": map[string]any{"deep": []any{1, math.Inf(1)}}}), "m.deep[1]", "+Inf"),
		valueRow("channel", insertEvent(dictdb.Record{"event_id": 100, "ch": make(chan int)}), "ch", "chan int"),
		valueRow("func", insertEvent(dictdb.Record{"event_id": 100, "fn": func() {}}), "fn", "func()"),
		valueRow("struct", insertEvent(dictdb.Record{"event_id": 100, "s": struct{ A int }{1}}), "s", "struct"),
		valueRow("uint64 overflow", insertEvent(dictdb.Record{"event_id": 100, "u": uint64(math.MaxUint64)}), "u", "overflows int64"),
		valueRow("non-string map keys", insertEvent(dictdb.Record{"event_id": 100, "m": map[int]string{1: "a"}}), "m", "map key type int"),
		valueRow("NaN in a schema table", func(e *badEnv) error {
			_, err := table(e, "users").Insert(dictdb.Record{"name": "x", "age": math.NaN()})
			return err
		}, "age"),
		valueRow("channel by upsert", func(e *badEnv) error {
			_, err := table(e, "users").Upsert(dictdb.Record{"id": 1, "name": make(chan int), "age": 1})
			return err
		}, "name"),
		valueRow("overflow by update", func(e *badEnv) error {
			_, err := table(e, "users").Update(nil, dictdb.Record{"age": uint64(math.MaxUint64)})
			return err
		}, "age"),
		valueRow("func in a delta upsert", func(e *badEnv) error {
			_, err := e.db.ApplyDelta(&dictdb.Delta{Tables: map[string]*dictdb.TableDelta{
				"events": {Upserts: []dictdb.Record{{"event_id": 5, "ok": 1}, {"event_id": 6, "f": func() {}}}},
			}}, 0)
			return err
		}, "f", "upsert 1"),

		// Keys escaping the local sink's root, and other unclean keys.
		keyRow("put", "../x", "x"),
		keyRow("put", "/abs", "root/abs"),
		keyRow("put", "a/../../b", "b", "root/a"),
		keyRow("put", "..", ""),
		keyRow("put", "a/./b", "root/a"),
		keyRow("put", `..\x`, `root/..\x`),
		keyRow("put", "", ""),
		keyRow("put", "a\x00b", ""),
		keyRow("put", local.TempPrefix+"x", "root/"+local.TempPrefix+"x"),
		keyRow("get", "../secret.txt"),
		keyRow("delete", "../secret.txt"),
		keyRow("delete", "../root/keep/a.json"),
		keyRow("mem put", "../x"),

		// Bad sink URLs.
		openRow("unknown scheme", func(*badEnv) string { return "ftp://host/dir" }, `unknown scheme "ftp"`, "supported:"),
		openRow("no scheme", func(e *badEnv) string { return filepath.Join(e.parent, "noscheme") }, "has no scheme"),
		openRow("malformed URL", func(*badEnv) string { return "file://[::1/dir" }, "invalid URL"),
		openRow("bad escape", func(e *badEnv) string { return "file://" + e.parent + "/%zz" }, "invalid URL"),
		openRow("unknown parameter", func(e *badEnv) string { return "file://" + e.parent + "/viaurl?colour=blue" }, `unknown query parameter "colour"`),
		openRow("unknown mem parameter", func(*badEnv) string { return "mem://?size=1" }, `unknown query parameter "size"`),
		openRow("file URL with a host", func(e *badEnv) string { return "file://example.com" + e.parent + "/viaurl" }, `names host "example.com"`),

		// Bad backup options.
		optionsRow("format xml", backup.Options{Interval: -1, Format: "xml"}, errs(dictdb.ErrUnknownFormat), `"xml"`),
		optionsRow("negative MaxDeltasBeforeFull", backup.Options{Interval: -1, Incremental: true, MaxDeltasBeforeFull: -1}, nil, "MaxDeltasBeforeFull", "-1"),
		{
			name: "options/no database",
			run: func(t *testing.T, e *badEnv) error {
				m, err := backup.NewManager(nil, e.mem, backup.Options{Interval: -1})
				assert.Nil(t, m)
				return err
			},
			contains: []string{"needs a database"},
		},
	}

	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			e := newBadEnv(t)
			if row.setup != nil {
				row.setup(t, e)
			}
			dbBefore := dbContents(t, e.db)
			memBefore := sinkObjects(t, e.mem)
			localBefore := sinkObjects(t, e.local)
			filesBefore := fileTree(t, e.parent)

			err := row.run(t, e)

			require.Error(t, err)
			for _, target := range row.is {
				assert.ErrorIs(t, err, target)
			}
			if len(row.isAny) > 0 {
				matched := false
				for _, target := range row.isAny {
					matched = matched || errors.Is(err, target)
				}
				assert.True(t, matched, "%v matches none of %v", err, row.isAny)
			}
			for _, s := range row.contains {
				assert.Contains(t, err.Error(), s)
			}
			if row.namesKey {
				require.NotEmpty(t, e.badKey)
				assert.Contains(t, err.Error(), e.badKey, "the error names the bad object")
			}
			if len(row.is) == 0 && len(row.isAny) == 0 && len(row.contains) == 0 && !row.namesKey {
				t.Fatal("a row must check its error")
			}
			assert.Equal(t, dbBefore, dbContents(t, e.db), "the database changed")
			assert.Equal(t, memBefore, sinkObjects(t, e.mem), "the mem sink changed")
			assert.Equal(t, localBefore, sinkObjects(t, e.local), "the local sink changed")
			assert.Equal(t, filesBefore, fileTree(t, e.parent), "files changed in or next to the local sink")
			for _, p := range row.absent {
				if p == "" {
					continue
				}
				_, statErr := os.Lstat(filepath.Join(e.parent, filepath.FromSlash(p)))
				assert.True(t, errors.Is(statErr, fs.ErrNotExist), "%s exists", p)
			}
		})
	}
}
