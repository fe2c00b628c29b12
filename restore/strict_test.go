package restore_test

import (
	"bytes"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/backup"
	"github.com/dictdb/dictdb-go/catalog"
	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/restore"
	"github.com/dictdb/dictdb-go/sink"
	"github.com/dictdb/dictdb-go/sink/mem"
)

// twoChains writes an older chain (F0 D0) and a newer one (F1 D1 D2 D3) to
// a memory sink, and returns the sink, the names in order and the database
// at the newest point of each chain.
func twoChains(t *testing.T, opts backup.Options) (s *mem.Sink, keys []string, older, newer *dictdb.DB) {
	t.Helper()
	s = mem.New()
	db := dictdb.New()
	users, err := db.CreateTable("users")
	require.NoError(t, err)
	opts.Interval, opts.Incremental = -1, true
	m, err := backup.NewManager(db, s, opts)
	require.NoError(t, err)
	defer m.Stop()
	step := func(name string, full bool) {
		_, err := users.Insert(dictdb.Record{"name": name})
		require.NoError(t, err)
		if full {
			require.NoError(t, m.BackupFull(ctx))
		} else {
			require.NoError(t, m.BackupDelta(ctx))
		}
	}
	step("a", true)
	step("b", false)
	older = snapshotDB(t, db)
	step("c", true)
	step("d", false)
	step("e", false)
	step("f", false)
	for _, n := range names(t, s) {
		keys = append(keys, n.Key)
	}
	require.Len(t, keys, 6)
	return s, keys, older, db
}

func snapshotDB(t *testing.T, db *dictdb.DB) *dictdb.DB {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, db.Save(&buf, dictdb.FormatJSON))
	out, err := dictdb.Load(&buf, dictdb.FormatJSON)
	require.NoError(t, err)
	return out
}

func getBytes(t *testing.T, s sink.Sink, key string) []byte {
	t.Helper()
	rc, err := s.Get(ctx, key)
	require.NoError(t, err)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	return b
}

func putBytes(t *testing.T, s sink.Sink, key string, b []byte) {
	t.Helper()
	require.NoError(t, s.Put(ctx, key, bytes.NewReader(b)))
}

// requireInexact checks that err refuses the restore, naming every key in
// bad, and names newest as the newest exact point ("" for none).
func requireInexact(t *testing.T, err error, newest string, bad ...string) *restore.UnaccountedError {
	t.Helper()
	require.Error(t, err, "a restore that cannot account for every object must fail")
	require.ErrorIs(t, err, restore.ErrCorrupt)
	require.ErrorIs(t, err, dictdb.ErrCorrupt, "one sentinel")
	var ue *restore.UnaccountedError
	require.ErrorAs(t, err, &ue, "%v", err)
	for _, k := range bad {
		assert.Contains(t, err.Error(), k)
	}
	if newest == "" {
		assert.Nil(t, ue.Newest)
	} else {
		require.NotNil(t, ue.Newest, "%v", err)
		assert.Equal(t, newest, ue.Newest.Key)
		assert.Contains(t, err.Error(), "newest point that restores exactly is "+newest)
	}
	return ue
}

// requireVerifyFlags checks that Verify reports a problem for each key and
// lists none of them as a point.
func requireVerifyFlags(t *testing.T, s sink.Sink, keys ...string) *restore.Report {
	t.Helper()
	report, err := restore.Verify(ctx, s)
	require.NoError(t, err)
	problems := map[string]bool{}
	for _, p := range report.Problems {
		problems[p.Key] = true
	}
	for _, k := range keys {
		assert.True(t, problems[k], "Verify reports %s: %v", k, report.Err())
		for _, p := range report.Points {
			assert.NotEqual(t, k, p.Key, "Verify lists %s as a point", k)
		}
	}
	return report
}

