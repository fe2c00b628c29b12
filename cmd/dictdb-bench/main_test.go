package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/dictdb"
)

// The command runs end to end on a tiny database and prints every row. No
// time is asserted: only that each measurement ran.
func TestSmoke(t *testing.T) {
	dir := t.TempDir()
	var out, progress bytes.Buffer
	err := run(context.Background(), []string{"-records", "3000", "-repeats", "1", "-sink", "file://" + dir}, &out, &progress)
	require.NoError(t, err, progress.String())
	table := out.String()
	t.Log("\n" + table)
	var want []string
	for _, f := range dictdb.Formats() {
		want = append(want, "full backup "+string(f)+" vs encoding/json", "full backup "+string(f)+" vs raw write",
			"restore.Latest "+string(f)+", full + 10 deltas vs encoding/json", "dictdb.Load "+string(f)+" (in memory) vs encoding/json",
			"peak extra heap, restore.Latest "+string(f))
	}
	want = append(want, "peak extra heap, full backup json", "delta of 1k changes, 3k vs 10k records",
		"insert rate, manager attached", "insert rate, manager + delta every 100ms", "writer p99.9 during a full backup",
		"requests per delta, continuous", "delta cost with 1k objects vs 100 in the prefix", "commit to durable, MaxLag 100 ms",
		"group commit, 8 writers vs 1",
		"full backup json zstd vs the compressor alone", "full backup json zstd+age vs the compressor alone")
	for _, w := range want {
		require.Contains(t, table, w)
	}
	require.Contains(t, table, "GOMAXPROCS")
	lines := strings.Split(strings.TrimSpace(table), "\n")
	require.Len(t, lines, 4+len(want), "header lines, the column titles and one line per row")
	var files []string
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files = append(files, path)
		}
		return err
	}))
	require.Empty(t, files, "the benchmark removes its objects")
}

func TestJSON(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-records", "2000", "-repeats", "1", "-json", "-q", "-sink", "mem://"}, &out, &out))
	var res result
	require.NoError(t, json.Unmarshal(out.Bytes(), &res))
	require.Equal(t, 2000, res.Machine.Records)
	require.NotEmpty(t, res.Rows)
	for _, r := range res.Rows {
		require.NotEmpty(t, r.Name)
		require.Greater(t, r.Ours, 0.0, r.Name)
		require.Greater(t, r.Baseline, 0.0, r.Name)
	}
}

func TestRedact(t *testing.T) {
	require.Equal(t, "s3://bucket/p?region=eu-west-1&secret=xxxxx", redact("s3://bucket/p?secret=S3cr3t&region=eu-west-1"))
	require.Equal(t, "https://xxxxx:xxxxx@host/x", redact("https://user:pw@host/x"))
	require.Equal(t, "file:///tmp/a", redact("file:///tmp/a"))
	require.Equal(t, "mem://", redact("mem://"))
	require.Equal(t, "(invalid URL)", redact("s3://AKIAEXAMPLE:S3cr3t/x@bucket"))
}
