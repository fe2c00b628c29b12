package main

import (
	"testing"

	"github.com/dictdb/dictdb-go/sink"
	"github.com/dictdb/dictdb-go/sink/mem"
	"github.com/dictdb/dictdb-go/sink/sinktest"
)

// An experiment's sink passes conditional writes through, so that a
// Manager that takes a lease runs on it as on the sink the user named.
func TestPrefixedSinkIsConditional(t *testing.T) {
	sinktest.RunConditional(t, func(t *testing.T) sink.Sink { return prefixed{Sink: mem.New(), prefix: "exp/"} })
}
