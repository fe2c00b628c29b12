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
