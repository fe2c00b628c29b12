package cborv

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"unicode/utf8"

	"github.com/dictdb/dictdb-go/internal/box"
	"github.com/dictdb/dictdb-go/internal/limits"
	"github.com/dictdb/dictdb-go/internal/readbuf"
)

const (
	defaultMaxDepth = limits.MaxDepth

	// maxScratch is the largest scratch buffer kept between strings.
	maxScratch = 1 << 20

	// maxStringLen bounds the declared length of a string.
	maxStringLen = math.MaxInt32

	// maxArrayPrealloc and maxMapPrealloc bound the room reserved for the
	// elements of an array or map from its declared length: a hostile
	// length costs at most this much until the elements really come.
	maxArrayPrealloc = 256
	maxMapPrealloc   = 32
)

// frame is a container opened with BeginMap or BeginArray.
type frame struct {
	left  uint64 // entries or elements not yet started (definite length)
	indef bool   // indefinite length: ends with a break
	isMap bool
}

// A Decoder reads CBOR data items from an io.Reader through its own buffer.
// It reads in chunks of 64 KiB (less for small in-memory readers that report
// their Len) and holds at most the current chunk plus the item being
// decoded, never the whole input.
//
// Several top-level data items may follow each other in the input (a CBOR
// sequence, RFC 8742). After the last one, End checks that the input ends.
//
// Any error is sticky: after it every method returns the same error. The one
// exception is Peek at the top level at the end of the input, which a caller
// may use to detect the end of a sequence.
type Decoder struct {
	buf      []byte // buf[pos:] is read but not yet consumed
	pos      int
	src      readbuf.Source
	fail     error // sticky decoding error
	maxDepth int
	stack    []frame // containers opened with BeginMap/BeginArray
	outer    int     // containers around the input (see NewValueDecoder)
	scratch  []byte  // contents of indefinite-length strings
	keys     readbuf.KeyCache
	raw      []uint64   // RawMap's count of the items left on each level
	arena    *box.Arena // boxes the strings and numbers Value returns, if set
}

// NewDecoder returns a Decoder reading from r.
func NewDecoder(r io.Reader) *Decoder {
	return &Decoder{src: readbuf.NewSource(r), maxDepth: defaultMaxDepth}
}

// UseArena makes Value box the strings and numbers it decodes from a's
// slabs instead of allocating each (see package box); nil undoes it.
func (d *Decoder) UseArena(a *box.Arena) { d.arena = a }

// SetMaxDepth sets the maximum nesting depth of arrays and maps (counting
// those opened with BeginMap and BeginArray); deeper input is an error. The
// default is limits.MaxDepth (512), as in jsonv, the limit the encoder and
// the database keep to; n < 1 restores it.
func (d *Decoder) SetMaxDepth(n int) {
	if n < 1 {
		n = defaultMaxDepth
	}
	d.maxDepth = n
}

// Offset returns the number of input bytes consumed so far.
func (d *Decoder) Offset() int64 { return d.src.Offset(d.pos) }

// Value decodes the next complete data item: nil, bool, int64, float64,
// string, []any or map[string]any. Integers decode as int64 (outside int64
// is an error), floats of every width as float64. For maps, the last of
// duplicate keys wins. Arrays and maps are never nil.
func (d *Decoder) Value() (any, error) {
	if d.fail != nil {
		return nil, d.fail
	}
	v, err := d.value(d.depth(), true)
	if err != nil {
		d.fail = err
		return nil, err
	}
	return v, nil
}

// Skip consumes the next data item, checking that it is valid (the same
// input that Value accepts) without building it.
func (d *Decoder) Skip() error {
	if d.fail != nil {
		return d.fail
	}
	_, err := d.value(d.depth(), false)
	return d.check(err)
}

// String decodes the next data item, which must be a text string.
func (d *Decoder) String() (string, error) {
	if d.fail != nil {
		return "", d.fail
	}
	c, arg, n, err := d.head()
	if err != nil {
		return "", d.check(err)
	}
	if c>>5 != MajorText {
		return "", d.check(d.unexpected(c, "text string"))
	}
	d.pos += n
	b, err := d.str(c, arg)
	if err != nil {
		return "", d.check(err)
	}
	return string(b), nil
}

// Bytes decodes the next data item, which must be a byte string, and
// returns a copy of its contents. Byte strings are not part of the data
// model: Value rejects them.
func (d *Decoder) Bytes() ([]byte, error) {
	if d.fail != nil {
		return nil, d.fail
	}
	c, arg, n, err := d.head()
	if err != nil {
		return nil, d.check(err)
	}
	if c>>5 != MajorBytes {
		return nil, d.check(d.unexpected(c, "byte string"))
	}
	d.pos += n
	b, err := d.str(c, arg)
	if err != nil {
		return nil, d.check(err)
	}
	return append([]byte{}, b...), nil
}

// Peek returns the initial byte of the next data item without consuming it
// (its major type is Peek()>>5). At the end of the input the error wraps
// io.ErrUnexpectedEOF.
func (d *Decoder) Peek() (byte, error) {
	if d.fail != nil {
		return 0, d.fail
	}
	if !d.ensure(1) {
		err := d.eofErr()
		if len(d.stack) == 0 && errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, err // a clean end between top-level items
		}
		return 0, d.check(err)
	}
	return d.buf[d.pos], nil
}

// Null reports whether the next data item is null, consuming it if so.
// Otherwise it consumes nothing and returns false.
func (d *Decoder) Null() (bool, error) {
	if d.fail != nil {
		return false, d.fail
	}
	if !d.ensure(1) {
		return false, d.check(d.eofErr())
	}
	if d.buf[d.pos] != Null {
		return false, nil
	}
	d.pos++
	return true, nil
}

// SelfDescribe consumes the self-describe tag 55799 (the bytes D9 D9 F7) if
// it comes next, and reports whether it did. It is the only tag the decoder
// accepts, and only where the caller asks for it (at the start of a stream).
func (d *Decoder) SelfDescribe() (bool, error) {
	if d.fail != nil {
		return false, d.fail
	}
	d.ensure(len(SelfDescribe)) // a shorter input is not tagged
	if len(d.buf)-d.pos >= len(SelfDescribe) && string(d.buf[d.pos:d.pos+len(SelfDescribe)]) == SelfDescribe {
		d.pos += len(SelfDescribe)
		return true, nil
	}
	if err := d.src.Err(); err != nil && err != io.EOF {
		return false, d.check(d.eofErr())
	}
	return false, nil
}

// BeginMap consumes the head of the map (definite or indefinite length) that
// must come next. Then NextKey returns the keys of the map, each followed by
// a value to be consumed by the caller.
func (d *Decoder) BeginMap() error {
	return d.begin(MajorMap, "map")
}

// BeginArray consumes the head of the array (definite or indefinite length)
// that must come next. Then NextElem reports whether another element
// follows, to be consumed by the caller.
func (d *Decoder) BeginArray() error {
	return d.begin(MajorArray, "array")
}

func (d *Decoder) begin(major byte, what string) error {
	if d.fail != nil {
		return d.fail
	}
	c, arg, n, err := d.head()
	if err != nil {
		return d.check(err)
	}
	if c>>5 != major {
		return d.check(d.unexpected(c, what))
	}
	if d.depth() >= d.maxDepth {
		return d.check(d.depthErr())
	}
	d.pos += n
	d.stack = append(d.stack, frame{left: arg, indef: c&0x1f == 31, isMap: major == MajorMap})
	return nil
}

// more reports whether the innermost container has another entry (or
// element) and counts it; at its end it pops the container, consuming the
// break of an indefinite one.
func (d *Decoder) more(isMap bool, caller string) (bool, error) {
	n := len(d.stack)
	if n == 0 || d.stack[n-1].isMap != isMap {
		return false, fmt.Errorf("cborv: %s called outside a %s", caller, map[bool]string{true: "map", false: "array"}[isMap])
	}
	f := &d.stack[n-1]
	if f.indef {
		if !d.ensure(1) {
			return false, d.eofErr()
		}
		if d.buf[d.pos] == Break {
			d.pos++
			d.stack = d.stack[:n-1]
			return false, nil
		}
		return true, nil
	}
	if f.left == 0 {
		d.stack = d.stack[:n-1]
		return false, nil
	}
	f.left--
	return true, nil
}

