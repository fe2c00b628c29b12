package dictdb

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The Python side of the format: Python's json module reads what Save
// writes, with the types intact, and what Python writes back (json.dump's
// defaults: ASCII escapes, ", " and ": ") loads here with the types intact.
const pythonRoundTrip = `
import json, sys
src, dst = sys.argv[1], sys.argv[2]
with open(src) as f:
    data = json.load(f)
users = data["tables"]["users"]
assert users["primary_key"] == "id", users
assert users["schema"] == {"id": "int", "name": "str", "score": "float", "tags": "list", "meta": "dict", "ok": "bool"}, users["schema"]
recs = {r["id"]: r for r in users["records"]}
r = recs[1]
assert type(r["id"]) is int and type(r["score"]) is float and r["score"] == 3.0, r
assert r["name"] == "Zo\u00e9 \u2028", repr(r["name"])
assert r["meta"] == {"big": 9223372036854775807, "f": 1e+21}, r["meta"]
assert r["tags"] == [1, 2.5, None, True], r["tags"]
recs[2] = {"id": 2, "name": "from python \u00e9", "score": 2.0, "tags": [], "meta": {}, "ok": False}
users["records"] = list(recs.values())
with open(dst, "w") as f:
    json.dump({"tables": data["tables"]}, f)
`

func TestPythonJSONBothWays(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("python3 is not installed: CI must check the format against Python's json module")
		}
		t.Skip("python3 is not installed; install it to check the format against Python's json module")
	}
	db := New()
	users, err := db.CreateTable("users", WithSchema(Schema{"id": Int, "name": String, "score": Float, "tags": List, "meta": Dict, "ok": Bool}))
	require.NoError(t, err)
	_, err = users.Insert(Record{"name": "Zoé \u2028", "score": 3.0, "tags": []any{1, 2.5, nil, true}, "meta": map[string]any{"big": int64(9223372036854775807), "f": 1e21}, "ok": true})
	require.NoError(t, err)

	dir := t.TempDir()
	src, dst := filepath.Join(dir, "go.json"), filepath.Join(dir, "py.json")
	require.NoError(t, db.SaveFile(src, FormatJSON))
	script := filepath.Join(dir, "rt.py")
	require.NoError(t, os.WriteFile(script, []byte(pythonRoundTrip), 0o644))
	out, err := exec.Command(py, script, src, dst).CombinedOutput()
	require.NoError(t, err, "python: %s", out)

	back, err := LoadFile(dst, FormatJSON)
	require.NoError(t, err)
	bu, err := back.Table("users")
	require.NoError(t, err)
	r1, _ := bu.Get(1)
	assert.Equal(t, Record{"id": int64(1), "name": "Zoé \u2028", "score": 3.0, "tags": []any{int64(1), 2.5, nil, true}, "meta": map[string]any{"big": int64(9223372036854775807), "f": 1e21}, "ok": true}, r1)
	r2, _ := bu.Get(2)
	assert.Equal(t, Record{"id": int64(2), "name": "from python é", "score": 2.0, "tags": []any{}, "meta": map[string]any{}, "ok": false}, r2)
}
