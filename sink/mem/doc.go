// Package mem provides an in-memory [sink.Sink], intended for tests and
// short-lived tools. Objects are lost when the process exits.
//
// Put buffers the whole object before storing it, so a failed or cancelled
// Put leaves the previous state untouched.
//
// Example:
//
//	s := mem.New()
//	defer s.Close()
//	if err := s.Put(ctx, "a/b.json", strings.NewReader(`{}`)); err != nil {
//		return err
//	}
//	rc, err := s.Get(ctx, "a/b.json")
package mem
