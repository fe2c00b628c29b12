package main

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/backup"
)

// barRE matches a finished byte bar: what, 100%, bytes read of the total
// and the rate.
func barRE(what, total string) *regexp.Regexp {
	return regexp.MustCompile(regexp.QuoteMeta(what) + ` 100% \|█+\| \(\S+/` + regexp.QuoteMeta(total) + `, \S+ \S+/s\)`)
}

// --progress=always draws bars on stderr for verify, copy, restore (the
// download and the save) and prune; stdout is the same as without them.
func TestProgressAlways(t *testing.T) {
	f := localFixture(t, backup.Options{})
	var all int64
	for _, key := range f.objects {
		all += f.size(t, key)
	}
	same := func(args ...string) result {
		t.Helper()
		quiet := runOK(t, append(args, "--progress", "never")...)
		loud := runOK(t, append(args, "--progress", "always")...)
		assert.Equal(t, quiet.stdout, loud.stdout, "%v: progress never goes to stdout", args)
		assert.NotContains(t, quiet.stderr, "100%", args)
		assert.Contains(t, loud.stderr, "100%", args)
		return loud
	}

	r := same("verify", f.url)
	assert.Regexp(t, barRE("verifying", humanSize(all)), r.stderr)
	r = same("verify", "--json", f.url)
	assert.Regexp(t, barRE("verifying", humanSize(all)), r.stderr)

	// copy: the bytes copied, then the destination verified.
	var newest int64
	for _, key := range f.objects[3:] {
		newest += f.size(t, key)
	}
	r = runOK(t, "copy", "--json", f.url, filepath.Join(t.TempDir(), "c"), "--progress", "always")
	assert.Regexp(t, barRE("copying", humanSize(newest)), r.stderr)
	assert.Regexp(t, barRE("verifying", humanSize(newest)), r.stderr)
	var cj copyJSON
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &cj))
	assert.Len(t, cj.Copied, 3)

	// restore: the download, then the save, to a file or to stdout.
	out := filepath.Join(t.TempDir(), "db.json")
	r = runOK(t, "restore", f.url, "--out", out, "--progress", "always")
	assert.Regexp(t, barRE("restoring", humanSize(newest)), r.stderr)
	assert.Regexp(t, `saving 100% \|█+\| \(\S+/\S+ \S+, \S+ \S+/s\)`, r.stderr)
	assert.Less(t, strings.Index(r.stderr, "restoring 100%"), strings.Index(r.stderr, "saving 100%"))
	assert.Contains(t, r.stderr, "restored "+f.points[5].Key)
	f.requireRestored(t, out, "json", f.points[5])
	same("restore", f.url, "--out", "-")
	same("restore", f.url, "--out", "-", "--seq", strconv.FormatUint(f.points[1].Seq, 10))

	// prune: the headers read; with --yes, the plan, then the bytes deleted.
	r = same("prune", f.url, "--keep-last", "2")
	assert.Regexp(t, `reading headers 100% \|█+\| \(6/6, \S+ headers/s\)`, r.stderr)
	r = same("prune", "--json", f.url, "--keep-last", "2")
	var dry pruneJSON
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &dry))
	r = runOK(t, "prune", f.url, "--keep-last", "2", "--yes", "--progress", "always")
	assert.Regexp(t, `planning 100% \|█+\| \(6/6, \S+ headers/s\)`, r.stderr)
	assert.Regexp(t, barRE("deleting", humanSize(dry.Bytes)), r.stderr)
	assert.Contains(t, r.stdout, "deleted 3 objects")
}

// auto: no bars when stderr is not a terminal (here, a pipe).
func TestProgressAuto(t *testing.T) {
	f := localFixture(t, backup.Options{})
	for _, args := range [][]string{
		{"verify", f.url}, {"restore", f.url, "--out", "-"}, {"prune", f.url, "--keep-last", "1"}, {"copy", f.url, t.TempDir()},
	} {
		r := runOK(t, args...)
		assert.NotContains(t, r.stderr, "%", args)
	}
}
