package metrics_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/backup"
	"github.com/dictdb/dictdb-go/backup/metrics"
	"github.com/dictdb/dictdb-go/catalog"
	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/sink"
	"github.com/dictdb/dictdb-go/sink/mem"
	"github.com/dictdb/dictdb-go/sink/sinktest"
)

func newMetrics(t *testing.T, opts ...metrics.Option) (*metrics.Metrics, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	m, err := metrics.New(reg, opts...)
	require.NoError(t, err)
	return m, reg
}

// find returns the metric of family name whose labels include want, or nil.
func find(t *testing.T, reg prometheus.Gatherer, name string, want map[string]string) *dto.Metric {
	t.Helper()
	fams, err := reg.Gather()
	require.NoError(t, err)
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	next:
		for _, m := range f.GetMetric() {
			got := map[string]string{}
			for _, l := range m.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			for k, v := range want {
				if got[k] != v {
					continue next
				}
			}
			return m
		}
	}
	return nil
}

// value returns the counter or gauge value of the metric, 0 if absent.
func value(t *testing.T, reg prometheus.Gatherer, name string, labels map[string]string) float64 {
	t.Helper()
	m := find(t, reg, name, labels)
	switch {
	case m == nil:
		return 0
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	}
	t.Fatalf("%s %v is neither counter nor gauge", name, labels)
	return 0
}

// samples returns the sample count of the histogram, 0 if absent.
func samples(t *testing.T, reg prometheus.Gatherer, name string, labels map[string]string) uint64 {
	t.Helper()
	m := find(t, reg, name, labels)
	if m == nil {
		return 0
	}
	require.NotNil(t, m.Histogram, name)
	return m.Histogram.GetSampleCount()
}

type L = map[string]string

func TestObserveThroughManager(t *testing.T) {
	ctx := t.Context()
	m, reg := newMetrics(t)
	store := mem.New()
	faulty := sinktest.NewFaulty(store, 1)
	s := m.Sink("mem://", faulty)

	db := dictdb.New()
	users, err := db.CreateTable("users")
	require.NoError(t, err)
	var events []backup.Event
	mgr, err := backup.NewManager(db, s, backup.Options{
		Interval: -1, MinInterval: -1, Incremental: true,
		OnBackup: func(e backup.Event) { events = append(events, e); m.Observe(e) },
	})
	require.NoError(t, err)
	defer mgr.Stop()

	insert := func(name string) {
		_, err := users.Insert(dictdb.Record{"name": name})
		require.NoError(t, err)
	}
	insert("alice")
	require.NoError(t, mgr.BackupFull(ctx))
	insert("bob")
	require.NoError(t, mgr.BackupDelta(ctx))
	insert("carol")
	faulty.FailNextPuts(1)
	require.Error(t, mgr.BackupDelta(ctx))
	require.NoError(t, mgr.BackupDelta(ctx), "the failed delta's changes go into this one")
	require.Len(t, events, 4)

	assert.Equal(t, 1.0, value(t, reg, "dictdb_backup_total", L{"kind": "full", "result": "success"}))
	assert.Equal(t, 0.0, value(t, reg, "dictdb_backup_total", L{"kind": "full", "result": "failure"}))
	assert.Equal(t, 2.0, value(t, reg, "dictdb_backup_total", L{"kind": "delta", "result": "success"}))
	assert.Equal(t, 1.0, value(t, reg, "dictdb_backup_total", L{"kind": "delta", "result": "failure"}))
	assert.Equal(t, uint64(1), samples(t, reg, "dictdb_backup_duration_seconds", L{"kind": "full"}))
	assert.Equal(t, uint64(3), samples(t, reg, "dictdb_backup_duration_seconds", L{"kind": "delta"}))

	// The bytes of the successful backups are the sizes of the stored objects.
	infos, err := sinktest.ListBut(ctx, store, backup.LeaseKey)
	require.NoError(t, err)
	require.Len(t, infos, 3)
	sizes := map[string]int64{}
	for _, info := range infos {
		n, ok := catalog.Parse(info.Key)
		require.True(t, ok, info.Key)
		sizes[string(n.Kind)] += info.Size
	}
	assert.Equal(t, float64(sizes["full"]), value(t, reg, "dictdb_backup_bytes_total", L{"kind": "full"}))
	assert.Equal(t, float64(sizes["delta"]), value(t, reg, "dictdb_backup_bytes_total", L{"kind": "delta"}))

	last := mgr.Stats().LastBackup
	require.False(t, last.IsZero())
	assert.Equal(t, float64(last.UnixNano())/1e9, value(t, reg, "dictdb_backup_last_success_timestamp_seconds", L{"kind": "delta"}))
	assert.Equal(t, float64(events[0].Time.UnixNano())/1e9, value(t, reg, "dictdb_backup_last_success_timestamp_seconds", L{"kind": "full"}))

	// The sink saw four puts, one failed, and at least the full object and
	// the deltas in bytes (the failed put read some more).
	sinkL := func(op, result string) L { return L{"sink": "mem://", "op": op, "result": result} }
	assert.Equal(t, 3.0, value(t, reg, "dictdb_sink_operations_total", sinkL("put", "success")))
	assert.Equal(t, 1.0, value(t, reg, "dictdb_sink_operations_total", sinkL("put", "failure")))
	assert.Equal(t, uint64(4), samples(t, reg, "dictdb_sink_operation_duration_seconds", L{"sink": "mem://", "op": "put"}))
	assert.GreaterOrEqual(t, value(t, reg, "dictdb_sink_bytes_total", L{"sink": "mem://", "op": "put"}), float64(sizes["full"]+sizes["delta"]))
	assert.Positive(t, value(t, reg, "dictdb_sink_operations_total", sinkL("list", "success")), "the manager lists before backing up")
	assert.Equal(t, 0.0, value(t, reg, "dictdb_sink_operations_total", sinkL("list", "failure")))
}

