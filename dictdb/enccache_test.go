package dictdb

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// A full backup keeps the encodings of small records only: a large record
// (here one whose string is shared by every record, so the database holds
// it once) would cost its size again in memory, or far more.
func TestCacheKeepsSmallEncodingsOnly(t *testing.T) {
	for _, f := range []Format{FormatJSON, FormatBinary} {
		db := New()
		tb, err := db.CreateTable("t")
		require.NoError(t, err)
		shared := strings.Repeat("x", 2*maxCachedRecord)
		small, err := tb.Insert(Record{"v": "small"})
		require.NoError(t, err)
		large, err := tb.Insert(Record{"v": shared})
		require.NoError(t, err)

		var first bytes.Buffer
		require.NoError(t, db.Save(&first, f))
		cached := map[any]int{}
		db.Snapshot().Tables()[0].tree.Scan(func(en entry) bool {
			cached[en.r["id"]] = len(en.c.get(f))
			return true
		})
		require.Greater(t, cached[small], 0, "format %v: the small record's encoding is kept", f)
		require.Equal(t, 0, cached[large], "format %v: the large record's encoding is not kept", f)

		// The next backup, from the cache and from a new encoding, writes the
		// same bytes.
		var second bytes.Buffer
		require.NoError(t, db.Save(&second, f))
		require.Equal(t, first.Bytes(), second.Bytes())
	}
}
