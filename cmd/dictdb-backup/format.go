package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dictdb/dictdb-go/restore"
)

// timeLayout shows times in UTC, RFC 3339 with microseconds, as the
// object names store them.
const timeLayout = "2006-01-02T15:04:05.000000Z07:00"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// humanSize formats a byte count with binary units: 512 B, 1.2 MiB.
func humanSize(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	v := float64(n)
	for _, unit := range []string{"KiB", "MiB", "GiB", "TiB", "PiB"} {
		v /= 1024
		if v < 1024 || unit == "PiB" {
			return fmt.Sprintf("%.1f %s", v, unit)
		}
	}
	panic("unreachable")
}

// shortChain abbreviates a chain id for tables; Python-written backups
// have none.
func shortChain(c string) string {
	switch {
	case c == "":
		return "-"
	case len(c) > 8:
		return c[:8]
	}
	return c
}

// seqText shows a point's sequence number; Python-written backups have
// none.
func seqText(p restore.Point) string {
	if p.Chain == "" {
		return "-"
	}
	return strconv.FormatUint(p.Seq, 10)
}

// pointJSON is a restore.Point in JSON, with stable field names.
type pointJSON struct {
	Key   string `json:"key"`
	Kind  string `json:"kind"`
	Time  string `json:"time"`
	Seq   uint64 `json:"seq"`
	Size  int64  `json:"size"`
	Chain string `json:"chain"`
	Base  string `json:"base"`
}

func toPointJSON(p restore.Point) pointJSON {
	return pointJSON{Key: p.Key, Kind: string(p.Kind), Time: formatTime(p.Time), Seq: p.Seq, Size: p.Size, Chain: p.Chain, Base: p.Base}
}

func pointsJSON(points []restore.Point) []pointJSON {
	out := make([]pointJSON, 0, len(points))
	for _, p := range points {
		out = append(out, toPointJSON(p))
	}
	return out
}

// writeJSON prints v indented, with a final newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// newTable returns a tabwriter for aligned columns.
func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
}

// row writes tab-separated cells.
func row(w io.Writer, cells ...string) {
	fmt.Fprintln(w, strings.Join(cells, "\t"))
}

// writePoints prints points as an aligned table.
func writePoints(w io.Writer, points []restore.Point) {
	tw := newTable(w)
	row(tw, "TIME", "KIND", "SEQ", "SIZE", "CHAIN", "KEY")
	for _, p := range points {
		row(tw, formatTime(p.Time), string(p.Kind), seqText(p), humanSize(p.Size), shortChain(p.Chain), p.Key)
	}
	tw.Flush()
}

// plural returns "1 object", "2 objects".
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
