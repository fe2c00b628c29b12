package backup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/hashicorp/go-multierror"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/catalog"
	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/dictdb/dictdbtest"
	"github.com/dictdb/dictdb-go/restore"
	"github.com/dictdb/dictdb-go/sink"
	"github.com/dictdb/dictdb-go/sink/local"
	"github.com/dictdb/dictdb-go/sink/mem"
	"github.com/dictdb/dictdb-go/sink/sinktest"
)

// pday0 is a Sunday, in ISO week 2024-W09.
var pday0 = time.Date(2024, 3, 3, 0, 0, 0, 0, time.UTC)

// pat returns the time day days and hour hours after pday0.
func pat(day, hour int) time.Time {
	return pday0.AddDate(0, 0, day).Add(time.Duration(hour) * time.Hour)
}

// pstep is one backup of a history: a full backup or a delta, at a time.
type pstep struct {
	label string
	full  bool
	at    time.Time
}

// spread is five chains over three weeks; E is the active chain.
//
//	A: Sun 3 (W09) A0 A1, Mon 4 (W10) A2 A3
//	B: Thu 7 B0 B1, Fri 8 B2                   (W10)
//	C: Mon 11 C0 C1, Wed 13 C2                 (W11)
//	D: Tue 19 D0 D1, Wed 20 D2                 (W12)
//	E: Thu 21 E0 E1, Fri 22 E2                 (W12)
var spread = []pstep{
	{"A0", true, pat(0, 10)}, {"A1", false, pat(0, 12)}, {"A2", false, pat(1, 9)}, {"A3", false, pat(1, 18)},
	{"B0", true, pat(4, 10)}, {"B1", false, pat(4, 11)}, {"B2", false, pat(5, 10)},
	{"C0", true, pat(8, 10)}, {"C1", false, pat(8, 20)}, {"C2", false, pat(10, 10)},
	{"D0", true, pat(16, 10)}, {"D1", false, pat(16, 12)}, {"D2", false, pat(17, 10)},
	{"E0", true, pat(18, 10)}, {"E1", false, pat(18, 11)}, {"E2", false, pat(19, 9)},
}

// phistory writes backups of one database at chosen times, through a real
// Manager whose clock it sets, and keeps a copy of the database at every
// point.
type phistory struct {
	s     sink.Sink
	db    *dictdb.DB
	users *dictdb.Table
	m     *Manager
	now   time.Time
	key   map[string]string     // label -> object key
	label map[string]string     // object key -> label
	state map[string]*dictdb.DB // object key -> the database at that point
}

func newPHistory(t *testing.T, s sink.Sink, opts Options) *phistory {
	t.Helper()
	opts.Interval, opts.Incremental = -1, true
	if opts.MaxDeltasBeforeFull == 0 {
		opts.MaxDeltasBeforeFull = 100
	}
	db := dictdb.New()
	users, err := db.CreateTable("users")
	require.NoError(t, err)
	m, err := NewManager(db, s, opts)
	require.NoError(t, err)
	t.Cleanup(m.Stop)
	h := &phistory{s: s, db: db, users: users, m: m,
		key: map[string]string{}, label: map[string]string{}, state: map[string]*dictdb.DB{}}
	m.clock.Now = func() time.Time { return h.now }
	return h
}

// write takes the steps' backups, each after a write to the database.
func (h *phistory) write(t *testing.T, steps ...pstep) {
	t.Helper()
	ctx := context.Background()
	for _, st := range steps {
		h.now = st.at
		_, err := h.users.Insert(dictdb.Record{"label": st.label, "pad": strings.Repeat("x", 100)})
		require.NoError(t, err)
		if st.full {
			require.NoError(t, h.m.BackupFull(ctx))
		} else {
			require.NoError(t, h.m.BackupDelta(ctx))
		}
		key := h.m.Stats().LastKey
		n, ok := catalog.Parse(key)
		require.True(t, ok)
		require.Equal(t, st.at.UnixMicro(), n.Micros, "the object is named at the step's time")
		h.key[st.label], h.label[key] = key, st.label
		h.state[key] = copyDB(t, h.db)
	}
}

func copyDB(t *testing.T, db *dictdb.DB) *dictdb.DB {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, db.Save(&buf, dictdb.FormatJSON))
	c, err := dictdb.Load(&buf, dictdb.FormatJSON)
	require.NoError(t, err)
	return c
}

// labels returns the labels of keys, in the order given.
func (h *phistory) labels(keys []string) string {
	var out []string
	for _, k := range keys {
		if l, ok := h.label[k]; ok {
			out = append(out, l)
		} else {
			out = append(out, k)
		}
	}
	return strings.Join(out, " ")
}

