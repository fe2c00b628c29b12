package jsonv

import (
	"bytes"
	"math"
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPythonInterop checks, when python3 is installed, that Python's json
// module reads our output and that we read Python's output (ensure_ascii
// escapes and surrogate pairs, ", " and ": " separators).
func TestPythonInterop(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("python3 is not installed: CI must check the format against Python's json module")
		}
		t.Skip("python3 not installed")
	}
	v := map[string]any{
		"ints":    []any{int64(0), int64(-1), int64(math.MaxInt64), int64(math.MinInt64)},
		"floats":  []any{0.1, 1e21, 1e-7, math.Copysign(0, -1), 3.0, 5e-324, math.MaxFloat64, 1e20, 87.5},
		"strings": []any{"", "é€😀", "\u2028\u2029", "\x00\x1f\"\\/\n\r\t\b\f", "a\xffb"},
		"nested":  map[string]any{"a": []any{map[string]any{}, []any{}, nil, true, false}},
		"é":       "key",
	}
	enc, err := AppendValue(nil, v)
	require.NoError(t, err)

	const script = `import json, sys
v = json.loads(sys.stdin.buffer.read())
for f in v["floats"]:
    assert isinstance(f, float), f
for i in v["ints"]:
    assert isinstance(i, int), i
sys.stdout.write(json.dumps(v, sort_keys=True))`
	cmd := exec.Command(python, "-c", script)
	cmd.Stdin = bytes.NewReader(enc)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "python3: %s", stderr.String())
	for _, c := range out {
		require.Less(t, c, byte(0x80), "ensure_ascii output expected")
	}
	require.Contains(t, string(out), `\ud83d\ude00`, "surrogate pair expected")
	require.Contains(t, string(out), `": `, "Python's separators expected")

	got, err := decodeAll(out)
	require.NoError(t, err)
	want := v
	want["strings"].([]any)[4] = "a\uFFFDb"
	require.Equal(t, want, got)
	negZero := got.(map[string]any)["floats"].([]any)[3].(float64)
	require.True(t, math.Signbit(negZero))

	// And the Python output encodes back to exactly our encoding.
	again, err := AppendValue(nil, got)
	require.NoError(t, err)
	wantEnc, err := AppendValue(nil, want)
	require.NoError(t, err)
	require.Equal(t, string(wantEnc), string(again))
}
