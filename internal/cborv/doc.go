// Package cborv is a fast, reflection-free CBOR (RFC 8949) encoder and
// streaming decoder for the data model of the database: a value is exactly
// one of nil, bool, int64, float64, string, []any or map[string]any
// (recursively). It is the binary twin of internal/jsonv, with the same API
// shape.
//
// The mapping is fixed, so that a value always reads back with its Go type:
//
//	nil            <-> simple value null (0xF6)
//	bool           <-> simple values false, true (0xF4, 0xF5)
//	int64          <-> major type 0 (unsigned) or 1 (negative) integer
//	float64        <-> 0xFB double (always written as a double, so that
//	                   1.0 stays a float); half and single precision floats
//	                   are read as float64 too
//	string         <-> major type 3 text string (valid UTF-8)
//	[]any          <-> major type 4 array
//	map[string]any <-> major type 5 map with text string keys
//
// The encoder writes definite lengths and the shortest integer and length
// forms, and sorts map keys as RFC 8949 §4.2.1 does (shorter keys first,
// then byte-wise), so the output is deterministic. It is RFC 8949 core
// deterministic encoding but for floats, which are always doubles. The decoder also reads indefinite-length arrays, maps and
// text strings, and non-shortest heads, as any CBOR writer may produce them.
//
// The decoder is strict, for input that may be hostile: it rejects byte
// strings (except through [Decoder.Bytes]), tags (except the self-describe
// tag 55799 through [Decoder.SelfDescribe]), undefined and other simple
// values, integers outside int64, NaN and infinities, invalid UTF-8, map
// keys that are not text, and nesting deeper than a limit. A declared length
// never makes it allocate more than a little: memory grows only with the
// bytes actually read. As in jsonv, when a map repeats a key the last value
// wins.
//
// Decoding reads from an io.Reader in chunks through a [Decoder], either
// whole values at a time ([Decoder.Value]) or incrementally
// ([Decoder.BeginMap], [Decoder.NextKey], [Decoder.BeginArray],
// [Decoder.NextElem]) so that documents larger than memory can be streamed.
package cborv
