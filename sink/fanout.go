package sink

import (
	"context"
	"errors"
	"io"
	"slices"
	"sync"
)

// fanout streams one source to the Puts of several members, each reading
// its own pipe. The source is read in passes: the first goes to every
// member; when members seek their reader back to the start (to retry), a
// new pass goes to them once no member is still reading the previous one.
type fanout struct {
	ctx    context.Context
	src    io.Reader // the source, returning ctx.Err() once ctx is done
	seeker io.Seeker // the source's, or nil
	buf    []byte

	mu      sync.Mutex
	changed *sync.Cond // signalled when a member's state changes
	members []*fanMember
}

type memberState int

const (
	reading   memberState = iota // in the current pass, or finishing its Put after it
	rewinding                    // in Seek, waiting for the next pass
	finished                     // its Put returned
)

// fanMember is a member's side of a fanout.
type fanMember struct {
	f       *fanout
	state   memberState // guarded by f.mu
	pr      *io.PipeReader
	restart chan error // to a rewinding member: nil when its next pass is ready
}

var (
	errMemberDone = errors.New("sink/multi: member finished")
	errRewound    = errors.New("sink/multi: member sought back to start")
)

const fanoutChunk = 64 << 10

func newFanout(ctx context.Context, src io.Reader, n int) *fanout {
	f := &fanout{ctx: ctx, src: NewContextReader(ctx, src), buf: make([]byte, fanoutChunk)}
	f.seeker, _ = src.(io.Seeker)
	f.changed = sync.NewCond(&f.mu)
	for range n {
		f.members = append(f.members, &fanMember{f: f, restart: make(chan error, 1)})
	}
	return f
}

// newPipe gives m a fresh pipe and returns its writing end. f.mu is held.
func (m *fanMember) newPipe() *io.PipeWriter {
	pr, pw := io.Pipe()
	m.pr = pr
	m.state = reading
	return pw
}

// reader returns the reader m's Put gets: an io.Seeker when the source is.
func (m *fanMember) reader() io.Reader {
	if m.f.seeker != nil {
		return seekableFanReader{fanReader{m}}
	}
	return fanReader{m}
}

type fanReader struct{ m *fanMember }

func (r fanReader) Read(p []byte) (int, error) {
	r.m.f.mu.Lock()
	pr := r.m.pr
	r.m.f.mu.Unlock()
	return pr.Read(p)
}

type seekableFanReader struct{ fanReader }

// Seek supports only Seek(0, io.SeekStart): the member leaves the current
// pass and waits for the next.
func (r seekableFanReader) Seek(offset int64, whence int) (int64, error) {
	if offset != 0 || whence != io.SeekStart {
		return 0, errors.New("sink/multi: a member's reader can only seek to its start")
	}
	m, f := r.m, r.m.f
	f.mu.Lock()
	if m.state != reading {
		f.mu.Unlock()
		return 0, errors.New("sink/multi: seek of a finished member's reader")
	}
	m.state = rewinding
	m.pr.CloseWithError(errRewound) // the current pass drops m
	f.changed.Broadcast()
	f.mu.Unlock()
	select {
	case err := <-m.restart:
		return 0, err
	case <-f.ctx.Done():
		return 0, f.ctx.Err()
	}
}

// run calls put for every member at once, each with its reader, streams the
// source to them, and returns their errors.
func (f *fanout) run(put func(i int, r io.Reader) error) []error {
	errs := make([]error, len(f.members))
	pass := make([]*io.PipeWriter, len(f.members))
	f.mu.Lock()
	for i, m := range f.members {
		pass[i] = m.newPipe()
	}
	f.mu.Unlock()
	var wg sync.WaitGroup
	for i, m := range f.members {
		wg.Go(func() {
			err := put(i, m.reader())
			f.mu.Lock()
			m.state = finished
			m.pr.CloseWithError(errMemberDone) // a pass still writing drops m
			f.changed.Broadcast()
			f.mu.Unlock()
			errs[i] = err
		})
	}
	for {
		f.copy(pass)
		pass = pass[:0]
		f.mu.Lock()
		var waiting []*fanMember
		for {
			busy := false
			waiting = waiting[:0]
			for _, m := range f.members {
				switch m.state {
				case reading:
					busy = true
				case rewinding:
					waiting = append(waiting, m)
				}
			}
			if !busy {
				break
			}
			f.changed.Wait()
		}
		f.mu.Unlock()
		if len(waiting) == 0 {
			break // every member finished
		}
		// Only seekable readers rewind, so f.seeker is set.
		_, err := f.seeker.Seek(0, io.SeekStart)
		f.mu.Lock()
		for _, m := range waiting {
			pw := m.newPipe()
			if err != nil {
				pw.CloseWithError(err)
			} else {
				pass = append(pass, pw)
			}
			m.restart <- err
		}
		f.mu.Unlock()
	}
	wg.Wait()
	return errs
}

// copy streams the source to the pipes of one pass until it ends, or until
// no member reads any more, and closes the pipes with the source's error
// (none at io.EOF).
func (f *fanout) copy(pass []*io.PipeWriter) {
	live := slices.Clone(pass)
	var err error
	for len(live) > 0 && err == nil {
		var n int
		n, err = f.src.Read(f.buf)
		if n > 0 {
			live = write(live, f.buf[:n])
		}
	}
	if err == io.EOF {
		err = nil
	}
	for _, pw := range pass {
		pw.CloseWithError(err)
	}
}

// write writes p to every pipe at once and returns those that took it all;
// the others' readers left.
func write(pipes []*io.PipeWriter, p []byte) []*io.PipeWriter {
	if len(pipes) == 1 {
		if _, err := pipes[0].Write(p); err != nil {
			return nil
		}
		return pipes
	}
	ok := make([]bool, len(pipes))
	var wg sync.WaitGroup
	for i, pw := range pipes {
		wg.Go(func() {
			_, err := pw.Write(p)
			ok[i] = err == nil
		})
	}
	wg.Wait()
	live := pipes[:0]
	for i, pw := range pipes {
		if ok[i] {
			live = append(live, pw)
		}
	}
	return live
}
