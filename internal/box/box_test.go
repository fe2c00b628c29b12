package box

import (
	"fmt"
	"math"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Boxed values are the values an ordinary conversion gives, to type
// switches, ==, maps, reflect and fmt, after the slabs have been cut many
// times over and the garbage collector has run.
func TestBoxedValuesAreOrdinary(t *testing.T) {
	var a Arena
	var got, want []any
	for i := range 5000 {
		s := fmt.Sprintf("s%d-%s", i, strings.Repeat("x", i%300))
		n := int64(i*i) - 1000
		f := float64(i) / 7
		got = append(got, a.String([]byte(s)), a.Int(n), a.Float(f))
		want = append(want, s, n, f)
	}
	got = append(got, a.String(nil), a.Int(math.MinInt64), a.Float(math.Inf(-1)))
	want = append(want, "", int64(math.MinInt64), math.Inf(-1))
	runtime.GC()
	require.Len(t, got, len(want))
	seen := map[any]int{}
	for i := range want {
		require.Equal(t, want[i], got[i], "value %d", i)
		require.True(t, want[i] == got[i], "value %d: ==", i)
		require.Equal(t, reflect.TypeOf(want[i]), reflect.TypeOf(got[i]))
		require.Equal(t, fmt.Sprint(want[i]), fmt.Sprint(got[i]))
		seen[got[i]] = i
		switch v := got[i].(type) {
		case string:
			assert.Equal(t, want[i].(string), v)
		case int64:
			assert.Equal(t, want[i].(int64), v)
		case float64:
			assert.Equal(t, want[i].(float64), v)
		default:
			t.Fatalf("value %d: type %T", i, v)
		}
	}
	for i := range want {
		_, ok := seen[want[i]]
		require.True(t, ok, "value %d: found as a map key", i)
	}
}

// The slabs are cut a thousand values at a time: boxing allocates far less
// often than once per value.
func TestBoxingAllocatesPerSlab(t *testing.T) {
	var a Arena
	b := []byte("user-123456")
	allocs := testing.AllocsPerRun(10000, func() {
		_ = a.String(b)
		_ = a.Int(123456)
		_ = a.Float(1.5)
	})
	assert.Less(t, allocs, 0.1, "allocations per three values")
}
