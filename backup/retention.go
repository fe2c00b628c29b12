package backup

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"filippo.io/age"

	"github.com/dictdb/dictdb-go/catalog"
)

// Retention says which backup points to keep; Prune deletes the objects
// that no kept point needs. The zero value keeps everything.
//
// The rules work like restic's forget: the points are taken newest first;
// KeepLast keeps the newest N; KeepDaily keeps, for each of the newest N
// distinct UTC days that have a point, the newest point of that day;
// KeepWeekly does the same for ISO weeks (UTC). A point is kept if any rule
// keeps it.
type Retention struct {
	KeepLast   int // the newest N points
	KeepDaily  int // the newest point of each of the last N days that have one
	KeepWeekly int // the newest point of each of the last N ISO weeks that have one
}

// IsZero reports whether r keeps everything.
func (r Retention) IsZero() bool { return r == Retention{} }

func (r Retention) check() error {
	if r.KeepLast < 0 || r.KeepDaily < 0 || r.KeepWeekly < 0 {
		return fmt.Errorf("retention counts must not be negative, got %+v", r)
	}
	return nil
}

// ErrKeepNothing is returned by Prune for a Retention that keeps no point:
// it would delete every backup, so Prune refuses.
var ErrKeepNothing = errors.New("backup: prune: the retention policy keeps nothing (set KeepLast, KeepDaily or KeepWeekly)")

// PruneOptions configure Prune.
type PruneOptions struct {
	// DryRun plans only: the result says what a real run would delete, and
	// nothing is deleted.
	DryRun bool
	// Identities open the headers of encrypted backups. Without one that
	// opens an object, the object is never deleted.
	Identities []age.Identity
	// Now is the time the prune runs (zero: time.Now()). Objects named
	// after it, written by a writer whose clock runs ahead, are kept.
	Now time.Time
}

// PruneResult says what Prune kept and deleted (or would delete, in a dry
// run). Every backup object in the sink is in exactly one of Kept (by its
// point), Deleted and Retained.
type PruneResult struct {
	Kept     []catalog.Point // the points the policy keeps, oldest first
	Deleted  []string        // object keys deleted (or to delete), oldest first
	Retained []Retained      // the other objects left in place and why, oldest first
	Bytes    int64           // bytes freed (or to free)
}

// Retained is a backup object that Prune leaves in place although no rule
// keeps its point, and why.
type Retained struct {
	Key    string
	Reason RetainReason
	Err    error // for RetainUnreadable, why the header is unreadable; for RetainDeleteFailed, the failure
}

// String returns the key, the reason and the error, if any.
func (r Retained) String() string {
	if r.Err != nil {
		return fmt.Sprintf("%s: %s: %v", r.Key, r.Reason, r.Err)
	}
	return fmt.Sprintf("%s: %s", r.Key, r.Reason)
}

// RetainReason says why Prune left an object in place.
type RetainReason string

// The reasons, in the order Prune considers them: an object that has
// several gets the first.
const (
	// RetainActive: part of the active chain (the newest, which a manager
	// may still be writing), or of a chain written alongside it.
	RetainActive RetainReason = "in the active chain"
	// RetainNeeded: the full backup or an earlier delta of a kept point's
	// chain, which restoring that point needs.
	RetainNeeded RetainReason = "needed by a kept point"
	// RetainUnreadable: its header cannot be read (corrupt, missing, or
	// encrypted without the identity): it is kept as evidence.
	RetainUnreadable RetainReason = "header unreadable"
	// RetainOrphan: a delta whose full backup is not in the sink.
	RetainOrphan RetainReason = "delta of no chain in the sink"
	// RetainGap: a delta that does not continue its chain.
	RetainGap RetainReason = "delta after a gap in its chain"
	// RetainUnlisted: readable, but not a point of the catalog Prune read
	// first: written during the prune, or unreadable then.
	RetainUnlisted RetainReason = "not a point when the prune began"
	// RetainUncertain: in a chain that an unreadable, gapped or unlisted
	// object may belong to or build on; kept with it.
	RetainUncertain RetainReason = "may be needed by an object that cannot be placed"
	// RetainFuture: named after PruneOptions.Now, or needed by such a point.
	RetainFuture RetainReason = "written after now"
	// RetainDeleteFailed: its deletion failed, or it is needed by a later
	// object of its chain whose deletion failed (or was not attempted
	// because the context ended).
	RetainDeleteFailed RetainReason = "deletion failed"
)

// selectPoints returns the keys of the points r keeps.
func (r Retention) selectPoints(points []catalog.Point) map[string]bool {
	byAge := append([]catalog.Point(nil), points...)
	sort.SliceStable(byAge, func(i, j int) bool {
		if !byAge[i].Time.Equal(byAge[j].Time) {
			return byAge[i].Time.After(byAge[j].Time)
		}
		return byAge[i].Key > byAge[j].Key
	})
	kept := map[string]bool{}
	days, weeks := r.KeepDaily, r.KeepWeekly
	var lastDay, lastWeek string
	for i, p := range byAge {
		t := p.Time.UTC()
		if i < r.KeepLast {
			kept[p.Key] = true
		}
		if day := t.Format(time.DateOnly); day != lastDay {
			lastDay = day
			if days > 0 {
				kept[p.Key] = true
				days--
			}
		}
		y, w := t.ISOWeek()
		if week := fmt.Sprintf("%d-W%02d", y, w); week != lastWeek {
			lastWeek = week
			if weeks > 0 {
				kept[p.Key] = true
				weeks--
			}
		}
	}
	return kept
}
