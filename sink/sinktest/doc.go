// Package sinktest provides a conformance test suite for [sink.Sink]
// implementations. It drives only the sink.Sink interface.
//
// A sink package's test calls [Run] with a factory that returns a fresh,
// empty sink and registers its own cleanup:
//
//	func TestConformance(t *testing.T) {
//		sinktest.Run(t, func(t *testing.T) sink.Sink {
//			s, err := local.New(t.TempDir())
//			require.NoError(t, err)
//			t.Cleanup(func() { assert.NoError(t, s.Close()) })
//			return s
//		})
//	}
package sinktest
