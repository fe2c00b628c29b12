package dictdb_test

import (
	"io"
	"testing"

	"github.com/dictdb/dictdb-go/dictdb"
)

// BenchmarkEncodeWarm measures the encoding of a snapshot of 500k records
// whose encodings are cached, as in every full backup after the first, to
// io.Discard: the encoders' share of a full backup, without the checksum
// and the sink.
//
//	go test -run XXX -bench EncodeWarm -count 5 ./dictdb/
func BenchmarkEncodeWarm(b *testing.B) {
	db, _ := benchTable(b, 500_000)
	for _, f := range dictdb.Formats() {
		b.Run(string(f), func(b *testing.B) {
			var size byteCounter
			if err := db.Snapshot().Encode(&size, f, nil); err != nil { // fills the caches
				b.Fatal(err)
			}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if err := db.Snapshot().Encode(io.Discard, f, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// byteCounter counts the bytes written to it.
type byteCounter int

func (c *byteCounter) Write(p []byte) (int, error) {
	*c += byteCounter(len(p))
	return len(p), nil
}
