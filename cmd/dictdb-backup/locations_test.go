package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/backup"
)

// cliIn runs the binary in dir, with env.
func cliIn(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, passphraseEnv+"=") && !strings.HasPrefix(kv, urlEnv+"=") && !strings.HasPrefix(kv, identityEnv+"=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else {
		require.NoError(t, err, args)
	}
	return r
}

// A location without a scheme is a local directory, relative or absolute,
// and is shown as it was given.
func TestPlainPaths(t *testing.T) {
	f := localFixture(t, backup.Options{})
	parent := filepath.Dir(f.dir)
	want := runOK(t, "list", "--json", f.url).stdout
	for _, tc := range []struct{ dir, loc string }{
		{parent, "backups"}, {parent, "./backups"}, {parent, "backups/"}, {filepath.Join(parent, ".."), filepath.Join(filepath.Base(parent), "backups")},
		{t.TempDir(), f.dir}, {parent, "file://./backups"},
	} {
		r := cliIn(t, tc.dir, nil, "list", "--json", tc.loc)
		require.Equal(t, 0, r.code, "%s in %s\n%s", tc.loc, tc.dir, r)
		assert.Equal(t, want, r.stdout, tc.loc)
	}
	r := cliIn(t, parent, nil, "verify", "./backups")
	assert.Equal(t, exitOK, r.code, r)
	assert.Equal(t, "verify ./backups: 6 objects read, 6 points in 2 chains restorable: OK\n", r.stdout)

	// A mistyped directory: nothing there (exit 4), and nothing created.
	r = cliIn(t, parent, nil, "list", "./backpus")
	assert.Equal(t, exitNothing, r.code, r)
	assert.Equal(t, "dictdb-backup list: ./backpus: no such directory\n", r.stderr)
	assert.NoDirExists(t, filepath.Join(parent, "backpus"))
	// A file is not a directory.
	r = cliIn(t, f.dir, nil, "list", f.objects[0])
	assert.Equal(t, exitUsage, r.code, r)
	assert.Contains(t, r.stderr, f.objects[0]+" is not a directory")

	// copy creates a relative destination.
	r = cliIn(t, parent, nil, "copy", "backups", "copied")
	require.Equal(t, exitOK, r.code, r)
	assert.Contains(t, r.stdout, "copy backups -> copied: copied 3 objects")
	assert.DirExists(t, filepath.Join(parent, "copied"))
}

// DICTDB_BACKUP_URL is the location when none is given; an argument wins.
func TestEnvLocation(t *testing.T) {
	f := localFixture(t, backup.Options{})
	parent := filepath.Dir(f.dir)
	env := []string{urlEnv + "=backups"}
	want := runOK(t, "list", "--json", f.url).stdout

	r := cliIn(t, parent, env, "list", "--json")
	require.Equal(t, exitOK, r.code, r)
	assert.Equal(t, want, r.stdout)
	r = cliIn(t, parent, env, "verify")
	assert.Equal(t, exitOK, r.code, r)
	assert.Contains(t, r.stdout, "verify backups: 6 objects read")
	r = cliIn(t, parent, env, "inspect", f.objects[0])
	assert.Equal(t, exitOK, r.code, r)
	assert.Contains(t, r.stdout, f.objects[0])
	r = cliIn(t, parent, env, "restore", "--out", "db.json")
	assert.Equal(t, exitOK, r.code, r)
	f.requireRestored(t, filepath.Join(parent, "db.json"), "json", f.points[5])
	r = cliIn(t, parent, env, "prune", "--keep-last", "2")
	assert.Equal(t, exitOK, r.code, r)
	assert.Contains(t, r.stdout, "dry run: would delete 3 objects (")
	// copy: the one argument is the destination.
	r = cliIn(t, parent, env, "copy", "offsite")
	assert.Equal(t, exitOK, r.code, r)
	assert.Contains(t, r.stdout, "copy backups -> offsite: copied 3 objects")

	// An argument overrides it.
	empty := t.TempDir()
	r = cliIn(t, parent, env, "list", empty)
	assert.Equal(t, exitNothing, r.code, r)
	assert.Contains(t, r.stderr, "no backup objects in "+empty)

	// Errors with the variable's location say where it came from; a
	// secret in it is refused and never printed.
	r = cliIn(t, parent, []string{urlEnv + "=./nope"}, "list")
	assert.Equal(t, exitNothing, r.code, r)
	assert.Equal(t, "dictdb-backup list: "+urlEnv+": ./nope: no such directory\n", r.stderr)
	r = cliIn(t, parent, []string{urlEnv + "=s3://bucket/p?secret_key=env-SECRET-777"}, "list")
	assert.Equal(t, exitUsage, r.code, r)
	assert.Contains(t, r.stderr, urlEnv+": ")
	assert.NotContains(t, r.stdout+r.stderr, "env-SECRET-777")
	// Unset, the argument is missing.
	r = cliIn(t, parent, nil, "list")
	assert.Equal(t, exitUsage, r.code, r)
	assert.Contains(t, r.stderr, urlEnv+" gives the first when it is set")
}

