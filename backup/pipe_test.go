package backup

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestChunkPipeCarriesEveryByteInOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	want := make([]byte, 5*pipeChunk*pipeBuffers+123)
	for i := range want {
		want[i] = byte(rng.IntN(256))
	}
	p := newChunkPipe()
	go func() {
		rest := want
		for len(rest) > 0 {
			n := min(len(rest), 1+rng.IntN(3*pipeChunk))
			if _, err := p.Write(rest[:n]); err != nil {
				p.closeWrite(err)
				return
			}
			rest = rest[n:]
		}
		p.closeWrite(nil)
	}()
	var got bytes.Buffer
	buf := make([]byte, 7000) // reads that do not line up with chunks
	for {
		n, err := p.Read(buf)
		got.Write(buf[:n])
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
	}
	assert.True(t, bytes.Equal(want, got.Bytes()), "the bytes arrive whole and in order")
}

func TestChunkPipeErrorsAndStop(t *testing.T) {
	boom := errors.New("boom")
	p := newChunkPipe()
	go func() {
		_, _ = p.Write([]byte("partial"))
		p.closeWrite(boom)
	}()
	_, err := io.ReadAll(p)
	assert.ErrorIs(t, err, boom, "the writer's error reaches the reader")

	// A writer with nobody reading is released by stop.
	p = newChunkPipe()
	done := make(chan error, 1)
	go func() {
		_, err := p.Write(make([]byte, (pipeBuffers+2)*pipeChunk))
		done <- err
	}()
	p.stop()
	assert.ErrorIs(t, <-done, errReaderDone)
	p.stop() // twice is fine
}

// A small write takes one small buffer; a long stream grows its buffers to
// pipeChunk and never holds more than pipeBuffers of them.
func TestChunkPipeBuffersGrow(t *testing.T) {
	p := newChunkPipe()
	_, err := p.Write([]byte("a small delta"))
	require.NoError(t, err)
	p.closeWrite(nil)
	got, err := io.ReadAll(p)
	require.NoError(t, err)
	assert.Equal(t, "a small delta", string(got))
	assert.Equal(t, 1, p.made)
	assert.Equal(t, 2*firstChunk, p.next, "one buffer of firstChunk bytes was made")

	p = newChunkPipe()
	var largest int
	go func() {
		for i := 0; i < 64; i++ {
			if _, err := p.Write(make([]byte, pipeChunk/3)); err != nil {
				p.closeWrite(err)
				return
			}
		}
		p.closeWrite(nil)
	}()
	for {
		c, ok := <-p.full
		if !ok {
			break
		}
		largest = max(largest, cap(c.b))
		p.free <- c.b[:0]
	}
	require.NoError(t, p.werr)
	assert.Equal(t, pipeChunk, largest, "the buffers grow to pipeChunk")
	assert.LessOrEqual(t, p.made, pipeBuffers)
}

// Lent writes reach the reader in order with the copied ones, as the same
// buffers (no copy), and each is released once, after the reader is done
// with it; small lent writes are copied and released at once.
func TestChunkPipeLends(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	p := newChunkPipe()
	var want bytes.Buffer
	released := make(chan int, 64)
	lent := map[int][]byte{}
	go func() {
		for i := 0; i < 24; i++ {
			if i%3 == 0 {
				b := []byte("copied")
				want.Write(b)
				if _, err := p.Write(b); err != nil {
					p.closeWrite(err)
					return
				}
				continue
			}
			n := lendMin + rng.IntN(lendMin)
			if i%4 == 0 {
				n = 10 // below lendMin: copied
			}
			b := make([]byte, n)
			for j := range b {
				b[j] = byte(rng.IntN(256))
			}
			want.Write(b)
			lent[i] = b
			i := i
			if err := p.WriteLent(b, func() { released <- i }); err != nil {
				p.closeWrite(err)
				return
			}
		}
		p.closeWrite(nil)
	}()
	var got bytes.Buffer
	seen := map[int]bool{}
	w := writerFunc(func(b []byte) (int, error) {
		// Count the releases so far: none may come twice.
		for {
			select {
			case i := <-released:
				require.False(t, seen[i], "released twice")
				seen[i] = true
				continue
			default:
			}
			break
		}
		return got.Write(b)
	})
	_, err := p.WriteTo(w)
	require.NoError(t, err)
	close(released)
	for i := range released {
		require.False(t, seen[i], "released twice")
		seen[i] = true
	}
	assert.True(t, bytes.Equal(want.Bytes(), got.Bytes()), "the bytes arrive whole and in order")
	assert.Len(t, seen, len(lent), "every lent buffer is released")
}

// The reader writes a lent buffer itself, not a copy, and releases it only
// after that write returns.
func TestChunkPipeLentBufferIsNotCopied(t *testing.T) {
	p := newChunkPipe()
	b := make([]byte, lendMin)
	released, releasedWhileWriting := false, false
	writing := false
	release := func() { released, releasedWhileWriting = true, writing }
	go func() {
		err := p.WriteLent(b, release)
		p.closeWrite(err)
	}()
	var same bool
	_, err := p.WriteTo(writerFunc(func(got []byte) (int, error) {
		writing = true
		same = &got[0] == &b[0]
		writing = false
		return len(got), nil
	}))
	require.NoError(t, err)
	assert.True(t, same, "the reader gets the lent buffer itself")
	assert.True(t, released, "the buffer is released once the reader is done")
	assert.False(t, releasedWhileWriting, "the buffer is released after it is written")
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }
