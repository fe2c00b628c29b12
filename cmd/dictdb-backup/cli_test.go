package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/backup"
	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/restore"
)

func TestHelp(t *testing.T) {
	r := runOK(t, "--help")
	for _, want := range []string{
		"Usage:", "Exit codes:\n" + exitTable(), "./backups, backups, /var/backups/db1",
		"file:///var/backups/db1", "s3://", "endpoint=http://127.0.0.1:9000", "DICTDB_PASSPHRASE", "DICTDB_BACKUP_URL",
		"DICTDB_IDENTITY_FILE", "--identity FILE", "--timeout D", "--progress auto|always|never",
	} {
		assert.Contains(t, r.stdout, want)
	}
	for _, c := range commands {
		assert.Contains(t, r.stdout, "  "+c.name+" ")
		for _, args := range [][]string{{c.name, "--help"}, {"help", c.name}, {c.name, "-h"}} {
			r := runOK(t, args...)
			assert.Contains(t, r.stdout, "Usage: dictdb-backup "+c.name, args)
			assert.Contains(t, r.stdout, "Examples:\n  dictdb-backup "+c.name, args)
			assert.Contains(t, r.stdout, "Exit codes: "+exitSummary()+"\n", args)
			assert.Empty(t, r.stderr, args)
			if c.bare {
				assert.NotContains(t, r.stdout, "--identity", args)
				continue
			}
			assert.Contains(t, r.stdout, "--identity FILE", args)
			assert.Equal(t, c.progress, strings.Contains(r.stdout, "--progress MODE"), args)
			assert.Equal(t, c.jsonFlag, strings.Contains(r.stdout, "--json\n"), args)
		}
	}
	assert.Contains(t, runOK(t, "copy", "--help").stdout, "s3://")
	assert.Contains(t, runOK(t, "list", "--help").stdout, "use_path_style=true")
	assert.Contains(t, runOK(t, "restore", "--help").stdout, "--format FORMAT")
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	url := "file://" + filepath.ToSlash(dir)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "Usage:"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"help", "frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"--bogus", "list", url}, "flag provided but not defined: -bogus"},
		{[]string{"list"}, "want 1 argument(s) (<location>), got 0; DICTDB_BACKUP_URL gives the first when it is set"},
		{[]string{"list", url, url}, "want 1 argument(s)"},
		{[]string{"list", url, "--bogus"}, "flag provided but not defined"},
		{[]string{"list", url, "--progress", "always"}, "flag provided but not defined: -progress"},
		{[]string{"version", "--json"}, "flag provided but not defined: -json"},
		{[]string{"version", "extra"}, "want 0 argument(s)"},
		{[]string{"--timeout", "1m", "version"}, "version takes no --identity nor --timeout"},
		{[]string{"inspect", url}, "want 2 argument(s) (<location> <key>)"},
		{[]string{"list", ""}, "empty location"},
		{[]string{"list", "ftp://host/x"}, `unknown scheme "ftp"`},
		{[]string{"list", "file://" + filepath.ToSlash(dir) + "?region=x"}, `unknown query parameter "region"`},
		{[]string{"list", "s3://[::1/p"}, "invalid sink URL"},
		{[]string{"list", "--timeout", "soon", url}, "invalid value"},
		{[]string{"list", "--timeout", "-5", url}, "invalid value"},
		{[]string{"restore", url}, "--out FILE is required"},
		{[]string{"restore", url, "--out", "-", "--json"}, "--out - and --json both write to stdout"},
		{[]string{"restore", url, "--out", "x", "--time", "yesterday"}, "want RFC 3339"},
		{[]string{"restore", url, "--out", "x", "--time", "2026-12-01T10:00"}, "a date (2025-11-26, midnight UTC)"},
		{[]string{"restore", url, "--out", "x", "--seq", "-1"}, "want a sequence number"},
		{[]string{"restore", url, "--out", "x", "--seq", "1", "--time", "1"}, "not both"},
		{[]string{"restore", url, "--out", "x", "--format", "xml"}, "--format"},
		{[]string{"restore", url, "--out", "x", "--progress", "sometimes"}, "--progress"},
		{[]string{"prune", url}, "give at least one of --keep-last"},
		{[]string{"prune", url, "--keep-last", "-1"}, "must not be negative"},
		{[]string{"inspect", url, "notes.txt"}, "not the key of a backup object"},
		{[]string{"copy", url, url, "--all", "--chain", "x"}, "not both"},
	} {
		r := cli(t, nil, tc.args...)
		assert.Equal(t, exitUsage, r.code, "%v\n%s", tc.args, r)
		assert.Contains(t, r.stderr, tc.want, tc.args)
		assert.Empty(t, r.stdout, tc.args)
	}
	// An identity file that is not one.
	bad := filepath.Join(dir, "bad.txt")
	require.NoError(t, os.WriteFile(bad, []byte("AGE-SECRET-KEY-1NOTAKEYATALLBUTSECRETLOOKING\n"), 0o600))
	r := cli(t, nil, "list", "--identity", bad, url)
	assert.Equal(t, exitUsage, r.code, r)
	assert.Contains(t, r.stderr, "not an age identity file")
	assert.NotContains(t, r.stderr, "NOTAKEYATALL")
}

