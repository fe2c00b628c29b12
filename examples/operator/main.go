// Command operator writes the kind of backups an operator looks after:
// incremental, zstd-compressed, age-encrypted, fanned out to two sinks,
// pruned by a retention policy, with structured logs and Prometheus
// metrics. It leaves the backups in place for the dictdb-backup CLI to
// list, verify, restore and prune.
//
//	go run ./examples/operator [-dir ./ops] [-url s3://bucket/db1?endpoint=...] [-key ./ops/key.txt] [-start 2026-01-05T09:00:00Z]
//
// The backups go to <dir>/primary and to -url if given, else to
// <dir>/secondary; -dir is a plain path, relative or absolute. The age
// identity is written to -key (default <dir>/key.txt) unless it exists;
// give it to dictdb-backup with --identity. -start fixes the clock that
// names the backups: the first batch is written at that time and each
// next one 10 minutes later, so that the output is the same on every run.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"time"

	"filippo.io/age"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/dictdb/dictdb-go/backup"
	"github.com/dictdb/dictdb-go/backup/metrics"
	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/restore"
	"github.com/dictdb/dictdb-go/sink"
	_ "github.com/dictdb/dictdb-go/sink/all"
)

func main() {
	dir := flag.String("dir", "./ops", "working directory: the local backups and the key")
	url := flag.String("url", "", "second sink URL (default: <dir>/secondary)")
	keyFile := flag.String("key", "", "age identity file (default: <dir>/key.txt; created if missing)")
	start := flag.String("start", "", "fixed clock: the time of the first batch (RFC 3339); each next batch 10 minutes later (default: the real clock)")
	flag.Parse()
	if *keyFile == "" {
		*keyFile = filepath.Join(*dir, "key.txt")
	}
	clock := &batchClock{}
	if *start != "" {
		t, err := time.Parse(time.RFC3339, *start)
		if err != nil {
			slog.Error("operator example: -start: want RFC 3339, like 2026-01-05T09:00:00Z", "err", err)
			os.Exit(2)
		}
		clock.start = t.UTC()
	}
	if err := run(context.Background(), os.Stdout, *dir, *url, *keyFile, clock); err != nil {
		slog.Error("operator example failed", "err", err)
		os.Exit(1)
	}
}

// batchClock is the manager's clock: the real one, or with a start time,
// start plus 10 minutes per batch.
type batchClock struct {
	start time.Time
	batch atomic.Int64
}

// now is backup.Options.Now; nil with no start time (the real clock).
func (c *batchClock) now() func() time.Time {
	if c.start.IsZero() {
		return nil
	}
	return func() time.Time { return c.start.Add(time.Duration(c.batch.Load()) * 10 * time.Minute) }
}

// fileURL returns the file:// URL of the local directory dir, relative
// (file://./ops/primary) or absolute (file:///var/ops/primary) as dir is.
func fileURL(dir string) string {
	dir = filepath.ToSlash(filepath.Clean(dir))
	if !strings.HasPrefix(dir, "/") && dir != ".." && !strings.HasPrefix(dir, "../") {
		dir = "./" + dir
	}
	return "file://" + dir
}

