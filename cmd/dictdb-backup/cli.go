package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/dictdb/dictdb-go/catalog"
	"github.com/dictdb/dictdb-go/restore"
	"github.com/dictdb/dictdb-go/sink"
	_ "github.com/dictdb/dictdb-go/sink/all" // every sink scheme
	"github.com/dictdb/dictdb-go/sink/local"
)

// The environment variables the CLI reads.
const (
	// passphraseEnv holds the passphrase of passphrase-encrypted backups.
	passphraseEnv = "DICTDB_PASSPHRASE"
	// urlEnv holds the location used when a command is given none.
	urlEnv = "DICTDB_BACKUP_URL"
	// identityEnv names an age identity file, used when no --identity is
	// given.
	identityEnv = "DICTDB_IDENTITY_FILE"
)

// exitError carries the exit code of an error other than exitAccess.
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

// nothingErrorf returns an error that exits with exitNothing.
func nothingErrorf(format string, args ...any) error {
	return &exitError{code: exitNothing, err: fmt.Errorf(format, args...)}
}

// command is one subcommand.
type command struct {
	name     string
	args     string // the positional arguments, for the synopsis
	summary  string // one line
	help     string // what it does, then examples
	nargs    int    // the number of positional arguments
	location bool   // the first argument is a location, which DICTDB_BACKUP_URL may give
	jsonFlag bool   // takes --json
	progress bool   // takes --progress
	bare     bool   // takes none of the flags every other command takes
	// flags registers the command's own flags and returns the function
	// that runs it.
	flags func(fs *flag.FlagSet) func(ctx context.Context, a *app, args []string) error
}

// commands, in the order of the usage text.
var commands = []*command{listCommand, verifyCommand, restoreCommand, pruneCommand, inspectCommand, copyCommand, versionCommand}

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
	timeout    seconds
	json       bool
	progress   string
}

func (c *common) register(fs *flag.FlagSet, cmd *command) {
	if cmd != nil && cmd.bare {
		return
	}
	fs.Var(&c.identities, "identity", "age identity `FILE` that opens encrypted backups (repeatable; default: $"+identityEnv+")")
	fs.Var(&c.timeout, "timeout", "give up after `D`: a duration (30s, 10m) or seconds (90) (default: no limit)")
	if cmd == nil {
		return
	}
	if cmd.jsonFlag {
		fs.BoolVar(&c.json, "json", c.json, "print JSON instead of text")
	}
	if cmd.progress {
		if c.progress == "" {
			c.progress = progressAuto
		}
		fs.StringVar(&c.progress, "progress", c.progress, "`MODE` of the progress bars on stderr: auto (on a terminal), always or never")
	}
}

// seconds is a duration flag that also takes a number of seconds.
type seconds time.Duration

func (s *seconds) String() string { return time.Duration(*s).String() }