// NextKey, inside a map opened with BeginMap, returns the next key, which
// must be a text string; the caller must then consume the value (with
// Value, Skip, String, BeginMap, ...). At the end of the map it returns
// ok == false.
func (d *Decoder) NextKey() (key string, ok bool, err error) {
	if d.fail != nil {
		return "", false, d.fail
	}
	if ok, err = d.more(true, "NextKey"); !ok || err != nil {
		return "", false, d.check(err)
	}
	if key, err = d.key(); err != nil {
		return "", false, d.check(err)
	}
	return key, true, nil
}

// NextElem, inside an array opened with BeginArray, reports whether another
// element follows, leaving the element for the caller to consume. At the end
// of the array it returns false.
func (d *Decoder) NextElem() (bool, error) {
	if d.fail != nil {
		return false, d.fail
	}
	ok, err := d.more(false, "NextElem")
	return ok, d.check(err)
}

// End checks that the input ends here and that no container opened with
// BeginMap or BeginArray is still open. It reads the input to its end.
func (d *Decoder) End() error {
	if d.fail != nil {
		return d.fail
	}
	if len(d.stack) > 0 {
		return d.check(fmt.Errorf("cborv: End called with %d unclosed maps or arrays", len(d.stack)))
	}
	for {
		if d.pos < len(d.buf) {
			return d.check(d.syntaxErr(d.pos, "trailing data after the top-level data item (initial byte 0x%02x)", d.buf[d.pos]))
		}
		if !d.fill() {
			if d.src.Err() == io.EOF {
				return nil
			}
			return d.check(d.eofErr())
		}
	}
}

// check records a non-nil err as the sticky error.
func (d *Decoder) check(err error) error {
	if err != nil {
		d.fail = err
	}
	return err
}

// ---- buffer management ----

// fill reads more input, keeping buf[pos:]. It reports whether any bytes
// were added; if not, d.src.Err says why (io.EOF at the end of the input).
// Indexes into buf must be recomputed relative to pos afterwards. It is
// not inlined, so that ensure, on the hot paths, is.
//
//go:noinline
func (d *Decoder) fill() bool {
	var ok bool
	d.buf, d.pos, ok = d.src.Fill(d.buf, d.pos)
	return ok
}

// ensure makes at least n bytes available at buf[pos:], reporting false if
// the input ends (or fails) first.
func (d *Decoder) ensure(n int) bool {
	for len(d.buf)-d.pos < n {
		if !d.fill() {
			return false
		}
	}
	return true
}

// eofErr returns the error for input that ended (or failed) where more was
// needed.
func (d *Decoder) eofErr() error {
	off := d.src.Offset(len(d.buf))
	if err := d.src.Err(); err != nil && err != io.EOF {
		return fmt.Errorf("cborv: offset %d: read error: %w", off, err)
	}
	return &SyntaxError{Offset: off, Msg: "unexpected end of input", err: io.ErrUnexpectedEOF}
}

func (d *Decoder) syntaxErr(i int, format string, args ...any) error {
	return &SyntaxError{Offset: d.src.Offset(i), Msg: fmt.Sprintf(format, args...)}
}

func (d *Decoder) depthErr() error {
	return d.syntaxErr(d.pos, "exceeded max depth %d", d.maxDepth)
}

// describe names the kind of data item that initial byte c starts.
func describe(c byte) string {
	switch c >> 5 {
	case MajorUint:
		return "unsigned integer"
	case MajorNegInt:
		return "negative integer"
	case MajorBytes:
		return "byte string"
	case MajorText:
		return "text string"
	case MajorArray:
		return "array"
	case MajorMap:
		return "map"
	case MajorTag:
		return "tag"
	}
	switch c {
	case False, True:
		return "bool"
	case Null:
		return "null"
	case Undefined:
		return "undefined"
	case Float16, Float32, Float64:
		return "float"
	case Break:
		return "break"
	}
	return "simple value"
}

