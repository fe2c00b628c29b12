package restore

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/internal/object"
	"github.com/dictdb/dictdb-go/sink"
)

// ErrNoBackup is returned when the sink holds no backup point to restore:
// no backup object at all (at or before the target), and nothing that
// could have been one. Backup objects that cannot be placed give an
// *UnaccountedError instead.
var ErrNoBackup = errors.New("restore: no full backup found")

// ErrCorrupt is the one sentinel of corruption, the same value as
// dictdb.ErrCorrupt: every error about stored bytes that cannot be read,
// fail their checksum, or do not fit their chain matches it through
// errors.Is, whether it comes from a decoder, a checksum, ApplyDelta or the
// chain checks. Errors that are not about the stored bytes never match it:
// a cancelled or timed-out context (context.Canceled,
// context.DeadlineExceeded), a failing sink or network, a missing identity
// (ErrNoKey).
var ErrCorrupt = dictdb.ErrCorrupt

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
	if e.To < e.From {
		return fmt.Sprintf("restore: %s: delta starts at sequence %d, before the state it applies to (%d): it overlaps", e.name(), e.To, e.From)
	}
	return fmt.Sprintf("restore: %s: changes in sequence range (%d, %d] are missing before this delta", e.name(), e.From, e.To)
}

// Is reports whether target is ErrCorrupt.
func (e *GapError) Is(target error) bool { return target == ErrCorrupt }

// UnaccountedError reports that a restore cannot return the state it was
// asked for exactly: objects it must account for do not fit the chain of
// the full backup it chose (see Latest). It names each of them, the full
// backups their deltas build on that the sink lacks, and the newest point
// that can still be restored exactly, which the caller may choose on
// purpose (with ToTime at its Time, or ToSeq). It matches ErrCorrupt, and
// errors.As finds each object's *ObjectError or *GapError through it.
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

// sniff returns the format of a serialized object from its first bytes,
// skipping leading whitespace.
func sniff(br *bufio.Reader) (dictdb.Format, error) {
	for {
		b, err := br.Peek(1)
		if err != nil {
			if err == io.EOF {
				return "", io.ErrUnexpectedEOF
			}
			return "", err
		}
		switch b[0] {
		case ' ', '\t', '\r', '\n':
			br.ReadByte()
			continue
		}
		prefix, _ := br.Peek(len(dictdb.BinaryMagic))
		if f, ok := dictdb.DetectFormat(prefix); ok {
			return f, nil
		}
		return "", fmt.Errorf("%w: unrecognised content (first byte 0x%02x)", dictdb.ErrUnknownFormat, b[0])
	}
}

// ApplyDelta reads one delta from r and applies it to db, all or nothing,
// and returns the number of records upserted or deleted. An upsert replaces
// the whole record; tables the delta creates or drops are created or
// dropped. A delta written by this project must continue db's sequence
// number exactly (its range starts where db is), otherwise ApplyDelta
// returns a *GapError and changes nothing; afterwards db's sequence number is
// the delta's. Its checksum is checked too. A Python-written delta carries
// no sequence range nor checksum and is applied as it is.
//
// A delta stored compressed or encrypted is recognised by its first bytes;
// give WithIdentities to open an encrypted one.
func ApplyDelta(db *dictdb.DB, r io.Reader, opts ...Option) (int, error) {
	vr, err := object.NewSniffingReader(r, collect(opts).identities)
	if err != nil {
		return 0, fmt.Errorf("restore: delta: %w", err)
	}
	defer vr.Close()
	d, h, err := decodeDelta(vr)
	if cerr := vr.Err(); cerr != nil {
		return 0, fmt.Errorf("restore: delta: %w: %w", dictdb.ErrCorrupt, cerr)
	}
	if err != nil {
		return 0, err
	}
	if !h.Legacy() && !vr.Checked() {
		return 0, fmt.Errorf("restore: delta: %w: checksum missing", dictdb.ErrCorrupt)
	}
	var seq uint64
	if !h.Legacy() {
		if cur := db.Sequence(); h.FromSeq != cur {
			return 0, &GapError{From: cur, To: h.FromSeq}
		}
		seq = h.Seq
	}
	return db.ApplyDelta(d, seq)
}

