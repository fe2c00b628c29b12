//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package local

import (
	"context"
	"fmt"
	"os"

	"github.com/dictdb/dictdb-go/sink"
)

// conditionalWrites says whether PutIf and GetVersion work here: not
// without flock(2) and inode numbers.
const conditionalWrites = false

const openNonBlocking = 0

// fileVersion is unused here: PutIf and GetVersion return
// sink.ErrNotSupported.
func fileVersion(fi os.FileInfo) sink.Version {
	return sink.Version(fmt.Sprintf("%x.%x", fi.ModTime().UnixNano(), fi.Size()))
}

func linkUnsupported(error) bool { return true }

// lockDir does nothing here: Put and Delete are atomic without it, and
// conditional writes, which need it, are not supported.
func lockDir(context.Context, *os.Root) (func(), error) { return func() {}, nil }
