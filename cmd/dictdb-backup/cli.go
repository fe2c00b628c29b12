package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/dictdb/dictdb-go/catalog"
	"github.com/dictdb/dictdb-go/restore"
	"github.com/dictdb/dictdb-go/sink"
	_ "github.com/dictdb/dictdb-go/sink/all" // every sink scheme
)

// Exit codes.
const (
	exitOK       = 0 // success
	exitProblems = 1 // verify (or inspect, or copy's verification) found problems
	exitUsage    = 2 // bad command, flags, arguments or sink URL
	exitFailed   = 3 // the operation failed
	exitStopped  = 5 // cancelled (interrupted) or timed out
)

// passphraseEnv names the environment variable holding the passphrase of
// passphrase-encrypted backups.
const passphraseEnv = "DICTDB_PASSPHRASE"

// exitError carries the exit code of an error other than exitFailed.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageErrorf returns an error that exits with exitUsage.
func usageErrorf(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// problemsErrorf returns an error that exits with exitProblems.
func problemsErrorf(format string, args ...any) error {
	return &exitError{code: exitProblems, err: fmt.Errorf(format, args...)}
}

// command is one subcommand.
type command struct {
	name     string
	args     string // the positional arguments, for the synopsis
	summary  string // one line
	help     string // what it does, then examples
	nargs    int    // the number of positional arguments
	jsonFlag bool   // takes --json
	// flags registers the command's own flags and returns the function
	// that runs it.
	flags func(fs *flag.FlagSet) func(ctx context.Context, a *app, args []string) error
}

// commands, in the order of the usage text.
var commands = []*command{listCommand, verifyCommand, restoreCommand, pruneCommand, inspectCommand, copyCommand}

func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// common holds the flags every command takes.
type common struct {
	identities stringList
	timeout    time.Duration
	json       bool
}

func (c *common) register(fs *flag.FlagSet, withJSON bool) {
	fs.Var(&c.identities, "identity", "age identity `FILE` that opens encrypted backups (repeatable)")
	fs.DurationVar(&c.timeout, "timeout", c.timeout, "give up after `D` (e.g. 30s, 10m; default: no limit)")
	if withJSON {
		fs.BoolVar(&c.json, "json", c.json, "print JSON instead of text")
	}
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// app is what a command runs with.
type app struct {
	cmd            *command
	stdout, stderr io.Writer
	json           bool
	identities     []age.Identity
	secrets        []string // never printed: scrub replaces them
}

// ropts returns the restore options that open encrypted backups.
func (a *app) ropts() []restore.Option {
	if len(a.identities) == 0 {
		return nil
	}
	return []restore.Option{restore.WithIdentities(a.identities...)}
}

// scrub replaces every secret in s.
func (a *app) scrub(s string) string {
	for _, sec := range a.secrets {
		if len(sec) >= 3 {
			s = strings.ReplaceAll(s, sec, "xxxxx")
		}
	}
	return s
}

// warnf prints a warning to stderr.
func (a *app) warnf(format string, args ...any) {
	fmt.Fprintln(a.stderr, a.scrub("dictdb-backup "+a.cmd.name+": warning: "+fmt.Sprintf(format, args...)))
}

// infof prints a note to stderr.
func (a *app) infof(format string, args ...any) {
	fmt.Fprintln(a.stderr, a.scrub(fmt.Sprintf(format, args...)))
}

// run runs the command line args (without the program name) and returns the
// exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var c common
	top := flag.NewFlagSet("dictdb-backup", flag.ContinueOnError)
	top.SetOutput(io.Discard)
	c.register(top, false)
	if err := top.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(stdout)
			return exitOK
		}
		return usage(stderr, nil, err)
	}
	rest := top.Args()
	if len(rest) == 0 {
		printUsage(stderr)
		return exitUsage
	}
	name, rest := rest[0], rest[1:]
	if name == "help" {
		if len(rest) == 0 {
			printUsage(stdout)
			return exitOK
		}
		if cmd := lookup(rest[0]); cmd != nil {
			fs, _ := newFlagSet(cmd, &common{})
			printCommandUsage(stdout, cmd, fs)
			return exitOK
		}
		return usage(stderr, nil, fmt.Errorf("unknown command %q", rest[0]))
	}
	cmd := lookup(name)
	if cmd == nil {
		return usage(stderr, nil, fmt.Errorf("unknown command %q", name))
	}
	fs, runCmd := newFlagSet(cmd, &c)
	pos, err := parseInterspersed(fs, rest)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printCommandUsage(stdout, cmd, fs)
			return exitOK
		}
		return usage(stderr, cmd, err)
	}
	if len(pos) != cmd.nargs {
		return usage(stderr, cmd, fmt.Errorf("want %d argument(s) (%s), got %d", cmd.nargs, cmd.args, len(pos)))
	}

	a := &app{cmd: cmd, stdout: stdout, stderr: stderr, json: c.json}
	if err := a.loadIdentities(c.identities); err != nil {
		return a.fail(err)
	}
	if c.timeout < 0 {
		return usage(stderr, cmd, fmt.Errorf("--timeout must not be negative"))
	}
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	err = runCmd(ctx, a, pos)
	if err != nil && ctx.Err() != nil && !isExitError(err) {
		// Whatever the operation made of it, the cause is the context:
		// never report it as damage.
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			err = &exitError{code: exitStopped, err: fmt.Errorf("timed out after %v (the backups were not found damaged)", c.timeout)}
		} else {
			err = &exitError{code: exitStopped, err: errors.New("interrupted (the backups were not found damaged)")}
		}
	}
	return a.fail(err)
}

