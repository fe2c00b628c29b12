package dictdb_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/fxamacker/cbor/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/internal/cborv"
)

// binaryValuesDB is a database with every kind of value at its edges, in a
// table with a schema, schemaless tables with int and string keys, and an
// empty table.
func binaryValuesDB(t testing.TB) *dictdb.DB {
	t.Helper()
	db := seedFullDB(t)
	vals, err := db.CreateTable("values")
	require.NoError(t, err)
	for _, r := range []dictdb.Record{
		{"id": int64(math.MaxInt64), "v": int64(math.MinInt64)},
		{"id": int64(math.MinInt64), "v": int64(math.MaxInt64)},
		{"id": int64(-24), "v": int64(-25), "w": int64(23), "x": int64(24), "y": int64(256), "z": int64(1 << 32)},
		{"id": int64(0), "negzero": math.Copysign(0, -1), "one": 1.0, "big": 1e300, "tiny": 5e-324, "third": 1.0 / 3},
		{"id": int64(1), "empty": "", "list": []any{}, "map": map[string]any{}, "null": nil, "t": true, "f": false},
		{"id": int64(2), "unicode": "Zoé 水 😀 \u2028 \x00", "": "empty key", "κλειδί": []any{"ü"}},
		{"id": int64(3), "deep": []any{[]any{[]any{map[string]any{"a": []any{map[string]any{"b": nil}}}}}}},
		{"id": int64(4), "long": strings.Repeat("long string ", 10000)},
	} {
		_, err := vals.Insert(r)
		require.NoError(t, err)
	}
	words, err := db.CreateTable("words", dictdb.WithPrimaryKey("w"), dictdb.WithSchema(dictdb.Schema{"w": dictdb.String, "n": dictdb.Int}))
	require.NoError(t, err)
	for i, w := range []string{"", "a", "é", "zz"} {
		_, err := words.Insert(dictdb.Record{"w": w, "n": i})
		require.NoError(t, err)
	}
	return db
}

func saveBinary(t testing.TB, db *dictdb.DB) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, db.Save(&buf, dictdb.FormatBinary))
	return buf.Bytes()
}

func TestBinaryRoundTrip(t *testing.T) {
	db := binaryValuesDB(t)
	data := saveBinary(t, db)
	require.True(t, bytes.HasPrefix(data, []byte(dictdb.BinaryMagic+"\xbf")))
	require.Equal(t, byte(cborv.Break), data[len(data)-1])

	got, err := dictdb.Load(bytes.NewReader(data), dictdb.FormatBinary)
	require.NoError(t, err)
	requireEqualDB(t, db, got)
	// Also through 1-byte reads, and the JSON format gives the same.
	got, err = dictdb.Load(iotest.OneByteReader(bytes.NewReader(data)), dictdb.FormatBinary)
	require.NoError(t, err)
	requireEqualDB(t, db, got)
	var js bytes.Buffer
	require.NoError(t, db.Save(&js, dictdb.FormatJSON))
	fromJSON, err := dictdb.Load(&js, dictdb.FormatJSON)
	require.NoError(t, err)
	requireEqualDB(t, fromJSON, got)

	// Types and signs that equality would not see.
	vals, err := got.Table("values")
	require.NoError(t, err)
	r, ok := vals.Get(int64(0))
	require.True(t, ok)
	assert.True(t, math.Signbit(r["negzero"].(float64)), "-0.0 keeps its sign")
	assert.IsType(t, float64(0), r["one"], "1.0 stays a float")
	r, _ = vals.Get(int64(math.MinInt64))
	assert.Equal(t, int64(math.MaxInt64), r["v"])
	r, _ = vals.Get(int64(1))
	assert.NotNil(t, r["list"])
	assert.NotNil(t, r["map"])

	// The encoding is deterministic: what loads saves to the same bytes.
	assert.Equal(t, data, saveBinary(t, got))

	// Auto-increment continues above the largest integer key.
	users, err := got.Table("users")
	require.NoError(t, err)
	id, err := users.Insert(dictdb.Record{"name": "n", "score": 1.0, "ok": true, "tags": []any{}, "meta": map[string]any{}})
	require.NoError(t, err)
	assert.Equal(t, int64(8), id)
	_, err = vals.Insert(dictdb.Record{"x": 1})
	require.Error(t, err, "no key above MaxInt64")

	// Files, by extension.
	path := filepath.Join(t.TempDir(), "db"+dictdb.FormatBinary.Ext())
	assert.True(t, strings.HasSuffix(path, ".cbor"))
	require.NoError(t, db.SaveFile(path, dictdb.FormatBinary))
	fromFile, err := dictdb.LoadFile(path, dictdb.FormatBinary)
	require.NoError(t, err)
	requireEqualDB(t, db, fromFile)

	// An empty database.
	empty := saveBinary(t, dictdb.New())
	assert.Equal(t, dictdb.BinaryMagic+"\xbf\x68sequence\x00\x66tables\xa0\xff", string(empty))
	edb, meta, err := dictdb.LoadMeta(bytes.NewReader(empty), dictdb.FormatBinary)
	require.NoError(t, err)
	assert.Empty(t, edb.TableNames())
	assert.Equal(t, dictdb.Meta{"sequence": int64(0)}, meta)
}

