package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/dictdb/dictdb-go/restore"
	"github.com/dictdb/dictdb-go/sink"
)

var verifyCommand = &command{
	name:     "verify",
	args:     "<location>",
	nargs:    1,
	location: true,
	jsonFlag: true,
	progress: true,
	summary:  "read every object through and report every problem",
	help: `Reads every backup object in full, checking its structure and checksum, and
the chains the objects form. It prints every problem, each naming its object
(KEY, KIND, ERROR): unreadable header, truncated, checksum mismatch, corrupt
content, gap in a chain, orphan delta (its full backup is gone), chains
written interleaved by two writers. Then a summary line.

Exit code 1 when there is any problem; 3 when the backups could not be read
at all, or only some could not be opened for lack of an identity; 4 when the
location holds no backup objects (a mistyped prefix verifies nothing).
--json prints {ok, objects, points: [...], problems: [{key, kind, error}]}.
On a terminal (see --progress), a progress bar on stderr shows the bytes
read of all the objects' sizes.

Examples:
  dictdb-backup verify /var/backups/db1
  dictdb-backup verify --json 's3://dictdb/db1?endpoint=http://127.0.0.1:9000&use_path_style=true&region=us-east-1'`,
	flags: func(fs *flag.FlagSet) func(ctx context.Context, a *app, args []string) error {
		return runVerify
	},
}

type problemJSON struct {
	Key   string `json:"key"`
	Kind  string `json:"kind"`
	Error string `json:"error"`
}

type verifyJSON struct {
	OK       bool          `json:"ok"`
	Objects  int           `json:"objects"`
	Points   []pointJSON   `json:"points"`
	Problems []problemJSON `json:"problems"`
}

func runVerify(ctx context.Context, a *app, args []string) error {
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
			if err := writeJSON(a.stdout, verifyJSON{Points: []pointJSON{}, Problems: []problemJSON{}}); err != nil {
				return err
			}
		}
		return nothingErrorf("nothing to verify: no backup objects in %s (is the location right?)", s.url)
	}
	if err := a.needKeys(s, objs); err != nil {
		return err
	}
	report, err := a.verify(ctx, s, "verifying")
	if err != nil {
		return explain(err)
	}
	problems, noKey := 0, 0
	for _, p := range report.Problems {
		if errors.Is(p.Err, restore.ErrNoKey) {
			noKey++
		} else {
			problems++
		}
	}

	if a.json {
		out := verifyJSON{OK: report.OK(), Objects: len(objs), Points: pointsJSON(report.Points), Problems: []problemJSON{}}
		for _, p := range report.Problems {
			out.Problems = append(out.Problems, problemJSON{Key: p.Key, Kind: string(p.Kind), Error: a.scrub(message(p.Err))})
		}
		if err := writeJSON(a.stdout, out); err != nil {
			return err
		}
	} else {
		if len(report.Problems) > 0 {
			tw := newTable(a.stdout)
			row(tw, "KEY", "KIND", "ERROR")
			for _, p := range report.Problems {
				row(tw, p.Key, string(p.Kind), oneLine(a.scrub(message(p.Err))))
			}
			tw.Flush()
		}
		chains := map[string]bool{}
		for _, p := range report.Points {
			chains[p.Base] = true
		}
		summary := fmt.Sprintf("verify %s: %s read, %s in %s restorable", s.url,
			plural(len(objs), "object"), plural(len(report.Points), "point"), plural(len(chains), "chain"))
		if report.OK() {
			summary += ": OK"
		} else {
			summary += ", " + plural(len(report.Problems), "problem")
		}
		fmt.Fprintln(a.stdout, summary)
	}
	switch {
	case problems > 0:
		return problemsErrorf("%s found in %s", plural(problems, "problem"), s.url)
	case noKey > 0:
		return fmt.Errorf("%s could not be read: encrypted, and no identity given opens them (check --identity and %s)", plural(noKey, "object"), passphraseEnv)
	}
	return nil
}

// verify runs restore.Verify on s, with a progress bar labelled what of
// the bytes read of every object.
func (a *app) verify(ctx context.Context, s *store, what string) (*restore.Report, error) {
	var src sink.Sink = s
	bar := (*progress)(nil)
	if a.progress {
		objs, err := backupObjects(ctx, s)
		if err != nil {
			return nil, err
		}
		var total int64
		for _, o := range objs {
			total += o.Size
		}
		bar = a.bar(what, total, "")
		src = newCountingSink(s, nil, bar)
	}
	report, err := restore.Verify(ctx, src, a.ropts()...)
	bar.finish(err == nil)
	return report, err
}

// oneLine joins the lines of a multi-line message.
func oneLine(s string) string {
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\t", " ").Replace(s)
}
