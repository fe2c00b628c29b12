// Package metrics exports Prometheus metrics of backups and of sink
// operations.
//
// [New] registers the collectors; [Metrics.Observe] records each backup
// attempt a backup.Manager reports, and [Metrics.Sink] wraps a sink to
// measure every operation on it:
//
//	m, err := metrics.New(prometheus.DefaultRegisterer)
//	if err != nil {
//		return err
//	}
//	store := m.Sink("file:///var/backups", local)
//	mgr, err := backup.NewManager(db, store, backup.Options{OnBackup: m.Observe})
//
// # Metrics
//
// With the default namespace "dictdb":
//
//	dictdb_backup_total{kind, result}                      counter: finished backup attempts
//	dictdb_backup_bytes_total{kind}                        counter: bytes of successful backups
//	dictdb_backup_duration_seconds{kind}                   histogram: time of each attempt
//	dictdb_backup_last_success_timestamp_seconds{kind}     gauge: Unix time of the last success
//	dictdb_sink_operations_total{sink, op, result}         counter: sink operations
//	dictdb_sink_bytes_total{sink, op}                      counter: bytes put and read (also put_if, get_version)
//	dictdb_sink_operation_duration_seconds{sink, op}       histogram: time of each operation
//
// kind is the event's Kind: "full", "delta", or "check" for an attempt
// that failed before choosing (such as a sink that could not be listed).
// result is "success" or "failure", and for sink operations also
// "not_found" (an error matching sink.ErrNotFound). op is "put", "get",
// "list" or "delete", or "put_if" and "get_version" for the conditional
// writes and reads of a lease (sink.PutIf, sink.GetVersion), where a
// failed condition is the result "precondition_failed", not a failure.
// The last-success gauge appears with the first success of its kind.
//
// # Sink names
//
// The sink label is the name given to [Metrics.Sink]. Labels are visible to
// anyone who can scrape the metrics, so it must not hold secrets: use the
// URL as sink.Redact prints it (sink.OpenNamed gives that name). As a
// safeguard, a name that parses as a URL with a scheme goes through
// sink.Redact.
package metrics
