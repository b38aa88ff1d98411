package everflowtest_test

import (
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/eflow-digest/eflow-digest/everflow/everflowtest"
)

var benchDay = time.Date(2026, 11, 19, 0, 0, 0, 0, time.UTC)

// BenchmarkGenerate reports the cost of synthetic data per conversion and
// the resident bytes a stored conversion takes.
func BenchmarkGenerate(b *testing.B) {
	const n = 1_000_000
	o := everflowtest.GenerateOptions{Seed: 1, From: benchDay, PerDay: n, EventsRatio: 0.1}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var data []everflowtest.Conversion
	for b.Loop() {
		data = everflowtest.Generate(o)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/conversion")
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heap-B/conversion")
	runtime.KeepAlive(data)
}

// BenchmarkServePage serves 2000-row pages from the middle of a
// 1M-conversion day: the cost must not grow with the data set.
func BenchmarkServePage(b *testing.B) {
	o := everflowtest.GenerateOptions{Seed: 1, From: benchDay, PerDay: 1_000_000, EventsRatio: 0.1}
	for _, tc := range []struct {
		name      string
		synthetic bool
		events    bool
	}{{"stored/show_events=true", false, true}, {"stored/show_events=false", false, false}, {"synthetic/show_events=true", true, true}, {"synthetic/show_events=false", true, false}} {
		events := tc.events
		b.Run(tc.name, func(b *testing.B) {
			opts := everflowtest.Options{RPS: -1, Now: func() time.Time { return benchDay.Add(36 * time.Hour) }}
			var data []everflowtest.Conversion
			if tc.synthetic {
				opts.Synthetic = &o
			} else {
				data = everflowtest.Generate(o)
			}
			s := everflowtest.NewServer(opts, data)
			defer s.Close()
			data = nil
			runtime.GC()
			b.ResetTimer()
			client := s.Client()
			body := dayBody("2026-11-19", 67, events)
			var bytes int64
			page := 0
			for b.Loop() {
				page = page%400 + 1
				req, _ := http.NewRequest(http.MethodPost, s.URL+everflowtest.PathConversions+fmt.Sprintf("?page=%d&page_size=2000", page), strings.NewReader(body))
				req.Header.Set("X-Eflow-API-Key", everflowtest.DefaultAPIKey)
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				n, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || n < 1000 {
					b.Fatalf("status %d, %d bytes", resp.StatusCode, n)
				}
				bytes += n
			}
			b.ReportMetric(float64(b.N*2000)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(bytes)/float64(b.N), "B/page")
		})
	}
}

// BenchmarkNewServer measures sorting and indexing 1M conversions.
func BenchmarkNewServer(b *testing.B) {
	data := everflowtest.Generate(everflowtest.GenerateOptions{Seed: 1, From: benchDay, PerDay: 1_000_000, EventsRatio: 0.1})
	for b.Loop() {
		everflowtest.NewServer(everflowtest.Options{RPS: -1}, data).Close()
	}
}
