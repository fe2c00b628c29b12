// Package local provides a [sink.Sink] that stores objects as files in a
// directory on the local file system.
//
// The key "a/b/c.json" is stored as the file <dir>/a/b/c.json; slashes in
// keys become subdirectories, which are created as needed and never removed.
//
// # Confinement
//
// Nothing the Sink does resolves outside its directory. Every path is
// resolved the openat way, component by component beneath the directory
// (through [os.Root]), never by checking strings. A symbolic link is
// followed only if it is relative and stays inside the directory. Get
// refuses a key whose path leaves the directory through a link, and Put and
// Delete refuse one whose parent directories do, each with an error that
// names the key (not [sink.ErrNotFound]). A link at the key's own path is
// never written or removed through: Put renames the new object over the
// link, and Delete removes the link, not its target. List never follows
// links: it neither reports nor descends into them, wherever they point.
// The directory given to [New] is trusted and may itself be reached
// through a link.
//
// # Atomic writes
//
// Put never writes to the final path directly. It streams the object into a
// temporary file named ".dictdb-tmp-<random>" in the directory
// ".dictdb-tmp-files" next to the final file (creating a file among
// thousands of objects was measured slow on some file systems), sets
// its modification time, fsyncs it, closes it, renames it onto the final
// path (an atomic replace on POSIX file systems) and finally
// fsyncs the directory so the rename itself is durable; the rename and the
// directory fsync happen under the directory's lock (see Conditional
// writes). If anything fails before the rename, or the
// context is cancelled, the temporary file is removed and the previous
// object (if any) stays in place. If only the final directory fsync fails,
// the new object is already visible under its key, but Put reports the
// error because the rename may not survive a crash.
//
// While it streams, Put asks the kernel every 8 MiB to start writing what
// came since to the disk (sync_file_range(2) on Linux, nothing elsewhere),
// so that the fsync waits only for the end of a large object. It is a hint:
// durability still comes from the fsync.
//
// # Conditional writes
//
// The Sink is a [sink.ConditionalSink], atomic also across processes on
// one machine. Every write (Put, PutIf, Delete) commits holding an
// exclusive flock(2) on the object's directory, and an in-process lock
// with it: only the commit is locked (a stat, the rename, the directory
// fsync), not the streaming and fsync of the temporary file. Under the lock
// PutIf checks its condition against the current file, then commits: a
// create-if-absent links the temporary file into place, which fails if
// anything is there, and a compare-and-swap renames it. Plain Puts and
// Deletes take the same lock, so none can come between a check and its
// commit. Where a directory cannot be locked (NFS), writers lock the file
// ".dictdb-tmp-dir.lock" ([LockName]) in it instead, which List and keys
// ignore and New leaves in place; over NFS, locks work between machines
// only where the server supports them.
//
// A version is the file's device, inode number, modification time in
// nanoseconds and size, read with fstat on the descriptor GetVersion opens,
// so it is the version of the bytes it returns: a write never changes a
// file in place. A freed inode number is soon reused, so the modification
// time is what tells versions apart: each write gives its file the clock's
// time, or, if that is not after the time of the file it replaces (a clock
// step, a file system with coarse times), a later one. A version is thus
// never repeated for a key while it exists. PutIf and GetVersion need
// flock(2) and inode numbers; where the system has none (Windows) they
// return [sink.ErrNotSupported].
//
// # Crash behaviour
//
// If the process dies during a Put, a ".dictdb-tmp-*" file may be left
// behind, but no partial object ever becomes visible under its key. Temporary
// files are invisible to List, and keys with a segment starting with
// ".dictdb-tmp-" are rejected, so they can never be read or overwritten via
// the API. [New] removes all leftover temporary files (not lock files)
// under the directory;
// therefore only one Sink (in one process) should use a directory at a time.
// (A second process's New can remove a temporary file the first is writing;
// that Put then fails, and nothing partial becomes visible.) Two backup
// managers writing to one directory see each other by listing it: the next
// backup of each fails with backup.ErrOtherWriter, and their chains never
// mix.
//
// Example:
//
//	s, err := local.New("/var/backups/dictdb")
//	if err != nil {
//		return err
//	}
//	defer s.Close()
//	err = s.Put(ctx, "daily/2024-06-01.json", f) // creates daily/ as needed
package local