// decodeDelta reads a delta object and its header.
func decodeDelta(r io.Reader) (*dictdb.Delta, object.Header, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	f, err := sniff(br)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, object.Header{}, fmt.Errorf("%w: empty input", dictdb.ErrCorrupt)
	}
	if err != nil {
		return nil, object.Header{}, err
	}
	d, meta, err := dictdb.DecodeDelta(br, f)
	if err != nil {
		return nil, object.Header{}, err
	}
	h, err := object.FromMeta(object.KindDelta, meta)
	if err != nil {
		return nil, h, fmt.Errorf("%w: %v", dictdb.ErrCorrupt, err)
	}
	return d, h, nil
}

// Latest rebuilds the database from the newest full backup in s and every
// later delta of its chain, in order.
//
// It is strict: it returns a state only when every backup object from that
// full backup onwards, in name order, is accounted for, that is, is a delta
// of its chain that continues the state before it and reads cleanly
// (checksum included), or, for the full backup itself, reads cleanly and
// agrees with its name (kind, encoding, time). Anything else there (an
// unreadable or damaged object, a delta of another chain, a delta after a
// gap, an orphan delta whose full backup is missing, a full backup copied
// under another name) makes it fail with an *UnaccountedError that names
// every such object and the newest point that still restores exactly,
// which the caller may then choose on purpose with ToTime or ToSeq. It
// never returns a partial database, nor an older state in silence.
//
// It returns ErrNoBackup if s holds no backup object. Errors about stored
// bytes match ErrCorrupt; a cancelled or timed-out ctx gives an error
// matching context.Canceled or context.DeadlineExceeded instead, and a
// failing sink its own error. Backups written by the Python DictDB (no
// chain information) restore too: their deltas apply in name order.
//
// The restored database continues the backup's sequence numbers, and its
// auto-increment keys continue above every existing integer key.
func Latest(ctx context.Context, s sink.Sink, opts ...Option) (*dictdb.DB, error) {
	return restoreTo(ctx, s, atTime(time.Time{}), collect(opts))
}

// ToTime restores the state at the newest backup point written at or
// before t: the newest full backup at or before t and the deltas of its
// chain up to t. It is strict as Latest is, about the objects from that
// full backup up to t; objects written after t do not matter.
func ToTime(ctx context.Context, s sink.Sink, t time.Time, opts ...Option) (*dictdb.DB, error) {
	if t.IsZero() {
		return nil, errors.New("restore: ToTime needs a time")
	}
	return restoreTo(ctx, s, atTime(t), collect(opts))
}

// ToSeq restores the state at the newest backup point whose sequence
// number is at most seq. It is strict as Latest is: the objects from the
// point's full backup to the point must all fit its chain, and no object
// after the point that does not fit may hold a state at or below seq (or
// follow a gap that may), since that state could be the answer. It reads
// every header in s. Python-written backups carry no sequence numbers and
// are never chosen.
func ToSeq(ctx context.Context, s sink.Sink, seq uint64, opts ...Option) (*dictdb.DB, error) {
	return restoreTo(ctx, s, atSeq(seq), collect(opts))
}

// List returns every point in s that restores exactly, oldest first: each
// full backup that agrees with its name, and each delta that continues its
// chain with no object in between that does not fit. It reads object
// headers only, never whole payloads; Verify also checks the payloads.
func List(ctx context.Context, s sink.Sink, opts ...Option) ([]Point, error) {
	c, err := listCatalog(ctx, s, collect(opts))
	if err != nil {
		return nil, err
	}
	if err := c.readHeaders(ctx, 0, len(c.entries)); err != nil {
		return nil, err
	}
	return points(c.regions(len(c.entries))), nil
}