func (h *phistory) pointLabels(ps []restore.Point) string {
	var keys []string
	for _, p := range ps {
		keys = append(keys, p.Key)
	}
	return h.labels(keys)
}

// retained returns the retained objects as "label:reason", sorted.
func (h *phistory) retained(res *PruneResult) map[string]RetainReason {
	out := map[string]RetainReason{}
	for _, r := range res.Retained {
		out[h.labels([]string{r.Key})] = r.Reason
	}
	return out
}

// retainedByKey returns the reasons of the retained objects by key.
func retainedByKey(res *PruneResult) map[string]RetainReason {
	out := map[string]RetainReason{}
	for _, r := range res.Retained {
		out[r.Key] = r.Reason
	}
	return out
}

// reasons builds the expected retained map from "label label ..." lists.
func reasons(byReason map[RetainReason]string) map[string]RetainReason {
	out := map[string]RetainReason{}
	for reason, labels := range byReason {
		for _, l := range strings.Fields(labels) {
			out[l] = reason
		}
	}
	return out
}

// backupKeys lists the backup objects of s, oldest first.
func backupKeys(t *testing.T, s sink.Sink) []string {
	t.Helper()
	objs, err := sinktest.ListBut(context.Background(), s, LeaseKey)
	require.NoError(t, err)
	var names []catalog.Name
	for _, o := range objs {
		if n, ok := catalog.Parse(o.Key); ok {
			names = append(names, n)
		}
	}
	catalog.Sort(names)
	var out []string
	for _, n := range names {
		out = append(out, n.Key)
	}
	return out
}

// contents returns every object of s (backup or not) by key.
func contents(t *testing.T, s sink.Sink) map[string]string {
	t.Helper()
	ctx := context.Background()
	objs, err := sinktest.ListBut(ctx, s, LeaseKey)
	require.NoError(t, err)
	out := map[string]string{}
	for _, o := range objs {
		rc, err := s.Get(ctx, o.Key)
		require.NoError(t, err)
		b, err := io.ReadAll(rc)
		rc.Close()
		require.NoError(t, err)
		out[o.Key] = string(b)
	}
	return out
}

// requireRestorable checks that Verify finds no problem in s, that every
// backup object in it is a restorable point, and that each point restores,
// by time and by sequence number, to exactly the database at that point.
func (h *phistory) requireRestorable(t *testing.T, s sink.Sink, opts ...restore.Option) []restore.Point {
	t.Helper()
	ctx := context.Background()
	report, err := restore.Verify(ctx, s, opts...)
	require.NoError(t, err)
	require.True(t, report.OK(), "%v", report.Err())
	points, err := restore.List(ctx, s, opts...)
	require.NoError(t, err)
	require.Len(t, points, len(backupKeys(t, s)), "every object is a point")
	for _, p := range points {
		want := h.state[p.Key]
		require.NotNil(t, want, p.Key)
		got, err := restore.ToTime(ctx, s, p.Time, opts...)
		require.NoError(t, err, h.label[p.Key])
		require.NoError(t, dictdbtest.Diff(want, got), "%s by time", h.label[p.Key])
		got, err = restore.ToSeq(ctx, s, p.Seq, opts...)
		require.NoError(t, err, h.label[p.Key])
		require.NoError(t, dictdbtest.Diff(want, got), "%s by sequence", h.label[p.Key])
	}
	return points
}

// requirePartition checks that every backup object of before is in exactly
// one of Kept, Deleted and Retained, and that the sink holds before minus
// Deleted.
func requirePartition(t *testing.T, s sink.Sink, before []string, res *PruneResult) {
	t.Helper()
	seen := map[string]string{}
	add := func(key, where string) {
		if prev, ok := seen[key]; ok {
			t.Fatalf("%s is in %s and %s", key, prev, where)
		}
		seen[key] = where
	}
	for _, p := range res.Kept {
		add(p.Key, "Kept")
	}
	for _, k := range res.Deleted {
		add(k, "Deleted")
	}
	for _, r := range res.Retained {
		add(r.Key, "Retained")
	}
	assert.Len(t, seen, len(before))
	var want []string
	for _, k := range before {
		if _, ok := seen[k]; !ok {
			t.Errorf("%s is in none of Kept, Deleted, Retained", k)
		}
		if seen[k] != "Deleted" {
			want = append(want, k)
		}
	}
	assert.Equal(t, want, backupKeys(t, s))
}

func sizesOf(t *testing.T, s sink.Sink) map[string]int64 {
	t.Helper()
	objs, err := sinktest.ListBut(context.Background(), s, LeaseKey)
	require.NoError(t, err)
	out := map[string]int64{}
	for _, o := range objs {
		out[o.Key] = o.Size
	}
	return out
}

