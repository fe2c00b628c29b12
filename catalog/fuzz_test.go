package catalog_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/catalog"
	"github.com/dictdb/dictdb-go/dictdb"
)

// FuzzHeader's seeds run as ordinary tests with `go test`, together with
// the files under testdata/fuzz/FuzzHeader/; scripts/fuzz.sh fuzzes it for
// real.

type headerSeed struct {
	name string
	data []byte
}

// encodeObject writes an object with header h through the real encoders, as
// backup.Manager does (less the checksum trailer).
func encodeObject(tb testing.TB, h catalog.Header) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if h.Kind == catalog.Delta {
		d := &dictdb.Delta{Tables: map[string]*dictdb.TableDelta{
			"users": {Upserts: []dictdb.Record{{"id": int64(1), "name": "A"}}, Deletes: []any{int64(2)}},
		}}
		require.NoError(tb, dictdb.EncodeDelta(&buf, h.Codec, d, h.Meta()))
		return buf.Bytes()
	}
	db := dictdb.New()
	users, err := db.CreateTable("users", dictdb.WithSchema(dictdb.Schema{"id": dictdb.Int, "name": dictdb.String}))
	require.NoError(tb, err)
	_, err = users.Insert(dictdb.Record{"name": "A"})
	require.NoError(tb, err)
	snap := db.Snapshot()
	snap.Seq = h.Seq
	require.NoError(tb, snap.Encode(&buf, h.Codec, h.Meta()))
	return buf.Bytes()
}

func headerSeeds(tb testing.TB) []headerSeed {
	tb.Helper()
	full := catalog.Header{Kind: catalog.Full, Version: catalog.FormatVersion, Codec: dictdb.FormatJSON, Chain: "c0ffee", Seq: 7, Timestamp: 1700000000.123456}
	delta := catalog.Header{Kind: catalog.Delta, Version: catalog.FormatVersion, Codec: dictdb.FormatJSON, Chain: "c0ffee",
		Base: catalog.Key(catalog.Full, 1700000000_123456, catalog.Encoding{Format: dictdb.FormatJSON}), FromSeq: 7, Seq: 12, Timestamp: 1700000001.5}
	fullDoc, deltaDoc := encodeObject(tb, full), encodeObject(tb, delta)
	return []headerSeed{
		{"encoder-full", fullDoc},
		{"encoder-delta", deltaDoc},
		{"truncated-full", fullDoc[:len(fullDoc)/2]},
		{"truncated-delta", deltaDoc[:len(deltaDoc)/2]},
		{"python-full", []byte(`{"tables": {"users": {"primary_key": "id", "schema": null, "records": [{"id": 1, "name": "A"}]}}}`)},
		{"python-delta", []byte(`{"type": "delta", "timestamp": 1.5, "tables": {"users": {"upserts": [{"id": 1}], "deletes": [2]}}}`)},
		{"int-timestamp", []byte(`{"type": "delta", "timestamp": 1700000000, "chain": "c", "format_version": 1, "codec": "json", "sequence": 2, "from_sequence": 1, "base": "b", "tables": {}}`)},
		{"future-version", []byte(`{"format_version": 99, "chain": "c", "codec": "json", "sequence": 1, "tables": {}}`)},
		{"unknown-codec", []byte(`{"format_version": 1, "chain": "c", "codec": "xml", "sequence": 1, "tables": {}}`)},
		{"empty-chain", []byte(`{"format_version": 1, "chain": "", "codec": "json", "sequence": 1, "tables": {}}`)},
		{"range-reversed", []byte(`{"type": "delta", "chain": "c", "format_version": 1, "codec": "json", "sequence": 3, "from_sequence": 3, "base": "b", "tables": {}}`)},
		{"type-mismatch", []byte(`{"type": "full", "chain": "c", "format_version": 1, "codec": "json", "sequence": 3, "tables": {}}`)},
		{"wrong-types", []byte(`{"type": "delta", "chain": 5, "format_version": "1", "codec": null, "sequence": 1.5, "from_sequence": -1, "base": [], "timestamp": "x", "tables": {}}`)},
		{"huge-numbers", []byte(`{"format_version": 1, "chain": "c", "codec": "json", "sequence": 9223372036854775807, "timestamp": 1e308, "tables": {}}`)},
		{"nan", []byte(`{"format_version": 1, "chain": "c", "codec": "json", "sequence": 1, "timestamp": NaN, "tables": {}}`)},
		{"deep", []byte(`{"chain": ` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `, "tables": {}}`)},
	}
}

// headerRoundTrip checks that a non-legacy header survives Meta and FromMeta,
// directly and through the encoder and decoder of its kind.
func headerRoundTrip(t *testing.T, kind catalog.Kind, h catalog.Header) {
	m := h.Meta()
	if kind == catalog.Full {
		m["sequence"] = int64(h.Seq) // written by Snapshot.Encode, not Meta
	}
	got, err := catalog.FromMeta(kind, m)
	require.NoError(t, err, "FromMeta of Meta of %+v", h)
	require.Equal(t, h, got)

	var buf bytes.Buffer
	var meta dictdb.Meta
	if kind == catalog.Delta {
		require.NoError(t, dictdb.EncodeDelta(&buf, h.Codec, &dictdb.Delta{}, h.Meta()))
		_, meta, err = dictdb.DecodeDelta(bytes.NewReader(buf.Bytes()), h.Codec)
	} else {
		snap := dictdb.New().Snapshot()
		snap.Seq = h.Seq
		require.NoError(t, snap.Encode(&buf, h.Codec, h.Meta()))
		_, meta, err = dictdb.LoadMeta(bytes.NewReader(buf.Bytes()), h.Codec)
	}
	require.NoError(t, err, "decoding %q", buf.Bytes())
	got, err = catalog.FromMeta(kind, meta)
	require.NoError(t, err, "FromMeta of %q", buf.Bytes())
	require.Equal(t, h, got, "through the codec: %q", buf.Bytes())
}

// FuzzHeader: reading a header from any decodable object never panics, and a
// header that reads back is written and read again unchanged.
func FuzzHeader(f *testing.F) {
	for _, s := range headerSeeds(f) {
		f.Add(s.data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var metas []dictdb.Meta
		if _, m, err := dictdb.DecodeDelta(bytes.NewReader(data), dictdb.FormatJSON); err == nil {
			metas = append(metas, m)
		}
		if _, m, err := dictdb.LoadMeta(bytes.NewReader(data), dictdb.FormatJSON); err == nil {
			metas = append(metas, m)
		}
		for _, m := range metas {
			for _, kind := range []catalog.Kind{catalog.Full, catalog.Delta} {
				h, err := catalog.FromMeta(kind, m)
				if err != nil {
					continue
				}
				require.Equal(t, kind, h.Kind)
				if h.Legacy() {
					require.Zero(t, h.Version)
					continue
				}
				headerRoundTrip(t, kind, h)
			}
		}
	})
}
