package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/dictdb/dictdb-go/backup"
)

var pruneCommand = &command{
	name:     "prune",
	args:     "<location>",
	nargs:    1,
	location: true,
	jsonFlag: true,
	progress: true,
	summary:  "delete the backups a retention policy does not keep (dry run unless --yes)",
	help: `Applies a retention policy (backup.Prune): it keeps the newest --keep-last N
points, the newest point of each of the last --keep-daily N days and of each
of the last --keep-weekly N ISO weeks (UTC), and deletes the objects no kept
point needs. It never deletes the active chain (the newest), what a kept point
needs to restore (its full backup and earlier deltas), nor objects it cannot
place (unreadable, orphan, after a gap): those are kept, with the reason.

Without --yes it is a dry run: it prints what it would keep and delete and
deletes nothing. Give at least one --keep-* flag.
--json prints {dry_run, kept: [points], retained: [{key, reason, error}],
deleted: [keys], bytes}. Exit code 4 when the location holds no backup
objects.

On a terminal (see --progress), progress bars on stderr show the headers
read and, with --yes, the bytes deleted; for the second bar's total, prune
first plans the deletion as a dry run does (reading the headers twice).

Examples:
  dictdb-backup prune /var/backups/db1 --keep-last 10 --keep-daily 7
  dictdb-backup prune /var/backups/db1 --keep-last 10 --keep-daily 7 --keep-weekly 4 --yes`,
	flags: func(fs *flag.FlagSet) func(ctx context.Context, a *app, args []string) error {
		o := &pruneOptions{}
		fs.IntVar(&o.r.KeepLast, "keep-last", 0, "keep the newest `N` points")
		fs.IntVar(&o.r.KeepDaily, "keep-daily", 0, "keep the newest point of each of the last `N` days that have one")
		fs.IntVar(&o.r.KeepWeekly, "keep-weekly", 0, "keep the newest point of each of the last `N` ISO weeks that have one")
		fs.BoolVar(&o.yes, "yes", false, "delete (without it, a dry run)")
		return func(ctx context.Context, a *app, args []string) error { return runPrune(ctx, a, args, o) }
	},
}

type pruneOptions struct {
	r   backup.Retention
	yes bool
}

type retainedJSON struct {
	Key    string `json:"key"`
	Reason string `json:"reason"`
	Error  string `json:"error,omitempty"`
}

type pruneJSON struct {
	DryRun   bool           `json:"dry_run"`
	Kept     []pointJSON    `json:"kept"`
	Retained []retainedJSON `json:"retained"`
	Deleted  []string       `json:"deleted"`
	Bytes    int64          `json:"bytes"`
}

func runPrune(ctx context.Context, a *app, args []string, o *pruneOptions) error {
	if o.r.KeepLast < 0 || o.r.KeepDaily < 0 || o.r.KeepWeekly < 0 {
		return usageErrorf("--keep-last, --keep-daily and --keep-weekly must not be negative")
	}
	if o.r.IsZero() {
		return usageErrorf("give at least one of --keep-last, --keep-daily, --keep-weekly (prune never deletes every backup)")
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
	if err := nonEmpty(s, objs); err != nil {
		return err
	}
	if err := a.needKeys(s, objs); err != nil {
		return err
	}
	res, perr := a.prune(ctx, s, objs, o)
	if res == nil {
		return explain(perr)
	}

	if a.json {
		out := pruneJSON{DryRun: !o.yes, Kept: pointsJSON(res.Kept), Retained: []retainedJSON{}, Deleted: append([]string{}, res.Deleted...), Bytes: res.Bytes}
		for _, r := range res.Retained {
			rj := retainedJSON{Key: r.Key, Reason: string(r.Reason)}
			if r.Err != nil {
				rj.Error = a.scrub(r.Err.Error())
			}
			out.Retained = append(out.Retained, rj)
		}
		if err := writeJSON(a.stdout, out); err != nil {
			return err
		}
	} else {
		a.writePrune(objs, res, !o.yes, s)
	}
	if perr != nil {
		return perr
	}
	return nil
}

// prune runs backup.Prune, with progress bars of the headers read and the
// bytes deleted.
func (a *app) prune(ctx context.Context, s *store, objs []stored, o *pruneOptions) (*backup.PruneResult, error) {
	opts := backup.PruneOptions{DryRun: !o.yes, Identities: a.identities, Now: time.Now()}
	if !a.progress {
		return backup.Prune(ctx, s, o.r, opts)
	}
	sizes := map[string]int64{}
	for _, obj := range objs {
		sizes[obj.Key] = obj.Size
	}
	ops := &opSink{Sink: s, sizes: sizes, seen: map[string]bool{}}
	if o.yes {
		// A dry run first, for the total of the bar of what is deleted.
		plan := &opSink{Sink: s, gets: a.bar("planning", int64(len(objs)), "headers"), seen: map[string]bool{}}
		dry, err := backup.Prune(ctx, plan, o.r, backup.PruneOptions{DryRun: true, Identities: a.identities, Now: opts.Now})
		plan.finish(err == nil)
		if err != nil {
			return dry, err
		}
		ops.deletes = func() *progress { return a.bar("deleting", dry.Bytes, "") }
	}
	ops.gets = a.bar("reading headers", int64(len(objs)), "headers")
	res, err := backup.Prune(ctx, ops, o.r, opts)
	ops.finish(err == nil)
	return res, err
}

// writePrune prints every backup object with what happens to it, in time
// order, and a summary.
func (a *app) writePrune(objs []stored, res *backup.PruneResult, dryRun bool, s *store) {
	action := map[string]string{}
	reason := map[string]string{}
	for _, p := range res.Kept {
		action[p.Key], reason[p.Key] = "keep", "kept by the policy"
	}
	for _, r := range res.Retained {
		action[r.Key], reason[r.Key] = "keep", string(r.Reason)
		if r.Err != nil {
			reason[r.Key] += ": " + oneLine(a.scrub(r.Err.Error()))
		}
	}
	del := "delete"
	if dryRun {
		del = "would delete"
	}
	for _, k := range res.Deleted {
		action[k], reason[k] = del, "not kept by the policy, nor needed"
	}
	tw := newTable(a.stdout)
	row(tw, "ACTION", "TIME", "KIND", "SIZE", "KEY", "WHY")
	kept := 0
	for _, obj := range objs {
		act, ok := action[obj.Key]
		if !ok {
			continue // written after the prune listed the sink
		}
		if act == "keep" {
			kept++
		}
		row(tw, act, formatTime(obj.Time()), string(obj.Kind), humanSize(obj.Size), obj.Key, reason[obj.Key])
	}
	tw.Flush()
	if dryRun {
		fmt.Fprintf(a.stdout, "dry run: would delete %s (%s) from %s, keep %s (%s kept by the policy); run again with --yes to delete\n",
			plural(len(res.Deleted), "object"), humanSize(res.Bytes), s.url, plural(kept, "object"), plural(len(res.Kept), "point"))
		return
	}
	fmt.Fprintf(a.stdout, "deleted %s (%s) from %s, kept %s (%s kept by the policy)\n",
		plural(len(res.Deleted), "object"), humanSize(res.Bytes), s.url, plural(kept, "object"), plural(len(res.Kept), "point"))
}
