package catalog

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/internal/object"
)

// ErrCorrupt is the one sentinel of corruption, the same value as
// dictdb.ErrCorrupt: every error about stored bytes that cannot be read,
// fail their checksum, or do not fit their chain matches it through
// errors.Is, whether it comes from a decoder, a checksum, ApplyDelta or the
// chain checks. Errors that are not about the stored bytes never match it:
// a cancelled or timed-out context (context.Canceled,
// context.DeadlineExceeded), a failing sink or network, a missing identity
// (ErrNoKey).
var ErrCorrupt = dictdb.ErrCorrupt

// ErrNoKey reports an encrypted object read without an identity that opens
// it.
var ErrNoKey = object.ErrNoKey

// ErrChecksum reports an object whose content does not match its checksum.
var ErrChecksum = object.ErrChecksum

// ErrTruncated reports an object that ends early.
var ErrTruncated = errors.New("truncated")

// ErrMismatch reports an object whose header disagrees with its name: on
// its kind, how it is stored, or when it was written.
var ErrMismatch = errors.New("header disagrees with the name")

// ErrNoBackup is returned when the sink holds no backup point to restore:
// no backup object at all (at or before the target), and nothing that
// could have been one. Backup objects that cannot be placed give an
// *UnaccountedError instead.
var ErrNoBackup = errors.New("restore: no full backup found")

// ObjectError reports a problem with one stored object. It matches
// ErrCorrupt, unless its cause is a missing identity (ErrNoKey).
type ObjectError struct {
	Key string // the object's key
	Err error  // what is wrong
}

func (e *ObjectError) Error() string { return fmt.Sprintf("restore: %s: %v", e.Key, e.Err) }

// Unwrap returns the underlying error.
func (e *ObjectError) Unwrap() error { return e.Err }

// Is reports whether target is ErrCorrupt and the object is corrupt, rather
// than encrypted for an identity that was not given.
func (e *ObjectError) Is(target error) bool {
	return target == ErrCorrupt && !errors.Is(e.Err, ErrNoKey)
}

// GapError reports a delta that does not continue the state before it:
// the changes in the sequence range (From, To] are missing. It matches
// ErrCorrupt.
type GapError struct {
	Key      string // the delta that does not follow
	From, To uint64 // the missing range (From, To]
}

func (e *GapError) Error() string {
	name := e.Key
	if name == "" {
		name = "delta"
	}
	if e.To < e.From {
		return fmt.Sprintf("restore: %s: delta starts at sequence %d, before the state it applies to (%d): it overlaps", name, e.To, e.From)
	}
	return fmt.Sprintf("restore: %s: changes in sequence range (%d, %d] are missing before this delta", name, e.From, e.To)
}

// Is reports whether target is ErrCorrupt.
func (e *GapError) Is(target error) bool { return target == ErrCorrupt }

// UnaccountedError reports that a restore cannot return the state it was
// asked for exactly: objects it must account for do not fit the chain of
// the full backup it chose (see Plan). It names each of them, the full
// backups their deltas build on that the sink lacks, and the newest point
// that can still be restored exactly, which the caller may choose on
// purpose (restoring to its Time). It matches ErrCorrupt, and errors.As
// finds each object's *ObjectError or *GapError through it.
type UnaccountedError struct {
	// Objects holds, in name order, an *ObjectError or *GapError for each
	// object that does not fit, saying why.
	Objects []error
	// Missing lists the full backups that deltas among Objects build on
	// and that are not in the sink.
	Missing []string
	// Newest is the newest point, at or before the target, that restores
	// exactly; nil if there is none.
	Newest *Point
}

// maxShown bounds the objects an UnaccountedError's message names.
const maxShown = 5

func (e *UnaccountedError) Error() string {
	var b strings.Builder
	b.WriteString("restore: cannot restore exactly: ")
	if len(e.Objects) == 1 {
		b.WriteString("an object does not fit: ")
	} else {
		fmt.Fprintf(&b, "%d objects do not fit: ", len(e.Objects))
	}
	for i, err := range e.Objects {
		if i == maxShown {
			fmt.Fprintf(&b, "; and %d more", len(e.Objects)-maxShown)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(strings.TrimPrefix(err.Error(), "restore: "))
	}
	if len(e.Missing) > 0 {
		fmt.Fprintf(&b, "; missing full backup: %s", strings.Join(e.Missing, ", "))
	}
	if e.Newest != nil {
		fmt.Fprintf(&b, "; the newest point that restores exactly is %s (sequence %d, %s)",
			e.Newest.Key, e.Newest.Seq, e.Newest.Time.Format(time.RFC3339Nano))
	} else {
		b.WriteString("; no earlier point restores exactly")
	}
	return b.String()
}

// Is reports whether target is ErrCorrupt.
func (e *UnaccountedError) Is(target error) bool { return target == ErrCorrupt }

// Unwrap returns the errors of the objects that do not fit.
func (e *UnaccountedError) Unwrap() []error { return e.Objects }

// ProblemKind classifies what is wrong with an object.
type ProblemKind string

// The kinds of problems.
const (
	ProblemUnreadable  ProblemKind = "unreadable header" // the header cannot be read
	ProblemMismatch    ProblemKind = "name mismatch"     // the header disagrees with the name: kind, encoding or time
	ProblemTruncated   ProblemKind = "truncated"         // the object ends early
	ProblemChecksum    ProblemKind = "checksum"          // the content does not match its checksum, or has none
	ProblemCorrupt     ProblemKind = "corrupt"           // malformed content
	ProblemGap         ProblemKind = "gap"               // a delta does not continue the state before it
	ProblemOrphan      ProblemKind = "orphan"            // a delta whose full backup is missing or unreadable
	ProblemInterleaved ProblemKind = "interleaved"       // a chain goes on after a newer chain began
)

// Problem is one thing wrong with an object, naming it.
type Problem struct {
	Key  string
	Kind ProblemKind
	Err  error
}

func (p Problem) Error() string { return fmt.Sprintf("%s: %s: %v", p.Key, p.Kind, p.Err) }

// Unwrap returns the cause.
func (p Problem) Unwrap() error { return p.Err }
