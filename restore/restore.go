package restore

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"

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

// sniff returns the format of a serialized object from its first byte.
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
		case '{':
			return dictdb.FormatJSON, nil
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
// the delta's. A Python-written delta carries no sequence range and is
// applied as it is.
func ApplyDelta(db *dictdb.DB, r io.Reader) (int, error) {
	d, h, err := decodeDelta(r)
	if err != nil {
		return 0, err
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
// an object is unreadable or a delta is missing from the chain: never a
// partial database. Backups written by the Python DictDB (no chain
// information) restore too: their deltas are applied in name order.
//
// The restored database continues the backup's sequence numbers, and its
// auto-increment keys continue above every existing integer key.
func Latest(ctx context.Context, s sink.Sink) (*dictdb.DB, error) {
	names, err := listNames(ctx, s)
	if err != nil {
		return nil, err
	}
	baseIdx := -1
	for i, n := range names {
		if n.Kind == object.KindFull {
			baseIdx = i
		}
	}
	if baseIdx < 0 {
		return nil, ErrNoBackup
	}
	base := names[baseIdx]
	db, h, err := loadFull(ctx, s, base)
	if err != nil {
		return nil, err
	}
	for _, n := range names[baseIdx+1:] {
		if n.Kind != object.KindDelta {
			continue
		}
		if err := applyStored(ctx, s, db, base, h, n); err != nil {
			return nil, err
		}
	}
	return db, nil
}

// listNames returns the backup objects in s, oldest first.
func listNames(ctx context.Context, s sink.Sink) ([]object.Name, error) {
	objs, err := s.List(ctx, object.CommonPrefix)
	if err != nil {
		return nil, fmt.Errorf("restore: list: %w", err)
	}
	names := make([]object.Name, 0, len(objs))
	for _, o := range objs {
		if n, ok := object.Parse(o.Key); ok {
			names = append(names, n)
		}
	}
	object.Sort(names)
	return names, nil
}

func loadFull(ctx context.Context, s sink.Sink, n object.Name) (*dictdb.DB, object.Header, error) {
	rc, err := s.Get(ctx, n.Key)
	if err != nil {
		return nil, object.Header{}, fmt.Errorf("restore: get %s: %w", n.Key, err)
	}
	defer rc.Close()
	br := bufio.NewReaderSize(sink.NewContextReader(ctx, rc), 64<<10)
	f, err := sniff(br)
	if err != nil {
		return nil, object.Header{}, &ObjectError{Key: n.Key, Err: err}
	}
	db, meta, err := dictdb.LoadMeta(br, f)
	if err != nil {
		return nil, object.Header{}, &ObjectError{Key: n.Key, Err: err}
	}
	h, err := object.FromMeta(object.KindFull, meta)
	if err != nil {
		return nil, h, &ObjectError{Key: n.Key, Err: err}
	}
	return db, h, nil
}

// applyStored applies the stored delta n if it belongs to the chain of the
// full backup base (header h).
func applyStored(ctx context.Context, s sink.Sink, db *dictdb.DB, base object.Name, h object.Header, n object.Name) error {
	rc, err := s.Get(ctx, n.Key)
	if err != nil {
		return fmt.Errorf("restore: get %s: %w", n.Key, err)
	}
	defer rc.Close()
	d, dh, err := decodeDelta(sink.NewContextReader(ctx, rc))
	if err != nil {
		return &ObjectError{Key: n.Key, Err: err}
	}
	var seq uint64
	switch {
	case h.Legacy() && dh.Legacy():
		// Python-written: applied in name order.
	case h.Legacy() != dh.Legacy(), dh.Chain != h.Chain:
		return nil // another chain's delta: not part of this restore
	default:
		if dh.Base != base.Key {
			return &ObjectError{Key: n.Key, Err: fmt.Errorf("delta of chain %s names base %s, but the chain's full backup is %s", dh.Chain, dh.Base, base.Key)}
		}
		if cur := db.Sequence(); dh.FromSeq != cur {
			return &GapError{Key: n.Key, From: cur, To: dh.FromSeq}
		}
		seq = dh.Seq
	}
	if _, err := db.ApplyDelta(d, seq); err != nil {
		return &ObjectError{Key: n.Key, Err: err}
	}
	return nil
}

func (e *GapError) name() string {
	if e.Key == "" {
		return "delta"
	}
	return e.Key
}
