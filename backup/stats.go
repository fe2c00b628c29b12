package backup

import (
	"io"
	"log/slog"
	"time"
)

// Event describes one finished backup attempt, successful or not. It is
// passed to Options.OnBackup; backups that had nothing to write make no
// event.
type Event struct {
	Kind     string        // "full" or "delta"
	Key      string        // the object written, or attempted
	Bytes    int64         // bytes written to the sink (0 on failure)
	Duration time.Duration // time the attempt took
	Err      error         // nil on success
	Time     time.Time     // when the attempt finished
}

// Stats is a snapshot of a Manager's activity since it was created.
type Stats struct {
	LastBackup         time.Time     // when the last successful backup finished (zero if none)
	LastKind           string        // its kind: "full" or "delta"
	LastKey            string        // its object key
	LastBytes          int64         // its size in bytes
	LastDuration       time.Duration // how long it took
	LastError          error         // the error of the last failed attempt, if the last attempt failed
	Backups            int64         // successful backups
	FullBackups        int64         // of which full backups
	Failures           int64         // failed attempts
	ConsecutiveFailure int           // failed attempts since the last success
	BytesWritten       int64         // bytes of every successful backup
	PendingChanges     int           // record changes not yet in a successful backup
	DeltasSinceFull    int           // deltas written since the last full backup
	Pruned             int64         // objects deleted by Retention
	LastPruneError     error         // the error of the last prune, if it failed
}

// stats are the counters behind Stats, guarded by Manager.mu.
type stats struct {
	last                          Event
	lastErr                       error
	backups, fulls, failures, out int64
	pruned                        int64 // objects deleted by Retention
	pruneErr                      error // of the last prune
}

// attempt is what full or delta tried to write, for the event.
type attempt struct {
	kind, key string
	bytes     int64
}

// Stats returns a snapshot of the manager's activity.
func (m *Manager) Stats() Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.stats
	return Stats{
		LastBackup: s.last.Time, LastKind: s.last.Kind, LastKey: s.last.Key,
		LastBytes: s.last.Bytes, LastDuration: s.last.Duration, LastError: s.lastErr,
		Backups: s.backups, FullBackups: s.fulls, Failures: s.failures,
		ConsecutiveFailure: m.failures, BytesWritten: s.out,
		PendingChanges: m.pending.count(), DeltasSinceFull: m.deltas,
		Pruned: s.pruned, LastPruneError: s.pruneErr,
	}
}

// record notes a finished attempt in the stats (m.mu held) and returns its
// event.
func (m *Manager) record(a attempt, start time.Time, err error) Event {
	now := time.Now()
	e := Event{Kind: a.kind, Key: a.key, Duration: now.Sub(start), Err: err, Time: now}
	if err != nil {
		m.stats.failures++
		m.stats.lastErr = err
		return e
	}
	e.Bytes = a.bytes
	m.stats.last = e
	m.stats.lastErr = nil
	m.stats.backups++
	m.stats.out += a.bytes
	if a.kind == "full" {
		m.stats.fulls++
	}
	return e
}

// report logs the event and passes it to OnBackup.
func (m *Manager) report(e Event) {
	if l := m.opts.Logger; l != nil {
		attrs := []any{slog.String("kind", e.Kind), slog.String("key", e.Key), slog.Duration("duration", e.Duration)}
		if e.Err != nil {
			l.Error("backup failed", append(attrs, slog.Any("error", e.Err))...)
		} else {
			l.Info("backup written", append(attrs, slog.Int64("bytes", e.Bytes))...)
		}
	}
	if m.opts.OnBackup != nil {
		m.opts.OnBackup(e)
	}
}

// countingReader counts the bytes read through it; a Seek to the start, as
// a retrying sink does, starts the count again.
type countingReader struct {
	r io.ReadSeeker
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// WriteTo passes the encoder's chunks to w without copying them, counting.
func (c *countingReader) WriteTo(w io.Writer) (int64, error) {
	wt, ok := c.r.(io.WriterTo)
	if !ok {
		return io.Copy(w, struct{ io.Reader }{c}) // through Read, which counts
	}
	n, err := wt.WriteTo(w)
	c.n += n
	return n, err
}

func (c *countingReader) Seek(offset int64, whence int) (int64, error) {
	pos, err := c.r.Seek(offset, whence)
	if err == nil {
		c.n = pos
	}
	return pos, err
}
