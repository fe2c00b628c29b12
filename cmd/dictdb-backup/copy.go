package main

import (
	"context"
	"flag"
	"fmt"
	"sort"
	"strings"

	"github.com/dictdb/dictdb-go/catalog"
	"github.com/dictdb/dictdb-go/restore"
)

var copyCommand = &command{
	name:     "copy",
	args:     "<src> <dst>",
	nargs:    2,
	location: true,
	jsonFlag: true,
	progress: true,
	summary:  "copy a chain (or every object) between sinks, then verify the copy",
	help: `Copies backup objects from one sink to another byte for byte (they stay
compressed and encrypted as they are), streaming, full backup first and then
its deltas in order, so an interrupted copy leaves a restorable prefix. An
object already in the destination with the same size is skipped; one with
another size is replaced. Then it verifies the destination (reading every
object there through) and fails, with exit code 1, unless every copied point
restores there.

By default it copies the newest chain (the newest full backup and its
deltas). --chain ID copies another: a chain id as "list --json" shows it, a
unique prefix of one (as "list" shows it), or the key of its full backup.
--all copies every backup object, restorable or not.

Do not copy into a prefix a backup manager writes to: it would see objects it
did not write and stop (backup.ErrOtherWriter). With DICTDB_BACKUP_URL set,
the one argument is the destination. On a terminal (see --progress),
progress bars on stderr show the bytes copied, then those verified.

Examples:
  dictdb-backup copy /var/backups/db1 's3://offsite/db1?region=eu-west-1'
  dictdb-backup copy --chain 5c0e1a2b /var/backups/db1 /mnt/usb/db1
  dictdb-backup copy --all 's3://dictdb/db1?endpoint=http://127.0.0.1:9000&use_path_style=true&region=us-east-1' ./backups`,
	flags: func(fs *flag.FlagSet) func(ctx context.Context, a *app, args []string) error {
		o := &copyOptions{}
		fs.StringVar(&o.chain, "chain", "", "copy the chain `ID` (chain id, unique prefix, or key of its full backup)")
		fs.BoolVar(&o.all, "all", false, "copy every backup object")
		return func(ctx context.Context, a *app, args []string) error { return runCopy(ctx, a, args, o) }
	},
}

type copyOptions struct {
	chain string
	all   bool
}

type copiedJSON struct {
	Key  string `json:"key"`
	Size int64  `json:"size"`
}

type copyJSON struct {
	Copied   []copiedJSON  `json:"copied"`
	Skipped  []copiedJSON  `json:"skipped"`
	Bytes    int64         `json:"bytes"`
	OK       bool          `json:"ok"`
	Points   []pointJSON   `json:"points"`   // the copied points, as they restore in the destination
	Problems []problemJSON `json:"problems"` // the destination's problems with copied objects
}

