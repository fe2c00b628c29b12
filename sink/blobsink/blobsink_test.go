package blobsink_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/memblob"

	"github.com/dictdb/dictdb-go/sink"
	"github.com/dictdb/dictdb-go/sink/blobsink"
	"github.com/dictdb/dictdb-go/sink/sinktest"
)

// gocloud's in-memory driver stands in for an object store here; the
// integration tests run the same suite against MinIO, fake-gcs-server and
// Azurite.
func TestConformanceOnMemblob(t *testing.T) {
	sinktest.Run(t, func(t *testing.T) sink.Sink {
		s := blobsink.New(memblob.OpenBucket(nil), blobsink.Options{Name: "memblob", Prefix: "db1"})
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestPrefixesIsolate(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	open := func() *blob.Bucket {
		b, err := fileblob.OpenBucket(dir, nil)
		require.NoError(t, err)
		return b
	}
	bucket := open()
	defer bucket.Close()
	a := blobsink.New(open(), blobsink.Options{Prefix: "tenants/a"})
	b := blobsink.New(open(), blobsink.Options{Prefix: "tenants/a2/"})
	require.NoError(t, a.Put(ctx, "k", strings.NewReader("A")))
	require.NoError(t, b.Put(ctx, "k", strings.NewReader("B")))
	la, err := a.List(ctx, "")
	require.NoError(t, err)
	require.Len(t, la, 1)
	assert.Equal(t, "k", la[0].Key)
	exists, err := bucket.Exists(ctx, "tenants/a/k")
	require.NoError(t, err)
	assert.True(t, exists)
	require.NoError(t, b.Delete(ctx, "k"))
	_, err = b.Get(ctx, "k")
	require.ErrorIs(t, err, sink.ErrNotFound)
	rc, err := a.Get(ctx, "k")
	require.NoError(t, err)
	rc.Close()
}