// unexpected reports the data item starting with c where want was expected.
func (d *Decoder) unexpected(c byte, want string) error {
	return d.syntaxErr(d.pos, "expected %s, found %s (initial byte 0x%02x)", want, describe(c), c)
}

// ---- data items ----

// head decodes the head of the data item at buf[pos] without consuming it:
// its initial byte c, its argument arg (0 for an indefinite length, the raw
// bits of a float) and the length n of the head in bytes.
func (d *Decoder) head() (c byte, arg uint64, n int, err error) {
	if d.pos >= len(d.buf) && !d.ensure(1) {
		return 0, 0, 0, d.eofErr()
	}
	c = d.buf[d.pos]
	info := c & 0x1f
	switch {
	case info < 24:
		return c, uint64(info), 1, nil
	case info <= 27:
		n = 1 + 1<<(info-24)
		if !d.ensure(n) {
			return 0, 0, 0, d.eofErr()
		}
		b := d.buf[d.pos+1 : d.pos+n]
		switch info {
		case 24:
			arg = uint64(b[0])
		case 25:
			arg = uint64(binary.BigEndian.Uint16(b))
		case 26:
			arg = uint64(binary.BigEndian.Uint32(b))
		default:
			arg = binary.BigEndian.Uint64(b)
		}
		return c, arg, n, nil
	case info == 31:
		switch c >> 5 {
		case MajorBytes, MajorText, MajorArray, MajorMap, MajorSimple:
			return c, 0, 1, nil
		}
	}
	return 0, 0, 0, d.syntaxErr(d.pos, "malformed initial byte 0x%02x (reserved additional information)", c)
}

// value decodes (keep) or validates (!keep) the next data item; depth is
// the number of enclosing containers.
func (d *Decoder) value(depth int, keep bool) (any, error) {
	if d.pos < len(d.buf) {
		c := d.buf[d.pos]
		if c < 24 { // the commonest integers, no head to decode
			d.pos++
			return int64(c), nil
		}
		// Short text strings all in the buffer: no head to decode.
		if l := int(c) - int(MajorText)<<5; l >= 0 && l < 24 && d.pos+1+l <= len(d.buf) {
			b := d.buf[d.pos+1 : d.pos+1+l]
			if !validUTF8(b) {
				return nil, d.syntaxErr(d.pos, "invalid UTF-8 in text string")
			}
			d.pos += 1 + l
			if !keep {
				return nil, nil
			}
			if d.arena != nil {
				return d.arena.String(b), nil
			}
			return string(b), nil
		}
	}
	c, arg, n, err := d.head()
	if err != nil {
		return nil, err
	}
	switch c >> 5 {
	case MajorUint, MajorNegInt:
		if arg > math.MaxInt64 {
			if c>>5 == MajorUint {
				return nil, d.syntaxErr(d.pos, "integer %d overflows int64", arg)
			}
			return nil, d.syntaxErr(d.pos, "integer -1-%d overflows int64", arg)
		}
		d.pos += n
		i := ^int64(arg) // -1-arg
		if c>>5 == MajorUint {
			i = int64(arg)
		}
		switch {
		case !keep:
			return nil, nil // no boxing
		case d.arena != nil:
			return d.arena.Int(i), nil
		}
		return i, nil
	case MajorText:
		d.pos += n
		b, err := d.str(c, arg)
		if err != nil || !keep {
			return nil, err
		}
		if d.arena != nil {
			return d.arena.String(b), nil
		}
		return string(b), nil
	case MajorArray:
		d.pos += n
		return d.array(c, arg, depth+1, keep)
	case MajorMap:
		d.pos += n
		return d.mapValue(c, arg, depth+1, keep)
	case MajorBytes:
		return nil, d.syntaxErr(d.pos, "byte string not allowed here (not part of the data model)")
	case MajorTag:
		return nil, d.syntaxErr(d.pos, "tag %d not allowed", arg)
	}
	switch c {
	case False:
		d.pos++
		return false, nil
	case True:
		d.pos++
		return true, nil
	case Null:
		d.pos++
		return nil, nil
	case Float16, Float32, Float64:
		var f float64
		switch c {
		case Float16:
			f = halfToFloat(uint16(arg))
		case Float32:
			f = float64(math.Float32frombits(uint32(arg)))
		default:
			f = math.Float64frombits(arg)
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, d.syntaxErr(d.pos, "unsupported float value %v", f)
		}
		d.pos += n
		switch {
		case !keep:
			return nil, nil
		case d.arena != nil:
			return d.arena.Float(f), nil
		}
		return f, nil
	case Undefined:
		return nil, d.syntaxErr(d.pos, "undefined not allowed")
	case Break:
		return nil, d.syntaxErr(d.pos, "unexpected break")
	}
	if c&0x1f == 24 {
		return nil, d.syntaxErr(d.pos, "simple value %d not allowed", arg)
	}
	return nil, d.syntaxErr(d.pos, "simple value %d not allowed", c&0x1f)
}

