package metrics_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dictdb/dictdb-go/backup"
	"github.com/dictdb/dictdb-go/backup/metrics"
	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/sink/mem"
)

// Metrics of a Manager's backups and of its sink's operations. In a
// program, reg would be prometheus.DefaultRegisterer, served by promhttp.
func Example() {
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		fmt.Println(err)
		return
	}
	store := m.Sink("mem://", mem.New()) // a redacted URL names the sink

	db := dictdb.New()
	users, _ := db.CreateTable("users")
	mgr, _ := backup.NewManager(db, store, backup.Options{Interval: -1, OnBackup: m.Observe})
	defer mgr.Stop()
	users.Insert(dictdb.Record{"name": "Alice"})
	mgr.BackupFull(context.Background())

	printCounters(reg, "dictdb_backup_total", "dictdb_sink_operations_total")
	// The first backup takes the prefix's lease (a get_version that finds
	// none, then a put_if), lists the prefix once, and puts the backup.
	// Output:
	// dictdb_backup_total{kind="full",result="success"} 1
	// dictdb_sink_operations_total{op="get_version",result="not_found",sink="mem://"} 1
	// dictdb_sink_operations_total{op="list",result="success",sink="mem://"} 1
	// dictdb_sink_operations_total{op="put",result="success",sink="mem://"} 1
	// dictdb_sink_operations_total{op="put_if",result="success",sink="mem://"} 1
}

// printCounters prints the non-zero counters of the named families.
func printCounters(g prometheus.Gatherer, names ...string) {
	fams, _ := g.Gather()
	for _, f := range fams {
		for _, n := range names {
			if f.GetName() != n {
				continue
			}
			for _, mt := range f.GetMetric() {
				if mt.GetCounter().GetValue() == 0 {
					continue
				}
				var labels []string
				for _, l := range mt.GetLabel() {
					labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
				}
				fmt.Printf("%s{%s} %g\n", n, strings.Join(labels, ","), mt.GetCounter().GetValue())
			}
		}
	}
}
