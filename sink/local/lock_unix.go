//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/dictdb/dictdb-go/sink"
)

// conditionalWrites says whether PutIf and GetVersion work here: they need
// flock(2) and inode numbers.
const conditionalWrites = true

// openNonBlocking makes opening a FIFO return at once.
const openNonBlocking = syscall.O_NONBLOCK

// fileVersion is the version of the object whose file has info fi: its
// device, inode, modification time (ns) and size. Writes never change a
// file in place, and each gives its file a modification time after the one
// it replaces (setLaterModTime), so a version is never seen twice.
func fileVersion(fi os.FileInfo) sink.Version {
	var dev, ino uint64
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		dev, ino = uint64(st.Dev), uint64(st.Ino)
	}
	return sink.Version(fmt.Sprintf("%x.%x.%x.%x", dev, ino, fi.ModTime().UnixNano(), fi.Size()))
}

// linkUnsupported reports whether err, from link(2), means the file system
// has no hard links.
func linkUnsupported(err error) bool {
	for _, e := range []error{syscall.EPERM, syscall.EOPNOTSUPP, syscall.ENOTSUP, syscall.ENOSYS, syscall.EMLINK} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// lockFilesOnly makes lockDir lock LockName files, as where directories
// cannot be locked: for tests.
var lockFilesOnly = false

// fileID identifies a directory.
type fileID struct{ dev, ino uint64 }

// procLock is the in-process side of a directory's lock.
type procLock struct {
	held chan struct{} // holds a value while locked
	refs int           // guarded by procLocks.mu
}

// procLocks are the in-process locks of the directories being written.
// flock(2) alone would do on a local file system, where the locks of two
// descriptors exclude each other even in one process, but not where it is
// emulated with fcntl(2) locks (NFS), which a process shares among its
// descriptors.
var procLocks = struct {
	mu sync.Mutex
	m  map[fileID]*procLock
}{m: map[fileID]*procLock{}}

// lockDir locks the directory d exclusively, against every writer of this
// package in this process and in others, until unlock is called. It waits
// for as long as ctx allows. The lock is flock(2) on the directory itself,
// or, where a directory cannot be locked (NFS), on its LockName file,
// created if need be.
func lockDir(ctx context.Context, d *os.Root) (unlock func(), err error) {
	dir, err := d.Open(".")
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	fi, err := dir.Stat()
	if err != nil {
		_ = dir.Close()
		return nil, fmt.Errorf("lock: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		_ = dir.Close()
		return nil, errors.New("lock: no inode number")
	}
	id := fileID{uint64(st.Dev), uint64(st.Ino)}

	procLocks.mu.Lock()
	pl := procLocks.m[id]
	if pl == nil {
		pl = &procLock{held: make(chan struct{}, 1)}
		procLocks.m[id] = pl
	}
	pl.refs++
	procLocks.mu.Unlock()
	var locked *os.File // what holds the flock
	release := func() {
		if locked != nil {
			_ = syscall.Flock(int(locked.Fd()), syscall.LOCK_UN) // closing would unlock too
			<-pl.held
		}
		procLocks.mu.Lock()
		if pl.refs--; pl.refs == 0 {
			delete(procLocks.m, id)
		}
		procLocks.mu.Unlock()
		if locked != nil && locked != dir {
			_ = locked.Close()
		}
		_ = dir.Close()
	}

	select {
	case pl.held <- struct{}{}:
	case <-ctx.Done():
		release()
		return nil, ctx.Err()
	}
	err = syscall.EBADF
	if !lockFilesOnly {
		err = flock(ctx, dir)
	}
	if err == nil {
		locked = dir
		return release, nil
	}
	if !lockUnsupported(err) {
		<-pl.held
		release()
		return nil, fmt.Errorf("lock: %w", err)
	}
	// Opened for writing: NFS takes an exclusive lock only on such a file.
	f, err := d.OpenFile(LockName, os.O_RDWR|os.O_CREATE|syscall.O_NONBLOCK, 0o644)
	if err == nil {
		if err = flock(ctx, f); err != nil {
			_ = f.Close()
		}
	}
	if err != nil {
		<-pl.held
		release()
		return nil, fmt.Errorf("lock: %w", err)
	}
	locked = f
	return release, nil
}

// lockUnsupported reports whether err, from flock(2) on a directory, means
// that directories cannot be locked there.
func lockUnsupported(err error) bool {
	for _, e := range []error{syscall.EBADF, syscall.EINVAL, syscall.ENOLCK, syscall.EOPNOTSUPP, syscall.ENOTSUP} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// flock takes an exclusive flock(2) on f, polling so that ctx can end the
// wait: another process holds the lock only for a rename and a sync or two.
func flock(ctx context.Context, f *os.File) error {
	fd := int(f.Fd())
	wait := 50 * time.Microsecond
	for {
		err := syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, 10*time.Millisecond)
	}
}
