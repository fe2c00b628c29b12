package jsonv

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/dictdb/dictdb-go/internal/box"
	"github.com/dictdb/dictdb-go/internal/limits"
	"github.com/dictdb/dictdb-go/internal/readbuf"
)

const (
	defaultBufSize  = readbuf.ChunkSize
	defaultMaxDepth = limits.MaxDepth

	// maxScratch is the largest scratch buffer kept between strings.
	maxScratch = 1 << 20
)

// States of the containers opened with BeginObject and BeginArray.
const (
	stObjFirst byte = iota // no key returned yet
	stObj                  // at least one key returned: a ',' or '}' follows its value
	stArrFirst             // no element returned yet
	stArr                  // at least one element returned
)

// A Decoder reads JSON values from an io.Reader through its own buffer. It
// reads in chunks of 64 KiB (less for small in-memory readers that report
// their Len) and holds at most the current chunk plus the token being
// decoded, never the whole input.
//
// Several top-level values may follow each other in the input, separated by
// optional whitespace (as in JSON Lines). After the last one, End checks
// that nothing but whitespace remains.
//
// Any error is sticky: after it every method returns the same error. The one
// exception is Peek at the top level at the end of the input, which a caller
// may use to detect the end of a stream of values.
type Decoder struct {
	buf      []byte // buf[pos:] is read but not yet consumed
	pos      int
	src      readbuf.Source
	fail     error // sticky decoding error
	maxDepth int
	stack    []byte // containers opened with BeginObject/BeginArray
	outer    int    // containers around the input (see NewValueDecoder)
	scratch  []byte // unescaped string contents
	keys     readbuf.KeyCache
	arena    *box.Arena // boxes the strings and numbers Value returns, if set
}

// NewDecoder returns a Decoder reading from r.
func NewDecoder(r io.Reader) *Decoder {
	return &Decoder{src: readbuf.NewSource(r), maxDepth: defaultMaxDepth}
}

// UseArena makes Value box the strings and numbers it decodes from a's
// slabs instead of allocating each (see package box); nil undoes it.
func (d *Decoder) UseArena(a *box.Arena) { d.arena = a }

// SetMaxDepth sets the maximum nesting depth of arrays and objects (counting
// those opened with BeginObject and BeginArray); deeper input is an error.
// The default is limits.MaxDepth (512), the limit the encoder and the
// database keep to; n < 1 restores it.
func (d *Decoder) SetMaxDepth(n int) {
	if n < 1 {
		n = defaultMaxDepth
	}
	d.maxDepth = n
}

// Offset returns the number of input bytes consumed so far.
func (d *Decoder) Offset() int64 { return d.src.Offset(d.pos) }

// Value decodes the next complete value: nil, bool, int64, float64, string,
// []any or map[string]any. Number literals without '.', 'e' or 'E' decode as
// int64 (overflow is an error), all others as float64. For objects, the last
// of duplicate keys wins. Arrays are never nil.
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

// Skip consumes the next value, checking that it is valid (the same input
// that Value accepts) without building it.
func (d *Decoder) Skip() error {
	if d.fail != nil {
		return d.fail
	}
	_, err := d.value(d.depth(), false)
	return d.check(err)
}

// String decodes the next value, which must be a string.
func (d *Decoder) String() (string, error) {
	if d.fail != nil {
		return "", d.fail
	}
	c, err := d.skipWS()
	if err != nil {
		return "", d.check(err)
	}
	if c != '"' {
		return "", d.check(d.badChar(d.pos, c, "looking for beginning of string"))
	}
	b, err := d.stringBytes()
	if err != nil {
		return "", d.check(err)
	}
	return string(b), nil
}

// Peek returns the next byte that is not whitespace without consuming it.
// At the end of the input the error wraps io.ErrUnexpectedEOF.
func (d *Decoder) Peek() (byte, error) {
	if d.fail != nil {
		return 0, d.fail
	}
	c, err := d.skipWS()
	if err != nil {
		if len(d.stack) == 0 && errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, err // a clean end between top-level values
		}
		return 0, d.check(err)
	}
	return c, nil
}

