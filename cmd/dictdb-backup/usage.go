package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

const usageHead = `dictdb-backup lists, verifies, restores, prunes, inspects and copies the
DictDB backups in a location: a local directory, or a sink URL (S3 or MinIO,
GCS, Azure).

Usage:
  dictdb-backup [--identity FILE]... [--timeout D] <command> [flags] <args>

Commands:
`

const usageTail = `
Flags may come before or after the arguments. Every command but version takes:
  --identity FILE   an age identity file that opens encrypted backups (repeatable)
  --timeout D       give up after D: a duration (30s, 10m) or seconds (90)
list, verify, restore, prune, inspect and copy take --json (on stdout);
verify, restore, prune and copy take --progress auto|always|never: progress
bars on stderr, by default when stderr is a terminal.

Locations:
  ./backups, backups, /var/backups/db1        a local directory: a path, with no scheme
  file:///var/backups/db1, file://./backups   the same, as URLs
  s3://bucket/prefix?region=eu-west-1         Amazon S3
  s3://bucket/prefix?endpoint=http://127.0.0.1:9000&use_path_style=true&region=us-east-1
                                              MinIO or another S3-compatible store
  gs://bucket/prefix                          Google Cloud Storage
  azblob://container/prefix                   Azure Blob Storage

Environment:
  DICTDB_BACKUP_URL     the location when a command is given none (copy: the source)
  DICTDB_IDENTITY_FILE  an age identity file, used when no --identity is given
  DICTDB_PASSPHRASE     the passphrase of passphrase-encrypted backups (never printed)
  Credentials come from each SDK's usual environment (AWS_ACCESS_KEY_ID,
  AWS_SECRET_ACCESS_KEY, AWS_PROFILE, GOOGLE_APPLICATION_CREDENTIALS,
  AZURE_STORAGE_ACCOUNT, AZURE_STORAGE_KEY, ...), never from flags or URLs
  (a URL with user:password@ is refused). URLs are printed with their
  secrets redacted.

Exit codes:
`

const usageExamples = `
Examples:
  dictdb-backup list /var/backups/db1
  AWS_ACCESS_KEY_ID=minioadmin AWS_SECRET_ACCESS_KEY=minioadmin \
    dictdb-backup verify 's3://dictdb/db1?endpoint=http://127.0.0.1:9000&use_path_style=true&region=us-east-1'
  dictdb-backup restore /var/backups/db1 --time 2025-11-26T12:00:00Z --out db.json
  export DICTDB_BACKUP_URL=/var/backups/db1 DICTDB_IDENTITY_FILE=key.txt
  dictdb-backup copy 's3://offsite/db1?region=eu-west-1'

Run 'dictdb-backup <command> --help' for a command's flags and examples.
`

// printUsage prints the program's usage.
func printUsage(w io.Writer) {
	fmt.Fprint(w, usageHead)
	tw := newTable(w)
	for _, c := range commands {
		row(tw, "  "+c.name, c.args, c.summary)
	}
	tw.Flush()
	fmt.Fprint(w, usageTail+exitTable()+usageExamples)
}

// printCommandUsage prints a command's usage, flags and examples.
func printCommandUsage(w io.Writer, c *command, fs *flag.FlagSet) {
	synopsis := strings.TrimSpace("dictdb-backup " + c.name + " [flags] " + c.args)
	var flags strings.Builder
	fs.VisitAll(func(f *flag.Flag) {
		name, use := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if name != "" {
			line += " " + name
		}
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "0s" {
			use += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(&flags, "%s\n      %s\n", line, use)
	})
	if flags.Len() == 0 {
		synopsis = strings.TrimSpace("dictdb-backup " + c.name + " " + c.args)
	}
	fmt.Fprintf(w, "Usage: %s\n\n%s.\n\n%s\n", synopsis, upperFirst(c.summary), c.help)
	if flags.Len() > 0 {
		fmt.Fprintf(w, "\nFlags:\n%s", flags.String())
	}
	fmt.Fprintf(w, "\nExit codes: %s\n(see 'dictdb-backup --help').\n", exitSummary())
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
