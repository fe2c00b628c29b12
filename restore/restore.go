package restore

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/dictdb/dictdb-go/catalog"
	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/internal/object"
	"github.com/dictdb/dictdb-go/sink"
)

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
func decodeDelta(r io.Reader) (*dictdb.Delta, catalog.Header, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	f, err := sniff(br)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, catalog.Header{}, fmt.Errorf("%w: empty input", dictdb.ErrCorrupt)
	}
	if err != nil {
		return nil, catalog.Header{}, err
	}
	d, meta, err := dictdb.DecodeDelta(br, f)
	if err != nil {
		return nil, catalog.Header{}, err
	}
	h, err := catalog.FromMeta(catalog.Delta, meta)
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
	return restoreTo(ctx, s, catalog.Latest(), collect(opts))
}

// ToTime restores the state at the newest backup point written at or
// before t: the newest full backup at or before t and the deltas of its
// chain up to t. It is strict as Latest is, about the objects from that
// full backup up to t; objects written after t do not matter.
func ToTime(ctx context.Context, s sink.Sink, t time.Time, opts ...Option) (*dictdb.DB, error) {
	if t.IsZero() {
		return nil, errors.New("restore: ToTime needs a time")
	}
	return restoreTo(ctx, s, catalog.AtTime(t), collect(opts))
}

// ToSeq restores the state at the newest backup point whose sequence
// number is at most seq. It is strict as Latest is: the objects from the
// point's full backup to the point must all fit its chain, and no object
// after the point that does not fit may hold a state at or below seq (or
// follow a gap that may), since that state could be the answer. It reads
// every header in s. Python-written backups carry no sequence numbers and
// are never chosen.
func ToSeq(ctx context.Context, s sink.Sink, seq uint64, opts ...Option) (*dictdb.DB, error) {
	return restoreTo(ctx, s, catalog.AtSeq(seq), collect(opts))
}

func restoreTo(ctx context.Context, s sink.Sink, t catalog.Target, o options) (*dictdb.DB, error) {
	c, err := catalog.Read(ctx, s, o.catalog())
	if err != nil {
		return nil, wrap(ctx, err)
	}
	p, err := c.Plan(ctx, t)
	if err != nil {
		return nil, wrap(ctx, err)
	}
	// A payload that fails leaves the point before it as the newest exact
	// one: in the chain, or before the full backup for the full backup.
	fail := func(i int, err error) error {
		if ctx.Err() != nil || !errors.Is(err, ErrCorrupt) {
			return wrap(ctx, err)
		}
		return &UnaccountedError{Objects: []error{err}, Newest: p.NewestBefore(ctx, i)}
	}
	db, err := o.loadFull(ctx, s, p.Steps[0].Object)
	if err != nil {
		return nil, fail(0, err)
	}
	for i, step := range p.Steps[1:] {
		if err := o.applyStored(ctx, s, db, step); err != nil {
			return nil, fail(i+1, err)
		}
	}
	if last := p.Steps[len(p.Steps)-1]; !last.Header.Legacy() {
		db.SetLineage(catalog.Lineage(last.Header.Chain, p.Steps[0].Key, last.Header.Seq))
	}
	return db, nil
}

// wrap returns the end of ctx, if it ended (whatever became of it on the
// way), else err with this package's prefix.
func wrap(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("restore: %w", ctxErr)
	}
	if strings.HasPrefix(err.Error(), "restore: ") {
		return err
	}
	return fmt.Errorf("restore: %w", err)
}

func (o options) loadFull(ctx context.Context, s sink.Sink, obj *catalog.Object) (*dictdb.DB, error) {
	r, err := catalog.Open(ctx, s, obj.Name, o.identities)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	br := bufio.NewReaderSize(r, 64<<10)
	var db *dictdb.DB
	var h catalog.Header
	f, err := sniff(br)
	if err == nil {
		var meta dictdb.Meta
		if db, meta, err = dictdb.LoadMeta(br, f); err == nil {
			h, err = catalog.FromMeta(catalog.Full, meta)
		}
	}
	if err := r.Check(err, h.Legacy()); err != nil {
		return nil, err
	}
	if h != obj.Header {
		return nil, &ObjectError{Key: obj.Key, Err: errors.New("header changed while restoring")}
	}
	return db, nil
}

// applyStored applies the stored delta of step, which the plan found to
// continue db's state, or, with Overlap, to rewrite it from an earlier
// point on.
func (o options) applyStored(ctx context.Context, s sink.Sink, db *dictdb.DB, step catalog.Step) error {
	r, err := catalog.Open(ctx, s, step.Name, o.identities)
	if err != nil {
		return err
	}
	defer r.Close()
	d, h, err := decodeDelta(r)
	if err := r.Check(err, h.Legacy()); err != nil {
		return err
	}
	key := step.Key
	if h != step.Header {
		return &ObjectError{Key: key, Err: errors.New("header changed while restoring")}
	}
	var seq uint64
	if !h.Legacy() {
		cur := db.Sequence()
		switch {
		case h.FromSeq == cur:
		case step.Overlap && h.FromSeq < cur && h.Seq >= cur:
			if h.Seq == cur {
				return nil // the same changes again: the state is already there
			}
		default:
			return &GapError{Key: key, From: cur, To: h.FromSeq}
		}
		seq = h.Seq
	}
	if _, err := db.ApplyDelta(d, seq); err != nil {
		return &ObjectError{Key: key, Err: err}
	}
	return nil
}
