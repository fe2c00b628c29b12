// Command dictdb-backup is the operators' tool for DictDB backups: it lists,
// verifies, restores, prunes, inspects and copies the backups a
// backup.Manager wrote, in any sink that sink.Open knows (file://, s3://,
// gs://, azblob://, mem://).
//
// Install it with
//
//	go install github.com/dictdb/dictdb-go/cmd/dictdb-backup@latest
//
// # Usage
//
//	dictdb-backup [--identity FILE]... [--timeout D] <command> [flags] <args>
//
//	list    <url>                   the restorable backup points (--json)
//	verify  <url>                   read every object through, report every problem (--json)
//	restore <url> --out FILE        the latest state, or --time T / --seq N, into a DictDB file (--format, --force)
//	prune   <url> --keep-last N ... delete what a retention policy does not keep (dry run unless --yes)
//	inspect <url> <key>             one object's header and content summary (--json)
//	copy    <src-url> <dst-url>     a chain (--chain ID, or --all objects) byte for byte, then verify it
//
// Flags may come before or after the arguments. Every command takes
// --identity FILE (an age identity file, repeatable) and reads the
// DICTDB_PASSPHRASE environment variable to open encrypted backups, and
// --timeout D to give up after a duration. "dictdb-backup <command> --help"
// describes a command's flags, with examples.
//
// # Sink URLs and credentials
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
// # Exit codes
//
//	0  success
//	1  problems found: verify found a corrupt, missing or misplaced object;
//	   restore found one it cannot account for (it names the newest point
//	   that restores exactly); inspect found the object corrupt; the copy
//	   did not verify
//	2  usage error: unknown command, bad flags or arguments, an invalid sink
//	   URL (or one its backend refuses to open), an unreadable identity file
//	3  the operation failed: I/O error, no backup (at that point), encrypted
//	   backups and no identity that opens them, an --out file that exists
//	5  cancelled or timed out (--timeout, or an interrupt)
//
// # Examples
//
//	dictdb-backup list file:///var/backups/db1
//	dictdb-backup verify --json 's3://dictdb/db1?endpoint=http://127.0.0.1:9000&use_path_style=true&region=us-east-1'
//	dictdb-backup restore file:///var/backups/db1 --time 2025-11-26T12:00:00Z --out db.json
//	dictdb-backup prune file:///var/backups/db1 --keep-last 10 --keep-daily 7 --keep-weekly 4 --yes
//	dictdb-backup inspect file:///var/backups/db1 dictdb_delta_1764160060_500000.json
//	dictdb-backup copy --identity key.txt file:///var/backups/db1 's3://offsite/db1?region=eu-west-1'
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
