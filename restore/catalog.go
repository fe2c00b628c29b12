package restore

import (
	"context"

	"github.com/dictdb/dictdb-go/catalog"
	"github.com/dictdb/dictdb-go/sink"
)

// The object model lives in package catalog; these are its names as
// restore's users have called them.

// Point is a restorable backup point: see catalog.Point.
type Point = catalog.Point

// ObjectError reports a problem with one stored object: see
// catalog.ObjectError.
type ObjectError = catalog.ObjectError

// GapError reports a delta that does not continue the state before it:
// see catalog.GapError.
type GapError = catalog.GapError

// UnaccountedError reports objects a restore cannot account for: see
// catalog.UnaccountedError.
type UnaccountedError = catalog.UnaccountedError

// ProblemKind classifies what Verify found wrong: see catalog.ProblemKind.
type ProblemKind = catalog.ProblemKind

// Problem is one thing wrong with the backups, naming the object.
type Problem = catalog.Problem

// The kinds of problems.
const (
	ProblemUnreadable  = catalog.ProblemUnreadable
	ProblemMismatch    = catalog.ProblemMismatch
	ProblemTruncated   = catalog.ProblemTruncated
	ProblemChecksum    = catalog.ProblemChecksum
	ProblemCorrupt     = catalog.ProblemCorrupt
	ProblemGap         = catalog.ProblemGap
	ProblemOrphan      = catalog.ProblemOrphan
	ProblemInterleaved = catalog.ProblemInterleaved
)

// ErrNoBackup is returned when the sink holds no backup point to restore:
// see catalog.ErrNoBackup.
var ErrNoBackup = catalog.ErrNoBackup

// ErrCorrupt is the one sentinel of corruption, dictdb.ErrCorrupt: see
// catalog.ErrCorrupt.
var ErrCorrupt = catalog.ErrCorrupt

// ErrNoKey reports an encrypted backup object and no identity that opens
// it.
var ErrNoKey = catalog.ErrNoKey

// List returns every point in s that restores exactly, oldest first: each
// full backup that agrees with its name, and each delta that continues its
// chain with no object in between that does not fit. It reads object
// headers only, never whole payloads; Verify also checks the payloads.
func List(ctx context.Context, s sink.Sink, opts ...Option) ([]Point, error) {
	points, err := catalog.List(ctx, s, collect(opts).catalog())
	if err != nil {
		return nil, wrap(ctx, err)
	}
	return points, nil
}
