//go:build integration

package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/backup"
	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/sink"
	"github.com/dictdb/dictdb-go/sink/sinktest"
)

// minioEnv is what the MinIO tests need, as scripts/test-servers.sh env
// sets it (and integration/env_test.go reads it).
var minioEnv = []string{"DICTDB_S3_ENDPOINT", "DICTDB_S3_BUCKET", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}

// minioURL returns the URL of a fresh random prefix of the MinIO test
// bucket, whose objects are deleted when the test ends. It skips the test
// without the environment, or fails it when DICTDB_REQUIRE_INTEGRATION=1.
func minioURL(t *testing.T) string {
	t.Helper()
	for _, v := range minioEnv {
		if os.Getenv(v) == "" {
			msg := fmt.Sprintf("minio: %s is not set; start the servers with scripts/test-servers.sh up, then eval \"$(scripts/test-servers.sh env)\" (or run scripts/test.sh)", v)
			if os.Getenv("DICTDB_REQUIRE_INTEGRATION") == "1" {
				t.Fatal(msg + " [DICTDB_REQUIRE_INTEGRATION=1: a skip is a failure]")
			}
			t.Skip(msg)
		}
	}
	var b [6]byte
	_, err := rand.Read(b[:])
	require.NoError(t, err)
	prefix := "itest-cli-" + hex.EncodeToString(b[:])
	u := fmt.Sprintf("s3://%s/%s?endpoint=%s&use_path_style=true&region=us-east-1",
		os.Getenv("DICTDB_S3_BUCKET"), prefix, url.QueryEscape(os.Getenv("DICTDB_S3_ENDPOINT")))
	s, err := sink.Open(context.Background(), u)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx := context.Background()
		if objs, err := s.List(ctx, ""); err == nil {
			for _, o := range objs {
				_ = s.Delete(ctx, o.Key)
			}
		}
		s.Close()
	})
	return u
}

// minioFixture writes the fixture to a fresh prefix of the test bucket.
func minioFixture(t *testing.T, opts backup.Options, ids ...age.Identity) *fixture {
	t.Helper()
	u := minioURL(t)
	s, err := sink.Open(context.Background(), u)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	f := writeFixture(t, s, opts, ids...)
	f.url = u
	return f
}

// noSecrets checks that the credentials never reach the output.
func noSecrets(t *testing.T, r result) {
	t.Helper()
	assert.NotContains(t, r.stdout+r.stderr, os.Getenv("AWS_SECRET_ACCESS_KEY"))
}

