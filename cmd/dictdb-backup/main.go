// Command dictdb-backup is the operators' tool for DictDB backups: it lists,
// verifies, restores, prunes, inspects and copies the backups a
// backup.Manager wrote, in a local directory or any sink that sink.Open
// knows (file://, s3://, gs://, azblob://, mem://).
//
// Install it with
//
//	go install github.com/dictdb/dictdb-go/cmd/dictdb-backup@latest
//
// # Usage
//
//	dictdb-backup [--identity FILE]... [--timeout D] <command> [flags] <args>
//
//	list    <location>          the restorable backup points (--json)
//	verify  <location>          read every object through, report every problem (--json)
//	restore <location> --out F  the latest state, or --time T / --seq N / --chain ID, into a DictDB file (- for stdout; --format, --force, --json)
//	prune   <location> --keep-last N ...  delete what a retention policy does not keep (dry run unless --yes)
//	inspect <location> <key>    one object's header and content summary (--json)
//	copy    <src> <dst>         a chain (--chain ID, or --all objects) byte for byte, then verify it
//	version                     the module version and the Go version it was built with
//
// Flags may come before or after the arguments. Every command but version
// takes --identity FILE (an age identity file, repeatable) and reads the
// DICTDB_PASSPHRASE environment variable to open encrypted backups, and
// --timeout D (a duration, or seconds) to give up after a while. verify,
// restore, prune and copy show progress bars on stderr when it is a
// terminal (--progress auto|always|never); stdout carries only the output
// (--json, or the database with --out -). "dictdb-backup <command> --help"
// describes a command's flags, with examples.
//
// # Locations
//
// A location is a path (anything without a scheme: backups, ./backups,
// /var/backups/db1), which names a local directory, or a sink URL:
//
//	file:///var/backups/db1  file://./backups                local directory
//	s3://bucket/prefix?region=eu-west-1                       Amazon S3
//	s3://bucket/prefix?endpoint=http://127.0.0.1:9000&use_path_style=true&region=us-east-1   MinIO
//	gs://bucket/prefix                                        Google Cloud Storage
//	azblob://container/prefix                                 Azure Blob Storage
//
// Credentials come from each SDK's usual environment (AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_PROFILE, GOOGLE_APPLICATION_CREDENTIALS,
// AZURE_STORAGE_ACCOUNT, AZURE_STORAGE_KEY, ...), never from flags or URLs
// (a URL with user:password@ is refused). URLs are always shown redacted
// (sink.Redact), and neither identities nor the passphrase are ever printed.
//
// # Environment
//
//	DICTDB_BACKUP_URL     the location when a command is given none (copy: the source)
//	DICTDB_IDENTITY_FILE  an age identity file, used when no --identity is given
//	DICTDB_PASSPHRASE     the passphrase of passphrase-encrypted backups
//
// # Exit codes
//
//	0  OK
//	1  problem found: verify found a corrupt, missing or misplaced object;
//	   restore or inspect found an object it cannot account for (restore names
//	   the newest point that restores exactly); the copy does not verify
//	2  usage: unknown command, bad flags or arguments, an invalid sink URL, an
//	   ambiguous --seq or --chain
//	3  access: I/O error, permission denied, an unreachable sink or one that
//	   refuses the credentials, an unreadable identity file, encrypted backups
//	   and no identity that opens them, an --out file that exists
//	4  nothing there: the location holds no backup objects (an empty or mistyped
//	   directory or prefix), or none at the point asked for, or no such object
//	   or chain
//	5  cancelled or timed out: --timeout, or an interrupt
//
// # Examples
//
//	dictdb-backup list /var/backups/db1
//	dictdb-backup verify --json 's3://dictdb/db1?endpoint=http://127.0.0.1:9000&use_path_style=true&region=us-east-1'
//	dictdb-backup restore /var/backups/db1 --time 2025-11-26T12:00:00Z --out db.json
//	dictdb-backup prune /var/backups/db1 --keep-last 10 --keep-daily 7 --keep-weekly 4 --yes
//	dictdb-backup inspect /var/backups/db1 dictdb_delta_1764160060_500000.json
//	DICTDB_BACKUP_URL=/var/backups/db1 dictdb-backup copy --identity key.txt 's3://offsite/db1?region=eu-west-1'
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
