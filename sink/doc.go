// Package sink defines the storage abstraction that dictdb backups are
// written to and restored from.
//
// A [Sink] stores opaque objects under slash-separated keys such as
// "backups/2024-06-01/full.json". Writes are atomic: a reader sees either the
// complete new object or the previous state, never a partial object.
// Implementations live in sub-packages: sink/local and sink/mem, and the
// object stores sink/s3, sink/gcs and sink/azure, which share sink/blobsink.
// The sink/sinktest package holds a conformance suite they all pass.
//
// [Open] opens a sink by URL; each backend registers its scheme when its
// package is imported (sink/all imports every one):
//
//	import _ "github.com/dictdb/dictdb-go/sink/all"
//
//	s, err := sink.Open(ctx, "s3://bucket/db1?region=eu-west-1")
//	if err != nil {
//		return err
//	}
//	defer s.Close()
//
//	if err := s.Put(ctx, "daily/2024-06-01.json", f); err != nil {
//		return err
//	}
//	rc, err := s.Get(ctx, "daily/2024-06-01.json")
//	if errors.Is(err, sink.ErrNotFound) {
//		// no such backup
//	}
//
// # URLs
//
// A URL names a backend by its scheme (file, mem, s3, gs, azblob) and
// configures it with query parameters; each backend's package lists its
// own, and any other parameter is an error. Credentials never go in a URL,
// which ends up in logs, shell histories and process lists: Open refuses
// user info (s3://KEY:SECRET@bucket, or a user name alone, for every
// scheme), also in a URL nested in a parameter
// (endpoint=http://user:password@host), with [ErrCredentialsInURL] and an
// error that says where the backend reads them instead: the environment
// or its SDK's default credential chain.
//
// Errors and logs show URLs through [Redact]: user info becomes xxxxx, and
// so does the value of every parameter but the few known to hold no secret
// (region, endpoint, use_path_style, profile, sse, kms_key_id, checksums,
// part_size, retries, anonymous, storage_account, domain, protocol,
// localemu, cdn), so that a SAS token (sig=...), a presigned signature
// (X-Amz-Signature=...) or a password=... is never echoed, whatever the
// parameter is called. [Parse] parses a URL with an error that never
// quotes it; [Secrets] lists what Redact hides, for scrubbing other text.
//
// # Conditional writes
//
// [ConditionalSink] is the optional capability a lease is built on:
// [PutIf] stores an object only if the key is absent
// (Condition{IfAbsent: true}) or still holds a given [Version]
// (Condition{IfMatch: v}), atomically, and returns the new version; a
// condition that does not hold gives [ErrPrecondition] and stores nothing.
// [GetVersion] reads an object with the version of the bytes it returns.
// Every backend implements it: sink/local (a lock and a no-replace link or
// a checked rename; versions from the file's identity and modification
// time), sink/mem (a write counter), S3 and MinIO (If-None-Match and
// If-Match; the ETag), GCS (generation preconditions; the generation) and
// Azure (If-None-Match and If-Match; the ETag). The wrappers pass it
// through and answer [ErrNotSupported] when the sink inside cannot. A
// retried conditional write can fail with ErrPrecondition after an earlier
// attempt stored it: see [ConditionalSink].
//
//	v, err := sink.PutIf(ctx, s, "lease", body, sink.Condition{IfAbsent: true})
//	if errors.Is(err, sink.ErrPrecondition) {
//		// someone else holds it
//	}
//	_, err = sink.PutIf(ctx, s, "lease", renewed, sink.Condition{IfMatch: v})
//
// # Wrappers
//
// [WithRetry] retries transient failures with backoff (object stores opened
// by URL get it from the retries= parameter). [Multi] fans writes out to
// several sinks, local disk and S3 say, and succeeds when all of them, or a
// [Quorum], stored the object; its errors name each sink; its conditional
// writes go to its first member, the primary, alone. The
// backup/metrics package wraps a sink to count its operations for
// Prometheus.
//
// # Retries
//
// An object store opened by URL retries in two layers. WithRetry tries each
// operation up to retries= times (default 5), with exponential backoff and
// jitter, an upload from its start. Beneath it, the store's SDK retries a
// single request (one part of an upload, say) a few times, 3 by default for
// S3 and Azure. So retries=N can make up to about 3N requests; retries=1
// turns both layers off, and an operation is one request.
package sink
