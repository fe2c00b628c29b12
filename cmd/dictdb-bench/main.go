// Command dictdb-bench measures the performance targets of dictdb and its
// backups, each against a baseline run in the same process, and prints one
// table (or JSON with -json):
//
//	go run ./cmd/dictdb-bench                    # 1M records, a temporary local directory
//	go run ./cmd/dictdb-bench -quick             # 100k records, for a smoke run
//	go run ./cmd/dictdb-bench -sink s3://bucket/bench?region=eu-west-1
//
// BENCHMARKS.md describes every row and the latest results.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/dictdb/dictdb-go/sink"
	_ "github.com/dictdb/dictdb-go/sink/all"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "dictdb-bench:", err)
		os.Exit(1)
	}
}

// result is the -json output.
type result struct {
	Machine machine `json:"machine"`
	Rows    []row   `json:"rows"`
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dictdb-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	records := fs.Int("records", 1_000_000, "records in the benchmark database")
	sinkURL := fs.String("sink", "", "sink URL to back up to (default: a temporary local directory)")
	quick := fs.Bool("quick", false, "100,000 records and fewer repeats, for a smoke run")
	asJSON := fs.Bool("json", false, "print JSON instead of the table")
	repeats := fs.Int("repeats", 3, "runs of each throughput measurement; the best one counts")
	quiet := fs.Bool("q", false, "no progress messages on stderr")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	cfg := config{Records: *records, Repeats: *repeats, Deltas: 15, Progress: stderr}
	if *quick {
		cfg.Records, cfg.Repeats, cfg.Deltas = 100_000, 2, 8
	}
	if *quiet {
		cfg.Progress = nil
	}
	if cfg.Records < 1 || cfg.Repeats < 1 {
		return fmt.Errorf("-records and -repeats must be positive")
	}
	cfg.InsertOps = min(max(cfg.Records/5, 2000), 200_000)

	url := *sinkURL
	if url == "" {
		dir, err := os.MkdirTemp("", "dictdb-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		url = "file://" + filepath.ToSlash(dir)
	}
	s, err := sink.Open(ctx, url)
	if err != nil {
		return err
	}
	defer s.Close()

	start := time.Now()
	b := &bench{cfg: cfg, ctx: ctx, root: s, prefix: fmt.Sprintf("dictdb-bench-%d/", start.UnixNano())}
	info := machineInfo()
	info.Records, info.Sink, info.Repeats = cfg.Records, redact(url), cfg.Repeats
	err = b.run()
	if cerr := (prefixed{Sink: s, prefix: b.prefix}).clear(ctx); err == nil && cerr != nil {
		err = fmt.Errorf("remove the benchmark's objects: %w", cerr)
	}
	if err != nil {
		return err
	}
	info.Seconds = time.Since(start).Seconds()
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(result{Machine: info, Rows: b.rows})
	}
	return printTable(stdout, info, b.rows)
}

// redact returns rawURL as sink.Redact prints it, or as written if that
// hides nothing.
func redact(rawURL string) string {
	u, err := sink.Parse(rawURL)
	if err != nil {
		return "(invalid URL)"
	}
	if r := sink.Redact(u); r != u.String() {
		return r
	}
	return rawURL
}

func printTable(w io.Writer, m machine, rows []row) error {
	fmt.Fprintf(w, "dictdb-bench: %d records, best of %d, sink %s\n", m.Records, m.Repeats, m.Sink)
	fmt.Fprintf(w, "%s, %s, %d CPUs, GOMAXPROCS %d, %s, load average %s, %.0f s\n\n",
		m.CPU, m.OS, m.NumCPU, m.GOMAXPROCS, m.GoVersion, m.Load, m.Seconds)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "measurement\tours\tbaseline (same process)\tratio\ttarget\tmet")
	for _, r := range rows {
		target, ok := "-", "-"
		if r.Target != "" {
			target = r.Target
		}
		if r.Met != nil {
			ok = map[bool]string{true: "yes", false: "NO"}[*r.Met]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f %s\t%s\t%s\n", r.Name, r.OursText, r.BaselineText, r.Ratio, r.RatioIs, target, ok)
	}
	return tw.Flush()
}