func TestObserveDirectly(t *testing.T) {
	m, reg := newMetrics(t)
	t0 := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	m.Observe(backup.Event{Kind: "full", Key: "f1", Bytes: 1000, Duration: 2 * time.Second, Time: t0})
	m.Observe(backup.Event{Kind: "delta", Key: "d1", Bytes: 10, Duration: 20 * time.Millisecond, Time: t0.Add(time.Minute)})
	m.Observe(backup.Event{Kind: "delta", Key: "d2", Duration: time.Millisecond, Err: errors.New("boom"), Time: t0.Add(2 * time.Minute)})
	m.Observe(backup.Event{Kind: "check", Duration: time.Millisecond, Err: errors.New("list failed"), Time: t0.Add(3 * time.Minute)})

	expected := `
# HELP dictdb_backup_total Finished backup attempts, by kind and result.
# TYPE dictdb_backup_total counter
dictdb_backup_total{kind="check",result="failure"} 1
dictdb_backup_total{kind="delta",result="failure"} 1
dictdb_backup_total{kind="delta",result="success"} 1
dictdb_backup_total{kind="full",result="failure"} 0
dictdb_backup_total{kind="full",result="success"} 1
# HELP dictdb_backup_bytes_total Bytes written to the sink by successful backups.
# TYPE dictdb_backup_bytes_total counter
dictdb_backup_bytes_total{kind="delta"} 10
dictdb_backup_bytes_total{kind="full"} 1000
# HELP dictdb_backup_last_success_timestamp_seconds Unix time when the last successful backup of each kind finished.
# TYPE dictdb_backup_last_success_timestamp_seconds gauge
dictdb_backup_last_success_timestamp_seconds{kind="delta"} 1.71724326e+09
dictdb_backup_last_success_timestamp_seconds{kind="full"} 1.7172432e+09
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(expected),
		"dictdb_backup_total", "dictdb_backup_bytes_total", "dictdb_backup_last_success_timestamp_seconds"))

	h := find(t, reg, "dictdb_backup_duration_seconds", L{"kind": "full"}).GetHistogram()
	assert.Equal(t, uint64(1), h.GetSampleCount())
	assert.Equal(t, 2.0, h.GetSampleSum())
	h = find(t, reg, "dictdb_backup_duration_seconds", L{"kind": "delta"}).GetHistogram()
	assert.Equal(t, uint64(2), h.GetSampleCount())
	assert.InDelta(t, 0.021, h.GetSampleSum(), 1e-12)
	for _, b := range h.GetBucket() {
		want := uint64(0)
		switch {
		case b.GetUpperBound() >= 0.025:
			want = 2 // 1 ms and 20 ms
		case b.GetUpperBound() >= 0.005:
			want = 1
		}
		assert.Equal(t, want, b.GetCumulativeCount(), "bucket le=%g", b.GetUpperBound())
	}
}

func TestSinkWrapperCounts(t *testing.T) {
	ctx := t.Context()
	m, reg := newMetrics(t)
	s := m.Sink("store", mem.New())

	require.NoError(t, s.Put(ctx, "a", strings.NewReader("12345")))
	require.NoError(t, s.Put(ctx, "b", struct{ io.Reader }{bytes.NewReader(make([]byte, 1000))}), "a reader that cannot seek")
	rc, err := s.Get(ctx, "b")
	require.NoError(t, err)
	got, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.Len(t, got, 1000)
	require.NoError(t, rc.Close())
	rc, err = s.Get(ctx, "a")
	require.NoError(t, err)
	_, err = io.ReadFull(rc, make([]byte, 2)) // a partial read
	require.NoError(t, err)
	assert.Equal(t, 1.0, value(t, reg, "dictdb_sink_operations_total", L{"sink": "store", "op": "get", "result": "success"}),
		"the second get is recorded when its reader closes")
	require.NoError(t, rc.Close())
	_, err = s.Get(ctx, "missing")
	assert.ErrorIs(t, err, sink.ErrNotFound)
	infos, err := s.List(ctx, "")
	require.NoError(t, err)
	assert.Len(t, infos, 2)
	require.NoError(t, s.Delete(ctx, "a"))
	assert.ErrorIs(t, s.Delete(ctx, "a"), sink.ErrNotFound)
	assert.ErrorIs(t, s.Put(ctx, "../bad", strings.NewReader("x")), sink.ErrInvalidKey)

	expected := `
# HELP dictdb_sink_bytes_total Bytes passed to Put and PutIf or read from Get and GetVersion, by sink and operation.
# TYPE dictdb_sink_bytes_total counter
dictdb_sink_bytes_total{op="get",sink="store"} 1002
dictdb_sink_bytes_total{op="get_version",sink="store"} 0
dictdb_sink_bytes_total{op="put",sink="store"} 1005
dictdb_sink_bytes_total{op="put_if",sink="store"} 0
# HELP dictdb_sink_operations_total Sink operations, by sink, operation and result.
# TYPE dictdb_sink_operations_total counter
dictdb_sink_operations_total{op="delete",result="failure",sink="store"} 0
dictdb_sink_operations_total{op="delete",result="not_found",sink="store"} 1
dictdb_sink_operations_total{op="delete",result="success",sink="store"} 1
dictdb_sink_operations_total{op="get",result="failure",sink="store"} 0
dictdb_sink_operations_total{op="get",result="not_found",sink="store"} 1
dictdb_sink_operations_total{op="get",result="success",sink="store"} 2
dictdb_sink_operations_total{op="get_version",result="failure",sink="store"} 0
dictdb_sink_operations_total{op="get_version",result="not_found",sink="store"} 0
dictdb_sink_operations_total{op="get_version",result="success",sink="store"} 0
dictdb_sink_operations_total{op="list",result="failure",sink="store"} 0
dictdb_sink_operations_total{op="list",result="not_found",sink="store"} 0
dictdb_sink_operations_total{op="list",result="success",sink="store"} 1
dictdb_sink_operations_total{op="put",result="failure",sink="store"} 1
dictdb_sink_operations_total{op="put",result="not_found",sink="store"} 0
dictdb_sink_operations_total{op="put",result="success",sink="store"} 2
dictdb_sink_operations_total{op="put_if",result="failure",sink="store"} 0
dictdb_sink_operations_total{op="put_if",result="precondition_failed",sink="store"} 0
dictdb_sink_operations_total{op="put_if",result="success",sink="store"} 0
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(expected),
		"dictdb_sink_bytes_total", "dictdb_sink_operations_total"))
	for op, n := range map[string]uint64{"put": 3, "get": 3, "list": 1, "delete": 2} {
		assert.Equal(t, n, samples(t, reg, "dictdb_sink_operation_duration_seconds", L{"sink": "store", "op": op}), op)
	}
}

