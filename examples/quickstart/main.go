// Command quickstart is the guide's Basic Usage: a database backed up to a
// local directory, then restored and checked.
//
//	go run ./examples/quickstart [-dir ./backups] [-records 10000]
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"reflect"
	"time"

	"github.com/dictdb/dictdb-go/backup"
	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/restore"
	"github.com/dictdb/dictdb-go/sink/local"
)

func main() {
	dir := flag.String("dir", "./backups", "backup directory")
	n := flag.Int("records", 10000, "records to write")
	flag.Parse()
	if err := run(*dir, *n); err != nil {
		log.Fatal(err)
	}
}

func run(dir string, n int) error {
	ctx := context.Background()
	db := dictdb.New()
	users, err := db.CreateTable("users")
	if err != nil {
		return err
	}

	store, err := local.New(dir)
	if err != nil {
		return err
	}
	m, err := backup.NewManager(db, store, backup.Options{
		Interval:    5 * time.Minute,
		Format:      dictdb.FormatJSON,
		Incremental: true,
		OnFailure: func(err error, consecutive int) {
			log.Printf("backup failed (%dx): %v", consecutive, err)
		},
	})
	if err != nil {
		return err
	}
	if err := m.Start(); err != nil {
		return err
	}

	// ... your application runs ...
	backups := 0
	for i := 0; i < n; i++ {
		if _, err := users.Insert(dictdb.Record{"name": fmt.Sprintf("user-%d", i), "age": 20 + i%50}); err != nil {
			return err
		}
		if (i+1)%(n/4+1) == 0 { // a few backups along the way: a full one, then deltas
			if err := m.BackupNow(ctx); err != nil {
				return err
			}
			backups++
		}
	}
	if _, err := users.Update(func(r dictdb.Record) bool { return r["age"] == int64(20) }, dictdb.Record{"age": 21}); err != nil {
		return err
	}
	if err := m.BackupNow(ctx); err != nil {
		return err
	}
	backups++
	deltas := m.DeltasSinceFull()
	m.Stop()
	fmt.Printf("wrote %d records, took %d backups (%d full, %d deltas) in %s\n", n, backups, backups-deltas, deltas, dir)

	restored, err := restore.Latest(ctx, store)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	rt, err := restored.Table("users")
	if err != nil {
		return err
	}
	if !reflect.DeepEqual(users.Select(nil), rt.Select(nil)) {
		return fmt.Errorf("restore does not match the live database")
	}
	fmt.Printf("restored %d records from %s: restore matched the live database\n", rt.Count(), dir)
	return nil
}
