package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/dictdb/dictdb-go/catalog"
	"github.com/dictdb/dictdb-go/restore"
	"github.com/dictdb/dictdb-go/sink"
)

// span is one chain as its exact points show it: the full backup, the
// newest point, and the sequence numbers in between.
type span struct {
	base, id    string
	first, last restore.Point
}

// spans groups points (oldest first) by the full backup they build on, in
// the order of the full backups.
func spans(points []restore.Point) []span {
	var out []span
	at := map[string]int{}
	for _, p := range points {
		i, ok := at[p.Base]
		if !ok {
			i = len(out)
			at[p.Base] = i
			out = append(out, span{base: p.Base, id: p.Chain, first: p})
		}
		out[i].last = p
	}
	return out
}

// chainJSON describes a chain in errors that list chains.
type chainJSON struct {
	Chain    string `json:"chain"`
	Base     string `json:"base"`
	First    string `json:"first"`
	Last     string `json:"last"`
	FirstSeq uint64 `json:"first_seq"`
	LastSeq  uint64 `json:"last_seq"`
}

func (s span) json() chainJSON {
	return chainJSON{Chain: s.id, Base: s.base, First: formatTime(s.first.Time), Last: formatTime(s.last.Time), FirstSeq: s.first.Seq, LastSeq: s.last.Seq}
}

// chainsError lists chains, as a table after its message.
type chainsError struct {
	msg    string
	chains []span
}

func (e *chainsError) Error() string {
	var b strings.Builder
	b.WriteString(e.msg + ":\n")
	tw := newTable(&b)
	row(tw, "  CHAIN", "FIRST", "LAST", "SEQ", "FULL BACKUP")
	for _, c := range e.chains {
		row(tw, "  "+shortChain(c.id), formatTime(c.first.Time), formatTime(c.last.Time), seqText(c.first)+"-"+seqText(c.last), c.base)
	}
	tw.Flush()
	return strings.TrimSuffix(b.String(), "\n")
}

// pickChain returns the key of the full backup of the chain id names: a
// chain id, a unique prefix of one, or the key of its full backup. With
// id "", the newest chain.
func pickChain(points []restore.Point, id string, s *store) (string, error) {
	all := spans(points)
	if id == "" {
		if len(all) == 0 {
			return "", nothingErrorf("no restorable backup in %s (run 'dictdb-backup verify')", s.url)
		}
		return all[len(all)-1].base, nil
	}
	var found []span
	for _, c := range all {
		if c.base == id || c.id == id {
			return c.base, nil
		}
		if c.id != "" && strings.HasPrefix(c.id, id) {
			found = append(found, c)
		}
	}
	switch len(found) {
	case 0:
		return "", nothingErrorf("no chain %q in %s (see 'dictdb-backup list')", id, s.url)
	case 1:
		return found[0].base, nil
	}
	return "", &exitError{code: exitUsage, err: &chainsError{chains: found,
		msg: fmt.Sprintf("--chain %q is ambiguous: %d chains start with it; give more of the id", id, len(found))}}
}

// checkSeq refuses a --seq that names states of more than one history.
// The chains with a point at or below seq are candidates; two of them are
// one database's successive chains when the newer starts at or above the
// newest point of the older. If two candidates overlap instead (the newer
// starts below where the older ends: two databases in one prefix, or one
// restored to an earlier point and continued), seq is ambiguous: the
// error lists the candidates, and --chain picks one.
func checkSeq(points []restore.Point, seq uint64) error {
	var cands []span
	for _, c := range spans(points) {
		if c.id != "" && c.first.Seq <= seq {
			cands = append(cands, c)
		}
	}
	clash := map[int]bool{}
	for i := range cands {
		for j := i + 1; j < len(cands); j++ {
			if cands[j].first.Seq < cands[i].last.Seq {
				clash[i], clash[j] = true, true
			}
		}
	}
	if len(clash) == 0 {
		return nil
	}
	var listed []span
	for i, c := range cands {
		if clash[i] {
			listed = append(listed, c)
		}
	}
	return &exitError{code: exitUsage, err: &chainsError{chains: listed,
		msg: fmt.Sprintf("--seq %d is ambiguous: %d chains have a point at or below it and their sequence numbers overlap (two databases in one prefix, or one restored to an earlier point and continued); choose one with --chain", seq, len(listed))}}
}

// chainView shows a restore one chain of a sink: its full backup base, the
// deltas of its chain, and every object whose header could not be read
// (its chain is unknown), so that the restore stays strict about those.
// Objects of other chains are hidden.
type chainView struct {
	sink.Sink
	hidden map[string]bool
}

// newChainView returns the view of the chain of the full backup base; c
// has every header read.
func newChainView(s sink.Sink, c *catalog.Catalog, base string) *chainView {
	v := &chainView{Sink: s, hidden: map[string]bool{}}
	full := c.Lookup(base)
	inLegacy := false // a Python-written delta after the Python-written base
	for _, obj := range c.Objects() {
		switch {
		case obj.Key == base:
			inLegacy = full.Header.Legacy()
			continue
		case obj.Err != nil || !obj.HeaderRead():
			continue
		case full.Header.Legacy():
			if obj.Kind == catalog.Full {
				inLegacy = false
			}
			if inLegacy && obj.Header.Legacy() {
				continue
			}
		case obj.Kind == catalog.Delta && obj.Header.Chain == full.Header.Chain && obj.Header.Base == base:
			continue
		}
		v.hidden[obj.Key] = true
	}
	return v
}

func (v *chainView) List(ctx context.Context, prefix string) ([]sink.ObjectInfo, error) {
	infos, err := v.Sink.List(ctx, prefix)
	if err != nil {
		return nil, err
	}
	out := infos[:0:0]
	for _, info := range infos {
		if !v.hidden[info.Key] {
			out = append(out, info)
		}
	}
	return out, nil
}

func (v *chainView) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if v.hidden[key] {
		return nil, fmt.Errorf("%s: %w", key, sink.ErrNotFound)
	}
	return v.Sink.Get(ctx, key)
}
