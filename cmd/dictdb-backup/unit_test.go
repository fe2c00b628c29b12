package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/backup"
	"github.com/dictdb/dictdb-go/catalog"
	"github.com/dictdb/dictdb-go/restore"
	"github.com/dictdb/dictdb-go/sink"
)

func TestHumanSize(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 1258291: "1.2 MiB",
		5 << 30: "5.0 GiB", 3 << 40: "3.0 TiB", 2 << 50: "2.0 PiB", 4096 << 50: "4096.0 PiB",
	} {
		assert.Equal(t, want, humanSize(n), n)
	}
}

func TestParseTime(t *testing.T) {
	for in, want := range map[string]time.Time{
		"2025-11-26T12:00:00Z":             time.Date(2025, 11, 26, 12, 0, 0, 0, time.UTC),
		"2025-11-26T13:00:00.123456+01:00": time.Date(2025, 11, 26, 12, 0, 0, 123456000, time.UTC),
		"1764158400":                       time.Unix(1764158400, 0),
		"1764158400.5":                     time.Unix(1764158400, 500000000),
		"1764158400.000001":                time.Unix(1764158400, 1000),
		"2026-12-01":                       time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
	} {
		got, err := parseTime(in)
		require.NoError(t, err, in)
		assert.True(t, want.Equal(got), "%s: %v", in, got)
	}
	for _, in := range []string{"", "yesterday", "2025-11-26T10:00", "2025-13-01", "1764158400.", ".5", "-1", "1e9", "1764158400.1234567890", "99999999999999999999"} {
		_, err := parseTime(in)
		assert.Error(t, err, in)
	}
}

func TestParseInterspersed(t *testing.T) {
	for _, tc := range []struct {
		args, pos []string
		json      bool
		out       string
	}{
		{[]string{"a", "b"}, []string{"a", "b"}, false, ""},
		{[]string{"--json", "a", "--out", "x", "b"}, []string{"a", "b"}, true, "x"},
		{[]string{"a", "--json", "b", "--out=x"}, []string{"a", "b"}, true, "x"},
		{[]string{"a", "--", "--json", "-x"}, []string{"a", "--json", "-x"}, false, ""},
		{[]string{"--out", "--", "a"}, []string{"a"}, false, "--"},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		j := fs.Bool("json", false, "")
		out := fs.String("out", "", "")
		pos, err := parseInterspersed(fs, tc.args)
		require.NoError(t, err, tc.args)
		assert.Equal(t, tc.pos, pos, tc.args)
		assert.Equal(t, tc.json, *j, tc.args)
		assert.Equal(t, tc.out, *out, tc.args)
	}
}

func TestPlanPath(t *testing.T) {
	at := func(s int) time.Time { return time.Unix(1764158400+int64(s), 0).UTC() }
	p := func(key string, kind catalog.Kind, s int, seq uint64, base string) restore.Point {
		return restore.Point{Key: key, Kind: kind, Time: at(s), Seq: seq, Size: int64(100 * seq), Chain: "c-" + base, Base: base}
	}
	points := []restore.Point{
		p("F1", "full", 0, 10, "F1"), p("D1", "delta", 1, 12, "F1"), p("D2", "delta", 2, 15, "F1"),
		p("F2", "full", 3, 15, "F2"), p("D3", "delta", 4, 20, "F2"),
	}
	keys := func(ps []restore.Point) string {
		var ks []string
		for _, p := range ps {
			ks = append(ks, p.Key)
		}
		return strings.Join(ks, " ")
	}
	seq := func(n uint64) *uint64 { return &n }
	for _, tc := range []struct {
		o    restoreOptions
		want string
	}{
		{restoreOptions{}, "F2 D3"},
		{restoreOptions{time: at(2)}, "F1 D1 D2"},
		{restoreOptions{time: at(3)}, "F2"},
		{restoreOptions{time: at(100)}, "F2 D3"},
		{restoreOptions{time: at(-1)}, ""},
		{restoreOptions{seq: seq(14)}, "F1 D1"},
		{restoreOptions{seq: seq(15)}, "F2"},
		{restoreOptions{seq: seq(9)}, ""},
	} {
		assert.Equal(t, tc.want, keys(planPath(points, &tc.o)), "%+v", tc.o)
	}
}

