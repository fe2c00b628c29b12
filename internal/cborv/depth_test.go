package cborv

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/internal/limits"
)

// nest returns n arrays (or maps) nested around 1.
func nest(n int, isMap bool) any {
	v := any(int64(1))
	for range n {
		if isMap {
			v = map[string]any{"a": v}
		} else {
			v = []any{v}
		}
	}
	return v
}

// TestAppendValueDepthMatchesDecoder: AppendValue writes only what a Decoder
// reads back. A value nested as deep as the Decoder accepts round-trips; one
// level more is refused, and so is a value nested 100,000 deep (without
// exhausting the stack).
func TestAppendValueDepthMatchesDecoder(t *testing.T) {
	for _, isMap := range []bool{false, true} {
		v := nest(defaultMaxDepth, isMap)
		enc, err := AppendValue(nil, v)
		require.NoError(t, err)
		got, err := decodeAll(enc)
		require.NoError(t, err)
		require.Equal(t, v, got)
		for _, n := range []int{defaultMaxDepth + 1, 100000} {
			_, err = AppendValue(nil, nest(n, isMap))
			require.ErrorContains(t, err, "nested deeper than 512", "%d deep", n)
		}
	}
}

// TestAppendValueAt: inside depth containers a value may nest MaxDepth-depth
// levels, exactly what a Decoder accepts there.
func TestAppendValueAt(t *testing.T) {
	require.Equal(t, limits.MaxDepth, defaultMaxDepth)
	wrap := func(enc []byte, depth int) []byte { // depth arrays of one element
		return append(bytes.Repeat([]byte{0x81}, depth), enc...)
	}
	for _, depth := range []int{0, 1, 4, limits.MaxDepth - 1, limits.MaxDepth} {
		room := limits.MaxDepth - depth
		enc, err := AppendValueAt(nil, nest(room, depth%2 == 0), depth)
		require.NoError(t, err, "depth %d", depth)
		_, err = decodeAll(wrap(enc, depth))
		require.NoError(t, err, "depth %d", depth)

		got, err := AppendValueAt([]byte("keep"), nest(room+1, depth%2 == 0), depth)
		require.ErrorContains(t, err, "nested deeper than 512", "depth %d", depth)
		require.Equal(t, "keep", string(got))
		if depth > 0 { // the Decoder refuses the same document
			enc, err = AppendValue(nil, nest(room+1, depth%2 == 0))
			require.NoError(t, err)
			_, err = decodeAll(wrap(enc, depth))
			require.ErrorContains(t, err, "exceeded max depth 512")
		}
	}
}
