package backup

import (
	"context"
	"time"
)

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
			return
		case <-tick:
			_ = m.BackupNow(ctx)
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
		}
	}
}
