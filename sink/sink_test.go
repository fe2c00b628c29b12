package sink_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/sink"
)

func TestValidateKey(t *testing.T) {
	tests := []struct {
		key    string
		reason string // "" means valid
	}{
		{"a", ""},
		{"a/b/c.json", ""},
		{"backups/2024-06-01T10:00:00Z/full.json", ""},
		{".hidden/..dots/x..", ""},
		{"ünïcödé/ключ/鍵", ""},
		{"with space/and-dash_underscore", ""},
		{strings.Repeat("k", 1024), ""},
		{strings.Repeat("ab/", 341) + "c", ""}, // 1024 bytes

		{"", "empty"},
		{strings.Repeat("k", 1025), "longer than 1024 bytes"},
		{"bad\xffutf8", "not valid UTF-8"},
		{"/abs", "leading slash"},
		{"/", "leading slash"},
		{`a\b`, "backslash"},
		{"a\x00b", "control character"},
		{"a\nb", "control character"},
		{"tab\there", "control character"},
		{"del\x7f", "control character"},
		{"c1\u0085", "control character"},
		{"a//b", "empty path segment"},
		{"a/", "empty path segment"},
		{".", `"." path segment`},
		{"./a", `"." path segment`},
		{"a/./b", `"." path segment`},
		{"..", `".." path segment`},
		{"../x", `".." path segment`},
		{"a/../../x", `".." path segment`},
		{"a/..", `".." path segment`},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("%.40q", tt.key)
		t.Run(name, func(t *testing.T) {
			err := sink.ValidateKey(tt.key)
			if tt.reason == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, sink.ErrInvalidKey)
			assert.Contains(t, err.Error(), tt.reason)
			if len(tt.key) <= 64 {
				assert.Contains(t, err.Error(), fmt.Sprintf("%q", tt.key), "error must name the key")
			}
		})
	}
}

func TestValidateKeyLongKeyMessageIsBounded(t *testing.T) {
	err := sink.ValidateKey(strings.Repeat("x", 1<<20))
	require.ErrorIs(t, err, sink.ErrInvalidKey)
	assert.Less(t, len(err.Error()), 200)
}

// countingReader counts the Read calls that reach it.
type countingReader struct {
	r     io.Reader
	calls int
}

func (c *countingReader) Read(p []byte) (int, error) {
	c.calls++
	return c.r.Read(p)
}

func TestNewContextReaderPassesThrough(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 10000)
	r := sink.NewContextReader(t.Context(), bytes.NewReader(data))
	require.NoError(t, iotest.TestReader(r, data))
}

func TestNewContextReaderStopsAfterCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	src := &countingReader{r: strings.NewReader("abcdef")}
	r := sink.NewContextReader(ctx, src)

	buf := make([]byte, 2)
	n, err := r.Read(buf)
	require.NoError(t, err)
	assert.Equal(t, "ab", string(buf[:n]))

	cancel()
	n, err = r.Read(buf)
	assert.Zero(t, n)
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 1, src.calls, "underlying reader must not be read after cancellation")

	// io.Copy surfaces the context error.
	_, err = io.Copy(io.Discard, r)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestNewContextReaderExpiredDeadline(t *testing.T) {
	ctx, cancel := context.WithDeadline(t.Context(), time.Unix(0, 0))
	defer cancel()
	src := &countingReader{r: strings.NewReader("abc")}
	_, err := sink.NewContextReader(ctx, src).Read(make([]byte, 8))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Zero(t, src.calls)
}

// A reader that writes itself (io.WriterTo) keeps doing so through
// NewContextReader, so io.Copy needs no buffer, and the context is still
// checked: before every Write to the destination.
func TestNewContextReaderChecksWriterTo(t *testing.T) {
	data := bytes.Repeat([]byte("x"), 100)
	r := sink.NewContextReader(t.Context(), bytes.NewReader(data))
	_, ok := r.(io.WriterTo)
	require.True(t, ok)
	var out bytes.Buffer
	n, err := io.Copy(&out, r)
	require.NoError(t, err)
	assert.Equal(t, int64(len(data)), n)
	assert.Equal(t, data, out.Bytes())

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = io.Copy(&out, sink.NewContextReader(ctx, bytes.NewReader(data)))
	require.ErrorIs(t, err, context.Canceled)
	plain := sink.NewContextReader(ctx, struct{ io.Reader }{bytes.NewReader(data)})
	_, ok = plain.(io.WriterTo)
	assert.False(t, ok, "a plain reader stays plain")
	_, err = io.Copy(&out, plain)
	require.ErrorIs(t, err, context.Canceled)
}