func TestPruneRefusesToKeepNothing(t *testing.T) {
	s := mem.New()
	h := newPHistory(t, s, Options{})
	h.write(t, spread[:3]...)
	_, err := Prune(context.Background(), s, Retention{}, PruneOptions{})
	require.ErrorIs(t, err, ErrKeepNothing)
	_, err = Prune(context.Background(), s, Retention{KeepLast: 1, KeepDaily: -1}, PruneOptions{})
	require.ErrorContains(t, err, "negative")
	assert.Len(t, backupKeys(t, s), 3, "nothing deleted")
}

// The rules, over five chains spread over three weeks. Each case runs dry
// first, which must delete nothing and plan exactly what the real run then
// does; after it, every remaining point restores to its state.
func TestPruneRules(t *testing.T) {
	cases := []struct {
		name                          string
		r                             Retention
		kept, deleted, needed, active string
	}{
		{name: "last 1: the active chain stays whole", r: Retention{KeepLast: 1},
			kept: "E2", deleted: "A0 A1 A2 A3 B0 B1 B2 C0 C1 C2 D0 D1 D2", active: "E0 E1"},
		{name: "last 4 reaches into chain D", r: Retention{KeepLast: 4},
			kept: "D2 E0 E1 E2", deleted: "A0 A1 A2 A3 B0 B1 B2 C0 C1 C2", needed: "D0 D1"},
		{name: "daily 3", r: Retention{KeepDaily: 3},
			kept: "D2 E1 E2", deleted: "A0 A1 A2 A3 B0 B1 B2 C0 C1 C2", needed: "D0 D1", active: "E0"},
		{name: "daily 5 keeps C2, hence C0 and C1", r: Retention{KeepDaily: 5},
			kept: "C2 D1 D2 E1 E2", deleted: "A0 A1 A2 A3 B0 B1 B2", needed: "C0 C1 D0", active: "E0"},
		{name: "weekly 2 keeps C, not D between C and E", r: Retention{KeepWeekly: 2},
			kept: "C2 E2", deleted: "A0 A1 A2 A3 B0 B1 B2 D0 D1 D2", needed: "C0 C1", active: "E0 E1"},
		{name: "weekly 4 keeps A1: A's later deltas go", r: Retention{KeepWeekly: 4},
			kept: "A1 B2 C2 E2", deleted: "A2 A3 D0 D1 D2", needed: "A0 B0 B1 C0 C1", active: "E0 E1"},
		{name: "weekly 100 is weekly 4", r: Retention{KeepWeekly: 100},
			kept: "A1 B2 C2 E2", deleted: "A2 A3 D0 D1 D2", needed: "A0 B0 B1 C0 C1", active: "E0 E1"},
		{name: "rules combine", r: Retention{KeepLast: 1, KeepDaily: 2, KeepWeekly: 4},
			kept: "A1 B2 C2 E1 E2", deleted: "A2 A3 D0 D1 D2", needed: "A0 B0 B1 C0 C1", active: "E0"},
		{name: "daily 10 keeps every chain", r: Retention{KeepDaily: 10},
			kept: "A1 A3 B1 B2 C1 C2 D1 D2 E1 E2", needed: "A0 A2 B0 C0 D0", active: "E0"},
		{name: "last 100 keeps everything", r: Retention{KeepLast: 100},
			kept: "A0 A1 A2 A3 B0 B1 B2 C0 C1 C2 D0 D1 D2 E0 E1 E2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s := mem.New()
			h := newPHistory(t, s, Options{})
			h.write(t, spread...)
			before := backupKeys(t, s)
			stored := contents(t, s)
			sizes := sizesOf(t, s)

			plan, err := Prune(ctx, s, tc.r, PruneOptions{DryRun: true})
			require.NoError(t, err)
			assert.Equal(t, stored, contents(t, s), "a dry run deletes nothing")

			res, err := Prune(ctx, s, tc.r, PruneOptions{})
			require.NoError(t, err)
			assert.Equal(t, plan, res, "the dry run planned exactly what the real run did")

			assert.Equal(t, tc.kept, h.pointLabels(res.Kept), "kept")
			assert.Equal(t, tc.deleted, h.labels(res.Deleted), "deleted")
			assert.Equal(t, reasons(map[RetainReason]string{RetainNeeded: tc.needed, RetainActive: tc.active}), h.retained(res))
			var freed int64
			for _, k := range res.Deleted {
				freed += sizes[k]
			}
			assert.Equal(t, freed, res.Bytes)
			requirePartition(t, s, before, res)
			h.requireRestorable(t, s)

			// Pruning again with the same policy finds nothing more to do.
			again, err := Prune(ctx, s, tc.r, PruneOptions{})
			require.NoError(t, err)
			assert.Empty(t, again.Deleted)
			assert.Equal(t, res.Kept, again.Kept)
		})
	}
}

