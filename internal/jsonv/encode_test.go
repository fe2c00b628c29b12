package jsonv

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAppendString(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"empty", "", `""`},
		{"plain", "hello world", `"hello world"`},
		{"quote and backslash", `a"b\c`, `"a\"b\\c"`},
		{"short escapes", "\n\r\t\b\f", `"\n\r\t\b\f"`},
		{"other controls", "\x00\x01\x1f\x7f", `"\u0000\u0001\u001f` + "\x7f" + `"`},
		{"slash not escaped", "a/b", `"a/b"`},
		{"html not escaped", "<a&b>", `"<a&b>"`},
		{"non-ASCII raw", "é€😀", `"é€😀"`},
		{"line separators", "a\u2028b\u2029c", `"a\u2028b\u2029c"`},
		{"invalid byte", "a\xffb", `"a\ufffdb"`},
		{"truncated rune", "\xe2\x82", `"\ufffd\ufffd"`},
		{"surrogate half in UTF-8", "\xed\xa0\x80", `"\ufffd\ufffd\ufffd"`},
		{"escape at end", "abc\n", `"abc\n"`},
		{"escape at start", "\tabc", `"\tabc"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := AppendString([]byte("prefix:"), tt.in)
			require.Equal(t, "prefix:"+tt.want, string(got))
			require.True(t, json.Valid(got[len("prefix:"):]))

			// encoding/json reads back the same string (with invalid UTF-8
			// replaced the same way encoding/json replaces it).
			var std string
			require.NoError(t, json.Unmarshal(got[len("prefix:"):], &std))
			var stdOfStd string
			raw, err := json.Marshal(tt.in)
			require.NoError(t, err)
			require.NoError(t, json.Unmarshal(raw, &stdOfStd))
			assert.Equal(t, stdOfStd, std)
		})
	}
}

func TestAppendFloat(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0.0"},
		{math.Copysign(0, -1), "-0.0"},
		{3, "3.0"},
		{-3, "-3.0"},
		{0.1, "0.1"},
		{87.5, "87.5"},
		{1e20, "100000000000000000000.0"},
		{1e21, "1e+21"},
		{1.5e300, "1.5e+300"},
		{1e-6, "0.000001"},
		{1e-7, "1e-7"},
		{1.25e-10, "1.25e-10"},
		{5e-324, "5e-324"},
		{math.MaxFloat64, "1.7976931348623157e+308"},
		{-math.MaxFloat64, "-1.7976931348623157e+308"},
		{math.SmallestNonzeroFloat64, "5e-324"},
		{123456789.125, "123456789.125"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			got := string(AppendFloat(nil, tt.in))
			require.Equal(t, tt.want, got)
			v, err := NewDecoder(strings.NewReader(got)).Value()
			require.NoError(t, err)
			require.IsType(t, float64(0), v)
			require.Equal(t, math.Float64bits(tt.in), math.Float64bits(v.(float64)))
		})
	}
}

func TestAppendInt(t *testing.T) {
	for _, i := range []int64{0, 1, -1, 42, math.MaxInt64, math.MinInt64} {
		got := AppendInt([]byte("x"), i)
		v, err := NewDecoder(strings.NewReader(string(got[1:]))).Value()
		require.NoError(t, err)
		require.Equal(t, i, v)
	}
	require.Equal(t, "-9223372036854775808", string(AppendInt(nil, math.MinInt64)))
}

func TestAppendValue(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"nil", nil, "null"},
		{"true", true, "true"},
		{"false", false, "false"},
		{"int", int64(-7), "-7"},
		{"float", 2.5, "2.5"},
		{"whole float", 2.0, "2.0"},
		{"string", "x\"y", `"x\"y"`},
		{"empty array", []any{}, "[]"},
		{"nil array", []any(nil), "[]"},
		{"empty object", map[string]any{}, "{}"},
		{"nil object", map[string]any(nil), "{}"},
		{"sorted keys", map[string]any{"b": int64(1), "a": int64(2), "é": nil, "A": true, "": "e"},
			`{"":"e","A":true,"a":2,"b":1,"é":null}`},
		{"nested", []any{map[string]any{"k": []any{int64(1), 1.5, "s", nil, false}}, []any{}},
			`[{"k":[1,1.5,"s",null,false]},[]]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AppendValue([]byte("["), tt.in)
			require.NoError(t, err)
			require.Equal(t, "["+tt.want, string(got))
		})
	}
}

func TestAppendValueManyKeysSorted(t *testing.T) {
	m := map[string]any{}
	for i := range 100 {
		m[string(AppendInt(nil, int64(i*7919%1000)))] = int64(i)
	}
	got, err := AppendValue(nil, m)
	require.NoError(t, err)
	want, err := json.Marshal(m) // encoding/json sorts keys too
	require.NoError(t, err)
	require.Equal(t, string(want), string(got))
}

func TestAppendValueErrors(t *testing.T) {
	cyclic := map[string]any{}
	cyclic["self"] = cyclic
	tests := []struct {
		name    string
		in      any
		wantErr string
	}{
		{"int", 1, "unsupported type int"},
		{"int32", int32(1), "unsupported type int32"},
		{"uint64", uint64(1), "unsupported type uint64"},
		{"float32", float32(1), "unsupported type float32"},
		{"typed slice", []string{"a"}, "unsupported type []string"},
		{"typed map", map[string]string{}, "unsupported type map[string]string"},
		{"nested", map[string]any{"a": []any{int64(1), struct{}{}}}, "unsupported type struct {}"},
		{"NaN", math.NaN(), "unsupported float value NaN"},
		{"+Inf", math.Inf(1), "unsupported float value +Inf"},
		{"-Inf nested", []any{math.Inf(-1)}, "unsupported float value -Inf"},
		{"cycle", cyclic, "nested deeper than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := []byte("keep")
			got, err := AppendValue(dst, tt.in)
			require.ErrorContains(t, err, tt.wantErr)
			require.Equal(t, "keep", string(got))
		})
	}
	_, err := AppendValue(nil, 1)
	require.ErrorIs(t, err, ErrUnsupportedType)
	var ute *UnsupportedTypeError
	require.True(t, errors.As(err, &ute))
	require.Equal(t, "int", ute.Type)
}

func TestAppendValueDoesNotAllocateForRecord(t *testing.T) {
	rec := sampleRecord(123)
	buf := make([]byte, 0, 256)
	allocs := testing.AllocsPerRun(100, func() {
		var err error
		buf, err = AppendValue(buf[:0], rec)
		if err != nil {
			t.Fatal(err)
		}
	})
	require.Zero(t, allocs)
}
