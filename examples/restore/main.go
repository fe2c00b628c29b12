// Command restore writes a full backup and a few deltas, then restores them
// the way the guide's "Restoring from Backups" does: first the latest full
// backup alone, then the full backup with every later delta applied in order.
//
//	go run ./examples/restore [-dir ./backups]
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"github.com/dictdb/dictdb-go/backup"
	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/restore"
	"github.com/dictdb/dictdb-go/sink/local"
)

func main() {
	dir := flag.String("dir", "./backups", "backup directory")
	flag.Parse()
	if err := run(*dir); err != nil {
		log.Fatal(err)
	}
}

func run(dir string) error {
	ctx := context.Background()
	// A fresh subdirectory, so the walk below sees only this run's chain.
	dir = filepath.Join(dir, "restore-example")
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	store, err := local.New(dir)
	if err != nil {
		return err
	}

	db := dictdb.New()
	users, _ := db.CreateTable("users")
	m, err := backup.NewManager(db, store, backup.Options{Incremental: true})
	if err != nil {
		return err
	}
	users.Insert(dictdb.Record{"name": "Alice", "age": 30})
	users.Insert(dictdb.Record{"name": "Bob", "age": 25})
	if err := m.BackupNow(ctx); err != nil { // the full backup
		return err
	}
	users.Update(func(r dictdb.Record) bool { return r["name"] == "Alice" }, dictdb.Record{"age": 31})
	if err := m.BackupNow(ctx); err != nil { // delta 1
		return err
	}
	users.Delete(func(r dictdb.Record) bool { return r["name"] == "Bob" })
	users.Insert(dictdb.Record{"name": "Carol", "age": 41})
	if err := m.BackupNow(ctx); err != nil { // delta 2
		return err
	}
	m.Stop()

	// By hand, as in the guide: load the latest full backup...
	fulls, _ := filepath.Glob(filepath.Join(dir, "dictdb_backup_*.json"))
	sort.Strings(fulls)
	latest := fulls[len(fulls)-1]
	restored, err := dictdb.LoadFile(latest, dictdb.FormatJSON)
	if err != nil {
		return err
	}
	fmt.Printf("loaded %s\n", filepath.Base(latest))
	// ...and apply the deltas in chronological order.
	deltas, _ := filepath.Glob(filepath.Join(dir, "dictdb_delta_*.json"))
	sort.Strings(deltas)
	for _, path := range deltas {
		if filepath.Base(path) < strings.Replace(filepath.Base(latest), "backup", "delta", 1) {
			continue // older than the full backup
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		affected, err := restore.ApplyDelta(restored, f)
		f.Close()
		if err != nil {
			return err
		}
		fmt.Printf("applied %s: %d records\n", filepath.Base(path), affected)
	}
	show(restored)

	// Or in one call, with chain and gap checks.
	latestDB, err := restore.Latest(ctx, store)
	if err != nil {
		return err
	}
	t1, _ := restored.Table("users")
	t2, _ := latestDB.Table("users")
	fmt.Printf("restore.Latest gives the same %d records: %v\n", t2.Count(), reflect.DeepEqual(t1.Select(nil), t2.Select(nil)))
	return nil
}

func show(db *dictdb.DB) {
	t, _ := db.Table("users")
	for _, r := range t.Select(nil) {
		fmt.Printf("  id=%v name=%v age=%v\n", r["id"], r["name"], r["age"])
	}
}
