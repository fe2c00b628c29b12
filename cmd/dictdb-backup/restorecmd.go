package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/dictdb/dictdb-go/catalog"
	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/restore"
	"github.com/dictdb/dictdb-go/sink"
)

var restoreCommand = &command{
	name:    "restore",
	args:    "<url>",
	nargs:   1,
	summary: "restore the latest state, or a point in time, into a DictDB file",
	help: `Rebuilds the database from the newest full backup and the deltas of its chain,
checking every checksum and that no delta is missing, and saves it to --out
atomically (a temporary file renamed into place). Without --time or --seq it
restores the latest point; --time T the newest point written at or before T;
--seq N the newest point whose sequence number is at most N. A database is
never partly restored: a missing or corrupt object fails the restore.

T is RFC 3339 (2025-11-26T12:00:00Z, 2025-11-26T13:00:00.123456+01:00, as
"list" prints them) or Unix seconds (1764158400, 1764158400.5).
An existing --out file is refused unless --force. On a terminal a progress
bar (bytes read, rate, ETA) shows on stderr; then a summary line: the point
restored, its tables and records. The bar's total is the size of the objects
the restore reads in full (from "list"); reading headers adds a little more.

Examples:
  dictdb-backup restore file:///var/backups/db1 --out db.json
  dictdb-backup restore file:///var/backups/db1 --time 2025-11-26T12:00:00Z --out db.json
  dictdb-backup restore --seq 1200 --out db.json --force 's3://dictdb/db1?endpoint=http://127.0.0.1:9000&use_path_style=true&region=us-east-1'`,
	flags: func(fs *flag.FlagSet) func(ctx context.Context, a *app, args []string) error {
		o := &restoreOptions{format: string(dictdb.FormatJSON), progress: progressAuto}
		fs.Func("time", "restore the newest point written at or before `T` (RFC 3339 or Unix seconds)", func(v string) error {
			t, err := parseTime(v)
			o.time = t
			return err
		})
		fs.Func("seq", "restore the newest point whose sequence number is at most `N`", func(v string) error {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return fmt.Errorf("want a sequence number, got %q", v)
			}
			o.seq = &n
			return nil
		})
		fs.StringVar(&o.out, "out", "", "write the database to `FILE` (required)")
		formats := make([]string, 0, len(dictdb.Formats()))
		for _, f := range dictdb.Formats() {
			formats = append(formats, string(f))
		}
		fs.StringVar(&o.format, "format", o.format, "`FORMAT` of the file: "+strings.Join(formats, ", "))
		fs.BoolVar(&o.force, "force", false, "overwrite an existing --out file")
		fs.StringVar(&o.progress, "progress", o.progress, "`MODE` of the progress bar on stderr: auto (on a terminal), always or never")
		return func(ctx context.Context, a *app, args []string) error { return runRestore(ctx, a, args, o) }
	},
}

type restoreOptions struct {
	time     time.Time
	seq      *uint64
	out      string
	format   string
	force    bool
	progress string
}

