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

	"github.com/dictdb/dictdb-go/sink"
)

// Progress modes of --progress.
const (
	progressAuto   = "auto"   // a bar when stderr is a terminal
	progressAlways = "always" // a bar on stderr, terminal or not
	progressNever  = "never"
)

// wantProgress decides whether to show a progress bar on w.
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

// progress is a byte-count progress bar (rate and ETA) whose total may
// grow when more is read than was expected.
type progress struct {
	w   io.Writer
	bar *progressbar.ProgressBar

	mu       sync.Mutex
	n, total int64
}

func newProgress(w io.Writer, total int64, what string) *progress {
	if total <= 0 {
		total = 1
	}
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowTotalBytes(true),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionShowElapsedTimeOnFinish(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionUseIECUnits(true),
		progressbar.OptionSetRenderBlankState(true),
	)
	return &progress{w: w, bar: bar, total: total}
}

// add counts n bytes read.
func (p *progress) add(n int64) {
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
	p.mu.Lock()
	defer p.mu.Unlock()
	if ok {
		_ = p.bar.Finish()
	} else {
		_ = p.bar.Exit()
	}
	fmt.Fprintln(p.w)
}

// countingSink passes the bytes read through Get from the objects in keys
// (every object when keys is nil) to add.
type countingSink struct {
	sink.Sink
	keys map[string]bool
	add  func(int64)
}

// Get opens the object, counting what is read from it.
func (c *countingSink) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	rc, err := c.Sink.Get(ctx, key)
	if err != nil || c.keys != nil && !c.keys[key] {
		return rc, err
	}
	return &countingReader{ReadCloser: rc, add: c.add}, nil
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
