package dictdb_test

import (
	"fmt"
	"testing"

	"github.com/dictdb/dictdb-go/dictdb"
)

// BenchmarkInsert measures the write path of Insert and Upsert: normalizing
// the record (the deep copy that also checks every value), checking it
// against the schema and putting it in the tree. It upserts over a fixed set
// of keys, so the tree keeps its size and ns/op does not depend on b.N.
//
//	go test -run XXX -bench Insert -count 5 ./dictdb/
func BenchmarkInsert(b *testing.B) {
	const keys = 4096
	flat := make([]dictdb.Record, keys)
	nested := make([]dictdb.Record, keys)
	for i := range keys {
		flat[i] = dictdb.Record(benchRecord(i))
		nested[i] = dictdb.Record{
			"id":   int64(i),
			"name": fmt.Sprintf("user-%d", i),
			"tags": []any{"admin", "beta", fmt.Sprintf("group-%d", i%10)},
			"address": map[string]any{
				"city": cities[i%len(cities)],
				"zip":  fmt.Sprintf("%05d", i),
				"geo":  []any{float64(i) * 0.01, float64(i) * 0.02},
			},
		}
	}
	schema := dictdb.Schema{
		"id": dictdb.Int, "name": dictdb.String, "email": dictdb.String, "age": dictdb.Int, "city": dictdb.String, "score": dictdb.Float,
	}
	for _, c := range []struct {
		name string
		recs []dictdb.Record
		opts []dictdb.TableOption
	}{
		{"flat/schema", flat, []dictdb.TableOption{dictdb.WithSchema(schema)}},
		{"flat/no-schema", flat, nil},
		{"nested/no-schema", nested, nil},
	} {
		b.Run(c.name, func(b *testing.B) {
			db := dictdb.New()
			t, err := db.CreateTable("users", c.opts...)
			if err != nil {
				b.Fatal(err)
			}
			for _, r := range c.recs {
				if _, err := t.Upsert(r); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := t.Upsert(c.recs[i%keys]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkRead measures Get of one record and Select of every record of a
// table of 100k: the copies out that a full backup's encoding cache must
// not slow down.
//
//	go test -run XXX -bench Read -count 5 ./dictdb/
func BenchmarkRead(b *testing.B) {
	const n = 100_000
	_, t := benchTable(b, n)
	b.Run("get", func(b *testing.B) {
		b.ReportAllocs()
		i := int64(0)
		for b.Loop() {
			if _, ok := t.Get(i % n); !ok {
				b.Fatal("missing")
			}
			i += 7919
		}
	})
	b.Run("select-all", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if len(t.Select(nil)) != n {
				b.Fatal("short")
			}
		}
	})
}

// benchTable returns a database with a table "users" of n benchRecords.
func benchTable(b *testing.B, n int) (*dictdb.DB, *dictdb.Table) {
	b.Helper()
	db := dictdb.New()
	t, err := db.CreateTable("users")
	if err != nil {
		b.Fatal(err)
	}
	for i := range n {
		if _, err := t.Insert(dictdb.Record(benchRecord(i))); err != nil {
			b.Fatal(err)
		}
	}
	return db, t
}
