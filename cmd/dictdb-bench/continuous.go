package main

import (
	"bytes"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/dictdb/dictdb-go/backup"
	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/sink/sinktest"
)

// continuousRows measures continuous mode: the requests each delta costs,
// whether a delta costs more as the prefix fills, how long a write waits
// to be durable, and how writers share flushes.
func (b *bench) continuousRows() error {
	for _, step := range []func() error{b.requestsPerDelta, b.deltaCostAsThePrefixFills, b.commitToDurable, b.groupCommit} {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// continuousManager returns a started manager in continuous mode on a
// small database, backing up through a counting sink of the experiment
// name.
func (b *bench) continuousManager(name string, maxLag time.Duration) (*dictdb.DB, *dictdb.Table, *backup.Manager, *sinktest.Counting, func(), error) {
	db, users, err := buildDB(1000)
	if err != nil {
		return nil, nil, nil, nil, nil, err
	}
	s := b.sink(name)
	cs := sinktest.NewCounting(s)
	m, err := backup.NewManager(db, cs, backup.Options{MaxLag: maxLag, Interval: -1, MaxDeltasBeforeFull: 1 << 30})
	if err == nil {
		err = m.Start()
	}
	if err != nil {
		return nil, nil, nil, nil, nil, err
	}
	if err := m.Flush(b.ctx); err != nil { // the first backup: a full one
		m.Stop()
		return nil, nil, nil, nil, nil, err
	}
	return db, users, m, cs, func() { m.Stop(); s.clear(b.ctx) }, nil
}

func (b *bench) flushes() int {
	if b.cfg.Records < 1_000_000 {
		return 300
	}
	return 1000
}

// requestsPerDelta: one insert, then WaitDurable, many times over; each is
// one flush, which should cost one PUT and nothing else.
func (b *bench) requestsPerDelta() error {
	db, users, m, cs, done, err := b.continuousManager("requests", time.Millisecond)
	if err != nil {
		return err
	}
	defer done()
	cs.Reset()
	n := b.flushes()
	for i := 0; i < n; i++ {
		if _, err := users.Insert(record(i)); err != nil {
			return err
		}
		if err := m.WaitDurable(b.ctx, db.Sequence()); err != nil {
			return err
		}
	}
	puts := float64(cs.Puts.Load()) / float64(n)
	other := float64(cs.Lists.Load()+cs.Gets.Load()+cs.GetVersions.Load()) / float64(n)
	b.add(row{
		Name: fmt.Sprintf("requests per delta, continuous, %d flushes", n), Unit: "requests",
		Ours: puts, Baseline: 1, Ratio: puts, RatioIs: "PUTs per delta",
		Target: "1.0 PUT, 0 LIST, 0 GET", Met: met(cs.Puts.Load() == int64(n) && other == 0),
		OursText: fmt.Sprintf("%.3f PUT, %d LIST, %d GET, %d lease renewals per %d deltas",
			puts, cs.Lists.Load(), cs.Gets.Load()+cs.GetVersions.Load(), cs.PutIfs.Load(), n),
		BaselineText: "1 PUT per delta",
	})
	return nil
}

// deltaCostAsThePrefixFills compares one-record deltas to a prefix that
// holds thousands of objects with deltas to one that holds a hundred,
// alternating between the two so that a noisy machine slows both alike.
func (b *bench) deltaCostAsThePrefixFills() error {
	total := 3000
	if b.cfg.Records < 1_000_000 {
		total = 1000
	}
	type filled struct {
		users *dictdb.Table
		m     *backup.Manager
		s     prefixed
	}
	fill := func(name string, n int) (*filled, error) {
		db, users, err := buildDB(100)
		if err != nil {
			return nil, err
		}
		s := b.sink(name)
		m, err := backup.NewManager(db, s, backup.Options{Interval: -1, Incremental: true, MaxDeltasBeforeFull: 1 << 30})
		if err != nil {
			return nil, err
		}
		f := &filled{users: users, m: m, s: s}
		if err := m.BackupFull(b.ctx); err != nil {
			return f, err
		}
		for i := 1; i < n; i++ {
			if _, err := users.Insert(record(i)); err != nil {
				return f, err
			}
			if err := m.BackupDelta(b.ctx); err != nil {
				return f, err
			}
		}
		return f, nil
	}
	done := func(f *filled) {
		if f != nil {
			f.m.Stop()
			f.s.clear(b.ctx)
		}
	}
	big, err := fill("prefix-big", total)
	defer done(big)
	if err != nil {
		return err
	}
	small, err := fill("prefix-small", 100)
	defer done(small)
	if err != nil {
		return err
	}
	const samples = 200
	var onBig, onSmall []time.Duration
	for i := 0; i < samples; i++ {
		for _, f := range []*filled{big, small} {
			if _, err := f.users.Insert(record(i)); err != nil {
				return err
			}
			d, err := timed(func() error { return f.m.BackupDelta(b.ctx) })
			if err != nil {
				return err
			}
			if f == big {
				onBig = append(onBig, d)
			} else {
				onSmall = append(onSmall, d)
			}
		}
	}
	bigD, smallD := median(onBig), median(onSmall)
	ratio := bigD.Seconds() / smallD.Seconds()
	b.add(row{
		Name: fmt.Sprintf("delta cost with %s objects vs 100 in the prefix", count(total)), Unit: "s",
		Ours: bigD.Seconds(), Baseline: smallD.Seconds(), Ratio: ratio, RatioIs: "ours/baseline time",
		Target: "<= 1.20", Met: met(ratio <= 1.2),
		OursText:     fmt.Sprintf("%.2f ms (median of %d, %s objects)", ms(bigD), samples, count(total)),
		BaselineText: fmt.Sprintf("%.2f ms (median of %d, 100 objects)", ms(smallD), samples),
	})
	return nil
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// commitToDurable times, with MaxLag 100 ms, how long a write waits until
// it is durable, against a raw PUT of an object the size of its delta.
func (b *bench) commitToDurable() error {
	const maxLag = 100 * time.Millisecond
	db, users, m, _, done, err := b.continuousManager("latency", maxLag)
	if err != nil {
		return err
	}
	defer done()
	n := 50
	if b.cfg.Records < 1_000_000 {
		n = 20
	}
	var lat latencies
	for i := 0; i < n; i++ {
		start := time.Now()
		if _, err := users.Insert(record(i)); err != nil {
			return err
		}
		if err := m.WaitDurable(b.ctx, db.Sequence()); err != nil {
			return err
		}
		lat = append(lat, time.Since(start))
	}
	size := m.Stats().LastBytes
	raw := b.sink("latency-raw")
	defer raw.clear(b.ctx)
	body := bytes.Repeat([]byte("x"), int(max(size, 1)))
	var put latencies
	for i := 0; i < n; i++ {
		d, err := timed(func() error { return raw.Put(b.ctx, fmt.Sprintf("raw-%d", i), bytes.NewReader(body)) })
		if err != nil {
			return err
		}
		put = append(put, d)
	}
	slices.Sort(lat)
	slices.Sort(put)
	p50, p99 := lat.quantile(0.5), lat.quantile(0.99)
	b.add(row{
		Name: "commit to durable, MaxLag 100 ms", Unit: "ms",
		Ours: ms(p99), Baseline: ms(put.quantile(0.99)), Ratio: ms(p99) / ms(put.quantile(0.99)), RatioIs: "ours/raw PUT p99",
		Target: "p99 <= MaxLag + 3 raw PUTs", Met: met(p99 <= maxLag+3*put.quantile(0.99)),
		OursText:     fmt.Sprintf("p50 %.1f ms, p99 %.1f ms (%d writes)", ms(p50), ms(p99), n),
		BaselineText: fmt.Sprintf("raw PUT of %d bytes: p50 %.2f ms, p99 %.2f ms", size, ms(put.quantile(0.5)), ms(put.quantile(0.99))),
	})
	return nil
}

// groupCommit: 8 writers each insert then wait for durability, against one
// writer doing the same; PUTs per durable write say how they share.
func (b *bench) groupCommit() error {
	const maxLag = 10 * time.Millisecond
	each := 40
	if b.cfg.Records < 1_000_000 {
		each = 20
	}
	run := func(writers int) (perSec, putsPerWrite float64, err error) {
		db, users, m, cs, done, err := b.continuousManager(fmt.Sprintf("group-%d", writers), maxLag)
		if err != nil {
			return 0, 0, err
		}
		defer done()
		cs.Reset()
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		start := time.Now()
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < each; i++ {
					if _, err := users.Insert(record(i)); err != nil {
						errs <- err
						return
					}
					if err := m.WaitDurable(b.ctx, db.Sequence()); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		took := time.Since(start)
		close(errs)
		if err := <-errs; err != nil {
			return 0, 0, err
		}
		writes := writers * each
		return rate(writes, took), float64(cs.Puts.Load()) / float64(writes), nil
	}
	one, onePuts, err := run(1)
	if err != nil {
		return err
	}
	eight, eightPuts, err := run(8)
	if err != nil {
		return err
	}
	b.add(row{
		Name: "group commit, 8 writers vs 1, MaxLag 10 ms", Unit: "writes/s",
		Ours: eight, Baseline: one, Ratio: eight / one, RatioIs: "durable writes/s, 8 writers / 1",
		Target: "PUTs per durable write <= 0.5", Met: met(eightPuts <= 0.5),
		OursText:     fmt.Sprintf("%.0f durable writes/s, %.2f PUTs per write", eight, eightPuts),
		BaselineText: fmt.Sprintf("1 writer: %.0f durable writes/s, %.2f PUTs per write", one, onePuts),
	})
	return nil
}
