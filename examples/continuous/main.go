// Command continuous backs a database up continuously to a local
// directory: every change is in the sink within MaxLag, and writers that
// must not lose a change wait until it is durable.
//
//	go run ./examples/continuous [-dir ./backups-continuous] [-writers 8] [-writes 50]
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"sync"
	"time"

	"github.com/dictdb/dictdb-go/backup"
	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/restore"
	"github.com/dictdb/dictdb-go/sink/local"
)

func main() {
	dir := flag.String("dir", "./backups-continuous", "backup directory")
	writers := flag.Int("writers", 8, "concurrent writers")
	writes := flag.Int("writes", 50, "durable writes per writer")
	flag.Parse()
	if err := run(*dir, *writers, *writes); err != nil {
		log.Fatal(err)
	}
}

func run(dir string, writers, writes int) error {
	ctx := context.Background()
	db := dictdb.New()
	orders, err := db.CreateTable("orders", dictdb.WithPrimaryKey("id"))
	if err != nil {
		return err
	}
	store, err := local.New(dir)
	if err != nil {
		return err
	}
	m, err := backup.NewManager(db, store, backup.Options{
		MaxLag: 50 * time.Millisecond, // a crash loses at most 50 ms of changes
		OnFailure: func(err error, consecutive int) {
			log.Printf("flush failed (%dx), retrying: %v", consecutive, err)
		},
	})
	if err != nil {
		return err
	}
	if err := m.Start(); err != nil {
		return err
	}

	// Each writer places an order, then waits until it is in the sink
	// before it confirms it: a confirmed order survives any crash.
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	start := time.Now()
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < writes; i++ {
				if _, err := orders.Insert(dictdb.Record{"id": fmt.Sprintf("w%d-%d", w, i), "amount": i}); err != nil {
					errs <- err
					return
				}
				if err := m.WaitDurable(ctx, db.Sequence()); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	took := time.Since(start)
	stats := m.Stats()
	if err := m.Close(ctx); err != nil { // flush what is left, release the lease
		return err
	}
	fmt.Printf("%d durable writes by %d writers in %v: %d backups written (group commit)\n",
		writers*writes, writers, took.Round(time.Millisecond), stats.Backups)

	restored, err := restore.Latest(ctx, store)
	if err != nil {
		return err
	}
	ro, err := restored.Table("orders")
	if err != nil {
		return err
	}
	fmt.Printf("restored %d orders from %s, the live database has %d\n", ro.Count(), dir, orders.Count())
	if ro.Count() != orders.Count() {
		return fmt.Errorf("the restore lost orders")
	}
	return nil
}
