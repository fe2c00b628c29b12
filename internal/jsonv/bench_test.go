package jsonv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
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

// recordsDoc returns a JSON array of n sample records.
func recordsDoc(n int) []byte {
	doc := []byte{'['}
	for i := range n {
		if i > 0 {
			doc = append(doc, ',')
		}
		var err error
		if doc, err = AppendValue(doc, sampleRecord(i)); err != nil {
			panic(err)
		}
	}
	return append(doc, ']')
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

func BenchmarkAppendRecordStdlib(b *testing.B) {
	rec := sampleRecord(123)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	if err := enc.Encode(rec); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len() - 1)) // without the newline Encode adds
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := enc.Encode(rec); err != nil {
			b.Fatal(err)
		}
	}
}

const benchRecords = 1000

// BenchmarkDecodeRecords streams an array of records, decoding each record
// with Value.
func BenchmarkDecodeRecords(b *testing.B) {
	eachRecord(b, func(d *Decoder) error {
		_, err := d.Value()
		return err
	})
}

// eachRecord benchmarks streaming an array of benchRecords records, calling
// read on each.
func eachRecord(b *testing.B, read func(d *Decoder) error) {
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
			if err := read(d); err != nil {
				b.Fatal(err)
			}
			n++
		}
		if err := d.End(); err != nil || n != benchRecords {
			b.Fatal(err, n)
		}
	}
}

// BenchmarkDecodeRecordsStdlib does the same with encoding/json's streaming
// Decoder (with UseNumber, needed to keep integers exact).
func BenchmarkDecodeRecordsStdlib(b *testing.B) {
	doc := recordsDoc(benchRecords)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	r := bytes.NewReader(doc)
	for b.Loop() {
		r.Reset(doc)
		d := json.NewDecoder(r)
		d.UseNumber()
		if _, err := d.Token(); err != nil {
			b.Fatal(err)
		}
		n := 0
		for d.More() {
			var v any
			if err := d.Decode(&v); err != nil {
				b.Fatal(err)
			}
			n++
		}
		if _, err := d.Token(); err != nil || n != benchRecords {
			b.Fatal(err, n)
		}
	}
}

// BenchmarkDecodeDocument decodes the whole array with one Value call.
func BenchmarkDecodeDocument(b *testing.B) {
	doc := recordsDoc(benchRecords)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	r := bytes.NewReader(doc)
	for b.Loop() {
		r.Reset(doc)
		if _, err := NewDecoder(r).Value(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeDocumentStdlib(b *testing.B) {
	doc := recordsDoc(benchRecords)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	r := bytes.NewReader(doc)
	for b.Loop() {
		r.Reset(doc)
		d := json.NewDecoder(r)
		d.UseNumber()
		var v any
		if err := d.Decode(&v); err != nil {
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

// BenchmarkRawRecords finds where each record of an array ends (RawObject),
// as the goroutine reading a restore does.
func BenchmarkRawRecords(b *testing.B) {
	eachRecord(b, func(d *Decoder) error {
		if _, _, ok := d.RawObject(1 << 20); !ok {
			return errors.New("RawObject failed")
		}
		return nil
	})
}
