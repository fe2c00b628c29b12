package dictdb_test

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"sync"
	"testing"

	"github.com/fxamacker/cbor/v2"

	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/internal/cborv"
	"github.com/dictdb/dictdb-go/internal/jsonv"
)

// The benchmarks that justify FormatBinary: 100k records of
// {id, name, email, age, city, score}, encoded and decoded
//
//   - as a bare array of records ([]map[string]any): our CBOR codec
//     (cborv) against fxamacker/cbor's Marshal and Unmarshal (reflection)
//     and against our JSON codec (jsonv);
//   - as a whole database: Save and Load in FormatBinary and FormatJSON
//     (Load includes building the tables and checking every record; with
//     GOMAXPROCS > 1 a large JSON input is decoded in parallel, see
//     loadpar.go, while FormatBinary is decoded by one goroutine).
//
// Each reports the output size ("out-bytes") and MB/s of its own output.
//
//	go test -run XXX -bench BinaryCodec -benchtime 3x -cpu 1,2 ./dictdb/

const benchRecords = 100_000

var cities = []string{"Berlin", "Paris", "Lisbon", "Zürich", "Kraków", "São Paulo", "Tokyo"}

func benchRecord(i int) map[string]any {
	return map[string]any{
		"id":    int64(i),
		"name":  fmt.Sprintf("user-%d", i),
		"email": fmt.Sprintf("user%d@example.com", i),
		"age":   int64(18 + i%70),
		"city":  cities[i%len(cities)],
		"score": float64(i%1000) * 0.37,
	}
}

var benchData = sync.OnceValues(func() ([]map[string]any, *dictdb.DB) {
	recs := make([]map[string]any, benchRecords)
	db := dictdb.New()
	users, err := db.CreateTable("users", dictdb.WithSchema(dictdb.Schema{
		"id": dictdb.Int, "name": dictdb.String, "email": dictdb.String, "age": dictdb.Int, "city": dictdb.String, "score": dictdb.Float,
	}))
	if err != nil {
		panic(err)
	}
	for i := range recs {
		recs[i] = benchRecord(i)
		if _, err := users.Insert(recs[i]); err != nil {
			panic(err)
		}
	}
	return recs, db
})

// cborvEncode and jsonvEncode append to dst, which the benchmarks reuse
// from one iteration to the next, as Save reuses its buffer.
func cborvEncode(dst []byte, recs []map[string]any) ([]byte, error) {
	out := cborv.AppendArrayHeader(dst, len(recs))
	var err error
	for _, r := range recs {
		if out, err = cborv.AppendValue(out, r); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func jsonvEncode(dst []byte, recs []map[string]any) ([]byte, error) {
	out := append(dst, '[')
	var err error
	for i, r := range recs {
		if i > 0 {
			out = append(out, ',')
		}
		if out, err = jsonv.AppendValue(out, r); err != nil {
			return nil, err
		}
	}
	return append(out, ']'), nil
}

// fxBenchDecMode decodes into the data model: integers as int64, maps as
// map[string]any.
var fxBenchDecMode = func() cbor.DecMode {
	dm, err := cbor.DecOptions{
		IntDec:           cbor.IntDecConvertSignedOrFail,
		DefaultMapType:   reflect.TypeOf(map[string]any(nil)),
		MaxArrayElements: math.MaxInt32,
	}.DecMode()
	if err != nil {
		panic(err)
	}
	return dm
}()

type countingWriter struct{ n int }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += len(p)
	return len(p), nil
}

// report sets what each benchmark reports: MB/s and the size of the
// output, with b.ReportMetric after the loop (b.Loop resets the metrics
// reported before it).
func report(b *testing.B, size int) {
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.Cleanup(func() { b.ReportMetric(float64(size), "out-bytes") })
}

func BenchmarkBinaryCodec(b *testing.B) {
	recs, db := benchData()
	ours, err := cborvEncode(nil, recs)
	if err != nil {
		b.Fatal(err)
	}
	fx, err := cbor.Marshal(recs)
	if err != nil {
		b.Fatal(err)
	}
	js, err := jsonvEncode(nil, recs)
	if err != nil {
		b.Fatal(err)
	}

	b.Run("encode/cborv", func(b *testing.B) {
		report(b, len(ours))
		buf := make([]byte, 0, len(ours))
		for b.Loop() {
			if buf, err = cborvEncode(buf[:0], recs); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encode/fxamacker", func(b *testing.B) {
		report(b, len(fx)) // Marshal allocates its result: that is its API
		for b.Loop() {
			if _, err := cbor.Marshal(recs); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encode/jsonv", func(b *testing.B) {
		report(b, len(js))
		buf := make([]byte, 0, len(js))
		for b.Loop() {
			if buf, err = jsonvEncode(buf[:0], recs); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode/cborv", func(b *testing.B) {
		report(b, len(ours))
		for b.Loop() {
			v, err := cborv.NewDecoder(bytes.NewReader(ours)).Value()
			if err != nil || len(v.([]any)) != benchRecords {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode/fxamacker", func(b *testing.B) {
		report(b, len(fx))
		for b.Loop() {
			var v []map[string]any
			if err := fxBenchDecMode.Unmarshal(fx, &v); err != nil || len(v) != benchRecords {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode/jsonv", func(b *testing.B) {
		report(b, len(js))
		for b.Loop() {
			v, err := jsonv.NewDecoder(bytes.NewReader(js)).Value()
			if err != nil || len(v.([]any)) != benchRecords {
				b.Fatal(err)
			}
		}
	})

	for _, f := range []dictdb.Format{dictdb.FormatBinary, dictdb.FormatJSON} {
		var saved bytes.Buffer
		if err := db.Save(&saved, f); err != nil {
			b.Fatal(err)
		}
		b.Run("save/"+string(f), func(b *testing.B) {
			report(b, saved.Len())
			for b.Loop() {
				if err := db.Save(&countingWriter{}, f); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("load/"+string(f), func(b *testing.B) {
			report(b, saved.Len())
			for b.Loop() {
				got, err := dictdb.Load(bytes.NewReader(saved.Bytes()), f)
				if err != nil {
					b.Fatal(err)
				}
				if tb, _ := got.Table("users"); tb.Count() != benchRecords {
					b.Fatal("records lost")
				}
			}
		})
	}
}
