package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/backup"
	"github.com/dictdb/dictdb-go/catalog"
	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/dictdb/dictdbtest"
	"github.com/dictdb/dictdb-go/restore"
	"github.com/dictdb/dictdb-go/sink"
	"github.com/dictdb/dictdb-go/sink/local"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// binary is the dictdb-backup command built by TestMain.
var binary string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "dictdb-backup-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "dictdb-backup")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building dictdb-backup:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is what one run of the binary did.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout:\n%s--- stderr:\n%s", r.code, r.stdout, r.stderr)
}

// cli runs the built binary with args, in an environment without
// DICTDB_PASSPHRASE, plus env ("NAME=value").
func cli(t *testing.T, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, passphraseEnv+"=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatalf("running %v: %v", args, err)
	}
	return r
}

// run is cli with no extra environment, checking the exit code.
func runOK(t *testing.T, args ...string) result {
	t.Helper()
	r := cli(t, nil, args...)
	require.Equal(t, 0, r.code, "%v\n%s", args, r)
	return r
}

// fixture is a sink holding backups written by a real backup.Manager: two
// chains, F1 D1 D2 then F2 D3 D4, and the database at every point.
type fixture struct {
	sink    sink.Sink
	dir     string // for local fixtures
	url     string
	ids     []age.Identity
	objects []string          // every key, oldest first
	points  []restore.Point   // restore.List of the sink
	states  map[uint64][]byte // the database (JSON) at each point's sequence number
}

// localFixture writes the fixture to a new local directory.
func localFixture(t *testing.T, opts backup.Options, ids ...age.Identity) *fixture {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "backups")
	s, err := local.New(dir)
	require.NoError(t, err)
	f := writeFixture(t, s, opts, ids...)
	f.dir, f.url = dir, "file://"+filepath.ToSlash(dir)
	return f
}

// writeFixture writes the backups to s.
func writeFixture(t *testing.T, s sink.Sink, opts backup.Options, ids ...age.Identity) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{sink: s, ids: ids, states: map[uint64][]byte{}}
	db := dictdb.New()
	users, err := db.CreateTable("users", dictdb.WithSchema(dictdb.Schema{"id": dictdb.Int, "name": dictdb.String, "age": dictdb.Int}))
	require.NoError(t, err)
	for i, name := range []string{"Alice", "Bob", "Carol", "Dan", "Eve"} {
		_, err := users.Insert(dictdb.Record{"name": name, "age": 30 + i})
		require.NoError(t, err)
	}
	opts.Interval, opts.Incremental, opts.MaxDeltasBeforeFull = -1, true, 100
	m, err := backup.NewManager(db, s, opts)
	require.NoError(t, err)
	defer m.Stop()
	snap := func(backupFn func(context.Context) error) {
		require.NoError(t, backupFn(ctx))
		var buf bytes.Buffer
		require.NoError(t, db.Save(&buf, dictdb.FormatJSON))
		f.states[db.Sequence()] = buf.Bytes()
	}
	must := func(_ any, err error) { require.NoError(t, err) }

	snap(m.BackupFull) // F1
	must(users.Update(func(r dictdb.Record) bool { return r["name"] == "Alice" }, dictdb.Record{"age": 31}))
	must(users.Insert(dictdb.Record{"name": "Frank", "age": 40}))
	snap(m.BackupDelta) // D1
	events, err := db.CreateTable("events", dictdb.WithPrimaryKey("event_id"))
	require.NoError(t, err)
	for i := 0; i < 3; i++ {
		must(events.Insert(dictdb.Record{"type": "click", "x": float64(i) + 0.5}))
	}
	snap(m.BackupDelta) // D2
	must(users.Insert(dictdb.Record{"name": "Grace", "age": 28}))
	snap(m.BackupFull) // F2
	must(users.Delete(func(r dictdb.Record) bool { return r["name"] == "Bob" || r["name"] == "Dan" }))
	must(users.Upsert(dictdb.Record{"id": int64(1), "name": "Alice", "age": 32}))
	snap(m.BackupDelta) // D3
	require.NoError(t, db.DropTable("events"))
	tags, err := db.CreateTable("tags", dictdb.WithPrimaryKey("tag"))
	require.NoError(t, err)
	must(tags.Insert(dictdb.Record{"tag": "vip", "users": []any{int64(1), int64(3)}}))
	snap(m.BackupDelta) // D4

	objs, err := s.List(ctx, catalog.CommonPrefix)
	require.NoError(t, err)
	for _, o := range objs {
		f.objects = append(f.objects, o.Key)
	}
	sort.Slice(f.objects, func(i, j int) bool { return micros(t, f.objects[i]) < micros(t, f.objects[j]) })
	require.Len(t, f.objects, 6)
	f.points, err = restore.List(ctx, s, restore.WithIdentities(ids...))
	require.NoError(t, err)
	require.Len(t, f.points, 6)
	return f
}

func micros(t *testing.T, key string) int64 {
	n, ok := catalog.Parse(key)
	require.True(t, ok, key)
	return n.Micros
}

