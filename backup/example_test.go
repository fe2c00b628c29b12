package backup_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/dictdb/dictdb-go/catalog"

	"github.com/dictdb/dictdb-go/backup"
	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/restore"
	"github.com/dictdb/dictdb-go/sink/local"
)

// tempDir stands in for "./backups" so the examples leave nothing behind.
func tempDir() string {
	dir, err := os.MkdirTemp("", "dictdb-example-")
	if err != nil {
		panic(err)
	}
	return dir
}

// files lists the backup files in dir as F (full) and D (delta), oldest first.
func files(dir string) string {
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		if _, ok := catalog.Parse(e.Name()); ok { // not the lease
			names = append(names, e.Name())
		}
	}
	sort.Slice(names, func(i, j int) bool { return stamp(names[i]) < stamp(names[j]) })
	var b strings.Builder
	for _, n := range names {
		b.WriteByte(map[bool]byte{true: 'F', false: 'D'}[strings.HasPrefix(n, "dictdb_backup_")])
	}
	return b.String()
}

func stamp(name string) string {
	name = strings.TrimPrefix(strings.TrimPrefix(name, "dictdb_backup_"), "dictdb_delta_")
	return name
}

// The guide's Basic Usage: periodic backups to a directory.
func Example() {
	dir := tempDir()
	defer os.RemoveAll(dir)

	db := dictdb.New()
	users, _ := db.CreateTable("users")

	store, _ := local.New(dir)
	m, _ := backup.NewManager(db, store, backup.Options{
		Interval: 5 * time.Minute,
		Format:   dictdb.FormatJSON,
	})
	m.Start()

	users.Insert(dictdb.Record{"name": "Alice"}) // ... your application runs ...
	m.BackupNow(context.Background())

	m.Stop()
	fmt.Println(files(dir))
	// Output: F
}

// Incremental mode: a full backup, then deltas, then a full one again after
// MaxDeltasBeforeFull deltas.
func Example_incremental() {
	dir := tempDir()
	defer os.RemoveAll(dir)
	db := dictdb.New()
	events, _ := db.CreateTable("events", dictdb.WithPrimaryKey("event_id"))
	store, _ := local.New(dir)
	m, _ := backup.NewManager(db, store, backup.Options{Incremental: true, MaxDeltasBeforeFull: 3})
	defer m.Stop()

	ctx := context.Background()
	for i := 0; i < 6; i++ {
		events.Insert(dictdb.Record{"type": "click", "n": i})
		m.BackupNow(ctx)
	}
	fmt.Println(files(dir), "deltas since full:", m.DeltasSinceFull())
	// Output: FDDDFD deltas since full: 1
}

// Failure handling: the callback sees every failure and the count of
// consecutive ones; the method returns the error too.
func Example_failureHandling() {
	dir := tempDir()
	defer os.RemoveAll(dir)
	store, _ := local.New(dir)
	db := dictdb.New()
	db.CreateTable("users")
	m, _ := backup.NewManager(db, store, backup.Options{
		OnFailure: func(err error, consecutive int) {
			fmt.Printf("Backup failed (%dx)\n", consecutive)
			if consecutive >= 3 {
				fmt.Println("ALERT: backup system failing!")
			}
		},
	})
	defer m.Stop()

	os.Chmod(dir, 0o500) // make the directory read-only to force failures
	defer os.Chmod(dir, 0o755)
	if os.Geteuid() == 0 { // root ignores permissions: take the directory away instead
		os.RemoveAll(dir)
		os.WriteFile(dir, nil, 0o644)
		defer os.Remove(dir)
	}
	for i := 0; i < 3; i++ {
		m.BackupNow(context.Background())
	}
	if m.ConsecutiveFailures() > 0 {
		fmt.Printf("Warning: %d consecutive failures\n", m.ConsecutiveFailures())
	}
	// Output:
	// Backup failed (1x)
	// Backup failed (2x)
	// Backup failed (3x)
	// ALERT: backup system failing!
	// Warning: 3 consecutive failures
}

// Change notification: a backup after a batch of writes, at most once per
// MinInterval; a notification inside the interval is deferred, not dropped.
func ExampleManager_NotifyChange() {
	dir := tempDir()
	defer os.RemoveAll(dir)
	store, _ := local.New(dir)
	db := dictdb.New()
	events, _ := db.CreateTable("events", dictdb.WithPrimaryKey("event_id"))
	m, _ := backup.NewManager(db, store, backup.Options{MinInterval: time.Hour})
	m.Start()

	for i := 0; i < 100; i++ {
		events.Insert(dictdb.Record{"event_id": i, "type": "click"})
	}
	m.NotifyChange() // backs up now: no backup was taken in the last hour
	events.Insert(dictdb.Record{"event_id": 100, "type": "view"})
	m.NotifyChange() // deferred for an hour, or until Stop

	m.Stop()
	db2, _ := restore.Latest(context.Background(), store)
	t, _ := db2.Table("events")
	fmt.Println(t.Count(), "events restored")
	// Output: 101 events restored
}

// Restoring: the newest full backup plus every later delta of its chain.
func Example_restore() {
	dir := tempDir()
	defer os.RemoveAll(dir)
	store, _ := local.New(filepath.Join(dir, "backups"))
	db := dictdb.New()
	users, _ := db.CreateTable("users")
	m, _ := backup.NewManager(db, store, backup.Options{Incremental: true})
	ctx := context.Background()
	users.Insert(dictdb.Record{"name": "Alice"})
	m.BackupNow(ctx) // full
	users.Insert(dictdb.Record{"name": "Bob"})
	m.BackupNow(ctx) // delta
	m.Stop()

	restored, err := restore.Latest(ctx, store)
	if err != nil {
		fmt.Println(err)
		return
	}
	t, _ := restored.Table("users")
	for _, r := range t.Select(nil) {
		fmt.Println(r["id"], r["name"])
	}
	// Output:
	// 1 Alice
	// 2 Bob
}
