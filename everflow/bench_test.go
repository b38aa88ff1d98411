package everflow

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eflow-digest/eflow-digest/everflow/everflowtest"
)

// The benchmarks run the stand-in in a child process (this test binary,
// started with benchServerEnv set), so that the client's heap is measured
// alone and the server's data set and JSON encoding stay out of it.

const benchServerEnv = "EVERFLOW_BENCH_STANDIN"

// benchConfig describes a child stand-in: one day of PerDay conversions.
type benchConfig struct {
	PerDay  int
	Seed    int64
	Latency time.Duration
	RPS     float64
}

func TestMain(m *testing.M) {
	if cfg := os.Getenv(benchServerEnv); cfg != "" {
		runBenchServer(cfg)
		return
	}
	code := m.Run()
	stopBenchServers()
	os.Exit(code)
}

// runBenchServer is the child: start the stand-in, print its URL, serve
// until stdin closes.
func runBenchServer(cfgJSON string) {
	var cfg benchConfig
	if err := json.Unmarshal([]byte(cfgJSON), &cfg); err != nil {
		fmt.Fprintln(os.Stderr, "bench server config:", err)
		os.Exit(2)
	}
	data := generateDay(cfg.Seed, testDay, time.UTC, cfg.PerDay, 0.1)
	srv := everflowtest.NewServer(everflowtest.Options{
		APIKey:  testKey,
		Now:     func() time.Time { return testNow },
		Latency: cfg.Latency,
		RPS:     cfg.RPS,
	}, data)
	data = nil
	runtime.GC()
	fmt.Println(srv.URL)
	_, _ = io.Copy(io.Discard, os.Stdin)
	srv.Close()
	os.Exit(0)
}

var benchServers struct {
	sync.Mutex
	byConfig map[benchConfig]*benchServer
}

type benchServer struct {
	url   string
	cmd   *exec.Cmd
	stdin io.Closer
}

// startBenchServer returns the URL of a child stand-in for cfg, started
// once per test binary run (benchmarks are called several times).
func startBenchServer(b *testing.B, cfg benchConfig) string {
	b.Helper()
	benchServers.Lock()
	defer benchServers.Unlock()
	if s, ok := benchServers.byConfig[cfg]; ok {
		return s.url
	}
	cfgJSON, _ := json.Marshal(cfg)
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), benchServerEnv+"="+string(cfgJSON))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		_ = stdin.Close()
		_ = cmd.Wait()
		b.Fatalf("bench server did not start: %v", err)
	}
	s := &benchServer{url: strings.TrimSpace(line), cmd: cmd, stdin: stdin}
	if benchServers.byConfig == nil {
		benchServers.byConfig = map[benchConfig]*benchServer{}
	}
	benchServers.byConfig[cfg] = s
	return s.url
}

func stopBenchServers() {
	benchServers.Lock()
	defer benchServers.Unlock()
	for _, s := range benchServers.byConfig {
		_ = s.stdin.Close()
		_ = s.cmd.Wait()
	}
}

// BenchmarkConversionsDay200k fetches a 200k-conversion day (100 pages of
// 2000) from a stand-in answering each request after 1 s and allowing 5
// requests/s, with the client's ceiling at 5/s too. x-floor is the wall
// time over the floor the rate limit sets (pages ÷ rate); target ≤ 1.2.
func BenchmarkConversionsDay200k(b *testing.B) {
	const n, rps = 200_000, 5.0
	url := startBenchServer(b, benchConfig{PerDay: n, Seed: 1, Latency: time.Second, RPS: rps})
	var ratio float64
	var st PageStats
	var cs Stats
	for b.Loop() {
		c, err := NewClient(testKey, Options{BaseURL: url, MaxRPS: rps})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		st, err = c.Conversions(context.Background(), ConversionsQuery{Date: testDay, TimezoneID: 67, Events: true},
			func(Conversion) error { return nil })
		if err != nil {
			b.Fatal(err)
		}
		if st.Conversions != n {
			b.Fatalf("got %d conversions, want %d", st.Conversions, n)
		}
		floor := time.Duration(float64(st.Pages) / rps * float64(time.Second))
		ratio += float64(time.Since(start)) / float64(floor)
		cs = c.Stats()
	}
	b.ReportMetric(ratio/float64(b.N), "x-floor")
	b.ReportMetric(float64(st.Pages), "pages")
	b.ReportMetric(float64(cs.Requests), "requests")
	b.ReportMetric(float64(cs.Retries), "retries")
}