// The active chain stays whole, even when the newest point is its full
// backup alone, and a chain written alongside it by another writer stays
// too.
func TestPruneKeepsTheActiveChain(t *testing.T) {
	ctx := context.Background()
	t.Run("newest point is a full backup", func(t *testing.T) {
		s := mem.New()
		h := newPHistory(t, s, Options{})
		h.write(t, spread[:14]...) // up to E0
		res, err := Prune(ctx, s, Retention{KeepLast: 1}, PruneOptions{})
		require.NoError(t, err)
		assert.Equal(t, "E0", h.pointLabels(res.Kept))
		assert.Equal(t, "A0 A1 A2 A3 B0 B1 B2 C0 C1 C2 D0 D1 D2", h.labels(res.Deleted))
		assert.Empty(t, res.Retained)
		h.requireRestorable(t, s)
		h.write(t, spread[14:]...) // the manager goes on with its chain
		h.requireRestorable(t, s)
	})
	t.Run("every delta of the newest chain", func(t *testing.T) {
		s := mem.New()
		h := newPHistory(t, s, Options{})
		h.write(t, spread...)
		// KeepDaily 1 keeps only E2, the newest point of the newest day.
		res, err := Prune(ctx, s, Retention{KeepDaily: 1}, PruneOptions{})
		require.NoError(t, err)
		assert.Equal(t, "E2", h.pointLabels(res.Kept))
		assert.Equal(t, map[string]RetainReason{"E0": RetainActive, "E1": RetainActive}, h.retained(res))
		h.requireRestorable(t, s)
	})
	t.Run("interleaved writers", func(t *testing.T) {
		// Writer P begins its chain, writer Q begins a newer one, P goes on:
		// P is still being written, so it is active too.
		sP, sQ, s := mem.New(), mem.New(), mem.New()
		p := newPHistory(t, sP, Options{})
		q := newPHistory(t, sQ, Options{})
		p.write(t, pstep{"P0", true, pat(0, 1)})
		q.write(t, pstep{"Q0", true, pat(0, 2)})
		p.write(t, pstep{"P1", false, pat(0, 3)})
		q.write(t, pstep{"Q1", false, pat(0, 4)})
		copyObjects(t, s, sP, 2)
		copyObjects(t, s, sQ, 2)
		res, err := Prune(ctx, s, Retention{KeepLast: 1}, PruneOptions{})
		require.NoError(t, err)
		assert.Equal(t, "Q1", q.pointLabels(res.Kept))
		assert.Empty(t, res.Deleted)
		assert.Equal(t, map[string]RetainReason{
			p.key["P0"]: RetainActive, p.key["P1"]: RetainActive, q.key["Q0"]: RetainActive,
		}, retainedByKey(res))
	})
}