func TestMinIO(t *testing.T) {
	f := minioFixture(t, backup.Options{})
	n := newNormalizer(t, f)
	ok := func(args ...string) result {
		t.Helper()
		r := runOK(t, args...)
		noSecrets(t, r)
		return r
	}

	// list and verify: the same output as on a local directory.
	golden(t, n, "list.json", ok("list", "--json", f.url).stdout)
	r := ok("list", f.url)
	assert.Len(t, strings.Split(strings.TrimSpace(r.stdout), "\n"), 7)
	golden(t, n, "verify.json", ok("verify", "--json", f.url).stdout)
	assert.Contains(t, ok("verify", f.url).stdout, "6 objects read, 6 points in 2 chains restorable: OK")

	// inspect
	golden(t, n, "inspect-full.json", ok("inspect", "--json", f.url, f.objects[3]).stdout)
	golden(t, n, "inspect-delta.json", ok("inspect", "--json", f.url, f.objects[5]).stdout)

	// restore: the latest, by sequence number and by time
	out := t.TempDir()
	ok("restore", f.url, "--out", filepath.Join(out, "latest.json"), "--progress", "always")
	f.requireRestored(t, filepath.Join(out, "latest.json"), dictdb.FormatJSON, f.points[5])
	ok("restore", f.url, "--seq", strconv.FormatUint(f.points[1].Seq, 10), "--out", filepath.Join(out, "seq.json"))
	f.requireRestored(t, filepath.Join(out, "seq.json"), dictdb.FormatJSON, f.points[1])
	ok("restore", f.url, "--time", formatTime(f.points[4].Time), "--out", filepath.Join(out, "time.json"))
	f.requireRestored(t, filepath.Join(out, "time.json"), dictdb.FormatJSON, f.points[4])

	// copy MinIO -> file -> another MinIO prefix, byte for byte.
	local := "file://" + filepath.Join(t.TempDir(), "copy")
	ok("copy", "--all", f.url, local)
	assert.Equal(t, ok("list", "--json", f.url).stdout, ok("list", "--json", local).stdout)
	back := minioURL(t)
	r = ok("copy", local, back)
	assert.Contains(t, r.stdout, "copied 3 objects")
	var ps []pointJSON
	require.NoError(t, json.Unmarshal([]byte(ok("list", "--json", back).stdout), &ps))
	var want []pointJSON
	require.NoError(t, json.Unmarshal([]byte(ok("list", "--json", f.url).stdout), &want))
	assert.Equal(t, want[3:], ps)

	// prune: a dry run deletes nothing; --yes deletes the old chain; the
	// kept points still restore.
	r = ok("prune", f.url, "--keep-last", "2")
	assert.Contains(t, r.stdout, "dry run: would delete 3 objects")
	assert.Len(t, listKeys(t, f), 6)
	r = ok("prune", f.url, "--keep-last", "2", "--yes")
	assert.Contains(t, r.stdout, "deleted 3 objects")
	assert.ElementsMatch(t, f.objects[3:], listKeys(t, f))
	for _, p := range f.points[4:] {
		file := filepath.Join(out, "kept-"+p.Key)
		ok("restore", f.url, "--seq", strconv.FormatUint(p.Seq, 10), "--out", file)
		f.requireRestored(t, file, dictdb.FormatJSON, p)
	}

	// A corrupt object: verify exits 1 and names it.
	f.flipByte(t, f.objects[4])
	r = cli(t, nil, "verify", f.url)
	assert.Equal(t, exitProblems, r.code, r)
	assert.Contains(t, r.stdout, f.objects[4])
	noSecrets(t, r)
}

func TestMinIOEncrypted(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	require.NoError(t, err)
	f := minioFixture(t, backup.Options{
		Compression: backup.CompressionGzip,
		Encryption:  &backup.Encryption{Recipients: []age.Recipient{id.Recipient()}},
	}, id)
	r := cli(t, nil, "list", f.url)
	assert.Equal(t, exitAccess, r.code, r)
	assert.Contains(t, r.stderr, "encrypted")
	assert.Contains(t, r.stderr, "no identity")
	noSecrets(t, r)

	key := identityFile(t, id)
	r = runOK(t, "list", "--identity", key, f.url)
	assert.Len(t, strings.Split(strings.TrimSpace(r.stdout), "\n"), 7)
	out := filepath.Join(t.TempDir(), "db.json")
	runOK(t, "restore", "--identity", key, f.url, "--out", out)
	f.requireRestored(t, out, dictdb.FormatJSON, f.points[5])
	r = runOK(t, "inspect", "--identity", key, f.url, f.objects[4])
	assert.Regexp(t, `(?m)^compression\s+gzip$`, r.stdout)
	assert.Regexp(t, `(?m)^encryption\s+age$`, r.stdout)
}

func listKeys(t *testing.T, f *fixture) []string {
	t.Helper()
	objs, err := sinktest.ListBut(context.Background(), f.sink, backup.LeaseKey)
	require.NoError(t, err)
	var keys []string
	for _, o := range objs {
		keys = append(keys, o.Key)
	}
	return keys
}

// A bucket that does not exist is nothing there (exit 4), in one line.
func TestMissingBucketMinIO(t *testing.T) {
	u := minioURL(t)
	missing := strings.Replace(u, "s3://"+os.Getenv("DICTDB_S3_BUCKET")+"/", "s3://no-such-bucket-dictdb/", 1)
	for _, cmd := range []string{"list", "verify"} {
		r := cli(t, nil, cmd, missing)
		assert.Equal(t, exitNothing, r.code, r)
		assert.Contains(t, r.stderr, "bucket or container not found", r)
		assert.Equal(t, 1, strings.Count(strings.TrimSpace(r.stderr), "\n")+1, "one line: %s", r.stderr)
	}
}
