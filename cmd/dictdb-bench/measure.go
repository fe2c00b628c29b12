package main

import (
	"context"
	"io"
	"os"
	"runtime"
	"runtime/metrics"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dictdb/dictdb-go/sink"
)

// best runs fn n times and returns its shortest duration: on a shared
// machine, noise only ever adds time.
func best(n int, fn func() (time.Duration, error)) (time.Duration, error) {
	var min time.Duration
	for i := 0; i < n; i++ {
		d, err := fn()
		if err != nil {
			return 0, err
		}
		if i == 0 || d < min {
			min = d
		}
	}
	return min, nil
}

// timed returns how long fn took.
func timed(fn func() error) (time.Duration, error) {
	start := time.Now()
	err := fn()
	return time.Since(start), err
}

// heapBytes returns the bytes of heap objects, live or not yet swept (the
// runtime/metrics twin of MemStats.HeapAlloc, read without stopping the
// world).
func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// liveHeap returns the heap after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	return heapBytes()
}

// heapPeak samples the heap every millisecond until stop is called, which
// returns the highest sample.
func heapPeak() (stop func() uint64) {
	done := make(chan struct{})
	result := make(chan uint64)
	go func() {
		peak := heapBytes()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				result <- max(peak, heapBytes())
				return
			case <-t.C:
				peak = max(peak, heapBytes())
			}
		}
	}()
	return func() uint64 { close(done); return <-result }
}

// latencies collects the latency of every operation of a writer.
type latencies []time.Duration

// quantile returns the q-quantile (0 < q <= 1) of the sorted latencies.
func (l latencies) quantile(q float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	i := int(q*float64(len(l))+0.5) - 1
	return l[min(max(i, 0), len(l)-1)]
}

// writer inserts records as fast as it can, timing each insert, until stop
// is called (after at least 256 inserts), which returns the sorted
// latencies.
func writer(insert func(i int) error) (stop func() (latencies, error)) {
	var mu sync.Mutex
	quit := false
	result := make(chan latencies, 1)
	errc := make(chan error, 1)
	go func() {
		lat := make(latencies, 0, 1<<20)
		for i := 0; ; i++ {
			if i > 0 && i%256 == 0 { // at least 256 inserts, however short the run
				mu.Lock()
				q := quit
				mu.Unlock()
				if q {
					break
				}
			}
			start := time.Now()
			if err := insert(i); err != nil {
				errc <- err
				break
			}
			lat = append(lat, time.Since(start))
		}
		slices.Sort(lat)
		result <- lat
	}()
	return func() (latencies, error) {
		mu.Lock()
		quit = true
		mu.Unlock()
		lat := <-result
		select {
		case err := <-errc:
			return nil, err
		default:
			return lat, nil
		}
	}
}

// prefixed is a sink seen through a key prefix, so that each experiment has
// its own backup chain in the sink the user named.
type prefixed struct {
	sink.Sink
	prefix string
}

var _ sink.ConditionalSink = prefixed{}

func (p prefixed) Put(ctx context.Context, key string, r io.Reader) error {
	return p.Sink.Put(ctx, p.prefix+key, r)
}

func (p prefixed) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	return p.Sink.Get(ctx, p.prefix+key)
}

// PutIf passes a conditional write through (ErrNotSupported if the sink
// has none), as wrappers must.
func (p prefixed) PutIf(ctx context.Context, key string, r io.Reader, cond sink.Condition) (sink.Version, error) {
	return sink.PutIf(ctx, p.Sink, p.prefix+key, r, cond)
}

// GetVersion passes through, as PutIf does.
func (p prefixed) GetVersion(ctx context.Context, key string) (io.ReadCloser, sink.Version, error) {
	return sink.GetVersion(ctx, p.Sink, p.prefix+key)
}

func (p prefixed) Delete(ctx context.Context, key string) error {
	return p.Sink.Delete(ctx, p.prefix+key)
}

func (p prefixed) List(ctx context.Context, prefix string) ([]sink.ObjectInfo, error) {
	objs, err := p.Sink.List(ctx, p.prefix+prefix)
	for i := range objs {
		objs[i].Key = strings.TrimPrefix(objs[i].Key, p.prefix)
	}
	return objs, err
}

// Close does nothing: the sink is shared.
func (p prefixed) Close() error { return nil }

// clear deletes every object under the prefix.
func (p prefixed) clear(ctx context.Context) error {
	objs, err := p.List(ctx, "")
	if err != nil {
		return err
	}
	for _, o := range objs {
		if err := p.Delete(ctx, o.Key); err != nil {
			return err
		}
	}
	return nil
}

// machine describes where the benchmark ran.
type machine struct {
	GoVersion  string  `json:"go_version"`
	OS         string  `json:"os"`
	CPU        string  `json:"cpu"`
	NumCPU     int     `json:"num_cpu"`
	GOMAXPROCS int     `json:"gomaxprocs"`
	Load       string  `json:"load_average,omitempty"`
	Records    int     `json:"records"`
	Sink       string  `json:"sink"`
	Repeats    int     `json:"repeats"`
	Seconds    float64 `json:"seconds"`
}

func machineInfo() machine {
	m := machine{
		GoVersion: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH,
		NumCPU: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), CPU: "unknown",
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			m.Load = strings.Join(f[:3], " ")
		}
	}
	return m
}