// Objects Prune cannot place are never deleted, nor the chains they may
// belong to; keys that are not backup objects are never touched.
func TestPruneKeepsWhatItCannotPlace(t *testing.T) {
	ctx := context.Background()
	s := mem.New()
	h := newPHistory(t, s, Options{})
	h.write(t, spread...)
	put := func(key, body string) { require.NoError(t, s.Put(ctx, key, strings.NewReader(body))) }
	name := func(kind catalog.Kind, at time.Time) string {
		return catalog.Key(kind, at.UnixMicro(), catalog.Encoding{Format: dictdb.FormatJSON})
	}

	// An unreadable delta among chain A's.
	badDelta := name(catalog.Delta, pat(0, 11))
	put(badDelta, "not a delta")
	// An orphan among chain B's: a delta of a chain whose full backup is
	// elsewhere.
	other := newPHistory(t, mem.New(), Options{})
	other.write(t, pstep{"O0", true, pat(4, 10).Add(time.Minute)}, pstep{"O1", false, pat(4, 12)})
	orphan := other.key["O1"]
	rc, err := other.s.Get(ctx, orphan)
	require.NoError(t, err)
	body, _ := io.ReadAll(rc)
	rc.Close()
	put(orphan, string(body))
	// A gap in chain C: C1 is gone, so C2 does not continue C0.
	require.NoError(t, s.Delete(ctx, h.key["C1"]))
	// An unreadable full backup among chain D's, and one newer than all.
	badFull := name(catalog.Full, pat(16, 11))
	put(badFull, `{"chain": 7`)
	newestBad := name(catalog.Full, pat(20, 0))
	put(newestBad, "")
	// Keys that are not backup objects, under the prefix and outside it.
	for _, k := range []string{"dictdb_notes.txt", "dictdb_backup_1709460000_000000.json.bak", "dictdb_delta_x.json", "readme.md", "sub/dictdb_backup_1709460000_000000.json"} {
		put(k, "keep me: "+k)
	}

	reportBefore, err := restore.Verify(ctx, s)
	require.NoError(t, err)
	before := backupKeys(t, s)
	stored := contents(t, s)

	res, err := Prune(ctx, s, Retention{KeepLast: 1}, PruneOptions{})
	require.NoError(t, err, "objects it cannot place are no error: they are reported")
	assert.Equal(t, "E2", h.pointLabels(res.Kept))
	assert.Equal(t, "B0 B1 B2 D0 D1 D2", h.labels(res.Deleted), "what is provably safe still goes")
	h.label[badDelta], h.label[orphan], h.label[badFull], h.label[newestBad] = "bad-delta", "orphan", "bad-full", "newest-bad"
	assert.Equal(t, reasons(map[RetainReason]string{
		RetainUnreadable: "bad-delta bad-full newest-bad",
		RetainUncertain:  "A0 A1 A2 A3 C0", // the chains the bad delta and the gapped delta may belong to
		RetainOrphan:     "orphan",
		RetainGap:        "C2",
		RetainActive:     "E0 E1",
	}), h.retained(res))
	for _, r := range res.Retained {
		if r.Reason == RetainUnreadable {
			assert.Error(t, r.Err, r.Key)
			assert.Contains(t, r.String(), r.Key)
		}
	}
	requirePartition(t, s, before, res)

	after := contents(t, s)
	for _, k := range res.Deleted {
		delete(stored, k)
	}
	assert.Equal(t, stored, after, "the rest is untouched, backup objects or not")
	// Prune found the problems; it made none. (D1 and D2, after the
	// unreadable full backup, were problems too: a restore to their time
	// would have to account for it. Prune deleted them with D0.)
	reportAfter, err := restore.Verify(ctx, s)
	require.NoError(t, err)
	want := problemKinds(reportBefore)
	for _, k := range res.Deleted {
		delete(want, k)
	}
	assert.Len(t, want, len(problemKinds(reportBefore))-2)
	assert.Equal(t, want, problemKinds(reportAfter))
	got, err := restore.ToTime(ctx, s, spread[15].at)
	require.NoError(t, err)
	require.NoError(t, dictdbtest.Diff(h.state[h.key["E2"]], got))
}

func problemKinds(r *restore.Report) map[string]restore.ProblemKind {
	out := map[string]restore.ProblemKind{}
	for _, p := range r.Problems {
		out[p.Key] = p.Kind
	}
	return out
}

// Reads that fail at random make objects unreadable to Prune; whatever it
// then deletes, what stays restores, and the newest chain stays whole.
func TestPruneWithFailingReads(t *testing.T) {
	ctx := context.Background()
	for seed := uint64(1); seed <= 12; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			inner := mem.New()
			h := newPHistory(t, inner, Options{})
			h.write(t, spread...)
			f := sinktest.NewFaulty(inner, seed)
			f.SetRates(0, 0.25, 0)
			res, err := Prune(ctx, f, Retention{KeepLast: 2}, PruneOptions{})
			require.NoError(t, err)
			h.requireRestorable(t, inner)
			keys := backupKeys(t, inner)
			for _, l := range []string{"E0", "E1", "E2"} {
				assert.Contains(t, keys, h.key[l])
			}
			for _, r := range res.Retained {
				if r.Reason == RetainUnreadable {
					assert.ErrorIs(t, r.Err, sinktest.ErrInjected)
				}
			}
		})
	}
}

// deleteFaults is a sinktest.Faulty whose deletions of chosen keys fail
// (Faulty injects no delete faults itself), with a hook that runs before
// every deletion.
type deleteFaults struct {
	*sinktest.Faulty
	fail   map[string]bool
	before func(key string)
}

func (d *deleteFaults) Delete(ctx context.Context, key string) error {
	if d.before != nil {
		d.before(key)
	}
	if d.fail[key] {
		return fmt.Errorf("sinktest: delete %s: %w", key, sinktest.ErrInjected)
	}
	return d.Faulty.Delete(ctx, key)
}

