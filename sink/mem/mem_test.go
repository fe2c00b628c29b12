package mem_test

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/sink"
	"github.com/dictdb/dictdb-go/sink/mem"
	"github.com/dictdb/dictdb-go/sink/sinktest"
)

func TestConformance(t *testing.T) {
	newSink := func(t *testing.T) sink.Sink {
		s := mem.New()
		t.Cleanup(func() { assert.NoError(t, s.Close()) })
		return s
	}
	sinktest.Run(t, newSink)
	sinktest.RunConditional(t, newSink)
}

func TestOpenReaderUnaffectedByLaterPut(t *testing.T) {
	ctx := t.Context()
	s := mem.New()
	require.NoError(t, s.Put(ctx, "k", strings.NewReader("old content")))

	rc, err := s.Get(ctx, "k")
	require.NoError(t, err)
	head := make([]byte, 4)
	_, err = io.ReadFull(rc, head)
	require.NoError(t, err)

	require.NoError(t, s.Put(ctx, "k", strings.NewReader("NEW CONTENT!")))
	require.NoError(t, s.Delete(ctx, "k"))

	rest, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	assert.Equal(t, "old content", string(head)+string(rest))
}

func TestPutDoesNotAliasCallerBuffer(t *testing.T) {
	ctx := t.Context()
	s := mem.New()
	buf := []byte("original")
	require.NoError(t, s.Put(ctx, "k", bytes.NewReader(buf)))
	copy(buf, "XXXXXXXX")

	rc, err := s.Get(ctx, "k")
	require.NoError(t, err)
	got, err := io.ReadAll(rc)
	require.NoError(t, err)
	assert.Equal(t, "original", string(got))
}

func TestClosed(t *testing.T) {
	ctx := t.Context()
	s := mem.New()
	require.NoError(t, s.Put(ctx, "k", strings.NewReader("v")))
	rc, err := s.Get(ctx, "k")
	require.NoError(t, err)

	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "second Close is a no-op")

	assert.ErrorIs(t, s.Put(ctx, "k", strings.NewReader("v2")), sink.ErrClosed)
	_, err = s.Get(ctx, "k")
	assert.ErrorIs(t, err, sink.ErrClosed)
	_, err = s.List(ctx, "")
	assert.ErrorIs(t, err, sink.ErrClosed)
	assert.ErrorIs(t, s.Delete(ctx, "k"), sink.ErrClosed)

	got, err := io.ReadAll(rc)
	require.NoError(t, err, "readers opened before Close stay usable")
	assert.Equal(t, "v", string(got))
}

func TestErrorsNameOperationAndKey(t *testing.T) {
	s := mem.New()
	_, err := s.Get(t.Context(), "some/key")
	require.ErrorIs(t, err, sink.ErrNotFound)
	assert.Equal(t, "sink/mem: get some/key: sink: object not found", err.Error())
}
