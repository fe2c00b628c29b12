package metrics

import (
	"context"
	"errors"
	"io"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dictdb/dictdb-go/backup"
	"github.com/dictdb/dictdb-go/sink"
)

// DefaultNamespace is the prefix of every metric name unless WithNamespace
// changes it.
const DefaultNamespace = "dictdb"

// DefaultBuckets are the upper bounds, in seconds, of the duration
// histograms: from 5 ms to 10 minutes.
var DefaultBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600}

// Results of backups and sink operations, the values of the result label.
const (
	ResultSuccess      = "success"
	ResultFailure      = "failure"
	ResultNotFound     = "not_found"           // sink operations only
	ResultPrecondition = "precondition_failed" // put_if only: an error matching sink.ErrPrecondition
)

// Sink operations, the values of the op label.
const (
	OpPut        = "put"
	OpGet        = "get"
	OpList       = "list"
	OpDelete     = "delete"
	OpPutIf      = "put_if"      // sink.PutIf, a conditional write
	OpGetVersion = "get_version" // sink.GetVersion
)

// results are the values of the result label each sink operation can
// take, created with the sink's label so that they read 0 until they
// happen.
var results = map[string][]string{
	OpPut:        {ResultSuccess, ResultFailure, ResultNotFound},
	OpGet:        {ResultSuccess, ResultFailure, ResultNotFound},
	OpList:       {ResultSuccess, ResultFailure, ResultNotFound},
	OpDelete:     {ResultSuccess, ResultFailure, ResultNotFound},
	OpPutIf:      {ResultSuccess, ResultFailure, ResultPrecondition},
	OpGetVersion: {ResultSuccess, ResultFailure, ResultNotFound},
}

// Option configures New.
type Option func(*config)

type config struct {
	namespace   string
	constLabels prometheus.Labels
	buckets     []float64
}

// WithNamespace replaces the "dictdb" prefix of the metric names; "" means
// no prefix.
func WithNamespace(ns string) Option { return func(c *config) { c.namespace = ns } }

// WithConstLabels adds labels with fixed values to every metric, for
// example the database's name when a process backs up several.
func WithConstLabels(l prometheus.Labels) Option {
	return func(c *config) { c.constLabels = l }
}

// WithBuckets sets the bucket upper bounds, in seconds, of both duration
// histograms (default DefaultBuckets).
func WithBuckets(b []float64) Option { return func(c *config) { c.buckets = b } }

// Metrics holds the collectors. It is itself a prometheus.Collector, of
// all of them. Its methods are safe for concurrent use.
type Metrics struct {
	backups     *prometheus.CounterVec
	backupBytes *prometheus.CounterVec
	backupTime  *prometheus.HistogramVec
	lastSuccess *prometheus.GaugeVec
	sinkOps     *prometheus.CounterVec
	sinkBytes   *prometheus.CounterVec
	sinkTime    *prometheus.HistogramVec
}

var _ prometheus.Collector = (*Metrics)(nil)

// New creates the collectors and registers them with reg; a nil reg
// registers nothing (the Metrics can be registered later, being a
// Collector). Registering twice with one registry, without distinct const
// labels, is an error.
func New(reg prometheus.Registerer, opts ...Option) (*Metrics, error) {
	c := config{namespace: DefaultNamespace, buckets: DefaultBuckets}
	for _, o := range opts {
		o(&c)
	}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: c.namespace, Name: name, Help: help, ConstLabels: c.constLabels,
		}, labels)
	}
	histogram := func(name, help string, labels ...string) *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: c.namespace, Name: name, Help: help, ConstLabels: c.constLabels, Buckets: c.buckets,
		}, labels)
	}
	m := &Metrics{
		backups:     counter("backup_total", "Finished backup attempts, by kind and result.", "kind", "result"),
		backupBytes: counter("backup_bytes_total", "Bytes written to the sink by successful backups.", "kind"),
		backupTime:  histogram("backup_duration_seconds", "Time taken by each backup attempt.", "kind"),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: c.namespace, Name: "backup_last_success_timestamp_seconds",
			Help: "Unix time when the last successful backup of each kind finished.", ConstLabels: c.constLabels,
		}, []string{"kind"}),
		sinkOps:   counter("sink_operations_total", "Sink operations, by sink, operation and result.", "sink", "op", "result"),
		sinkBytes: counter("sink_bytes_total", "Bytes passed to Put and PutIf or read from Get and GetVersion, by sink and operation.", "sink", "op"),
		sinkTime:  histogram("sink_operation_duration_seconds", "Time taken by each sink operation; for get, until its reader is closed.", "sink", "op"),
	}
	for _, kind := range []string{"full", "delta"} {
		m.backups.WithLabelValues(kind, ResultSuccess)
		m.backups.WithLabelValues(kind, ResultFailure)
		m.backupBytes.WithLabelValues(kind)
	}
	if reg != nil {
		if err := reg.Register(m); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *Metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.backups, m.backupBytes, m.backupTime, m.lastSuccess, m.sinkOps, m.sinkBytes, m.sinkTime}
}

