package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/backup"
	"github.com/dictdb/dictdb-go/dictdb"
)

// --out - writes the database to stdout, and nothing else goes there.
func TestRestoreToStdout(t *testing.T) {
	f := localFixture(t, backup.Options{})
	file := filepath.Join(t.TempDir(), "db.json")
	runOK(t, "restore", f.url, "--out", file)
	want, err := os.ReadFile(file)
	require.NoError(t, err)

	for _, progress := range []string{"never", "always"} {
		r := runOK(t, "restore", f.url, "--out", "-", "--progress", progress)
		assert.Equal(t, string(want), r.stdout, "the database, byte for byte")
		assert.Contains(t, r.stderr, "restored "+f.points[5].Key)
		assert.Contains(t, r.stderr, " to stdout: 2 tables, 6 records")
		assert.NoFileExists(t, "-")
	}
	r := runOK(t, "restore", f.url, "--out", "-", "--format", "cbor")
	db, err := dictdb.Load(bytes.NewReader([]byte(r.stdout)), dictdb.FormatBinary)
	require.NoError(t, err)
	assert.Equal(t, []string{"tags", "users"}, db.TableNames())
}

// The destination is checked before anything is read, and a failed restore
// leaves no file, not even a temporary one.
func TestRestoreOutChecked(t *testing.T) {
	f := localFixture(t, backup.Options{})
	// The --out error comes first, whatever the location holds: here none.
	for _, loc := range []string{f.url, filepath.Join(t.TempDir(), "missing")} {
		r := cli(t, nil, "restore", loc, "--out", "/nonexistent/x.json")
		assert.Equal(t, exitAccess, r.code, r)
		assert.Equal(t, "dictdb-backup restore: --out /nonexistent/x.json: directory /nonexistent: no such file or directory\n", r.stderr)
	}
	notDir := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(notDir, nil, 0o644))
	r := cli(t, nil, "restore", f.url, "--out", filepath.Join(notDir, "x.json"))
	assert.Equal(t, exitAccess, r.code, r)
	assert.Contains(t, r.stderr, notDir+" is not a directory")

	// A restore that fails (a corrupt delta) leaves the directory empty.
	out := t.TempDir()
	f.flipByte(t, f.objects[5])
	r = cli(t, nil, "restore", f.url, "--out", filepath.Join(out, "db.json"))
	assert.Equal(t, exitProblems, r.code, r)
	entries, err := os.ReadDir(out)
	require.NoError(t, err)
	assert.Empty(t, entries)
	// An existing file stays as it was.
	existing := filepath.Join(out, "db.json")
	require.NoError(t, os.WriteFile(existing, []byte("keep me"), 0o644))
	r = cli(t, nil, "restore", f.url, "--out", existing, "--force")
	assert.Equal(t, exitProblems, r.code, r)
	got, err := os.ReadFile(existing)
	require.NoError(t, err)
	assert.Equal(t, "keep me", string(got))
	entries, err = os.ReadDir(out)
	require.NoError(t, err)
	assert.Len(t, entries, 1)
}

// restore --json: the point restored, or why not and the newest point that
// restores exactly.
func TestRestoreJSON(t *testing.T) {
	f := localFixture(t, backup.Options{})
	out := filepath.Join(t.TempDir(), "db.json")
	r := runOK(t, "restore", "--json", f.url, "--out", out, "--seq", strconv.FormatUint(f.points[4].Seq, 10))
	assert.Empty(t, r.stderr)
	var got restoreJSON
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
	pj := toPointJSON(f.points[4])
	assert.Equal(t, restoreJSON{OK: true, Point: &pj, Out: out, Format: "json", Tables: 2, Records: 8}, got)
	f.requireRestored(t, out, dictdb.FormatJSON, f.points[4])

	// A gap: D3 is gone, so D4 does not fit; F2 is the newest exact point.
	require.NoError(t, os.Remove(f.path(f.objects[4])))
	out2 := filepath.Join(t.TempDir(), "db.json")
	r = cli(t, nil, "restore", f.url, "--out", out2)
	assert.Equal(t, exitProblems, r.code, r)
	assert.Contains(t, r.stderr, "dictdb-backup restore: cannot restore exactly: an object does not fit: "+f.objects[5]+": changes in sequence range")
	assert.Contains(t, r.stderr, "the newest point that restores exactly is "+f.objects[3])
	assert.Contains(t, r.stderr, "\nto restore that point on purpose: --time "+formatTime(f.points[3].Time)+"\n")
	r = cli(t, nil, "restore", "--json", f.url, "--out", out2)
	assert.Equal(t, exitProblems, r.code, r)
	var failed restoreJSON
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &failed))
	assert.False(t, failed.OK)
	require.Len(t, failed.Unaccounted, 1)
	assert.Equal(t, f.objects[5], failed.Unaccounted[0].Key)
	assert.Contains(t, failed.Unaccounted[0].Error, "changes in sequence range")
	newest := toPointJSON(f.points[3])
	assert.Equal(t, &newest, failed.Newest)
	assert.Contains(t, failed.Error, "cannot restore exactly")
	assert.NoFileExists(t, out2)

	// The hint restores that point.
	runOK(t, "restore", f.url, "--out", out2, "--time", formatTime(f.points[3].Time))
	f.requireRestored(t, out2, dictdb.FormatJSON, f.points[3])

	// Other failures are JSON too: nothing there.
	r = cli(t, nil, "restore", "--json", t.TempDir(), "--out", filepath.Join(t.TempDir(), "x.json"))
	assert.Equal(t, exitNothing, r.code, r)
	var none restoreJSON
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &none))
	assert.Contains(t, none.Error, "no backup objects in")
}
