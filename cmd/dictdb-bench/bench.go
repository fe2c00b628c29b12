package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"time"

	"github.com/dictdb/dictdb-go/backup"
	"github.com/dictdb/dictdb-go/catalog"
	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/restore"
	"github.com/dictdb/dictdb-go/sink"
)

// config is what to measure.
type config struct {
	Records   int // records in the database
	Repeats   int // runs of each throughput measurement; the best counts
	InsertOps int // inserts per run of the insert-rate rows
	Deltas    int // deltas timed per database size
	Progress  io.Writer
}

// deltaSmall is the small database of the delta row.
const deltaSmall = 10_000

// row is one line of the result table: our number, its baseline measured in
// the same process, and their ratio.
type row struct {
	Name     string  `json:"name"`
	Ours     float64 `json:"ours"`
	Baseline float64 `json:"baseline"`
	Unit     string  `json:"unit"`
	// Ratio is Ours/Baseline for rates, Baseline/Ours for times where
	// faster is better, or the stated comparison (RatioIs).
	Ratio   float64 `json:"ratio"`
	RatioIs string  `json:"ratio_is"`
	Target  string  `json:"target,omitempty"`
	Met     *bool   `json:"met,omitempty"`
	// Text forms for the table.
	OursText     string `json:"ours_text"`
	BaselineText string `json:"baseline_text"`
}

type bench struct {
	cfg    config
	ctx    context.Context
	root   sink.Sink
	prefix string
	db     *dictdb.DB
	users  *dictdb.Table
	dbHeap uint64
	fullD  time.Duration // one full JSON backup, for the writer rows
	rows   []row
}

func (b *bench) logf(format string, args ...any) {
	if b.cfg.Progress != nil {
		fmt.Fprintf(b.cfg.Progress, format+"\n", args...)
	}
}

// sink returns the part of the sink reserved for one experiment.
func (b *bench) sink(name string) prefixed {
	return prefixed{Sink: b.root, prefix: b.prefix + name + "/"}
}

var cities = []string{"Berlin", "Paris", "Lisbon", "Oslo", "Rome", "Madrid", "Vienna", "Prague"}

// record is the i-th record of the Python DictDB's benchmark shape:
// {id, name, email, age, city, score}, id from auto-increment.
func record(i int) dictdb.Record {
	return dictdb.Record{
		"name":  fmt.Sprintf("user-%d", i),
		"email": fmt.Sprintf("user%d@example.com", i),
		"age":   int64(18 + i%60),
		"city":  cities[i%len(cities)],
		"score": float64(i%1000) / 10,
	}
}

func buildDB(n int) (*dictdb.DB, *dictdb.Table, error) {
	db := dictdb.New()
	users, err := db.CreateTable("users")
	if err != nil {
		return nil, nil, err
	}
	for i := 0; i < n; i++ {
		if _, err := users.Insert(record(i)); err != nil {
			return nil, nil, err
		}
	}
	return db, users, nil
}

func (b *bench) add(r row) { b.rows = append(b.rows, r) }

func met(ok bool) *bool { return &ok }

