package object

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
)

// The checksum is the last top-level field of every JSON object this
// project writes:
//
//	{...header..., "tables": {...}, "checksum": "sha256:<64 hex digits>"}
//
// It covers every byte before the trailer `, "checksum": ...`, so a writer
// computes it while streaming and a reader checks it while decoding, in
// one pass. The Python DictDB ignores the field.
const (
	checksumPrefix = `, "checksum": "sha256:`
	checksumSuffix = "\"}\n"
	trailerLen     = len(checksumPrefix) + sha256.Size*2 + len(checksumSuffix)
)

// ErrChecksum reports an object whose content does not match its checksum.
var ErrChecksum = errors.New("checksum mismatch")

// ChecksumWriter adds the checksum trailer to a JSON object streamed
// through it. The object must end with "}\n"; Close replaces that end with
// the trailer.
type ChecksumWriter struct {
	w    io.Writer
	h    hash.Hash
	hold []byte // the last bytes written, held back until more come or Close
}

// NewChecksumWriter returns a ChecksumWriter writing to w.
func NewChecksumWriter(w io.Writer) *ChecksumWriter {
	return &ChecksumWriter{w: w, h: sha256.New(), hold: make([]byte, 0, 2)}
}

// Write passes p on, holding back its last two bytes.
func (c *ChecksumWriter) Write(p []byte) (int, error) {
	all := len(p)
	if len(c.hold)+len(p) <= 2 {
		c.hold = append(c.hold, p...)
		return all, nil
	}
	// Release the held bytes and all of p but its last two.
	if len(c.hold) > 0 {
		if err := c.emit(c.hold); err != nil {
			return 0, err
		}
		c.hold = c.hold[:0]
	}
	if len(p) > 2 {
		if err := c.emit(p[:len(p)-2]); err != nil {
			return 0, err
		}
		p = p[len(p)-2:]
	}
	c.hold = append(c.hold, p...)
	return all, nil
}

func (c *ChecksumWriter) emit(p []byte) error {
	c.h.Write(p)
	_, err := c.w.Write(p)
	return err
}

// Close writes the trailer. It does not close the underlying writer.
func (c *ChecksumWriter) Close() error {
	if string(c.hold) != "}\n" {
		return fmt.Errorf("object: checksum writer: object does not end with %q", "}\n")
	}
	trailer := checksumPrefix + hex.EncodeToString(c.h.Sum(nil)) + checksumSuffix
	_, err := io.WriteString(c.w, trailer)
	return err
}

// VerifyingReader passes an object through while checking the checksum
// trailer, if the object has one. At the end of the object a mismatch is
// returned as an error (matching ErrChecksum) instead of io.EOF.
type VerifyingReader struct {
	r      io.Reader
	h      hash.Hash
	tail   []byte // the last trailerLen bytes read, not yet hashed
	done   bool
	found  bool
	n      int64
	result error
}

// NewVerifyingReader returns a VerifyingReader reading from r.
func NewVerifyingReader(r io.Reader) *VerifyingReader {
	return &VerifyingReader{r: r, h: sha256.New(), tail: make([]byte, 0, 2*trailerLen)}
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
		v.n += int64(n)
		if n >= trailerLen { // hash all but the last trailerLen bytes, no copy
			v.h.Write(v.tail)
			v.h.Write(p[:n-trailerLen])
			v.tail = append(v.tail[:0], p[n-trailerLen:n]...)
		} else {
			v.tail = append(v.tail, p[:n]...)
			if excess := len(v.tail) - trailerLen; excess > 0 {
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
	t := v.tail
	if len(t) < trailerLen || !bytes.HasPrefix(t, []byte(checksumPrefix)) || !bytes.HasSuffix(t, []byte(checksumSuffix)) {
		return nil // no checksum trailer: a legacy object, or a truncated one the decoder rejects
	}
	want := string(t[len(checksumPrefix) : len(checksumPrefix)+sha256.Size*2])
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
