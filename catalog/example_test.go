package catalog_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dictdb/dictdb-go/backup"
	"github.com/dictdb/dictdb-go/catalog"
	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/sink"
	"github.com/dictdb/dictdb-go/sink/mem"
)

func ExampleParse() {
	n, ok := catalog.Parse("dictdb_delta_1764160060_500000.json.zst")
	fmt.Println(ok, n.Kind, n.Time().Format(time.RFC3339Nano), n.Format, n.Compression, n.Encrypted)
	_, ok = catalog.Parse("notes.txt")
	fmt.Println(ok)
	// Output:
	// true delta 2025-11-26T12:27:40.5Z json zstd false
	// false
}

func ExampleKey() {
	enc := catalog.Encoding{Format: dictdb.FormatBinary, Compression: catalog.CompressionZstd, Encrypted: true}
	fmt.Println(catalog.Key(catalog.Full, 1764160000_000001, enc))
	// Output: dictdb_backup_1764160000_000001.cbor.zst.age
}

func ExampleCatalog_Plan() {
	ctx := context.Background()
	s := exampleSink() // a full backup and two deltas; the first delta is gone
	c, err := catalog.Read(ctx, s, catalog.Options{})
	if err != nil {
		panic(err)
	}
	_, err = c.Plan(ctx, catalog.Latest())
	var ue *catalog.UnaccountedError
	if errors.As(err, &ue) {
		fmt.Println(len(ue.Objects), "object does not fit")
		fmt.Println("newest exact point:", ue.Newest.Kind, ue.Newest.Seq)
	}
	// Output:
	// 1 object does not fit
	// newest exact point: full 2
}

// exampleSink returns a sink with a full backup and the second of two
// deltas: the first is deleted.
func exampleSink() sink.Sink {
	ctx := context.Background()
	s := mem.New()
	db := dictdb.New()
	users, _ := db.CreateTable("users")
	m, _ := backup.NewManager(db, s, backup.Options{Interval: -1, Incremental: true})
	defer m.Stop()
	for i := 0; i < 3; i++ {
		_, _ = users.Insert(dictdb.Record{"name": fmt.Sprint("user", i)})
		if err := m.BackupNow(ctx); err != nil {
			panic(err)
		}
	}
	c, _ := catalog.Read(ctx, s, catalog.Options{})
	_ = s.Delete(ctx, c.Objects()[1].Key)
	return s
}
