package catalog

import (
	"context"
	"fmt"
	"io"

	"filippo.io/age"

	"github.com/dictdb/dictdb-go/internal/object"
	"github.com/dictdb/dictdb-go/sink"
)

// Reader reads the content of a stored object: decrypted, decompressed
// and checked against its checksum as it is read. It keeps the first error
// of the sink's reader, so that a failure to read (the network, a cancelled
// context) is never taken for damaged content: see Check.
type Reader struct {
	key string
	r   *object.Reader
	src *trapReader
	rc  io.ReadCloser
}

// Open opens the object named n in s for reading its content. identities
// open encrypted objects. An error about the object's bytes (a bad age or
// compression header, no identity that opens it) is an *ObjectError; an
// error reaching them (the sink, the context) is not.
func Open(ctx context.Context, s sink.Sink, n Name, identities []age.Identity) (*Reader, error) {
	rc, err := s.Get(ctx, n.Key)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			err = ctxErr
		}
		return nil, fmt.Errorf("get %s: %w", n.Key, err)
	}
	src := &trapReader{r: sink.NewContextReader(ctx, rc)}
	or, err := object.NewReader(src, object.Layers{Compression: object.Compression(n.Compression), Encrypted: n.Encrypted}, identities)
	if err != nil {
		rc.Close()
		r := &Reader{key: n.Key, src: src}
		if ioErr := r.ioErr(); ioErr != nil {
			return nil, ioErr
		}
		return nil, &ObjectError{Key: n.Key, Err: err}
	}
	return &Reader{key: n.Key, r: or, src: src, rc: rc}, nil
}

// Read reads the object's content.
func (r *Reader) Read(p []byte) (int, error) { return r.r.Read(p) }

// Close releases the reader and closes the sink's.
func (r *Reader) Close() error {
	r.r.Close()
	return r.rc.Close()
}

// Checked reports, once the whole object was read, whether it carried a
// checksum (which then matched).
func (r *Reader) Checked() bool { return r.r.Checked() }

// BytesRead returns the number of content bytes read so far.
func (r *Reader) BytesRead() int64 { return r.r.BytesRead() }

// Check returns what went wrong reading the object, by precedence: an
// error of the sink's reader (about reaching the bytes: never ErrCorrupt),
// then a checksum mismatch, then decodeErr, the caller's error decoding the
// content, then, for an object that must carry a checksum (not legacy) and
// was read through, a missing one. All but the first are *ObjectErrors.
func (r *Reader) Check(decodeErr error, legacy bool) error {
	if err := r.ioErr(); err != nil {
		return err
	}
	if err := r.r.Err(); err != nil {
		return &ObjectError{Key: r.key, Err: err}
	}
	if decodeErr != nil {
		return &ObjectError{Key: r.key, Err: decodeErr}
	}
	if !legacy && !r.r.Checked() {
		return &ObjectError{Key: r.key, Err: errChecksumMissing}
	}
	return nil
}

// ioErr returns the sink's read error, if any, naming the object.
func (r *Reader) ioErr() error {
	if r.src.err == nil {
		return nil
	}
	return fmt.Errorf("get %s: read: %w", r.key, r.src.err)
}

var errChecksumMissing = fmt.Errorf("%w: checksum missing", ErrChecksum)

// trapReader keeps the first error other than io.EOF of its reader.
type trapReader struct {
	r   io.Reader
	err error
}

func (t *trapReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil && err != io.EOF && t.err == nil {
		t.err = err
	}
	return n, err
}

// ReadHeader reads the header of the object n in s, and no more of it, and
// checks that it agrees with the name (Header.CheckName). An error about
// the object is an *ObjectError; one reaching it (the sink, the context)
// is not.
func ReadHeader(ctx context.Context, s sink.Sink, n Name, identities []age.Identity) (Header, error) {
	r, err := Open(ctx, s, n, identities)
	if err != nil {
		return Header{}, err
	}
	defer r.Close()
	h, err := DecodeHeader(n.Kind, r)
	if err != nil {
		if ioErr := r.ioErr(); ioErr != nil {
			return h, ioErr
		}
		return h, &ObjectError{Key: n.Key, Err: err}
	}
	if err := h.CheckName(n); err != nil {
		return h, &ObjectError{Key: n.Key, Err: err}
	}
	return h, nil
}

// Verify reads the whole object n through, checking its structure and
// checksum without building its records, and says what is wrong with it.
// want, if not nil, is the header read before, which the object's must
// still be. An error with kind "" is not about the object: the sink failed,
// or ctx ended.
func Verify(ctx context.Context, s sink.Sink, n Name, identities []age.Identity, want *Header) (ProblemKind, error) {
	r, err := Open(ctx, s, n, identities)
	if err != nil {
		if oe, ok := err.(*ObjectError); ok {
			return ProblemUnreadable, oe.Err
		}
		return "", err
	}
	defer r.Close()
	h, err := Scan(n.Kind, bufferedReader(r))
	if ioErr := r.ioErr(); ioErr != nil {
		return "", ioErr
	}
	switch {
	case r.r.Err() != nil:
		return ProblemChecksum, r.r.Err()
	case err != nil && isTruncated(err):
		return ProblemTruncated, err
	case err != nil:
		return ProblemCorrupt, err
	case !h.Legacy() && !r.Checked():
		return ProblemChecksum, errChecksumMissing
	case want != nil && h != *want:
		return ProblemCorrupt, fmt.Errorf("header changed while verifying")
	}
	if err := h.CheckName(n); err != nil {
		return ProblemMismatch, err
	}
	return "", nil
}