func TestSinkWrapperCountsConditionalOperations(t *testing.T) {
	ctx := t.Context()
	m, reg := newMetrics(t)
	s := m.Sink("store", mem.New())
	ops := func(op, result string) float64 {
		return value(t, reg, "dictdb_sink_operations_total", L{"sink": "store", "op": op, "result": result})
	}

	v, err := sink.PutIf(ctx, s, "lease", strings.NewReader("12345"), sink.Condition{IfAbsent: true})
	require.NoError(t, err)
	_, err = sink.PutIf(ctx, s, "lease", strings.NewReader("678"), sink.Condition{IfAbsent: true})
	assert.ErrorIs(t, err, sink.ErrPrecondition, "errors pass through unchanged")
	rc, got, err := sink.GetVersion(ctx, s, "lease")
	require.NoError(t, err)
	assert.Equal(t, v, got)
	_, err = io.ReadFull(rc, make([]byte, 3))
	require.NoError(t, err)
	assert.Equal(t, 0.0, ops(metrics.OpGetVersion, metrics.ResultSuccess), "recorded when its reader closes")
	require.NoError(t, rc.Close())
	_, _, err = sink.GetVersion(ctx, s, "missing")
	assert.ErrorIs(t, err, sink.ErrNotFound)
	_, err = sink.PutIf(ctx, s, "lease", struct{ io.Reader }{strings.NewReader("swap")}, sink.Condition{IfMatch: v})
	require.NoError(t, err, "a reader that cannot seek")

	assert.Equal(t, 2.0, ops("put_if", "success"))
	assert.Equal(t, 1.0, ops("put_if", "precondition_failed"), "a failed condition is no failure")
	assert.Equal(t, 0.0, ops("put_if", "failure"))
	assert.Equal(t, 1.0, ops("get_version", "success"))
	assert.Equal(t, 1.0, ops("get_version", "not_found"))
	assert.Equal(t, 0.0, ops("put", "success"), "not counted as plain puts")
	assert.Equal(t, 0.0, ops("get", "success"))
	assert.Equal(t, 12.0, value(t, reg, "dictdb_sink_bytes_total", L{"sink": "store", "op": "put_if"}), "5 + 3 + 4 bytes")
	assert.Equal(t, 3.0, value(t, reg, "dictdb_sink_bytes_total", L{"sink": "store", "op": "get_version"}))
	assert.Equal(t, uint64(3), samples(t, reg, "dictdb_sink_operation_duration_seconds", L{"sink": "store", "op": "put_if"}))
	assert.Equal(t, uint64(2), samples(t, reg, "dictdb_sink_operation_duration_seconds", L{"sink": "store", "op": "get_version"}))

	// A sink without the capability: ErrNotSupported, a failure.
	p := m.Sink("plain", struct{ sink.Sink }{mem.New()})
	_, err = sink.PutIf(ctx, p, "lease", strings.NewReader("x"), sink.Condition{IfAbsent: true})
	assert.ErrorIs(t, err, sink.ErrNotSupported)
	_, _, err = sink.GetVersion(ctx, p, "lease")
	assert.ErrorIs(t, err, sink.ErrNotSupported)
	assert.Equal(t, 1.0, value(t, reg, "dictdb_sink_operations_total", L{"sink": "plain", "op": "put_if", "result": "failure"}))
	assert.Equal(t, 1.0, value(t, reg, "dictdb_sink_operations_total", L{"sink": "plain", "op": "get_version", "result": "failure"}))
}

