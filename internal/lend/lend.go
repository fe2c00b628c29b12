// Package lend lets a writer hand a buffer to the next writer in a chain
// instead of having it copied: the buffer is lent, and the borrower says
// when it is done with it.
//
// A full backup encodes its records into buffers on every core; lending
// them through the checksum to the pipe that the sink reads saves two
// copies of the whole backup, while the checksum of one buffer still
// overlaps the sink's write of the one before.
package lend

import "io"

// Writer is an io.Writer that can also borrow b: WriteLent may keep b
// after it returns, until it calls release, which it calls at most once,
// when nothing reads b any more. The lender must not change b before
// release; if the stream fails, release may never be called, and b is
// simply not reused.
type Writer interface {
	io.Writer
	WriteLent(b []byte, release func()) error
}

// Write lends b to w if w is a Writer; otherwise it writes b to w and
// releases it at once.
func Write(w io.Writer, b []byte, release func()) error {
	if lw, ok := w.(Writer); ok {
		return lw.WriteLent(b, release)
	}
	_, err := w.Write(b)
	release()
	return err
}
