package readbuf

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// drain fills until the input ends, consuming everything, and returns what
// was read and the stream offset of the end of the last buffer.
func drain(t *testing.T, s *Source, buf []byte) ([]byte, int64) {
	t.Helper()
	var got []byte
	pos := 0
	for {
		var ok bool
		buf, pos, ok = s.Fill(buf, pos)
		got = append(got, buf[pos:]...)
		pos = len(buf)
		if !ok {
			return got, s.Offset(len(buf))
		}
	}
}

func TestFillReadsEverything(t *testing.T) {
	in := strings.Repeat("0123456789", 30_000)
	for name, r := range map[string]io.Reader{
		"bytes.Reader": bytes.NewReader([]byte(in)),
		"one byte":     iotest.OneByteReader(strings.NewReader(in)),
		"half":         iotest.HalfReader(strings.NewReader(in)),
		"data and EOF": iotest.DataErrReader(strings.NewReader(in)),
	} {
		t.Run(name, func(t *testing.T) {
			s := NewSource(r)
			var buf []byte
			if name == "one byte" {
				buf = make([]byte, 0, 7) // the caller may choose the first buffer
			}
			got, end := drain(t, &s, buf)
			assert.Equal(t, in, string(got))
			assert.Equal(t, io.EOF, s.Err())
			assert.Equal(t, int64(len(in)), end)
		})
	}
}

func TestFillBufferSize(t *testing.T) {
	s := NewSource(strings.NewReader("{}"))
	buf, pos, ok := s.Fill(nil, 0)
	require.True(t, ok)
	assert.Equal(t, 0, pos)
	assert.Equal(t, "{}", string(buf))
	assert.Equal(t, minSize, cap(buf), "a small in-memory input gets a small buffer")

	s = NewSource(bytes.NewReader(make([]byte, 3*ChunkSize)))
	buf, _, _ = s.Fill(nil, 0)
	assert.Equal(t, ChunkSize, cap(buf), "a large one a chunk")

	s = NewSource(iotest.HalfReader(bytes.NewReader(make([]byte, 3*ChunkSize))))
	buf, _, _ = s.Fill(nil, 0)
	assert.Equal(t, ChunkSize, cap(buf), "a reader without Len a chunk")
}

func TestFillKeepsUnconsumedBytes(t *testing.T) {
	s := NewSource(iotest.OneByteReader(strings.NewReader("abcdef")))
	buf := make([]byte, 0, 4)
	pos := 0
	for range 4 {
		buf, pos, _ = s.Fill(buf, pos)
	}
	require.Equal(t, "abcd", string(buf[pos:]))
	// Consume two bytes: the next Fill moves "cd" to the start.
	buf, pos, ok := s.Fill(buf, pos+2)
	require.True(t, ok)
	assert.Equal(t, 0, pos)
	assert.Equal(t, "cde", string(buf))
	assert.Equal(t, int64(2), s.Offset(pos))
	assert.Equal(t, int64(5), s.Offset(len(buf)))
}

func TestFillGrowsForALongToken(t *testing.T) {
	s := NewSource(iotest.OneByteReader(strings.NewReader("abcdefghij")))
	buf := make([]byte, 0, 4)
	var ok bool
	for range 10 {
		buf, _, ok = s.Fill(buf, 0) // nothing consumed: one token
		require.True(t, ok)
	}
	assert.Equal(t, "abcdefghij", string(buf))
	assert.Equal(t, 16, cap(buf), "doubled each time it was full")
}

type badCount struct{}

func (badCount) Read(p []byte) (int, error) { return len(p) + 1, nil }

type noProgress struct{}

func (noProgress) Read([]byte) (int, error) { return 0, nil }

func TestFillReadErrors(t *testing.T) {
	boom := errors.New("boom")
	for name, tt := range map[string]struct {
		r    io.Reader
		want error
	}{
		"error":         {iotest.ErrReader(boom), boom},
		"invalid count": {badCount{}, errInvalidRead},
		"no progress":   {noProgress{}, io.ErrNoProgress},
	} {
		t.Run(name, func(t *testing.T) {
			s := NewSource(tt.r)
			buf, pos, ok := s.Fill(nil, 0)
			assert.False(t, ok)
			assert.Equal(t, 0, pos)
			assert.Empty(t, buf)
			assert.Equal(t, tt.want, s.Err())
		})
	}
	// After the error, Fill changes nothing.
	s := NewSource(io.MultiReader(strings.NewReader("ab"), iotest.ErrReader(boom)))
	buf, pos, ok := s.Fill(nil, 0)
	require.True(t, ok)
	buf, pos, ok = s.Fill(buf, pos+1)
	require.False(t, ok)
	require.Equal(t, boom, s.Err())
	again, pos2, ok := s.Fill(buf, 1)
	assert.False(t, ok)
	assert.Equal(t, 1, pos2)
	assert.Equal(t, string(buf), string(again))
	assert.Equal(t, int64(1), s.Offset(pos))
}

func TestKeyCache(t *testing.T) {
	var c KeyCache
	a := c.String([]byte("name"))
	b := c.String([]byte("name"))
	assert.Equal(t, "name", b)
	assert.Equal(t, unsafe.StringData(a), unsafe.StringData(b), "the second one is the cached string")

	long := bytes.Repeat([]byte("k"), maxCachedKey+1)
	assert.Equal(t, string(long), c.String(long))
	assert.Equal(t, "", c.String(nil))
	assert.Equal(t, unsafe.StringData(a), unsafe.StringData(c.String([]byte("name"))), "still cached")

	// Every key comes back right, whatever replaces what in the slots.
	for i := range 5000 {
		k := []byte(strings.Repeat("x", i%40) + string(rune('a'+i%26)))
		require.Equal(t, string(k), c.String(k))
	}
}
