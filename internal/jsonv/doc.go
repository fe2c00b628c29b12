// Package jsonv is a fast, reflection-free JSON encoder and streaming decoder
// for the JSON data model of the database: a value is exactly one of nil,
// bool, int64, float64, string, []any or map[string]any (recursively).
//
// Integers stay integers: the decoder returns int64 for number literals
// without '.', 'e' or 'E' (and an error if such a literal overflows int64)
// and float64 for all other numbers; the encoder always writes a float64 so
// that it reads back as a float ("3.0", "1e+21").
//
// The output is plain RFC 8259 JSON that Python's json module reads, and the
// decoder reads Python's output, including ensure_ascii escapes and surrogate
// pairs. The non-standard literals NaN, Infinity and -Infinity are rejected
// in both directions.
//
// Encoding is append-style ([AppendValue], [AppendString], [AppendInt],
// [AppendFloat]). Decoding reads from an io.Reader in chunks through a
// [Decoder], either whole values at a time ([Decoder.Value]) or
// incrementally ([Decoder.BeginObject], [Decoder.NextKey],
// [Decoder.BeginArray], [Decoder.NextElem]) so that documents larger than
// memory, such as a backup holding millions of records, can be streamed.
package jsonv