func runCopy(ctx context.Context, a *app, args []string, o *copyOptions) error {
	if o.all && o.chain != "" {
		return usageErrorf("give --chain or --all, not both")
	}
	src, err := a.open(ctx, args[0], true)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := a.open(ctx, args[1], false)
	if err != nil {
		return err
	}
	defer dst.Close()

	srcObjs, err := backupObjects(ctx, src)
	if err != nil {
		return err
	}
	if err := nonEmpty(src, srcObjs); err != nil {
		return err
	}
	// The chains are in the headers, and verifying the copy reads
	// everything: both need the key.
	if err := a.needKeys(src, srcObjs); err != nil {
		return err
	}
	points, err := restore.List(ctx, src, a.ropts()...)
	if err != nil {
		return explain(err)
	}
	var want []restore.Point // the points that must restore in dst
	var todo []stored
	if o.all {
		want, todo = points, srcObjs
	} else {
		base, err := pickChain(points, o.chain, src)
		if err != nil {
			return err
		}
		keys := map[string]bool{}
		for _, p := range points {
			if p.Base == base {
				want = append(want, p)
				keys[p.Key] = true
			}
		}
		for _, obj := range srcObjs {
			if keys[obj.Key] {
				todo = append(todo, obj)
			}
		}
	}
	// Full backups before their deltas: time order, fulls first on a tie.
	sort.SliceStable(todo, func(i, j int) bool {
		if todo[i].Micros != todo[j].Micros {
			return todo[i].Micros < todo[j].Micros
		}
		return todo[i].Kind == catalog.Full && todo[j].Kind != catalog.Full
	})

	dstObjs, err := backupObjects(ctx, dst)
	if err != nil {
		return err
	}
	have := map[string]int64{}
	for _, obj := range dstObjs {
		have[obj.Key] = obj.Size
	}
	out := copyJSON{Copied: []copiedJSON{}, Skipped: []copiedJSON{}, Points: []pointJSON{}, Problems: []problemJSON{}}
	var total int64
	for _, obj := range todo {
		if size, ok := have[obj.Key]; !ok || size != obj.Size {
			total += obj.Size
		}
	}
	bar := a.bar("copying", total, "")
	for _, obj := range todo {
		if size, ok := have[obj.Key]; ok && size == obj.Size {
			out.Skipped = append(out.Skipped, copiedJSON{Key: obj.Key, Size: obj.Size})
			if !a.json {
				fmt.Fprintf(a.stdout, "skipped %s (already in the destination)\n", obj.Key)
			}
			continue
		} else if ok {
			a.warnf("%s is in the destination with another size (%d bytes, not %d): replacing it", obj.Key, size, obj.Size)
		}
		n, err := copyObject(ctx, src, dst, obj, bar)
		if err != nil {
			bar.finish(false)
			return err
		}
		out.Copied = append(out.Copied, copiedJSON{Key: obj.Key, Size: n})
		out.Bytes += n
		if !a.json {
			fmt.Fprintf(a.stdout, "copied  %s (%s)\n", obj.Key, humanSize(n))
		}
	}

	bar.finish(true)

	report, err := a.verify(ctx, dst, "verifying")
	if err != nil {
		return fmt.Errorf("verify the copy: %w", explain(err))
	}
	copied := map[string]bool{}
	for _, obj := range todo {
		copied[obj.Key] = true
	}
	for _, p := range report.Problems {
		if copied[p.Key] {
			out.Problems = append(out.Problems, problemJSON{Key: p.Key, Kind: string(p.Kind), Error: a.scrub(p.Err.Error())})
		}
	}
	restores := map[string]restore.Point{}
	for _, p := range report.Points {
		restores[p.Key] = p
	}
	var missing []string
	for _, p := range want {
		got, ok := restores[p.Key]
		if !ok || got.Seq != p.Seq || got.Chain != p.Chain {
			missing = append(missing, p.Key)
			continue
		}
		out.Points = append(out.Points, toPointJSON(got))
	}
	out.OK = len(missing) == 0
	if a.json {
		if err := writeJSON(a.stdout, out); err != nil {
			return err
		}
	} else {
		for _, p := range out.Problems {
			fmt.Fprintf(a.stdout, "problem %s: %s: %s\n", p.Key, p.Kind, oneLine(p.Error))
		}
		fmt.Fprintf(a.stdout, "copy %s -> %s: copied %s (%s), skipped %d already there; %s of %d restore in the destination\n",
			src.url, dst.url, plural(len(out.Copied), "object"), humanSize(out.Bytes), len(out.Skipped), plural(len(out.Points), "point"), len(want))
	}
	if !out.OK {
		return problemsErrorf("the copy does not verify: %s do not restore in %s: %s", plural(len(missing), "point"), dst.url, strings.Join(missing, ", "))
	}
	return nil
}

// copyObject streams one object from src to dst and returns its size.
func copyObject(ctx context.Context, src, dst *store, obj stored, bar *progress) (int64, error) {
	rc, err := src.Get(ctx, obj.Key)
	if err != nil {
		return 0, fmt.Errorf("copy %s: %w", obj.Key, err)
	}
	defer rc.Close()
	var n int64
	cr := &countingReader{ReadCloser: rc, add: func(k int64) { n += k; bar.add(k) }}
	if err := dst.Put(ctx, obj.Key, cr); err != nil {
		return n, fmt.Errorf("copy %s: %w", obj.Key, err)
	}
	if n != obj.Size {
		return n, fmt.Errorf("copy %s: read %d bytes, but the source listed %d: did it change during the copy?", obj.Key, n, obj.Size)
	}
	return n, nil
}
