package local

import (
	"os"

	"golang.org/x/sys/unix"
)

// startWriteback asks the kernel to start writing the n bytes of f at off
// to the disk, without waiting (sync_file_range(2) with
// SYNC_FILE_RANGE_WRITE). The fsync at the end of a put then waits only
// for what was written last. It is a hint: an error is ignored, and the
// fsync still decides durability.
func startWriteback(f *os.File, off, n int64) {
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		_ = unix.SyncFileRange(int(fd), off, n, unix.SYNC_FILE_RANGE_WRITE)
	})
}