func TestBinaryMeta(t *testing.T) {
	db := seedFullDB(t)
	for _, kind := range []string{"full", "delta"} {
		header := seedHeader(kind)
		header["codec"] = string(dictdb.FormatBinary)
		header["nested"] = map[string]any{"list": []any{int64(1), 1.5, "s", nil, true}}
		header["count"] = 3 // normalized to int64
		var bin, js bytes.Buffer
		var binMeta, jsMeta dictdb.Meta
		var err error
		if kind == "full" {
			delete(header, "sequence")
			require.NoError(t, db.Snapshot().Encode(&bin, dictdb.FormatBinary, header))
			require.NoError(t, db.Snapshot().Encode(&js, dictdb.FormatJSON, header))
			_, binMeta, err = dictdb.LoadMeta(&bin, dictdb.FormatBinary)
			require.NoError(t, err)
			_, jsMeta, err = dictdb.LoadMeta(&js, dictdb.FormatJSON)
		} else {
			require.NoError(t, dictdb.EncodeDelta(&bin, dictdb.FormatBinary, seedDelta(), header))
			require.NoError(t, dictdb.EncodeDelta(&js, dictdb.FormatJSON, seedDelta(), header))
			_, binMeta, err = dictdb.DecodeDelta(&bin, dictdb.FormatBinary)
			require.NoError(t, err)
			_, jsMeta, err = dictdb.DecodeDelta(&js, dictdb.FormatJSON)
		}
		require.NoError(t, err)
		assert.Equal(t, jsMeta, binMeta, "the same fields with the same Go types as JSON")
		assert.Equal(t, int64(3), binMeta["count"])
	}

	var buf bytes.Buffer
	for _, reserved := range []string{"tables", "sequence"} {
		require.ErrorContains(t, db.Snapshot().Encode(&buf, dictdb.FormatBinary, dictdb.Meta{reserved: 1}), "reserved")
	}
	for _, reserved := range []string{"tables", "type", "dropped_tables"} {
		require.ErrorContains(t, dictdb.EncodeDelta(&buf, dictdb.FormatBinary, &dictdb.Delta{}, dictdb.Meta{reserved: 1}), "reserved")
	}
	err := db.Snapshot().Encode(&buf, dictdb.FormatBinary, dictdb.Meta{"x": []any{math.NaN()}})
	require.ErrorIs(t, err, dictdb.ErrInvalidValue)
}

