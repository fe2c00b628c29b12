package backup

import (
	"context"
	"time"
)

// loop runs the automatic backups: periodic (Interval), change-triggered
// (NotifyChange, no sooner than MinInterval after the last backup) and, in
// continuous mode, a flush at most MaxLag after the oldest pending change.
func (m *Manager) loop() {
	defer close(m.done)
	var tick <-chan time.Time
	if m.opts.Interval > 0 {
		t := time.NewTicker(m.opts.Interval)
		defer t.Stop()
		tick = t.C
	}
	var deferred *time.Timer
	var deferredC <-chan time.Time
	lag := &lagTimer{maxLag: m.opts.MaxLag}
	defer lag.stop()
	ctx := context.Background()
	for {
		select {
		case <-m.stop:
			if deferred != nil {
				deferred.Stop()
				m.takeNotification()
				_ = m.BackupNow(ctx)
			} else if m.takeNotification() {
				_ = m.BackupNow(ctx)
			}
			if m.continuous() {
				m.finalFlush()
			}
			return
		case <-tick:
			if m.continuous() {
				m.periodicFull(ctx)
			} else {
				_ = m.BackupNow(ctx)
			}
		case <-m.notify:
			if deferred != nil {
				continue // a backup is already due at the end of the interval
			}
			m.mu.Lock()
			wait := m.opts.MinInterval - time.Since(m.last)
			m.mu.Unlock()
			if wait <= 0 {
				_ = m.BackupNow(ctx)
				continue
			}
			deferred = time.NewTimer(wait)
			deferredC = deferred.C
		case <-deferredC:
			deferred, deferredC = nil, nil
			_ = m.BackupNow(ctx)
		case <-m.kick:
			lag.arm(m.oldestPending())
		case <-lag.c:
			lag.fired()
			if err := m.BackupNow(ctx); err != nil {
				lag.failed()
			} else {
				lag.succeeded()
			}
			lag.arm(m.oldestPending())
		}
	}
}

// oldestPending returns when the oldest pending change was observed, in
// continuous mode; zero if nothing is pending.
func (m *Manager) oldestPending() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.firstPending
}

// periodicFull writes a full backup, in continuous mode, when anything
// changed since the last one.
func (m *Manager) periodicFull(ctx context.Context) {
	m.mu.Lock()
	changed := m.deltas > 0 || !m.pending.empty()
	m.mu.Unlock()
	if changed {
		_ = m.BackupFull(ctx)
	}
}

// finalFlush writes what is pending before Stop returns, within
// ShutdownTimeout; a failure goes to OnFailure, as every failed backup's.
func (m *Manager) finalFlush() {
	ctx, cancel := context.WithTimeout(context.Background(), m.opts.ShutdownTimeout)
	defer cancel()
	_ = m.run(ctx, auto, m.db.Sequence())
}

// lagTimer schedules the flushes of continuous mode: at most maxLag after
// the oldest pending change, and after a failure no sooner than a backoff
// that doubles, from maxLag up to maxRetryDelay, so that a sink that is
// down is not hammered while the changes wait.
type lagTimer struct {
	maxLag  time.Duration
	t       *time.Timer
	c       <-chan time.Time
	backoff time.Duration // after a failure; 0 after a success
	notTill time.Time     // no flush before this, after a failure
}

// maxRetryDelay bounds the wait before a failed flush is tried again.
const maxRetryDelay = 30 * time.Second

// arm schedules a flush for a change pending since oldest, unless one is
// scheduled or nothing is pending.
func (l *lagTimer) arm(oldest time.Time) {
	if l.t != nil || oldest.IsZero() || l.maxLag <= 0 {
		return
	}
	due := oldest.Add(l.maxLag)
	if due.Before(l.notTill) {
		due = l.notTill
	}
	l.t = time.NewTimer(max(time.Until(due), 0))
	l.c = l.t.C
}

func (l *lagTimer) fired() { l.t, l.c = nil, nil }

func (l *lagTimer) failed() {
	l.backoff = min(max(2*l.backoff, l.maxLag), max(l.maxLag, maxRetryDelay))
	l.notTill = time.Now().Add(l.backoff)
}

func (l *lagTimer) succeeded() { l.backoff, l.notTill = 0, time.Time{} }

func (l *lagTimer) stop() {
	if l.t != nil {
		l.t.Stop()
	}
}