// PutIf's reader stays an io.Seeker, so a retry layer inside can start
// over.
func TestSinkWrapperRetriesConditionalWrites(t *testing.T) {
	ctx := t.Context()
	m, _ := newMetrics(t)
	f := sinktest.NewFaulty(mem.New(), 1)
	fast := sink.RetryOptions{Attempts: 3, BaseDelay: time.Microsecond, MaxDelay: time.Millisecond}
	s := m.Sink("retrying", sink.WithRetry(f, fast))
	f.FailNextPutIfs(1)
	v, err := sink.PutIf(ctx, s, "lease", strings.NewReader("held"), sink.Condition{IfAbsent: true})
	require.NoError(t, err)
	assert.Equal(t, int64(2), f.PutIfs.Load())
	rc, got, err := sink.GetVersion(ctx, f.Inner, "lease")
	require.NoError(t, err)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	assert.Equal(t, "held", string(b))
	assert.Equal(t, v, got)
}

func TestSinkWrapperWithFaults(t *testing.T) {
	ctx := t.Context()
	m, reg := newMetrics(t)
	f := sinktest.NewFaulty(mem.New(), 7)
	s := m.Sink("flaky", f)
	ops := func(op, result string) float64 {
		return value(t, reg, "dictdb_sink_operations_total", L{"sink": "flaky", "op": op, "result": result})
	}

	data := bytes.Repeat([]byte("x"), 1<<20) // beyond what a failing Put reads
	require.NoError(t, s.Put(ctx, "k", bytes.NewReader(data)))
	f.SetRates(1, 1, 1)
	err := s.Put(ctx, "k2", bytes.NewReader(data))
	assert.ErrorIs(t, err, sinktest.ErrInjected, "errors pass through unchanged")
	_, err = s.Get(ctx, "k")
	assert.ErrorIs(t, err, sinktest.ErrInjected)
	_, err = s.List(ctx, "")
	assert.ErrorIs(t, err, sinktest.ErrInjected)

	assert.Equal(t, 1.0, ops("put", "success"))
	assert.Equal(t, 1.0, ops("put", "failure"))
	assert.Equal(t, 1.0, ops("get", "failure"))
	assert.Equal(t, 1.0, ops("list", "failure"))
	put := value(t, reg, "dictdb_sink_bytes_total", L{"sink": "flaky", "op": "put"})
	assert.GreaterOrEqual(t, put, float64(len(data)), "the successful put")
	assert.Less(t, put, float64(2*len(data)), "the failing put stopped reading early")
	assert.Equal(t, 0.0, value(t, reg, "dictdb_sink_bytes_total", L{"sink": "flaky", "op": "get"}))

	// A read error makes the get a failure.
	f.SetRates(0, 0, 0)
	broken := m.Sink("broken-reads", readErrSink{f})
	rc, err := broken.Get(ctx, "k")
	require.NoError(t, err)
	_, err = io.ReadAll(rc)
	assert.ErrorIs(t, err, errRead)
	require.NoError(t, rc.Close())
	assert.Equal(t, 1.0, value(t, reg, "dictdb_sink_operations_total", L{"sink": "broken-reads", "op": "get", "result": "failure"}))
	assert.Equal(t, 10.0, value(t, reg, "dictdb_sink_bytes_total", L{"sink": "broken-reads", "op": "get"}))
}