func TestBinaryDeltaRoundTrip(t *testing.T) {
	d := seedDelta()
	d.Tables["values"] = &dictdb.TableDelta{
		Upserts: []dictdb.Record{
			{"id": int64(math.MaxInt64), "negzero": math.Copysign(0, -1), "one": 1.0, "s": "", "l": []any{}, "m": map[string]any{}, "u": "水😀"},
		},
		Deletes: []any{int64(math.MinInt64), "", "é"},
	}
	d.Tables["schemaless"] = &dictdb.TableDelta{Create: &dictdb.TableSpec{PrimaryKey: "id"}}
	var buf bytes.Buffer
	require.NoError(t, dictdb.EncodeDelta(&buf, dictdb.FormatBinary, d, dictdb.Meta{"timestamp": 12.5, "sequence": int64(3)}))
	data := buf.Bytes()
	got, meta, err := dictdb.DecodeDelta(iotest.OneByteReader(bytes.NewReader(data)), dictdb.FormatBinary)
	require.NoError(t, err)
	assert.Equal(t, dictdb.Meta{"type": "delta", "timestamp": 12.5, "sequence": int64(3)}, meta)
	assert.Equal(t, d, got)
	assert.True(t, math.Signbit(got.Tables["values"].Upserts[0]["negzero"].(float64)))
	assert.IsType(t, float64(0), got.Tables["values"].Upserts[0]["one"])

	// The same delta as the JSON codec decodes it.
	var js bytes.Buffer
	require.NoError(t, dictdb.EncodeDelta(&js, dictdb.FormatJSON, d, dictdb.Meta{"timestamp": 12.5, "sequence": int64(3)}))
	fromJSON, jsMeta, err := dictdb.DecodeDelta(&js, dictdb.FormatJSON)
	require.NoError(t, err)
	assert.Equal(t, fromJSON, got)
	assert.Equal(t, jsMeta, meta)

	// Applied, it does what the JSON one does.
	a, b := fuzzApplyDB(t), fuzzApplyDB(t)
	delete(got.Tables, "values")
	delete(fromJSON.Tables, "values")
	n1, err1 := a.ApplyDelta(got, 0)
	n2, err2 := b.ApplyDelta(fromJSON, 0)
	require.NoError(t, err1)
	require.NoError(t, err2)
	assert.Equal(t, n2, n1)
	requireEqualDB(t, b, a)

	// An empty delta; a table without changes.
	buf.Reset()
	require.NoError(t, dictdb.EncodeDelta(&buf, dictdb.FormatBinary, &dictdb.Delta{Tables: map[string]*dictdb.TableDelta{"t": nil}}, nil))
	got, meta, err = dictdb.DecodeDelta(&buf, dictdb.FormatBinary)
	require.NoError(t, err)
	assert.Equal(t, dictdb.Meta{"type": "delta"}, meta)
	assert.Equal(t, &dictdb.Delta{Tables: map[string]*dictdb.TableDelta{"t": {}}}, got)

	// Values outside the data model are refused at encoding.
	require.ErrorIs(t, dictdb.EncodeDelta(io.Discard, dictdb.FormatBinary, &dictdb.Delta{Tables: map[string]*dictdb.TableDelta{
		"t": {Upserts: []dictdb.Record{{"id": 1}}}}}, nil), cborv.ErrUnsupportedType, "int is not int64: EncodeDelta takes normalized records")
}

// fxDecode decodes data with fxamacker/cbor into the data model (int64,
// map[string]any), independently of our decoder.
func fxDecode(t testing.TB, data []byte) map[string]any {
	t.Helper()
	dm, err := cbor.DecOptions{
		IntDec:           cbor.IntDecConvertSignedOrFail,
		DefaultMapType:   reflect.TypeOf(map[string]any(nil)),
		MaxNestedLevels:  1000,
		MaxArrayElements: math.MaxInt32,
		MaxMapPairs:      math.MaxInt32,
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
	}.DecMode()
	require.NoError(t, err)
	var v map[string]any
	require.NoError(t, dm.Unmarshal(data, &v))
	return v
}

// fxRecords returns the records of a table as []any, as a generic CBOR
// decoder sees them.
func fxRecords(t testing.TB, db *dictdb.DB, name string) []any {
	t.Helper()
	tb, err := db.Table(name)
	require.NoError(t, err)
	var out []any
	for _, r := range tb.Select(nil) {
		out = append(out, map[string]any(r))
	}
	if out == nil {
		out = []any{}
	}
	return out
}

