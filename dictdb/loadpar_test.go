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
	"testing/iotest"

	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/internal/cborv"
	"github.com/dictdb/dictdb-go/internal/jsonv"
)

// loadOutcome is what LoadMeta gave: the error's message, or the database
// and meta.
type loadOutcome struct {
	err  string
	db   *dictdb.DB
	meta dictdb.Meta
}

// loadWith loads data in format f, the tables going to the workers after
// min records (min < 0: never) in batches of batch records. small reads
// the input a byte at a time.
func loadWith(tb testing.TB, data []byte, f dictdb.Format, min, batch int, small bool) loadOutcome {
	tb.Helper()
	undo := dictdb.SetParallelLoad(min, batch)
	defer undo()
	var r = bytes.NewReader(data)
	var db *dictdb.DB
	var meta dictdb.Meta
	var err error
	if small {
		db, meta, err = dictdb.LoadMeta(iotest.OneByteReader(r), f)
	} else {
		db, meta, err = dictdb.LoadMeta(r, f)
	}
	if err != nil {
		require.ErrorIs(tb, err, dictdb.ErrCorrupt)
		require.Nil(tb, db)
		return loadOutcome{err: err.Error()}
	}
	return loadOutcome{db: db, meta: meta}
}

// requireSameLoad checks that loading data on the workers gives what the
// reading goroutine alone gives: the same database and meta, or the same
// error, message and offsets included, wherever the batches start.
func requireSameLoad(t *testing.T, name string, data []byte, f dictdb.Format, batches ...int) {
	t.Helper()
	want := loadWith(t, data, f, -1, 0, false)
	for _, min := range []int{0, 1} {
		for _, batch := range batches {
			got := loadWith(t, data, f, min, batch, false)
			require.Equal(t, want.err, got.err, "%s (%s): workers after %d records, batches of %d", name, f, min, batch)
			if want.err == "" {
				requireEqualDB(t, want.db, got.db)
				require.Equal(t, want.meta, got.meta)
			}
		}
	}
}

// corpusFiles returns the inputs of the fuzz corpus files of target.
func corpusFiles(t *testing.T, target string) []seed {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join("testdata", "fuzz", target))
	require.NoError(t, err)
	var out []seed
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("testdata", "fuzz", target, e.Name()))
		require.NoError(t, err)
		lit := strings.TrimSuffix(strings.TrimPrefix(string(b), "go test fuzz v1\n[]byte("), ")\n")
		data, err := strconv.Unquote(lit)
		require.NoError(t, err)
		out = append(out, seed{e.Name(), []byte(data)})
	}
	return out
}

// Every seed and corpus file of the fuzz targets, and every bad input of
// the binary tests, loads on the workers as it does on the reading
// goroutine: the records of the smallest tables go to the workers from the
// first, one to a few per batch.
func TestParallelLoadOfTheSeeds(t *testing.T) {
	inputs := map[dictdb.Format][]seed{
		dictdb.FormatJSON:   append(allSeeds(t), corpusFiles(t, "FuzzLoad")...),
		dictdb.FormatBinary: append(binarySeeds(t), corpusFiles(t, "FuzzLoadBinary")...),
	}
	for name, data := range binaryBadInputs(t) {
		inputs[dictdb.FormatBinary] = append(inputs[dictdb.FormatBinary], seed{name, data})
	}
	for f, seeds := range inputs {
		for _, s := range seeds {
			requireSameLoad(t, s.name, s.data, f, 1, 2, 3, 4096)
		}
	}
}

// bigRecord is the i-th record of a large table: every kind of value,
// strings with escapes and non-ASCII text, nested lists and maps.
func bigRecord(i int) map[string]any {
	r := map[string]any{
		"id":    int64(i),
		"name":  fmt.Sprintf("user-%d \"q\" \\ é 水", i),
		"score": float64(i) / 7,
		"ok":    i%3 == 0,
		"none":  nil,
		"neg":   int64(-i) * 1_000_003,
	}
	if i%5 == 0 {
		r["tags"] = []any{int64(i), "t", 1.5, []any{}, map[string]any{"k": "}]\n"}}
	}
	if i%7 == 0 {
		r["meta"] = map[string]any{"a": []any{map[string]any{"b": nil}}, "big": int64(math.MaxInt64)}
	}
	return r
}

