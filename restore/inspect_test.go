package restore_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/backup"
	"github.com/dictdb/dictdb-go/catalog"
	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/restore"
	"github.com/dictdb/dictdb-go/sink"
	"github.com/dictdb/dictdb-go/sink/mem"
	"github.com/dictdb/dictdb-go/sink/sinktest"
)

// inspectFixture writes a full backup (users: 3 records, tags: 1) and a
// delta (users: 2 upserts, 1 delete; events created with 1 record; tags
// dropped) and returns their keys.
func inspectFixture(t *testing.T, s sink.Sink, opts backup.Options) (full, delta string) {
	t.Helper()
	bg := context.Background()
	db := dictdb.New()
	users, err := db.CreateTable("users")
	require.NoError(t, err)
	tags, err := db.CreateTable("tags", dictdb.WithPrimaryKey("tag"))
	require.NoError(t, err)
	for _, name := range []string{"Alice", "Bob", "Carol"} {
		_, err := users.Insert(dictdb.Record{"name": name})
		require.NoError(t, err)
	}
	_, err = tags.Insert(dictdb.Record{"tag": "x"})
	require.NoError(t, err)
	opts.Interval = -1
	m, err := backup.NewManager(db, s, opts)
	require.NoError(t, err)
	defer m.Stop()
	require.NoError(t, m.BackupFull(bg))

	_, err = users.Upsert(dictdb.Record{"id": int64(1), "name": "Alice", "age": 31})
	require.NoError(t, err)
	_, err = users.Insert(dictdb.Record{"name": "Dan"})
	require.NoError(t, err)
	_, err = users.Delete(func(r dictdb.Record) bool { return r["name"] == "Bob" })
	require.NoError(t, err)
	events, err := db.CreateTable("events", dictdb.WithPrimaryKey("event_id"))
	require.NoError(t, err)
	_, err = events.Insert(dictdb.Record{"type": "click"})
	require.NoError(t, err)
	require.NoError(t, db.DropTable("tags"))
	require.NoError(t, m.BackupDelta(bg))

	objs, err := sinktest.ListBut(bg, s, backup.LeaseKey)
	require.NoError(t, err)
	require.Len(t, objs, 2)
	for _, o := range objs {
		if strings.HasPrefix(o.Key, catalog.FullPrefix) {
			full = o.Key
		} else {
			delta = o.Key
		}
	}
	require.NotEmpty(t, full)
	require.NotEmpty(t, delta)
	return full, delta
}

func sizeOf(t *testing.T, s sink.Sink, key string) int64 {
	t.Helper()
	objs, err := s.List(context.Background(), key)
	require.NoError(t, err)
	for _, o := range objs {
		if o.Key == key {
			return o.Size
		}
	}
	t.Fatalf("%s not in the sink", key)
	return 0
}