// Describe sends the descriptions of every metric.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range m.collectors() {
		c.Describe(ch)
	}
}

// Collect sends the current value of every metric.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	for _, c := range m.collectors() {
		c.Collect(ch)
	}
}

// Observe records a finished backup attempt. Pass it as
// backup.Options.OnBackup.
func (m *Metrics) Observe(e backup.Event) {
	kind := e.Kind
	if kind == "" {
		kind = "unknown"
	}
	m.backupTime.WithLabelValues(kind).Observe(e.Duration.Seconds())
	if e.Err != nil {
		m.backups.WithLabelValues(kind, ResultFailure).Inc()
		return
	}
	m.backups.WithLabelValues(kind, ResultSuccess).Inc()
	m.backupBytes.WithLabelValues(kind).Add(float64(e.Bytes))
	t := e.Time
	if t.IsZero() {
		t = time.Now()
	}
	m.lastSuccess.WithLabelValues(kind).Set(float64(t.UnixNano()) / 1e9)
}

// Sink returns s wrapped so that each operation on it is counted, timed and
// its bytes measured as they stream, under the label sink=name. name should
// be the sink's URL as sink.Redact prints it; a name that parses as a URL
// with a scheme is redacted again here, and one that looks like a URL but
// does not parse is replaced, so that no credential ends up in a label.
//
// Put's reader stays an io.Seeker when it was one, so a retrying sink
// inside can start over; bytes read again after a Seek count again (the
// counter measures transfer, which includes retries and failed attempts).
// A get is recorded when its reader is closed (or when Get fails): its
// duration covers the reading, and a read error other than io.EOF makes it
// a failure. The wrapper is transparent to errors and to the
// sink.ErrNotFound/ErrClosed contract.
//
// The sink returned is a sink.ConditionalSink: PutIf and GetVersion are
// measured like Put and Get, as put_if and get_version, a failed condition
// being the result precondition_failed rather than a failure (a lease
// expects some). They return sink.ErrNotSupported, counted as a failure,
// when s is not a ConditionalSink.
func (m *Metrics) Sink(name string, s sink.Sink) sink.Sink {
	if u, err := url.Parse(name); err == nil && u.Scheme != "" {
		if r := sink.Redact(u); r != u.String() { // else keep the name as written
			name = r
		}
	} else if err != nil && strings.Contains(name, "://") {
		// Not a URL Redact can read, but maybe one with a secret in it.
		name = "(invalid URL)"
	}
	w := &wrapped{inner: s, m: m, name: name, bytes: map[string]prometheus.Counter{}}
	for op, rs := range results {
		for _, r := range rs {
			m.sinkOps.WithLabelValues(name, op, r)
		}
	}
	for _, op := range []string{OpPut, OpGet, OpPutIf, OpGetVersion} {
		w.bytes[op] = m.sinkBytes.WithLabelValues(name, op)
	}
	return w
}

// wrapped is the sink Metrics.Sink returns.
type wrapped struct {
	inner sink.Sink
	m     *Metrics
	name  string
	bytes map[string]prometheus.Counter // by op, of those that move bytes; read-only
}

// Unwrap returns the wrapped sink.
func (w *wrapped) Unwrap() sink.Sink { return w.inner }