var errRead = errors.New("connection reset mid-read")

// readErrSink returns readers that fail after 10 bytes.
type readErrSink struct{ sink.Sink }

func (s readErrSink) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	rc, err := s.Sink.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{io.MultiReader(io.LimitReader(rc, 10), errReader{}), rc}, nil
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errRead }

func TestSinkWrapperKeepsReaderSeekable(t *testing.T) {
	ctx := t.Context()
	m, reg := newMetrics(t)
	f := sinktest.NewFaulty(mem.New(), 1)
	fast := sink.RetryOptions{Attempts: 3, BaseDelay: time.Microsecond, MaxDelay: time.Millisecond}
	s := m.Sink("retrying", sink.WithRetry(f, fast))

	data := bytes.Repeat([]byte("0123456789"), 100<<10)
	f.FailNextPuts(1)
	require.NoError(t, s.Put(ctx, "k", bytes.NewReader(data)), "the retry layer inside seeks the wrapped reader")
	assert.Equal(t, int64(2), f.Puts.Load())
	rc, err := f.Inner.Get(ctx, "k")
	require.NoError(t, err)
	got, err := io.ReadAll(rc)
	require.NoError(t, err)
	assert.Equal(t, data, got)
	assert.Greater(t, value(t, reg, "dictdb_sink_bytes_total", L{"sink": "retrying", "op": "put"}), float64(len(data)),
		"bytes read again after the seek count again")

	f.FailNextPuts(1)
	err = s.Put(ctx, "k2", struct{ io.Reader }{bytes.NewReader(data)})
	assert.ErrorIs(t, err, sinktest.ErrInjected, "without a seeker the retry layer cannot retry")
	assert.Equal(t, int64(3), f.Puts.Load())
}

