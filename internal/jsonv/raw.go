package jsonv

import "github.com/dictdb/dictdb-go/internal/readbuf"

// Values of a long array can be decoded on several goroutines: the
// Decoder reading the stream finds where each ends without decoding it
// (RawObject), and Decoders made by NewValueDecoder decode the bytes,
// reporting what the first would have (the same values, the same errors at
// the same offsets), since they get the bytes with their place in the
// stream and the number of containers around them.

// RawObject returns the bytes of the next value, which must be an object,
// without decoding it, and the stream offset of its first byte, consuming
// it; the bytes are valid until the next call on d. It finds the end of
// the object by its brackets outside strings, so the bytes are valid JSON
// only if the object is: decode them with a Decoder from NewValueDecoder,
// which reports the errors d would have reported for them.
//
// If the next value is not an object, ends past limit bytes, nests deeper
// than d allows, or is cut by the end of the input or a read error,
// RawObject consumes nothing but whitespace and returns ok false, and no
// error: Value then decodes the value as it would have, error included.
func (d *Decoder) RawObject(limit int) (raw []byte, offset int64, ok bool) {
	if d.fail != nil {
		return nil, 0, false
	}
	c := d.peekByte()
	if c <= ' ' {
		var err error
		if c, err = d.skipWS(); err != nil {
			return nil, 0, false // Value reports it
		}
	}
	room := d.maxDepth - d.depth() // containers the object may open, itself included
	if c != '{' || room < 1 {
		return nil, 0, false
	}
	i, depth, inString := d.pos+1, 1, false
	for {
		buf := d.buf
	scan:
		for i < len(buf) {
			if inString {
				j, _ := scanString(buf, i)
				if j == len(buf) {
					i = j
					break
				}
				switch buf[j] {
				case '"':
					inString = false
				case '\\':
					if j+1 == len(buf) {
						i = j // the escaped byte is in the next chunk
						break scan
					}
					j++ // the escaped byte, whatever it is
				}
				i = j + 1 // a control character is left for Value to refuse
				continue
			}
			switch buf[i] {
			case '"':
				inString = true
			case '{', '[':
				if depth++; depth > room {
					return nil, 0, false
				}
			case '}', ']':
				if depth--; depth == 0 {
					if i+1-d.pos > limit {
						return nil, 0, false
					}
					raw = buf[d.pos : i+1]
					offset = d.Offset()
					d.pos = i + 1
					return raw, offset, true
				}
			}
			i++
		}
		rel := i - d.pos
		if rel > limit || !d.more() {
			return nil, 0, false
		}
		i = d.pos + rel
	}
}

// NewValueDecoder returns a Decoder of values whose bytes it is given whole
// by Reset, such as those of RawObject, that sit inside depth containers of
// their stream: it counts them against its limit on nesting, and its
// errors carry the offsets in the stream, as those of the stream's Decoder
// do. Only Value and Skip have a meaning on it.
func NewValueDecoder(depth int) *Decoder {
	return &Decoder{maxDepth: defaultMaxDepth, outer: depth, src: readbuf.Ended(0)}
}

// Reset makes d read b, whose first byte is at offset in its stream,
// clearing any error. d never writes to b, and holds it until the next
// Reset.
func (d *Decoder) Reset(b []byte, offset int64) {
	d.buf, d.pos, d.src, d.fail = b, 0, readbuf.Ended(offset), nil
	d.stack = d.stack[:0]
}

// Depth returns the number of containers open around the decoder's
// position: those opened with BeginObject and BeginArray, and those around
// its input (NewValueDecoder).
func (d *Decoder) Depth() int { return d.depth() }

func (d *Decoder) depth() int { return len(d.stack) + d.outer }
