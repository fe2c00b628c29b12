package jsonv

import (
	"strconv"
	"unicode/utf8"
)

// SyntaxError describes invalid or truncated input. Offset is the position in
// the input (in bytes from the start of the stream) where the problem was
// found. For truncated input the error wraps io.ErrUnexpectedEOF, so
// errors.Is(err, io.ErrUnexpectedEOF) holds.
type SyntaxError struct {
	Offset int64
	Msg    string
	err    error // wrapped cause, if any (io.ErrUnexpectedEOF)
}

func (e *SyntaxError) Error() string {
	return "jsonv: offset " + strconv.FormatInt(e.Offset, 10) + ": " + e.Msg
}

// Unwrap returns the cause of the error: io.ErrUnexpectedEOF for truncated
// input, nil otherwise.
func (e *SyntaxError) Unwrap() error { return e.err }

// quoteChar formats c for an error message, like encoding/json does.
func quoteChar(c byte) string {
	switch {
	case c == '\'':
		return `'\''`
	case c == '"':
		return `'"'`
	case c >= 0x20 && c < utf8.RuneSelf && c != 0x7f:
		return "'" + string(rune(c)) + "'"
	}
	// Not printable (or not ASCII): show the byte value.
	s := strconv.QuoteToASCII(string([]byte{c}))
	return "'" + s[1:len(s)-1] + "'"
}

// clip shortens long tokens quoted in error messages.
func clip(tok []byte) string {
	const max = 64
	if len(tok) > max {
		return string(tok[:max]) + "..."
	}
	return string(tok)
}
