package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/backup"
	"github.com/dictdb/dictdb-go/catalog"
	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/restore"
	"github.com/dictdb/dictdb-go/sink/local"
)

// twoDatabases is the fixture (database A: chains A1 and A2) followed, in
// the same directory, by a second database B: a full backup at seq 2 and
// deltas at 4 and 7. B's sequence numbers overlap A1's.
type twoDatabases struct {
	*fixture
	b      []restore.Point   // B's points
	bState map[uint64][]byte // B's database (JSON) at each of its points
}

func twoDatabaseFixture(t *testing.T) *twoDatabases {
	t.Helper()
	f := localFixture(t, backup.Options{})
	s, err := local.New(f.dir)
	require.NoError(t, err)
	ctx := context.Background()
	db := dictdb.New()
	orders, err := db.CreateTable("orders")
	require.NoError(t, err)
	// B writes after A released its lease (writeFixture stopped A's manager).
	m, err := backup.NewManager(db, s, backup.Options{Interval: -1, Incremental: true})
	require.NoError(t, err)
	defer m.Stop()
	td := &twoDatabases{fixture: f, bState: map[uint64][]byte{}}
	for i, n := range []int{1, 2, 3} {
		for j := 0; j < n; j++ {
			_, err := orders.Insert(dictdb.Record{"item": fmt.Sprintf("b%d-%d", i, j)})
			require.NoError(t, err)
		}
		if i == 0 {
			require.NoError(t, m.BackupFull(ctx))
		} else {
			require.NoError(t, m.BackupDelta(ctx))
		}
		var buf bytes.Buffer
		require.NoError(t, db.Save(&buf, dictdb.FormatJSON))
		td.bState[db.Sequence()] = buf.Bytes()
	}
	points, err := restore.List(ctx, s)
	require.NoError(t, err)
	require.Len(t, points, 9)
	require.Equal(t, f.points, points[:6])
	td.b = points[6:]
	require.Equal(t, []uint64{2, 4, 7}, []uint64{td.b[0].Seq, td.b[1].Seq, td.b[2].Seq}, "B's sequence numbers")
	require.Less(t, f.points[0].Seq, td.b[2].Seq, "they overlap A1's")
	return td
}

func (td *twoDatabases) requireB(t *testing.T, file string, p restore.Point) {
	t.Helper()
	got, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.JSONEq(t, string(td.bState[p.Seq]), string(got), "restored %s", p.Key)
}

// With two databases in one prefix, a --seq that both have a state for is
// refused (exit 2), listing the chains; --chain picks one.
func TestSeqAmbiguousAcrossChains(t *testing.T) {
	td := twoDatabaseFixture(t)
	out := t.TempDir()
	a1, bPoint := td.points[0], td.b[2]
	seq := strconv.FormatUint(bPoint.Seq, 10) // 7: A1 and B both have a point at or below it

	r := cli(t, nil, "restore", td.url, "--seq", seq, "--out", filepath.Join(out, "x.json"))
	assert.Equal(t, exitUsage, r.code, r)
	assert.Contains(t, r.stderr, "dictdb-backup restore: --seq "+seq+" is ambiguous: 2 chains have a point at or below it")
	assert.Regexp(t, `(?m)^  CHAIN\s+FIRST\s+LAST\s+SEQ\s+FULL BACKUP$`, r.stderr)
	assert.Regexp(t, `(?m)^  `+a1.Chain[:8]+`\s+`+formatTime(a1.Time)+`\s+`+formatTime(td.points[2].Time)+`\s+`+
		fmt.Sprintf("%d-%d", a1.Seq, td.points[2].Seq)+`\s+`+a1.Key+`$`, r.stderr)
	assert.Regexp(t, `(?m)^  `+td.b[0].Chain[:8]+`\s+`+formatTime(td.b[0].Time)+`\s+`+formatTime(bPoint.Time)+`\s+2-7\s+`+td.b[0].Key+`$`, r.stderr)
	assert.NotContains(t, r.stderr, td.points[3].Chain[:8], "A2 starts above 7: not a candidate")
	assert.NoFileExists(t, filepath.Join(out, "x.json"))

	r = cli(t, nil, "restore", "--json", td.url, "--seq", seq, "--out", filepath.Join(out, "x.json"))
	assert.Equal(t, exitUsage, r.code, r)
	var rj restoreJSON
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rj))
	require.Len(t, rj.Chains, 2)
	assert.Equal(t, chainJSON{Chain: a1.Chain, Base: a1.Key, First: formatTime(a1.Time), Last: formatTime(td.points[2].Time), FirstSeq: a1.Seq, LastSeq: td.points[2].Seq}, rj.Chains[0])
	assert.Equal(t, td.b[0].Chain, rj.Chains[1].Chain)

	// --chain picks either, by a prefix of its id or its full backup's key.
	r = runOK(t, "restore", td.url, "--chain", td.b[0].Chain[:8], "--seq", seq, "--out", filepath.Join(out, "b.json"))
	assert.Contains(t, r.stderr, "restored "+bPoint.Key)
	td.requireB(t, filepath.Join(out, "b.json"), bPoint)
	runOK(t, "restore", td.url, "--chain", a1.Key, "--seq", seq, "--out", filepath.Join(out, "a.json"))
	f := td.fixture
	require.Greater(t, f.points[1].Seq, bPoint.Seq)
	f.requireRestored(t, filepath.Join(out, "a.json"), dictdb.FormatJSON, f.points[0]) // F1, the newest of A1 at or below 7
	runOK(t, "restore", td.url, "--chain", td.points[3].Chain, "--out", filepath.Join(out, "a2.json"))
	f.requireRestored(t, filepath.Join(out, "a2.json"), dictdb.FormatJSON, f.points[5])
	runOK(t, "restore", td.url, "--chain", a1.Chain[:6], "--time", formatTime(td.points[1].Time), "--out", filepath.Join(out, "a1t.json"))
	f.requireRestored(t, filepath.Join(out, "a1t.json"), dictdb.FormatJSON, f.points[1])

	// Below every A point, only B answers: not ambiguous.
	r = runOK(t, "restore", td.url, "--seq", "4", "--out", filepath.Join(out, "b4.json"))
	assert.Contains(t, r.stderr, "restored "+td.b[1].Key)
	td.requireB(t, filepath.Join(out, "b4.json"), td.b[1])
	// Without --seq, the latest is B's (the newest chain).
	runOK(t, "restore", td.url, "--out", filepath.Join(out, "latest.json"))
	td.requireB(t, filepath.Join(out, "latest.json"), bPoint)

	// Unknown and ambiguous chains.
	r = cli(t, nil, "restore", td.url, "--chain", "zzzz", "--out", filepath.Join(out, "z.json"))
	assert.Equal(t, exitNothing, r.code, r)
	assert.Contains(t, r.stderr, `no chain "zzzz" in `+td.url)
	r = cli(t, nil, "restore", td.url, "--chain", "", "--out", filepath.Join(out, "z.json"))
	assert.Equal(t, exitOK, r.code, r) // "" is no --chain
}

