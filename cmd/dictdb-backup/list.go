package main

import (
	"context"
	"errors"
	"flag"

	"github.com/dictdb/dictdb-go/restore"
)

var listCommand = &command{
	name:     "list",
	args:     "<location>",
	nargs:    1,
	location: true,
	jsonFlag: true,
	summary:  "list the restorable backup points",
	help: `Lists every restorable point, oldest first: each full backup and each delta
that continues its chain without a gap. It reads object headers only. Objects
that are not restorable points (unreadable header, missing full backup, after
a gap) are named in warnings on stderr; "verify" reads everything through.

Columns: TIME (UTC, from the object's name), KIND (full or delta), SEQ (the
database's sequence number at that point; "-" for Python-written backups),
SIZE (as stored), CHAIN (the first 8 characters of the chain id), KEY.
--json prints an array of {key, kind, time, seq, size, chain, base}, where
size is in bytes and base is the full backup the point builds on. Exit code
4 when the location holds no backup objects (--json prints []).

Examples:
  dictdb-backup list /var/backups/db1
  dictdb-backup list --json 's3://dictdb/db1?endpoint=http://127.0.0.1:9000&use_path_style=true&region=us-east-1'
  DICTDB_BACKUP_URL=./backups DICTDB_IDENTITY_FILE=key.txt dictdb-backup list`,
	flags: func(fs *flag.FlagSet) func(ctx context.Context, a *app, args []string) error {
		return runList
	},
}

func runList(ctx context.Context, a *app, args []string) error {
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
		if a.json {
			if err := writeJSON(a.stdout, []pointJSON{}); err != nil {
				return err
			}
		}
		return nonEmpty(s, objs)
	}
	if err := a.needKeys(s, objs); err != nil {
		return err
	}
	points, err := restore.List(ctx, s, a.ropts()...)
	if err != nil {
		return explain(err)
	}
	if err := a.explainUnlisted(ctx, s, objs, points); err != nil {
		return err
	}
	if a.json {
		return writeJSON(a.stdout, pointsJSON(points))
	}
	if len(points) == 0 {
		a.infof("no backup points in %s", s.url)
		return nil
	}
	writePoints(a.stdout, points)
	return nil
}

// explainUnlisted warns about every backup object that is not a restorable
// point, saying why. An object no identity opens is an error: the listing
// would be incomplete.
func (a *app) explainUnlisted(ctx context.Context, s *store, objs []stored, points []restore.Point) error {
	listed := map[string]bool{}
	for _, p := range points {
		listed[p.Key] = true
	}
	for _, o := range objs {
		if listed[o.Key] {
			continue
		}
		_, err := restore.InspectHeader(ctx, s, o.Key, a.ropts()...)
		switch {
		case errors.Is(err, restore.ErrNoKey):
			return explain(err)
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			a.warnf("%s is not a restorable point: %s", o.Key, message(err))
		default:
			a.warnf("%s is not a restorable point: %s", o.Key, notRestorable)
		}
	}
	return nil
}

const notRestorable = "its full backup is missing, or a delta before it is (run 'dictdb-backup verify')"
