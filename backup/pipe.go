package backup

import (
	"io"
	"sync"
)

// Sizes of the buffers between an encoder and the sink reading it: at most
// pipeBuffers of them, the first one firstChunk bytes and each next one
// twice as large, up to pipeChunk, so that a small delta does not pay for
// clearing large buffers and a full backup soon moves large chunks.
const (
	firstChunk  = 16 << 10
	pipeChunk   = 512 << 10
	pipeBuffers = 4
)

// lendMin is the smallest write that the pipe borrows (WriteLent) rather
// than copies.
const lendMin = 64 << 10

// chunkPipe is io.Pipe with buffers: the encoder can run up to
// pipeBuffers chunks ahead of the sink, so encoding and writing overlap
// instead of taking turns. Its memory is bounded by the buffers. Large
// writes can be lent instead (WriteLent, see package lend): the reader
// gets the writer's own buffer, and releases it once written.
type chunkPipe struct {
	full chan piece  // chunks for the reader, in order; closed by closeWrite
	free chan []byte // empty buffers for the writer

	stopOnce sync.Once
	stopped  chan struct{} // closed by stop: the reader gave up

	werr error  // the writer's error, set before full is closed
	wbuf []byte // the chunk being filled (writer side)
	made int    // buffers allocated, at most pipeBuffers (writer side)
	next int    // the size of the next buffer (writer side)

	rbuf  []byte // unread part of the current chunk (reader side)
	rfull piece  // the current chunk, to recycle
}

// piece is a chunk for the reader: one of the pipe's buffers, or a
// buffer lent by the writer, given back by calling release.
type piece struct {
	b       []byte
	release func()
}

// recycle gives the reader's current chunk back: its buffer to the
// writer, or the lent buffer to its owner.
func (p *chunkPipe) recycle() {
	switch c := p.rfull; {
	case c.release != nil:
		c.release()
	case c.b != nil:
		p.free <- c.b[:0] // never blocks: there are pipeBuffers buffers
	}
	p.rfull = piece{}
}

func newChunkPipe() *chunkPipe {
	p := &chunkPipe{
		full:    make(chan piece, pipeBuffers),
		free:    make(chan []byte, pipeBuffers),
		stopped: make(chan struct{}),
		next:    firstChunk,
	}
	return p
}

// buffer returns an empty buffer for the writer: a free one, or a new one
// while fewer than pipeBuffers exist, waiting for the reader to free one
// otherwise. A free buffer smaller than the size reached is replaced.
func (p *chunkPipe) buffer() ([]byte, error) {
	var buf []byte
	select {
	case buf = <-p.free:
	default:
		if p.made < pipeBuffers {
			p.made++
			return p.grow(), nil
		}
		select {
		case buf = <-p.free:
		case <-p.stopped:
			return nil, errReaderDone
		}
	}
	if cap(buf) < p.next {
		return p.grow(), nil
	}
	return buf[:0], nil
}

// grow allocates a buffer of the next size and doubles the size.
func (p *chunkPipe) grow() []byte {
	buf := make([]byte, 0, p.next)
	p.next = min(2*p.next, pipeChunk)
	return buf
}

// Write copies b into chunks, blocking while every buffer waits for the
// reader. After stop it returns errReaderDone.
func (p *chunkPipe) Write(b []byte) (int, error) {
	n := 0
	for len(b) > 0 {
		if p.wbuf == nil {
			buf, err := p.buffer()
			if err != nil {
				return n, err
			}
			p.wbuf = buf
		}
		k := copy(p.wbuf[len(p.wbuf):cap(p.wbuf)], b)
		p.wbuf = p.wbuf[:len(p.wbuf)+k]
		b, n = b[k:], n+k
		if len(p.wbuf) == cap(p.wbuf) {
			if err := p.send(); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// WriteLent passes b to the reader without a copy, after what was written
// before it, if it is large; release is called once the reader is done
// with it.
func (p *chunkPipe) WriteLent(b []byte, release func()) error {
	if len(b) < lendMin {
		_, err := p.Write(b)
		release()
		return err
	}
	if len(p.wbuf) > 0 {
		if err := p.send(); err != nil {
			release()
			return err
		}
	}
	select {
	case p.full <- piece{b: b, release: release}:
		return nil
	case <-p.stopped:
		release()
		return errReaderDone
	}
}

func (p *chunkPipe) send() error {
	select {
	case p.full <- piece{b: p.wbuf}:
		p.wbuf = nil
		return nil
	case <-p.stopped:
		return errReaderDone
	}
}

// closeWrite ends the stream: the reader gets the rest, then err (io.EOF
// if nil).
func (p *chunkPipe) closeWrite(err error) {
	if err == nil && len(p.wbuf) > 0 {
		err = p.send()
	}
	p.werr = err
	close(p.full)
}

// Read reads what the writer wrote, in order.
func (p *chunkPipe) Read(b []byte) (int, error) {
	for len(p.rbuf) == 0 {
		p.recycle()
		c, ok := <-p.full
		if !ok {
			if p.werr != nil {
				return 0, p.werr
			}
			return 0, io.EOF
		}
		p.rfull, p.rbuf = c, c.b
	}
	n := copy(b, p.rbuf)
	p.rbuf = p.rbuf[n:]
	return n, nil
}

// WriteTo writes what the writer wrote to w, chunk by chunk, with no copy
// on this side: what io.Copy calls instead of Read.
func (p *chunkPipe) WriteTo(w io.Writer) (int64, error) {
	var n int64
	if len(p.rbuf) > 0 { // left by an earlier Read
		k, err := w.Write(p.rbuf)
		n += int64(k)
		p.rbuf = p.rbuf[k:]
		if err != nil {
			return n, err
		}
	}
	for {
		p.recycle()
		c, ok := <-p.full
		if !ok {
			if p.werr != nil {
				return n, p.werr
			}
			return n, nil
		}
		p.rfull = c
		k, err := w.Write(c.b)
		n += int64(k)
		if err != nil {
			p.rbuf = c.b[k:]
			return n, err
		}
	}
}

// stop tells the writer that nobody reads any more.
func (p *chunkPipe) stop() { p.stopOnce.Do(func() { close(p.stopped) }) }