// pageBody returns the raw body of a full 2000-row conversions page as the
// stand-in writes it (realistic field set, sizes and escapes).
func pageBody(b *testing.B) []byte {
	b.Helper()
	srv := everflowtest.NewServer(everflowtest.Options{APIKey: testKey, RPS: -1, Now: func() time.Time { return testNow }},
		generateDay(3, testDay, time.UTC, 2000, 0.1))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/affiliates/reporting/conversions?page=1&page_size=2000",
		strings.NewReader(`{"from":"`+testDay+`","to":"`+testDay+`","timezone_id":67,"show_conversions":true,"show_events":true,"query":{"filters":[]}}`))
	req.Header.Set("X-Eflow-API-Key", testKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		b.Fatalf("page: %d %v", resp.StatusCode, err)
	}
	return body
}

// BenchmarkDecode measures the client's per-row work on one goroutine:
// decoding a 2000-row page, and decoding plus the dedupe-set insert. Run
// with -cpu=1 for a per-core figure; target ≥ 100k conversions/s/core.
func BenchmarkDecode(b *testing.B) {
	body := pageBody(b)
	const rows = 2000
	b.Run("page", func(b *testing.B) {
		p := &conversionsPage{limit: rows}
		benchRows(b, body, rows, func() {
			if err := p.decodeBody(bytes.NewReader(body)); err != nil || len(p.rows) != rows {
				b.Fatalf("decode: %d rows, %v", len(p.rows), err)
			}
		})
	})
	b.Run("page+dedupe", func(b *testing.B) {
		p := &conversionsPage{limit: rows}
		benchRows(b, body, rows, func() {
			if err := p.decodeBody(bytes.NewReader(body)); err != nil {
				b.Fatal(err)
			}
			seen := newIDSet(rows)
			for i := range p.rows {
				seen.add(idKey(p.rows[i].ConversionID))
			}
		})
	})
}

func benchRows(b *testing.B, body []byte, rows int, f func()) {
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for b.Loop() {
		f()
	}
	runtime.ReadMemStats(&after)
	n := float64(b.N * rows)
	b.ReportMetric(n/b.Elapsed().Seconds(), "conversions/s")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/n, "allocs/conversion")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/n, "B/conversion")
}

// BenchmarkConversions1M and BenchmarkConversions100k fetch a whole day
// through the real client (stand-in in a child process, no latency, no
// limit) and sample the client's heap: peak-heap-MB is the highest heap
// (live and not yet collected objects) seen during the walk, peak-live-MB
// the highest live heap after a GC, bytes/conversion the peak's growth over
// the idle heap per conversion. Flat would mean the same peak for both
// sizes but for the dedupe set (about 21 bytes per id).
func BenchmarkConversions1M(b *testing.B)   { benchHeap(b, 1_000_000) }
func BenchmarkConversions100k(b *testing.B) { benchHeap(b, 100_000) }

func benchHeap(b *testing.B, n int) {
	url := startBenchServer(b, benchConfig{PerDay: n, Seed: 4, RPS: -1})
	var peak, peakLive, base uint64
	for b.Loop() {
		c, err := NewClient(testKey, Options{BaseURL: url, MaxRPS: 1000})
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		base = heapSample().objects
		stop := sampleHeap(&peak, &peakLive)
		st, err := c.Conversions(context.Background(), ConversionsQuery{Date: testDay, TimezoneID: 67, Events: true},
			func(Conversion) error { return nil })
		stop()
		if err != nil {
			b.Fatal(err)
		}
		if st.Conversions != n {
			b.Fatalf("got %d conversions, want %d", st.Conversions, n)
		}
	}
	const mb = 1 << 20
	b.ReportMetric(float64(peak)/mb, "peak-heap-MB")
	b.ReportMetric(float64(peakLive)/mb, "peak-live-MB")
	b.ReportMetric(float64(peak-base)/float64(n), "bytes/conversion")
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "conversions/s")
}

type heapNow struct{ objects, live uint64 }

var heapMetrics = []metrics.Sample{
	{Name: "/memory/classes/heap/objects:bytes"},
	{Name: "/gc/heap/live:bytes"},
}

func heapSample() heapNow {
	s := make([]metrics.Sample, len(heapMetrics))
	copy(s, heapMetrics)
	metrics.Read(s)
	return heapNow{objects: s[0].Value.Uint64(), live: s[1].Value.Uint64()}
}

// sampleHeap records the highest heap figures every millisecond until the
// returned stop is called.
func sampleHeap(peak, peakLive *uint64) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			h := heapSample()
			*peak = max(*peak, h.objects)
			*peakLive = max(*peakLive, h.live)
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}
