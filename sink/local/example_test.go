package local_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/dictdb/dictdb-go/sink"
	"github.com/dictdb/dictdb-go/sink/local"
)

func Example() {
	dir, err := os.MkdirTemp("", "dictdb-sink-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	s, err := local.New(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()

	ctx := context.Background()
	if err := s.Put(ctx, "daily/2024-06-01.json", strings.NewReader(`{"entries":3}`)); err != nil {
		fmt.Println(err)
		return
	}

	rc, err := s.Get(ctx, "daily/2024-06-01.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	data, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(data))

	infos, err := s.List(ctx, "daily/")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, info := range infos {
		fmt.Println(info.Key, info.Size)
	}

	_, err = s.Get(ctx, "daily/missing.json")
	fmt.Println(errors.Is(err, sink.ErrNotFound))
	// Output:
	// {"entries":3}
	// daily/2024-06-01.json 13
	// true
}
