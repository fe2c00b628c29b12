// Package mem provides an in-memory [sink.Sink], intended for tests and
// short-lived tools. Objects are lost when the process exits.
//
// Put buffers the whole object before storing it, so a failed or cancelled
// Put leaves the previous state untouched.
//
// # Conditional writes
//
// The Sink is a [sink.ConditionalSink]: PutIf checks its condition and
// stores under the sink's lock, so the check and the write are one step.
// The version is a counter of the sink's writes, which every write
// (Put and PutIf alike) advances.
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
