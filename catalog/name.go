package catalog

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dictdb/dictdb-go/dictdb"
)

// Kind is the kind of a backup object.
type Kind string

// The kinds of backup objects.
const (
	Full  Kind = "full"  // a full backup: the whole database
	Delta Kind = "delta" // a delta: the changes since the point before it
)

// Name prefixes.
const (
	FullPrefix  = "dictdb_backup_"
	DeltaPrefix = "dictdb_delta_"
	// CommonPrefix starts the name of every backup object.
	CommonPrefix = "dictdb_"
)

// Compression names how an object's bytes are compressed.
type Compression string

// The compressions. The empty string means none.
const (
	CompressionNone Compression = ""
	CompressionZstd Compression = "zstd" // Zstandard; names end in .zst
	CompressionGzip Compression = "gzip" // gzip; names end in .gz
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

// Name is a parsed object key.
//
// Names are the Python DictDB's: dictdb_backup_<sec>_<usec>.<ext> for full
// backups and dictdb_delta_<sec>_<usec>.<ext> for deltas, where
// <sec>_<usec> is the creation time in microseconds. A writer never gives
// two objects the same time, so ordering by time orders every object.
type Name struct {
	Key    string
	Kind   Kind
	Micros int64 // creation time, microseconds since the Unix epoch
	Encoding
}

// Time returns the creation time encoded in the name.
func (n Name) Time() time.Time { return time.UnixMicro(n.Micros).UTC() }

// Key returns the object key for kind, time (µs) and encoding.
func Key(kind Kind, micros int64, e Encoding) string {
	prefix := FullPrefix
	if kind == Delta {
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
		n.Kind, rest = Full, key[len(FullPrefix):]
	case strings.HasPrefix(key, DeltaPrefix):
		n.Kind, rest = Delta, key[len(DeltaPrefix):]
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

// less orders names by time, then key: the order of every object.
func less(a, b Name) bool {
	if a.Micros != b.Micros {
		return a.Micros < b.Micros
	}
	return a.Key < b.Key
}

// Sort orders names by time, then key.
func Sort(names []Name) {
	sort.Slice(names, func(i, j int) bool { return less(names[i], names[j]) })
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