func (s *seconds) Set(v string) error {
	if f, err := strconv.ParseFloat(v, 64); err == nil && !strings.ContainsAny(v, "eEnN") {
		if f < 0 || f > float64(math.MaxInt64)/float64(time.Second) {
			return fmt.Errorf("want a duration (30s, 10m) or seconds (90), got %q", v)
		}
		*s = seconds(f * float64(time.Second))
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return fmt.Errorf("want a duration (30s, 10m) or seconds (90), got %q", v)
	}
	*s = seconds(d)
	return nil
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
	progress       bool            // show progress bars on stderr
	envLocation    string          // the location DICTDB_BACKUP_URL gave, if it gave one
	onFail         func(err error) // if set, called with the error the command ends with
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
	c.register(top, nil)
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
	if cmd.bare && (len(c.identities) > 0 || c.timeout != 0) {
		return usage(stderr, cmd, fmt.Errorf("%s takes no --identity nor --timeout", cmd.name))
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
	a := &app{cmd: cmd, stdout: stdout, stderr: stderr, json: c.json}
	if cmd.location && len(pos) == cmd.nargs-1 {
		if loc := os.Getenv(urlEnv); loc != "" {
			pos = append([]string{loc}, pos...)
			a.envLocation = loc
		}
	}
	if len(pos) != cmd.nargs {
		err := fmt.Errorf("want %d argument(s) (%s), got %d", cmd.nargs, cmd.args, len(pos))
		if cmd.location {
			err = fmt.Errorf("%w; %s gives the first when it is set", err, urlEnv)
		}
		return usage(stderr, cmd, err)
	}
	switch c.progress {
	case "", progressAuto, progressAlways, progressNever:
		a.progress = wantProgress(c.progress, stderr)
	default:
		return usage(stderr, cmd, fmt.Errorf("--progress: want auto, always or never, got %q", c.progress))
	}
	if !cmd.bare {
		if err := a.loadIdentities(c.identities); err != nil {
			return a.fail(err)
		}
	}
	timeout := time.Duration(c.timeout)
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	err = runCmd(ctx, a, pos)
	if err != nil && ctx.Err() != nil && !isExitError(err) {
		// Whatever the operation made of it, the cause is the context:
		// never report it as damage.
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			err = &exitError{code: exitStopped, err: fmt.Errorf("timed out after %v (the backups were not found damaged)", timeout)}
		} else {
			err = &exitError{code: exitStopped, err: errors.New("interrupted (the backups were not found damaged)")}
		}
	}
	if err != nil && a.onFail != nil {
		a.onFail(err)
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
	code := exitAccess
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	fmt.Fprintln(a.stderr, a.scrub("dictdb-backup "+a.cmd.name+": "+message(err)))
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
	c.register(fs, cmd)
	return fs, cmd.flags(fs)
}

// message returns the text of err as the CLI prints it: without the
// "restore: " the library puts first, since the CLI names the command.
func message(err error) string {
	return strings.TrimPrefix(err.Error(), "restore: ")
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

// loadIdentities reads the identity files (DICTDB_IDENTITY_FILE's when
// none is given) and the passphrase.
func (a *app) loadIdentities(files []string) error {
	what := "--identity"
	if len(files) == 0 {
		if f := os.Getenv(identityEnv); f != "" {
			files, what = []string{f}, identityEnv
		}
	}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		ids, err := age.ParseIdentities(fh)
		fh.Close()
		if err != nil {
			// age's errors never quote key material.
			return usageErrorf("%s %s: not an age identity file: %v", what, f, err)
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

// open opens the location loc: a sink URL, or the path of a local
// directory (anything without a scheme: backups, ./backups, /var/backups).
// With mustExist, a local directory that does not exist is an error
// (exitNothing) rather than created.
func (a *app) open(ctx context.Context, loc string, mustExist bool) (*store, error) {
	s, err := a.openLocation(ctx, loc, mustExist)
	if err != nil && loc == a.envLocation {
		var ee *exitError
		if errors.As(err, &ee) {
			return nil, &exitError{code: ee.code, err: fmt.Errorf("%s: %w", urlEnv, ee.err)}
		}
		return nil, fmt.Errorf("%s: %w", urlEnv, err)
	}
	return s, err
}

func (a *app) openLocation(ctx context.Context, loc string, mustExist bool) (*store, error) {
	if loc == "" {
		return nil, usageErrorf("empty location: give a directory or a sink URL")
	}
	if isPath(loc) {
		if mustExist {
			if err := checkDir(loc, loc); err != nil {
				return nil, err
			}
		}
		s, err := local.New(loc)
		if err != nil {
			return nil, err
		}
		return &store{Sink: s, url: loc}, nil
	}
	u, err := sink.Parse(loc) // its error does not quote the URL
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
	if shown != loc {
		a.secrets = append(a.secrets, loc)
	}
	shown = a.scrub(shown)
	known := false
	for _, s := range sink.Schemes() {
		known = known || s == u.Scheme
	}
	if !known {
		return nil, usageErrorf("unknown scheme %q in sink URL %s (supported: %s; a local directory needs none: ./backups, /var/backups)", u.Scheme, shown, strings.Join(sink.Schemes(), ", "))
	}
	if mustExist && u.Scheme == "file" && u.User == nil { // else sink.Open refuses the credentials
		if dir := localDir(u); dir != "" {
			if err := checkDir(filepath.FromSlash(dir), shown); err != nil {
				return nil, err
			}
		}
	}
	s, err := sink.Open(ctx, loc)
	if err != nil {
		return nil, usageErrorf("%w", err)
	}
	return &store{Sink: s, url: shown}, nil
}

// schemeRE matches the scheme of a URL (RFC 3986).
var schemeRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)

// isPath reports whether the location loc is the path of a local directory:
// it has no scheme, as restic and Litestream read it. On Windows a drive
// letter (C:) is not a scheme.
func isPath(loc string) bool {
	m := schemeRE.FindString(loc)
	return m == "" || runtime.GOOS == "windows" && len(m) == 2
}

// checkDir checks that the local directory dir exists; shown names it.
func checkDir(dir, shown string) error {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nothingErrorf("%s: no such directory", shown)
	case err != nil:
		return fmt.Errorf("%s: %w", shown, err)
	case !fi.IsDir():
		return usageErrorf("%s is not a directory", shown)
	}
	return nil
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
	if errors.Is(err, sink.ErrNoBucket) {
		return nil, nothingErrorf("%s: %v", s.url, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.url, err)
	}
	return c.Objects(), nil
}

// nonEmpty fails with exitNothing when there are no backup objects.
func nonEmpty(s *store, objs []stored) error {
	if len(objs) == 0 {
		return nothingErrorf("no backup objects in %s (is the location right?)", s.url)
	}
	return nil
}

// errNoIdentity explains what to do about encrypted backups.
func errNoIdentity(s *store, key string) error {
	return fmt.Errorf("%s: backups are encrypted (%s) and no identity was given: pass --identity FILE (an age identity file), or set %s or %s", s.url, key, identityEnv, passphraseEnv)
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
func explain(err error) error { return explainHint(err, "") }

// explainHint is explain, with flags to give with --time to restore the
// newest exact point on purpose.
func explainHint(err error, flags string) error {
	if errors.Is(err, restore.ErrNoKey) {
		return fmt.Errorf("%w: no identity given opens it (check --identity, %s and %s)", err, identityEnv, passphraseEnv)
	}
	var ue *restore.UnaccountedError
	if errors.As(err, &ue) {
		if ue.Newest != nil {
			return &exitError{code: exitProblems, err: fmt.Errorf("%w\nto restore that point on purpose: %s--time %s", err, flags, formatTime(ue.Newest.Time))}
		}
		return &exitError{code: exitProblems, err: err}
	}
	return err
}
