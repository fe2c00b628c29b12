package restore_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/backup"
	"github.com/dictdb/dictdb-go/catalog"
	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/dictdb/dictdbtest"
	"github.com/dictdb/dictdb-go/restore"
	"github.com/dictdb/dictdb-go/sink"
	"github.com/dictdb/dictdb-go/sink/local"
	"github.com/dictdb/dictdb-go/sink/mem"
	"github.com/dictdb/dictdb-go/sink/sinktest"
)

var ctx = context.Background()

// requireSameDB compares every table, spec, record, value and type, and the
// sequence number.
func requireSameDB(t *testing.T, want, got *dictdb.DB, msg ...any) {
	t.Helper()
	require.NoError(t, dictdbtest.Diff(want, got), msg...)
}

// chain writes F D D D to s and returns the live database.
func chain(t *testing.T, s sink.Sink) *dictdb.DB {
	t.Helper()
	db := dictdb.New()
	users, err := db.CreateTable("users", dictdb.WithSchema(dictdb.Schema{"id": dictdb.Int, "name": dictdb.String, "age": dictdb.Int}))
	require.NoError(t, err)
	m, err := backup.NewManager(db, s, backup.Options{Interval: -1, Incremental: true})
	require.NoError(t, err)
	defer m.Stop()
	_, _ = users.Insert(dictdb.Record{"name": "Alice", "age": 30})
	require.NoError(t, m.BackupNow(ctx))
	_, _ = users.Insert(dictdb.Record{"name": "Bob", "age": 25})
	require.NoError(t, m.BackupNow(ctx))
	_, _ = users.Update(func(r dictdb.Record) bool { return r["name"] == "Alice" }, dictdb.Record{"age": 31})
	events, _ := db.CreateTable("events", dictdb.WithPrimaryKey("event_id"))
	_, _ = events.Insert(dictdb.Record{"type": "click", "x": 1.0})
	require.NoError(t, m.BackupNow(ctx))
	_, _ = users.Delete(func(r dictdb.Record) bool { return r["name"] == "Bob" })
	require.NoError(t, m.BackupNow(ctx))
	return db
}

func names(t *testing.T, s sink.Sink) []catalog.Name {
	objs, err := sinktest.ListBut(ctx, s, backup.LeaseKey)
	require.NoError(t, err)
	var out []catalog.Name
	for _, o := range objs {
		n, ok := catalog.Parse(o.Key)
		require.True(t, ok)
		out = append(out, n)
	}
	catalog.Sort(out)
	return out
}

func TestLatestFullPlusDeltas(t *testing.T) {
	for _, kind := range []string{"mem", "local"} {
		t.Run(kind, func(t *testing.T) {
			var s sink.Sink = mem.New()
			if kind == "local" {
				var err error
				s, err = local.New(t.TempDir())
				require.NoError(t, err)
			}
			live := chain(t, s)
			require.Len(t, names(t, s), 4)
			got, err := restore.Latest(ctx, s)
			require.NoError(t, err)
			requireSameDB(t, live, got)

			users, _ := got.Table("users")
			id, err := users.Insert(dictdb.Record{"name": "Carol", "age": 1})
			require.NoError(t, err)
			assert.Equal(t, int64(3), id, "auto-increment continues above restored keys")
			assert.Equal(t, live.Sequence()+1, got.Sequence(), "the sequence continues from the backup's")
		})
	}
}

