package object

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/internal/lend"
)

// The checksum is the last top-level field of every object this project
// writes. In JSON (an object starting with '{'):
//
//	{...header..., "tables": {...}, "checksum": "sha256:<64 hex digits>"}\n
//
// In CBOR (FormatBinary, starting with the self-describe tag D9 D9 F7 and an
// indefinite-length map), the pair text "checksum" -> byte string of the 32
// raw SHA-256 bytes, just before the map's final break:
//
//	D9 D9 F7 BF ...header... "tables" {...}  68 "checksum" 58 20 <32 bytes>  FF
//
// It covers every byte before the trailer (`, "checksum": ...` in JSON, the
// 68 byte of the key in CBOR), so a writer computes it while streaming and
// a reader checks it while decoding, in one pass. Both sides tell the two
// formats apart by the first byte. The Python DictDB ignores the field.

// trailer is the checksum trailer of one format.
type trailer struct {
	prefix string // from the end of the content to the digest
	suffix string // after the digest: the end of the object
	hex    bool   // the digest is 64 hex digits (JSON), not 32 raw bytes
}

func (t *trailer) len() int {
	n := sha256.Size
	if t.hex {
		n *= 2
	}
	return len(t.prefix) + n + len(t.suffix)
}

// digest returns the digest written in a trailer of t's length.
func (t *trailer) digest(b []byte) string {
	d := b[len(t.prefix) : len(b)-len(t.suffix)]
	if t.hex {
		return string(d)
	}
	return hex.EncodeToString(d)
}

// encode returns the trailer for sum.
func (t *trailer) encode(sum []byte) []byte {
	out := append([]byte(nil), t.prefix...)
	if t.hex {
		out = hex.AppendEncode(out, sum)
	} else {
		out = append(out, sum...)
	}
	return append(out, t.suffix...)
}

var (
	jsonTrailer = &trailer{prefix: `, "checksum": "sha256:`, suffix: "\"}\n", hex: true}
	// 0x68: text string of 8 bytes; 0x58 0x20: byte string of 32 bytes;
	// 0xFF: break, the end of the top-level map.
	cborTrailer = &trailer{prefix: "\x68checksum\x58\x20", suffix: "\xff"}
)

// jsonEnd and cborEnd are how the encoders end an object: the writer holds
// them back and writes the trailer in their place.
const (
	jsonEnd = "}\n"
	cborEnd = "\xff"
)

// cborStart is how every CBOR object starts: the self-describe tag and the
// head of an indefinite-length map (the trailer goes before its break).
const cborStart = dictdb.BinaryMagic + "\xbf"

// trailerFor returns the trailer of the object whose first byte is c.
func trailerFor(c byte) *trailer {
	if c == dictdb.BinaryMagic[0] {
		return cborTrailer
	}
	return jsonTrailer
}

// ErrChecksum reports an object whose content does not match its checksum.
var ErrChecksum = errors.New("checksum mismatch")

// ChecksumWriter adds the checksum trailer to an object streamed through
// it, JSON or CBOR, which it tells apart by the first byte. A JSON object
// must end with "}\n", a CBOR one must be an indefinite-length map (after
// the self-describe tag); Close writes the trailer in place of that end.
type ChecksumWriter struct {
	w    io.Writer
	h    hash.Hash
	t    *trailer // nil until the first byte
	end  string   // jsonEnd or cborEnd
	head []byte   // the first bytes written, up to len(cborStart)
	hold []byte   // the last bytes written, held back until more come or Close
}

// NewChecksumWriter returns a ChecksumWriter writing to w.
func NewChecksumWriter(w io.Writer) *ChecksumWriter {
	return &ChecksumWriter{w: w, h: sha256.New(), hold: make([]byte, 0, len(jsonEnd))}
}

// Write passes p on, holding back the bytes that may be the end of the
// object.
func (c *ChecksumWriter) Write(p []byte) (int, error) {
	all := len(p)
	if all == 0 {
		return 0, nil
	}
	if c.t == nil {
		c.t, c.end = jsonTrailer, jsonEnd
		if trailerFor(p[0]) == cborTrailer {
			c.t, c.end = cborTrailer, cborEnd
		}
	}
	if n := len(cborStart) - len(c.head); n > 0 {
		c.head = append(c.head, p[:min(n, len(p))]...)
	}
	keep := len(c.end)
	if len(c.hold)+len(p) <= keep {
		c.hold = append(c.hold, p...)
		return all, nil
	}
	// Release the held bytes and all of p but its last keep bytes.
	if len(p) >= keep {
		if len(c.hold) > 0 {
			if err := c.emit(c.hold); err != nil {
				return 0, err
			}
			c.hold = c.hold[:0]
		}
		if err := c.emit(p[:len(p)-keep]); err != nil {
			return 0, err
		}
		c.hold = append(c.hold, p[len(p)-keep:]...)
		return all, nil
	}
	// p is shorter than keep: release as many held bytes as p adds.
	excess := len(c.hold) + len(p) - keep
	if err := c.emit(c.hold[:excess]); err != nil {
		return 0, err
	}
	c.hold = append(c.hold[:0], c.hold[excess:]...)
	c.hold = append(c.hold, p...)
	return all, nil
}