func TestInspectFullAndDelta(t *testing.T) {
	bg := context.Background()
	s := mem.New()
	full, delta := inspectFixture(t, s, backup.Options{})
	points, err := restore.List(bg, s)
	require.NoError(t, err)
	require.Len(t, points, 2)

	fi, err := restore.Inspect(bg, s, full)
	require.NoError(t, err)
	assert.Equal(t, full, fi.Key)
	assert.Equal(t, catalog.Full, fi.Kind)
	assert.Equal(t, points[0].Time, fi.Time)
	assert.Equal(t, sizeOf(t, s, full), fi.Size)
	assert.False(t, fi.Legacy)
	assert.Equal(t, catalog.FormatVersion, fi.FormatVersion)
	assert.Equal(t, dictdb.FormatJSON, fi.Codec)
	assert.Equal(t, "", fi.Compression)
	assert.False(t, fi.Encrypted)
	assert.Equal(t, points[0].Chain, fi.Chain)
	assert.Len(t, fi.Chain, 24)
	assert.Equal(t, "", fi.Base)
	assert.Equal(t, points[0].Seq, fi.Seq)
	assert.Equal(t, uint64(0), fi.FromSeq)
	assert.Equal(t, fi.Time, fi.Timestamp, "the header's timestamp is the name's")
	assert.True(t, fi.Checksummed)
	assert.Equal(t, fi.Size, fi.ContentBytes, "uncompressed, unencrypted: content is the object")
	assert.Equal(t, []restore.TableInfo{
		{Name: "tags", PrimaryKey: "tag", Records: 1},
		{Name: "users", PrimaryKey: "id", Records: 3},
	}, fi.Tables)
	assert.Empty(t, fi.Dropped)

	di, err := restore.Inspect(bg, s, delta)
	require.NoError(t, err)
	assert.Equal(t, catalog.Delta, di.Kind)
	assert.Equal(t, fi.Chain, di.Chain)
	assert.Equal(t, full, di.Base)
	assert.Equal(t, fi.Seq, di.FromSeq)
	assert.Equal(t, points[1].Seq, di.Seq)
	assert.Greater(t, di.Seq, di.FromSeq)
	assert.True(t, di.Checksummed)
	assert.Equal(t, []restore.TableInfo{
		{Name: "events", PrimaryKey: "event_id", Upserts: 1, Created: true},
		{Name: "users", Upserts: 2, Deletes: 1},
	}, di.Tables)
	assert.Equal(t, []string{"tags"}, di.Dropped)

	// The header alone: the same header, no content.
	hi, err := restore.InspectHeader(bg, s, delta)
	require.NoError(t, err)
	want := *di
	want.Tables, want.Dropped, want.ContentBytes, want.Checksummed = nil, nil, 0, false
	assert.Equal(t, &want, hi)
}

func TestInspectCompressedEncrypted(t *testing.T) {
	bg := context.Background()
	id, err := age.GenerateX25519Identity()
	require.NoError(t, err)
	s := mem.New()
	full, delta := inspectFixture(t, s, backup.Options{
		Compression: backup.CompressionZstd,
		Encryption:  &backup.Encryption{Recipients: []age.Recipient{id.Recipient()}},
	})
	assert.True(t, strings.HasSuffix(full, ".json.zst.age"), full)

	_, err = restore.Inspect(bg, s, full)
	require.ErrorIs(t, err, restore.ErrNoKey)
	assert.Contains(t, err.Error(), full)
	_, err = restore.InspectHeader(bg, s, delta)
	require.ErrorIs(t, err, restore.ErrNoKey)
	assert.Contains(t, err.Error(), delta)

	other, err := age.GenerateX25519Identity()
	require.NoError(t, err)
	_, err = restore.Inspect(bg, s, full, restore.WithIdentities(other))
	require.ErrorIs(t, err, restore.ErrNoKey, "an identity that does not open it")

	fi, err := restore.Inspect(bg, s, full, restore.WithIdentities(id))
	require.NoError(t, err)
	assert.Equal(t, "zstd", fi.Compression)
	assert.True(t, fi.Encrypted)
	assert.True(t, fi.Checksummed)
	assert.NotEqual(t, fi.Size, fi.ContentBytes)
	assert.Len(t, fi.Tables, 2)

	di, err := restore.Inspect(bg, s, delta, restore.WithIdentities(id))
	require.NoError(t, err)
	assert.Equal(t, "zstd", di.Compression)
	assert.True(t, di.Encrypted)
	assert.Equal(t, full, di.Base)
	assert.Len(t, di.Tables, 2)
}