func isExitError(err error) bool {
	var ee *exitError
	return errors.As(err, &ee)
}

// fail prints err, if any, and returns its exit code.
func (a *app) fail(err error) int {
	if err == nil {
		return exitOK
	}
	code := exitFailed
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	fmt.Fprintln(a.stderr, a.scrub("dictdb-backup "+a.cmd.name+": "+err.Error()))
	if code == exitUsage {
		fmt.Fprintf(a.stderr, "Run 'dictdb-backup %s --help' for usage.\n", a.cmd.name)
	}
	return code
}

// usage reports a usage error.
func usage(stderr io.Writer, cmd *command, err error) int {
	if cmd == nil {
		fmt.Fprintf(stderr, "dictdb-backup: %v\nRun 'dictdb-backup --help' for usage.\n", err)
	} else {
		fmt.Fprintf(stderr, "dictdb-backup %s: %v\nRun 'dictdb-backup %s --help' for usage.\n", cmd.name, err, cmd.name)
	}
	return exitUsage
}

func newFlagSet(cmd *command, c *common) (*flag.FlagSet, func(ctx context.Context, a *app, args []string) error) {
	fs := flag.NewFlagSet("dictdb-backup "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.register(fs, cmd.jsonFlag)
	return fs, cmd.flags(fs)
}

// parseInterspersed parses flags that may come before, between or after
// the positional arguments, which it returns. "--" ends the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// loadIdentities reads the identity files and the passphrase.
func (a *app) loadIdentities(files []string) error {
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return usageErrorf("--identity: %v", err)
		}
		ids, err := age.ParseIdentities(fh)
		fh.Close()
		if err != nil {
			// age's errors never quote key material.
			return usageErrorf("--identity %s: not an age identity file: %v", f, err)
		}
		a.identities = append(a.identities, ids...)
	}
	if p := os.Getenv(passphraseEnv); p != "" {
		a.secrets = append(a.secrets, p)
		id, err := age.NewScryptIdentity(p)
		if err != nil {
			return usageErrorf("%s: %v", passphraseEnv, err)
		}
		a.identities = append(a.identities, id)
	}
	return nil
}

// store is an open sink and how to show it.
type store struct {
	sink.Sink
	url string // redacted
}

