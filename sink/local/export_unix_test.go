//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package local

// UseLockFiles makes writers lock LockName files instead of directories,
// as where directories cannot be locked (NFS), until the returned func is
// called.
func UseLockFiles() (restore func()) {
	lockFilesOnly = true
	return func() { lockFilesOnly = false }
}