func TestInspectErrors(t *testing.T) {
	bg := context.Background()
	s := mem.New()
	full, delta := inspectFixture(t, s, backup.Options{})
	read := func(key string) []byte {
		rc, err := s.Get(bg, key)
		require.NoError(t, err)
		defer rc.Close()
		b, err := io.ReadAll(rc)
		require.NoError(t, err)
		return b
	}

	t.Run("not a backup name", func(t *testing.T) {
		_, err := restore.Inspect(bg, s, "notes.txt")
		require.ErrorIs(t, err, restore.ErrNotBackupObject)
		assert.Contains(t, err.Error(), "notes.txt")
	})
	t.Run("missing", func(t *testing.T) {
		key := catalog.Key(catalog.Full, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro(), catalog.Encoding{Format: dictdb.FormatJSON})
		_, err := restore.Inspect(bg, s, key)
		require.ErrorIs(t, err, sink.ErrNotFound)
		assert.Contains(t, err.Error(), key)
	})
	t.Run("flipped byte", func(t *testing.T) {
		b := read(delta)
		i := bytes.Index(b, []byte(`"upserts"`))
		require.Positive(t, i)
		b[i+2] ^= 0x01 // "upserts" -> "uqserts": still JSON, so only the checksum can tell
		// Under its own name, in a sink of its own: under another name,
		// the header's time would disagree with it.
		other := mem.New()
		require.NoError(t, other.Put(bg, delta, bytes.NewReader(b)))
		_, err := restore.Inspect(bg, other, delta)
		require.ErrorIs(t, err, restore.ErrCorrupt)
		assert.Contains(t, err.Error(), delta)
		// The header is intact: InspectHeader does not read that far.
		_, err = restore.InspectHeader(bg, other, delta)
		require.NoError(t, err)
	})
	t.Run("truncated", func(t *testing.T) {
		b := read(full)
		bad := strings.Replace(full, "dictdb_backup_", "dictdb_backup_1", 1)
		require.NoError(t, s.Put(bg, bad, bytes.NewReader(b[:len(b)/2])))
		_, err := restore.Inspect(bg, s, bad)
		require.ErrorIs(t, err, restore.ErrCorrupt)
		assert.Contains(t, err.Error(), bad)
	})
	t.Run("name disagrees with header", func(t *testing.T) {
		// The content of a plain JSON object under a name saying gzip.
		bad := strings.Replace(full, ".json", ".json.gz", 1)
		require.NoError(t, s.Put(bg, bad, bytes.NewReader(read(full))))
		_, err := restore.Inspect(bg, s, bad)
		require.ErrorIs(t, err, restore.ErrCorrupt)
		assert.Contains(t, err.Error(), bad)
	})
	t.Run("kind disagrees with header", func(t *testing.T) {
		bad := strings.Replace(full, catalog.FullPrefix, catalog.DeltaPrefix, 1)
		require.NoError(t, s.Put(bg, bad, bytes.NewReader(read(full))))
		_, err := restore.Inspect(bg, s, bad)
		require.ErrorIs(t, err, restore.ErrCorrupt)
		assert.Contains(t, err.Error(), bad)
	})
	t.Run("cancelled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(bg)
		cancel()
		_, err := restore.Inspect(cctx, s, full)
		require.True(t, errors.Is(err, context.Canceled), "%v", err)
	})
}

// Objects written by the Python DictDB have no header: the name says how
// they are stored, and there is no checksum.
func TestInspectPythonWritten(t *testing.T) {
	bg := context.Background()
	s := mem.New()
	full := "dictdb_backup_1700000001_000000.json"
	delta := "dictdb_delta_1700000002_500000.json"
	require.NoError(t, s.Put(bg, full, strings.NewReader(`{"tables": {"users": {"primary_key": "id", "schema": null, "records": [{"id": 1, "name": "Alice"}, {"id": 2, "name": "Bob"}]}}}`)))
	require.NoError(t, s.Put(bg, delta, strings.NewReader(`{"type": "delta", "timestamp": 1700000002.5, "tables": {"users": {"upserts": [{"id": 1, "name": "Alice"}], "deletes": [2]}}}`)))

	fi, err := restore.Inspect(bg, s, full)
	require.NoError(t, err)
	assert.True(t, fi.Legacy)
	assert.Equal(t, 0, fi.FormatVersion)
	assert.Equal(t, dictdb.FormatJSON, fi.Codec)
	assert.Equal(t, "", fi.Chain)
	assert.False(t, fi.Checksummed)
	assert.True(t, fi.Timestamp.IsZero())
	assert.Equal(t, []restore.TableInfo{{Name: "users", PrimaryKey: "id", Records: 2}}, fi.Tables)

	di, err := restore.Inspect(bg, s, delta)
	require.NoError(t, err)
	assert.True(t, di.Legacy)
	assert.Equal(t, time.Date(2023, 11, 14, 22, 13, 22, 500000000, time.UTC), di.Timestamp)
	assert.Equal(t, di.Time, di.Timestamp)
	assert.Equal(t, []restore.TableInfo{{Name: "users", Upserts: 1, Deletes: 1}}, di.Tables)
}
