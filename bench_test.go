package main

// Benchmarks of the whole job (issue 6). They run only when asked for with
// -bench, never in a plain `go test ./...`. Times are on 2 cores.
//
//	# Sanity, ~3 s: 10k conversions through run() in-process, no latency, no
//	# rate limit; ns/conversion of the whole pipeline, both stand-ins included.
//	go test -run '^$' -bench 'BenchmarkPipeline' -benchmem .
//
//	# End to end: the built binary against both stand-ins at 1 s Everflow
//	# latency and 5 requests/s, one day of 10k (~5 s), 200k (~25 s) and 1M
//	# (~105 s) conversions; ~2.5 min in all, or pick one with e.g.
//	# -bench 'BenchmarkEndToEnd/200k'.
//	go test -run '^$' -bench 'BenchmarkEndToEnd' -benchtime=1x -timeout 30m .
//
//	# 365-day backfill of 2k conversions a day, same latency and rate: ~100 s
//	# (74 s of fetching, then ~20 Sheets writes paced 1 s apart).
//	go test -run '^$' -bench 'BenchmarkBackfill' -benchtime=1x -timeout 30m .
//
// The report day is yesterday in UTC by the real clock, as the binary
// reckons it; a run that crosses midnight UTC fails its checks.
//
// BenchmarkEndToEnd and BenchmarkBackfill build the binary once per
// benchmark with the Dockerfile's flags and run it in a child process, with
// the stand-ins in this process, so that its peak RSS is its own. A direct
// child cannot tell: Go starts children with vfork, and Linux folds the
// parent's peak RSS into the child's ru_maxrss at exec (a /bin/true started
// by a 300 MB process reports 300 MB). So the job is started through a tiny
// launcher, built alongside, whose own peak is about 2.3 MB: the launcher's
// wait4 rusage of the job is the job's own peak.
//
// To see where a child's memory goes, give it extra environment and keep its
// logs (gctrace goes to stderr):
//
//	EFLOW_BENCH_CHILD_ENV='GODEBUG=gctrace=1 GOGC=50' EFLOW_BENCH_LOGS=/tmp/logs go test -run '^$' -bench ...

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eflow-digest/eflow-digest/digest"
	"github.com/eflow-digest/eflow-digest/everflow/everflowtest"
	"github.com/eflow-digest/eflow-digest/sheets/sheetstest"
)

// benchRPS is the stand-in's refill rate and the job's EVERFLOW_MAX_RPS, the
// whole network's budget; benchLatency is added to every Everflow response.
const (
	benchRPS      = 5
	benchBurst    = 20
	benchLatency  = time.Second
	benchPageSize = 2000
)

// BenchmarkEndToEnd runs the binary for yesterday (UTC) against both
// stand-ins: Everflow answering each request after 1 s and allowing 5
// requests/s (burst 20), the job at EVERFLOW_MAX_RPS=5. x-floor is the wall
// time over the floor the rate limit sets, pages ÷ 5 requests/s; the run
// also spends a request on the timezone list, page 1's latency before the
// others can start, and the Sheets read and write, which weigh on small days.
// Target: peak-RSS-MiB under 64 at 1M.
func BenchmarkEndToEnd(b *testing.B) {
	job := buildJob(b)
	yesterday := digest.DateOf(time.Now().UTC()).AddDays(-1)
	for _, tc := range []struct {
		name string
		n    int
	}{{"10k", 10_000}, {"200k", 200_000}, {"1M", 1_000_000}} {
		b.Run(tc.name, func(b *testing.B) {
			w := newBenchWorld(b, everflowtest.GenerateOptions{
				Seed: 6, From: yesterday.Time(), Days: 1, PerDay: tc.n, Location: time.UTC,
			})
			pages := (tc.n + benchPageSize - 1) / benchPageSize
			benchJob(b, job, w, pages, int64(tc.n), "-date", yesterday.String())
		})
	}
}

