// Package readbuf is the input side that the streaming decoders of
// internal/jsonv and internal/cborv share: a [Source] fills a decoder's
// buffer from an io.Reader in chunks, keeping the bytes not yet consumed and
// growing the buffer only for a token longer than it, and knows the stream
// offsets and the read error for the decoders' messages; a [KeyCache]
// interns the keys of maps (JSON objects), which the records of one table
// repeat millions of times.
//
// The decoders keep the buffer and their position in it as their own fields,
// which their hot loops index directly.
package readbuf

import (
	"errors"
	"io"
)

const (
	// ChunkSize is how much a Source reads at a time, and the size of the
	// buffer it allocates (smaller for small in-memory inputs).
	ChunkSize = 64 << 10

	// minSize is the smallest buffer a Source allocates.
	minSize = 512

	maxConsecutiveEmptyReads = 100
)

var errInvalidRead = errors.New("reader returned an invalid count")

// A Source fills a decoder's buffer from an io.Reader. It holds at most the
// current chunk plus the token being decoded, never the whole input.
type Source struct {
	r    io.Reader
	base int64 // stream offset of the first byte of the buffer
	err  error // error returned by r (io.EOF at the end)
}

// NewSource returns a Source reading from r.
func NewSource(r io.Reader) Source { return Source{r: r} }

// Ended returns a Source whose input has ended: the buffer that a decoder
// holds is all there is, and Fill never touches it. base is the stream
// offset of the buffer's first byte, for a decoder that reads a part of a
// stream that it was given whole.
func Ended(base int64) Source { return Source{base: base, err: io.EOF} }

// Offset returns the stream offset of buf[i], buf being the buffer that
// Fill last returned.
func (s *Source) Offset(i int) int64 { return s.base + int64(i) }

// Err returns the error that ended the input: nil while there may be more,
// io.EOF at its end, or the reader's error.
func (s *Source) Err() error { return s.err }

// Fill reads more input into buf, of which buf[pos:] is read but not yet
// consumed. It returns the buffer and position to use from then on (the
// unconsumed bytes move to the start of the buffer, so indexes into it must
// be recomputed relative to the position) and reports whether any bytes were
// added; if not, Err says why. A nil buf gets a buffer of ChunkSize, or less
// for a small in-memory reader that reports its Len; a full one (a single
// token fills it) is doubled.
func (s *Source) Fill(buf []byte, pos int) ([]byte, int, bool) {
	if s.err != nil {
		return buf, pos, false
	}
	if buf == nil {
		size := ChunkSize
		if l, ok := s.r.(interface{ Len() int }); ok {
			// Small in-memory input (bytes.Reader, strings.Reader,
			// bytes.Buffer): don't allocate a full chunk.
			size = min(size, max(l.Len()+1, minSize))
		}
		buf = make([]byte, 0, size)
	}
	if pos > 0 {
		n := copy(buf[:cap(buf)], buf[pos:])
		s.base += int64(pos)
		buf, pos = buf[:n], 0
	}
	if len(buf) == cap(buf) {
		// A single token fills the buffer: grow it (only as input comes).
		nb := make([]byte, len(buf), 2*cap(buf))
		copy(nb, buf)
		buf = nb
	}
	for range maxConsecutiveEmptyReads {
		free := buf[len(buf):cap(buf)]
		n, err := s.r.Read(free)
		if n < 0 || n > len(free) {
			s.err = errInvalidRead
			return buf, pos, false
		}
		buf = buf[:len(buf)+n]
		if err != nil {
			s.err = err
			return buf, pos, n > 0
		}
		if n > 0 {
			return buf, pos, true
		}
	}
	s.err = io.ErrNoProgress
	return buf, pos, false
}