// state returns the database at a point.
func (f *fixture) state(t *testing.T, p restore.Point) *dictdb.DB {
	t.Helper()
	b, ok := f.states[p.Seq]
	require.True(t, ok, "no state for seq %d", p.Seq)
	db, err := dictdb.Load(bytes.NewReader(b), dictdb.FormatJSON)
	require.NoError(t, err)
	return db
}

// path returns the file of an object of a local fixture.
func (f *fixture) path(key string) string { return filepath.Join(f.dir, key) }

// size returns the size of an object.
func (f *fixture) size(t *testing.T, key string) int64 {
	objs, err := f.sink.List(context.Background(), key)
	require.NoError(t, err)
	for _, o := range objs {
		if o.Key == key {
			return o.Size
		}
	}
	t.Fatalf("no object %s", key)
	return 0
}

// flipByte corrupts an object near its end, in its tables (the header
// stays readable), keeping its size.
func (f *fixture) flipByte(t *testing.T, key string) {
	t.Helper()
	ctx := context.Background()
	rc, err := f.sink.Get(ctx, key)
	require.NoError(t, err)
	b, err := io.ReadAll(rc)
	rc.Close()
	require.NoError(t, err)
	i := bytes.LastIndex(b, []byte(`"checksum"`))
	require.Greater(t, i, 10, "an unencrypted, uncompressed object with a checksum")
	b[i-10] ^= 0x20
	require.NoError(t, f.sink.Put(ctx, key, bytes.NewReader(b)))
}

// requireRestored checks that file holds the database at point p.
func (f *fixture) requireRestored(t *testing.T, file string, format dictdb.Format, p restore.Point) {
	t.Helper()
	got, err := dictdb.LoadFile(file, format)
	require.NoError(t, err)
	require.NoError(t, dictdbtest.Diff(f.state(t, p), got), "restored %s", p.Key)
}

// identityFile writes an age identity file and returns its path.
func identityFile(t *testing.T, id *age.X25519Identity) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "key.txt")
	content := fmt.Sprintf("# created: for a test\n# public key: %s\n%s\n", id.Recipient(), id)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

// normalizer turns the unstable parts of JSON output (keys, times, chain
// ids, sizes, hashes) into stable names, checking each against the
// fixture's ground truth: a value that does not match it stays as it is,
// and the golden comparison fails.
type normalizer struct {
	strs  map[string]string // exact strings and substrings
	order []string          // the keys of strs, longest first
	sizes map[string]int64  // object key -> size
	names map[string]string // object key -> its stable name
}

var hashRE = regexp.MustCompile(`sha256:[0-9a-f]{64}`)

func newNormalizer(t *testing.T, f *fixture) *normalizer {
	n := &normalizer{strs: map[string]string{}, sizes: map[string]int64{}, names: map[string]string{}}
	chains := 0
	for i, key := range f.objects {
		o, ok := catalog.Parse(key)
		require.True(t, ok)
		name := fmt.Sprintf("%s-%d", o.Kind, i+1)
		n.names[key] = name
		n.strs[key] = "<" + name + ">"
		n.strs[formatTime(o.Time())] = "<time of " + name + ">"
		n.sizes[key] = f.size(t, key)
	}
	for _, p := range f.points {
		if _, ok := n.strs[p.Chain]; !ok && p.Chain != "" {
			chains++
			n.strs[p.Chain] = fmt.Sprintf("<chain-%d>", chains)
		}
	}
	for s := range n.strs {
		n.order = append(n.order, s)
	}
	sort.Slice(n.order, func(i, j int) bool { return len(n.order[i]) > len(n.order[j]) })
	return n
}

func (n *normalizer) str(s string) string {
	if r, ok := n.strs[s]; ok {
		return r
	}
	for _, k := range n.order {
		s = strings.ReplaceAll(s, k, n.strs[k])
	}
	return hashRE.ReplaceAllString(s, "sha256:<hash>")
}

func (n *normalizer) walk(v any) any {
	switch v := v.(type) {
	case map[string]any:
		key, _ := v["key"].(string)
		for k, e := range v {
			if num, ok := e.(json.Number); ok && (k == "size" || k == "content_bytes") && key != "" {
				if size, known := n.sizes[key]; known && num.String() == fmt.Sprint(size) {
					v[k] = "<size of " + n.names[key] + ">"
					continue
				}
			}
			v[k] = n.walk(e)
		}
		return v
	case []any:
		for i := range v {
			v[i] = n.walk(v[i])
		}
		return v
	case string:
		return n.str(v)
	}
	return v
}

// golden compares the normalised JSON out with testdata/name.golden, or
// rewrites it with -update.
func golden(t *testing.T, n *normalizer, name, out string) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	dec.UseNumber()
	var v any
	require.NoError(t, dec.Decode(&v), "not JSON:\n%s", out)
	_, err := dec.Token()
	require.ErrorIs(t, err, io.EOF, "one JSON value only")
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	require.NoError(t, enc.Encode(n.walk(v)))
	got := buf.Bytes()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create %s", path)
	assert.Equal(t, string(want), string(got), "%s differs (go test -update rewrites it)", path)
}