// The chain view hides other chains, not objects it cannot place: an
// unreadable object after the chain's full backup still fails the restore.
func TestRestoreChainStaysStrict(t *testing.T) {
	td := twoDatabaseFixture(t)
	f := td.fixture
	garbage := catalog.Key(catalog.Delta, td.b[2].Time.UnixMicro()+1, catalog.Encoding{Format: dictdb.FormatJSON})
	require.NoError(t, os.WriteFile(f.path(garbage), []byte("not json"), 0o644))
	out := filepath.Join(t.TempDir(), "b.json")
	r := cli(t, nil, "restore", f.url, "--chain", td.b[0].Chain[:8], "--out", out)
	assert.Equal(t, exitProblems, r.code, r)
	assert.Contains(t, r.stderr, garbage)
	assert.Contains(t, r.stderr, "the newest point that restores exactly is "+td.b[2].Key)
	assert.Contains(t, r.stderr, "to restore that point on purpose: --chain "+td.b[0].Chain[:8]+" --time "+formatTime(td.b[2].Time))
	assert.NoFileExists(t, out)
	runOK(t, "restore", f.url, "--chain", td.b[0].Chain[:8], "--time", formatTime(td.b[2].Time), "--out", out)
	td.requireB(t, out, td.b[2])
}

// The rule of checkSeq on made-up chains.
func TestCheckSeq(t *testing.T) {
	at := func(s int) time.Time { return time.Unix(1764158400+int64(s), 0).UTC() }
	chain := func(id string, t0 int, seqs ...uint64) []restore.Point {
		var ps []restore.Point
		for i, s := range seqs {
			kind := catalog.Delta
			if i == 0 {
				kind = catalog.Full
			}
			ps = append(ps, restore.Point{Key: fmt.Sprintf("%s-%d", id, i), Kind: kind, Time: at(t0 + i), Seq: s, Chain: id + "-chain", Base: id + "-0"})
		}
		return ps
	}
	cat := func(chains ...[]restore.Point) []restore.Point {
		var out []restore.Point
		for _, c := range chains {
			out = append(out, c...)
		}
		return out
	}
	legacy := []restore.Point{{Key: "py-0", Kind: catalog.Full, Time: at(50)}, {Key: "py-1", Kind: catalog.Delta, Time: at(51)}}
	for _, tc := range []struct {
		name      string
		points    []restore.Point
		seq       uint64
		ambiguous bool
	}{
		{"one chain", cat(chain("a", 0, 5, 7, 9)), 8, false},
		{"successive chains", cat(chain("a", 0, 5, 7, 9), chain("b", 10, 9, 12)), 10, false},
		{"successive, a gap between", cat(chain("a", 0, 5, 9), chain("b", 10, 20, 25)), 30, false},
		{"two databases", cat(chain("a", 0, 5, 7, 100), chain("b", 10, 1, 50)), 60, true},
		{"two databases, below the older", cat(chain("a", 0, 5, 7, 100), chain("b", 10, 1, 3)), 4, false},
		{"a fork: restored to 80 and continued", cat(chain("a", 0, 5, 80, 100), chain("b", 10, 80, 120)), 90, true},
		{"a fork, below the fork", cat(chain("a", 0, 5, 80, 100), chain("b", 10, 80, 120)), 50, false},
		{"a fork, above both", cat(chain("a", 0, 5, 80, 100), chain("b", 10, 80, 120)), 500, true},
		{"Python-written chains have no seq", cat(legacy, chain("a", 60, 5, 7)), 6, false},
		{"three, the middle one overlaps", cat(chain("a", 0, 1, 10), chain("b", 10, 5, 8), chain("c", 20, 10, 12)), 11, true},
	} {
		err := checkSeq(tc.points, tc.seq)
		if !tc.ambiguous {
			assert.NoError(t, err, tc.name)
			continue
		}
		require.Error(t, err, tc.name)
		assert.Equal(t, exitUsage, (&app{cmd: restoreCommand, stderr: &bytes.Buffer{}}).fail(err), tc.name)
		assert.Contains(t, err.Error(), fmt.Sprintf("--seq %d is ambiguous", tc.seq), tc.name)
	}
}