// DICTDB_IDENTITY_FILE opens encrypted backups like --identity, which
// overrides it.
func TestIdentityEnv(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	require.NoError(t, err)
	f := localFixture(t, backup.Options{Encryption: &backup.Encryption{Recipients: []age.Recipient{id.Recipient()}}}, id)
	keyFile := identityFile(t, id)
	env := []string{identityEnv + "=" + keyFile}

	r := cliIn(t, t.TempDir(), env, "list", "--json", f.url)
	require.Equal(t, exitOK, r.code, r)
	var ps []pointJSON
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &ps))
	assert.Len(t, ps, 6)
	out := filepath.Join(t.TempDir(), "db.json")
	r = cliIn(t, t.TempDir(), env, "restore", f.url, "--out", out)
	require.Equal(t, exitOK, r.code, r)
	f.requireRestored(t, out, "json", f.points[5])
	assert.NotContains(t, r.stdout+r.stderr, id.String())

	// Without it: what to do, naming the variable.
	r = cliIn(t, t.TempDir(), nil, "list", f.url)
	assert.Equal(t, exitAccess, r.code, r)
	assert.Contains(t, r.stderr, "pass --identity FILE (an age identity file), or set "+identityEnv+" or "+passphraseEnv)

	// --identity wins: the variable's missing file is not read.
	r = cliIn(t, t.TempDir(), []string{identityEnv + "=/nonexistent/key.txt"}, "list", "--identity", keyFile, f.url)
	assert.Equal(t, exitOK, r.code, r)
	// Alone, a missing file is an access error naming the variable.
	r = cliIn(t, t.TempDir(), []string{identityEnv + "=/nonexistent/key.txt"}, "list", f.url)
	assert.Equal(t, exitAccess, r.code, r)
	assert.Equal(t, "dictdb-backup list: "+identityEnv+": open /nonexistent/key.txt: no such file or directory\n", r.stderr)
	r = cli(t, nil, "list", "--identity", "/nonexistent/key.txt", f.url)
	assert.Equal(t, exitAccess, r.code, r)
	assert.Equal(t, "dictdb-backup list: --identity: open /nonexistent/key.txt: no such file or directory\n", r.stderr)
}

// A location with no backup objects is "nothing there" (exit 4) for every
// command that reads one: a mistyped prefix never verifies.
func TestEmptyLocation(t *testing.T) {
	empty := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(empty, backup.LeaseKey), []byte(`{}`), 0o644)) // not a backup object
	for _, args := range [][]string{
		{"list", empty}, {"verify", empty}, {"verify", "--json", empty}, {"restore", empty, "--out", filepath.Join(t.TempDir(), "x.json")},
		{"prune", empty, "--keep-last", "1"}, {"copy", empty, t.TempDir()}, {"inspect", empty, "dictdb_backup_1700000000_000000.json"},
		{"list", "mem://"}, {"verify", "mem://"},
	} {
		r := cli(t, nil, args...)
		assert.Equal(t, exitNothing, r.code, "%v\n%s", args, r)
		assert.NotContains(t, r.stdout, "OK", args)
		assert.NotEmpty(t, r.stderr, args)
	}
	r := cli(t, nil, "verify", empty)
	assert.Empty(t, r.stdout)
	assert.Equal(t, "dictdb-backup verify: nothing to verify: no backup objects in "+empty+" (is the location right?)\n", r.stderr)
	r = cli(t, nil, "verify", "--json", empty)
	var v verifyJSON
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &v))
	assert.Equal(t, verifyJSON{OK: false, Objects: 0, Points: []pointJSON{}, Problems: []problemJSON{}}, v)
}

// --timeout takes plain seconds too.
func TestTimeoutSeconds(t *testing.T) {
	f := localFixture(t, backup.Options{})
	for _, v := range []string{"5", "90", "2.5", "1m", "1h30m"} {
		runOK(t, "list", "--timeout", v, f.url)
	}
	var s seconds
	for in, want := range map[string]string{"5": "5s", "2.5": "2.5s", "0.25": "250ms", "90s": "1m30s", "0": "0s"} {
		require.NoError(t, s.Set(in), in)
		assert.Equal(t, want, s.String(), in)
	}
	for _, in := range []string{"-1", "soon", "1e3", "NaN", "Inf", "1e400"} {
		assert.Error(t, s.Set(in), in)
	}
}