func TestBinaryReadByFxamacker(t *testing.T) {
	db := binaryValuesDB(t)
	doc := fxDecode(t, saveBinary(t, db))
	assert.Equal(t, int64(db.Sequence()), doc["sequence"])
	tables := doc["tables"].(map[string]any)
	require.Len(t, tables, len(db.TableNames()))
	for _, name := range db.TableNames() {
		tb, _ := db.Table(name)
		table := tables[name].(map[string]any)
		assert.Equal(t, tb.PrimaryKey(), table["primary_key"])
		if s := tb.Schema(); s == nil {
			assert.Nil(t, table["schema"], name)
		} else {
			want := map[string]any{}
			for f, ty := range s {
				want[f] = string(ty)
			}
			assert.Equal(t, want, table["schema"], name)
		}
		assert.Equal(t, fxRecords(t, db, name), table["records"], name)
	}
	vals := tables["values"].(map[string]any)["records"].([]any)
	for _, r := range vals {
		if r.(map[string]any)["id"] == int64(0) {
			assert.True(t, math.Signbit(r.(map[string]any)["negzero"].(float64)))
			assert.IsType(t, float64(0), r.(map[string]any)["one"])
		}
	}

	var buf bytes.Buffer
	require.NoError(t, dictdb.EncodeDelta(&buf, dictdb.FormatBinary, seedDelta(), seedHeader("delta")))
	delta := fxDecode(t, buf.Bytes())
	assert.Equal(t, "delta", delta["type"])
	assert.Equal(t, []any{"gone"}, delta["dropped_tables"])
	fresh := delta["tables"].(map[string]any)["fresh"].(map[string]any)
	assert.Equal(t, map[string]any{"primary_key": "k", "schema": map[string]any{"k": "str", "v": "float"}}, fresh["create"])
	assert.Equal(t, []any{map[string]any{"k": "x", "v": 0.5}}, fresh["upserts"])
	users := delta["tables"].(map[string]any)["users"].(map[string]any)
	assert.Equal(t, []any{int64(2), int64(77)}, users["deletes"])
}

func TestBinaryLoadsFxamackerOutput(t *testing.T) {
	db := binaryValuesDB(t)
	doc := map[string]any{"sequence": int64(db.Sequence()), "format_version": int64(1)}
	tables := map[string]any{}
	for _, name := range db.TableNames() {
		tb, _ := db.Table(name)
		var schema any
		if s := tb.Schema(); s != nil {
			m := map[string]any{}
			for f, ty := range s {
				m[f] = string(ty)
			}
			schema = m
		}
		tables[name] = map[string]any{"primary_key": tb.PrimaryKey(), "schema": schema, "records": fxRecords(t, db, name)}
	}
	doc["tables"] = tables

	for name, opts := range map[string]cbor.EncOptions{
		"default":                   {},
		"shortest floats":           {ShortestFloat: cbor.ShortestFloat16},
		"indefinite-length, sorted": {Sort: cbor.SortBytewiseLexical, IndefLength: cbor.IndefLengthAllowed},
	} {
		t.Run(name, func(t *testing.T) {
			em, err := opts.EncMode()
			require.NoError(t, err)
			data, err := em.Marshal(doc)
			require.NoError(t, err)
			for _, tagged := range []bool{false, true} {
				in := data
				if tagged {
					in = append([]byte(dictdb.BinaryMagic), data...)
				}
				got, meta, err := dictdb.LoadMeta(bytes.NewReader(in), dictdb.FormatBinary)
				require.NoError(t, err)
				requireEqualDB(t, db, got)
				assert.Equal(t, int64(1), meta["format_version"])
				vals, _ := got.Table("values")
				r, _ := vals.Get(int64(0))
				assert.IsType(t, float64(0), r["one"], "a float written as a half stays a float")
				assert.True(t, math.Signbit(r["negzero"].(float64)))
			}
		})
	}

	// A delta written by fxamacker/cbor.
	data, err := cbor.Marshal(map[string]any{
		"type": "delta", "timestamp": 1.5,
		"tables": map[string]any{"users": map[string]any{"upserts": []any{map[string]any{"id": int64(1), "name": "A"}}, "deletes": []any{int64(2)}}},
	})
	require.NoError(t, err)
	d, meta, err := dictdb.DecodeDelta(bytes.NewReader(data), dictdb.FormatBinary)
	require.NoError(t, err)
	assert.Equal(t, dictdb.Meta{"type": "delta", "timestamp": 1.5}, meta)
	assert.Equal(t, &dictdb.Delta{Tables: map[string]*dictdb.TableDelta{"users": {
		Upserts: []dictdb.Record{{"id": int64(1), "name": "A"}}, Deletes: []any{int64(2)}}}}, d)
}