// encodeTable encodes a document of one table, "t", whose records are
// given encoded, in format f, as this package writes it: the spec first.
func encodeTable(f dictdb.Format, schema map[string]any, recs [][]byte) []byte {
	if f == dictdb.FormatJSON {
		s := "null"
		if schema != nil {
			b, err := jsonv.AppendValue(nil, schema)
			if err != nil {
				panic(err)
			}
			s = string(b)
		}
		var out bytes.Buffer
		out.WriteString(`{"sequence": 0, "tables": {` + "\n" + `"t": {"primary_key": "id", "schema": ` + s + `, "records": [`)
		for i, r := range recs {
			if i > 0 {
				out.WriteByte(',')
			}
			out.WriteByte('\n')
			out.Write(r)
		}
		out.WriteString("]}}}\n")
		return out.Bytes()
	}
	var sc any
	if schema != nil {
		sc = schema
	}
	table := cb{}.raw("a3").s("primary_key").s("id").s("schema").v(sc).s("records")
	table = cborv.AppendArrayHeader(table, len(recs))
	for _, r := range recs {
		table = append(table, r...)
	}
	return doc().s("sequence").i(0).s("tables").raw("a1").s("t").raw(fmt.Sprintf("%x", []byte(table))).end()
}

func encodeRecord(f dictdb.Format, r map[string]any) []byte {
	var b []byte
	var err error
	if f == dictdb.FormatJSON {
		b, err = jsonv.AppendValue(nil, r)
	} else {
		b, err = cborv.AppendValue(nil, r)
	}
	if err != nil {
		panic(err)
	}
	return b
}

// A large table loads on the workers (from record 4096, in batches of
// 4096 records or 256 KiB) into the database the reading goroutine alone
// loads, in both formats, and saves back to the same bytes.
func TestParallelLoadOfALargeTable(t *testing.T) {
	const n = 30_000
	for _, f := range dictdb.Formats() {
		recs := make([][]byte, n)
		for i := range recs {
			recs[i] = encodeRecord(f, bigRecord(i))
		}
		data := encodeTable(f, nil, recs)
		serial := loadWith(t, data, f, -1, 0, false)
		require.Empty(t, serial.err)
		parallel := loadWith(t, data, f, 4096, 4096, false)
		require.Empty(t, parallel.err)
		requireEqualDB(t, serial.db, parallel.db)
		tb, err := parallel.db.Table("t")
		require.NoError(t, err)
		require.Equal(t, n, tb.Count())
		var a, b bytes.Buffer
		require.NoError(t, serial.db.Save(&a, f))
		require.NoError(t, parallel.db.Save(&b, f))
		require.Equal(t, a.Bytes(), b.Bytes())
		id, err := tb.Insert(dictdb.Record{"x": 1})
		require.NoError(t, err)
		require.Equal(t, int64(n), id, "auto-increment continues above the loaded keys")
	}
}

