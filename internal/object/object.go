// Package object holds what backup and restore share about stored backup
// objects: their names and their headers.
//
// Names are the Python DictDB's: dictdb_backup_<sec>_<usec>.<ext> for full
// backups and dictdb_delta_<sec>_<usec>.<ext> for deltas, where <sec>_<usec>
// is the creation time in microseconds. A writer never gives two objects the
// same time, so ordering by time orders every object.
//
// The header is a set of top-level fields of the object (the Python loader
// ignores them): type, format_version, codec, chain, base, from_sequence,
// sequence and timestamp. Objects written by the Python DictDB have no chain;
// they are "legacy" objects, ordered by name only.
package object

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dictdb/dictdb-go/dictdb"
)

// Kinds of backup objects.
const (
	KindFull  = "full"
	KindDelta = "delta"
)

// Name prefixes.
const (
	FullPrefix  = "dictdb_backup_"
	DeltaPrefix = "dictdb_delta_"
	// CommonPrefix starts the name of every backup object.
	CommonPrefix = "dictdb_"
)

// FormatVersion is the version of the header this package writes.
const FormatVersion = 1

// Name is a parsed object key.
type Name struct {
	Key    string
	Kind   string
	Micros int64 // creation time, microseconds since the Unix epoch
	Encoding
}

// Time returns the creation time encoded in the name.
func (n Name) Time() time.Time { return time.UnixMicro(n.Micros).UTC() }

// Key returns the object key for kind, time (µs) and encoding.
func Key(kind string, micros int64, e Encoding) string {
	prefix := FullPrefix
	if kind == KindDelta {
		prefix = DeltaPrefix
	}
	return fmt.Sprintf("%s%d_%06d%s", prefix, micros/1e6, micros%1e6, e.Ext())
}

// Parse parses a key made by Key (or by the Python DictDB). ok is false for
// keys that are not backup objects.
func Parse(key string) (n Name, ok bool) {
	var rest string
	switch {
	case strings.HasPrefix(key, FullPrefix):
		n.Kind, rest = KindFull, key[len(FullPrefix):]
	case strings.HasPrefix(key, DeltaPrefix):
		n.Kind, rest = KindDelta, key[len(DeltaPrefix):]
	default:
		return Name{}, false
	}
	dot := strings.IndexByte(rest, '.')
	if dot < 0 {
		return Name{}, false
	}
	stamp, ext := rest[:dot], rest[dot+1:]
	secStr, usecStr, found := strings.Cut(stamp, "_")
	if !found || len(usecStr) != 6 {
		return Name{}, false
	}
	sec, err1 := strconv.ParseInt(secStr, 10, 64)
	usec, err2 := strconv.ParseInt(usecStr, 10, 64)
	if err1 != nil || err2 != nil || sec < 0 || usec < 0 || sec > math.MaxInt64/1000000-1 {
		return Name{}, false
	}
	enc, ok := parseExt(ext)
	if !ok {
		return Name{}, false
	}
	n.Key, n.Micros, n.Encoding = key, sec*1e6+usec, enc
	return n, true
}

// Sort orders names by time, then key.
func Sort(names []Name) {
	sort.Slice(names, func(i, j int) bool {
		if names[i].Micros != names[j].Micros {
			return names[i].Micros < names[j].Micros
		}
		return names[i].Key < names[j].Key
	})
}

// Clock hands out strictly increasing microsecond timestamps, never below
// the wall clock and never equal to a previous one (nor to one passed to
// Observe), so names stay unique and ordered even within one microsecond or
// when the wall clock steps back.
type Clock struct {
	mu   sync.Mutex
	last int64
	Now  func() time.Time // nil: time.Now
}

// Observe makes every later Next exceed micros.
func (c *Clock) Observe(micros int64) {
	c.mu.Lock()
	if micros > c.last {
		c.last = micros
	}
	c.mu.Unlock()
}

// Next returns the next timestamp in microseconds.
func (c *Clock) Next() int64 {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	t := now().UnixMicro()
	c.mu.Lock()
	defer c.mu.Unlock()
	if t <= c.last {
		t = c.last + 1
	}
	c.last = t
	return t
}

// Header is the metadata every object written by this project carries.
type Header struct {
	Kind    string        // KindFull or KindDelta
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
	if h.Kind == KindDelta {
		m["base"] = h.Base
		m["from_sequence"] = int64(h.FromSeq)
		m["sequence"] = int64(h.Seq)
	} else {
		m["type"] = KindFull
	}
	return m
}

// FromMeta reads the header from an object's top-level fields. Objects
// without a chain (Python-written) give a legacy header.
func FromMeta(kind string, m dictdb.Meta) (Header, error) {
	h := Header{Kind: kind}
	if t, ok := m["type"].(string); ok && t != kind {
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
	if kind == KindDelta {
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

// Micros returns the header's timestamp in microseconds, rounded.
func (h Header) Micros() int64 { return int64(math.Round(h.Timestamp * 1e6)) }

// NewChainID returns a random chain id. Writer ids are made the same way.
func NewChainID() string {
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