// Null reports whether the next value is the literal null, consuming it if
// so. Otherwise it consumes nothing (but whitespace) and returns false.
func (d *Decoder) Null() (bool, error) {
	if d.fail != nil {
		return false, d.fail
	}
	c, err := d.skipWS()
	if err != nil {
		return false, d.check(err)
	}
	if c != 'n' {
		return false, nil
	}
	if err := d.literal("null"); err != nil {
		return false, d.check(err)
	}
	return true, nil
}

// BeginObject consumes the '{' that must come next. Then NextKey returns the
// keys of the object, each followed by a value to be consumed by the caller.
func (d *Decoder) BeginObject() error {
	return d.begin('{', stObjFirst, "looking for beginning of object")
}

// BeginArray consumes the '[' that must come next. Then NextElem reports
// whether another element follows, to be consumed by the caller.
func (d *Decoder) BeginArray() error {
	return d.begin('[', stArrFirst, "looking for beginning of array")
}

func (d *Decoder) begin(open, state byte, context string) error {
	if d.fail != nil {
		return d.fail
	}
	c, err := d.skipWS()
	if err != nil {
		return d.check(err)
	}
	if c != open {
		return d.check(d.badChar(d.pos, c, context))
	}
	if d.depth() >= d.maxDepth {
		return d.check(d.depthErr())
	}
	d.pos++
	d.stack = append(d.stack, state)
	return nil
}

// NextKey, inside an object opened with BeginObject, returns the next key
// and consumes the ':' after it; the caller must then consume the value
// (with Value, Skip, String, BeginObject, ...). At the end of the object it
// consumes the '}' and returns ok == false.
func (d *Decoder) NextKey() (key string, ok bool, err error) {
	if d.fail != nil {
		return "", false, d.fail
	}
	n := len(d.stack)
	if n == 0 || d.stack[n-1] > stObj {
		return "", false, d.check(errors.New("jsonv: NextKey called outside an object"))
	}
	c, err := d.skipWS()
	if err != nil {
		return "", false, d.check(err)
	}
	if c == '}' {
		d.pos++
		d.stack = d.stack[:n-1]
		return "", false, nil
	}
	if d.stack[n-1] == stObj {
		if c != ',' {
			return "", false, d.check(d.badChar(d.pos, c, "after object key:value pair"))
		}
		d.pos++
		if c, err = d.skipWS(); err != nil {
			return "", false, d.check(err)
		}
	}
	if c != '"' {
		return "", false, d.check(d.badChar(d.pos, c, "looking for beginning of object key string"))
	}
	if key, err = d.key(); err != nil {
		return "", false, d.check(err)
	}
	if err = d.colon(); err != nil {
		return "", false, d.check(err)
	}
	d.stack[n-1] = stObj
	return key, true, nil
}

// NextElem, inside an array opened with BeginArray, reports whether another
// element follows (consuming the ',' before it), leaving the element for the
// caller to consume. At the end of the array it consumes the ']' and
// returns false.
func (d *Decoder) NextElem() (bool, error) {
	if d.fail != nil {
		return false, d.fail
	}
	n := len(d.stack)
	if n == 0 || d.stack[n-1] < stArrFirst {
		return false, d.check(errors.New("jsonv: NextElem called outside an array"))
	}
	c, err := d.skipWS()
	if err != nil {
		return false, d.check(err)
	}
	if c == ']' {
		d.pos++
		d.stack = d.stack[:n-1]
		return false, nil
	}
	if d.stack[n-1] == stArr {
		if c != ',' {
			return false, d.check(d.badChar(d.pos, c, "after array element"))
		}
		d.pos++
		if c, err = d.skipWS(); err != nil {
			return false, d.check(err)
		}
	}
	if c == ']' || c == ',' {
		return false, d.check(d.badChar(d.pos, c, valueContext))
	}
	d.stack[n-1] = stArr
	return true, nil
}