// cb builds CBOR documents for the bad-input tests.
type cb []byte

func doc() cb              { return cb(dictdb.BinaryMagic + "\xbf") }
func (b cb) s(s string) cb { return cborv.AppendString(b, s) }
func (b cb) i(i int64) cb  { return cborv.AppendInt(b, i) }
func (b cb) raw(h string) cb {
	x, err := hex.DecodeString(strings.ReplaceAll(h, " ", ""))
	if err != nil {
		panic(err)
	}
	return append(b, x...)
}
func (b cb) v(v any) cb {
	out, err := cborv.AppendValue(b, v)
	if err != nil {
		panic(err)
	}
	return out
}
func (b cb) end() []byte { return append(b, cborv.Break) }

// oneTable is a document whose table "t" is table (a raw table value).
func oneTable(table cb) []byte {
	return doc().s("tables").raw("a1").s("t").raw(hex.EncodeToString(table)).end()
}

func record(r string) cb { return cb{}.raw("a2").s("primary_key").s("id").s("records").raw("81" + r) }

// binaryBadInputs are full-backup documents that Load must reject, each
// with one thing wrong.
func binaryBadInputs(t testing.TB) map[string][]byte {
	good := saveBinary(t, seedFullDB(t))
	return map[string][]byte{
		"empty":                 nil,
		"magic only":            []byte(dictdb.BinaryMagic),
		"JSON":                  []byte(`{"tables": {}}`),
		"truncated":             good[:len(good)/2],
		"no break":              good[:len(good)-1],
		"trailing data":         append(bytes.Clone(good), 0),
		"trailing document":     append(bytes.Clone(good), good...),
		"not a map":             cb(dictdb.BinaryMagic).raw("80"),
		"two tags":              cb(dictdb.BinaryMagic + dictdb.BinaryMagic).raw("a0"),
		"other tag":             cb{}.raw("d818a0"),
		"no tables":             doc().s("sequence").i(1).end(),
		"integer key":           doc().raw("01 01").s("tables").raw("a0").end(),
		"tables is an array":    doc().s("tables").raw("80").end(),
		"tables tagged":         doc().s("tables").raw("c0a0").end(),
		"table is a string":     oneTable(cb{}.s("x")),
		"records not an array":  oneTable(cb{}.raw("a1").s("records").raw("a0")),
		"record not a map":      oneTable(cb{}.raw("a1").s("records").raw("81 01")),
		"record is bytes":       oneTable(cb{}.raw("a1").s("records").raw("81 41 00")),
		"two record lists":      oneTable(cb{}.raw("a2").s("records").raw("80").s("records").raw("80")),
		"pk is a number":        oneTable(cb{}.raw("a2").s("primary_key").i(1).s("records").raw("80")),
		"schema type number":    oneTable(cb{}.raw("a2").s("schema").raw("a1").s("id").i(1).s("records").raw("80")),
		"schema is a list":      oneTable(cb{}.raw("a1").s("schema").raw("80")),
		"unknown schema type":   oneTable(cb{}.raw("a1").s("schema").v(map[string]any{"id": "int", "n": "text"})),
		"schema violation":      oneTable(cb{}.raw("a2").s("schema").v(map[string]any{"id": "int", "n": "str"}).s("records").v([]any{map[string]any{"id": int64(1), "n": int64(2)}})),
		"late schema violation": oneTable(cb{}.raw("a2").s("records").v([]any{map[string]any{"id": int64(1), "n": int64(2)}}).s("schema").v(map[string]any{"id": "int", "n": "str"})),
		"missing key":           oneTable(record(hex.EncodeToString(cb{}.v(map[string]any{"x": int64(1)})))),
		"float key":             oneTable(record(hex.EncodeToString(cb{}.v(map[string]any{"id": 1.5})))),
		"duplicate key":         oneTable(cb{}.raw("a1").s("records").v([]any{map[string]any{"id": int64(1)}, map[string]any{"id": int64(1)}})),
		"duplicate table":       doc().s("tables").raw("a2").s("t").raw("a0").s("t").raw("a0").end(),
		"bad table name":        doc().s("tables").raw("a1").s("").raw("a0").end(),
		"bad UTF-8 value":       oneTable(record("a2 626964 01 6178 62c328")),
		"bad UTF-8 key":         oneTable(record("a2 626964 01 62ffff 01")),
		"bad UTF-8 table name":  doc().s("tables").raw("a1 61ff a0").end(),
		"int overflow":          oneTable(record("a2 626964 01 6178 1bffffffffffffffff")),
		"negative overflow":     oneTable(record("a2 626964 01 6178 3b8000000000000000")),
		"bignum":                oneTable(record("a2 626964 01 6178 c249010000000000000000")),
		"NaN":                   oneTable(record("a2 626964 01 6178 f97e00")),
		"infinity":              oneTable(record("a2 626964 01 6178 fb7ff0000000000000")),
		"undefined":             oneTable(record("a2 626964 01 6178 f7")),
		"simple value":          oneTable(record("a2 626964 01 6178 f0")),
		"byte string value":     oneTable(record("a2 626964 01 6178 4100")),
		"tag in record":         oneTable(record("a2 626964 01 6178 c074323031332d30332d32315432303a30343a30305a")),
		"break in record":       oneTable(record("a2 626964 01 6178 ff")),
		"reserved info":         oneTable(record("a2 626964 01 6178 1c")),
		"deep nesting":          oneTable(record("a2 626964 01 6178" + strings.Repeat("81", 600) + "00")),
		"huge string":           oneTable(record("a2 626964 01 6178 7bffffffffffffffff")),
		"huge array":            oneTable(record("a2 626964 01 6178 9bffffffffffffffff")),
		"huge map":              oneTable(record("a2 626964 01 6178 bbffffffffffffffff")),
		"huge records":          oneTable(cb{}.raw("a1").s("records").raw("9bffffffffffffffff")),
		"huge tables":           doc().s("tables").raw("bbffffffffffffffff").end(),
		"sequence string":       doc().s("sequence").s("7").s("tables").raw("a0").end(),
		"sequence negative":     doc().s("sequence").i(-1).s("tables").raw("a0").end(),
		"sequence float":        doc().s("sequence").v(1.0).s("tables").raw("a0").end(),
		"a delta":               doc().s("type").s("delta").s("tables").raw("a0").end(),
		"a delta, type last":    doc().s("tables").raw("a0").s("type").s("delta").end(),
		"short checksum":        doc().s("tables").raw("a0").s("checksum").raw("4100").end(),
		"meta bytes":            doc().s("other").raw("4100").s("tables").raw("a0").end(),
	}
}

