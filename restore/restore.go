package restore

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/internal/object"
	"github.com/dictdb/dictdb-go/sink"
)

// ErrNoBackup is returned when the sink holds no full backup.
var ErrNoBackup = errors.New("restore: no full backup found")

// ErrCorrupt matches every error about an object that cannot be read or does
// not fit its chain; the error names the object.
var ErrCorrupt = errors.New("restore: corrupt backup")

// ObjectError reports a problem with one stored object. It matches
// ErrCorrupt.
type ObjectError struct {
	Key string // the object's key
	Err error  // what is wrong
}

func (e *ObjectError) Error() string { return fmt.Sprintf("restore: %s: %v", e.Key, e.Err) }

// Unwrap returns the underlying error.
func (e *ObjectError) Unwrap() error { return e.Err }

// Is reports whether target is ErrCorrupt.
func (e *ObjectError) Is(target error) bool { return target == ErrCorrupt }

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
// later delta of the same chain, in order. It returns ErrNoBackup if there is
// no full backup, and an error naming the object (matching ErrCorrupt) if
// an object is unreadable, fails its checksum, or a delta is missing from
// the chain: never a partial database. Backups written by the Python DictDB
// (no chain information) restore too: their deltas are applied in name
// order.
//
// The restored database continues the backup's sequence numbers, and its
// auto-increment keys continue above every existing integer key.
func Latest(ctx context.Context, s sink.Sink, opts ...Option) (*dictdb.DB, error) {
	return restoreTo(ctx, s, atTime(time.Time{}), collect(opts))
}

// ToTime restores the state at the newest backup point written at or
// before t: the newest full backup at or before t and the deltas of its
// chain up to t.
func ToTime(ctx context.Context, s sink.Sink, t time.Time, opts ...Option) (*dictdb.DB, error) {
	if t.IsZero() {
		return nil, errors.New("restore: ToTime needs a time")
	}
	return restoreTo(ctx, s, atTime(t), collect(opts))
}

// ToSeq restores the state at the newest backup point whose sequence
// number is at most seq. Python-written backups carry no sequence numbers
// and are never chosen.
func ToSeq(ctx context.Context, s sink.Sink, seq uint64, opts ...Option) (*dictdb.DB, error) {
	return restoreTo(ctx, s, atSeq(seq), collect(opts))
}

// List returns every restorable point in s, oldest first: each full backup
// and each delta that continues its chain without a gap. It reads object
// headers only, never whole payloads. Verify also checks the payloads.
func List(ctx context.Context, s sink.Sink, opts ...Option) ([]Point, error) {
	c, err := readCatalog(ctx, s, nil, collect(opts))
	if err != nil {
		return nil, err
	}
	return c.points(), nil
}

func restoreTo(ctx context.Context, s sink.Sink, t target, o options) (*dictdb.DB, error) {
	c, err := readCatalog(ctx, s, t.skip, o)
	if err != nil {
		return nil, err
	}
	path, err := c.plan(t)
	if err != nil {
		return nil, err
	}
	db, err := o.loadFull(ctx, s, path[0])
	if err != nil {
		return nil, err
	}
	for _, e := range path[1:] {
		if err := o.applyStored(ctx, s, db, e); err != nil {
			return nil, err
		}
	}
	if last := path[len(path)-1]; !last.hdr.Legacy() {
		db.SetLineage(object.Lineage(last.hdr.Chain, path[0].name.Key, last.hdr.Seq))
	}
	return db, nil
}

// checked turns a decoding error or a missing checksum into an error about
// the object, preferring a checksum mismatch as the cause.
func checked(key string, vr *object.Reader, h object.Header, err error) error {
	if cerr := vr.Err(); cerr != nil {
		return &ObjectError{Key: key, Err: cerr}
	}
	if err != nil {
		return &ObjectError{Key: key, Err: err}
	}
	if !h.Legacy() && !vr.Checked() {
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
	if h.Chain != e.hdr.Chain || h.Seq != e.hdr.Seq {
		return nil, &ObjectError{Key: e.name.Key, Err: errors.New("header changed while restoring")}
	}
	return db, nil
}

// applyStored applies the stored delta e, which the plan found to continue
// db's state.
func (o options) applyStored(ctx context.Context, s sink.Sink, db *dictdb.DB, e *entry) error {
	vr, closeFn, err := o.openObject(ctx, s, e.name)
	if err != nil {
		return err
	}
	defer closeFn()
	d, h, err := decodeDelta(vr)
	if err := checked(e.name.Key, vr, h, err); err != nil {
		return err
	}
	var seq uint64
	if !h.Legacy() {
		if cur := db.Sequence(); h.FromSeq != cur {
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
