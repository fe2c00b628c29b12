package restore

import (
	"context"
	"fmt"
	"io"

	"filippo.io/age"

	"github.com/dictdb/dictdb-go/internal/object"
	"github.com/dictdb/dictdb-go/sink"
)

// Option configures List, Verify, Latest, ToTime, ToSeq and ApplyDelta.
type Option func(*options)

type options struct {
	identities []age.Identity
}

func collect(opts []Option) options {
	var o options
	for _, f := range opts {
		f(&o)
	}
	return o
}

// WithIdentities gives the age identities (private keys, or
// age.NewScryptIdentity for a passphrase) that open encrypted backups.
// Without one that matches, reading an encrypted object fails with an error
// naming it and matching ErrNoKey.
func WithIdentities(ids ...age.Identity) Option {
	return func(o *options) { o.identities = append(o.identities, ids...) }
}

// ErrNoKey reports an encrypted backup object and no identity that opens
// it.
var ErrNoKey = object.ErrNoKey

// objectReader reads the content of a stored object: decrypted,
// decompressed and checked against its checksum as it is read. It keeps the
// first error of the sink's reader, so that a failure to read (the network,
// a cancelled context) is never taken for damaged content.
type objectReader struct {
	*object.Reader
	src *trapReader
}

// ioErr returns the sink's read error, if any, naming the object.
func (r *objectReader) ioErr(key string) error {
	if r.src.err == nil {
		return nil
	}
	return fmt.Errorf("restore: get %s: read: %w", key, r.src.err)
}

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

// openObject returns a reader of the content of the object named n. close
// releases it. An error about the object's bytes is an *ObjectError; an
// error reaching them is not.
func (o options) openObject(ctx context.Context, s sink.Sink, n object.Name) (r *objectReader, close func() error, err error) {
	rc, err := s.Get(ctx, n.Key)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			err = ctxErr
		}
		return nil, nil, fmt.Errorf("restore: get %s: %w", n.Key, err)
	}
	src := &trapReader{r: sink.NewContextReader(ctx, rc)}
	or, err := object.NewReader(src, n.Encoding, o.identities)
	if err != nil {
		rc.Close()
		if src.err != nil {
			return nil, nil, (&objectReader{src: src}).ioErr(n.Key)
		}
		return nil, nil, &ObjectError{Key: n.Key, Err: err}
	}
	r = &objectReader{Reader: or, src: src}
	return r, func() error { or.Close(); return rc.Close() }, nil
}
