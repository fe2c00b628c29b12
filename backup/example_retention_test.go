package backup_test

import (
	"context"
	"fmt"
	"os"

	"github.com/dictdb/dictdb-go/backup"
	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/restore"
	"github.com/dictdb/dictdb-go/sink/local"
)

// Prune applies a retention policy to the backups in a sink: here, three
// chains of a full backup and a delta, of which only the newest point is
// kept. A dry run shows the plan first; the objects the kept point needs
// stay. A Manager does the same after each full backup when
// Options.Retention is set.
func ExamplePrune() {
	dir, _ := os.MkdirTemp("", "dictdb-prune-")
	defer os.RemoveAll(dir)
	store, _ := local.New(dir)

	db := dictdb.New()
	users, _ := db.CreateTable("users")
	m, _ := backup.NewManager(db, store, backup.Options{Interval: -1, Incremental: true})
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		users.Insert(dictdb.Record{"name": fmt.Sprint("full ", i)})
		m.BackupFull(ctx)
		users.Insert(dictdb.Record{"name": fmt.Sprint("delta ", i)})
		m.BackupDelta(ctx)
	}
	m.Stop()

	policy := backup.Retention{KeepLast: 1}
	plan, _ := backup.Prune(ctx, store, policy, backup.PruneOptions{DryRun: true})
	fmt.Println("would delete", len(plan.Deleted), "objects")

	res, err := backup.Prune(ctx, store, policy, backup.PruneOptions{})
	if err != nil {
		fmt.Println("prune:", err)
	}
	fmt.Println("deleted", len(res.Deleted), "objects")
	for _, p := range res.Kept {
		fmt.Println("kept a", p.Kind)
	}
	for _, r := range res.Retained {
		fmt.Println("retained its full backup:", r.Reason)
	}

	restored, _ := restore.Latest(ctx, store)
	t, _ := restored.Table("users")
	fmt.Println("latest restores", t.Count(), "users")
	// Output:
	// would delete 4 objects
	// deleted 4 objects
	// kept a delta
	// retained its full backup: in the active chain
	// latest restores 6 users
}
