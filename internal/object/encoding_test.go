package object

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// content is a JSON object as the codecs write it, large enough to span
// several compressor blocks.
func content() []byte {
	var b strings.Builder
	b.WriteString(`{"codec": "json", "tables": {"t": {"primary_key": "id", "schema": null, "records": [`)
	for i := 0; i < 20000; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(`{"id": 1, "secret": "plaintext-marker"}`)
	}
	b.WriteString("]}}}\n")
	return []byte(b.String())
}

func encodings() []Layers {
	var out []Layers
	for _, c := range []Compression{CompressionNone, CompressionZstd, CompressionGzip} {
		for _, enc := range []bool{false, true} {
			out = append(out, Layers{Compression: c, Encrypted: enc})
		}
	}
	return out
}

// name names the layers in a subtest.
func (l Layers) name() string { return fmt.Sprintf("%s/encrypted=%v", l.Compression, l.Encrypted) }

func TestEncodingRoundTrip(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	require.NoError(t, err)
	plain := content()
	for _, e := range encodings() {
		t.Run(e.name(), func(t *testing.T) {
			var stored bytes.Buffer
			w, err := NewWriter(&stored, e, []age.Recipient{id.Recipient()})
			require.NoError(t, err)
			_, err = w.Write(plain)
			require.NoError(t, err)
			require.NoError(t, w.Close())
			if e.Compression != CompressionNone || e.Encrypted {
				assert.NotContains(t, stored.String(), "plaintext-marker", "the stored bytes are transformed")
				assert.Less(t, stored.Len(), len(plain)+1024)
			}
			if e.Compression != CompressionNone && !e.Encrypted {
				assert.Less(t, stored.Len(), len(plain)/10, "repetitive content compresses")
			}
			r, err := NewReader(bytes.NewReader(stored.Bytes()), e, []age.Identity{id})
			require.NoError(t, err)
			defer r.Close()
			got, err := io.ReadAll(r)
			require.NoError(t, err)
			require.NoError(t, r.Err())
			assert.True(t, r.Checked(), "the checksum was verified")
			assert.Equal(t, string(plain[:len(plain)-2]), string(got[:len(plain)-2]), "content up to the trailer")
		})
	}
}

func TestEncryptedNeedsTheKey(t *testing.T) {
	id, _ := age.GenerateX25519Identity()
	other, _ := age.GenerateX25519Identity()
	e := Layers{Compression: CompressionZstd, Encrypted: true}
	var stored bytes.Buffer
	w, err := NewWriter(&stored, e, []age.Recipient{id.Recipient()})
	require.NoError(t, err)
	_, _ = w.Write(content())
	require.NoError(t, w.Close())

	_, err = NewReader(bytes.NewReader(stored.Bytes()), e, nil)
	assert.ErrorIs(t, err, ErrNoKey)
	_, err = NewReader(bytes.NewReader(stored.Bytes()), e, []age.Identity{other})
	assert.ErrorIs(t, err, ErrNoKey)
	assert.NotContains(t, err.Error(), "AGE-SECRET-KEY", "keys are never in errors")

	_, err = NewWriter(io.Discard, e, nil)
	assert.Error(t, err, "encryption without recipients")
}

func TestCorruptStoredBytesAreErrors(t *testing.T) {
	id, _ := age.GenerateX25519Identity()
	for _, e := range encodings() {
		if e.Compression == CompressionNone && !e.Encrypted {
			continue // covered by the checksum tests
		}
		t.Run(e.name(), func(t *testing.T) {
			var stored bytes.Buffer
			w, err := NewWriter(&stored, e, []age.Recipient{id.Recipient()})
			require.NoError(t, err)
			_, _ = w.Write(content())
			require.NoError(t, w.Close())
			b := stored.Bytes()
			for _, cut := range []int{len(b) / 2, len(b) - 1} {
				r, err := NewReader(bytes.NewReader(b[:cut]), e, []age.Identity{id})
				if err == nil {
					_, err = io.ReadAll(r)
					if err == nil && !r.Checked() {
						err = errors.New("not checked")
					}
				}
				assert.Error(t, err, "truncated at %d of %d", cut, len(b))
			}
			flipped := bytes.Clone(b)
			flipped[len(b)*2/3] ^= 0x40
			r, err := NewReader(bytes.NewReader(flipped), e, []age.Identity{id})
			if err == nil {
				_, err = io.ReadAll(r)
				if err == nil {
					err = r.Err()
				}
			}
			assert.Error(t, err, "a flipped bit")
		})
	}
}
