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
// # Wrappers
//
// [WithRetry] retries transient failures with backoff (object stores opened
// by URL get it from the retries= parameter). [Multi] fans writes out to
// several sinks, local disk and S3 say, and succeeds when all of them, or a
// [Quorum], stored the object; its errors name each sink. The
// backup/metrics package wraps a sink to count its operations for
// Prometheus.
package sink