// open opens the sink rawURL names. With mustExist, a local directory that
// does not exist is an error rather than created.
func (a *app) open(ctx context.Context, rawURL string, mustExist bool) (*store, error) {
	u, err := sink.Parse(rawURL) // its error does not quote the URL
	if err != nil {
		return nil, usageErrorf("invalid sink URL: %s", strings.TrimPrefix(err.Error(), "sink: invalid URL: "))
	}
	// What Redact hides is scrubbed from everything printed, in case an
	// error from deeper down quotes it.
	for _, sec := range sink.Secrets(u) {
		a.secrets = append(a.secrets, sec, url.QueryEscape(sec), url.PathEscape(sec))
	}
	shown := sink.Redact(u)
	if u.Opaque == "" && u.Host == "" && u.Path == "" && !strings.Contains(shown, "//") {
		shown = strings.Replace(shown, ":", "://", 1) // mem:// rather than mem:
	}
	if shown != rawURL {
		a.secrets = append(a.secrets, rawURL)
	}
	shown = a.scrub(shown)
	if u.Scheme == "" {
		return nil, usageErrorf("sink URL %s has no scheme (supported: %s; a local directory is file:///abs/dir or file://./rel/dir)", shown, strings.Join(sink.Schemes(), ", "))
	}
	known := false
	for _, s := range sink.Schemes() {
		known = known || s == u.Scheme
	}
	if !known {
		return nil, usageErrorf("unknown scheme %q in sink URL %s (supported: %s)", u.Scheme, shown, strings.Join(sink.Schemes(), ", "))
	}
	if mustExist && u.Scheme == "file" && u.User == nil { // else sink.Open refuses the credentials
		if dir := localDir(u); dir != "" {
			fi, err := os.Stat(filepath.FromSlash(dir))
			switch {
			case err != nil:
				return nil, fmt.Errorf("%s: %w", shown, err)
			case !fi.IsDir():
				return nil, fmt.Errorf("%s: %s is not a directory", shown, dir)
			}
		}
	}
	s, err := sink.Open(ctx, rawURL)
	if err != nil {
		return nil, usageErrorf("%w", err)
	}
	return &store{Sink: s, url: shown}, nil
}

// localDir returns the directory of a file:// URL, as sink/local reads it,
// or "" if the URL is not one it accepts.
func localDir(u *url.URL) string {
	if u.Opaque != "" {
		return u.Opaque
	}
	switch u.Host {
	case "", "localhost":
		return u.Path
	case ".", "..":
		return u.Host + u.Path
	}
	return ""
}

// stored is a backup object found in a sink.
type stored = *catalog.Object

// backupObjects lists the backup objects of s, in time order, reading no
// header.
func backupObjects(ctx context.Context, s *store) ([]stored, error) {
	c, err := catalog.Read(ctx, s, catalog.Options{})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.url, err)
	}
	return c.Objects(), nil
}

// errNoIdentity explains what to do about encrypted backups.
func errNoIdentity(s *store, key string) error {
	return fmt.Errorf("%s: backups are encrypted (%s) and no identity was given: pass --identity FILE (an age identity file) or set %s", s.url, key, passphraseEnv)
}

// needKeys fails when an object is encrypted and no identity was given.
func (a *app) needKeys(s *store, objs []stored) error {
	if len(a.identities) > 0 {
		return nil
	}
	for _, o := range objs {
		if o.Encrypted {
			return errNoIdentity(s, o.Key)
		}
	}
	return nil
}

// explain adds advice to an error of the restore package.
func explain(err error) error {
	if errors.Is(err, restore.ErrNoKey) {
		return fmt.Errorf("%w: no identity given opens it (check --identity and %s)", err, passphraseEnv)
	}
	var ue *restore.UnaccountedError
	if errors.As(err, &ue) {
		if ue.Newest != nil {
			return &exitError{code: exitProblems, err: fmt.Errorf("%w\nto restore that point on purpose: --time %s", err, ue.Newest.Time.Format(time.RFC3339Nano))}
		}
		return &exitError{code: exitProblems, err: err}
	}
	return err
}