// Failed deletions are reported together, each naming its key; the objects
// the failed ones need stay, and the sink stays restorable.
func TestPruneDeleteFailures(t *testing.T) {
	ctx := context.Background()
	inner, err := local.New(t.TempDir())
	require.NoError(t, err)
	h := newPHistory(t, inner, Options{})
	h.write(t, spread...)
	before := backupKeys(t, inner)
	s := &deleteFaults{Faulty: sinktest.NewFaulty(inner, 1), fail: map[string]bool{h.key["B1"]: true, h.key["D0"]: true}}

	res, err := Prune(ctx, s, Retention{KeepLast: 1}, PruneOptions{})
	require.Error(t, err)
	var merr *multierror.Error
	require.ErrorAs(t, err, &merr)
	require.Len(t, merr.Errors, 2)
	assert.Contains(t, merr.Errors[0].Error(), h.key["D0"], "newest first")
	assert.Contains(t, merr.Errors[1].Error(), h.key["B1"])
	assert.ErrorIs(t, err, sinktest.ErrInjected)
	require.NotNil(t, res, "the partial result comes with the error")
	assert.Equal(t, "A0 A1 A2 A3 B2 C0 C1 C2 D1 D2", h.labels(res.Deleted),
		"B2 went before B1 failed; B0 stays for B1")
	assert.Equal(t, map[string]RetainReason{
		"B0": RetainDeleteFailed, "B1": RetainDeleteFailed, "D0": RetainDeleteFailed,
		"E0": RetainActive, "E1": RetainActive,
	}, h.retained(res))
	requirePartition(t, inner, before, res)
	h.requireRestorable(t, inner)

	// Once the sink deletes again, the next prune finishes the work.
	s.fail = nil
	res, err = Prune(ctx, s, Retention{KeepLast: 1}, PruneOptions{})
	require.NoError(t, err)
	assert.Equal(t, "B0 B1 D0", h.labels(res.Deleted))
	h.requireRestorable(t, inner)
}

// A prune stopped after any number of deletions leaves a sink where every
// remaining point restores: deltas go before the objects they build on.
func TestPruneInterruptedLeavesRestorableSink(t *testing.T) {
	const doomed = 13 // A B C D with KeepLast 1
	for k := 0; k < doomed; k++ {
		t.Run(fmt.Sprint(k), func(t *testing.T) {
			inner := mem.New()
			h := newPHistory(t, inner, Options{})
			h.write(t, spread...)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			n := 0
			s := &deleteFaults{Faulty: sinktest.NewFaulty(inner, 1), before: func(string) {
				if n == k {
					cancel() // as if the process died here
				}
				n++
			}}
			res, err := Prune(ctx, s, Retention{KeepLast: 1}, PruneOptions{})
			require.ErrorIs(t, err, context.Canceled)
			assert.Len(t, res.Deleted, k)
			h.requireRestorable(t, inner)
			res, err = Prune(context.Background(), inner, Retention{KeepLast: 1}, PruneOptions{})
			require.NoError(t, err)
			assert.Len(t, res.Deleted, doomed-k)
			assert.Equal(t, []string{h.key["E0"], h.key["E1"], h.key["E2"]}, backupKeys(t, inner))
		})
	}
}

func TestPruneEncrypted(t *testing.T) {
	ctx := context.Background()
	id, err := age.GenerateX25519Identity()
	require.NoError(t, err)
	other, err := age.GenerateX25519Identity()
	require.NoError(t, err)
	enc := &Encryption{Recipients: []age.Recipient{id.Recipient()}, Identities: []age.Identity{id}}

	t.Run("without the identity nothing is deleted", func(t *testing.T) {
		s := mem.New()
		h := newPHistory(t, s, Options{Encryption: enc})
		h.write(t, spread...)
		before := backupKeys(t, s)
		for _, ids := range [][]age.Identity{nil, {other}} {
			res, err := Prune(ctx, s, Retention{KeepLast: 1}, PruneOptions{Identities: ids})
			require.NoError(t, err)
			assert.Empty(t, res.Kept)
			assert.Empty(t, res.Deleted)
			require.Len(t, res.Retained, len(before))
			for _, r := range res.Retained {
				assert.Equal(t, RetainUnreadable, r.Reason)
				assert.ErrorIs(t, r.Err, restore.ErrNoKey, "the result says why")
			}
			assert.Equal(t, before, backupKeys(t, s))
		}
	})
	t.Run("with the identity", func(t *testing.T) {
		s := mem.New()
		h := newPHistory(t, s, Options{Encryption: enc, Compression: CompressionZstd})
		h.write(t, spread...)
		res, err := Prune(ctx, s, Retention{KeepWeekly: 2}, PruneOptions{Identities: []age.Identity{id}})
		require.NoError(t, err)
		assert.Equal(t, "C2 E2", h.pointLabels(res.Kept))
		assert.Equal(t, "A0 A1 A2 A3 B0 B1 B2 D0 D1 D2", h.labels(res.Deleted))
		h.requireRestorable(t, s, restore.WithIdentities(id))
	})
	t.Run("older plain chains are pruned, encrypted ones are not", func(t *testing.T) {
		s := mem.New()
		plain := newPHistory(t, s, Options{})
		plain.write(t, spread[:7]...) // A and B
		plain.m.Stop()
		encrypted := newPHistory(t, s, Options{Encryption: enc})
		encrypted.write(t, spread[7:]...) // C, D and E
		res, err := Prune(ctx, s, Retention{KeepLast: 1}, PruneOptions{})
		require.NoError(t, err)
		assert.Equal(t, "B2", plain.pointLabels(res.Kept), "the newest point it can read")
		assert.Equal(t, "A0 A1 A2 A3", plain.labels(res.Deleted))
		for _, r := range res.Retained {
			if l := encrypted.label[r.Key]; l != "" {
				assert.Equal(t, RetainUnreadable, r.Reason, l)
				assert.ErrorIs(t, r.Err, restore.ErrNoKey)
			} else {
				assert.Equal(t, RetainActive, r.Reason, plain.label[r.Key])
			}
		}
		assert.Len(t, res.Retained, 2+9)
		assert.Len(t, backupKeys(t, s), 3+9)
	})
}

