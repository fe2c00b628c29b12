package restore

import (
	"filippo.io/age"

	"github.com/dictdb/dictdb-go/catalog"
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

// catalog returns the catalog options of o.
func (o options) catalog() catalog.Options { return catalog.Options{Identities: o.identities} }

// WithIdentities gives the age identities (private keys, or
// age.NewScryptIdentity for a passphrase) that open encrypted backups.
// Without one that matches, reading an encrypted object fails with an error
// naming it and matching ErrNoKey.
func WithIdentities(ids ...age.Identity) Option {
	return func(o *options) { o.identities = append(o.identities, ids...) }
}