// The progress bar's total is what the restore reads in full: the counting
// sink counts exactly the planned objects' sizes: each object once, as far
// as it was read, though its header is read first.
func TestProgressCountsPlannedObjects(t *testing.T) {
	f := localFixture(t, backup.Options{})
	ctx := context.Background()
	for _, o := range []restoreOptions{{}, {time: f.points[2].Time}, {seq: &f.points[4].Seq}} {
		path := planPath(f.points, &o)
		require.NotEmpty(t, path)
		keys := map[string]bool{}
		var total int64
		for _, p := range path {
			keys[p.Key] = true
			total += p.Size
		}
		a := &app{progress: true, stderr: io.Discard}
		bar := a.bar("restoring", total, "")
		cs := newCountingSink(f.sink, keys, bar)
		var err error
		switch {
		case o.seq != nil:
			_, err = restore.ToSeq(ctx, cs, *o.seq)
		case !o.time.IsZero():
			_, err = restore.ToTime(ctx, cs, o.time)
		default:
			_, err = restore.Latest(ctx, cs)
		}
		require.NoError(t, err)
		bar.finish(true)
		assert.Equal(t, total, bar.n, "%+v", o)
	}
}

// run works in-process too, and the progress bar reaches 100%.
func TestRunInProcess(t *testing.T) {
	f := localFixture(t, backup.Options{})
	var stdout, stderr bytes.Buffer
	out := filepath.Join(t.TempDir(), "db.json")
	code := run(context.Background(), []string{"restore", f.url, "--out", out, "--progress", "always"}, &stdout, &stderr)
	require.Equal(t, exitOK, code, stderr.String())
	assert.Contains(t, stderr.String(), "100%")
	f.requireRestored(t, out, "json", f.points[len(f.points)-1])

	stdout.Reset()
	stderr.Reset()
	code = run(context.Background(), []string{"list", "mem://"}, &stdout, &stderr)
	assert.Equal(t, exitNothing, code)
	assert.Equal(t, "dictdb-backup list: no backup objects in mem:// (is the location right?)\n", stderr.String())
}

func TestScrub(t *testing.T) {
	a := &app{secrets: []string{"hunter2"}}
	assert.Equal(t, "pass xxxxx and xxxxx", a.scrub("pass hunter2 and hunter2"))

	// Credentials in the URL are refused, and scrubbed from what is printed.
	a = &app{cmd: listCommand, stderr: io.Discard}
	_, err := a.open(context.Background(), "mem://user:hunter3@", false)
	require.ErrorIs(t, err, sink.ErrCredentialsInURL)
	assert.Equal(t, exitUsage, a.fail(err))
	assert.NotContains(t, err.Error(), "hunter3")
	_, err = a.open(context.Background(), "mem://?session_token=tok-42", false)
	require.Error(t, err)
	assert.Equal(t, exitUsage, a.fail(err))
	assert.NotContains(t, err.Error(), "tok-42")
	// Every value Redact hides is scrubbed, whatever the parameter's name.
	_, err = a.open(context.Background(), "mem://?sig=sig-43&X-Amz-Signature=amz-44&region=eu-west-1", false)
	require.Error(t, err)
	assert.Equal(t, "xxxxx xxxxx xxxxx xxxxx eu-west-1", a.scrub("hunter3 tok-42 sig-43 amz-44 eu-west-1"))
}

// An interrupt (a cancelled context) has its own exit code and message,
// never "corrupt".
func TestInterruptIsNotCorruption(t *testing.T) {
	f := localFixture(t, backup.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, args := range [][]string{
		{"list", f.url}, {"verify", f.url}, {"restore", f.url, "--out", filepath.Join(t.TempDir(), "db.json")},
	} {
		var stdout, stderr bytes.Buffer
		code := run(ctx, args, &stdout, &stderr)
		assert.Equal(t, exitStopped, code, "%v: %s", args, stderr.String())
		assert.Contains(t, stderr.String(), "interrupted", args)
		assert.NotContains(t, stderr.String(), "corrupt", args)
	}
}
