// Package limits holds the bounds that the encoders (internal/jsonv,
// internal/cborv), their decoders and the database (dictdb) share, so that
// whatever one side accepts the other reads back.
package limits

// MaxDepth is the deepest nesting of arrays and objects (CBOR maps) in a
// document: the decoders refuse deeper input, the encoders refuse to write
// it, and dictdb refuses at insert a value that would take a backup deeper.
// The outermost container counts as 1: [[1]] nests 2 deep.
const MaxDepth = 512
