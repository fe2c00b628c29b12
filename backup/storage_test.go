package backup

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/catalog"
	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/dictdb/dictdbtest"
	"github.com/dictdb/dictdb-go/restore"
	"github.com/dictdb/dictdb-go/sink"
	"github.com/dictdb/dictdb-go/sink/mem"
	"github.com/dictdb/dictdb-go/sink/sinktest"
)

// secret is a value whose bytes must never reach an encrypting sink.
const secret = "s3cr3t-p1aintext-marker"

// fill writes records holding secret, and a table name, field names and
// values that would show up in any plaintext header or payload.
func fill(t *testing.T, db *dictdb.DB, from, n int) {
	t.Helper()
	tb, err := db.Table("vault")
	if errors.Is(err, dictdb.ErrTableNotFound) {
		tb, err = db.CreateTable("vault", dictdb.WithPrimaryKey("id"))
	}
	require.NoError(t, err)
	for i := from; i < from+n; i++ {
		_, err := tb.Upsert(dictdb.Record{"id": int64(i), "note": secret, "n": float64(i) / 3})
		require.NoError(t, err)
	}
}

// allBytes returns every stored object's bytes.
func allBytes(t *testing.T, s sink.Sink) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	objs, err := sinktest.ListBut(ctx, s, LeaseKey)
	require.NoError(t, err)
	out := map[string][]byte{}
	for _, o := range objs {
		rc, err := s.Get(ctx, o.Key)
		require.NoError(t, err)
		b, err := io.ReadAll(rc)
		rc.Close()
		require.NoError(t, err)
		out[o.Key] = b
	}
	return out
}

func TestStorageEncodings(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	require.NoError(t, err)
	for _, f := range dictdb.Formats() {
		for _, c := range []Compression{CompressionNone, CompressionZstd, CompressionGzip} {
			for _, encrypt := range []bool{false, true} {
				enc := catalog.Encoding{Format: f, Compression: catalog.Compression(c), Encrypted: encrypt}
				t.Run(strings.TrimPrefix(enc.Ext(), "."), func(t *testing.T) {
					ctx := context.Background()
					opts := Options{Format: f, Compression: c, Incremental: true}
					var ropts []restore.Option
					if encrypt {
						opts.Encryption = &Encryption{Recipients: []age.Recipient{id.Recipient()}}
						ropts = append(ropts, restore.WithIdentities(id))
					}
					db := dictdb.New()
					s := mem.New()
					m, err := NewManager(db, s, opts)
					require.NoError(t, err)
					defer m.Stop()
					fill(t, db, 0, 2000)
					require.NoError(t, m.BackupNow(ctx))
					fill(t, db, 1000, 2000)
					require.NoError(t, m.BackupNow(ctx))

					stored := allBytes(t, s)
					require.Len(t, stored, 2)
					for key, b := range stored {
						assert.True(t, strings.HasSuffix(key, enc.Ext()), "%s records its encoding %s", key, enc.Ext())
						if encrypt {
							assert.False(t, bytes.Contains(b, []byte(secret)), "%s: no plaintext record reaches the sink", key)
							assert.False(t, bytes.Contains(b, []byte("vault")), "%s: no plaintext table name", key)
							assert.False(t, bytes.Contains(b, []byte("chain")), "%s: no plaintext header", key)
						}
					}

					got, err := restore.Latest(ctx, s, ropts...)
					require.NoError(t, err)
					assert.Empty(t, dictdbtest.Diff(db, got))
					rep, err := restore.Verify(ctx, s, ropts...)
					require.NoError(t, err)
					assert.True(t, rep.OK(), "%v", rep.Err())
					assert.Len(t, rep.Points, 2)

					// A manager on the restored database continues the chain,
					// reading the (encrypted) header with its identities.
					if encrypt {
						opts.Encryption.Identities = []age.Identity{id}
					}
					m.Stop() // and releases the lease
					m2, err := NewManager(got, s, opts)
					require.NoError(t, err)
					defer m2.Stop()
					fill(t, got, 5000, 10)
					require.NoError(t, m2.BackupNow(ctx))
					assert.Equal(t, "FDD", kinds(t, s), "the restored database's chain goes on")
				})
			}
		}
	}
}

func TestEncryptedNeedsTheKeyToRestore(t *testing.T) {
	ctx := context.Background()
	id, _ := age.GenerateX25519Identity()
	other, _ := age.GenerateX25519Identity()
	db := dictdb.New()
	s := mem.New()
	m, err := NewManager(db, s, Options{Encryption: &Encryption{Recipients: []age.Recipient{id.Recipient()}}})
	require.NoError(t, err)
	defer m.Stop()
	fill(t, db, 0, 10)
	require.NoError(t, m.BackupFull(ctx))
	key := keys(t, s)[0]

	for _, opts := range [][]restore.Option{nil, {restore.WithIdentities(other)}} {
		_, err = restore.Latest(ctx, s, opts...)
		require.Error(t, err)
		assert.ErrorIs(t, err, restore.ErrNoKey)
		assert.Contains(t, err.Error(), key, "the error names the object")
		rep, err := restore.Verify(ctx, s, opts...)
		require.NoError(t, err)
		require.Len(t, rep.Problems, 1)
		assert.ErrorIs(t, rep.Problems[0].Err, restore.ErrNoKey)
	}
	got, err := restore.Latest(ctx, s, restore.WithIdentities(other, id))
	require.NoError(t, err)
	assert.Empty(t, dictdbtest.Diff(db, got))
}

