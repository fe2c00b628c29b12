package object

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func withChecksum(t *testing.T, doc string, chunk int) string {
	t.Helper()
	var buf bytes.Buffer
	cw := NewChecksumWriter(&buf)
	for i := 0; i < len(doc); i += chunk {
		end := min(i+chunk, len(doc))
		n, err := cw.Write([]byte(doc[i:end]))
		require.NoError(t, err)
		require.Equal(t, end-i, n)
	}
	require.NoError(t, cw.Close())
	return buf.String()
}

func TestChecksumRoundTrip(t *testing.T) {
	doc := `{"type": "full", "tables": {"t": {"records": [{"id": 1}]}}}` + "\n"
	for _, chunk := range []int{1, 2, 3, 7, 1000} {
		out := withChecksum(t, doc, chunk)
		assert.True(t, strings.HasPrefix(out, doc[:len(doc)-2]+`, "checksum": "sha256:`), out)
		var v map[string]any
		require.NoError(t, json.Unmarshal([]byte(out), &v), "still one JSON object")
		assert.Contains(t, v, "checksum")

		vr := NewVerifyingReader(iotest.OneByteReader(strings.NewReader(out)))
		got, err := io.ReadAll(vr)
		require.NoError(t, err)
		assert.Equal(t, out, string(got))
		assert.True(t, vr.Checked())
	}
}

func TestChecksumDetectsChanges(t *testing.T) {
	out := withChecksum(t, `{"a": 1, "tables": {}}`+"\n", 5)
	edited := strings.Replace(out, `"a": 1`, `"a": 2`, 1)
	_, err := io.ReadAll(NewVerifyingReader(strings.NewReader(edited)))
	require.ErrorIs(t, err, ErrChecksum)

	vr := NewVerifyingReader(strings.NewReader(`{"tables": {}}`))
	_, err = io.ReadAll(vr)
	require.NoError(t, err, "no trailer: a legacy object")
	assert.False(t, vr.Checked())

	vr = NewVerifyingReader(strings.NewReader(out[:len(out)-10]))
	_, err = io.ReadAll(vr)
	require.NoError(t, err, "a truncated trailer is left to the decoder")
	assert.False(t, vr.Checked())

	require.Error(t, NewChecksumWriter(io.Discard).Close(), "an object must end with }\\n")
}

// borrower is a destination that borrows buffers: it keeps each lent
// buffer until the end, then checks that none changed and releases them.
type borrower struct {
	bytes.Buffer
	lent   [][]byte
	copies [][]byte
	rel    []func()
}

func (b *borrower) WriteLent(p []byte, release func()) error {
	b.lent = append(b.lent, p)
	b.copies = append(b.copies, bytes.Clone(p))
	b.rel = append(b.rel, release)
	b.Buffer.Write(p)
	return nil
}

// WriteLent gives the same object as Write, whatever the pieces, lends
// what it can, and releases every buffer exactly once.
func TestChecksumWriteLentMatchesWrite(t *testing.T) {
	body := strings.Repeat(`{"id": 1, "name": "x"},`+"\n", 400)
	docs := map[string]string{
		"json": `{"type": "full", "tables": {"t": {"records": [` + body + `{"id": 2}]}}}` + "\n",
		"cbor": cborStart + strings.Repeat("\x61a\x01", 3000) + cborEnd,
	}
	for name, doc := range docs {
		for _, chunk := range []int{1, 3, 5000, len(doc)} {
			want := withChecksum(t, doc, chunk)
			var dst borrower
			cw := NewChecksumWriter(&dst)
			released := 0
			for i := 0; i < len(doc); i += chunk {
				p := []byte(doc[i:min(i+chunk, len(doc))])
				require.NoError(t, cw.WriteLent(p, func() { released++ }))
			}
			require.NoError(t, cw.Close())
			assert.Equal(t, want, dst.String(), "%s in pieces of %d", name, chunk)
			for i, p := range dst.lent {
				assert.Equal(t, dst.copies[i], p, "a lent buffer is not changed")
				dst.rel[i]()
			}
			n := (len(doc) + chunk - 1) / chunk
			assert.Equal(t, n, released, "%s in pieces of %d: one release per write", name, chunk)
			if chunk == 5000 {
				assert.NotEmpty(t, dst.lent, "large pieces after the first are lent")
			}
		}
	}
}