// badRecords are records that make a load fail, each in its way, as the
// encodings to put in place of a record; prev is the key of the record
// before, n the number of records.
func badRecords(f dictdb.Format, prev, n int) map[string][]byte {
	enc := func(r map[string]any) []byte { return encodeRecord(f, r) }
	bad := map[string][]byte{
		"schema violation":       enc(map[string]any{"id": int64(prev + 1), "name": int64(5)}),
		"unknown field":          enc(map[string]any{"id": int64(prev + 1), "name": "x", "extra": true}),
		"duplicate of the last":  enc(map[string]any{"id": int64(prev), "name": "x"}),
		"duplicate of the first": enc(map[string]any{"id": int64(0), "name": "x"}),
		"missing key":            enc(map[string]any{"name": "x"}),
		"float key":              enc(map[string]any{"id": 1.5, "name": "x"}),
	}
	id := strconv.Itoa(prev + 1)
	if f == dictdb.FormatJSON {
		bad["not a record"] = []byte(`["x"]`)
		bad["deep"] = []byte(`{"id":` + id + `,"name":` + strings.Repeat("[", 600) + strings.Repeat("]", 600) + `}`)
		bad["bad literal"] = []byte(`{"id":` + id + `,"name":tru}`)
		bad["bad escape"] = []byte(`{"id":` + id + `,"name":"\x"}`)
		bad["control character"] = []byte("{\"id\":1,\"name\":\"a\tb\"}")
		bad["missing comma"] = []byte(`{"id":1 "name":"a"}`)
		bad["NaN"] = []byte(`{"id":1,"name":NaN}`)
		bad["between records"] = []byte(`{"id":` + id + `,"name":"a"} {"id":1}`)
		bad["huge integer"] = []byte(`{"id":1,"name":` + strings.Repeat("9", 30) + `}`)
	} else {
		bad["not a record"] = cb{}.raw("81 6178")
		bad["deep"] = cb{}.raw("a2 626964").i(int64(prev + 1)).s("name").raw(strings.Repeat("81", 600) + "01")
		bad["bad UTF-8"] = cb{}.raw("a2 626964 01 646e616d65 62c328")
		bad["int overflow"] = cb{}.raw("a2 626964 1bffffffffffffffff 646e616d65 6161")
		bad["byte string"] = cb{}.raw("a2 626964 01 646e616d65 4161")
		bad["tag"] = cb{}.raw("a2 626964 01 646e616d65 c06161")
		bad["NaN"] = cb{}.raw("a2 626964 01 646e616d65 f97e00")
		bad["integer key"] = cb{}.raw("a2 626964 01 01 6161")
		bad["indefinite, then bad"] = cb{}.raw("bf 626964 01 646e616d65 01 ff")
	}
	return bad
}

// A bad record anywhere among the records loaded on the workers (the first
// of them, inside a batch, the last of a batch, the first of the next, the
// last record, after records the reading goroutine decoded itself) fails
// the load with the error the reading goroutine alone reports, message and
// offsets included; so does input cut inside any of them.
func TestParallelLoadErrorsInABatch(t *testing.T) {
	const n, min, batch = 400, 50, 16
	schema := map[string]any{"id": "int", "name": "str"}
	for _, f := range dictdb.Formats() {
		good := make([][]byte, n)
		for i := range good {
			good[i] = encodeRecord(f, map[string]any{"id": int64(i), "name": fmt.Sprintf("user-%d", i)})
		}
		// A record larger than the workers take, which the reading
		// goroutine decodes in its place.
		good[120] = encodeRecord(f, map[string]any{"id": int64(120), "name": strings.Repeat("z", dictdb.MaxRawRecord+10)})
		for _, at := range []int{min, min + 7, min + batch - 1, min + batch, 121, 122, n - 1} {
			for kind, rec := range badRecords(f, at-1, n) {
				recs := append([][]byte{}, good...)
				recs[at] = rec
				data := encodeTable(f, schema, recs)
				want := loadWith(t, data, f, -1, 0, false)
				require.NotEmpty(t, want.err, "%s at %d", kind, at)
				if !strings.Contains(kind, "duplicate") && kind != "between records" {
					require.Contains(t, want.err, fmt.Sprintf("record %d", at), "%s at %d", kind, at)
				}
				got := loadWith(t, data, f, min, batch, false)
				require.Equal(t, want.err, got.err, "%s (%s) at %d", kind, f, at)
			}
			// Cut inside the record.
			recs := append([][]byte{}, good...)
			data := encodeTable(f, schema, recs)
			start := 0
			for i := range at {
				start = bytes.Index(data[start:], recs[i]) + start + len(recs[i])
			}
			end := bytes.Index(data[start:], recs[at]) + start + len(recs[at])
			for _, cut := range []int{end - len(recs[at]), end - len(recs[at]) + 1, end - 1, end} {
				want := loadWith(t, data[:cut], f, -1, 0, false)
				require.NotEmpty(t, want.err)
				require.Equal(t, want.err, loadWith(t, data[:cut], f, min, batch, false).err, "%s: cut at %d", f, cut)
				require.Equal(t, want.err, loadWith(t, data[:cut], f, min, batch, true).err, "%s: cut at %d, read a byte at a time", f, cut)
			}
		}
	}
}
