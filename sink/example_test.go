package sink_test

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/dictdb/dictdb-go/sink"
	_ "github.com/dictdb/dictdb-go/sink/all"
)

func ExampleOpen() {
	ctx := context.Background()
	s, err := sink.Open(ctx, "mem://")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	s.Put(ctx, "db1/hello.txt", strings.NewReader("hello"))
	rc, _ := s.Get(ctx, "db1/hello.txt")
	b, _ := io.ReadAll(rc)
	rc.Close()
	fmt.Println(string(b))

	// Errors show the URL redacted: only the values of parameters known to
	// hold no secret, like region, are shown.
	_, err = sink.Open(ctx, "s3://bucket/db1?region=eu-west-1&regoin=eu-west-1")
	fmt.Println(err)
	// Credentials in a URL are refused.
	_, err = sink.Open(ctx, "mem://user:hunter2@")
	fmt.Println(err)
	// Output:
	// hello
	// sink: open s3://bucket/db1?region=eu-west-1&regoin=xxxxx: unknown query parameter "regoin" for s3:// URLs (supported: checksums, endpoint, kms_key_id, part_size, profile, region, retries, sse, use_path_style)
	// sink: mem://xxxxx:xxxxx@: credentials in a URL are refused: mem:// URLs take no credentials; backends that need some read them from the environment
}