func TestLoadBinaryRejectsBadInput(t *testing.T) {
	good := saveBinary(t, binaryValuesDB(t))
	cases := binaryBadInputs(t)
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			db, meta, err := dictdb.LoadMeta(bytes.NewReader(data), dictdb.FormatBinary)
			require.ErrorIs(t, err, dictdb.ErrCorrupt)
			assert.Nil(t, db)
			assert.Nil(t, meta)
		})
	}
	_, _, err := dictdb.LoadMeta(bytes.NewReader(good), dictdb.Format("cbor2"))
	require.ErrorIs(t, err, dictdb.ErrUnknownFormat)

	// Error messages say where and what.
	_, err = dictdb.Load(bytes.NewReader(cases["int overflow"]), dictdb.FormatBinary)
	assert.ErrorContains(t, err, `table "t" record 0`)
	assert.ErrorContains(t, err, "overflows int64")
	_, err = dictdb.Load(bytes.NewReader(cases["bad UTF-8 value"]), dictdb.FormatBinary)
	assert.ErrorContains(t, err, "invalid UTF-8")
	_, err = dictdb.Load(bytes.NewReader(cases["schema violation"]), dictdb.FormatBinary)
	assert.ErrorContains(t, err, `field "n"`)

	// A read error is reported as it is, not as truncation.
	boom := errors.New("boom")
	_, err = dictdb.Load(io.MultiReader(bytes.NewReader(good[:100]), iotest.ErrReader(boom)), dictdb.FormatBinary)
	require.ErrorIs(t, err, dictdb.ErrCorrupt)
	assert.ErrorContains(t, err, "boom")
}