// End checks that only whitespace remains until the end of the input and
// that no container opened with BeginObject or BeginArray is still open.
func (d *Decoder) End() error {
	if d.fail != nil {
		return d.fail
	}
	if len(d.stack) > 0 {
		return d.check(fmt.Errorf("jsonv: End called with %d unclosed objects or arrays", len(d.stack)))
	}
	for {
		for ; d.pos < len(d.buf); d.pos++ {
			if c := d.buf[d.pos]; !isSpace(c) {
				return d.check(d.badChar(d.pos, c, "after top-level value (trailing data)"))
			}
		}
		if !d.more() {
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

// more reads more input, keeping buf[pos:]. It reports whether any bytes
// were added; if not, d.src.Err says why (io.EOF at the end of the input).
// Indexes into buf must be recomputed relative to pos afterwards. It is
// not inlined, so that ensure, on the hot paths, is.
//
//go:noinline
func (d *Decoder) more() bool {
	var ok bool
	d.buf, d.pos, ok = d.src.Fill(d.buf, d.pos)
	return ok
}

// ensure makes at least n bytes available at buf[pos:], reporting false if
// the input ends (or fails) first.
func (d *Decoder) ensure(n int) bool {
	for len(d.buf)-d.pos < n {
		if !d.more() {
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
		return fmt.Errorf("jsonv: offset %d: read error: %w", off, err)
	}
	return &SyntaxError{Offset: off, Msg: "unexpected end of input", err: io.ErrUnexpectedEOF}
}

func (d *Decoder) syntaxErr(i int, format string, args ...any) error {
	return &SyntaxError{Offset: d.src.Offset(i), Msg: fmt.Sprintf(format, args...)}
}

// badChar reports the unexpected byte c at buf[i].
func (d *Decoder) badChar(i int, c byte, context string) error {
	if (c == 'N' || c == 'I') && (context == valueContext || context == numberContext) {
		context += " (NaN and Infinity are not valid JSON)"
	}
	return d.syntaxErr(i, "invalid character %s %s", quoteChar(c), context)
}

const (
	valueContext  = "looking for beginning of value"
	numberContext = "in numeric literal"
)

func (d *Decoder) depthErr() error {
	return d.syntaxErr(d.pos, "exceeded max depth %d", d.maxDepth)
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t'
}

// peekByte returns buf[pos], or 0 if the buffer is exhausted. It is the
// inlined fast path of skipWS: callers call skipWS only if the byte is not
// above ' ' (whitespace, a control character or the end of the buffer).
func (d *Decoder) peekByte() byte {
	if d.pos < len(d.buf) {
		return d.buf[d.pos]
	}
	return 0
}

// skipWS consumes whitespace and returns the next byte, not consuming it.
func (d *Decoder) skipWS() (byte, error) {
	for {
		buf := d.buf
		for i := d.pos; i < len(buf); i++ {
			c := buf[i]
			if c > ' ' || !isSpace(c) {
				d.pos = i
				return c, nil
			}
		}
		d.pos = len(buf)
		if !d.more() {
			return 0, d.eofErr()
		}
	}
}

// ---- values ----

// value decodes (keep) or validates (!keep) the next value; depth is the
// number of enclosing containers.
func (d *Decoder) value(depth int, keep bool) (any, error) {
	var err error
	c := d.peekByte()
	if c <= ' ' {
		if c, err = d.skipWS(); err != nil {
			return nil, err
		}
	}
	switch c {
	case '"':
		b, err := d.stringBytes()
		if err != nil || !keep {
			return nil, err
		}
		if d.arena != nil {
			return d.arena.String(b), nil
		}
		return string(b), nil
	case '{':
		return d.object(depth+1, keep)
	case '[':
		return d.array(depth+1, keep)
	case 't':
		return true, d.literal("true")
	case 'f':
		return false, d.literal("false")
	case 'n':
		return nil, d.literal("null")
	}
	if c == '-' || c-'0' <= 9 {
		i, f, isFloat, err := d.number()
		if err != nil || !keep {
			return nil, err
		}
		switch {
		case d.arena == nil && isFloat:
			return f, nil
		case d.arena == nil:
			return i, nil
		case isFloat:
			return d.arena.Float(f), nil
		}
		return d.arena.Int(i), nil
	}
	return nil, d.badChar(d.pos, c, valueContext)
}

func (d *Decoder) object(depth int, keep bool) (any, error) {
	if depth > d.maxDepth {
		return nil, d.depthErr()
	}
	d.pos++ // '{'
	var m map[string]any
	if keep {
		m = make(map[string]any)
	}
	var err error
	c := d.peekByte()
	if c <= ' ' {
		if c, err = d.skipWS(); err != nil {
			return nil, err
		}
	}
	if c == '}' {
		d.pos++
		return m, nil
	}
	for {
		if c != '"' {
			return nil, d.badChar(d.pos, c, "looking for beginning of object key string")
		}
		var key string
		if keep {
			key, err = d.key()
		} else {
			_, err = d.stringBytes()
		}
		if err != nil {
			return nil, err
		}
		if d.peekByte() == ':' {
			d.pos++
		} else if err = d.colon(); err != nil {
			return nil, err
		}
		v, err := d.value(depth, keep)
		if err != nil {
			return nil, err
		}
		if keep {
			m[key] = v
		}
		if c = d.peekByte(); c <= ' ' {
			if c, err = d.skipWS(); err != nil {
				return nil, err
			}
		}
		switch c {
		case ',':
			d.pos++
			if c = d.peekByte(); c <= ' ' {
				if c, err = d.skipWS(); err != nil {
					return nil, err
				}
			}
		case '}':
			d.pos++
			return m, nil
		default:
			return nil, d.badChar(d.pos, c, "after object key:value pair")
		}
	}
}

func (d *Decoder) array(depth int, keep bool) (any, error) {
	if depth > d.maxDepth {
		return nil, d.depthErr()
	}
	d.pos++ // '['
	var a []any
	if keep {
		a = make([]any, 0)
	}
	var err error
	c := d.peekByte()
	if c <= ' ' {
		if c, err = d.skipWS(); err != nil {
			return nil, err
		}
	}
	if c == ']' {
		d.pos++
		return a, nil
	}
	for {
		v, err := d.value(depth, keep)
		if err != nil {
			return nil, err
		}
		if keep {
			a = append(a, v)
		}
		if c = d.peekByte(); c <= ' ' {
			if c, err = d.skipWS(); err != nil {
				return nil, err
			}
		}
		switch c {
		case ',':
			d.pos++
		case ']':
			d.pos++
			return a, nil
		default:
			return nil, d.badChar(d.pos, c, "after array element")
		}
	}
}

// colon consumes the ':' after an object key.
func (d *Decoder) colon() error {
	c, err := d.skipWS()
	if err != nil {
		return err
	}
	if c != ':' {
		return d.badChar(d.pos, c, "after object key")
	}
	d.pos++
	return nil
}

// literal consumes lit ("true", "false" or "null"), whose first byte is at
// buf[pos].
func (d *Decoder) literal(lit string) error {
	if !d.ensure(len(lit)) {
		avail := d.buf[d.pos:]
		for k := range avail {
			if avail[k] != lit[k] {
				return d.badChar(d.pos+k, avail[k], "in literal "+lit)
			}
		}
		return d.eofErr()
	}
	for k := 1; k < len(lit); k++ {
		if c := d.buf[d.pos+k]; c != lit[k] {
			return d.badChar(d.pos+k, c, "in literal "+lit)
		}
	}
	d.pos += len(lit)
	return nil
}

// ---- strings ----

// key decodes an object key (buf[pos] is '"'), reusing the string of an
// earlier identical key when it is in the cache: records of one collection
// repeat the same keys millions of times.
func (d *Decoder) key() (string, error) {
	b, err := d.stringBytes()
	if err != nil {
		return "", err
	}
	return d.keys.String(b), nil
}

// stringBytes decodes the string starting at buf[pos] (a '"') and returns
// its contents, which stay valid only until the next read from the Decoder.
// Strings without escapes or invalid UTF-8 are returned as a slice of the
// buffer; others are unescaped into d.scratch.
func (d *Decoder) stringBytes() ([]byte, error) {
	i := d.pos + 1
	var seen uint64 // OR of the bytes scanned: bit 7 set if any is non-ASCII
	for {
		j, or := scanString(d.buf, i)
		seen |= or
		if j == len(d.buf) {
			rel := j - d.pos
			if !d.more() {
				return nil, d.eofErr()
			}
			i = d.pos + rel
			continue
		}
		nonASCII := seen&msb != 0
		if d.buf[j] == '"' {
			s := d.buf[d.pos+1 : j]
			if nonASCII && !utf8.Valid(s) {
				return d.stringSlow(1)
			}
			d.pos = j + 1
			return s, nil
		}
		// A '\\' or a control character.
		if nonASCII {
			return d.stringSlow(1) // the slow path checks the UTF-8
		}
		return d.stringSlow(j - d.pos)
	}
}

// scanString returns the index in buf of the first '"', '\\' or control
// character at or after i (len(buf) if none), and the OR of the bytes before
// it.
func scanString(buf []byte, i int) (int, uint64) {
	var seen uint64
	for ; i+8 <= len(buf); i += 8 {
		w := binary.LittleEndian.Uint64(buf[i:])
		if m := stringEndMask(w); m != 0 {
			n := bits.TrailingZeros64(m) >> 3
			return i + n, seen | w&(1<<(8*n)-1)
		}
		seen |= w
	}
	for ; i < len(buf); i++ {
		c := buf[i]
		if c == '"' || c == '\\' || c < 0x20 {
			return i, seen
		}
		seen |= uint64(c)
	}
	return i, seen
}

// stringEndMask is like specialMask but marks only '"', '\\' and control
// characters, not non-ASCII bytes; the first marked byte is again exact.
func stringEndMask(w uint64) uint64 {
	q := w ^ lsb*'"'
	b := w ^ lsb*'\\'
	return ((w-lsb*0x20)&^w | (q-lsb)&^q | (b-lsb)&^b) & msb
}

// stringSlow continues decoding the string starting at buf[pos] whose first
// rel-1 content bytes (from buf[pos+1]) need no processing.
func (d *Decoder) stringSlow(rel int) ([]byte, error) {
	b := append(d.scratch[:0], d.buf[d.pos+1:d.pos+rel]...)
	d.pos += rel // consumed up to here; the rest goes through b
	for {
		if d.pos >= len(d.buf) && !d.more() {
			return nil, d.eofErr()
		}
		c := d.buf[d.pos]
		switch {
		case strSafe[c]:
			j := d.pos + 1
			for j < len(d.buf) && strSafe[d.buf[j]] {
				j++
			}
			b = append(b, d.buf[d.pos:j]...)
			d.pos = j
		case c == '"':
			d.pos++
			if cap(b) <= maxScratch {
				d.scratch = b
			} else {
				d.scratch = nil
			}
			return b, nil
		case c == '\\':
			if !d.ensure(2) {
				return nil, d.eofErr()
			}
			switch e := d.buf[d.pos+1]; e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r, err := d.hexEscape()
				if err != nil {
					return nil, err
				}
				d.pos += 6
				if utf16.IsSurrogate(r) {
					// Combine with a following \uDC00-\uDFFF escape, as
					// encoding/json does; a lone surrogate becomes U+FFFD.
					r2 := rune(-1)
					if d.ensure(6) && d.buf[d.pos] == '\\' && d.buf[d.pos+1] == 'u' {
						r2 = hex4(d.buf[d.pos+2 : d.pos+6])
					}
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						d.pos += 6
						r = dec
					} else {
						r = utf8.RuneError
					}
				}
				b = utf8.AppendRune(b, r)
				continue
			default:
				return nil, d.badChar(d.pos+1, e, "in string escape code")
			}
			d.pos += 2
		case c < 0x20:
			return nil, d.badChar(d.pos, c, "in string literal")
		default: // non-ASCII
			if !utf8.FullRune(d.buf[d.pos:]) {
				d.ensure(utf8.UTFMax) // at the end of input, decode what there is
			}
			r, size := utf8.DecodeRune(d.buf[d.pos:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, "\uFFFD"...)
			} else {
				b = append(b, d.buf[d.pos:d.pos+size]...)
			}
			d.pos += size
		}
	}
}

// hexEscape decodes the \uXXXX escape at buf[pos].
func (d *Decoder) hexEscape() (rune, error) {
	ok := d.ensure(6)
	end := min(d.pos+6, len(d.buf))
	for k := d.pos + 2; k < end; k++ {
		if c := d.buf[k]; unhex(c) < 0 {
			return 0, d.badChar(k, c, "in \\u hexadecimal character escape")
		}
	}
	if !ok {
		return 0, d.eofErr()
	}
	return hex4(d.buf[d.pos+2 : d.pos+6]), nil
}

func unhex(c byte) rune {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0')
	case c >= 'a' && c <= 'f':
		return rune(c - 'a' + 10)
	case c >= 'A' && c <= 'F':
		return rune(c - 'A' + 10)
	}
	return -1
}

// hex4 decodes four hex digits, or returns -1.
func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		v := unhex(c)
		if v < 0 {
			return -1
		}
		r = r<<4 | v
	}
	return r
}

