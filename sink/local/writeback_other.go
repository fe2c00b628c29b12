//go:build !linux

package local

import "os"

// startWriteback does nothing here: only Linux has sync_file_range(2).
func startWriteback(*os.File, int64, int64) {}