func TestListText(t *testing.T) {
	f := localFixture(t, backup.Options{})
	for _, args := range [][]string{{"list", f.url}, {"list", "--timeout", "1m", f.url}, {"--timeout=1m", "list", f.url}} {
		r := runOK(t, args...)
		assert.Empty(t, r.stderr)
		lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
		require.Len(t, lines, 1+len(f.points), r.stdout)
		assert.Regexp(t, `^TIME\s+KIND\s+SEQ\s+SIZE\s+CHAIN\s+KEY$`, lines[0])
		keyCol := strings.Index(lines[0], "KEY")
		for i, p := range f.points {
			line := lines[i+1]
			fields := strings.Fields(line)
			require.Len(t, fields, 7, line) // the size is two words
			assert.Equal(t, formatTime(p.Time), fields[0])
			assert.Equal(t, string(p.Kind), fields[1])
			assert.Equal(t, strconv.FormatUint(p.Seq, 10), fields[2])
			assert.Equal(t, humanSize(p.Size), fields[3]+" "+fields[4])
			assert.Equal(t, p.Chain[:8], fields[5])
			assert.Equal(t, p.Key, fields[6])
			assert.Equal(t, keyCol, strings.Index(line, p.Key), "aligned: %q", line)
			assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`, fields[0])
		}
	}

	// An empty directory: nothing to list, exit 4, and it says so.
	empty := t.TempDir()
	r := cli(t, nil, "list", "file://"+empty)
	assert.Equal(t, exitNothing, r.code, r)
	assert.Empty(t, r.stdout)
	assert.Equal(t, "dictdb-backup list: no backup objects in file://"+empty+" (is the location right?)\n", r.stderr)
	r = cli(t, nil, "list", "--json", "file://"+empty)
	assert.Equal(t, exitNothing, r.code, r)
	assert.Equal(t, "[]\n", r.stdout)

	// A directory that does not exist is not created.
	missing := filepath.Join(empty, "nope")
	r = cli(t, nil, "list", "file://"+missing)
	assert.Equal(t, exitNothing, r.code, r)
	assert.Equal(t, "dictdb-backup list: file://"+missing+": no such directory\n", r.stderr)
	assert.NoDirExists(t, missing)
}

func TestListJSON(t *testing.T) {
	f := localFixture(t, backup.Options{})
	for _, args := range [][]string{{"list", "--json", f.url}, {"list", f.url, "--json"}, {"list", "--json", "--", f.url}} {
		r := runOK(t, args...)
		var got []pointJSON
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
		require.Len(t, got, len(f.points))
		for i, p := range f.points {
			assert.Equal(t, pointJSON{Key: p.Key, Kind: string(p.Kind), Time: formatTime(p.Time), Seq: p.Seq, Size: p.Size, Chain: p.Chain, Base: p.Base}, got[i])
			assert.Equal(t, f.size(t, p.Key), got[i].Size)
		}
		golden(t, newNormalizer(t, f), "list.json", r.stdout)
	}
}

func TestVerify(t *testing.T) {
	f := localFixture(t, backup.Options{})
	r := runOK(t, "verify", f.url)
	assert.Equal(t, fmt.Sprintf("verify %s: 6 objects read, 6 points in 2 chains restorable: OK\n", f.url), r.stdout)
	assert.Empty(t, r.stderr)
	r = runOK(t, "verify", "--json", f.url)
	golden(t, newNormalizer(t, f), "verify.json", r.stdout)

	// Flip a byte in the first delta: verify names it and exits 1.
	bad := f.objects[1]
	f.flipByte(t, bad)
	r = cli(t, nil, "verify", f.url)
	assert.Equal(t, exitProblems, r.code, r)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	require.Len(t, lines, 3, r.stdout)
	assert.Regexp(t, `^KEY\s+KIND\s+ERROR$`, lines[0])
	assert.Regexp(t, "^"+regexp.QuoteMeta(bad)+`\s+(checksum|corrupt)\s+\S`, lines[1])
	assert.Equal(t, fmt.Sprintf("verify %s: 6 objects read, 4 points in 2 chains restorable, 1 problem", f.url), lines[2])
	assert.Contains(t, r.stderr, "1 problem found in "+f.url)

	r = cli(t, nil, "verify", "--json", f.url)
	assert.Equal(t, exitProblems, r.code, r)
	var v verifyJSON
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &v))
	assert.False(t, v.OK)
	require.Len(t, v.Problems, 1)
	assert.Equal(t, bad, v.Problems[0].Key)
	golden(t, newNormalizer(t, f), "verify-corrupt.json", r.stdout)

	// list reads headers only: the corrupt delta (its header intact) is still listed.
	r = runOK(t, "list", f.url)
	assert.Contains(t, r.stdout, bad)
}

func TestRestore(t *testing.T) {
	f := localFixture(t, backup.Options{})
	out := t.TempDir()
	file := func(name string) string { return filepath.Join(out, name) }
	last := f.points[len(f.points)-1]

	// Latest, quiet (no terminal), one summary line.
	r := runOK(t, "restore", f.url, "--out", file("latest.json"))
	assert.Empty(t, r.stdout)
	assert.Equal(t, fmt.Sprintf("restored %s (delta, seq %d, %s, chain %s) from %s to %s: 2 tables, 6 records\n",
		last.Key, last.Seq, formatTime(last.Time), last.Chain[:8], f.url, file("latest.json")), r.stderr)
	f.requireRestored(t, file("latest.json"), dictdb.FormatJSON, last)

	// Refuses to overwrite, unless --force.
	r = cli(t, nil, "restore", f.url, "--out", file("latest.json"), "--seq", strconv.FormatUint(f.points[0].Seq, 10))
	assert.Equal(t, exitAccess, r.code, r)
	assert.Contains(t, r.stderr, "exists; pass --force to overwrite it")
	f.requireRestored(t, file("latest.json"), dictdb.FormatJSON, last)
	runOK(t, "restore", f.url, "--out", file("latest.json"), "--seq", strconv.FormatUint(f.points[0].Seq, 10), "--force")
	f.requireRestored(t, file("latest.json"), dictdb.FormatJSON, f.points[0])

	for i, p := range f.points {
		// --seq: exactly a point's, or just below the next one.
		r := runOK(t, "restore", f.url, "--seq", strconv.FormatUint(p.Seq, 10), "--out", file(fmt.Sprintf("seq%d.json", i)))
		f.requireRestored(t, file(fmt.Sprintf("seq%d.json", i)), dictdb.FormatJSON, p)
		assert.Contains(t, r.stderr, "restored "+p.Key+" ("+string(p.Kind))
		// --time: exactly a point's time (RFC 3339, as list prints it).
		runOK(t, "restore", f.url, "--time", formatTime(p.Time), "--out", file(fmt.Sprintf("time%d.json", i)))
		f.requireRestored(t, file(fmt.Sprintf("time%d.json", i)), dictdb.FormatJSON, p)
		if i+1 < len(f.points) {
			next := f.points[i+1]
			runOK(t, "restore", f.url, "--seq", strconv.FormatUint(next.Seq-1, 10), "--out", file(fmt.Sprintf("seqb%d.json", i)))
			f.requireRestored(t, file(fmt.Sprintf("seqb%d.json", i)), dictdb.FormatJSON, p)
			before := next.Time.Add(-time.Microsecond)
			// In another zone, the same instant.
			runOK(t, "restore", f.url, "--time", before.In(time.FixedZone("", 5*3600+1800)).Format(time.RFC3339Nano), "--out", file(fmt.Sprintf("timeb%d.json", i)))
			f.requireRestored(t, file(fmt.Sprintf("timeb%d.json", i)), dictdb.FormatJSON, p)
		}
	}
	// Unix seconds, after everything: the latest.
	runOK(t, "restore", f.url, "--time", strconv.FormatInt(last.Time.Unix()+3600, 10), "--out", file("unix.json"))
	f.requireRestored(t, file("unix.json"), dictdb.FormatJSON, last)
	// Unix seconds with a fraction, exactly a point's time.
	p := f.points[2]
	runOK(t, "restore", f.url, "--time", fmt.Sprintf("%d.%06d", p.Time.Unix(), p.Time.Nanosecond()/1000), "--out", file("unixfrac.json"))
	f.requireRestored(t, file("unixfrac.json"), dictdb.FormatJSON, p)

	// Every format.
	for _, format := range dictdb.Formats() {
		name := file("format." + string(format))
		runOK(t, "restore", f.url, "--format", string(format), "--out", name)
		f.requireRestored(t, name, format, last)
	}

	// Before the first backup, or below the first sequence number: exit 4, clearly.
	r = cli(t, nil, "restore", f.url, "--time", formatTime(f.points[0].Time.Add(-time.Microsecond)), "--out", file("none.json"))
	assert.Equal(t, exitNothing, r.code, r)
	assert.Contains(t, r.stderr, "no backup point at or before "+formatTime(f.points[0].Time.Add(-time.Microsecond)))
	assert.Contains(t, r.stderr, "the oldest is "+f.points[0].Key)
	assert.NoFileExists(t, file("none.json"))
	r = cli(t, nil, "restore", f.url, "--seq", strconv.FormatUint(f.points[0].Seq-1, 10), "--out", file("none.json"))
	assert.Equal(t, exitNothing, r.code, r)
	assert.Contains(t, r.stderr, "no backup point with a sequence number at most")
	assert.NoFileExists(t, file("none.json"))

	// No backups at all.
	empty := t.TempDir()
	r = cli(t, nil, "restore", "file://"+empty, "--out", file("none.json"))
	assert.Equal(t, exitNothing, r.code, r)
	assert.Contains(t, r.stderr, "no backup objects in file://"+empty)
	r = cli(t, nil, "restore", "file://"+filepath.Join(empty, "missing"), "--out", file("none.json"))
	assert.Equal(t, exitNothing, r.code, r)
	assert.NoDirExists(t, filepath.Join(empty, "missing"))
	assert.NoFileExists(t, file("none.json"))

	// A corrupt delta on the way: exit 1 naming it and the newest exact
	// point, no file; that point then restores on purpose.
	bad := f.objects[4] // D3
	f.flipByte(t, bad)
	r = cli(t, nil, "restore", f.url, "--out", file("corrupt.json"))
	assert.Equal(t, exitProblems, r.code, r)
	assert.Contains(t, r.stderr, bad)
	assert.Contains(t, r.stderr, "the newest point that restores exactly is "+f.objects[3])
	assert.Contains(t, r.stderr, "to restore that point on purpose: --time ")
	assert.NoFileExists(t, file("corrupt.json"))
	// An earlier point does not need it.
	runOK(t, "restore", f.url, "--seq", strconv.FormatUint(f.points[3].Seq, 10), "--out", file("before-corrupt.json"))
	f.requireRestored(t, file("before-corrupt.json"), dictdb.FormatJSON, f.points[3])
}

func TestRestoreProgress(t *testing.T) {
	f := localFixture(t, backup.Options{})
	out := filepath.Join(t.TempDir(), "db.json")
	r := runOK(t, "restore", f.url, "--out", out, "--progress", "always")
	assert.Contains(t, r.stderr, "restoring")
	assert.Contains(t, r.stderr, "100%")
	// The total is the size of the objects read: F2, D3 and D4.
	var total int64
	for _, p := range f.points[3:] {
		total += p.Size
	}
	assert.Contains(t, r.stderr, "/"+humanSize(total)+", ", "bytes read / total, then the rate")
	assert.Regexp(t, `restoring 100% \|█+\| \(\S+/\S+ \S+, \S+ \S+/s\)`, r.stderr)
	assert.Contains(t, r.stderr, "restored "+f.points[5].Key)
	f.requireRestored(t, out, dictdb.FormatJSON, f.points[5])

	r = runOK(t, "restore", f.url, "--out", out, "--force", "--progress", "never")
	assert.NotContains(t, r.stderr, "restoring")
	assert.Equal(t, 1, strings.Count(r.stderr, "\n"))
}

func TestPrune(t *testing.T) {
	f := localFixture(t, backup.Options{})
	files := func() []string {
		entries, err := os.ReadDir(f.dir)
		require.NoError(t, err)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return names
	}
	before := files()

	// A dry run deletes nothing, and says what it would.
	r := runOK(t, "prune", f.url, "--keep-last", "2")
	assert.Equal(t, before, files())
	for _, key := range f.objects[:3] {
		assert.Regexp(t, `(?m)^would delete\s+\S+\s+(full|delta)\s+\S+ \S+\s+`+regexp.QuoteMeta(key)+`\s+not kept by the policy, nor needed$`, r.stdout)
	}
	for _, key := range f.objects[3:] {
		assert.Regexp(t, `(?m)^keep\s+.*`+regexp.QuoteMeta(key)+`\s+(kept by the policy|`+regexp.QuoteMeta(string(backup.RetainActive))+`)$`, r.stdout)
	}
	assert.Contains(t, r.stdout, "dry run: would delete 3 objects")
	assert.Contains(t, r.stdout, "run again with --yes to delete")

	r = runOK(t, "prune", "--json", f.url, "--keep-last", "2")
	assert.Equal(t, before, files())
	var dry pruneJSON
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &dry))
	assert.True(t, dry.DryRun)
	assert.Equal(t, f.objects[:3], dry.Deleted)
	var freed int64
	for _, key := range f.objects[:3] {
		freed += f.size(t, key)
	}
	assert.Equal(t, freed, dry.Bytes)
	require.Len(t, dry.Kept, 2)
	assert.Equal(t, f.points[4].Key, dry.Kept[0].Key)
	assert.Equal(t, f.points[5].Key, dry.Kept[1].Key)

	// With --yes it deletes them; the kept points still restore.
	r = runOK(t, "prune", f.url, "--keep-last", "2", "--yes")
	assert.Contains(t, r.stdout, "deleted 3 objects")
	for _, key := range f.objects[:3] {
		assert.NoFileExists(t, f.path(key))
		assert.Regexp(t, `(?m)^delete\s+.*`+regexp.QuoteMeta(key), r.stdout)
	}
	for _, key := range f.objects[3:] {
		assert.FileExists(t, f.path(key))
	}
	out := t.TempDir()
	for _, p := range dry.Kept {
		file := filepath.Join(out, p.Key)
		runOK(t, "restore", f.url, "--seq", strconv.FormatUint(p.Seq, 10), "--out", file)
		f.requireRestored(t, file, dictdb.FormatJSON, restore.Point{Seq: p.Seq})
	}
	// The pruned chain's points are gone.
	r = cli(t, nil, "restore", f.url, "--seq", strconv.FormatUint(f.points[2].Seq, 10), "--out", filepath.Join(out, "gone.json"))
	assert.Equal(t, exitNothing, r.code, r)
	runOK(t, "verify", f.url)
}

func TestInspect(t *testing.T) {
	f := localFixture(t, backup.Options{})
	n := newNormalizer(t, f)
	full, delta := f.objects[3], f.objects[5] // F2, D4

	r := runOK(t, "inspect", f.url, full)
	assert.Regexp(t, `(?m)^key\s+`+regexp.QuoteMeta(full)+`$`, r.stdout)
	assert.Regexp(t, `(?m)^kind\s+full$`, r.stdout)
	assert.Regexp(t, `(?m)^format\s+version 1, codec json$`, r.stdout)
	assert.Regexp(t, `(?m)^compression\s+none$`, r.stdout)
	assert.Regexp(t, `(?m)^encryption\s+none$`, r.stdout)
	assert.Regexp(t, `(?m)^chain\s+`+f.points[3].Chain+`$`, r.stdout)
	assert.Regexp(t, `(?m)^sequence\s+`+strconv.FormatUint(f.points[3].Seq, 10)+`$`, r.stdout)
	assert.Regexp(t, `(?m)^timestamp\s+`+regexp.QuoteMeta(formatTime(f.points[3].Time))+`$`, r.stdout)
	assert.Regexp(t, `(?m)^checksum\s+ok \(sha256\)$`, r.stdout)
	assert.Regexp(t, `(?m)^size\s+.*\(`+strconv.FormatInt(f.size(t, full), 10)+` bytes\)`, r.stdout)
	assert.Regexp(t, `(?m)^TABLE\s+PRIMARY KEY\s+RECORDS$`, r.stdout)
	assert.Regexp(t, `(?m)^events\s+event_id\s+3$`, r.stdout)
	assert.Regexp(t, `(?m)^users\s+id\s+7$`, r.stdout)
	assert.Contains(t, r.stdout, "2 tables, 10 records\n")
	golden(t, n, "inspect-full.json", runOK(t, "inspect", "--json", f.url, full).stdout)

	r = runOK(t, "inspect", f.url, delta)
	assert.Regexp(t, `(?m)^kind\s+delta$`, r.stdout)
	assert.Regexp(t, `(?m)^base\s+`+regexp.QuoteMeta(full)+`$`, r.stdout)
	assert.Regexp(t, `(?m)^sequence\s+\(`+strconv.FormatUint(f.points[4].Seq, 10)+`, `+strconv.FormatUint(f.points[5].Seq, 10)+`\]$`, r.stdout)
	assert.Regexp(t, `(?m)^TABLE\s+UPSERTS\s+DELETES\s+CREATED$`, r.stdout)
	assert.Regexp(t, `(?m)^tags\s+1\s+0\s+yes, primary key tag$`, r.stdout)
	assert.Contains(t, r.stdout, "dropped table events\n")
	golden(t, n, "inspect-delta.json", runOK(t, "inspect", "--json", f.url, delta).stdout)
	golden(t, n, "inspect-delta3.json", runOK(t, "inspect", "--json", f.url, f.objects[4]).stdout)

	// A missing object (exit 4); a corrupt one (exit 1), named after the
	// command, not after the library.
	missing := strings.Replace(delta, "dictdb_delta_", "dictdb_delta_9", 1)
	r = cli(t, nil, "inspect", f.url, missing)
	assert.Equal(t, exitNothing, r.code, r)
	assert.Equal(t, "dictdb-backup inspect: no object "+missing+" in "+f.url+"\n", r.stderr)
	f.flipByte(t, delta)
	r = cli(t, nil, "inspect", f.url, delta)
	assert.Equal(t, exitProblems, r.code, r)
	assert.True(t, strings.HasPrefix(r.stderr, "dictdb-backup inspect: "+delta+": "), r.stderr)
	assert.NotContains(t, r.stderr, "restore:")
	assert.Empty(t, r.stdout)
}

func TestCopy(t *testing.T) {
	f := localFixture(t, backup.Options{})
	dstDir := filepath.Join(t.TempDir(), "copy")
	dst := "file://" + dstDir
	listJSON := func(url string) []pointJSON {
		var ps []pointJSON
		require.NoError(t, json.Unmarshal([]byte(runOK(t, "list", "--json", url).stdout), &ps))
		return ps
	}
	src := listJSON(f.url)

	// The newest chain by default: F2, D3, D4, full first.
	r := runOK(t, "copy", f.url, dst)
	assert.Equal(t, fmt.Sprintf("copied  %s (%s)\ncopied  %s (%s)\ncopied  %s (%s)\ncopy %s -> %s: copied 3 objects (%s), skipped 0 already there; 3 points of 3 restore in the destination\n",
		f.objects[3], humanSize(f.size(t, f.objects[3])), f.objects[4], humanSize(f.size(t, f.objects[4])), f.objects[5], humanSize(f.size(t, f.objects[5])),
		f.url, dst, humanSize(f.size(t, f.objects[3])+f.size(t, f.objects[4])+f.size(t, f.objects[5]))), r.stdout)
	assert.Equal(t, src[3:], listJSON(dst))
	for _, key := range f.objects[3:] {
		want, err := os.ReadFile(f.path(key))
		require.NoError(t, err)
		got, err := os.ReadFile(filepath.Join(dstDir, key))
		require.NoError(t, err)
		assert.Equal(t, want, got, "byte for byte")
	}

	// Again: everything is there.
	r = runOK(t, "copy", "--json", f.url, dst)
	var cj copyJSON
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &cj))
	assert.Empty(t, cj.Copied)
	assert.Len(t, cj.Skipped, 3)
	assert.True(t, cj.OK)
	assert.Len(t, cj.Points, 3)

	// The other chain by a prefix of its id, then --all.
	r = runOK(t, "copy", "--chain", f.points[0].Chain[:6], f.url, dst)
	assert.Contains(t, r.stdout, "copied 3 objects")
	r = runOK(t, "copy", "--all", f.url, dst)
	assert.Contains(t, r.stdout, "copied 0 objects")
	assert.Contains(t, r.stdout, "skipped 6 already there; 6 points of 6 restore")
	assert.Equal(t, src, listJSON(dst))
	assert.Equal(t, runOK(t, "verify", "--json", f.url).stdout, runOK(t, "verify", "--json", dst).stdout)

	// A chain by the key of its full backup, into a fresh sink.
	dst2 := "file://" + filepath.Join(t.TempDir(), "copy2")
	runOK(t, "copy", "--chain", f.objects[0], f.url, dst2)
	assert.Equal(t, src[:3], listJSON(dst2))

	r = cli(t, nil, "copy", "--chain", "feedface", f.url, dst2)
	assert.Equal(t, exitNothing, r.code, r)
	assert.Contains(t, r.stderr, `no chain "feedface"`)

	// A destination holding a corrupt object of the same size: skipped,
	// and the verification fails.
	dst3Dir := filepath.Join(t.TempDir(), "copy3")
	require.NoError(t, os.MkdirAll(dst3Dir, 0o755))
	b, err := os.ReadFile(f.path(f.objects[4]))
	require.NoError(t, err)
	b[len(b)/2] ^= 0x20
	require.NoError(t, os.WriteFile(filepath.Join(dst3Dir, f.objects[4]), b, 0o644))
	r = cli(t, nil, "copy", f.url, "file://"+dst3Dir)
	assert.Equal(t, exitProblems, r.code, r)
	assert.Contains(t, r.stdout, "skipped "+f.objects[4])
	assert.Contains(t, r.stderr, "the copy does not verify: 2 points do not restore")
	assert.Contains(t, r.stderr, f.objects[4])
}

func TestEncrypted(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	require.NoError(t, err)
	f := localFixture(t, backup.Options{
		Compression: backup.CompressionZstd,
		Encryption:  &backup.Encryption{Recipients: []age.Recipient{id.Recipient()}},
	}, id)
	keyFile := identityFile(t, id)
	assert.True(t, strings.HasSuffix(f.objects[0], ".json.zst.age"))

	// Without an identity: exit 3, and what to do.
	for _, args := range [][]string{
		{"list", f.url}, {"verify", f.url}, {"restore", f.url, "--out", filepath.Join(t.TempDir(), "x.json")},
		{"inspect", f.url, f.objects[0]}, {"prune", f.url, "--keep-last", "1"}, {"copy", f.url, "file://" + t.TempDir()},
	} {
		r := cli(t, nil, args...)
		assert.Equal(t, exitAccess, r.code, "%v\n%s", args, r)
		assert.Contains(t, r.stderr, "encrypted", args)
		assert.Contains(t, r.stderr, "no identity", args)
		assert.Contains(t, r.stderr, "--identity FILE", args)
		assert.Empty(t, r.stdout, args)
	}

	// With the identity file, everything works.
	r := runOK(t, "list", "--identity", keyFile, "--json", f.url)
	var ps []pointJSON
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &ps))
	require.Len(t, ps, 6)
	runOK(t, "--identity", keyFile, "verify", f.url)
	out := filepath.Join(t.TempDir(), "db.json")
	runOK(t, "restore", f.url, "--identity", keyFile, "--out", out)
	f.requireRestored(t, out, dictdb.FormatJSON, f.points[5])
	r = runOK(t, "inspect", "--identity", keyFile, f.url, f.objects[5])
	assert.Regexp(t, `(?m)^compression\s+zstd$`, r.stdout)
	assert.Regexp(t, `(?m)^encryption\s+age$`, r.stdout)
	assert.Regexp(t, `(?m)^checksum\s+ok`, r.stdout)
	runOK(t, "copy", "--identity", keyFile, f.url, "file://"+t.TempDir())

	// The wrong identity: exit 3, it says so, and the key is never printed.
	other, err := age.GenerateX25519Identity()
	require.NoError(t, err)
	otherFile := identityFile(t, other)
	for _, args := range [][]string{
		{"list", f.url}, {"restore", f.url, "--out", filepath.Join(t.TempDir(), "x.json")}, {"inspect", f.url, f.objects[0]}, {"verify", f.url},
	} {
		r := cli(t, nil, append(args, "--identity", otherFile)...)
		assert.Equal(t, exitAccess, r.code, "%v\n%s", args, r)
		assert.Contains(t, r.stderr, "no identity given opens", args)
		assert.NotContains(t, r.stdout+r.stderr, other.String())
		assert.NotContains(t, r.stdout+r.stderr, id.String())
	}
}

func TestPassphrase(t *testing.T) {
	const passphrase = "correct-horse-battery-staple-4711"
	rcp, err := age.NewScryptRecipient(passphrase)
	require.NoError(t, err)
	rcp.SetWorkFactor(10) // fast, for the test
	sid, err := age.NewScryptIdentity(passphrase)
	require.NoError(t, err)
	f := localFixture(t, backup.Options{Encryption: &backup.Encryption{Recipients: []age.Recipient{rcp}}}, sid)
	env := []string{passphraseEnv + "=" + passphrase}

	r := cli(t, env, "list", f.url)
	require.Equal(t, 0, r.code, r)
	assert.Len(t, strings.Split(strings.TrimSpace(r.stdout), "\n"), 7)
	out := filepath.Join(t.TempDir(), "db.json")
	r = cli(t, env, "restore", f.url, "--out", out, "--progress", "always")
	require.Equal(t, 0, r.code, r)
	f.requireRestored(t, out, dictdb.FormatJSON, f.points[5])
	assert.NotContains(t, r.stdout+r.stderr, passphrase)

	r = cli(t, []string{passphraseEnv + "=wrong-" + passphrase}, "verify", f.url)
	assert.Equal(t, exitAccess, r.code, r)
	assert.Contains(t, r.stderr, "no identity given opens")
	assert.NotContains(t, r.stdout+r.stderr, passphrase)
}

// Secrets in URLs, in the environment and in identity files never reach
// stdout or stderr.
func TestSecretsNeverPrinted(t *testing.T) {
	const (
		urlPassword = "urlpass-SECRET-111"
		urlSecret   = "urlparam-SECRET-222"
		awsSecret   = "awsenv-SECRET-333"
		passphrase  = "passphrase-SECRET-444"
	)
	secrets := []string{urlPassword, urlSecret, awsSecret, passphrase}
	env := []string{
		"AWS_ACCESS_KEY_ID=AKIATESTTESTTEST", "AWS_SECRET_ACCESS_KEY=" + awsSecret, "AWS_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true", passphraseEnv + "=" + passphrase,
	}
	f := localFixture(t, backup.Options{})
	deadS3 := "s3://bucket/prefix?endpoint=http://127.0.0.1:1&use_path_style=true&region=us-east-1&retries=1"
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"list", "--timeout", "30s", deadS3}, exitAccess},
		{[]string{"verify", "--json", "--timeout", "30s", deadS3}, exitAccess},
		{[]string{"restore", "--timeout", "30s", deadS3, "--out", filepath.Join(t.TempDir(), "x.json")}, exitAccess},
		{[]string{"copy", "--timeout", "30s", f.url, deadS3}, exitAccess},
		{[]string{"list", "s3://bucket/prefix?secret_key=" + urlSecret}, exitUsage},
		{[]string{"list", "s3://bucket/prefix?session_token=" + urlSecret + "&region=x"}, exitUsage},
		{[]string{"list", "file://" + f.dir + "?password=" + urlSecret}, exitUsage},
		{[]string{"list", "azblob://container?sig=" + urlSecret + "&sv=2020-08-04&se=2030-01-01"}, exitUsage},
		{[]string{"list", "s3://bucket?X-Amz-Signature=" + urlSecret + "&X-Amz-Credential=" + urlSecret}, exitUsage},
		{[]string{"list", "s3://bucket?pwd=" + urlSecret + "&auth=" + urlSecret + "&credentials=" + urlSecret}, exitUsage},
		{[]string{"list", "s3://bucket?endpoint=http://admin:" + urlPassword + "@127.0.0.1:1&region=us-east-1"}, exitUsage},
		{[]string{"list", "s3://bucket?endpoint=http://admin:" + urlPassword + "/x@127.0.0.1:1"}, exitUsage},
		{[]string{"list", "s3://user:" + urlPassword + "@bucket/prefix?region=us-east-1"}, exitUsage},
		{[]string{"list", "s3://AKIAEXAMPLE:" + urlPassword + "/x@bucket/prefix"}, exitUsage},
		{[]string{"list", "s3://user:" + urlPassword + "@bucket:port/x"}, exitUsage},
		{[]string{"copy", f.url, "gs://user:" + urlPassword + "@bucket/prefix"}, exitUsage},
		{[]string{"list", "file://user:" + urlPassword + "@" + f.dir}, exitUsage},
		{[]string{"list", "ftp://user:" + urlPassword + "@host/x"}, exitUsage},
		{[]string{"list", "user:" + urlPassword + "@host/x"}, exitUsage},
		{[]string{"list", f.url}, exitOK},
	} {
		r := cli(t, env, tc.args...)
		assert.Equal(t, tc.code, r.code, "%v\n%s", tc.args, r)
		for _, s := range secrets {
			assert.NotContains(t, r.stdout+r.stderr, s, "%v\n%s", tc.args, r)
		}
		if tc.code != exitOK {
			assert.NotEmpty(t, r.stderr, tc.args)
		}
		if last := tc.args[len(tc.args)-1]; strings.Contains(last, "@") && strings.Contains(last, "://") && !strings.HasPrefix(last, "ftp:") {
			assert.Contains(t, r.stderr, "environment", tc.args) // where credentials go
		}
		if last := tc.args[len(tc.args)-1]; strings.Contains(last, "://user:") && strings.Contains(last, "@bucket/") {
			assert.Contains(t, r.stderr, "credentials in a URL are refused", tc.args)
		}
		if tc.code == exitAccess {
			assert.Contains(t, r.stderr, "s3://bucket/prefix?endpoint=http://127.0.0.1:1&region=us-east-1&retries=1&use_path_style=true", tc.args)
		}
	}
}

func TestTimeout(t *testing.T) {
	f := localFixture(t, backup.Options{})
	for _, cmd := range []string{"verify", "list", "restore", "prune"} {
		args := []string{cmd, "--timeout", "1ns", f.url}
		if cmd == "prune" {
			args = []string{cmd, "--timeout", "0.000000001", f.url, "--keep-last", "1"} // seconds
		}
		if cmd == "restore" {
			args = append(args, "--out", filepath.Join(t.TempDir(), "x.json"))
		}
		r := cli(t, nil, args...)
		assert.Equal(t, exitStopped, r.code, r)
		assert.Contains(t, r.stderr, "timed out after 1ns", r)
		assert.NotContains(t, r.stderr, "corrupt", r)
	}
}

// Objects that are not restorable points are named in warnings.
func TestListWarnsAboutUnrestorable(t *testing.T) {
	f := localFixture(t, backup.Options{})
	require.NoError(t, os.Remove(f.path(f.objects[0]))) // D1 and D2 become orphans
	garbage := "dictdb_backup_1700000000_000000.json"
	require.NoError(t, os.WriteFile(f.path(garbage), []byte("not json"), 0o644))
	r := runOK(t, "list", f.url)
	assert.Len(t, strings.Split(strings.TrimSpace(r.stdout), "\n"), 4, r.stdout)
	for _, key := range f.objects[1:3] {
		assert.Contains(t, r.stderr, "warning: "+key+" is not a restorable point: "+notRestorable)
		assert.NotContains(t, r.stdout, key)
	}
	assert.Contains(t, r.stderr, "warning: "+garbage+" is not a restorable point: "+garbage+": ")
	assert.Equal(t, 3, strings.Count(r.stderr, "warning:"))

	// verify counts them as problems.
	r = cli(t, nil, "verify", f.url)
	assert.Equal(t, exitProblems, r.code, r)
	assert.Regexp(t, regexp.QuoteMeta(f.objects[1])+`\s+orphan`, r.stdout)
	assert.Regexp(t, regexp.QuoteMeta(garbage)+`\s+unreadable header`, r.stdout)
}

// Backups written by the Python DictDB: no chain, no sequence numbers.
func TestPythonWritten(t *testing.T) {
	dir := t.TempDir()
	url := "file://" + dir
	write := func(key, body string) { require.NoError(t, os.WriteFile(filepath.Join(dir, key), []byte(body), 0o644)) }
	full, delta := "dictdb_backup_1700000001_000000.json", "dictdb_delta_1700000002_500000.json"
	write(full, `{"tables": {"users": {"primary_key": "id", "schema": null, "records": [{"id": 1, "name": "Alice"}, {"id": 2, "name": "Bob"}]}}}`)
	write(delta, `{"type": "delta", "timestamp": 1700000002.5, "tables": {"users": {"upserts": [{"id": 3, "name": "Carol"}], "deletes": [2]}}}`)

	r := runOK(t, "list", url)
	assert.Regexp(t, `(?m)^2023-11-14T22:13:21\.000000Z\s+full\s+-\s+\S+ B\s+-\s+`+full+`$`, r.stdout)
	assert.Regexp(t, `(?m)^2023-11-14T22:13:22\.500000Z\s+delta\s+-\s+\S+ B\s+-\s+`+delta+`$`, r.stdout)
	runOK(t, "verify", url)

	out := filepath.Join(t.TempDir(), "db.json")
	r = runOK(t, "restore", url, "--out", out)
	assert.Contains(t, r.stderr, "restored "+delta+" (delta, seq -, 2023-11-14T22:13:22.500000Z, chain -)")
	assert.Contains(t, r.stderr, "1 table, 2 records")
	db, err := dictdb.LoadFile(out, dictdb.FormatJSON)
	require.NoError(t, err)
	users, err := db.Table("users")
	require.NoError(t, err)
	assert.Equal(t, []dictdb.Record{{"id": int64(1), "name": "Alice"}, {"id": int64(3), "name": "Carol"}}, users.Select(nil))

	r = runOK(t, "inspect", url, full)
	assert.Regexp(t, `(?m)^format\s+written by the Python DictDB \(no header\), codec json$`, r.stdout)
	assert.Regexp(t, `(?m)^checksum\s+none \(Python-written object\)$`, r.stdout)
	assert.NotRegexp(t, `(?m)^chain`, r.stdout)
	assert.Contains(t, r.stdout, "1 table, 2 records\n")
	r = runOK(t, "inspect", "--json", url, delta)
	var ij inspectJSON
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &ij))
	assert.True(t, ij.Legacy)
	assert.Equal(t, "none", ij.Checksum)
	assert.Equal(t, "2023-11-14T22:13:22.500000Z", ij.Timestamp)
}