func result(err error) string {
	switch {
	case err == nil:
		return ResultSuccess
	case errors.Is(err, sink.ErrNotFound):
		return ResultNotFound
	case errors.Is(err, sink.ErrPrecondition):
		return ResultPrecondition
	default:
		return ResultFailure
	}
}

// done records one operation that started at start.
func (w *wrapped) done(op string, start time.Time, err error) {
	w.m.sinkOps.WithLabelValues(w.name, op, result(err)).Inc()
	w.m.sinkTime.WithLabelValues(w.name, op).Observe(time.Since(start).Seconds())
}

func (w *wrapped) Put(ctx context.Context, key string, r io.Reader) error {
	start := time.Now()
	err := w.inner.Put(ctx, key, w.counting(OpPut, r))
	w.done(OpPut, start, err)
	return err
}

// PutIf is Put on a condition, measured as put_if.
func (w *wrapped) PutIf(ctx context.Context, key string, r io.Reader, cond sink.Condition) (sink.Version, error) {
	start := time.Now()
	v, err := sink.PutIf(ctx, w.inner, key, w.counting(OpPutIf, r), cond)
	w.done(OpPutIf, start, err)
	return v, err
}

// counting returns r counting its bytes as op's, an io.Seeker if r is one.
func (w *wrapped) counting(op string, r io.Reader) io.Reader {
	if seeker, ok := r.(io.Seeker); ok {
		return &countingReadSeeker{countingReader{r: r, n: w.bytes[op]}, seeker}
	}
	return &countingReader{r: r, n: w.bytes[op]}
}

func (w *wrapped) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	start := time.Now()
	rc, err := w.inner.Get(ctx, key)
	if err != nil {
		w.done(OpGet, start, err)
		return nil, err
	}
	return w.reading(OpGet, rc, start), nil
}

// GetVersion is Get with the version, measured as get_version.
func (w *wrapped) GetVersion(ctx context.Context, key string) (io.ReadCloser, sink.Version, error) {
	start := time.Now()
	rc, v, err := sink.GetVersion(ctx, w.inner, key)
	if err != nil {
		w.done(OpGetVersion, start, err)
		return nil, "", err
	}
	return w.reading(OpGetVersion, rc, start), v, nil
}

// reading returns rc counting its bytes, recording op when it is closed.
func (w *wrapped) reading(op string, rc io.ReadCloser, start time.Time) io.ReadCloser {
	return &countingReadCloser{countingReader: countingReader{r: rc, n: w.bytes[op]}, rc: rc, w: w, op: op, start: start}
}

func (w *wrapped) List(ctx context.Context, prefix string) ([]sink.ObjectInfo, error) {
	start := time.Now()
	infos, err := w.inner.List(ctx, prefix)
	w.done(OpList, start, err)
	return infos, err
}

func (w *wrapped) Delete(ctx context.Context, key string) error {
	start := time.Now()
	err := w.inner.Delete(ctx, key)
	w.done(OpDelete, start, err)
	return err
}

func (w *wrapped) Close() error { return w.inner.Close() }

// countingReader adds the bytes read through it to a counter, and keeps
// the first read error other than io.EOF. It deliberately has no WriteTo,
// so copies go through Read.
type countingReader struct {
	r   io.Reader
	n   prometheus.Counter
	err error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.n.Add(float64(n))
	}
	if err != nil && err != io.EOF && c.err == nil {
		c.err = err
	}
	return n, err
}

// countingReadSeeker is a countingReader over an io.Seeker.
type countingReadSeeker struct {
	countingReader
	s io.Seeker
}

func (c *countingReadSeeker) Seek(offset int64, whence int) (int64, error) {
	return c.s.Seek(offset, whence)
}

// countingReadCloser is the reader of a wrapped Get or GetVersion; Close
// records the operation.
type countingReadCloser struct {
	countingReader
	rc    io.ReadCloser
	w     *wrapped
	op    string
	start time.Time
	once  sync.Once
}

func (c *countingReadCloser) Close() error {
	err := c.rc.Close()
	c.once.Do(func() {
		rerr := c.err
		if rerr == nil {
			rerr = err
		}
		c.w.done(c.op, c.start, rerr)
	})
	return err
}

var _ sink.ConditionalSink = (*wrapped)(nil)
