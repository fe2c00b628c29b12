package cborv

import "github.com/dictdb/dictdb-go/internal/readbuf"

// Data items of a long array can be decoded on several goroutines: the
// Decoder reading the stream finds where each ends from the heads of its
// items, without decoding it (RawMap), and Decoders made by NewValueDecoder
// decode the bytes, reporting what the first would have (the same values,
// the same errors at the same offsets), since they get the bytes with
// their place in the stream and the number of containers around them.

// RawMap returns the bytes of the next data item, which must be a map,
// without decoding it, and the stream offset of its first byte, consuming
// it; the bytes are valid until the next call on d. It finds the end of the
// map from the heads of its items, so the bytes are valid only if the map
// is: decode them with a Decoder from NewValueDecoder, which reports the
// errors d would have reported for them.
//
// If the next item is not a map, or holds an item of indefinite length, a
// tag, a break or a reserved head, ends past limit bytes, nests deeper than
// d allows, or is cut by the end of the input or a read error, RawMap
// consumes nothing and returns ok false, and no error: Value then decodes
// the item as it would have, error included.
func (d *Decoder) RawMap(limit int) (raw []byte, offset int64, ok bool) {
	if d.fail != nil || !d.ensure(1) || d.buf[d.pos]>>5 != MajorMap {
		return nil, 0, false
	}
	room := d.maxDepth - d.depth() // containers the map may open, itself included
	left := append(d.raw[:0], 1)   // items still to come on each level
	defer func() { d.raw = left[:0] }()
	rel := 0 // the next head, relative to d.pos
	for len(left) > 0 {
		if left[len(left)-1] == 0 {
			left = left[:len(left)-1]
			continue
		}
		left[len(left)-1]--
		if !d.ensure(rel+9) && rel >= len(d.buf)-d.pos { // 9: the longest head
			return nil, 0, false // cut by the end of the input
		}
		c := d.buf[d.pos+rel]
		major, info := c>>5, c&0x1f
		n, arg := 1, uint64(info)
		switch {
		case info < 24:
		case info <= 27:
			n += 1 << (info - 24)
			if rel+n > len(d.buf)-d.pos {
				return nil, 0, false // cut by the end of the input
			}
			arg = 0
			for _, b := range d.buf[d.pos+rel+1 : d.pos+rel+n] {
				arg = arg<<8 | uint64(b)
			}
		default: // indefinite length, break, reserved
			return nil, 0, false
		}
		if major == MajorBytes || major == MajorText {
			if arg > uint64(limit) {
				return nil, 0, false
			}
			n += int(arg)
		}
		if rel += n; rel > limit {
			return nil, 0, false
		}
		switch major {
		case MajorArray, MajorMap:
			if arg > uint64(limit) || len(left) > room {
				return nil, 0, false
			}
			if major == MajorMap {
				arg *= 2
			}
			left = append(left, arg)
		case MajorTag:
			return nil, 0, false
		}
	}
	if !d.ensure(rel) { // the contents of the last string
		return nil, 0, false
	}
	raw = d.buf[d.pos : d.pos+rel]
	offset = d.Offset()
	d.pos += rel
	return raw, offset, true
}

// NewValueDecoder returns a Decoder of data items whose bytes it is given
// whole by Reset, such as those of RawMap, that sit inside depth
// containers of their stream: it counts them against its limit on nesting,
// and its errors carry the offsets in the stream, as those of the stream's
// Decoder do. Only Value and Skip have a meaning on it.
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
// position: those opened with BeginMap and BeginArray, and those around its
// input (NewValueDecoder).
func (d *Decoder) Depth() int { return d.depth() }

func (d *Decoder) depth() int { return len(d.stack) + d.outer }