func TestPassphraseEncryption(t *testing.T) {
	ctx := context.Background()
	e, err := EncryptWithPassphrase("correct horse battery staple")
	require.NoError(t, err)
	e.Recipients[0].(*age.ScryptRecipient).SetWorkFactor(10) // fast for the test
	db := dictdb.New()
	s := mem.New()
	m, err := NewManager(db, s, Options{Encryption: e, Compression: CompressionZstd})
	require.NoError(t, err)
	defer m.Stop()
	fill(t, db, 0, 10)
	require.NoError(t, m.BackupFull(ctx))
	for _, b := range allBytes(t, s) {
		assert.False(t, bytes.Contains(b, []byte(secret)))
	}
	id, err := age.NewScryptIdentity("correct horse battery staple")
	require.NoError(t, err)
	got, err := restore.Latest(ctx, s, restore.WithIdentities(id))
	require.NoError(t, err)
	assert.Empty(t, dictdbtest.Diff(db, got))
	wrong, _ := age.NewScryptIdentity("wrong")
	_, err = restore.Latest(ctx, s, restore.WithIdentities(wrong))
	assert.ErrorIs(t, err, restore.ErrNoKey)
}

func TestApplyDeltaSniffsStorage(t *testing.T) {
	ctx := context.Background()
	id, _ := age.GenerateX25519Identity()
	for _, c := range []Compression{CompressionNone, CompressionZstd, CompressionGzip} {
		db := dictdb.New()
		s := mem.New()
		m, err := NewManager(db, s, Options{Incremental: true, Compression: c, Encryption: &Encryption{Recipients: []age.Recipient{id.Recipient()}}})
		require.NoError(t, err)
		fill(t, db, 0, 5)
		require.NoError(t, m.BackupNow(ctx))
		base, err := restore.Latest(ctx, s, restore.WithIdentities(id))
		require.NoError(t, err)
		fill(t, db, 3, 5)
		require.NoError(t, m.BackupNow(ctx))
		m.Stop()
		key := lastKey(t, s, catalog.Delta)
		rc, err := s.Get(ctx, key)
		require.NoError(t, err)
		n, err := restore.ApplyDelta(base, rc, restore.WithIdentities(id))
		rc.Close()
		require.NoError(t, err, "compression %q", c)
		assert.Equal(t, 5, n)
		assert.Empty(t, dictdbtest.Diff(db, base))
	}
}

func TestBadStorageOptions(t *testing.T) {
	db := dictdb.New()
	for _, o := range []Options{
		{Compression: "lz4"},
		{Encryption: &Encryption{}},
		{Retention: Retention{KeepLast: -1}},
		{Retention: Retention{KeepLast: 1}, Encryption: &Encryption{Recipients: []age.Recipient{mustRecipient(t)}}},
	} {
		_, err := NewManager(db, mem.New(), o)
		assert.Error(t, err, "%+v", o)
	}
}

func mustRecipient(t *testing.T) age.Recipient {
	id, err := age.GenerateX25519Identity()
	require.NoError(t, err)
	return id.Recipient()
}

func TestStatsAndEvents(t *testing.T) {
	ctx := context.Background()
	var events []Event
	var logs bytes.Buffer
	f := sinktest.NewFaulty(mem.New(), 1)
	db := dictdb.New()
	m, err := NewManager(db, f, Options{
		Incremental: true,
		OnBackup:    func(e Event) { events = append(events, e) },
		Logger:      slog.New(slog.NewTextHandler(&logs, nil)),
	})
	require.NoError(t, err)
	defer m.Stop()

	fill(t, db, 0, 100)
	require.NoError(t, m.BackupNow(ctx))
	fill(t, db, 0, 10)
	require.NoError(t, m.BackupNow(ctx))
	require.NoError(t, m.BackupNow(ctx), "nothing changed: no object, no event")
	f.FailNextPuts(1)
	fill(t, db, 0, 1)
	require.Error(t, m.BackupNow(ctx))

	require.Len(t, events, 3)
	assert.Equal(t, "full", events[0].Kind)
	assert.Equal(t, "delta", events[1].Kind)
	assert.Equal(t, "delta", events[2].Kind)
	assert.NoError(t, events[0].Err)
	assert.Error(t, events[2].Err)
	sizes := map[string]int64{}
	objs, err := sinktest.ListBut(ctx, f, LeaseKey)
	require.NoError(t, err)
	for _, o := range objs {
		sizes[o.Key] = o.Size
	}
	assert.Equal(t, sizes[events[0].Key], events[0].Bytes, "bytes written are the object's size")
	assert.Equal(t, sizes[events[1].Key], events[1].Bytes)
	assert.Zero(t, events[2].Bytes)

	st := m.Stats()
	assert.Equal(t, int64(2), st.Backups)
	assert.Equal(t, int64(1), st.FullBackups)
	assert.Equal(t, int64(1), st.Failures)
	assert.Equal(t, 1, st.ConsecutiveFailure)
	assert.Equal(t, events[1].Key, st.LastKey)
	assert.Equal(t, "delta", st.LastKind)
	assert.Equal(t, events[0].Bytes+events[1].Bytes, st.BytesWritten)
	assert.Error(t, st.LastError)
	assert.Equal(t, 1, st.PendingChanges, "the failed delta's change is pending")
	assert.Equal(t, 1, st.DeltasSinceFull)

	out := logs.String()
	assert.Equal(t, 2, strings.Count(out, "msg=\"backup written\""), out)
	assert.Equal(t, 1, strings.Count(out, "msg=\"backup failed\""), out)
	assert.Contains(t, out, events[0].Key)
}
