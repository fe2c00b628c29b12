package sinktest

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/dictdb/dictdb-go/sink"
)

// Counting wraps a sink and counts the requests made through it, by kind,
// for tests that assert how many requests something costs (counts are
// deterministic where times are not). It passes conditional writes through
// when the inner sink has them.
type Counting struct {
	Inner sink.Sink

	Puts, Gets, Lists, Deletes, PutIfs, GetVersions atomic.Int64
}

var _ sink.ConditionalSink = (*Counting)(nil)

// NewCounting wraps inner.
func NewCounting(inner sink.Sink) *Counting { return &Counting{Inner: inner} }

// Reset sets every count to zero.
func (c *Counting) Reset() {
	for _, n := range []*atomic.Int64{&c.Puts, &c.Gets, &c.Lists, &c.Deletes, &c.PutIfs, &c.GetVersions} {
		n.Store(0)
	}
}

// String returns the counts, for failure messages.
func (c *Counting) String() string {
	return fmt.Sprintf("put %d, get %d, list %d, delete %d, putIf %d, getVersion %d",
		c.Puts.Load(), c.Gets.Load(), c.Lists.Load(), c.Deletes.Load(), c.PutIfs.Load(), c.GetVersions.Load())
}

// Put counts and passes through.
func (c *Counting) Put(ctx context.Context, key string, r io.Reader) error {
	c.Puts.Add(1)
	return c.Inner.Put(ctx, key, r)
}

// Get counts and passes through.
func (c *Counting) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	c.Gets.Add(1)
	return c.Inner.Get(ctx, key)
}

// List counts and passes through.
func (c *Counting) List(ctx context.Context, prefix string) ([]sink.ObjectInfo, error) {
	c.Lists.Add(1)
	return c.Inner.List(ctx, prefix)
}

// Delete counts and passes through.
func (c *Counting) Delete(ctx context.Context, key string) error {
	c.Deletes.Add(1)
	return c.Inner.Delete(ctx, key)
}

// PutIf counts and passes through.
func (c *Counting) PutIf(ctx context.Context, key string, r io.Reader, cond sink.Condition) (sink.Version, error) {
	c.PutIfs.Add(1)
	return sink.PutIf(ctx, c.Inner, key, r, cond)
}

// GetVersion counts and passes through.
func (c *Counting) GetVersion(ctx context.Context, key string) (io.ReadCloser, sink.Version, error) {
	c.GetVersions.Add(1)
	return sink.GetVersion(ctx, c.Inner, key)
}

// Close closes the inner sink.
func (c *Counting) Close() error { return c.Inner.Close() }
