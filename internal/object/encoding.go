package object

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"filippo.io/age"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/dictdb/dictdb-go/dictdb"
)

// Compression names how an object's bytes are compressed.
type Compression string

// The compressions. The empty string means none.
const (
	CompressionNone Compression = ""
	CompressionZstd Compression = "zstd"
	CompressionGzip Compression = "gzip"
)

// ext returns the name extension of the compression, with the dot.
func (c Compression) ext() string {
	switch c {
	case CompressionZstd:
		return ".zst"
	case CompressionGzip:
		return ".gz"
	}
	return ""
}

// Check returns an error if c is not a supported compression.
func (c Compression) Check() error {
	switch c {
	case CompressionNone, CompressionZstd, CompressionGzip:
		return nil
	}
	return fmt.Errorf("unknown compression %q (supported: zstd, gzip, or none)", string(c))
}

// encryptedExt ends the name of an age-encrypted object.
const encryptedExt = ".age"

// Encoding is how an object is stored: its format, then optionally
// compressed, then optionally encrypted with age. The name records all
// three (dictdb_backup_<sec>_<usec>.json.zst.age), and so does the header
// inside, so a reader never guesses.
type Encoding struct {
	Format      dictdb.Format
	Compression Compression
	Encrypted   bool
}

// Ext returns the name extension of the encoding, e.g. ".cbor.zst.age".
func (e Encoding) Ext() string {
	s := e.Format.Ext() + e.Compression.ext()
	if e.Encrypted {
		s += encryptedExt
	}
	return s
}

// parseExt parses an extension made by Ext, without its first dot.
func parseExt(ext string) (Encoding, bool) {
	var e Encoding
	ext = "." + ext
	if rest, ok := strings.CutSuffix(ext, encryptedExt); ok {
		e.Encrypted, ext = true, rest
	}
	for _, c := range []Compression{CompressionZstd, CompressionGzip} {
		if rest, ok := strings.CutSuffix(ext, c.ext()); ok {
			e.Compression, ext = c, rest
			break
		}
	}
	if ext == "" {
		return Encoding{}, false
	}
	ext = ext[1:]
	if ext == "" || strings.ContainsRune(ext, '.') {
		return Encoding{}, false
	}
	e.Format = dictdb.Format(ext)
	return e, true
}

// ErrNoKey reports an encrypted object read without an identity that opens
// it.
var ErrNoKey = errors.New("encrypted, and no identity given opens it")

// maxWindow bounds the memory a zstd stream may ask the decoder for.
const maxWindow = 64 << 20

// Writer is the write side of an Encoding: what the codec writes goes
// through the checksum, the compressor and the encryption to the
// destination. Close completes every layer; without it the object is
// incomplete.
type Writer struct {
	cw     *ChecksumWriter
	layers []io.Closer // innermost (checksum side) first
}

// NewWriter returns a Writer that encodes into dst. recipients are needed
// when e.Encrypted.
func NewWriter(dst io.Writer, e Encoding, recipients []age.Recipient) (*Writer, error) {
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

// Reader is the read side of an Encoding: it decrypts, decompresses and
// checks the checksum as the content is read.
type Reader struct {
	*VerifyingReader
	zr *zstd.Decoder
}

// NewReader returns a Reader of the object in src stored with encoding e.
// identities open encrypted objects; without one that matches, the error
// matches ErrNoKey.
func NewReader(src io.Reader, e Encoding, identities []age.Identity) (*Reader, error) {
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