func TestSinkConformance(t *testing.T) {
	m, reg := newMetrics(t)
	newSink := func(t *testing.T) sink.Sink {
		s := m.Sink("mem://"+t.Name(), mem.New())
		t.Cleanup(func() { assert.NoError(t, s.Close()) })
		return s
	}
	sinktest.Run(t, newSink)
	sinktest.RunConditional(t, newSink)
	assert.Positive(t, value(t, reg, "dictdb_sink_operations_total", L{"sink": "mem://TestSinkConformance/RacingSwaps", "op": "put_if", "result": "precondition_failed"}))
	assert.Positive(t, value(t, reg, "dictdb_sink_operations_total", L{"sink": "mem://TestSinkConformance/PutGetListDelete", "op": "put", "result": "success"}))

	t.Run("InMulti", func(t *testing.T) {
		newMulti := func(t *testing.T) sink.Sink {
			s, err := sink.Multi([]sink.Named{
				{Name: "a", Sink: m.Sink("a", mem.New())},
				{Name: "b", Sink: m.Sink("b", sink.WithRetry(mem.New(), sink.RetryOptions{}))},
			})
			require.NoError(t, err)
			t.Cleanup(func() { assert.NoError(t, s.Close()) })
			return s
		}
		sinktest.Run(t, newMulti)
		sinktest.RunConditional(t, newMulti)
	})
}

func TestSinkNamesAreRedacted(t *testing.T) {
	for name, want := range map[string]string{
		"s3://AKIA:hunter2@bucket/db1?secret_key=abc&region=eu":         "s3://xxxxx:xxxxx@bucket/db1?region=eu&secret_key=xxxxx",
		"azblob://c?sig=hunter2&sv=2020-08-04":                          "azblob://c?sig=xxxxx&sv=xxxxx",
		"s3://b?endpoint=http://admin:hunter2@127.0.0.1:9000&region=eu": "s3://b?endpoint=http://xxxxx:xxxxx@127.0.0.1:9000&region=eu",
		"s3://AKIA:hunter2/x@bucket/db1":                                "(invalid URL)",
		"s3://bucket/db1?region=eu":                                     "s3://bucket/db1?region=eu",
		"primary":                                                       "primary",
	} {
		m, reg := newMetrics(t)
		s := m.Sink(name, mem.New())
		require.NoError(t, s.Put(t.Context(), "k", strings.NewReader("x")))
		fams, err := reg.Gather()
		require.NoError(t, err)
		var sinks []string
		for _, f := range fams {
			for _, mt := range f.GetMetric() {
				for _, l := range mt.GetLabel() {
					if l.GetName() == "sink" {
						sinks = append(sinks, l.GetValue())
					}
				}
			}
		}
		require.NotEmpty(t, sinks)
		for _, v := range sinks {
			assert.Equal(t, want, v, name)
		}
	}
}

func TestNewOptions(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m, err := metrics.New(reg, metrics.WithNamespace("app"), metrics.WithConstLabels(prometheus.Labels{"db": "users"}),
		metrics.WithBuckets([]float64{1, 10}))
	require.NoError(t, err)
	m.Observe(backup.Event{Kind: "full", Bytes: 5, Duration: 3 * time.Second, Time: time.Unix(100, 0)})
	assert.Equal(t, 1.0, value(t, reg, "app_backup_total", L{"db": "users", "kind": "full", "result": "success"}))
	assert.Equal(t, 100.0, value(t, reg, "app_backup_last_success_timestamp_seconds", L{"db": "users", "kind": "full"}))
	h := find(t, reg, "app_backup_duration_seconds", L{"db": "users", "kind": "full"}).GetHistogram()
	require.Len(t, h.GetBucket(), 2)
	assert.Equal(t, uint64(0), h.GetBucket()[0].GetCumulativeCount())
	assert.Equal(t, uint64(1), h.GetBucket()[1].GetCumulativeCount())

	// A second set on the same registry needs other const labels.
	_, err = metrics.New(reg, metrics.WithNamespace("app"), metrics.WithConstLabels(prometheus.Labels{"db": "users"}))
	var are prometheus.AlreadyRegisteredError
	assert.ErrorAs(t, err, &are)
	_, err = metrics.New(reg, metrics.WithNamespace("app"), metrics.WithConstLabels(prometheus.Labels{"db": "orders"}))
	assert.NoError(t, err)

	// A nil registerer registers nothing; the Metrics is a Collector.
	m2, err := metrics.New(nil)
	require.NoError(t, err)
	m2.Observe(backup.Event{Kind: "delta", Bytes: 7})
	reg2 := prometheus.NewPedanticRegistry()
	require.NoError(t, reg2.Register(m2))
	assert.Equal(t, 7.0, value(t, reg2, "dictdb_backup_bytes_total", L{"kind": "delta"}))
}

