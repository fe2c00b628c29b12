package catalog

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"time"

	"github.com/dictdb/dictdb-go/dictdb"
)

// FormatVersion is the version of the header this package writes.
const FormatVersion = 1

// Header is the metadata every object written by this project carries: a
// set of top-level fields of the object, before its tables, which the
// Python loader ignores (type, format_version, codec, compression,
// encryption, chain, writer, base, from_sequence, sequence and timestamp).
// Objects written by the Python DictDB have no chain; they are "legacy"
// objects, ordered by name only.
type Header struct {
	Kind    Kind          // Full or Delta
	Version int           // FormatVersion; 0 for legacy objects
	Codec   dictdb.Format // the format of the object
	// Compression and Encrypted say how the object's bytes are stored.
	// They are inside the object, so they confirm what its name says.
	Compression Compression
	Encrypted   bool
	Chain       string  // chain (generation) id; "" for legacy objects
	Writer      string  // id of the Manager that wrote the object; "" if unknown
	Base        string  // key of the full backup a delta builds on
	FromSeq     uint64  // a delta covers the sequence range (FromSeq, Seq]
	Seq         uint64  // the sequence number of the state after this object
	Timestamp   float64 // creation time, seconds since the epoch
}

// Encoding returns the storage encoding the header states.
func (h Header) Encoding() Encoding {
	return Encoding{Format: h.Codec, Compression: h.Compression, Encrypted: h.Encrypted}
}

// Legacy reports whether the object carries no chain information (written by
// the Python DictDB).
func (h Header) Legacy() bool { return h.Chain == "" }

// Micros returns the header's timestamp in microseconds, rounded.
func (h Header) Micros() int64 { return int64(math.Round(h.Timestamp * 1e6)) }

// Meta returns the header as top-level fields for writing. The codecs write
// "type" (deltas) and "sequence" (full backups) themselves.
func (h Header) Meta() dictdb.Meta {
	m := dictdb.Meta{
		"format_version": int64(FormatVersion),
		"codec":          string(h.Codec),
		"chain":          h.Chain,
		"timestamp":      h.Timestamp,
	}
	if h.Writer != "" {
		m["writer"] = h.Writer
	}
	if h.Compression != CompressionNone {
		m["compression"] = string(h.Compression)
	}
	if h.Encrypted {
		m["encryption"] = "age"
	}
	if h.Kind == Delta {
		m["base"] = h.Base
		m["from_sequence"] = int64(h.FromSeq)
		m["sequence"] = int64(h.Seq)
	} else {
		m["type"] = string(Full)
	}
	return m
}

// FromMeta reads the header from an object's top-level fields. Objects
// without a chain (Python-written) give a legacy header.
func FromMeta(kind Kind, m dictdb.Meta) (Header, error) {
	h := Header{Kind: kind}
	if t, ok := m["type"].(string); ok && t != string(kind) {
		return h, fmt.Errorf("header says type %q, the name says %q", t, kind)
	}
	if ts, ok := m["timestamp"].(float64); ok {
		h.Timestamp = ts
	} else if ts, ok := m["timestamp"].(int64); ok {
		h.Timestamp = float64(ts)
	}
	chain, hasChain := m["chain"]
	if !hasChain {
		if v, ok := m["format_version"]; ok {
			return h, fmt.Errorf("header has format_version %v but no chain", v)
		}
		return h, nil // legacy: written by the Python DictDB
	}
	var ok bool
	if h.Chain, ok = chain.(string); !ok || h.Chain == "" {
		return h, fmt.Errorf("header field chain must be a non-empty string")
	}
	v, ok := m["format_version"].(int64)
	if !ok {
		return h, fmt.Errorf("header field format_version is missing")
	}
	if v < 1 || v > FormatVersion {
		return h, fmt.Errorf("unsupported format_version %d (this build reads up to %d)", v, FormatVersion)
	}
	h.Version = int(v)
	if w, ok := m["writer"]; ok {
		if h.Writer, ok = w.(string); !ok || h.Writer == "" {
			return h, fmt.Errorf("header field writer must be a non-empty string")
		}
	}
	codec, _ := m["codec"].(string)
	h.Codec = dictdb.Format(codec)
	if err := h.Codec.Check(); err != nil {
		return h, err
	}
	if c, ok := m["compression"]; ok {
		cs, _ := c.(string)
		h.Compression = Compression(cs)
		if err := h.Compression.Check(); err != nil || h.Compression == CompressionNone {
			return h, fmt.Errorf("header field compression: unknown %v", c)
		}
	}
	if e, ok := m["encryption"]; ok {
		if e != "age" {
			return h, fmt.Errorf("header field encryption: unknown %v", e)
		}
		h.Encrypted = true
	}
	seq, ok := m["sequence"].(int64)
	if !ok || seq < 0 {
		return h, fmt.Errorf("header field sequence is missing or negative")
	}
	h.Seq = uint64(seq)
	if kind == Delta {
		from, ok := m["from_sequence"].(int64)
		if !ok || from < 0 || uint64(from) >= h.Seq {
			return h, fmt.Errorf("header field from_sequence is missing or not below sequence %d", h.Seq)
		}
		h.FromSeq = uint64(from)
		if h.Base, ok = m["base"].(string); !ok || h.Base == "" {
			return h, fmt.Errorf("header field base is missing")
		}
	}
	return h, nil
}

// CheckName checks that the header agrees with the object's name on how it
// is stored and when it was written (FromMeta checked the kind): an object
// copied under another name fails. Legacy objects carry no header: their
// names are all there is. The error matches ErrMismatch.
func (h Header) CheckName(n Name) error {
	if h.Legacy() {
		return nil
	}
	if h.Encoding() != n.Encoding {
		return fmt.Errorf("%w: header says %s, the name says %s", ErrMismatch, h.Encoding().Ext(), n.Ext())
	}
	if h.Micros() != n.Micros {
		return fmt.Errorf("%w: header says written at %s, the name says %s (a copy under another name?)", ErrMismatch,
			time.UnixMicro(h.Micros()).UTC().Format(time.RFC3339Nano), n.Time().Format(time.RFC3339Nano))
	}
	return nil
}

// NewID returns a random id, for chains and writers.
func NewID() string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b[:])
}

// Seconds converts microseconds to the float seconds of the "timestamp" field.
func Seconds(micros int64) float64 { return float64(micros) / 1e6 }

// Lineage is the note restore leaves on a database it rebuilt (see
// dictdb.DB.SetLineage): the chain, its full backup and the sequence number
// of the point restored, so that a manager can continue the chain.
func Lineage(chain, base string, seq uint64) string {
	return fmt.Sprintf("%s %s %d", chain, base, seq)
}

// ParseLineage parses a note made by Lineage.
func ParseLineage(s string) (chain, base string, seq uint64, ok bool) {
	if _, err := fmt.Sscanf(s, "%s %s %d", &chain, &base, &seq); err != nil || chain == "" {
		return "", "", 0, false
	}
	return chain, base, seq, true
}