func run(ctx context.Context, out io.Writer, dir, url, keyFile string, clock *batchClock) error {
	id, err := loadOrCreateKey(keyFile)
	if err != nil {
		return err
	}
	if url == "" {
		url = fileURL(filepath.Join(dir, "secondary"))
	}
	primary, err := sink.OpenNamed(ctx, fileURL(filepath.Join(dir, "primary")))
	if err != nil {
		return err
	}
	secondary, err := sink.OpenNamed(ctx, url)
	if err != nil {
		return err
	}

	reg := prometheus.NewRegistry()
	pm, err := metrics.New(reg)
	if err != nil {
		return err
	}
	// Count each sink's operations, then write every object to both.
	primary.Sink = pm.Sink(primary.Name, primary.Sink)
	secondary.Sink = pm.Sink(secondary.Name, secondary.Sink)
	store, err := sink.Multi([]sink.Named{primary, secondary})
	if err != nil {
		return err
	}
	defer store.Close()

	db := dictdb.New()
	orders, err := db.CreateTable("orders", dictdb.WithPrimaryKey("id"),
		dictdb.WithSchema(dictdb.Schema{"id": dictdb.Int, "customer": dictdb.String, "total": dictdb.Float}))
	if err != nil {
		return err
	}
	m, err := backup.NewManager(db, store, backup.Options{
		Interval:            -1, // this example takes its backups by hand
		Incremental:         true,
		MaxDeltasBeforeFull: 3,
		Compression:         backup.CompressionZstd,
		Encryption: &backup.Encryption{
			Recipients: []age.Recipient{id.Recipient()},
			Identities: []age.Identity{id}, // lets retention read the headers
		},
		Retention: backup.Retention{KeepLast: 3},
		Logger:    slog.New(slog.NewTextHandler(os.Stderr, nil)),
		OnBackup:  pm.Observe,
		Now:       clock.now(),
	})
	if err != nil {
		return err
	}
	defer m.Stop()

	// Three chains of a full backup and three deltas, one batch of orders
	// each; retention keeps the last three points and what they need.
	for batch := 0; batch < 12; batch++ {
		clock.batch.Store(int64(batch))
		for i := 0; i < 500; i++ {
			id := int64(batch*500 + i)
			if _, err := orders.Upsert(dictdb.Record{"id": id, "customer": fmt.Sprintf("c%03d", id%97), "total": float64(id%1000) / 10}); err != nil {
				return err
			}
		}
		if err := m.BackupNow(ctx); err != nil {
			return err
		}
	}

	st := m.Stats()
	fmt.Fprintf(out, "backups: %d (%d full), %d bytes written, %d pruned, last %s %s\n",
		st.Backups, st.FullBackups, st.BytesWritten, st.Pruned, st.LastKind, st.LastKey)
	families, err := reg.Gather()
	if err != nil {
		return err
	}
	for _, f := range families {
		if strings.HasPrefix(f.GetName(), "dictdb_backup_total") {
			for _, mf := range f.GetMetric() {
				var labels []string
				for _, l := range mf.GetLabel() {
					labels = append(labels, l.GetName()+"="+l.GetValue())
				}
				fmt.Fprintf(out, "%s{%s} %v\n", f.GetName(), strings.Join(labels, ","), mf.GetCounter().GetValue())
			}
		}
	}

	// Both copies restore to the live state, with the key only.
	for _, n := range []sink.Named{primary, secondary} {
		got, err := restore.Latest(ctx, n.Sink, restore.WithIdentities(id))
		if err != nil {
			return fmt.Errorf("%s: %w", n.Name, err)
		}
		gotOrders, err := got.Table("orders")
		if err != nil {
			return fmt.Errorf("%s: %w", n.Name, err)
		}
		if !reflect.DeepEqual(orders.Select(nil), gotOrders.Select(nil)) {
			return fmt.Errorf("%s: restore differs from the live data", n.Name)
		}
		if _, err := restore.Latest(ctx, n.Sink); !errors.Is(err, restore.ErrNoKey) {
			return fmt.Errorf("%s: restore without the key: %v, want ErrNoKey", n.Name, err)
		}
		fmt.Fprintf(out, "%s: restored %d orders, identical to the live data\n", n.Name, gotOrders.Count())
	}
	return nil
}

// loadOrCreateKey reads the age identity in path, or creates one there
// (mode 0600) if the file does not exist.
func loadOrCreateKey(path string) (*age.X25519Identity, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		id, err := age.GenerateX25519Identity()
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		content := fmt.Sprintf("# public key: %s\n%s\n", id.Recipient(), id)
		return id, os.WriteFile(path, []byte(content), 0o600)
	}
	if err != nil {
		return nil, err
	}
	ids, err := age.ParseIdentities(strings.NewReader(string(b)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	x, ok := ids[0].(*age.X25519Identity)
	if !ok {
		return nil, fmt.Errorf("%s: not an X25519 identity", path)
	}
	return x, nil
}
