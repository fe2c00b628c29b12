package zzprof

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/dictdb/dictdb-go/backup"
	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/sink/local"
)

func TestProf(t *testing.T) {
	ctx := context.Background()
	db := dictdb.New()
	users, _ := db.CreateTable("users")
	cities := []string{"Berlin", "Paris", "Lisbon", "Oslo"}
	for i := 0; i < 1000000; i++ {
		users.Insert(dictdb.Record{"name": fmt.Sprintf("user-%d", i), "email": fmt.Sprintf("user%d@example.com", i), "age": int64(18 + i%60), "city": cities[i%4], "score": float64(i%1000) / 10})
	}
	dir := t.TempDir()
	s, _ := local.New(dir)
	f := dictdb.Format(os.Getenv("FMT"))
	if f == "" {
		f = dictdb.FormatJSON
	}
	m, _ := backup.NewManager(db, s, backup.Options{Interval: -1, Format: f, LeaseTTL: -1})
	defer m.Stop()
	for i := 0; i < 2; i++ {
		st := time.Now()
		m.BackupFull(ctx)
		fmt.Println("backup", i, time.Since(st))
	}
	runtime.GC()
	pf, _ := os.Create("/tmp/full.prof")
	pprof.StartCPUProfile(pf)
	st := time.Now()
	m.BackupFull(ctx)
	fmt.Println("profiled", time.Since(st))
	pprof.StopCPUProfile()
}