// run measures every row.
func (b *bench) run() error {
	n := b.cfg.Records
	b.logf("building a database of %d records", n)
	before := liveHeap()
	var err error
	if b.db, b.users, err = buildDB(n); err != nil {
		return err
	}
	b.dbHeap = liveHeap() - before
	steps := []struct {
		name string
		fn   func() error
	}{
		{"peak heap during a full backup", b.heap},
		{"full backups", b.fullBackups},
		{"compressed and encrypted full backups", b.compressedBackups},
		{"restores", b.restores},
		{"deltas", b.deltas},
		{"insert rates", b.insertRates},
		{"writer latency", b.writerLatency},
		{"continuous mode", b.continuousRows},
	}
	for _, s := range steps {
		b.logf("measuring %s", s.name)
		if err := s.fn(); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	return nil
}

func mb(bytes float64) float64 { return bytes / (1 << 20) }

func rate(n int, d time.Duration) float64 { return float64(n) / d.Seconds() }

// heap measures the peak heap above the live heap while the first full
// JSON backup runs (the one that fills the encoding caches), against the
// database's own heap, and reports how long that backup took.
func (b *bench) heap() error {
	s := b.sink("heap")
	m, err := backup.NewManager(b.db, s, backup.Options{Interval: -1})
	if err != nil {
		return err
	}
	defer m.Stop()
	base := liveHeap()
	stop := heapPeak()
	d, err := timed(func() error { return m.BackupFull(b.ctx) })
	peak := stop()
	if err != nil {
		return err
	}
	extra := float64(peak) - float64(base)
	ratio := extra / float64(b.dbHeap)
	b.add(row{
		Name: "peak extra heap, full backup json", Unit: "MiB",
		Ours: mb(extra), Baseline: mb(float64(b.dbHeap)), Ratio: ratio, RatioIs: "extra/db heap",
		Target: "<= 0.25", Met: met(ratio <= 0.25),
		OursText:     fmt.Sprintf("%.1f MiB above the live heap, in %.2f s", mb(extra), d.Seconds()),
		BaselineText: fmt.Sprintf("database heap %.0f MiB, %.0f B/record", mb(float64(b.dbHeap)), float64(b.dbHeap)/float64(b.cfg.Records)),
	})
	return s.clear(b.ctx)
}

// newest returns the key and content of the newest backup object in s
// (not the manager's lease, which shares the prefix).
func newest(ctx context.Context, s sink.Sink) (string, []byte, error) {
	c, err := catalog.Read(ctx, s, catalog.Options{})
	if err != nil {
		return "", nil, err
	}
	objs := c.Objects()
	if len(objs) == 0 {
		return "", nil, fmt.Errorf("no backup in the sink")
	}
	key := objs[len(objs)-1].Key
	data, err := readAll(ctx, s, key)
	return key, data, err
}

func readAll(ctx context.Context, s sink.Sink, key string) ([]byte, error) {
	rc, err := s.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// naiveDoc is the database as a naive program would encode it: a Python
// format document of map[string]any, the records shared with the database.
func naiveDoc(db *dictdb.DB) map[string]any {
	tables := map[string]any{}
	for _, t := range db.Snapshot().Tables() {
		recs := make([]map[string]any, 0, t.Len())
		t.Range(func(r dictdb.Record) bool {
			recs = append(recs, r)
			return true
		})
		tables[t.Name] = map[string]any{"primary_key": t.Spec.PrimaryKey, "schema": nil, "records": recs}
	}
	return map[string]any{"tables": tables}
}

// fullBackups measures a full backup in every format against a naive
// encoding/json backup and against a raw write of the same bytes, the runs
// of each repetition one after the other; then the restore of the JSON one.
func (b *bench) fullBackups() error {
	n := b.cfg.Records
	doc := naiveDoc(b.db)
	naiveSink := b.sink("naive")
	var naiveSize int
	naive := func() (time.Duration, error) {
		return timed(func() error {
			data, err := json.Marshal(doc)
			if err != nil {
				return err
			}
			naiveSize = len(data)
			return naiveSink.Put(b.ctx, "naive.json", bytes.NewReader(data))
		})
	}
	type format struct {
		f         dictdb.Format
		s         prefixed
		m         *backup.Manager
		data      []byte // the newest backup object
		ours, raw time.Duration
	}
	var formats []*format
	for _, f := range dictdb.Formats() {
		s := b.sink("full-" + string(f))
		m, err := backup.NewManager(b.db, s, backup.Options{Interval: -1, Format: f})
		if err != nil {
			return err
		}
		defer m.Stop()
		formats = append(formats, &format{f: f, s: s, m: m})
	}
	// The first backup in a format fills the records' encoding caches (the
	// heap row measures that one, in JSON): the timed ones are the backups
	// that follow, as in a running program.
	for _, f := range formats {
		if err := f.m.BackupFull(b.ctx); err != nil {
			return err
		}
	}
	var naiveD time.Duration
	for r := 0; r < b.cfg.Repeats; r++ {
		runtime.GC()
		d, err := naive()
		if err != nil {
			return err
		}
		naiveD = minD(naiveD, d)
		for _, f := range formats {
			runtime.GC()
			d, err := timed(func() error { return f.m.BackupFull(b.ctx) })
			if err != nil {
				return err
			}
			f.ours = minD(f.ours, d)
			if f.data == nil {
				if _, f.data, err = newest(b.ctx, f.s); err != nil {
					return err
				}
			}
			d, err = timed(func() error { return f.s.Put(b.ctx, "raw.bin", bytes.NewReader(f.data)) })
			if err != nil {
				return err
			}
			f.raw = minD(f.raw, d)
		}
	}
	doc = nil
	if err := naiveSink.clear(b.ctx); err != nil {
		return err
	}
	for _, f := range formats {
		size := float64(len(f.data))
		oursText := fmt.Sprintf("%.0f MB/s, %.2fM rec/s", size/1e6/f.ours.Seconds(), rate(n, f.ours)/1e6)
		vsNaive := row{
			Name: "full backup " + string(f.f) + " vs encoding/json", Unit: "records/s",
			Ours: rate(n, f.ours), Baseline: rate(n, naiveD), Ratio: naiveD.Seconds() / f.ours.Seconds(), RatioIs: "ours/baseline rate",
			OursText:     oursText,
			BaselineText: fmt.Sprintf("json.Marshal+put: %.0f MB/s, %.2fM rec/s", float64(naiveSize)/1e6/naiveD.Seconds(), rate(n, naiveD)/1e6),
		}
		vsRaw := row{
			Name: "full backup " + string(f.f) + " vs raw write", Unit: "MB/s",
			Ours: size / 1e6 / f.ours.Seconds(), Baseline: size / 1e6 / f.raw.Seconds(), Ratio: f.raw.Seconds() / f.ours.Seconds(), RatioIs: "ours/ceiling rate",
			OursText:     oursText,
			BaselineText: fmt.Sprintf("put of the same %.0f MB: %.0f MB/s", size/1e6, size/1e6/f.raw.Seconds()),
		}
		// The targets, in every format: at least 5x the naive encode, and
		// half the rate of a raw write of the same bytes.
		vsNaive.Target, vsNaive.Met = ">= 5.00", met(vsNaive.Ratio >= 5)
		vsRaw.Target, vsRaw.Met = ">= 0.50 (moonshot 0.80)", met(vsRaw.Ratio >= 0.5)
		b.add(vsNaive)
		b.add(vsRaw)
		if f.f == dictdb.FormatJSON {
			b.fullD = f.ours
			if err := f.s.Delete(b.ctx, "raw.bin"); err != nil {
				return err
			}
		}
		if err := f.s.clear(b.ctx); err != nil {
			return err
		}
	}
	return nil
}

// restoreDeltas is the number of deltas after the full backup that the
// restore rows read, each of restoreChanges upserts.
const (
	restoreDeltas  = 10
	restoreChanges = 1000
)

// chain is a full backup and its deltas in one format, to restore.
type chain struct {
	f    dictdb.Format
	s    prefixed
	m    *backup.Manager
	full []byte // the full backup object
	keys []string
}

// restores writes, in every format, a full backup of the database and
// restoreDeltas deltas after it, then measures restore.Latest of each
// chain and dictdb.Load of each full backup against a naive program: a get
// of each object of the JSON chain and json.Unmarshal of it, the runs of
// each repetition one after the other. It also measures the peak heap of a
// restore above the heap of the database it returns.
func (b *bench) restores() error {
	var chains []*chain
	defer func() {
		for _, c := range chains {
			c.m.Stop()
			c.s.clear(b.ctx)
		}
	}()
	for _, f := range dictdb.Formats() {
		s := b.sink("restore-" + string(f))
		m, err := backup.NewManager(b.db, s, backup.Options{Interval: -1, Format: f, Incremental: true, MaxDeltasBeforeFull: 1 << 30})
		if err != nil {
			return err
		}
		chains = append(chains, &chain{f: f, s: s, m: m})
	}
	for _, c := range chains {
		if err := c.m.BackupFull(b.ctx); err != nil {
			return err
		}
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for i := 0; i < restoreDeltas; i++ {
		for j := 0; j < restoreChanges; j++ {
			r := record(j)
			r["id"] = 1 + rng.Int64N(int64(b.cfg.Records))
			if _, err := b.users.Upsert(r); err != nil {
				return err
			}
		}
		for _, c := range chains {
			if err := c.m.BackupDelta(b.ctx); err != nil {
				return err
			}
		}
	}
	for _, c := range chains {
		cat, err := catalog.Read(b.ctx, c.s, catalog.Options{})
		if err != nil {
			return err
		}
		for _, o := range cat.Objects() {
			c.keys = append(c.keys, o.Key)
		}
		if len(c.keys) != 1+restoreDeltas {
			return fmt.Errorf("%s chain: %d objects, want %d", c.f, len(c.keys), 1+restoreDeltas)
		}
		if c.full, err = readAll(b.ctx, c.s, c.keys[0]); err != nil {
			return err
		}
	}
	var naiveJSON *chain
	for _, c := range chains {
		if c.f == dictdb.FormatJSON {
			naiveJSON = c
		}
	}
	naive := func() error {
		for _, k := range naiveJSON.keys {
			raw, err := readAll(b.ctx, naiveJSON.s, k)
			if err != nil {
				return err
			}
			var doc map[string]any
			if err := json.Unmarshal(raw, &doc); err != nil {
				return err
			}
		}
		return nil
	}
	want := b.db.Sequence()
	var naiveD time.Duration
	latest := map[dictdb.Format]time.Duration{}
	load := map[dictdb.Format]time.Duration{}
	for r := 0; r < b.cfg.Repeats; r++ {
		runtime.GC()
		d, err := timed(naive)
		if err != nil {
			return err
		}
		naiveD = minD(naiveD, d)
		for _, c := range chains {
			runtime.GC()
			d, err := timed(func() error {
				db, err := restore.Latest(b.ctx, c.s)
				if err == nil && db.Sequence() != want {
					err = fmt.Errorf("restored sequence %d, want %d", db.Sequence(), want)
				}
				return err
			})
			if err != nil {
				return err
			}
			latest[c.f] = minD(latest[c.f], d)
			runtime.GC()
			if d, err = timed(func() error {
				_, err := dictdb.Load(bytes.NewReader(c.full), c.f)
				return err
			}); err != nil {
				return err
			}
			load[c.f] = minD(load[c.f], d)
		}
	}
	n := b.cfg.Records
	for _, c := range chains {
		for _, r := range []struct {
			name string
			d    time.Duration
		}{
			{fmt.Sprintf("restore.Latest %s, full + %d deltas", c.f, restoreDeltas), latest[c.f]},
			{fmt.Sprintf("dictdb.Load %s (in memory)", c.f), load[c.f]},
		} {
			ratio := naiveD.Seconds() / r.d.Seconds()
			b.add(row{
				Name: r.name + " vs encoding/json", Unit: "s",
				Ours: r.d.Seconds(), Baseline: naiveD.Seconds(), Ratio: ratio, RatioIs: "baseline/ours time",
				Target: ">= 3.00 (moonshot 5.00)", Met: met(ratio >= 3),
				OursText:     fmt.Sprintf("%.2f s, %.2fM rec/s", r.d.Seconds(), rate(n, r.d)/1e6),
				BaselineText: fmt.Sprintf("get+json.Unmarshal of the JSON chain: %.2f s", naiveD.Seconds()),
			})
		}
	}
	for _, c := range chains {
		if err := b.restoreHeap(c); err != nil {
			return err
		}
	}
	return nil
}

// restoreHeap measures the peak heap while restore.Latest reads c, above
// the heap of the database it returns.
func (b *bench) restoreHeap(c *chain) error {
	base := liveHeap()
	stop := heapPeak()
	db, err := restore.Latest(b.ctx, c.s)
	peak := stop()
	if err != nil {
		return err
	}
	dbHeap := float64(liveHeap()) - float64(base)
	runtime.KeepAlive(db)
	extra := float64(peak) - float64(base) - dbHeap
	b.add(row{
		Name: "peak extra heap, restore.Latest " + string(c.f), Unit: "MiB",
		Ours: mb(extra), Baseline: mb(dbHeap), Ratio: extra / dbHeap, RatioIs: "extra/db heap",
		Target: "<= 64 MiB above the database", Met: met(extra <= 64<<20),
		OursText:     fmt.Sprintf("%.1f MiB above the restored database", mb(extra)),
		BaselineText: fmt.Sprintf("restored database heap %.0f MiB", mb(dbHeap)),
	})
	return nil
}

// deltas measures a delta of 1000 upserts on the big database and on one of
// 10,000 records, in turn: only the delta is timed, not the upserts.
func (b *bench) deltas() error {
	small, smallUsers, err := buildDB(deltaSmall)
	if err != nil {
		return err
	}
	bigD, err := b.newDelta(b.db, b.users, b.cfg.Records, "delta-big")
	if err != nil {
		return err
	}
	defer bigD.stop()
	smallD, err := b.newDelta(small, smallUsers, deltaSmall, "delta-small")
	if err != nil {
		return err
	}
	defer smallD.stop()
	var big, sm time.Duration
	for i := 0; i < b.cfg.Deltas; i++ {
		d, err := bigD.next()
		if err != nil {
			return err
		}
		big = minD(big, d)
		if d, err = smallD.next(); err != nil {
			return err
		}
		sm = minD(sm, d)
	}
	ratio := big.Seconds() / sm.Seconds()
	b.add(row{
		Name: fmt.Sprintf("delta of 1k changes, %s vs 10k records", count(b.cfg.Records)), Unit: "s",
		Ours: big.Seconds(), Baseline: sm.Seconds(), Ratio: ratio, RatioIs: "ours/baseline time",
		Target: "<= 1.20", Met: met(ratio <= 1.2),
		OursText:     fmt.Sprintf("%.2f ms at %s records", ms(big), count(b.cfg.Records)),
		BaselineText: fmt.Sprintf("%.2f ms at 10k records", ms(sm)),
	})
	return nil
}

// deltaRun takes deltas of 1000 upserts of existing records of a table of n
// records.
type deltaRun struct {
	b     *bench
	s     prefixed
	m     *backup.Manager
	users *dictdb.Table
	n     int
	rng   *rand.Rand
}

func (b *bench) newDelta(db *dictdb.DB, users *dictdb.Table, n int, name string) (*deltaRun, error) {
	s := b.sink(name)
	m, err := backup.NewManager(db, s, backup.Options{Interval: -1, Incremental: true, MaxDeltasBeforeFull: 1 << 30})
	if err != nil {
		return nil, err
	}
	d := &deltaRun{b: b, s: s, m: m, users: users, n: n, rng: rand.New(rand.NewPCG(uint64(n), 1))}
	if err := m.BackupFull(b.ctx); err != nil {
		d.stop()
		return nil, err
	}
	return d, nil
}

// next upserts 1000 records and times the delta that follows.
func (d *deltaRun) next() (time.Duration, error) {
	for j := 0; j < 1000; j++ {
		r := record(j)
		r["id"] = 1 + d.rng.Int64N(int64(d.n))
		if _, err := d.users.Upsert(r); err != nil {
			return 0, err
		}
	}
	return timed(func() error { return d.m.BackupDelta(d.b.ctx) })
}

func (d *deltaRun) stop() {
	d.m.Stop()
	d.s.clear(d.b.ctx)
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

func count(n int) string {
	switch {
	case n >= 1e6 && n%1e6 == 0:
		return fmt.Sprintf("%dM", n/1e6)
	case n >= 1e3 && n%1e3 == 0:
		return fmt.Sprintf("%dk", n/1e3)
	}
	return fmt.Sprint(n)
}

// insertBatch is how many inserts go to one database before the other's
// turn.
const insertBatch = 1000

// insertRates compares inserts into a database followed by a manager with
// inserts into one without, in alternating batches so that both see the
// same machine: first with a manager that only follows the changes (no
// backup runs, so every change stays pending), then with one that writes a
// delta every 100 ms meanwhile.
func (b *bench) insertRates() error {
	capture := func(db *dictdb.DB) (func() error, error) {
		m, err := backup.NewManager(db, b.sink("insert-capture"), backup.Options{Interval: -1, Incremental: true})
		if err != nil {
			return nil, err
		}
		return func() error { m.Stop(); return nil }, nil
	}
	deltas := func(db *dictdb.DB) (func() error, error) {
		s := b.sink("insert-deltas")
		m, err := backup.NewManager(db, s, backup.Options{Interval: -1, Incremental: true, MaxDeltasBeforeFull: 1 << 30})
		if err != nil {
			return nil, err
		}
		if err := m.BackupFull(b.ctx); err != nil {
			m.Stop()
			return nil, err
		}
		stop, done := make(chan struct{}), make(chan error, 1)
		go func() {
			t := time.NewTicker(100 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-stop:
					done <- nil
					return
				case <-t.C:
					if err := m.BackupDelta(b.ctx); err != nil {
						done <- err
						return
					}
				}
			}
		}()
		return func() error {
			close(stop)
			err := <-done
			m.Stop()
			if cerr := s.clear(b.ctx); err == nil {
				err = cerr
			}
			return err
		}, nil
	}
	for _, v := range []struct {
		name   string
		attach func(*dictdb.DB) (func() error, error)
	}{{"insert rate, manager attached", capture}, {"insert rate, manager + delta every 100ms", deltas}} {
		var off, on time.Duration
		for r := 0; r < b.cfg.Repeats; r++ {
			d0, d1, err := b.interleavedInserts(v.attach)
			if err != nil {
				return err
			}
			off += d0
			on += d1
		}
		k := b.cfg.InsertOps * b.cfg.Repeats
		ratio := off.Seconds() / on.Seconds()
		b.add(row{
			Name: v.name, Unit: "inserts/s",
			Ours: rate(k, on), Baseline: rate(k, off), Ratio: ratio, RatioIs: "ours/baseline rate",
			Target: ">= 0.90", Met: met(ratio >= 0.9),
			OursText:     fmt.Sprintf("%.0fk inserts/s (%.2f µs)", rate(k, on)/1e3, float64(on)/1e3/float64(k)),
			BaselineText: fmt.Sprintf("no manager: %.0fk inserts/s (%.2f µs)", rate(k, off)/1e3, float64(off)/1e3/float64(k)),
		})
	}
	return nil
}

// interleavedInserts inserts cfg.InsertOps records into each of two new
// databases, the second one attached to a manager, in alternating batches,
// and returns the time each database took.
func (b *bench) interleavedInserts(attach func(*dictdb.DB) (func() error, error)) (off, on time.Duration, err error) {
	recs := make([]dictdb.Record, 1024)
	for i := range recs {
		recs[i] = record(i)
	}
	var tables [2]*dictdb.Table
	for i := range tables {
		db := dictdb.New()
		if i == 1 {
			stop, err := attach(db)
			if err != nil {
				return 0, 0, err
			}
			defer func() {
				if serr := stop(); err == nil {
					err = serr
				}
			}()
		}
		if tables[i], err = db.CreateTable("t"); err != nil {
			return 0, 0, err
		}
	}
	var took [2]time.Duration
	runtime.GC()
	for done := 0; done < b.cfg.InsertOps; done += insertBatch {
		n := min(insertBatch, b.cfg.InsertOps-done)
		for j := range 2 {
			i := (j + done/insertBatch) % 2 // who goes first alternates too
			d, err := timed(func() error {
				for k := done; k < done+n; k++ {
					if _, err := tables[i].Insert(recs[k%len(recs)]); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return 0, 0, err
			}
			took[i] += d
		}
	}
	return took[0], took[1], nil
}

func minD(cur, d time.Duration) time.Duration {
	if cur == 0 || d < cur {
		return d
	}
	return cur
}

// writerLatency measures the latency of inserts by a writer running flat
// out while a full JSON backup runs, and for as long without one.
func (b *bench) writerLatency() error {
	rec := record(0)
	run := func(name string, during func() error) (latencies, error) {
		t, err := b.db.CreateTable(name)
		if err != nil {
			return nil, err
		}
		defer b.db.DropTable(name)
		runtime.GC()
		stop := writer(func(int) error {
			_, err := t.Insert(rec)
			return err
		})
		err = during()
		lat, werr := stop()
		if err == nil {
			err = werr
		}
		return lat, err
	}
	s := b.sink("latency")
	defer s.clear(b.ctx)
	m, err := backup.NewManager(b.db, s, backup.Options{Interval: -1})
	if err != nil {
		return err
	}
	defer m.Stop()
	var took time.Duration
	during, err := run("writer_backup", func() error {
		start := time.Now()
		err := m.BackupFull(b.ctx)
		took = time.Since(start)
		return err
	})
	if err != nil {
		return err
	}
	alone, err := run("writer_alone", func() error {
		time.Sleep(took)
		return nil
	})
	if err != nil {
		return err
	}
	p := during.quantile(0.999)
	b.add(row{
		Name: "writer p99.9 during a full backup", Unit: "ms",
		Ours: ms(p), Baseline: ms(alone.quantile(0.999)), Ratio: ms(p) / ms(alone.quantile(0.999)), RatioIs: "ours/baseline latency",
		Target: "<= 5 ms", Met: met(p <= 5*time.Millisecond),
		OursText:     latencyText(during),
		BaselineText: "no backup: " + latencyText(alone),
	})
	return nil
}

func latencyText(l latencies) string {
	return fmt.Sprintf("p99.9 %.2f ms (p50 %.1f µs, max %.1f ms, %d inserts)",
		ms(l.quantile(0.999)), float64(l.quantile(0.5))/1e3, ms(l.quantile(1)), len(l))
}
