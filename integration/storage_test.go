//go:build integration

package integration

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/backup"
	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/restore"
	"github.com/dictdb/dictdb-go/sink/sinktest"
)

// Every format, compressed and encrypted, round trips through each real
// server, and no plaintext byte is stored.
func TestCompressedEncryptedRoundTrip(t *testing.T) {
	const secret = "integration-plaintext-marker"
	id, err := age.GenerateX25519Identity()
	require.NoError(t, err)
	each(t, func(t *testing.T, b backend) {
		for _, f := range dictdb.Formats() {
			for _, c := range []backup.Compression{backup.CompressionZstd, backup.CompressionGzip} {
				t.Run(string(f)+"-"+string(c), func(t *testing.T) {
					s := b.open(t)
					db := dictdb.New()
					vault, err := db.CreateTable("vault")
					require.NoError(t, err)
					m, err := backup.NewManager(db, s, backup.Options{
						Interval: -1, Incremental: true, Format: f, Compression: c,
						Encryption: &backup.Encryption{Recipients: []age.Recipient{id.Recipient()}},
					})
					require.NoError(t, err)
					defer m.Stop()
					for i := 0; i < 3000; i++ {
						_, err := vault.Insert(dictdb.Record{"note": secret, "i": int64(i)})
						require.NoError(t, err)
					}
					require.NoError(t, m.BackupNow(ctx))
					_, err = vault.Delete(func(r dictdb.Record) bool { return r["i"].(int64)%2 == 0 })
					require.NoError(t, err)
					require.NoError(t, m.BackupNow(ctx))

					objs, err := sinktest.ListBut(ctx, s, backup.LeaseKey)
					require.NoError(t, err)
					require.Len(t, objs, 2)
					for _, o := range objs {
						assert.True(t, strings.HasSuffix(o.Key, ".age"), o.Key)
						rc, err := s.Get(ctx, o.Key)
						require.NoError(t, err)
						stored, err := io.ReadAll(rc)
						rc.Close()
						require.NoError(t, err)
						assert.False(t, bytes.Contains(stored, []byte(secret)), "%s holds plaintext", o.Key)
						assert.False(t, bytes.Contains(stored, []byte("vault")), "%s holds plaintext", o.Key)
					}
					_, err = restore.Latest(ctx, s)
					assert.ErrorIs(t, err, restore.ErrNoKey)
					got, err := restore.Latest(ctx, s, restore.WithIdentities(id))
					require.NoError(t, err)
					requireSameDB(t, db, got)
				})
			}
		}
	})
}