// Python-written chains: a delta belongs to the newest full backup before
// it by name, so an unreadable full backup before a delta keeps that delta
// and what the catalog says it builds on.
func TestPruneLegacyChains(t *testing.T) {
	ctx := context.Background()
	legacyFull := func(id int) string {
		return fmt.Sprintf(`{"tables": {"users": {"primary_key": "id", "schema": null, "records": [{"id": %d}]}}}`, id)
	}
	legacyDelta := func(id int) string {
		return fmt.Sprintf(`{"type": "delta", "timestamp": 1.5, "tables": {"users": {"upserts": [{"id": %d}], "deletes": []}}}`, id)
	}
	name := func(kind catalog.Kind, at time.Time) string {
		return catalog.Key(kind, at.UnixMicro(), catalog.Encoding{Format: dictdb.FormatJSON})
	}
	build := func(t *testing.T, unreadable bool) (*mem.Sink, *phistory, map[string]string) {
		s := mem.New()
		labels := map[string]string{}
		put := func(label, key, body string) {
			require.NoError(t, s.Put(ctx, key, strings.NewReader(body)))
			labels[key] = label
		}
		put("early", name(catalog.Delta, pat(0, 1)), legacyDelta(0)) // before any full backup: an orphan
		put("L1", name(catalog.Full, pat(0, 2)), legacyFull(1))
		put("L1a", name(catalog.Delta, pat(0, 3)), legacyDelta(2))
		if unreadable {
			put("U", name(catalog.Full, pat(0, 4)), "not json")
		}
		put("L1b", name(catalog.Delta, pat(0, 5)), legacyDelta(3))
		put("L2", name(catalog.Full, pat(1, 2)), legacyFull(4))
		put("L2a", name(catalog.Delta, pat(1, 3)), legacyDelta(5))
		h := newPHistory(t, s, Options{})
		h.write(t, pstep{"G0", true, pat(2, 1)}, pstep{"G1", false, pat(2, 2)})
		for k, l := range labels {
			h.label[k] = l
		}
		return s, h, labels
	}

	t.Run("plain", func(t *testing.T) {
		s, h, _ := build(t, false)
		res, err := Prune(ctx, s, Retention{KeepLast: 1}, PruneOptions{})
		require.NoError(t, err)
		assert.Equal(t, "G1", h.pointLabels(res.Kept))
		assert.Equal(t, "L1 L1a L1b L2 L2a", h.labels(res.Deleted))
		assert.Equal(t, map[string]RetainReason{"early": RetainOrphan, "G0": RetainActive}, h.retained(res))
	})
	t.Run("daily keeps a Python-written delta and its chain", func(t *testing.T) {
		s, h, _ := build(t, false)
		res, err := Prune(ctx, s, Retention{KeepDaily: 2}, PruneOptions{})
		require.NoError(t, err)
		assert.Equal(t, "L2a G1", h.pointLabels(res.Kept))
		assert.Equal(t, "L1 L1a L1b", h.labels(res.Deleted))
		got, err := restore.ToTime(ctx, s, pat(1, 3))
		require.NoError(t, err)
		users, err := got.Table("users")
		require.NoError(t, err)
		assert.Equal(t, 2, users.Count(), "L2 and L2a")
	})
	t.Run("after an unreadable full backup", func(t *testing.T) {
		s, h, _ := build(t, true)
		res, err := Prune(ctx, s, Retention{KeepLast: 1}, PruneOptions{})
		require.NoError(t, err)
		assert.Equal(t, "L2 L2a", h.labels(res.Deleted))
		assert.Equal(t, map[string]RetainReason{
			"early": RetainOrphan, "U": RetainUnreadable,
			"L1": RetainUncertain, "L1a": RetainUncertain, "L1b": RetainUncertain,
			"G0": RetainActive,
		}, h.retained(res))
	})
}

