package backup

import (
	"context"
	"fmt"
)

// Flush writes what is pending, a delta (or a full backup when there is no
// chain yet, or when MaxDeltasBeforeFull deltas follow the last one in
// incremental mode), and returns once every change committed before the
// call is durable in the sink. Concurrent callers share writes: a caller
// whose changes a backup in progress or just finished holds writes
// nothing. It returns the error of the write it made, if any.
func (m *Manager) Flush(ctx context.Context) error {
	target := m.db.Sequence()
	k := delta
	if m.opts.Incremental {
		k = auto
	}
	for {
		m.mu.Lock()
		durable, closed := m.durableSeq, m.closed
		m.mu.Unlock()
		if durable >= target {
			return nil
		}
		if closed {
			return ErrStopped
		}
		if err := m.run(ctx, k, target); err != nil {
			return err
		}
	}
}

// WaitDurable returns once a backup that holds change set seq (see
// dictdb.DB.Sequence) is durable in the sink. It forces no write itself:
// continuous mode (MaxLag), the other automatic backups, a manual backup or
// a Flush does. If the write that would have held seq fails, it waits on,
// for the retry, since the change is still pending: it never returns nil
// before the change is in the sink. It also returns when ctx ends (with
// ctx's error), or with ErrStopped when the Manager stops first.
func (m *Manager) WaitDurable(ctx context.Context, seq uint64) error {
	for {
		m.mu.Lock()
		durable, closed, ch := m.durableSeq, m.closed, m.durableCh
		m.mu.Unlock()
		if durable >= seq {
			return nil
		}
		if closed {
			return fmt.Errorf("%w before sequence %d was durable (durable up to %d)", ErrStopped, seq, durable)
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("backup: wait for sequence %d: %w", seq, ctx.Err())
		}
	}
}

// DurableSequence returns the highest sequence number known to be durable
// in the sink: every change set up to it is in a backup this manager wrote
// (or, for a database restored from this sink whose chain it continues, in
// the backup it was restored from).
func (m *Manager) DurableSequence() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.durableSeq
}

// Close writes what is pending, in any mode, as Flush does, then stops the
// manager as Stop does. It returns the flush's error; the manager is stopped
// either way.
func (m *Manager) Close(ctx context.Context) error {
	err := m.Flush(ctx)
	m.Stop()
	return err
}