// WriteLent is Write without a copy of p when the next writer borrows
// buffers (see package lend): p is hashed here, then lent on, all of it
// but the last bytes, which are held back as Write holds them. release is
// called once nothing reads p any more.
func (c *ChecksumWriter) WriteLent(p []byte, release func()) error {
	if _, ok := c.w.(lend.Writer); !ok || c.t == nil || len(c.head) < len(cborStart) || len(p) <= 2*len(c.end) {
		_, err := c.Write(p) // nothing to gain, or the start of the object
		release()
		return err
	}
	if len(c.hold) > 0 {
		if err := c.emit(c.hold); err != nil {
			release()
			return err
		}
	}
	body := p[:len(p)-len(c.end)]
	c.hold = append(c.hold[:0], p[len(body):]...) // before p is lent: its owner may reuse it then
	c.h.Write(body)
	return lend.Write(c.w, body, release)
}

func (c *ChecksumWriter) emit(p []byte) error {
	if len(p) == 0 {
		return nil
	}
	c.h.Write(p)
	_, err := c.w.Write(p)
	return err
}

// Close writes the trailer. It does not close the underlying writer.
func (c *ChecksumWriter) Close() error {
	if c.t == cborTrailer {
		if string(c.head) != cborStart {
			return fmt.Errorf("object: checksum writer: a CBOR object must start with % x (self-describe tag, indefinite-length map)", cborStart)
		}
		if string(c.hold) != cborEnd {
			return fmt.Errorf("object: checksum writer: CBOR object does not end with a break (0xff)")
		}
	} else if string(c.hold) != jsonEnd {
		return fmt.Errorf("object: checksum writer: object does not end with %q", jsonEnd)
	}
	_, err := c.w.Write(c.t.encode(c.h.Sum(nil)))
	return err
}

// VerifyingReader passes an object through while checking the checksum
// trailer, if the object has one; it tells JSON from CBOR by the first
// byte. At the end of the object a mismatch is returned as an error
// (matching ErrChecksum) instead of io.EOF.
type VerifyingReader struct {
	r      io.Reader
	h      hash.Hash
	t      *trailer // nil until the first byte
	tl     int      // t.len()
	tail   []byte   // the last tl bytes read, not yet hashed
	done   bool
	found  bool
	n      int64
	result error
}

// NewVerifyingReader returns a VerifyingReader reading from r.
func NewVerifyingReader(r io.Reader) *VerifyingReader {
	return &VerifyingReader{r: r, h: sha256.New(), tail: make([]byte, 0, 2*jsonTrailer.len())}
}

// Read reads from the object.
func (v *VerifyingReader) Read(p []byte) (int, error) {
	if v.done {
		if v.result != nil {
			return 0, v.result
		}
		return 0, io.EOF
	}
	n, err := v.r.Read(p)
	if n > 0 {
		if v.t == nil {
			v.t = trailerFor(p[0])
			v.tl = v.t.len()
		}
		v.n += int64(n)
		if n >= v.tl { // hash all but the last tl bytes, no copy
			v.h.Write(v.tail)
			v.h.Write(p[:n-v.tl])
			v.tail = append(v.tail[:0], p[n-v.tl:n]...)
		} else {
			v.tail = append(v.tail, p[:n]...)
			if excess := len(v.tail) - v.tl; excess > 0 {
				v.h.Write(v.tail[:excess])
				v.tail = append(v.tail[:0], v.tail[excess:]...)
			}
		}
	}
	if err == io.EOF {
		v.done = true
		v.result = v.check()
		if v.result != nil {
			return n, v.result
		}
	}
	return n, err
}

func (v *VerifyingReader) check() error {
	t, tail := v.t, v.tail
	if t == nil || len(tail) < v.tl || !bytes.HasPrefix(tail, []byte(t.prefix)) || !bytes.HasSuffix(tail, []byte(t.suffix)) {
		return nil // no checksum trailer: a legacy object, or a truncated one the decoder rejects
	}
	want := t.digest(tail)
	got := hex.EncodeToString(v.h.Sum(nil))
	v.found = true
	if got != want {
		return fmt.Errorf("%w: content hashes to sha256:%s, the object says sha256:%s", ErrChecksum, got, want)
	}
	return nil
}

// Err returns the checksum mismatch found at the end of the object, if any.
func (v *VerifyingReader) Err() error { return v.result }

// Checked reports, once the whole object was read, whether it carried a
// checksum (which then matched, or Read returned the mismatch).
func (v *VerifyingReader) Checked() bool { return v.done && v.found }

// BytesRead returns the number of bytes read so far.
func (v *VerifyingReader) BytesRead() int64 { return v.n }