// Points named after Now come from a clock ahead of ours: they stay.
func TestPruneKeepsTheFuture(t *testing.T) {
	s := mem.New()
	h := newPHistory(t, s, Options{})
	h.write(t, spread...)
	res, err := Prune(context.Background(), s, Retention{KeepWeekly: 1}, PruneOptions{Now: pat(16, 11), DryRun: true})
	require.NoError(t, err)
	assert.Equal(t, "E2", h.pointLabels(res.Kept))
	assert.Equal(t, "A0 A1 A2 A3 B0 B1 B2 C0 C1 C2", h.labels(res.Deleted))
	assert.Equal(t, map[string]RetainReason{"D0": RetainFuture, "D1": RetainFuture, "D2": RetainFuture,
		"E0": RetainActive, "E1": RetainActive}, h.retained(res))
}

// A Manager with Retention prunes after each full backup: what stays is
// what the policy needs, every point of it restores, and the manager goes
// on writing.
func TestManagerRetention(t *testing.T) {
	var logs bytes.Buffer
	inner := mem.New()
	s := &deleteFaults{Faulty: sinktest.NewFaulty(inner, 1)}
	h := newPHistory(t, s, Options{Retention: Retention{KeepLast: 2}, MaxDeltasBeforeFull: 2,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	var steps []pstep
	for c := 0; c < 4; c++ {
		for i := 0; i < 3; i++ {
			steps = append(steps, pstep{fmt.Sprintf("%c%d", 'A'+c, i), i == 0, pat(c, i+1)})
		}
	}
	h.write(t, steps[:7]...) // A0 A1 A2 B0 B1 B2 C0: pruned at B0 and C0
	assert.Equal(t, "B0 B1 B2 C0", h.labels(backupKeys(t, inner)), "A went when C began; B stays for its last point")
	st := h.m.Stats()
	assert.Equal(t, int64(3), st.Pruned)
	assert.NoError(t, st.LastPruneError)
	h.requireRestorable(t, inner)

	// A failed prune does not fail the backup; it is logged and in the
	// stats, and the next one catches up.
	h.write(t, steps[7:9]...)
	s.fail = map[string]bool{h.key["B1"]: true}
	h.write(t, steps[9])
	st = h.m.Stats()
	require.Error(t, st.LastPruneError)
	assert.Contains(t, st.LastPruneError.Error(), h.key["B1"])
	assert.NoError(t, st.LastError, "the backup itself succeeded")
	assert.Equal(t, int64(4), st.Pruned, "B2 went")
	assert.Contains(t, logs.String(), "prune failed")
	assert.Equal(t, "B0 B1 C0 C1 C2 D0", h.labels(backupKeys(t, inner)))
	h.requireRestorable(t, inner)

	s.fail = nil
	h.write(t, steps[10:]...) // deltas: no prune
	assert.Equal(t, "B0 B1 C0 C1 C2 D0 D1 D2", h.labels(backupKeys(t, inner)))
	h.write(t, pstep{"E0", true, pat(5, 1)})
	st = h.m.Stats()
	assert.NoError(t, st.LastPruneError)
	assert.Equal(t, int64(9), st.Pruned)
	assert.Equal(t, "D0 D1 D2 E0", h.labels(backupKeys(t, inner)))
	h.requireRestorable(t, inner)
	assert.Equal(t, 0, h.m.ConsecutiveFailures(), "deletions never look like another writer")
}

// A Manager with encryption prunes with its own identities.
func TestManagerRetentionEncrypted(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	require.NoError(t, err)
	s := mem.New()
	h := newPHistory(t, s, Options{Retention: Retention{KeepLast: 1},
		Encryption: &Encryption{Recipients: []age.Recipient{id.Recipient()}, Identities: []age.Identity{id}}})
	h.write(t, spread[:8]...) // A, B, C0
	assert.Equal(t, "C0", h.labels(backupKeys(t, s)))
	assert.Equal(t, int64(7), h.m.Stats().Pruned)
	h.requireRestorable(t, s, restore.WithIdentities(id))
}

func TestRetainedString(t *testing.T) {
	r := Retained{Key: "k", Reason: RetainUnreadable, Err: errors.New("boom")}
	assert.Equal(t, "k: header unreadable: boom", r.String())
	assert.Equal(t, "k: in the active chain", Retained{Key: "k", Reason: RetainActive}.String())
}