func TestLatestErrors(t *testing.T) {
	t.Run("no backup", func(t *testing.T) {
		_, err := restore.Latest(ctx, mem.New())
		require.ErrorIs(t, err, restore.ErrNoBackup)
	})
	t.Run("missing delta", func(t *testing.T) {
		s := mem.New()
		chain(t, s)
		ns := names(t, s)
		require.NoError(t, s.Delete(ctx, ns[2].Key))
		_, err := restore.Latest(ctx, s)
		require.ErrorIs(t, err, restore.ErrCorrupt)
		var gap *restore.GapError
		require.ErrorAs(t, err, &gap)
		assert.Equal(t, ns[3].Key, gap.Key)
		assert.Contains(t, err.Error(), ns[3].Key)
		assert.Contains(t, err.Error(), fmt.Sprintf("(%d, %d]", gap.From, gap.To))
		assert.Less(t, gap.From, gap.To)
	})
	corrupt := map[string]func([]byte) []byte{
		"truncated":   func(b []byte) []byte { return b[:len(b)*2/3] },
		"garbage":     func(b []byte) []byte { return []byte("\x00\x01garbage") },
		"empty":       func(b []byte) []byte { return nil },
		"edited type": func(b []byte) []byte { return []byte(strings.Replace(string(b), `"age":31`, `"age":"x"`, 1)) },
		"unknown version": func(b []byte) []byte {
			return []byte(strings.Replace(string(b), `"format_version": 1`, `"format_version": 99`, 1))
		},
	}
	for what, mangle := range corrupt {
		for _, idx := range []int{0, 2} { // the full backup, a delta
			t.Run(fmt.Sprintf("%s object %d", what, idx), func(t *testing.T) {
				s := mem.New()
				chain(t, s)
				key := names(t, s)[idx].Key
				rc, err := s.Get(ctx, key)
				require.NoError(t, err)
				var sb strings.Builder
				_, _ = fmt.Fprint(&sb, readAll(t, rc))
				require.NoError(t, s.Put(ctx, key, strings.NewReader(string(mangle([]byte(sb.String()))))))
				db, err := restore.Latest(ctx, s)
				if what == "edited type" && idx == 0 {
					require.NoError(t, err, "the full does not hold age 31")
					return
				}
				require.ErrorIs(t, err, restore.ErrCorrupt)
				assert.Contains(t, err.Error(), key, "the error names the object")
				assert.Nil(t, db)
			})
		}
	}
}

func readAll(t *testing.T, rc interface {
	Read([]byte) (int, error)
	Close() error
}) string {
	t.Helper()
	defer rc.Close()
	var sb strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := rc.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return sb.String()
}

// Backups as the Python DictDB writes them: no chain, no sequence.
func TestPythonWrittenBackups(t *testing.T) {
	s := mem.New()
	put := func(key, body string) { require.NoError(t, s.Put(ctx, key, strings.NewReader(body))) }
	put("dictdb_delta_1700000000_000001.json", `{"type": "delta", "timestamp": 1700000000.000001, "tables": {"users": {"upserts": [{"id": 99, "name": "too old"}], "deletes": []}}}`)
	put("dictdb_backup_1700000001_000000.json", `{"tables": {"users": {"primary_key": "id", "schema": null, "records": [{"id": 1, "name": "Alice", "age": 30}, {"id": 2, "name": "Bob"}]}}}`)
	put("dictdb_delta_1700000002_000000.json", `{"type": "delta", "timestamp": 1700000002.0, "tables": {"users": {"upserts": [{"id": 1, "name": "Alice"}], "deletes": [2]}}}`)
	put("dictdb_delta_1700000003_000000.json", `{"type": "delta", "timestamp": 1700000003.0, "tables": {"users": {"upserts": [{"id": 3, "name": "Carol", "score": 1.0}], "deletes": []}}}`)
	put("notes.txt", "not a backup")

	db, err := restore.Latest(ctx, s)
	require.NoError(t, err)
	users, err := db.Table("users")
	require.NoError(t, err)
	assert.Equal(t, []dictdb.Record{
		{"id": int64(1), "name": "Alice"}, // replaced whole: no stale age
		{"id": int64(3), "name": "Carol", "score": 1.0},
	}, users.Select(nil))
	id, _ := users.Insert(dictdb.Record{"name": "Dan"})
	assert.Equal(t, int64(4), id)
}

func TestRestoreNeverMixesChains(t *testing.T) {
	s := mem.New()
	live := chain(t, s) // chain A: F D D D
	// Another database's manager on the same sink starts chain B with a
	// full backup.
	dbB := dictdb.New()
	tb, _ := dbB.CreateTable("b")
	mB, err := backup.NewManager(dbB, s, backup.Options{Interval: -1, Incremental: true})
	require.NoError(t, err)
	defer mB.Stop()
	_, _ = tb.Insert(dictdb.Record{"v": 1})
	require.NoError(t, mB.BackupNow(ctx))
	mB.Stop() // and releases the prefix's lease
	got, err := restore.Latest(ctx, s)
	require.NoError(t, err)
	requireSameDB(t, dbB, got)

	// The first database goes on with a new manager: a new chain C; a
	// delta of chain B written elsewhere lands after C's full backup.
	elsewhere := mem.New()
	copyAll(t, elsewhere, s)
	mA, err := backup.NewManager(live, s, backup.Options{Interval: -1, Incremental: true})
	require.NoError(t, err)
	defer mA.Stop()
	users, _ := live.Table("users")
	_, _ = users.Insert(dictdb.Record{"name": "Zed", "age": 9})
	require.NoError(t, mA.BackupFull(ctx)) // chain C
	_, _ = users.Insert(dictdb.Record{"name": "Yan", "age": 8})
	require.NoError(t, mA.BackupDelta(ctx))
	mB2, err := backup.NewManager(dbB, elsewhere, backup.Options{Interval: -1, Incremental: true})
	require.NoError(t, err)
	defer mB2.Stop()
	_, _ = tb.Insert(dictdb.Record{"v": 2})
	require.NoError(t, mB2.BackupFull(ctx))
	_, _ = tb.Insert(dictdb.Record{"v": 3})
	require.NoError(t, mB2.BackupDelta(ctx))
	copyAll(t, s, elsewhere) // chain B2's delta is the newest object

	got, err = restore.Latest(ctx, s)
	require.NoError(t, err)
	requireSameDB(t, dbB, got, "the newest full backup is B2's")
	// Chain C's points still restore exactly, by time.
	points, err := restore.List(ctx, s)
	require.NoError(t, err)
	var lastC restore.Point
	for _, p := range points {
		if p.Kind == "delta" && p.Seq == live.Sequence() {
			lastC = p
		}
	}
	require.NotEmpty(t, lastC.Key)
	got, err = restore.ToTime(ctx, s, lastC.Time)
	require.NoError(t, err)
	requireSameDB(t, live, got)
}

