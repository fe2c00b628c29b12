package main

import (
	"fmt"
	"strings"
)

// Exit codes. exitCodes describes them: --help, the package doc and
// README.md print that table, and a test checks they agree.
const (
	exitOK       = 0 // success
	exitProblems = 1 // a problem found in the backups
	exitUsage    = 2 // bad command, flags, arguments or sink URL
	exitAccess   = 3 // the backups could not be reached or opened
	exitNothing  = 4 // no backup objects there (or none at the point asked for)
	exitStopped  = 5 // cancelled (interrupted) or timed out
)

// exitCodes is the one description of the exit codes: a short name, then
// what it covers.
var exitCodes = []struct {
	code        int
	name, means string
}{
	{exitOK, "OK", ""},
	{exitProblems, "problem found", "verify found a corrupt, missing or misplaced object; restore or inspect found an object it cannot account for (restore names the newest point that restores exactly); the copy does not verify"},
	{exitUsage, "usage", "unknown command, bad flags or arguments, an invalid sink URL, an ambiguous --seq or --chain"},
	{exitAccess, "access", "I/O error, permission denied, an unreachable sink or one that refuses the credentials, an unreadable identity file, encrypted backups and no identity that opens them, an --out file that exists"},
	{exitNothing, "nothing there", "the location holds no backup objects (an empty or mistyped directory or prefix), or none at the point asked for, or no such object or chain"},
	{exitStopped, "cancelled or timed out", "--timeout, or an interrupt"},
}

// exitTable returns the exit codes as the indented block --help shows.
func exitTable() string {
	var b strings.Builder
	for _, e := range exitCodes {
		text := e.name
		if e.means != "" {
			text += ": " + e.means
		}
		b.WriteString(wrap(fmt.Sprintf("  %d  ", e.code), "     ", text, 78))
	}
	return b.String()
}

// exitSummary returns the exit codes on one line, for a command's help.
func exitSummary() string {
	var parts []string
	for _, e := range exitCodes {
		parts = append(parts, fmt.Sprintf("%d %s", e.code, e.name))
	}
	return strings.Join(parts, ", ")
}

// wrap breaks s at spaces into lines of at most width characters, the
// first starting with first and the others with indent, each ending in a
// newline.
func wrap(first, indent, s string, width int) string {
	var b strings.Builder
	line := first
	empty := true
	for _, w := range strings.Fields(s) {
		if !empty && len(line)+1+len(w) > width {
			b.WriteString(line + "\n")
			line, empty = indent, true
		}
		if !empty {
			line += " "
		}
		line += w
		empty = false
	}
	b.WriteString(line + "\n")
	return b.String()
}