func restoreTo(ctx context.Context, s sink.Sink, t target, o options) (*dictdb.DB, error) {
	c, err := listCatalog(ctx, s, o)
	if err != nil {
		return nil, err
	}
	p, err := c.plan(ctx, t)
	if err != nil {
		return nil, err
	}
	// A payload that fails leaves the point before it as the newest exact
	// one: in the chain, or before the full backup for the full backup.
	fail := func(i int, err error) error {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return fmt.Errorf("restore: %w", ctxErr)
		}
		if !errors.Is(err, ErrCorrupt) {
			return err
		}
		ue := &UnaccountedError{Objects: []error{err}}
		if i > 0 {
			pt := p.path[i-1].point(p.path[0].name.Key)
			ue.Newest = &pt
		} else if n := c.index(p.path[0]); c.readHeaders(ctx, 0, n) == nil {
			before := c.regions(n)
			if e := exactBefore(before, t.accept); e != nil {
				pt := e.point(baseOf(before, e))
				ue.Newest = &pt
			}
		}
		return ue
	}
	db, err := o.loadFull(ctx, s, p.path[0])
	if err != nil {
		return nil, fail(0, err)
	}
	for i, e := range p.path[1:] {
		if err := o.applyStored(ctx, s, db, e, p.overlap[e]); err != nil {
			return nil, fail(i+1, err)
		}
	}
	if last := p.path[len(p.path)-1]; !last.hdr.Legacy() {
		db.SetLineage(object.Lineage(last.hdr.Chain, p.path[0].name.Key, last.hdr.Seq))
	}
	return db, nil
}

// index returns the position of e in c.entries.
func (c *catalog) index(e *entry) int {
	return sort.Search(len(c.entries), func(i int) bool {
		a := c.entries[i].name
		return a.Micros > e.name.Micros || a.Micros == e.name.Micros && a.Key >= e.name.Key
	})
}

// checked turns a decoding error or a missing checksum into an error about
// the object, preferring a read error of the sink (not about the object),
// then a checksum mismatch, as the cause.
func checked(key string, r *objectReader, h object.Header, err error) error {
	if ioErr := r.ioErr(key); ioErr != nil {
		return ioErr
	}
	if cerr := r.Err(); cerr != nil {
		return &ObjectError{Key: key, Err: cerr}
	}
	if err != nil {
		return &ObjectError{Key: key, Err: err}
	}
	if !h.Legacy() && !r.Checked() {
		return &ObjectError{Key: key, Err: errors.New("checksum missing")}
	}
	return nil
}

func (o options) loadFull(ctx context.Context, s sink.Sink, e *entry) (*dictdb.DB, error) {
	vr, closeFn, err := o.openObject(ctx, s, e.name)
	if err != nil {
		return nil, err
	}
	defer closeFn()
	br := bufio.NewReaderSize(vr, 64<<10)
	var db *dictdb.DB
	var h object.Header
	f, err := sniff(br)
	if err == nil {
		var meta dictdb.Meta
		if db, meta, err = dictdb.LoadMeta(br, f); err == nil {
			h, err = object.FromMeta(object.KindFull, meta)
		}
	}
	if err := checked(e.name.Key, vr, h, err); err != nil {
		return nil, err
	}
	if h != e.hdr {
		return nil, &ObjectError{Key: e.name.Key, Err: errors.New("header changed while restoring")}
	}
	return db, nil
}

// applyStored applies the stored delta e, which the plan found to continue
// db's state, or, with overlap, to rewrite it from an earlier point on.
func (o options) applyStored(ctx context.Context, s sink.Sink, db *dictdb.DB, e *entry, overlap bool) error {
	vr, closeFn, err := o.openObject(ctx, s, e.name)
	if err != nil {
		return err
	}
	defer closeFn()
	d, h, err := decodeDelta(vr)
	if err := checked(e.name.Key, vr, h, err); err != nil {
		return err
	}
	if h != e.hdr {
		return &ObjectError{Key: e.name.Key, Err: errors.New("header changed while restoring")}
	}
	var seq uint64
	if !h.Legacy() {
		cur := db.Sequence()
		switch {
		case h.FromSeq == cur:
		case overlap && h.FromSeq < cur && h.Seq >= cur:
			if h.Seq == cur {
				return nil // the same changes again: the state is already there
			}
		default:
			return &GapError{Key: e.name.Key, From: cur, To: h.FromSeq}
		}
		seq = h.Seq
	}
	if _, err := db.ApplyDelta(d, seq); err != nil {
		return &ObjectError{Key: e.name.Key, Err: err}
	}
	return nil
}

func (e *GapError) name() string {
	if e.Key == "" {
		return "delta"
	}
	return e.Key
}
