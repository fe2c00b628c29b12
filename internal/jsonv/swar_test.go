package jsonv

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// firstFlagged returns the index of the first byte marked in mask, or 8.
func firstFlagged(mask uint64) int {
	return bits.TrailingZeros64(mask) >> 3
}

func naiveFirst(b []byte, special func(byte) bool) int {
	for i, c := range b {
		if special(c) {
			return i
		}
	}
	return 8
}

func TestSWARMasks(t *testing.T) {
	isEnd := func(c byte) bool { return c == '"' || c == '\\' || c < 0x20 }
	isSpecial := func(c byte) bool { return isEnd(c) || c >= 0x80 }
	check := func(b []byte) {
		w := binary.LittleEndian.Uint64(b)
		require.Equal(t, naiveFirst(b, isEnd), firstFlagged(stringEndMask(w)), "%q", b)
		require.Equal(t, naiveFirst(b, isSpecial), firstFlagged(specialMask(w)), "%q", b)
		require.Equal(t, w, load64(string(b), 0))
	}
	// Every byte value at every position, among harmless and among
	// arbitrary following bytes.
	rng := rand.New(rand.NewPCG(3, 4))
	for pos := range 8 {
		for c := range 256 {
			b := []byte("abcdefgh")
			b[pos] = byte(c)
			check(b)
			for k := pos + 1; k < 8; k++ {
				b[k] = byte(rng.IntN(256))
			}
			check(b)
		}
	}
	for range 100000 {
		b := make([]byte, 8)
		for k := range b {
			b[k] = byte(rng.IntN(256))
		}
		check(b)
	}
}

func TestScanString(t *testing.T) {
	for _, tt := range []struct {
		in       string
		from     int
		want     int
		nonASCII bool
	}{
		{`abc"`, 0, 3, false},
		{`abcdefghijklmnop"`, 0, 16, false},
		{`abcdefghijkl\mnop"`, 0, 12, false},
		{`abcdéfghijklmnop"`, 0, 17, true},
		{`abcdefghijklmnop`, 0, 16, false},
		{"abcdefgh\x01", 0, 8, false},
		{`é"`, 2, 2, false},
		{`abcdefghi"é`, 0, 9, false},
	} {
		got, seen := scanString([]byte(tt.in), tt.from)
		require.Equal(t, tt.want, got, tt.in)
		require.Equal(t, tt.nonASCII, seen&msb != 0, tt.in)
	}
}