// BenchmarkBackfill runs the binary over the 365 days Everflow serves
// (-from today-365 -to yesterday, UTC), 2k conversions a day: one page a
// day, so 365 pages and a 73 s floor at 5 requests/s. Target: Sheets writes
// a handful (ceil(payload ÷ 2 MB)), not 365.
func BenchmarkBackfill(b *testing.B) {
	job := buildJob(b)
	today := digest.DateOf(time.Now().UTC())
	first, last := today.AddDays(-everflowWindow), today.AddDays(-1)
	days := everflowWindow
	w := newBenchWorld(b, everflowtest.GenerateOptions{
		Seed: 6, From: first.Time(), Days: days, PerDay: 2000, Location: time.UTC,
	})
	benchJob(b, job, w, days, int64(days*2000), "-from", first.String(), "-to", last.String())
}

// benchWorld is what a child job talks to: the Everflow stand-in serving a
// synthetic data set it does not hold, the Sheets stand-in with Google's
// default quotas, and a proxy in front of Sheets that counts the bytes of
// the batchUpdate bodies.
type benchWorld struct {
	ef      *everflowtest.Server
	sh      *sheetstest.Server
	proxy   *httptest.Server
	key     []byte
	payload atomic.Int64
}

func newBenchWorld(b *testing.B, data everflowtest.GenerateOptions) *benchWorld {
	b.Helper()
	w := &benchWorld{}
	w.ef = everflowtest.NewServer(everflowtest.Options{
		APIKey: testKey, Latency: benchLatency, RPS: benchRPS, Burst: benchBurst, Synthetic: &data,
	}, nil)
	b.Cleanup(w.ef.Close)
	w.sh = sheetstest.NewServer(sheetstest.Options{})
	b.Cleanup(w.sh.Close)
	w.key = w.sh.ServiceAccountKey(testAccount)
	target, err := url.Parse(w.sh.URL)
	if err != nil {
		b.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	w.proxy = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, ":batchUpdate") {
			r.Body = &countingBody{ReadCloser: r.Body, n: &w.payload}
		}
		rp.ServeHTTP(rw, r)
	}))
	b.Cleanup(w.proxy.Close)
	return w
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// env is the child's whole environment: nothing of this process leaks in
// but what EFLOW_BENCH_CHILD_ENV adds.
func (w *benchWorld) env() []string {
	env := []string{
		"EVERFLOW_API_KEY=" + testKey,
		"EVERFLOW_BASE_URL=" + w.ef.URL,
		"EVERFLOW_MAX_RPS=" + strconv.Itoa(benchRPS),
		"DIGEST_TIMEZONE=UTC",
		"SPREADSHEET_ID=" + testSheet,
		"GOOGLE_CREDENTIALS_JSON=" + string(w.key),
		"SHEETS_ENDPOINT=" + w.proxy.URL + "/",
		"LOG_FORMAT=json",
		"LOG_LEVEL=info",
	}
	return append(env, strings.Fields(os.Getenv("EFLOW_BENCH_CHILD_ENV"))...)
}

// jobBinaries are the job built as the Dockerfile builds it and the
// launcher that measures it.
type jobBinaries struct{ job, launcher string }

