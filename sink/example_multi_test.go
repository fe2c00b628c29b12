package sink_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/dictdb/dictdb-go/sink"
	"github.com/dictdb/dictdb-go/sink/mem"
)

// Backups go to two stores; a Put succeeds when both have the object.
func ExampleMulti() {
	ctx := context.Background()
	primary, err := sink.OpenNamed(ctx, "mem://primary") // named by its redacted URL
	if err != nil {
		fmt.Println(err)
		return
	}
	offsite := mem.New()
	s, err := sink.Multi([]sink.Named{primary, {Name: "offsite", Sink: offsite}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()

	fmt.Println(s.Put(ctx, "db1/a.json", strings.NewReader(`{"a":1}`)))
	rc, _ := offsite.Get(ctx, "db1/a.json")
	b, _ := io.ReadAll(rc)
	rc.Close()
	fmt.Println("offsite has", string(b))

	// Each failing member is named in the error.
	offsite.Close()
	err = s.Put(ctx, "db1/b.json", strings.NewReader(`{"b":2}`))
	fmt.Println(err)
	fmt.Println(errors.Is(err, sink.ErrClosed))
	// Output:
	// <nil>
	// offsite has {"a":1}
	// sink/multi: put db1/b.json: 1 of 2 sinks failed, 2 must succeed: sink "offsite": put db1/b.json: sink/mem: put db1/b.json: sink: closed
	// true
}

// With a quorum, a Put succeeds when enough members stored the object; the
// tolerated failures go to OnMemberError.
func ExampleQuorum() {
	ctx := context.Background()
	down := mem.New()
	down.Close()
	s, _ := sink.Multi([]sink.Named{
		{Name: "a", Sink: mem.New()},
		{Name: "b", Sink: mem.New()},
		{Name: "down", Sink: down},
	}, sink.Quorum(2), sink.OnMemberError(func(e *sink.MemberError) {
		fmt.Println("tolerated:", e)
	}))
	fmt.Println(s.Put(ctx, "k", strings.NewReader("data")))
	// Output:
	// tolerated: sink "down": put k: sink/mem: put k: sink: closed
	// <nil>
}