// TestLoadBinaryLateSpec: a table's spec may follow its records, as when a
// CBOR library sorts map keys (RFC 8949 deterministic encoding puts
// "records" before "primary_key").
func TestLoadBinaryLateSpec(t *testing.T) {
	recs := []any{map[string]any{"k": "b", "n": int64(2)}, map[string]any{"k": "a", "n": int64(1)}}
	for name, table := range map[string]cb{
		"records, pk":         cb{}.raw("a2").s("records").v(recs).s("primary_key").s("k"),
		"schema, records, pk": cb{}.raw("a3").s("schema").v(map[string]any{"k": "str", "n": "int"}).s("records").v(recs).s("primary_key").s("k"),
		"pk, records, schema": cb{}.raw("a3").s("primary_key").s("k").s("records").v(recs).s("schema").v(map[string]any{"k": "str", "n": "int"}),
		"spec twice":          cb{}.raw("a4").s("primary_key").s("n").s("schema").raw("f6").s("records").v(recs).s("primary_key").s("k"),
	} {
		t.Run(name, func(t *testing.T) {
			db, err := dictdb.Load(bytes.NewReader(oneTable(table)), dictdb.FormatBinary)
			require.NoError(t, err)
			tb, err := db.Table("t")
			require.NoError(t, err)
			assert.Equal(t, "k", tb.PrimaryKey())
			r, ok := tb.Get("a")
			require.True(t, ok)
			assert.Equal(t, dictdb.Record{"k": "a", "n": int64(1)}, r)
			assert.Equal(t, 2, tb.Count())
		})
	}
	_, err := dictdb.Load(bytes.NewReader(oneTable(cb{}.raw("a2").s("records").v(append(recs, recs[0])).s("primary_key").s("k"))), dictdb.FormatBinary)
	require.ErrorIs(t, err, dictdb.ErrCorrupt, "duplicate keys found once the key is known")
	assert.ErrorContains(t, err, "duplicate primary key")
}

// TestLoadBinaryTruncatedEverywhere: a small file cut at any offset is an
// error, never a panic nor a partial database.
func TestLoadBinaryTruncatedEverywhere(t *testing.T) {
	data := saveBinary(t, seedFullDB(t))
	var delta bytes.Buffer
	require.NoError(t, dictdb.EncodeDelta(&delta, dictdb.FormatBinary, seedDelta(), seedHeader("delta")))
	for i := range len(data) {
		db, err := dictdb.Load(bytes.NewReader(data[:i]), dictdb.FormatBinary)
		require.ErrorIs(t, err, dictdb.ErrCorrupt, "full cut at %d", i)
		require.Nil(t, db)
	}
	d := delta.Bytes()
	for i := range len(d) {
		got, _, err := dictdb.DecodeDelta(bytes.NewReader(d[:i]), dictdb.FormatBinary)
		require.ErrorIs(t, err, dictdb.ErrCorrupt, "delta cut at %d", i)
		require.Nil(t, got)
	}
}

