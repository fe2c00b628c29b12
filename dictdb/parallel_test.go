package dictdb

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// saveWith saves db in format f with the parallel encoder on or off.
func saveWith(t *testing.T, db *DB, f Format, parallel bool) []byte {
	t.Helper()
	old := parallelMin
	defer func() { parallelMin = old }()
	if parallel {
		parallelMin = 2
	} else {
		parallelMin = 1 << 62
	}
	var buf bytes.Buffer
	require.NoError(t, db.Save(&buf, f))
	return buf.Bytes()
}

// The parallel encoder writes the same bytes as the serial one, with the
// cache cold or warm, for integer keys spread widely (negative ones, gaps)
// and string keys after them, in every format; and the bytes load back.
func TestParallelEncodeIsTheSerialOne(t *testing.T) {
	db := New()
	users, err := db.CreateTable("users")
	require.NoError(t, err)
	for i := range 70000 {
		k := int64(i*i%1000003) - 500000 // spread, with negatives
		if i%7 == 0 {
			k = int64(i) << 40 // far apart
		}
		_, err := users.Upsert(Record{"id": k, "name": fmt.Sprintf("user-%d", i), "score": float64(i) / 3, "tags": []any{int64(i), "t"}})
		require.NoError(t, err)
	}
	words, err := db.CreateTable("words", WithPrimaryKey("w"))
	require.NoError(t, err)
	for i := range 3000 {
		_, err := words.Insert(Record{"w": fmt.Sprintf("w%05d", i), "n": i})
		require.NoError(t, err)
	}
	small, _ := db.CreateTable("small")
	_, _ = small.Insert(Record{"v": 1})
	for _, f := range Formats() {
		serialCold := saveWith(t, db, f, false) // and warms the cache
		parallelWarm := saveWith(t, db, f, true)
		require.Equal(t, serialCold, parallelWarm, "%s: parallel, cached", f)
		fresh, err := Load(bytes.NewReader(serialCold), f) // a cold cache
		require.NoError(t, err)
		require.Equal(t, serialCold, saveWith(t, fresh, f, true), "%s: parallel, cold", f)
		require.Equal(t, serialCold, saveWith(t, fresh, f, false), "%s: serial, cached", f)

		// Small chunks: many more than the workers have buffers, so that
		// a buffer released too early would be reused and caught.
		oldChunk := maxChunk
		maxChunk = 4 << 10
		var lb lendingBuffer
		require.NoError(t, db.Snapshot().Encode(&lb, f, nil))
		maxChunk = oldChunk
		lb.consume(0)
		require.Positive(t, lb.lends, "%s: chunks are lent", f)
		require.Equal(t, serialCold, lb.out.Bytes(), "%s: parallel, lent", f)
	}
}

// lendingBuffer borrows buffers like the backup's pipe: it writes each
// lent buffer out only after a few more came, then releases it, checking
// that the lender did not change it in between.
type lendingBuffer struct {
	out   bytes.Buffer
	held  []held
	lends int
}

type held struct {
	b, copy []byte
	release func()
}

func (l *lendingBuffer) Write(p []byte) (int, error) {
	l.consume(0)
	return l.out.Write(p)
}

func (l *lendingBuffer) WriteLent(p []byte, release func()) error {
	l.lends++
	l.held = append(l.held, held{p, bytes.Clone(p), release})
	l.consume(3)
	return nil
}

// consume writes out and releases the buffers held but the last keep.
func (l *lendingBuffer) consume(keep int) {
	for len(l.held) > keep {
		h := l.held[0]
		if !bytes.Equal(h.b, h.copy) {
			panic("a lent buffer changed before its release")
		}
		l.out.Write(h.b)
		h.release()
		l.held = l.held[1:]
	}
}

// A table whose keys are all strings, or mostly, is encoded in one range
// for its strings; one whose integer keys are all equal but one is two
// ranges at most: the split never loses or repeats a record.
func TestRangesCoverEveryKey(t *testing.T) {
	old := parallelMin
	parallelMin = 2
	defer func() { parallelMin = old }()
	for name, keys := range map[string][]any{
		"strings":       {"a", "b", "c"},
		"ints then str": {int64(-5), int64(9), "z"},
		"two ints":      {int64(1), int64(2)},
		"extremes":      {int64(-1 << 63), int64(1<<63 - 1), int64(0)},
	} {
		db := New()
		tb, _ := db.CreateTable("t", WithPrimaryKey("k"))
		for _, k := range keys {
			_, err := tb.Insert(Record{"k": k})
			require.NoError(t, err, name)
		}
		for _, f := range Formats() {
			var buf bytes.Buffer
			require.NoError(t, db.Save(&buf, f), name)
			got, err := Load(&buf, f)
			require.NoError(t, err, name)
			gt, _ := got.Table("t")
			require.Equal(t, len(keys), gt.Count(), "%s %s", name, f)
		}
	}
}
