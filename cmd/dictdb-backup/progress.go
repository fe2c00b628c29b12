package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/sink"
)

// Progress modes of --progress.
const (
	progressAuto   = "auto"   // bars when stderr is a terminal
	progressAlways = "always" // bars on stderr, terminal or not
	progressNever  = "never"
)

// wantProgress decides whether to show progress bars on w.
func wantProgress(mode string, w io.Writer) bool {
	switch mode {
	case progressAlways:
		return true
	case progressNever:
		return false
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progress is a progress bar on stderr (bytes or a count, with the rate
// and ETA) whose total grows when more comes than was expected. A nil
// *progress shows nothing: every method does nothing.
type progress struct {
	w   io.Writer
	bar *progressbar.ProgressBar

	mu       sync.Mutex
	n, total int64
}

// bar returns a progress bar of total bytes (or, with unit, of total
// units such as "objects") labelled what, or nil when a shows no progress.
func (a *app) bar(what string, total int64, unit string) *progress {
	if !a.progress {
		return nil
	}
	if total <= 0 {
		total = 1
	}
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(a.stderr),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionShowElapsedTimeOnFinish(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100 * time.Millisecond),
		progressbar.OptionSetRenderBlankState(true),
	}
	if unit == "" {
		opts = append(opts, progressbar.OptionShowBytes(true), progressbar.OptionShowTotalBytes(true), progressbar.OptionUseIECUnits(true))
	} else {
		opts = append(opts, progressbar.OptionSetItsString(unit), progressbar.OptionShowIts())
	}
	return &progress{w: a.stderr, bar: progressbar.NewOptions64(total, opts...), total: total}
}

// add counts n more.
func (p *progress) add(n int64) {
	if p == nil || n == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n += n
	if p.n > p.total {
		p.total = p.n
		p.bar.ChangeMax64(p.total)
	}
	_ = p.bar.Add64(n)
}

// finish completes the bar (ok) or leaves it where it stopped, and ends its
// line.
func (p *progress) finish(ok bool) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if ok {
		_ = p.bar.Finish()
	} else {
		_ = p.bar.Exit()
	}
	fmt.Fprintln(p.w)
}

// countingSink counts on bar the bytes read through Get from the objects in
// keys (every object when keys is nil). Each object counts once, as far as
// it was read: reading a header and then the whole object counts its size.
type countingSink struct {
	sink.Sink
	keys map[string]bool
	bar  *progress

	mu   sync.Mutex
	read map[string]int64 // key -> the most bytes one Get read of it
}

func newCountingSink(s sink.Sink, keys map[string]bool, bar *progress) *countingSink {
	return &countingSink{Sink: s, keys: keys, bar: bar, read: map[string]int64{}}
}

// Get opens the object, counting what is read from it.
func (c *countingSink) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	rc, err := c.Sink.Get(ctx, key)
	if err != nil || c.keys != nil && !c.keys[key] {
		return rc, err
	}
	var n int64
	return &countingReader{ReadCloser: rc, add: func(k int64) {
		n += k
		c.mu.Lock()
		more := n - c.read[key]
		if more > 0 {
			c.read[key] = n
		}
		c.mu.Unlock()
		if more > 0 {
			c.bar.add(more)
		}
	}}, nil
}

type countingReader struct {
	io.ReadCloser
	add func(int64)
}

func (r *countingReader) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	if n > 0 {
		r.add(int64(n))
	}
	return n, err
}

// countingWriter counts on bar the bytes written through it.
type countingWriter struct {
	w   io.Writer
	bar *progress
}

func (c countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.bar.add(int64(n))
	return n, err
}

// opSink counts on a bar the objects whose first Get it passes (the
// headers Prune reads), then, from the first Delete on, the bytes of the
// objects deleted (sizes: key -> size) on a second bar.
type opSink struct {
	sink.Sink
	gets    *progress
	deletes func() *progress // makes the second bar
	sizes   map[string]int64

	mu      sync.Mutex
	seen    map[string]bool
	deleted *progress
}

func (o *opSink) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	o.mu.Lock()
	first := !o.seen[key]
	o.seen[key] = true
	o.mu.Unlock()
	rc, err := o.Sink.Get(ctx, key)
	if first {
		o.gets.add(1)
	}
	return rc, err
}

func (o *opSink) Delete(ctx context.Context, key string) error {
	o.mu.Lock()
	if o.deleted == nil && o.deletes != nil {
		o.gets.finish(true)
		o.gets, o.deleted = nil, o.deletes()
	}
	bar := o.deleted
	o.mu.Unlock()
	err := o.Sink.Delete(ctx, key)
	if err == nil {
		bar.add(o.sizes[key])
	}
	return err
}

// finish ends the bars.
func (o *opSink) finish(ok bool) {
	o.gets.finish(ok)
	o.deleted.finish(ok)
}

// sampleRecords is how many records of each table estimateSize encodes.
const sampleRecords = 256

// estimateSize estimates the size of db saved in format f, for the total
// of the save's progress bar: it saves the first records of each table and
// scales by the table's size.
func estimateSize(db *dictdb.DB, f dictdb.Format) int64 {
	size := func(d *dictdb.DB) float64 {
		var c byteCounter
		_ = d.Save(&c, f)
		return float64(c)
	}
	total := size(dictdb.New())
	for _, t := range db.Snapshot().Tables() {
		one := dictdb.New()
		tbl, err := one.CreateTable(t.Name, dictdb.WithPrimaryKey(t.Spec.PrimaryKey), dictdb.WithSchema(t.Spec.Schema))
		if err != nil {
			continue
		}
		empty := size(one)
		k := 0
		t.Range(func(r dictdb.Record) bool {
			if _, err := tbl.Upsert(r); err == nil {
				k++
			}
			return k < sampleRecords
		})
		perRecord := 0.0
		if k > 0 {
			perRecord = (size(one) - empty) / float64(k)
		}
		total += empty - size(dictdb.New()) + perRecord*float64(t.Len())
	}
	return int64(total)
}

type byteCounter int64

func (c *byteCounter) Write(p []byte) (int, error) { *c += byteCounter(len(p)); return len(p), nil }
