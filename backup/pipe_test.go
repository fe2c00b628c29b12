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
		buf, ok := <-p.full
		if !ok {
			break
		}
		largest = max(largest, cap(buf))
		p.free <- buf[:0]
	}
	require.NoError(t, p.werr)
	assert.Equal(t, pipeChunk, largest, "the buffers grow to pipeChunk")
	assert.LessOrEqual(t, p.made, pipeBuffers)
}
