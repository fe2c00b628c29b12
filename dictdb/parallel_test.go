package dictdb

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"

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

// Spans of every size cover every record once, in order, whatever the
// keys: tiny spans end inside the tree's inner nodes as well as its leaves.
func TestSpansCoverEveryKey(t *testing.T) {
	db := New()
	tb, err := db.CreateTable("t", WithPrimaryKey("k"))
	require.NoError(t, err)
	for i := range 5000 {
		var k any = int64(i*7919%100003) - 50000
		if i%3 == 0 {
			k = fmt.Sprintf("s%06d", i)
		}
		_, err := tb.Insert(Record{"k": k, "v": i})
		require.NoError(t, err)
	}
	for _, f := range Formats() {
		serial := saveWith(t, db, f, false)
		for _, n := range []int{1, 2, 7, 63, 1000, 1 << 14} {
			old := perSpan
			perSpan = n
			got := saveWith(t, db, f, true)
			perSpan = old
			require.Equal(t, serial, got, "%s, spans of %d", f, n)
		}
		back, err := Load(bytes.NewReader(serial), f)
		require.NoError(t, err)
		bt, _ := back.Table("t")
		require.Equal(t, 5000, bt.Count(), "%s", f)
	}
}

// A writer's error stops the encoders: Encode returns it, and every
// goroutine it started ends.
func TestParallelEncodeStopsOnWriteError(t *testing.T) {
	old, oldChunk, oldSpan := parallelMin, maxChunk, perSpan
	parallelMin, maxChunk, perSpan = 2, 4<<10, 500
	defer func() { parallelMin, maxChunk, perSpan = old, oldChunk, oldSpan }()
	db := New()
	tb, _ := db.CreateTable("t")
	for i := range 20000 {
		_, err := tb.Insert(Record{"name": fmt.Sprintf("user-%d", i)})
		require.NoError(t, err)
	}
	before := runtime.NumGoroutine()
	for _, f := range Formats() {
		for _, after := range []int{0, 10 << 10, 100 << 10} {
			w := &failingWriter{left: after}
			err := db.Snapshot().Encode(w, f, nil)
			require.ErrorIs(t, err, errWrite, "%s, failing after %d bytes", f, after)
		}
	}
	// Polled here: assert.Eventually would count its own goroutine.
	for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > before; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("goroutines left running:\n%s", buf[:runtime.Stack(buf, true)])
		}
	}
}

var errWrite = errors.New("write failed")

// failingWriter accepts left bytes, then fails every write.
type failingWriter struct{ left int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.left {
		n := w.left
		w.left = 0
		return n, errWrite
	}
	w.left -= len(p)
	return len(p), nil
}

// A snapshot encodes to the same bytes while writers change its table:
// the spans read the snapshot's tree nodes in place, which the table
// copies before it changes them. Run with -race, this also checks that
// the reads and the writes never touch the same memory.
func TestParallelEncodeOfASnapshotWhileWriting(t *testing.T) {
	old, oldSpan := parallelMin, perSpan
	parallelMin, perSpan = 2, 300
	defer func() { parallelMin, perSpan = old, oldSpan }()
	db := New()
	tb, _ := db.CreateTable("t")
	const n = 20000
	for i := range n {
		_, err := tb.Insert(Record{"name": fmt.Sprintf("user-%d", i), "n": i})
		require.NoError(t, err)
	}
	snap := db.Snapshot()
	stop := make(chan struct{})
	done := make(chan int)
	go func() { // upserts, deletes and inserts all over the key space
		writes := 0
		for i := 0; ; i++ {
			select {
			case <-stop:
				done <- writes
				return
			default:
			}
			k := int64(1 + i*7919%n)
			var err error
			switch i % 3 {
			case 0:
				_, err = tb.Upsert(Record{"id": k, "name": "changed", "n": -i})
			case 1:
				if err = tb.DeleteKey(k); errors.Is(err, ErrNotFound) {
					err = nil
				}
			default:
				_, err = tb.Insert(Record{"name": "new"})
			}
			if err != nil {
				panic(err)
			}
			writes++
		}
	}()
	var during [][]byte
	for _, f := range Formats() {
		for range 3 {
			var buf bytes.Buffer
			require.NoError(t, snap.Encode(&buf, f, nil))
			during = append(during, buf.Bytes())
		}
	}
	close(stop)
	require.Positive(t, <-done, "the writers changed the table")
	i := 0
	for _, f := range Formats() {
		parallelMin = 1 << 62
		var serial bytes.Buffer
		require.NoError(t, snap.Encode(&serial, f, nil))
		parallelMin = 2
		for range 3 {
			require.Equal(t, serial.Bytes(), during[i], "%s: the snapshot's encoding changed under writes", f)
			i++
		}
	}
}
