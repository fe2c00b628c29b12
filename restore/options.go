package restore

import (
	"context"
	"fmt"

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

// openObject returns a reader of the content of the object named n:
// decrypted, decompressed and checked against its checksum as it is read.
// close releases it.
func (o options) openObject(ctx context.Context, s sink.Sink, n object.Name) (r *object.Reader, close func() error, err error) {
	rc, err := s.Get(ctx, n.Key)
	if err != nil {
		return nil, nil, fmt.Errorf("restore: get %s: %w", n.Key, err)
	}
	r, err = object.NewReader(sink.NewContextReader(ctx, rc), n.Encoding, o.identities)
	if err != nil {
		rc.Close()
		return nil, nil, &ObjectError{Key: n.Key, Err: err}
	}
	return r, func() error { r.Close(); return rc.Close() }, nil
}
