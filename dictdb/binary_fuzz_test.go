package dictdb_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/dictdb"
)

// binarySeeds are FormatBinary documents, valid and not: the encoders'
// output, generic CBOR forms (definite-length top level, no tag, sorted
// keys) and every bad input of TestLoadBinaryRejectsBadInput.
func binarySeeds(tb testing.TB) []seed {
	tb.Helper()
	db := seedFullDB(tb)
	full := saveBinary(tb, db)
	var withHeader, delta, deltaHeader bytes.Buffer
	require.NoError(tb, db.Snapshot().Encode(&withHeader, dictdb.FormatBinary, seedHeader("full")))
	require.NoError(tb, dictdb.EncodeDelta(&delta, dictdb.FormatBinary, seedDelta(), dictdb.Meta{"timestamp": 1.5}))
	require.NoError(tb, dictdb.EncodeDelta(&deltaHeader, dictdb.FormatBinary, seedDelta(), seedHeader("delta")))
	seeds := []seed{
		{"encoder-full", full},
		{"encoder-full-header", withHeader.Bytes()},
		{"encoder-empty-db", saveBinary(tb, dictdb.New())},
		{"encoder-delta", delta.Bytes()},
		{"encoder-delta-header", deltaHeader.Bytes()},
		{"untagged-definite", cb{}.raw("a2").s("sequence").i(3).s("tables").raw("a1").s("t").
			raw("a3").s("schema").raw("f6").s("records").v([]any{map[string]any{"k": "x", "f": 0.5}}).s("primary_key").s("k")},
		{"indefinite-everything", cb(nil).raw("bf").s("tables").raw("bf").s("t").raw("bf").s("records").raw("9f").
			raw("bf 7f 6169 6164 ff 01 6166 f93c00 ff").raw("ff ff ff ff")},
		{"delta-create-drop", doc().s("type").s("delta").s("dropped_tables").v([]any{"events"}).s("tables").raw("a1").s("users").
			raw("a2").s("create").v(map[string]any{"primary_key": "id", "schema": nil}).s("upserts").v([]any{map[string]any{"id": "s"}}).end()},
		{"delta-truncated", delta.Bytes()[:delta.Len()/2]},
		{"full-truncated", full[:len(full)/2]},
		{"json-full", []byte(`{"tables": {}}`)},
	}
	for name, data := range binaryBadInputs(tb) {
		seeds = append(seeds, seed{"bad-" + strings.ReplaceAll(name, " ", "-"), data})
	}
	return seeds
}

// FuzzLoadBinary: loading or decoding a delta from any bytes in
// FormatBinary never panics and fails with ErrCorrupt; whatever loads saves
// and loads back to the same database and meta, in both formats; whatever
// decodes as a delta encodes and decodes back the same, in both formats.
func FuzzLoadBinary(f *testing.F) {
	for _, s := range binarySeeds(f) {
		f.Add(s.data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		db, meta, err := dictdb.LoadMeta(bytes.NewReader(data), dictdb.FormatBinary)
		if err != nil {
			require.ErrorIs(t, err, dictdb.ErrCorrupt)
			require.Nil(t, db)
		} else {
			rest := dictdb.Meta{}
			for k, v := range meta {
				if k != "sequence" { // written by Encode itself
					rest[k] = v
				}
			}
			for _, f := range []dictdb.Format{dictdb.FormatBinary, dictdb.FormatJSON} {
				var buf bytes.Buffer
				require.NoError(t, db.Snapshot().Encode(&buf, f, rest), "a loaded database must save as %s", f)
				back, meta2, err := dictdb.LoadMeta(bytes.NewReader(buf.Bytes()), f)
				require.NoError(t, err, "what Encode wrote must load: %q", buf.Bytes())
				requireEqualDB(t, db, back)
				if _, ok := meta["sequence"]; !ok {
					meta2 = dictdb.Meta(withoutKey(meta2, "sequence"))
				}
				require.Equal(t, meta, meta2)
			}
		}

		d, meta, err := dictdb.DecodeDelta(bytes.NewReader(data), dictdb.FormatBinary)
		if err != nil {
			require.ErrorIs(t, err, dictdb.ErrCorrupt)
			require.Nil(t, d)
			return
		}
		require.Equal(t, "delta", meta["type"])
		rest := withoutKey(meta, "type")
		for _, f := range []dictdb.Format{dictdb.FormatBinary, dictdb.FormatJSON} {
			var buf bytes.Buffer
			require.NoError(t, dictdb.EncodeDelta(&buf, f, d, rest), "a decoded delta must encode as %s", f)
			d2, meta2, err := dictdb.DecodeDelta(bytes.NewReader(buf.Bytes()), f)
			require.NoError(t, err, "what EncodeDelta wrote must decode: %q", buf.Bytes())
			require.Equal(t, d, d2)
			require.Equal(t, meta, meta2)
		}
	})
}

func withoutKey(m dictdb.Meta, key string) dictdb.Meta {
	out := dictdb.Meta{}
	for k, v := range m {
		if k != key {
			out[k] = v
		}
	}
	return out
}

// TestFuzzLoadBinaryCorpusFiles checks that the corpus files parse as the
// fuzzing engine expects, so they are really run as seeds.
func TestFuzzLoadBinaryCorpusFiles(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzLoadBinary")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.NotEmpty(t, entries)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		text := string(b)
		require.True(t, strings.HasPrefix(text, "go test fuzz v1\n[]byte("), e.Name())
		lit := strings.TrimSuffix(strings.TrimPrefix(text, "go test fuzz v1\n[]byte("), ")\n")
		_, err = strconv.Unquote(lit)
		require.NoError(t, err, e.Name())
	}
}