// Each way of damaging or misplacing an object after the newest full
// backup used to give an older state with no error; each is refused now,
// naming the object and the newest exact point, which then restores.
func TestStrictRestore(t *testing.T) {
	t.Run("chain id changed in the newest delta's header", func(t *testing.T) {
		s, k, _, _ := twoChains(t, backup.Options{})
		b := getBytes(t, s, k[5])
		i := bytes.Index(b, []byte(`"chain": "`)) + len(`"chain": "`)
		b[i] ^= 0x01
		putBytes(t, s, k[5], b)
		_, err := restore.Latest(ctx, s)
		requireInexact(t, err, k[4], k[5])
		assert.Contains(t, err.Error(), "checksum mismatch", "the object is read through and its checksum checked")
		requireVerifyFlags(t, s, k[5])
	})
	t.Run("base name changed in the newest delta's header", func(t *testing.T) {
		s, k, _, _ := twoChains(t, backup.Options{})
		b := getBytes(t, s, k[5])
		b = bytes.Replace(b, []byte(`"base": "`+k[2]), []byte(`"base": "`+k[0]), 1)
		putBytes(t, s, k[5], b)
		_, err := restore.Latest(ctx, s)
		requireInexact(t, err, k[4], k[5])
		assert.Contains(t, err.Error(), "checksum mismatch")
		requireVerifyFlags(t, s, k[5])
	})
	t.Run("a copy of a full backup under a later name", func(t *testing.T) {
		s, k, _, newer := twoChains(t, backup.Options{})
		last := names(t, s)[5]
		copyKey := catalog.Key(catalog.Full, last.Micros+1000, last.Encoding) // later than every object
		putBytes(t, s, copyKey, getBytes(t, s, k[2]))
		_, err := restore.Latest(ctx, s)
		requireInexact(t, err, k[5], copyKey)
		assert.Contains(t, err.Error(), "the name says")
		requireVerifyFlags(t, s, copyKey)
		points, err := restore.List(ctx, s)
		require.NoError(t, err)
		assert.Equal(t, k[5], points[len(points)-1].Key)
		ue := requireInexact(t, err2(restore.Latest(ctx, s)), k[5], copyKey)
		got, err := restore.ToTime(ctx, s, ue.Newest.Time)
		require.NoError(t, err)
		requireSameDB(t, newer, got)
	})
	t.Run("the same copy between two deltas", func(t *testing.T) {
		s, k, _, _ := twoChains(t, backup.Options{})
		// Named between D1 and D2, one microsecond after D1.
		n := names(t, s)[3]
		copyKey := catalog.Key(catalog.Full, n.Micros+1, n.Encoding)
		putBytes(t, s, copyKey, getBytes(t, s, k[2]))
		_, err := restore.Latest(ctx, s)
		requireInexact(t, err, k[3], copyKey, k[4], k[5])
		report := requireVerifyFlags(t, s, copyKey)
		assert.Equal(t, k[3], report.Points[len(report.Points)-1].Key, "points end before the copy")
	})
	t.Run("the newest full backup replaced with another chain's", func(t *testing.T) {
		s, k, older, newer := twoChains(t, backup.Options{})
		putBytes(t, s, k[2], getBytes(t, s, k[0]))
		_, err := restore.Latest(ctx, s)
		requireInexact(t, err, k[1], k[2], k[3], k[4], k[5])
		_, err = restore.ToSeq(ctx, s, newer.Sequence())
		requireInexact(t, err, k[1], k[2])
		requireVerifyFlags(t, s, k[2], k[3], k[4], k[5])
		// ToSeq cannot tell what the damaged full backup held: refused too.
		_, err = restore.ToSeq(ctx, s, older.Sequence())
		ue := requireInexact(t, err, k[1], k[2])
		got, err := restore.ToTime(ctx, s, ue.Newest.Time)
		require.NoError(t, err, "the older chain is still exact")
		requireSameDB(t, older, got)
	})
	t.Run("the newest full backup deleted while an older chain exists", func(t *testing.T) {
		s, k, older, newer := twoChains(t, backup.Options{})
		require.NoError(t, s.Delete(ctx, k[2]))
		_, err := restore.Latest(ctx, s)
		ue := requireInexact(t, err, k[1], k[3], k[4], k[5])
		assert.Equal(t, []string{k[2]}, ue.Missing)
		_, err = restore.ToSeq(ctx, s, newer.Sequence())
		requireInexact(t, err, k[1], k[3])
		requireVerifyFlags(t, s, k[3], k[4], k[5])
		got, err := restore.ToTime(ctx, s, ue.Newest.Time)
		require.NoError(t, err)
		requireSameDB(t, older, got)
	})
	t.Run("the only full backup deleted", func(t *testing.T) {
		s, k, _, _ := twoChains(t, backup.Options{})
		for _, key := range k[:3] {
			require.NoError(t, s.Delete(ctx, key))
		}
		_, err := restore.Latest(ctx, s)
		assert.NotErrorIs(t, err, restore.ErrNoBackup)
		ue := requireInexact(t, err, "", k[3], k[4], k[5])
		assert.Equal(t, []string{k[2]}, ue.Missing, "names the full backup the deltas build on")
		assert.Contains(t, err.Error(), "missing full backup: "+k[2])
		requireVerifyFlags(t, s, k[3], k[4], k[5])
	})
}

func err2(_ *dictdb.DB, err error) error { return err }

