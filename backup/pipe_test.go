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
