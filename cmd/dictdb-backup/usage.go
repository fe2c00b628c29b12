package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

const usageHead = `dictdb-backup lists, verifies, restores, prunes, inspects and copies the
DictDB backups in a sink (local directory, S3 or MinIO, GCS, Azure).

Usage:
  dictdb-backup [--identity FILE]... [--timeout D] <command> [flags] <args>

Commands:
`

const usageTail = `
Flags may come before or after the arguments. Every command takes:
  --identity FILE   an age identity file that opens encrypted backups (repeatable)
  --timeout D       give up after D (e.g. 30s, 10m; default: no limit)
and list, verify, prune, inspect and copy take --json.

Environment:
  DICTDB_PASSPHRASE   the passphrase of passphrase-encrypted backups (never printed)
  Credentials come from each SDK's usual environment (AWS_ACCESS_KEY_ID,
  AWS_SECRET_ACCESS_KEY, AWS_PROFILE, GOOGLE_APPLICATION_CREDENTIALS,
  AZURE_STORAGE_ACCOUNT, AZURE_STORAGE_KEY, ...), never from flags or URLs
  (a URL with user:password@ is refused). URLs are printed with their
  secrets redacted.

Sink URLs:
  file:///var/backups/db1, file://./backups   a local directory
  s3://bucket/prefix?region=eu-west-1         Amazon S3
  s3://bucket/prefix?endpoint=http://127.0.0.1:9000&use_path_style=true&region=us-east-1
                                              MinIO or another S3-compatible store
  gs://bucket/prefix                          Google Cloud Storage
  azblob://container/prefix                   Azure Blob Storage

Exit codes:
  0  success
  1  problems found: verify found a corrupt, missing or misplaced object;
     restore found one it cannot account for (it names the newest point
     that restores exactly); inspect found the object corrupt; the copy did
     not verify
  2  usage error: unknown command, bad flags or arguments, an invalid sink URL
     (or one its backend refuses), an unreadable identity file
  3  the operation failed: I/O error, no backup (at that point), encrypted
     backups and no identity that opens them, an --out file that exists
  5  cancelled or timed out (--timeout, or an interrupt)

Examples:
  dictdb-backup list file:///var/backups/db1
  AWS_ACCESS_KEY_ID=minioadmin AWS_SECRET_ACCESS_KEY=minioadmin \
    dictdb-backup verify 's3://dictdb/db1?endpoint=http://127.0.0.1:9000&use_path_style=true&region=us-east-1'
  dictdb-backup restore file:///var/backups/db1 --time 2025-11-26T12:00:00Z --out db.json
  dictdb-backup copy file:///var/backups/db1 's3://offsite/db1?region=eu-west-1'

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
	fmt.Fprint(w, usageTail)
}

// printCommandUsage prints a command's usage, flags and examples.
func printCommandUsage(w io.Writer, c *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: dictdb-backup %s [flags] %s\n\n%s.\n\n%s\n\nFlags:\n", c.name, c.args, upperFirst(c.summary), c.help)
	fs.VisitAll(func(f *flag.Flag) {
		name, use := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if name != "" {
			line += " " + name
		}
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "0s" {
			use += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(w, "%s\n      %s\n", line, use)
	})
	fmt.Fprintf(w, "\nExit codes: 0 success, 1 problems found, 2 usage error, 3 the operation failed, 5 cancelled or timed out\n(see 'dictdb-backup --help').\n")
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