// halfToFloat converts an IEEE 754 half-precision float (RFC 8949
// Appendix D).
func halfToFloat(h uint16) float64 {
	exp := int(h>>10) & 0x1f
	mant := float64(h & 0x3ff)
	var f float64
	switch exp {
	case 0:
		f = math.Ldexp(mant, -24)
	case 31:
		if mant == 0 {
			f = math.Inf(1)
		} else {
			f = math.NaN()
		}
	default:
		f = math.Ldexp(mant+1024, exp-25)
	}
	if h&0x8000 != 0 {
		return -f
	}
	return f
}

func (d *Decoder) array(c byte, arg uint64, depth int, keep bool) (any, error) {
	if depth > d.maxDepth {
		return nil, d.depthErr()
	}
	indef := c&0x1f == 31
	var a []any
	if keep {
		hint := uint64(len(d.buf) - d.pos) // every element takes a byte
		hint = min(hint, maxArrayPrealloc)
		if !indef {
			hint = min(hint, arg)
		}
		a = make([]any, 0, int(hint))
	}
	if indef {
		for {
			if !d.ensure(1) {
				return nil, d.eofErr()
			}
			if d.buf[d.pos] == Break {
				d.pos++
				return a, nil
			}
			v, err := d.value(depth, keep)
			if err != nil {
				return nil, err
			}
			if keep {
				a = append(a, v)
			}
		}
	}
	for range arg {
		v, err := d.value(depth, keep)
		if err != nil {
			return nil, err
		}
		if keep {
			a = append(a, v)
		}
	}
	return a, nil
}

func (d *Decoder) mapValue(c byte, arg uint64, depth int, keep bool) (any, error) {
	if depth > d.maxDepth {
		return nil, d.depthErr()
	}
	indef := c&0x1f == 31
	var m map[string]any
	if keep {
		hint := uint64(len(d.buf)-d.pos) / 2 // every entry takes two bytes
		hint = min(hint, maxMapPrealloc)
		if !indef {
			hint = min(hint, arg)
		}
		m = make(map[string]any, int(hint))
	}
	for i := uint64(0); indef || i < arg; i++ {
		if indef {
			if !d.ensure(1) {
				return nil, d.eofErr()
			}
			if d.buf[d.pos] == Break {
				d.pos++
				return m, nil
			}
		}
		var key string
		var err error
		if keep {
			key, err = d.key()
		} else {
			err = d.skipKey()
		}
		if err != nil {
			return nil, err
		}
		v, err := d.value(depth, keep)
		if err != nil {
			return nil, err
		}
		if keep {
			m[key] = v
		}
	}
	return m, nil
}

// skipKey validates a map key without building it.
func (d *Decoder) skipKey() error {
	if d.pos < len(d.buf) {
		c := d.buf[d.pos]
		if l := int(c) - int(MajorText)<<5; l >= 0 && l < 24 && d.pos+1+l <= len(d.buf) {
			if !validUTF8(d.buf[d.pos+1 : d.pos+1+l]) {
				return d.syntaxErr(d.pos, "invalid UTF-8 in text string")
			}
			d.pos += 1 + l
			return nil
		}
	}
	c, arg, n, err := d.head()
	if err != nil {
		return err
	}
	if c>>5 != MajorText {
		return d.syntaxErr(d.pos, "map key must be a text string, found %s (initial byte 0x%02x)", describe(c), c)
	}
	d.pos += n
	_, err = d.str(c, arg)
	return err
}