func TestApplyDelta(t *testing.T) {
	s := mem.New()
	chain(t, s)
	ns := names(t, s)
	rc, err := s.Get(ctx, ns[0].Key)
	require.NoError(t, err)
	db, err := dictdb.Load(rc, dictdb.FormatJSON)
	rc.Close()
	require.NoError(t, err)

	apply := func(i int) (int, error) {
		rc, err := s.Get(ctx, ns[i].Key)
		require.NoError(t, err)
		defer rc.Close()
		return restore.ApplyDelta(db, rc)
	}
	_, err = apply(2)
	var gap *restore.GapError
	require.ErrorAs(t, err, &gap, "skipping a delta is refused")
	n, err := apply(1)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	_, err = apply(1)
	require.ErrorAs(t, err, &gap, "applying twice is refused")
	n, err = apply(2)
	require.NoError(t, err)
	assert.Equal(t, 2, n, "Alice's update and the click event")

	legacy := `{"type": "delta", "timestamp": 1.0, "tables": {"users": {"upserts": [{"id": 7, "name": "L", "age": 1}], "deletes": [1]}}}`
	n, err = restore.ApplyDelta(db, strings.NewReader(legacy))
	require.NoError(t, err)
	assert.Equal(t, 2, n)

	seq := db.Sequence()
	_, err = restore.ApplyDelta(db, strings.NewReader(`{"type": "delta", "tables": {"users": {"upserts": [{"id": 8, "name": 5, "age": 1}]}}}`))
	require.ErrorIs(t, err, dictdb.ErrSchema)
	_, err = restore.ApplyDelta(db, strings.NewReader(`{"tables": {}}`))
	require.ErrorIs(t, err, dictdb.ErrCorrupt)
	_, err = restore.ApplyDelta(db, strings.NewReader(`PK\x03\x04`))
	require.ErrorIs(t, err, dictdb.ErrUnknownFormat)
	assert.Equal(t, seq, db.Sequence(), "refused deltas change nothing")
}

func TestApplyDeltaChecksChecksums(t *testing.T) {
	s := mem.New()
	chain(t, s)
	ns := names(t, s)
	read := func(key string) string {
		rc, err := s.Get(ctx, key)
		require.NoError(t, err)
		defer rc.Close()
		return readAll(t, rc)
	}
	db, err := dictdb.Load(strings.NewReader(read(ns[0].Key)), dictdb.FormatJSON)
	require.NoError(t, err)
	delta := read(ns[1].Key)
	edited := strings.Replace(delta, `"name":"Bob"`, `"name":"Rob"`, 1)
	require.NotEqual(t, delta, edited)
	seq := db.Sequence()
	_, err = restore.ApplyDelta(db, strings.NewReader(edited))
	require.ErrorIs(t, err, dictdb.ErrCorrupt)
	assert.Contains(t, err.Error(), "checksum mismatch")
	i := strings.LastIndex(delta, `, "checksum"`)
	_, err = restore.ApplyDelta(db, strings.NewReader(delta[:i]+"}\n"))
	require.ErrorIs(t, err, dictdb.ErrCorrupt)
	assert.Contains(t, err.Error(), "checksum missing")
	assert.Equal(t, seq, db.Sequence(), "nothing applied")
	_, err = restore.ApplyDelta(db, strings.NewReader(delta))
	require.NoError(t, err)
}
