package object

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"filippo.io/age"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Compression names how an object's bytes are compressed.
type Compression string

// The compressions. The empty string means none.
const (
	CompressionNone Compression = ""
	CompressionZstd Compression = "zstd"
	CompressionGzip Compression = "gzip"
)

// Layers are the transformations between an object's content and its
// stored bytes: compression, then encryption.
type Layers struct {
	Compression Compression
	Encrypted   bool
}

// Check returns an error if c is not a supported compression.
func (c Compression) Check() error {
	switch c {
	case CompressionNone, CompressionZstd, CompressionGzip:
		return nil
	}
	return fmt.Errorf("unknown compression %q (supported: zstd, gzip, or none)", string(c))
}

// ErrNoKey reports an encrypted object read without an identity that opens
// it.
var ErrNoKey = errors.New("encrypted, and no identity given opens it")

// maxWindow bounds the memory a zstd stream may ask the decoder for.
const maxWindow = 64 << 20

// Writer is the write side of Layers: what the codec writes goes
// through the checksum, the compressor and the encryption to the
// destination. Close completes every layer; without it the object is
// incomplete.
type Writer struct {
	cw     *ChecksumWriter
	layers []io.Closer // innermost (checksum side) first
}

// NewWriter returns a Writer that encodes into dst. recipients are needed
// when e.Encrypted.
func NewWriter(dst io.Writer, e Layers, recipients []age.Recipient) (*Writer, error) {
	w := &Writer{}
	var layers []io.Closer
	out := dst
	if e.Encrypted {
		if len(recipients) == 0 {
			return nil, errors.New("encryption needs at least one recipient")
		}
		aw, err := age.Encrypt(out, recipients...)
		if err != nil {
			return nil, fmt.Errorf("encrypt: %w", err)
		}
		layers = append(layers, aw)
		out = aw
	}
	switch e.Compression {
	case CompressionNone:
	case CompressionZstd:
		zw, err := zstd.NewWriter(out, zstd.WithEncoderConcurrency(1), zstd.WithWindowSize(8<<20))
		if err != nil {
			return nil, err
		}
		layers = append(layers, zw)
		out = zw
	case CompressionGzip:
		gw := gzip.NewWriter(out)
		layers = append(layers, gw)
		out = gw
	default:
		return nil, e.Compression.Check()
	}
	// Close the compressor before the encryption.
	for i, j := 0, len(layers)-1; i < j; i, j = i+1, j-1 {
		layers[i], layers[j] = layers[j], layers[i]
	}
	w.cw = NewChecksumWriter(out)
	w.layers = layers
	return w, nil
}

// Write writes encoded content.
func (w *Writer) Write(p []byte) (int, error) { return w.cw.Write(p) }

// WriteLent writes encoded content without copying it when nothing but
// the checksum is between w and a destination that borrows buffers (see
// package lend).
func (w *Writer) WriteLent(p []byte, release func()) error {
	if len(w.layers) > 0 {
		_, err := w.cw.Write(p) // the compressor copies it anyway
		release()
		return err
	}
	return w.cw.WriteLent(p, release)
}

// Close writes the checksum and completes the compression and encryption.
func (w *Writer) Close() error {
	if err := w.cw.Close(); err != nil {
		return err
	}
	for _, l := range w.layers {
		if err := l.Close(); err != nil {
			return err
		}
	}
	return nil
}

// Reader is the read side of Layers: it decrypts, decompresses and
// checks the checksum as the content is read.
type Reader struct {
	*VerifyingReader
	zr *zstd.Decoder
}

// NewReader returns a Reader of the object in src stored with layers e.
// identities open encrypted objects; without one that matches, the error
// matches ErrNoKey.
func NewReader(src io.Reader, e Layers, identities []age.Identity) (*Reader, error) {
	in := src
	if e.Encrypted {
		dr, err := decrypt(in, identities)
		if err != nil {
			return nil, err
		}
		in = dr
	}
	return decompress(in, e.Compression)
}

// NewSniffingReader is NewReader for content whose encoding is not known
// from a name: it recognises age encryption and zstd or gzip compression by
// their magic bytes.
func NewSniffingReader(src io.Reader, identities []age.Identity) (*Reader, error) {
	br := bufio.NewReaderSize(src, 64<<10)
	if b, _ := br.Peek(len(ageMagic)); string(b) == ageMagic {
		dr, err := decrypt(br, identities)
		if err != nil {
			return nil, err
		}
		br = bufio.NewReaderSize(dr, 64<<10)
	}
	c := CompressionNone
	if b, _ := br.Peek(4); string(b) == zstdMagic {
		c = CompressionZstd
	} else if len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b {
		c = CompressionGzip
	}
	return decompress(br, c)
}

// Magic numbers that start encrypted and compressed content.
const (
	ageMagic  = "age-encryption.org/v1\n"
	zstdMagic = "\x28\xb5\x2f\xfd"
)

func decrypt(in io.Reader, identities []age.Identity) (io.Reader, error) {
	if len(identities) == 0 {
		return nil, fmt.Errorf("%w (give an age identity or passphrase)", ErrNoKey)
	}
	dr, err := age.Decrypt(in, identities...)
	if err != nil {
		var nomatch *age.NoIdentityMatchError
		if errors.As(err, &nomatch) {
			return nil, fmt.Errorf("%w: %v", ErrNoKey, err)
		}
		return nil, fmt.Errorf("decrypt: %w", err)
	}
	return dr, nil
}

func decompress(in io.Reader, c Compression) (*Reader, error) {
	r := &Reader{}
	switch c {
	case CompressionNone:
	case CompressionZstd:
		zr, err := zstd.NewReader(in, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(maxWindow))
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
		r.zr, in = zr, zr
	case CompressionGzip:
		gr, err := gzip.NewReader(in)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		in = gr
	default:
		return nil, c.Check()
	}
	r.VerifyingReader = NewVerifyingReader(in)
	return r, nil
}

// Close releases the decompressor. It does not close the source.
func (r *Reader) Close() error {
	if r.zr != nil {
		r.zr.Close()
	}
	return nil
}