// key decodes a map key, which must be a text string, reusing the string of
// an earlier identical key when it is in the cache: records of one table
// repeat the same keys millions of times.
func (d *Decoder) key() (string, error) {
	var b []byte
	if d.pos < len(d.buf) {
		c := d.buf[d.pos]
		if l := int(c) - int(MajorText)<<5; l >= 0 && l < 24 && d.pos+1+l <= len(d.buf) {
			// Short key, all in the buffer: the common case.
			b = d.buf[d.pos+1 : d.pos+1+l]
			if !validUTF8(b) {
				return "", d.syntaxErr(d.pos, "invalid UTF-8 in text string")
			}
			d.pos += 1 + l
		}
	}
	if b == nil {
		c, arg, n, err := d.head()
		if err != nil {
			return "", err
		}
		if c>>5 != MajorText {
			return "", d.syntaxErr(d.pos, "map key must be a text string, found %s (initial byte 0x%02x)", describe(c), c)
		}
		d.pos += n
		if b, err = d.str(c, arg); err != nil {
			return "", err
		}
	}
	return d.keys.String(b), nil
}

// validUTF8 is utf8.Valid with a cheaper path for short ASCII strings,
// the common case of keys and values.
func validUTF8(b []byte) bool {
	if len(b) < 24 {
		var or byte
		for _, c := range b {
			or |= c
		}
		if or < utf8.RuneSelf {
			return true
		}
	}
	return utf8.Valid(b)
}

// str reads the contents of the text or byte string whose head (initial
// byte c, argument arg) was just consumed. The contents stay valid only
// until the next read from the Decoder. Text must be valid UTF-8.
func (d *Decoder) str(c byte, arg uint64) ([]byte, error) {
	text := c>>5 == MajorText
	if c&0x1f != 31 {
		start := d.Offset() // buf may move as the chunk is read
		if c&0x1f < 24 {
			// A one-byte head: the error names it, as the fast paths of
			// value and key do for a string all in the buffer, so that
			// the offset does not depend on where the buffer ends.
			start--
		}
		b, err := d.chunk(arg)
		if err == nil && text && !validUTF8(b) {
			return nil, &SyntaxError{Offset: start, Msg: "invalid UTF-8 in text string"}
		}
		return b, err
	}
	// Indefinite length: definite-length chunks of the same major type,
	// each valid UTF-8 on its own (RFC 8949 §3.2.3), then a break.
	b := d.scratch[:0]
	for {
		cc, carg, n, err := d.head()
		if err != nil {
			return nil, err
		}
		if cc == Break {
			d.pos++
			break
		}
		if cc>>5 != c>>5 || cc&0x1f == 31 {
			return nil, d.syntaxErr(d.pos, "invalid chunk (initial byte 0x%02x) in an indefinite-length %s", cc, describe(c))
		}
		d.pos += n
		start := d.Offset()
		part, err := d.chunk(carg)
		if err != nil {
			return nil, err
		}
		if text && !validUTF8(part) {
			return nil, &SyntaxError{Offset: start, Msg: "invalid UTF-8 in text string"}
		}
		if uint64(len(b))+uint64(len(part)) > maxStringLen {
			return nil, &SyntaxError{Offset: start, Msg: fmt.Sprintf("string longer than %d bytes", maxStringLen)}
		}
		b = append(b, part...)
	}
	if cap(b) <= maxScratch {
		d.scratch = b
	} else {
		d.scratch = nil
	}
	return b, nil
}

// chunk consumes and returns the next n bytes.
func (d *Decoder) chunk(n uint64) ([]byte, error) {
	if n > maxStringLen {
		return nil, d.syntaxErr(d.pos, "string length %d exceeds the limit of %d bytes", n, maxStringLen)
	}
	l := int(n)
	if !d.ensure(l) {
		return nil, d.eofErr()
	}
	b := d.buf[d.pos : d.pos+l : d.pos+l]
	d.pos += l
	return b, nil
}
