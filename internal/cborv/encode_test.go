package cborv

import (
	"encoding/hex"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAppendValueBytes checks exact encodings against RFC 8949 Appendix A
// (where our fixed choices agree with it) and our own choices: floats are
// always doubles, map keys in deterministic order (shorter first).
func TestAppendValueBytes(t *testing.T) {
	cases := []struct {
		name string
		in   any
		hex  string
	}{
		{"0", int64(0), "00"},
		{"1", int64(1), "01"},
		{"23", int64(23), "17"},
		{"24", int64(24), "1818"},
		{"100", int64(100), "1864"},
		{"1000", int64(1000), "1903e8"},
		{"1000000", int64(1000000), "1a000f4240"},
		{"1e12", int64(1000000000000), "1b000000e8d4a51000"},
		{"max int64", int64(math.MaxInt64), "1b7fffffffffffffff"},
		{"-1", int64(-1), "20"},
		{"-10", int64(-10), "29"},
		{"-100", int64(-100), "3863"},
		{"-1000", int64(-1000), "3903e7"},
		{"min int64", int64(math.MinInt64), "3b7fffffffffffffff"},
		{"0.0", 0.0, "fb0000000000000000"},
		{"-0.0", math.Copysign(0, -1), "fb8000000000000000"},
		{"1.0 stays a float", 1.0, "fb3ff0000000000000"},
		{"1.1", 1.1, "fb3ff199999999999a"},
		{"1e300", 1.0e+300, "fb7e37e43c8800759c"},
		{"false", false, "f4"},
		{"true", true, "f5"},
		{"null", nil, "f6"},
		{"empty string", "", "60"},
		{"a", "a", "6161"},
		{"IETF", "IETF", "6449455446"},
		{"quote backslash", "\"\\", "62225c"},
		{"ü", "\u00fc", "62c3bc"},
		{"水", "\u6c34", "63e6b0b4"},
		{"surrogate pair", "\U00010151", "64f0908591"},
		{"24-byte string", strings.Repeat("x", 24), "7818" + strings.Repeat("78", 24)},
		{"invalid UTF-8 replaced", "a\xffb", "6561efbfbd62"},
		{"truncated rune replaced per byte", "\xe2\x82", "66efbfbdefbfbd"},
		{"empty array", []any{}, "80"},
		{"nil array", []any(nil), "80"},
		{"array", []any{int64(1), int64(2), int64(3)}, "83010203"},
		{"nested array", []any{int64(1), []any{int64(2), int64(3)}, []any{int64(4), int64(5)}}, "8301820203820405"},
		{"empty map", map[string]any{}, "a0"},
		{"nil map", map[string]any(nil), "a0"},
		{"map sorted", map[string]any{"b": []any{int64(2), int64(3)}, "a": int64(1)}, "a26161016162820203"},
		{"map keys shorter first", map[string]any{"aa": int64(1), "b": int64(2), "": int64(3)}, "a3600361620262616101"},
		{"map in array", []any{"a", map[string]any{"b": "c"}}, "826161a161626163"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := AppendValue([]byte{0xAA}, c.in)
			require.NoError(t, err)
			assert.Equal(t, "aa"+c.hex, hex.EncodeToString(got))
		})
	}
}

func TestAppendValueSortsManyKeys(t *testing.T) {
	m := map[string]any{}
	for i := range 40 {
		m[string(rune('z'-i%26))+strings.Repeat("k", i/26)] = int64(i)
	}
	enc, err := AppendValue(nil, m)
	require.NoError(t, err)
	d := NewDecoder(strings.NewReader(string(enc)))
	require.NoError(t, d.BeginMap())
	prev := ""
	for {
		k, ok, err := d.NextKey()
		require.NoError(t, err)
		if !ok {
			break
		}
		assert.True(t, len(prev) < len(k) || len(prev) == len(k) && prev < k, "%q before %q", prev, k)
		prev = k
		require.NoError(t, d.Skip())
	}
	require.NoError(t, d.End())
}

func TestAppendValueErrors(t *testing.T) {
	for _, v := range []any{math.NaN(), math.Inf(1), []any{math.Inf(-1)}, map[string]any{"x": math.NaN()}} {
		got, err := AppendValue([]byte("keep"), v)
		require.Error(t, err, "%v", v)
		assert.Equal(t, "keep", string(got), "dst unchanged on error")
	}
	for _, v := range []any{1, float32(1), []byte("x"), map[string]int{}, []string{}, struct{}{}} {
		_, err := AppendValue(nil, map[string]any{"v": v})
		require.ErrorIs(t, err, ErrUnsupportedType, "%T", v)
		var ute *UnsupportedTypeError
		require.ErrorAs(t, err, &ute)
	}
	cyclic := []any{nil}
	cyclic[0] = cyclic
	_, err := AppendValue(nil, cyclic)
	require.ErrorContains(t, err, "nested deeper")
}

func TestAppendHeadForms(t *testing.T) {
	for _, c := range []struct {
		major byte
		n     uint64
		hex   string
	}{
		{MajorArray, 0, "80"},
		{MajorArray, 23, "97"},
		{MajorArray, 24, "9818"},
		{MajorMap, 255, "b8ff"},
		{MajorMap, 256, "b90100"},
		{MajorText, 65535, "79ffff"},
		{MajorText, 65536, "7a00010000"},
		{MajorBytes, math.MaxUint32, "5affffffff"},
		{MajorBytes, math.MaxUint32 + 1, "5b0000000100000000"},
		{MajorUint, math.MaxUint64, "1bffffffffffffffff"},
	} {
		assert.Equal(t, c.hex, hex.EncodeToString(AppendHead(nil, c.major, c.n)))
	}
	assert.Equal(t, "4401020304", hex.EncodeToString(AppendBytes(nil, []byte{1, 2, 3, 4})))
	assert.Equal(t, "d9d9f7", hex.EncodeToString([]byte(SelfDescribe)))
	assert.Equal(t, SelfDescribe, string(AppendHead(nil, MajorTag, TagSelfDescribe)))
}