func TestDecodeDeltaBinaryRejectsBadInput(t *testing.T) {
	cases := map[string][]byte{
		"empty":               nil,
		"full backup":         saveBinary(t, seedFullDB(t)),
		"no type":             doc().s("tables").raw("a0").end(),
		"type not a string":   doc().s("type").i(1).s("tables").raw("a0").end(),
		"upsert not a map":    doc().s("type").s("delta").s("tables").raw("a1").s("t").raw("a1").s("upserts").raw("8101").end(),
		"upserts not a list":  doc().s("type").s("delta").s("tables").raw("a1").s("t").raw("a1").s("upserts").raw("a0").end(),
		"delete bytes":        doc().s("type").s("delta").s("tables").raw("a1").s("t").raw("a1").s("deletes").raw("814100").end(),
		"dropped not strings": doc().s("type").s("delta").s("dropped_tables").raw("8101").end(),
		"dropped not a list":  doc().s("type").s("delta").s("dropped_tables").s("t").end(),
		"duplicate table":     doc().s("type").s("delta").s("tables").raw("a2").s("t").raw("a0").s("t").raw("a0").end(),
		"create not a map":    doc().s("type").s("delta").s("tables").raw("a1").s("t").raw("a1").s("create").raw("80").end(),
		"NaN in upsert":       doc().s("type").s("delta").s("tables").raw("a1").s("t").raw("a1").s("upserts").raw("81a1617af97e00").end(),
		"trailing data":       append(doc().s("type").s("delta").end(), 0),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			d, meta, err := dictdb.DecodeDelta(bytes.NewReader(data), dictdb.FormatBinary)
			require.ErrorIs(t, err, dictdb.ErrCorrupt)
			assert.Nil(t, d)
			assert.Nil(t, meta)
		})
	}
}

func TestBinaryEncodeFailingWriter(t *testing.T) {
	db := dictdb.New()
	tb, err := db.CreateTable("t")
	require.NoError(t, err)
	for range 5000 {
		_, err := tb.Insert(dictdb.Record{"payload": strings.Repeat("x", 100)})
		require.NoError(t, err)
	}
	boom := errors.New("disk full")
	w := &limitedWriter{n: 100 << 10, err: boom}
	require.ErrorIs(t, db.Save(w, dictdb.FormatBinary), boom)
	assert.LessOrEqual(t, w.written, 100<<10)
}

type limitedWriter struct {
	n, written int
	err        error
}

func (w *limitedWriter) Write(p []byte) (int, error) {
	if w.written+len(p) > w.n {
		return 0, w.err
	}
	w.written += len(p)
	return len(p), nil
}

func TestDetectFormat(t *testing.T) {
	for in, want := range map[string]dictdb.Format{
		"{":                          dictdb.FormatJSON,
		` {"tables": {}}`:            dictdb.FormatJSON,
		"\n\t\r {":                   dictdb.FormatJSON,
		dictdb.BinaryMagic:           dictdb.FormatBinary,
		dictdb.BinaryMagic + "\xbf":  dictdb.FormatBinary,
		dictdb.BinaryMagic + "{\xbf": dictdb.FormatBinary,
	} {
		got, ok := dictdb.DetectFormat([]byte(in))
		assert.True(t, ok, "%q", in)
		assert.Equal(t, want, got, "%q", in)
	}
	for _, in := range []string{"", " ", "[", "\xd9\xd9", " " + dictdb.BinaryMagic, "\xbf", "\xef\xbb\xbf{"} {
		_, ok := dictdb.DetectFormat([]byte(in))
		assert.False(t, ok, "%q", in)
	}
	got, ok := dictdb.DetectFormat(saveBinary(t, dictdb.New()))
	assert.True(t, ok)
	assert.Equal(t, dictdb.FormatBinary, got)
	assert.Contains(t, dictdb.Formats(), dictdb.FormatBinary)
	require.NoError(t, dictdb.FormatBinary.Check())
	assert.Equal(t, ".cbor", dictdb.FormatBinary.Ext())
}
