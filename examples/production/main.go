// Command production is the guide's Production Setup: incremental backups
// every minute with a failure handler, a change notification after a batch,
// a final full backup on shutdown, and a restore that checks the data.
//
//	go run ./examples/production [-dir ./data/backups]
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"time"

	"github.com/dictdb/dictdb-go/backup"
	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/restore"
	"github.com/dictdb/dictdb-go/sink/local"
)

func main() {
	dir := flag.String("dir", "./backups", "backup directory")
	flag.Parse()
	if err := run(*dir); err != nil {
		slog.Error("production example failed", "err", err)
		os.Exit(1)
	}
}

func run(dir string) (err error) {
	ctx := context.Background()

	// Initialize database
	db := dictdb.New()
	events, err := db.CreateTable("events", dictdb.WithPrimaryKey("event_id"))
	if err != nil {
		return err
	}

	// Failure handler with logging
	onFailure := func(err error, count int) {
		slog.Error("backup failed", "count", count, "err", err)
		if count >= 5 {
			slog.Error("multiple backup failures: check disk space!")
		}
	}

	// Create backup manager
	store, err := local.New(dir) // creates the directory
	if err != nil {
		return err
	}
	m, err := backup.NewManager(db, store, backup.Options{
		Interval:            time.Minute,
		Format:              dictdb.FormatJSON,
		MinInterval:         10 * time.Second,
		OnFailure:           onFailure,
		Incremental:         true,
		MaxDeltasBeforeFull: 20,
	})
	if err != nil {
		return err
	}

	// Start backups
	if err := m.Start(); err != nil {
		return err
	}
	defer func() {
		// Ensure final backup on shutdown
		if ferr := m.BackupFull(ctx); ferr != nil && err == nil {
			err = ferr
		}
		m.Stop()
		if err == nil {
			err = check(ctx, db, store)
		}
	}()

	// Application logic: after batch operations, trigger backup
	for i := 0; i < 100; i++ {
		if _, err := events.Insert(dictdb.Record{"event_id": i, "type": "click"}); err != nil {
			return err
		}
	}
	m.NotifyChange()
	fmt.Println("inserted 100 events and notified the backup manager")
	return nil
}

// check restores the newest backup and compares it with the live database.
func check(ctx context.Context, db *dictdb.DB, store *local.Sink) error {
	restored, err := restore.Latest(ctx, store)
	if err != nil {
		return err
	}
	for _, name := range db.TableNames() {
		want, _ := db.Table(name)
		got, err := restored.Table(name)
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(want.Select(nil), got.Select(nil)) {
			return fmt.Errorf("table %s: restore differs from the live data", name)
		}
		fmt.Printf("restored table %s: %d records, identical to the live data\n", name, got.Count())
	}
	return nil
}