// flipEach flips, one at a time, a random bit pattern into each byte of
// b[from:to], stores encode(b) as key, and checks that Latest then gives
// want or refuses, naming key: never another state.
func flipEach(t *testing.T, s sink.Sink, key string, want *dictdb.DB, b []byte, from, to int, encode func([]byte) []byte) {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(from), uint64(to)))
	refused := 0
	for i := from; i < to; i++ {
		flipped := append([]byte(nil), b...)
		flipped[i] ^= byte(1 + rng.IntN(255))
		putBytes(t, s, key, encode(flipped))
		got, err := restore.Latest(ctx, s)
		if err != nil {
			require.ErrorIs(t, err, restore.ErrCorrupt, "byte %d", i)
			assert.Contains(t, err.Error(), key, "byte %d", i)
			refused++
			continue
		}
		requireSameDB(t, want, got, "byte %d (%q): an unrefused flip must not change the state", i, flipped[max(0, i-10):min(len(flipped), i+10)])
	}
	t.Logf("%d of %d flips refused", refused, to-from)
	assert.Positive(t, refused)
}

// A byte flipped anywhere in the first bytes of a zstd-compressed delta
// gives the exact state or an error naming the object: never the state
// before it.
func TestFlippedByteInCompressedHeader(t *testing.T) {
	s, k, _, newer := twoChains(t, backup.Options{Compression: backup.CompressionZstd})
	orig := getBytes(t, s, k[5])
	flipEach(t, s, k[5], newer, orig, 0, min(len(orig), 96), func(b []byte) []byte { return b })
}

// The same inside the compression: a byte of the delta's own header
// flipped, then compressed again, so that zstd itself sees nothing wrong.
func TestFlippedByteInHeaderUnderCompression(t *testing.T) {
	s, k, _, newer := twoChains(t, backup.Options{Compression: backup.CompressionZstd})
	zr, err := zstd.NewReader(bytes.NewReader(getBytes(t, s, k[5])))
	require.NoError(t, err)
	plain, err := io.ReadAll(zr)
	zr.Close()
	require.NoError(t, err)
	end := bytes.Index(plain, []byte(`"tables"`))
	require.Positive(t, end)
	flipEach(t, s, k[5], newer, plain, 1, end, func(b []byte) []byte {
		var buf bytes.Buffer
		zw, err := zstd.NewWriter(&buf)
		require.NoError(t, err)
		_, err = zw.Write(b)
		require.NoError(t, err)
		require.NoError(t, zw.Close())
		return buf.Bytes()
	})
}

// Corruption found anywhere matches one sentinel: restore.ErrCorrupt is
// dictdb.ErrCorrupt. A missing identity is not corruption.
func TestOneErrCorrupt(t *testing.T) {
	require.Same(t, restore.ErrCorrupt, dictdb.ErrCorrupt)
	s := mem.New()
	chain(t, s)
	ns := names(t, s)
	full := getBytes(t, s, ns[0].Key)
	db, err := dictdb.Load(bytes.NewReader(full), dictdb.FormatJSON)
	require.NoError(t, err)

	errs := map[string]error{}
	_, errs["decoder"] = dictdb.Load(strings.NewReader(`{"tables": {"t": [`), dictdb.FormatJSON)
	edited := bytes.Replace(getBytes(t, s, ns[1].Key), []byte(`"Bob"`), []byte(`"Rob"`), 1)
	_, errs["ApplyDelta checksum"] = restore.ApplyDelta(db, bytes.NewReader(edited))
	_, errs["ApplyDelta gap"] = restore.ApplyDelta(db, bytes.NewReader(getBytes(t, s, ns[2].Key)))
	truncated := mem.New()
	chain(t, truncated)
	tn := names(t, truncated)
	putBytes(t, truncated, tn[3].Key, getBytes(t, truncated, tn[3].Key)[:100])
	_, errs["restore"] = restore.Latest(ctx, truncated)
	require.NoError(t, s.Delete(ctx, ns[2].Key))
	_, errs["restore gap"] = restore.Latest(ctx, s)
	for name, err := range errs {
		require.Error(t, err, name)
		assert.ErrorIs(t, err, restore.ErrCorrupt, name)
		assert.ErrorIs(t, err, dictdb.ErrCorrupt, name)
	}
	var gap *restore.GapError
	assert.ErrorAs(t, errs["ApplyDelta gap"], &gap)
	assert.ErrorAs(t, errs["restore gap"], &gap)

	id, err := age.GenerateX25519Identity()
	require.NoError(t, err)
	enc := mem.New()
	edb := dictdb.New()
	_, _ = edb.CreateTable("t")
	m, err := backup.NewManager(edb, enc, backup.Options{Interval: -1, Encryption: &backup.Encryption{Recipients: []age.Recipient{id.Recipient()}}})
	require.NoError(t, err)
	require.NoError(t, m.BackupNow(ctx))
	m.Stop()
	_, err = restore.Latest(ctx, enc)
	require.ErrorIs(t, err, restore.ErrNoKey)
	assert.NotErrorIs(t, err, restore.ErrCorrupt, "a missing identity is not damage")
}
