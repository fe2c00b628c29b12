package blobsink

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gocloud.dev/blob/memblob"
	"gocloud.dev/gcerrors"

	"github.com/dictdb/dictdb-go/sink"
)

// The store's error codes decide whether sink.Transient retries; codes
// gocloud leaves unknown fall back to the network error in the chain.
func TestErrorsSayWhetherTheyAreTransient(t *testing.T) {
	plain := errors.New("store said no")
	for code, want := range map[gcerrors.ErrorCode]bool{
		gcerrors.ResourceExhausted: true, gcerrors.Internal: true, gcerrors.DeadlineExceeded: true,
		gcerrors.NotFound: false, gcerrors.PermissionDenied: false, gcerrors.InvalidArgument: false,
		gcerrors.FailedPrecondition: false, gcerrors.AlreadyExists: false, gcerrors.Canceled: false,
		gcerrors.Unknown: false,
	} {
		assert.Equal(t, want, transient(code, plain), code)
	}
	reset := fmt.Errorf("read: %w", syscall.ECONNRESET)
	assert.True(t, transient(gcerrors.Unknown, reset), "a broken connection is worth a retry")

	s := New(memblob.OpenBucket(nil), Options{Name: "mem"})
	_, err := s.Get(context.Background(), "missing")
	require.ErrorIs(t, err, sink.ErrNotFound)
	assert.False(t, sink.Transient(err))
	e := s.wrap("get", "k", reset)
	var te sink.TransientError
	require.ErrorAs(t, e, &te, "the error classifies itself")
	assert.True(t, te.Transient())
	assert.True(t, sink.Transient(e))
	assert.ErrorIs(t, e, syscall.ECONNRESET)
}

// An error quoting a whole response (Azure's do, XML body and all) is one
// line, without the body, and still wraps the cause.
func TestErrorsAreOneLine(t *testing.T) {
	azure := "blob (code=NotFound): GET http://127.0.0.1:10000/devstoreaccount1/missing\n" +
		"--------------------------------------------------------------------------------\n" +
		"RESPONSE 404: 404 The specified container does not exist.\n" +
		"ERROR CODE: ContainerNotFound\n" +
		"--------------------------------------------------------------------------------\n" +
		"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Error>\n  <Code>ContainerNotFound</Code>\n</Error>\n" +
		"--------------------------------------------------------------------------------\n"
	cause := errors.New(azure)
	s := New(memblob.OpenBucket(nil), Options{Name: "azure"})
	err := s.wrap("list", "", cause)
	assert.Equal(t, "sink/azure: list : blob (code=NotFound): GET http://127.0.0.1:10000/devstoreaccount1/missing; "+
		"RESPONSE 404: 404 The specified container does not exist.; ERROR CODE: ContainerNotFound", err.Error())
	assert.ErrorIs(t, err, cause)
}
