package catalog

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/dictdb"
)

func TestKeyParseRoundTrip(t *testing.T) {
	json := Encoding{Format: dictdb.FormatJSON}
	cases := []struct {
		kind   Kind
		micros int64
		enc    Encoding
		key    string
	}{
		{Full, 1234567890_123456, json, "dictdb_backup_1234567890_123456.json"},
		{Delta, 1234567890_000001, json, "dictdb_delta_1234567890_000001.json"},
		{Full, 5, json, "dictdb_backup_0_000005.json"},
		{Full, 5, Encoding{Format: "cbor", Compression: CompressionZstd}, "dictdb_backup_0_000005.cbor.zst"},
		{Delta, 5, Encoding{Format: dictdb.FormatJSON, Compression: CompressionGzip, Encrypted: true}, "dictdb_delta_0_000005.json.gz.age"},
		{Delta, 5, Encoding{Format: dictdb.FormatJSON, Encrypted: true}, "dictdb_delta_0_000005.json.age"},
	}
	for _, c := range cases {
		key := Key(c.kind, c.micros, c.enc)
		assert.Equal(t, c.key, key)
		n, ok := Parse(key)
		require.True(t, ok, key)
		assert.Equal(t, Name{Key: key, Kind: c.kind, Micros: c.micros, Encoding: c.enc}, n)
	}
	for _, bad := range []string{"", "notes.txt", "dictdb_backup_.json", "dictdb_backup_12_34.json", "dictdb_delta_x_000001.json", "dictdb_backup_1_000001", "dictdb_backup_-1_000001.json", "dir/dictdb_backup_1_000001.json", "dictdb_backup_1_000001.zst", "dictdb_backup_1_000001.age", "dictdb_backup_1_000001.json.age.zst", "dictdb_backup_1_000001.json.x.zst"} {
		_, ok := Parse(bad)
		assert.False(t, ok, bad)
	}
}

func TestSortIsChronologicalAcrossKinds(t *testing.T) {
	var names []Name
	for _, k := range []string{"dictdb_delta_1700000000_000003.json", "dictdb_backup_1700000000_000002.json", "dictdb_delta_999999999_999999.json", "dictdb_backup_1700000000_000001.json"} {
		n, ok := Parse(k)
		require.True(t, ok)
		names = append(names, n)
	}
	Sort(names)
	var got []string
	for _, n := range names {
		got = append(got, n.Key)
	}
	assert.Equal(t, []string{"dictdb_delta_999999999_999999.json", "dictdb_backup_1700000000_000001.json", "dictdb_backup_1700000000_000002.json", "dictdb_delta_1700000000_000003.json"}, got)
}

func TestClock(t *testing.T) {
	now := time.Unix(100, 0)
	c := Clock{Now: func() time.Time { return now }}
	a, b := c.Next(), c.Next()
	assert.Equal(t, int64(100_000_000), a)
	assert.Equal(t, a+1, b, "strictly increasing within one microsecond")
	c.Observe(500_000_000)
	assert.Equal(t, int64(500_000_001), c.Next(), "after everything observed")
	now = time.Unix(50, 0) // the wall clock steps back
	assert.Equal(t, int64(500_000_002), c.Next())
}

func TestHeaderRoundTrip(t *testing.T) {
	full := Header{Kind: Full, Version: FormatVersion, Codec: dictdb.FormatJSON, Chain: "abc", Seq: 7, Timestamp: 1.5}
	m := full.Meta()
	m["sequence"] = int64(7) // written by the snapshot encoder
	got, err := FromMeta(Full, m)
	require.NoError(t, err)
	assert.Equal(t, full, got)

	delta := Header{Kind: Delta, Version: FormatVersion, Codec: dictdb.FormatJSON, Chain: "abc", Base: "dictdb_backup_1_000000.json", FromSeq: 7, Seq: 9, Timestamp: 2}
	got, err = FromMeta(Delta, delta.Meta())
	require.NoError(t, err)
	assert.Equal(t, delta, got)

	_, err = FromMeta(Full, dictdb.Meta{"format_version": int64(99)})
	require.Error(t, err, "a version without a chain is not a Python-written object")

	legacy, err := FromMeta(Delta, dictdb.Meta{"type": "delta", "timestamp": 3.25})
	require.NoError(t, err)
	assert.True(t, legacy.Legacy())
	assert.Equal(t, 3.25, legacy.Timestamp)
}

func TestHeaderErrors(t *testing.T) {
	base := func() dictdb.Meta {
		return Header{Kind: Delta, Codec: dictdb.FormatJSON, Chain: "c", Base: "b", FromSeq: 1, Seq: 2}.Meta()
	}
	cases := map[string]func(dictdb.Meta){
		"type mismatch":    func(m dictdb.Meta) { m["type"] = "full" },
		"empty chain":      func(m dictdb.Meta) { m["chain"] = "" },
		"chain not string": func(m dictdb.Meta) { m["chain"] = int64(1) },
		"no version":       func(m dictdb.Meta) { delete(m, "format_version") },
		"future version":   func(m dictdb.Meta) { m["format_version"] = int64(FormatVersion + 1) },
		"unknown codec":    func(m dictdb.Meta) { m["codec"] = "xml" },
		"no sequence":      func(m dictdb.Meta) { delete(m, "sequence") },
		"range reversed":   func(m dictdb.Meta) { m["from_sequence"] = int64(5) },
		"no base":          func(m dictdb.Meta) { delete(m, "base") },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			m := base()
			_, err := FromMeta(Delta, m)
			require.NoError(t, err)
			mutate(m)
			_, err = FromMeta(Delta, m)
			require.Error(t, err)
		})
	}
}