// buildJob builds the job with the Dockerfile's flags, and the launcher.
func buildJob(b *testing.B) jobBinaries {
	b.Helper()
	dir := b.TempDir()
	bins := jobBinaries{job: filepath.Join(dir, "eflow-digest"), launcher: filepath.Join(dir, "launcher")}
	goBuild(b, ".", "-trimpath", "-ldflags=-s -w", "-o", bins.job, ".")
	src := filepath.Join(dir, "launcher-src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		b.Fatal(err)
	}
	for name, text := range map[string]string{"go.mod": "module launcher\n\ngo 1.26\n", "main.go": launcherSource} {
		if err := os.WriteFile(filepath.Join(src, name), []byte(text), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	goBuild(b, src, "-trimpath", "-ldflags=-s -w", "-o", bins.launcher, ".")
	return bins
}

func goBuild(b *testing.B, dir string, args ...string) {
	b.Helper()
	cmd := exec.Command("go", append([]string{"build"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build in %s: %v\n%s", dir, err, out)
	}
}

// launcherSource runs its arguments as a command with its own stdio and
// environment, writes the command's rusage (peak RSS in KiB, user and
// system CPU in microseconds) to the file named first, and exits with the
// command's status.
const launcherSource = `package main

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

func main() {
	cmd := exec.Command(os.Args[2], os.Args[3:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	if cmd.ProcessState == nil {
		fmt.Fprintln(os.Stderr, "launcher:", err)
		os.Exit(127)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	usec := func(t syscall.Timeval) int64 { return t.Sec*1e6 + t.Usec }
	line := fmt.Sprintf("%d %d %d\n", ru.Maxrss, usec(ru.Utime), usec(ru.Stime))
	if err := os.WriteFile(os.Args[1], []byte(line), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "launcher:", err)
		os.Exit(127)
	}
	os.Exit(cmd.ProcessState.ExitCode())
}
`

// jobRun is what one run of the child job cost.
type jobRun struct {
	wall      time.Duration
	maxRSSKiB int64
	cpu       time.Duration
	summary   summaryLine
}

// summaryLine is the job's last log line, "digest complete".
type summaryLine struct {
	Message          string `json:"message"`
	Dates            int    `json:"dates"`
	Conversions      int64  `json:"conversions"`
	EverflowRequests int64  `json:"everflow_requests"`
	EverflowRetries  int64  `json:"everflow_retries"`
	SheetsReads      int64  `json:"sheets_reads"`
	SheetsWrites     int64  `json:"sheets_writes"`
	SheetsRetries    int64  `json:"sheets_retries"`
	DurationMS       int64  `json:"duration_ms"`
}

// run runs the job once through the launcher and fails the benchmark
// unless it exits 0 with a summary line.
func (bins jobBinaries) run(b *testing.B, w *benchWorld, args ...string) jobRun {
	b.Helper()
	usage := filepath.Join(b.TempDir(), "rusage")
	cmd := exec.Command(bins.launcher, append([]string{usage, bins.job}, args...)...)
	cmd.Env = w.env()
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if dir := os.Getenv("EFLOW_BENCH_LOGS"); dir != "" {
		name := strings.NewReplacer("/", "_").Replace(b.Name()) + ".log"
		_ = os.MkdirAll(dir, 0o755)
		_ = os.WriteFile(filepath.Join(dir, name), stderr.Bytes(), 0o644)
	}
	if err != nil {
		b.Fatalf("eflow-digest %s: %v\n%s", strings.Join(args, " "), err, tail(stderr.String(), 20))
	}
	r := jobRun{wall: wall}
	raw, err := os.ReadFile(usage)
	if err != nil {
		b.Fatalf("launcher wrote no rusage: %v", err)
	}
	var utime, stime int64
	if _, err := fmt.Sscan(string(raw), &r.maxRSSKiB, &utime, &stime); err != nil {
		b.Fatalf("rusage %q: %v", raw, err)
	}
	r.cpu = time.Duration(utime+stime) * time.Microsecond
	sc := bufio.NewScanner(&stderr)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line summaryLine
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Message == "digest complete" {
			r.summary = line
		}
	}
	if r.summary.Message == "" {
		b.Fatalf("no \"digest complete\" line:\n%s", tail(stderr.String(), 20))
	}
	return r
}

func tail(s string, lines int) string {
	all := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(all[max(0, len(all)-lines):], "\n")
}

// benchJob runs the job with args into a fresh spreadsheet per iteration,
// checks what it reports against the stand-ins, and reports the figures.
func benchJob(b *testing.B, bins jobBinaries, w *benchWorld, pages int, conversions int64, args ...string) {
	floor := time.Duration(float64(pages) / benchRPS * float64(time.Second))
	var (
		ratio, wall, cpu float64
		peak             int64
		last             jobRun
		ef0, ef1         everflowtest.Stats
		sh0, sh1         sheetstest.Stats
		payload          int64
	)
	for b.Loop() {
		w.sh.AddSpreadsheet(testSheet, "Revenue digest", testAccount)
		ef0, sh0 = w.ef.Stats(), w.sh.Stats()
		p0 := w.payload.Load()
		last = bins.run(b, w, args...)
		ef1, sh1 = w.ef.Stats(), w.sh.Stats()
		payload = w.payload.Load() - p0
		ratio += float64(last.wall) / float64(floor)
		wall += last.wall.Seconds()
		cpu += last.cpu.Seconds()
		peak = max(peak, last.maxRSSKiB)
	}
	s := last.summary
	efRequests := ef1.Requests - ef0.Requests
	efPages := ef1.Pages - ef0.Pages
	shReads, shWrites := sh1.Reads-sh0.Reads, sh1.Writes-sh0.Writes
	// The job's own counts and the stand-ins' must agree, and every
	// conversion must be in the digest.
	if s.Conversions != conversions {
		b.Errorf("the job reported %d conversions, want %d", s.Conversions, conversions)
	}
	if s.EverflowRequests != efRequests {
		b.Errorf("the job reported %d Everflow requests, the stand-in saw %d", s.EverflowRequests, efRequests)
	}
	if s.SheetsReads != shReads || s.SheetsWrites != shWrites {
		b.Errorf("the job reported %d Sheets reads and %d writes, the stand-in saw %d and %d",
			s.SheetsReads, s.SheetsWrites, shReads, shWrites)
	}
	if efPages != int64(pages) {
		b.Errorf("the stand-in served %d conversion pages, want %d", efPages, pages)
	}
	n := float64(b.N)
	b.ReportMetric(ratio/n, "x-floor")
	b.ReportMetric(wall/n, "wall-s")
	b.ReportMetric(floor.Seconds(), "floor-s")
	b.ReportMetric(float64(pages), "pages")
	b.ReportMetric(float64(s.EverflowRequests), "ef-requests")
	b.ReportMetric(float64(s.EverflowRetries), "ef-retries")
	b.ReportMetric(float64(ef1.TooManyRequests-ef0.TooManyRequests), "ef-429s")
	b.ReportMetric(float64(s.SheetsReads), "sheets-reads")
	b.ReportMetric(float64(s.SheetsWrites), "sheets-writes")
	b.ReportMetric(float64(s.SheetsRetries), "sheets-retries")
	b.ReportMetric(float64(payload)/(1<<20), "payload-MiB")
	b.ReportMetric(float64(peak)/1024, "peak-RSS-MiB")
	b.ReportMetric(cpu/n, "cpu-s")
}

// BenchmarkPipeline runs the whole pipeline in-process through run(): 10k
// conversions of one day from the Everflow stand-in with no latency and no
// rate limit, aggregated and written to a fresh spreadsheet of the Sheets
// stand-in. ns/conversion covers the job and both stand-ins on the same
// cores, so it shows regressions anywhere on the path in seconds.
func BenchmarkPipeline(b *testing.B) {
	const n = 10_000
	day := digest.DateOf(testNow).AddDays(-1)
	data := everflowtest.GenerateOptions{Seed: 6, From: day.Time(), Days: 1, PerDay: n, Location: time.UTC}
	ef := everflowtest.NewServer(everflowtest.Options{
		APIKey: testKey, RPS: -1, Synthetic: &data, Now: func() time.Time { return testNow },
	}, nil)
	defer ef.Close()
	sh := sheetstest.NewServer(sheetstest.Options{WritesPerMinute: -1, ReadsPerMinute: -1})
	defer sh.Close()
	key := sh.ServiceAccountKey(testAccount)
	cfg := Config{
		EverflowAPIKey:  testKey,
		EverflowBaseURL: ef.URL,
		EverflowMaxRPS:  50,
		Timezone:        "UTC",
		SpreadsheetID:   testSheet,
		CredentialsJSON: string(key),
		SheetsEndpoint:  sh.URL + "/",
		SubIDs:          "sub1",
		WriteMode:       "append",
		Tab:             "Daily",
		SummaryTab:      "Summary",
		LogLevel:        "info",
		LogFormat:       "json",
		Now:             func() time.Time { return testNow },
		Dates:           []digest.Date{day},
		tune:            tuning{writeInterval: -1},
	}
	if err := cfg.validate(); err != nil {
		b.Fatal(err)
	}
	// No rate limit: the client's ceiling (burst 1) would otherwise set the
	// pace, beyond the 50/s a user may configure.
	cfg.EverflowMaxRPS = 1e9
	var logs bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		sh.AddSpreadsheet(testSheet, "Revenue digest", testAccount)
		logs.Reset()
		b.StartTimer()
		if err := run(context.Background(), cfg, io.Discard, &logs); err != nil {
			b.Fatalf("run: %v\n%s", err, logs.String())
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/conversion")
}