func TestLint(t *testing.T) {
	m, _ := newMetrics(t)
	s := m.Sink("mem://", mem.New())
	require.NoError(t, s.Put(t.Context(), "k", strings.NewReader("x")))
	m.Observe(backup.Event{Kind: "full", Bytes: 1, Time: time.Now()})
	problems, err := testutil.CollectAndLint(m)
	require.NoError(t, err)
	assert.Empty(t, problems)
}

// A Manager backing up to two sinks through sink.Multi: the member whose
// first upload fails retries it, seeking the Manager's reader through Multi
// and the metrics wrapper.
func TestManagerThroughMultiWithRetryingMember(t *testing.T) {
	ctx := t.Context()
	m, reg := newMetrics(t)
	a, b := mem.New(), mem.New()
	fb := sinktest.NewFaulty(b, 1)
	fb.FailNextPuts(1)
	fast := sink.RetryOptions{Attempts: 3, BaseDelay: time.Microsecond, MaxDelay: time.Millisecond}
	s, err := sink.Multi([]sink.Named{
		{Name: "a", Sink: m.Sink("a", a)},
		{Name: "b", Sink: m.Sink("b", sink.WithRetry(fb, fast))},
	})
	require.NoError(t, err)

	db := dictdb.New()
	users, err := db.CreateTable("users")
	require.NoError(t, err)
	for i := range 2000 { // an object of many pipe chunks
		_, err := users.Insert(dictdb.Record{"name": strings.Repeat("n", i%200)})
		require.NoError(t, err)
	}
	mgr, err := backup.NewManager(db, s, backup.Options{Interval: -1, OnBackup: m.Observe})
	require.NoError(t, err)
	defer mgr.Stop()
	require.NoError(t, mgr.BackupFull(ctx))
	assert.Equal(t, int64(2), fb.Puts.Load(), "b failed once, then its retry succeeded")

	read := func(s sink.Sink) (string, []byte) {
		infos, err := sinktest.ListBut(ctx, s, backup.LeaseKey) // the lease is on the primary, a, only
		require.NoError(t, err)
		require.Len(t, infos, 1)
		rc, err := s.Get(ctx, infos[0].Key)
		require.NoError(t, err)
		defer rc.Close()
		data, err := io.ReadAll(rc)
		require.NoError(t, err)
		return infos[0].Key, data
	}
	keyA, dataA := read(a)
	keyB, dataB := read(b)
	assert.Equal(t, keyA, keyB)
	assert.Equal(t, dataA, dataB, "both members hold the same complete object")
	assert.Equal(t, float64(len(dataA)), value(t, reg, "dictdb_backup_bytes_total", L{"kind": "full"}))
	for _, name := range []string{"a", "b"} {
		assert.Equal(t, 1.0, value(t, reg, "dictdb_sink_operations_total", L{"sink": name, "op": "put", "result": "success"}), name)
		assert.Equal(t, 0.0, value(t, reg, "dictdb_sink_operations_total", L{"sink": name, "op": "put", "result": "failure"}), name)
	}
	assert.Equal(t, float64(len(dataA)), value(t, reg, "dictdb_sink_bytes_total", L{"sink": "a", "op": "put"}))
	assert.Greater(t, value(t, reg, "dictdb_sink_bytes_total", L{"sink": "b", "op": "put"}), float64(len(dataA)),
		"b read part of the object twice")
}
