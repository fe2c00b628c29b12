package dictdb_test

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/dictdb"
)

// layoutDB and layoutDelta have a bit of everything the document walk
// writes: meta fields, a schema, an empty table, nested values, a created
// table, deletes and dropped tables.
func layoutDB(t *testing.T) *dictdb.DB {
	db := dictdb.New()
	users, err := db.CreateTable("users", dictdb.WithSchema(dictdb.Schema{"id": dictdb.Int, "name": dictdb.String, "tags": dictdb.List}))
	require.NoError(t, err)
	_, err = users.Insert(dictdb.Record{"name": "Zoé", "tags": []any{"a", 1.5}})
	require.NoError(t, err)
	_, err = users.Insert(dictdb.Record{"name": "Bob", "tags": []any{}})
	require.NoError(t, err)
	events, err := db.CreateTable("events", dictdb.WithPrimaryKey("k"))
	require.NoError(t, err)
	_, err = events.Insert(dictdb.Record{"k": "x", "n": nil, "m": map[string]any{"b": true}})
	require.NoError(t, err)
	_, err = db.CreateTable("empty")
	require.NoError(t, err)
	return db
}

func layoutDelta() *dictdb.Delta {
	return &dictdb.Delta{
		Tables: map[string]*dictdb.TableDelta{
			"users": {Upserts: []dictdb.Record{{"id": int64(1), "name": "A"}, {"id": int64(9), "name": "B"}}, Deletes: []any{int64(2), "s"}},
			"fresh": {Create: &dictdb.TableSpec{PrimaryKey: "k", Schema: dictdb.Schema{"k": dictdb.String, "v": dictdb.Float}}, Upserts: []dictdb.Record{{"k": "x", "v": 0.5}}},
			"quiet": {},
		},
		Dropped: []string{"gone", "old"},
	}
}

// The documents as the two formats' separate encoders wrote them before
// they shared one walk: the walk must keep them byte for byte.
const (
	layoutJSONFull = `{"chain": "c0", "timestamp": 1.25, "sequence": 6, "tables": {
"empty": {"primary_key": "id", "schema": null, "records": []},
"events": {"primary_key": "k", "schema": null, "records": [
{"k":"x","m":{"b":true},"n":null}]},
"users": {"primary_key": "id", "schema": {"id": "int", "name": "str", "tags": "list"}, "records": [
{"id":1,"name":"Zoé","tags":["a",1.5]},
{"id":2,"name":"Bob","tags":[]}]}}}
`
	layoutJSONDelta = `{"chain": "c0", "timestamp": 1.25, "type": "delta", "dropped_tables": ["gone", "old"], "tables": {
"fresh": {"create": {"primary_key": "k", "schema": {"k": "str", "v": "float"}}, "deletes": [], "upserts": [
{"k":"x","v":0.5}]},
"quiet": {"deletes": [], "upserts": []},
"users": {"deletes": [2, "s"], "upserts": [
{"id":1,"name":"A"},
{"id":9,"name":"B"}]}}}
`
	layoutCBORFull = "" +
		"d9d9f7bf65636861696e6263306974696d657374616d70fb3ff4000000000000" +
		"6873657175656e636506667461626c6573a365656d707479a36b7072696d6172" +
		"795f6b657962696466736368656d61f6677265636f72647380666576656e7473" +
		"a36b7072696d6172795f6b6579616b66736368656d61f6677265636f72647381" +
		"a3616b6178616da16162f5616ef6657573657273a36b7072696d6172795f6b65" +
		"7962696466736368656d61a362696463696e74646e616d656373747264746167" +
		"73646c697374677265636f72647382a362696401646e616d65645a6fc3a96474" +
		"616773826161fb3ff8000000000000a362696402646e616d6563426f62647461" +
		"677380ff"
	layoutCBORDelta = "" +
		"d9d9f7bf65636861696e6263306974696d657374616d70fb3ff4000000000000" +
		"64747970656564656c74616e64726f707065645f7461626c65738264676f6e65" +
		"636f6c64667461626c6573a3656672657368a366637265617465a26b7072696d" +
		"6172795f6b6579616b66736368656d61a2616b63737472617665666c6f617467" +
		"64656c6574657380677570736572747381a2616b61786176fb3fe00000000000" +
		"00657175696574a26764656c6574657380677570736572747380657573657273" +
		"a26764656c6574657382026173677570736572747382a262696401646e616d65" +
		"6141a262696409646e616d656142ff"
)

func TestEncodeLayout(t *testing.T) {
	meta := dictdb.Meta{"timestamp": 1.25, "chain": "c0"}
	for f, want := range map[dictdb.Format][2]string{
		dictdb.FormatJSON:   {layoutJSONFull, layoutJSONDelta},
		dictdb.FormatBinary: {decodeHex(t, layoutCBORFull), decodeHex(t, layoutCBORDelta)},
	} {
		var full, delta bytes.Buffer
		require.NoError(t, layoutDB(t).Snapshot().Encode(&full, f, meta))
		require.NoError(t, dictdb.EncodeDelta(&delta, f, layoutDelta(), meta))
		assert.Equal(t, want[0], full.String(), "full %s", f)
		assert.Equal(t, want[1], delta.String(), "delta %s", f)
	}
}

func decodeHex(t *testing.T, s string) string {
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return string(b)
}