// parseTime reads RFC 3339 or Unix seconds (with an optional fraction).
func parseTime(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	sec, frac, hasFrac := strings.Cut(v, ".")
	if sec != "" && allDigits(sec) && (!hasFrac || frac != "" && len(frac) <= 9 && allDigits(frac)) {
		n, err := strconv.ParseInt(sec, 10, 64)
		if err == nil && n < 1<<40 {
			nanos, _ := strconv.ParseInt((frac + "000000000")[:9], 10, 64)
			return time.Unix(n, nanos).UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("want RFC 3339 (2025-11-26T12:00:00Z) or Unix seconds (1764158400), got %q", v)
}

func allDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func runRestore(ctx context.Context, a *app, args []string, o *restoreOptions) error {
	if o.out == "" {
		return usageErrorf("--out FILE is required")
	}
	if !o.time.IsZero() && o.seq != nil {
		return usageErrorf("give --time or --seq, not both")
	}
	format := dictdb.Format(o.format)
	if err := format.Check(); err != nil {
		return usageErrorf("--format: %v", err)
	}
	switch o.progress {
	case progressAuto, progressAlways, progressNever:
	default:
		return usageErrorf("--progress: want auto, always or never, got %q", o.progress)
	}
	if !o.force {
		if _, err := os.Lstat(o.out); err == nil {
			return fmt.Errorf("%s exists; pass --force to overwrite it", o.out)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}

	s, err := a.open(ctx, args[0], true)
	if err != nil {
		return err
	}
	defer s.Close()
	objs, err := backupObjects(ctx, s)
	if err != nil {
		return err
	}
	if len(objs) == 0 {
		return fmt.Errorf("no backups in %s", s.url)
	}
	if err := a.needKeys(s, objs); err != nil {
		return err
	}
	// The points tell what the restore will read (for the progress bar)
	// and name the point restored.
	points, err := restore.List(ctx, s, a.ropts()...)
	if err != nil {
		return explain(err)
	}
	path := planPath(points, o)

	var src sink.Sink = s
	var bar *progress
	if wantProgress(o.progress, a.stderr) {
		keys := map[string]bool{}
		var total int64
		for _, p := range path {
			keys[p.Key] = true
			total += p.Size
		}
		bar = newProgress(a.stderr, total, "restoring")
		src = &countingSink{Sink: s, keys: keys, add: bar.add}
	}
	var db *dictdb.DB
	switch {
	case o.seq != nil:
		db, err = restore.ToSeq(ctx, src, *o.seq, a.ropts()...)
	case !o.time.IsZero():
		db, err = restore.ToTime(ctx, src, o.time, a.ropts()...)
	default:
		db, err = restore.Latest(ctx, src, a.ropts()...)
	}
	if bar != nil {
		bar.finish(err == nil)
	}
	if err != nil {
		if errors.Is(err, restore.ErrNoBackup) {
			return noPointError(s, points, o)
		}
		return explain(err)
	}
	if err := db.SaveFile(o.out, format); err != nil {
		return err
	}

	records := 0
	names := db.TableNames()
	for _, name := range names {
		if t, err := db.Table(name); err == nil {
			records += t.Count()
		}
	}
	a.infof("restored %s from %s to %s: %s, %s", describeRestored(db, points, path), s.url, o.out,
		plural(len(names), "table"), plural(records, "record"))
	return nil
}

// planPath returns the points a restore with o reads in full, in order:
// the full backup and the deltas up to the target. It follows the restore
// package's choice: the newest full backup at or before the target, then its
// chain's points up to the target.
func planPath(points []restore.Point, o *restoreOptions) []restore.Point {
	accept := func(p restore.Point) bool { return true }
	switch {
	case o.seq != nil:
		accept = func(p restore.Point) bool { return p.Chain != "" && p.Seq <= *o.seq }
	case !o.time.IsZero():
		accept = func(p restore.Point) bool { return !p.Time.After(o.time) }
	}
	base := ""
	for i := len(points) - 1; i >= 0; i-- {
		if p := points[i]; p.Kind == catalog.Full && accept(p) {
			base = p.Key
			break
		}
	}
	var path []restore.Point
	for _, p := range points {
		if p.Base == base && base != "" && accept(p) {
			path = append(path, p)
		}
	}
	return path
}

// describeRestored names the point db was restored from.
func describeRestored(db *dictdb.DB, points, path []restore.Point) string {
	describe := func(p restore.Point) string {
		return fmt.Sprintf("%s (%s, seq %s, %s, chain %s)", p.Key, p.Kind, seqText(p), formatTime(p.Time), shortChain(p.Chain))
	}
	chain, base, seq, ok := catalog.ParseLineage(db.Lineage())
	if !ok {
		// Python-written backups leave no lineage; the plan is the best guess.
		if len(path) > 0 {
			return describe(path[len(path)-1])
		}
		return "the newest point"
	}
	for i := len(points) - 1; i >= 0; i-- {
		if p := points[i]; p.Chain == chain && p.Base == base && p.Seq == seq {
			return describe(p)
		}
	}
	return fmt.Sprintf("seq %d of chain %s (full backup %s)", seq, shortChain(chain), base)
}

// noPointError explains why there is nothing to restore.
func noPointError(s *store, points []restore.Point, o *restoreOptions) error {
	if len(points) == 0 {
		return fmt.Errorf("no restorable backup in %s (run 'dictdb-backup verify')", s.url)
	}
	oldest := points[0]
	switch {
	case o.seq != nil:
		return fmt.Errorf("no backup point with a sequence number at most %d in %s (the oldest full backup is %s, seq %s)", *o.seq, s.url, oldest.Key, seqText(oldest))
	case !o.time.IsZero():
		return fmt.Errorf("no backup point at or before %s in %s (the oldest is %s, at %s)", formatTime(o.time), s.url, oldest.Key, formatTime(oldest.Time))
	}
	return fmt.Errorf("no full backup in %s", s.url)
}
