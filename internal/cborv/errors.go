package cborv

import "strconv"

// SyntaxError describes invalid, unsupported or truncated input. Offset is
// the position in the input (in bytes from the start of the stream) of the
// data item where the problem was found. For truncated input the error wraps
// io.ErrUnexpectedEOF, so errors.Is(err, io.ErrUnexpectedEOF) holds.
type SyntaxError struct {
	Offset int64
	Msg    string
	err    error // wrapped cause, if any (io.ErrUnexpectedEOF)
}

// Error returns the message with the offset.
func (e *SyntaxError) Error() string {
	return "cborv: offset " + strconv.FormatInt(e.Offset, 10) + ": " + e.Msg
}

// Unwrap returns the cause of the error: io.ErrUnexpectedEOF for truncated
// input, nil otherwise.
func (e *SyntaxError) Unwrap() error { return e.err }

// UnsupportedTypeError is returned by AppendValue for a value whose Go type
// is not part of the data model.
type UnsupportedTypeError struct {
	Type string // the Go type, as printed by %T
}

// Error names the unsupported Go type.
func (e *UnsupportedTypeError) Error() string {
	return "cborv: unsupported type " + e.Type
}