// ---- numbers ----

// numChar[c] is true for the bytes that can occur in a number literal.
var numChar = func() (t [256]bool) {
	for _, c := range []byte("0123456789+-.eE") {
		t[c] = true
	}
	return t
}()

// number decodes the number literal starting at buf[pos].
func (d *Decoder) number() (i int64, f float64, isFloat bool, err error) {
	// Find the end of the token first, then validate and convert it in place.
	end := d.pos + 1
	for {
		buf := d.buf
		for end < len(buf) && numChar[buf[end]] {
			end++
		}
		if end < len(buf) {
			break
		}
		rel := end - d.pos
		if !d.more() {
			if d.src.Err() != io.EOF {
				return 0, 0, false, d.eofErr()
			}
			end = d.pos + rel
			break // the token ends at the end of the input
		}
		end = d.pos + rel
	}
	start := d.pos
	tok := d.buf[start:end]

	k := 0
	neg := tok[0] == '-'
	if neg {
		k++
	}
	var u uint64
	digits := 0
	switch {
	case k < len(tok) && tok[k] == '0':
		k++
	case k < len(tok) && tok[k]-'1' <= 8:
		for k < len(tok) && tok[k]-'0' <= 9 {
			u = u*10 + uint64(tok[k]-'0')
			k++
			digits++
		}
	default:
		return 0, 0, false, d.numberErr(k, end, numberContext)
	}
	frac := 0 // digits after the decimal point, accumulated into u too
	if k < len(tok) && tok[k] == '.' {
		isFloat = true
		k++
		if k == len(tok) || tok[k]-'0' > 9 {
			return 0, 0, false, d.numberErr(k, end, "after decimal point in numeric literal")
		}
		for k < len(tok) && tok[k]-'0' <= 9 {
			u = u*10 + uint64(tok[k]-'0')
			k++
			frac++
		}
	}
	exp := 0
	if k < len(tok) && (tok[k] == 'e' || tok[k] == 'E') {
		isFloat = true
		k++
		expNeg := false
		if k < len(tok) && (tok[k] == '+' || tok[k] == '-') {
			expNeg = tok[k] == '-'
			k++
		}
		if k == len(tok) || tok[k]-'0' > 9 {
			return 0, 0, false, d.numberErr(k, end, "in exponent of numeric literal")
		}
		for k < len(tok) && tok[k]-'0' <= 9 {
			if exp < 10000 {
				exp = exp*10 + int(tok[k]-'0')
			}
			k++
		}
		if expNeg {
			exp = -exp
		}
	}
	if k < len(tok) {
		return 0, 0, false, d.badChar(start+k, tok[k], "after numeric literal")
	}

	if !isFloat {
		if digits <= 18 { // cannot overflow
			i = int64(u)
			if neg {
				i = -i
			}
			d.pos = end
			return i, 0, false, nil
		}
		i, err := strconv.ParseInt(string(tok), 10, 64)
		if err != nil {
			return 0, 0, false, d.syntaxErr(start, "integer %s out of range", clip(tok))
		}
		d.pos = end
		return i, 0, false, nil
	}
	// Exact fast path (Clinger): a mantissa below 2^53 and a power of ten
	// up to 1e22 are exact float64s, so one IEEE multiplication or division
	// gives the correctly rounded result, the same as ParseFloat.
	if e10 := exp - frac; digits+frac <= 15 && e10 >= -22 && e10 <= 22 {
		f = float64(u)
		if e10 > 0 {
			f *= pow10[e10]
		} else if e10 < 0 {
			f /= pow10[-e10]
		}
		if neg {
			f = -f
		}
		d.pos = end
		return 0, f, true, nil
	}
	f, err = strconv.ParseFloat(string(tok), 64)
	if err != nil {
		return 0, 0, false, d.syntaxErr(start, "number %s out of range", clip(tok))
	}
	d.pos = end
	return 0, f, true, nil
}

var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// numberErr reports a number literal that ends (at buf[pos+k]) where a digit
// is required.
func (d *Decoder) numberErr(k, end int, context string) error {
	i := d.pos + k
	if i < end {
		return d.badChar(i, d.buf[i], context)
	}
	if i >= len(d.buf) {
		return d.eofErr()
	}
	return d.badChar(i, d.buf[i], context)
}
