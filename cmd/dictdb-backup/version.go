package main

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"
)

var versionCommand = &command{
	name:    "version",
	bare:    true,
	summary: "print the version of dictdb-backup and of the Go it was built with",
	help: `Prints the module version dictdb-backup was built from (as "go install
...@version" or the VCS stamp of "go build" sets it; "(devel)" when neither
does), the module path, and the Go version, OS and architecture.

Examples:
  dictdb-backup version`,
	flags: func(fs *flag.FlagSet) func(ctx context.Context, a *app, args []string) error {
		return runVersion
	},
}

func runVersion(ctx context.Context, a *app, args []string) error {
	version, path := "(unknown)", "github.com/dictdb/dictdb-go"
	if bi, ok := debug.ReadBuildInfo(); ok {
		version, path = bi.Main.Version, bi.Main.Path
		if version == "" {
			version = "(devel)"
		}
	}
	_, err := fmt.Fprintf(a.stdout, "dictdb-backup %s (module %s, %s %s/%s)\n", version, path, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return err
}
