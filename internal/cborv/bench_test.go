package cborv

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"

	"github.com/fxamacker/cbor/v2"
)

// sampleRecord returns a typical record of the backup benchmarks.
func sampleRecord(i int) map[string]any {
	return map[string]any{
		"id":    int64(i),
		"name":  fmt.Sprintf("user-%d", i),
		"email": fmt.Sprintf("user%d@example.com", i),
		"age":   int64(20 + i%50),
		"city":  "Berlin",
		"score": 87.5,
	}
}

// recordsDoc returns a CBOR array of n sample records.
func recordsDoc(n int) []byte {
	doc := AppendArrayHeader(nil, n)
	for i := range n {
		var err error
		if doc, err = AppendValue(doc, sampleRecord(i)); err != nil {
			panic(err)
		}
	}
	return doc
}

func BenchmarkAppendRecord(b *testing.B) {
	rec := sampleRecord(123)
	buf, _ := AppendValue(nil, rec)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = AppendValue(buf[:0], rec); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendRecordFxamacker encodes the same record with
// fxamacker/cbor (reflection; keys in map order, not sorted).
func BenchmarkAppendRecordFxamacker(b *testing.B) {
	rec := sampleRecord(123)
	var buf bytes.Buffer
	enc := cbor.NewEncoder(&buf)
	if err := enc.Encode(rec); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := enc.Encode(rec); err != nil {
			b.Fatal(err)
		}
	}
}

const benchRecords = 1000

// fxBenchDecMode is fxamacker/cbor's default decoding but into the data
// model: integers as int64, maps as map[string]any.
var fxBenchDecMode = func() cbor.DecMode {
	dm, err := cbor.DecOptions{
		IntDec:         cbor.IntDecConvertSignedOrFail,
		DefaultMapType: reflect.TypeOf(map[string]any(nil)),
	}.DecMode()
	if err != nil {
		panic(err)
	}
	return dm
}()

// BenchmarkDecodeRecords streams an array of records, decoding each record
// with Value.
func BenchmarkDecodeRecords(b *testing.B) {
	doc := recordsDoc(benchRecords)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	r := bytes.NewReader(doc)
	for b.Loop() {
		r.Reset(doc)
		d := NewDecoder(r)
		if err := d.BeginArray(); err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			ok, err := d.NextElem()
			if err != nil {
				b.Fatal(err)
			}
			if !ok {
				break
			}
			if _, err := d.Value(); err != nil {
				b.Fatal(err)
			}
			n++
		}
		if err := d.End(); err != nil || n != benchRecords {
			b.Fatal(err, n)
		}
	}
}

// BenchmarkDecodeRecordsFxamacker does the same with fxamacker/cbor's
// streaming Decoder, into the data model (int64, map[string]any).
func BenchmarkDecodeRecordsFxamacker(b *testing.B) {
	doc := recordsDoc(benchRecords)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		var v []map[string]any
		if err := fxBenchDecMode.Unmarshal(doc, &v); err != nil || len(v) != benchRecords {
			b.Fatal(err)
		}
	}
}

func BenchmarkSkipRecords(b *testing.B) {
	doc := recordsDoc(benchRecords)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	r := bytes.NewReader(doc)
	for b.Loop() {
		r.Reset(doc)
		if err := NewDecoder(r).Skip(); err != nil {
			b.Fatal(err)
		}
	}
}
