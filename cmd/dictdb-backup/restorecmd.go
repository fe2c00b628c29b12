package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dictdb/dictdb-go/catalog"
	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/restore"
	"github.com/dictdb/dictdb-go/sink"
)

var restoreCommand = &command{
	name:     "restore",
	args:     "<location>",
	nargs:    1,
	location: true,
	jsonFlag: true,
	progress: true,
	summary:  "restore the latest state, or a point in time, into a DictDB file",
	help: `Rebuilds the database from the newest full backup and the deltas of its chain,
checking every checksum and that no delta is missing, and saves it to --out
(- for stdout). Without --time or --seq it restores the latest point; --time T
the newest point written at or before T; --seq N the newest point whose
sequence number is at most N. --chain ID restores from that chain only (a
chain id as "list --json" shows it, a unique prefix of one as "list" shows
it, or the key of its full backup), and --time or --seq then pick a point in
it. A database is never partly restored: a missing or corrupt object fails
the restore (exit code 1), which names the newest point that restores exactly.

T is RFC 3339 (2025-11-26T12:00:00Z, 2025-11-26T13:00:00.123456+01:00, as
"list" prints them), a date alone (2025-11-26: midnight UTC) or Unix seconds
(1764158400, 1764158400.5).

Sequence numbers count one database's writes. When two chains have a point
at or below N and their sequence numbers overlap (the newer chain starts
below where the older one ends: two databases in one prefix, or a database
restored to an earlier point and continued), --seq N is ambiguous: it is
refused with exit code 2 and the chains listed; pick one with --chain.
Successive chains of one database (each starting where the one before
ended, or later) are not ambiguous.

The output directory is checked before anything is read: the database goes
to a temporary file there, renamed into place once complete, so a failed
restore leaves no file. An existing --out file is refused unless --force.
Progress bars on stderr (with auto, on a terminal) show the download (the
size of the objects read in full) and the save (its size estimated from the
first records of each table); then a summary line on stderr: the point
restored, its tables and records. --json prints the summary to stdout as
{ok, point, out, format, tables, records}, or on failure {ok: false, error,
unaccounted: [{key, error}], missing_full_backups, newest, chains}: newest is
the newest point that restores exactly, chains those an ambiguous --seq or
--chain matched.

Examples:
  dictdb-backup restore /var/backups/db1 --out db.json
  dictdb-backup restore /var/backups/db1 --time 2025-11-26T12:00:00Z --out db.json
  dictdb-backup restore /var/backups/db1 --chain 5c0e1a2b --seq 1200 --out - | gzip > db.json.gz
  DICTDB_BACKUP_URL='s3://dictdb/db1?region=eu-west-1' dictdb-backup restore --out db.json --force`,
	flags: func(fs *flag.FlagSet) func(ctx context.Context, a *app, args []string) error {
		o := &restoreOptions{format: string(dictdb.FormatJSON)}
		fs.Func("time", "restore the newest point written at or before `T` (RFC 3339, a date, or Unix seconds)", func(v string) error {
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
		fs.StringVar(&o.chain, "chain", "", "restore from the chain `ID` only (chain id, unique prefix, or key of its full backup)")
		fs.StringVar(&o.out, "out", "", "write the database to `FILE` (required; - for stdout)")
		formats := make([]string, 0, len(dictdb.Formats()))
		for _, f := range dictdb.Formats() {
			formats = append(formats, string(f))
		}
		fs.StringVar(&o.format, "format", o.format, "`FORMAT` of the file: "+strings.Join(formats, ", "))
		fs.BoolVar(&o.force, "force", false, "overwrite an existing --out file")
		return func(ctx context.Context, a *app, args []string) error { return runRestore(ctx, a, args, o) }
	},
}

type restoreOptions struct {
	time   time.Time
	seq    *uint64
	chain  string
	out    string
	format string
	force  bool
}

// parseTime reads RFC 3339, a date alone (midnight UTC) or Unix seconds
// (with an optional fraction).
func parseTime(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
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
	return time.Time{}, fmt.Errorf("want RFC 3339 (2025-11-26T12:00:00Z), a date (2025-11-26, midnight UTC) or Unix seconds (1764158400), got %q", v)
}

func allDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// restoreJSON is what restore --json prints.
type restoreJSON struct {
	OK          bool              `json:"ok"`
	Point       *pointJSON        `json:"point,omitempty"`
	Out         string            `json:"out,omitempty"`
	Format      string            `json:"format,omitempty"`
	Tables      int               `json:"tables"`
	Records     int               `json:"records"`
	Error       string            `json:"error,omitempty"`
	Unaccounted []unaccountedJSON `json:"unaccounted,omitempty"`
	Missing     []string          `json:"missing_full_backups,omitempty"`
	Newest      *pointJSON        `json:"newest,omitempty"`
	Chains      []chainJSON       `json:"chains,omitempty"`
}

// unaccountedJSON is an object a restore could not account for.
type unaccountedJSON struct {
	Key   string `json:"key"`
	Error string `json:"error"`
}

func runRestore(ctx context.Context, a *app, args []string, o *restoreOptions) error {
	if o.out == "" {
		return usageErrorf("--out FILE is required (- for stdout)")
	}
	if !o.time.IsZero() && o.seq != nil {
		return usageErrorf("give --time or --seq, not both")
	}
	if o.out == "-" && a.json {
		return usageErrorf("--out - and --json both write to stdout: give one")
	}
	format := dictdb.Format(o.format)
	if err := format.Check(); err != nil {
		return usageErrorf("--format: %v", err)
	}
	if a.json {
		a.onFail = func(err error) { a.restoreFailedJSON(err) }
	}
	// Before anything is read: can the file be written?
	dst, err := createOutput(o.out, o.force, a.stdout)
	if err != nil {
		return err
	}
	defer dst.discard()

	s, err := a.open(ctx, args[0], true)
	if err != nil {
		return err
	}
	defer s.Close()
	cat, err := catalog.Read(ctx, s, catalog.Options{Identities: a.identities})
	if err != nil {
		return fmt.Errorf("%s: %w", s.url, err)
	}
	if err := nonEmpty(s, cat.Objects()); err != nil {
		return err
	}
	if err := a.needKeys(s, cat.Objects()); err != nil {
		return err
	}
	if err := cat.ReadHeaders(ctx); err != nil {
		return err
	}
	for _, obj := range cat.Objects() {
		if errors.Is(obj.Err, restore.ErrNoKey) {
			return explain(&restore.ObjectError{Key: obj.Key, Err: obj.Err})
		}
	}
	// The points tell what the restore will read (for the progress bar)
	// and name the point restored.
	points := cat.Points()
	var src sink.Sink = s
	hint := ""
	switch {
	case o.chain != "":
		base, err := pickChain(points, o.chain, s)
		if err != nil {
			return err
		}
		src = newChainView(s, cat, base)
		if points, err = restore.List(ctx, src, a.ropts()...); err != nil {
			return explain(err)
		}
		hint = "--chain " + o.chain + " "
	case o.seq != nil:
		if err := checkSeq(points, *o.seq); err != nil {
			return err
		}
	}
	path := planPath(points, o)

	var total int64
	keys := map[string]bool{}
	for _, p := range path {
		keys[p.Key] = true
		total += p.Size
	}
	bar := a.bar("restoring", total, "")
	if bar != nil {
		src = newCountingSink(src, keys, bar)
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
	bar.finish(err == nil)
	if err != nil {
		if errors.Is(err, restore.ErrNoBackup) {
			return noPointError(s, points, o)
		}
		return explainHint(err, hint)
	}

	save := a.bar("saving", estimateSize(db, format), "")
	err = db.Save(countingWriter{w: dst, bar: save}, format)
	if err == nil {
		err = dst.commit()
	}
	save.finish(err == nil)
	if err != nil {
		return err
	}

	records := 0
	names := db.TableNames()
	for _, name := range names {
		if t, err := db.Table(name); err == nil {
			records += t.Count()
		}
	}
	p, described := restoredPoint(db, points, path)
	if a.json {
		out := restoreJSON{OK: true, Out: o.out, Format: string(format), Tables: len(names), Records: records}
		if p != nil {
			pj := toPointJSON(*p)
			out.Point = &pj
		}
		return writeJSON(a.stdout, out)
	}
	a.infof("restored %s from %s to %s: %s, %s", described, s.url, dst.name(),
		plural(len(names), "table"), plural(records, "record"))
	return nil
}

// restoreFailedJSON prints what restore --json prints when it fails.
func (a *app) restoreFailedJSON(err error) {
	out := restoreJSON{Error: a.scrub(message(err))}
	var ue *restore.UnaccountedError
	if errors.As(err, &ue) {
		for _, e := range ue.Objects {
			uj := unaccountedJSON{Error: a.scrub(message(e))}
			var oe *restore.ObjectError
			var ge *restore.GapError
			switch {
			case errors.As(e, &oe):
				uj.Key = oe.Key
			case errors.As(e, &ge):
				uj.Key = ge.Key
			}
			out.Unaccounted = append(out.Unaccounted, uj)
		}
		out.Missing = ue.Missing
		if ue.Newest != nil {
			pj := toPointJSON(*ue.Newest)
			out.Newest = &pj
		}
	}
	var ce *chainsError
	if errors.As(err, &ce) {
		for _, c := range ce.chains {
			out.Chains = append(out.Chains, c.json())
		}
	}
	_ = writeJSON(a.stdout, out)
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

// restoredPoint returns the point db was restored from, if known, and
// its description.
func restoredPoint(db *dictdb.DB, points, path []restore.Point) (*restore.Point, string) {
	describe := func(p restore.Point) string {
		return fmt.Sprintf("%s (%s, seq %s, %s, chain %s)", p.Key, p.Kind, seqText(p), formatTime(p.Time), shortChain(p.Chain))
	}
	chain, base, seq, ok := catalog.ParseLineage(db.Lineage())
	if !ok {
		// Python-written backups leave no lineage; the plan is the best guess.
		if len(path) > 0 {
			p := path[len(path)-1]
			return &p, describe(p)
		}
		return nil, "the newest point"
	}
	for i := len(points) - 1; i >= 0; i-- {
		if p := points[i]; p.Chain == chain && p.Base == base && p.Seq == seq {
			return &p, describe(p)
		}
	}
	return nil, fmt.Sprintf("seq %d of chain %s (full backup %s)", seq, shortChain(chain), base)
}

// noPointError explains why there is nothing to restore.
func noPointError(s *store, points []restore.Point, o *restoreOptions) error {
	if len(points) == 0 {
		return problemsErrorf("no restorable backup in %s (run 'dictdb-backup verify')", s.url)
	}
	oldest := points[0]
	switch {
	case o.seq != nil:
		return nothingErrorf("no backup point with a sequence number at most %d in %s (the oldest full backup is %s, seq %s)", *o.seq, s.url, oldest.Key, seqText(oldest))
	case !o.time.IsZero():
		return nothingErrorf("no backup point at or before %s in %s (the oldest is %s, at %s)", formatTime(o.time), s.url, oldest.Key, formatTime(oldest.Time))
	}
	return nothingErrorf("no full backup in %s", s.url)
}
