package everflowtest_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/eflow-digest/eflow-digest/everflow/everflowtest"
)

// exchange is a raw POST that reports transport and body errors instead
// of failing the test.
func exchange(ctx context.Context, client *http.Client, s *everflowtest.Server, query, body string) (response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+everflowtest.PathConversions+"?"+query, strings.NewReader(body))
	if err != nil {
		return response{}, err
	}
	req.Header.Set("X-Eflow-API-Key", everflowtest.DefaultAPIKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}, err
}

func TestFaults(t *testing.T) {
	t.Parallel()
	day := dayBody("2026-11-19", 67, false)
	tests := []struct {
		name  string
		fault everflowtest.Fault
		// want per successive request to page 1 (or page in query):
		// status, or -1 for a transport/body error.
		query       []string
		want        []int
		wantCT      string        // Content-Type of the first answer, when checked
		wantRetry   string        // Retry-After of the first answer
		wantBody    string        // body of the first answer, when checked
		errContains string        // error of the first request, when -1
		timeout     time.Duration // client timeout; 0 = 10 s
	}{
		{name: "500 JSON once", fault: everflowtest.Fault{Status: 500}, want: []int{500, 200}, wantCT: "application/json", wantBody: `{"error":"internal server error"}`},
		{name: "502 HTML", fault: everflowtest.Fault{Status: 502, Body: everflowtest.BadGatewayHTML}, want: []int{502, 200}, wantCT: "text/html; charset=utf-8", wantBody: everflowtest.BadGatewayHTML},
		{name: "custom JSON body", fault: everflowtest.Fault{Status: 503, Body: `{"error":"maintenance"}`}, want: []int{503}, wantCT: "application/json", wantBody: `{"error":"maintenance"}`},
		{name: "429 storm", fault: everflowtest.Fault{Status: 429, Times: 3}, want: []int{429, 429, 429, 200}, wantRetry: ""},
		{name: "429 with Retry-After", fault: everflowtest.Fault{Status: 429, RetryAfter: "1"}, want: []int{429, 200}, wantRetry: "1"},
		{name: "forever", fault: everflowtest.Fault{Status: 500, Times: -1}, want: []int{500, 500, 500, 500}},
		{name: "page 2 only", fault: everflowtest.Fault{Path: everflowtest.PathConversions, Page: 2}, query: []string{"page=1", "page=2", "page=2"}, want: []int{200, 200, 200}},
		{name: "page 2 status", fault: everflowtest.Fault{Page: 2, Status: 500}, query: []string{"page=1", "page=2", "page=2"}, want: []int{200, 500, 200}},
		{name: "other path", fault: everflowtest.Fault{Path: everflowtest.PathTimezones, Status: 500}, want: []int{200}},
		{name: "truncated real body", fault: everflowtest.Fault{Truncate: true}, want: []int{-1, 200}, errContains: "unexpected EOF"},
		{name: "truncated status body", fault: everflowtest.Fault{Status: 500, Truncate: true}, want: []int{-1, 200}, errContains: "unexpected EOF"},
		{name: "connection reset", fault: everflowtest.Fault{Reset: true}, want: []int{-1, 200}},
		{name: "latency spike past the client timeout", fault: everflowtest.Fault{Delay: time.Minute}, want: []int{-1}, errContains: "Client.Timeout", timeout: 100 * time.Millisecond},
		{name: "short delay then normal", fault: everflowtest.Fault{Delay: time.Millisecond}, want: []int{200}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, everflowtest.Options{}, pagingData(120))
			s.Inject(tt.fault)
			// A fresh transport per test: a POST on a dropped connection is
			// not retried, so each fault is seen exactly once.
			timeout := tt.timeout
			if timeout == 0 {
				timeout = 10 * time.Second
			}
			client := &http.Client{Timeout: timeout, Transport: &http.Transport{}}
			for i, want := range tt.want {
				q := "page=1"
				if tt.query != nil {
					q = tt.query[i]
				}
				r, err := exchange(t.Context(), client, s, q, day)
				if want == -1 {
					if err == nil {
						t.Fatalf("request %d: status %d, want an error", i, r.status)
					}
					if tt.errContains != "" && !strings.Contains(err.Error(), tt.errContains) {
						t.Errorf("request %d: error %q, want it to contain %q", i, err, tt.errContains)
					}
					continue
				}
				if err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				if r.status != want {
					t.Fatalf("request %d: status %d, want %d; body %s", i, r.status, want, r.body)
				}
				if i > 0 {
					continue
				}
				if tt.wantCT != "" && r.header.Get("Content-Type") != tt.wantCT {
					t.Errorf("Content-Type = %q, want %q", r.header.Get("Content-Type"), tt.wantCT)
				}
				if got := r.header.Get("Retry-After"); got != tt.wantRetry {
					t.Errorf("Retry-After = %q, want %q", got, tt.wantRetry)
				}
				if tt.wantBody != "" && string(r.body) != tt.wantBody {
					t.Errorf("body = %q, want %q", r.body, tt.wantBody)
				}
			}
		})
	}
}

func TestClearFaults(t *testing.T) {
	t.Parallel()
	s := newServer(t, everflowtest.Options{}, nil)
	s.Inject(everflowtest.Fault{Status: 500, Times: -1})
	s.ClearFaults()
	if r := do(t, s, request{path: everflowtest.PathConversions, body: dayBody("2026-11-19", 67, false)}); r.status != 200 {
		t.Errorf("status %d after ClearFaults", r.status)
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	// A bucket of 3 that refills once in 1000 s: the 4th request is refused
	// whatever the machine's speed.
	s := newServer(t, everflowtest.Options{RPS: 0.001, Burst: 3}, nil)
	type got struct {
		Status               int
		Limit, Remaining     string
		RetryAfter, ErrorMsg string
	}
	var all []got
	for range 5 {
		r := do(t, s, request{path: everflowtest.PathConversions, body: dayBody("2026-11-19", 67, false)})
		g := got{Status: r.status, Limit: r.header.Get("X-RateLimit-Limit"), Remaining: r.header.Get("X-RateLimit-Remaining"), RetryAfter: r.header.Get("Retry-After")}
		if r.status != 200 {
			g.ErrorMsg = errorText(t, r)
		}
		all = append(all, g)
	}
	want := []got{
		{Status: 200, Limit: "3", Remaining: "2"},
		{Status: 200, Limit: "3", Remaining: "1"},
		{Status: 200, Limit: "3", Remaining: "0"},
		{Status: 429, Limit: "3", Remaining: "0", ErrorMsg: "Rate limit exceeded"},
		{Status: 429, Limit: "3", Remaining: "0", ErrorMsg: "Rate limit exceeded"},
	}
	if diff := cmp.Diff(want, all); diff != "" {
		t.Errorf("responses (-want +got):\n%s", diff)
	}
	st := s.Stats()
	if st.TooManyRequests != 2 || st.Requests != 5 {
		t.Errorf("stats: %d requests, %d 429s; want 5 and 2", st.Requests, st.TooManyRequests)
	}
}

func TestRateLimitOffSendsNoHeaders(t *testing.T) {
	t.Parallel()
	s := newServer(t, everflowtest.Options{RPS: -1}, nil)
	r := do(t, s, request{path: everflowtest.PathConversions, body: dayBody("2026-11-19", 67, false)})
	if h := r.header.Get("X-RateLimit-Remaining"); h != "" {
		t.Errorf("X-RateLimit-Remaining = %q with the limit off", h)
	}
}

func TestLatencyHonoursCancellation(t *testing.T) {
	t.Parallel()
	// Close waits for handlers: if the latency sleep ignored the client
	// going away, this test would take a minute instead of milliseconds.
	s := newServer(t, everflowtest.Options{Latency: time.Minute}, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	_, err := exchange(ctx, http.DefaultClient, s, "", dayBody("2026-11-19", 67, false))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want context.DeadlineExceeded", err)
	}
}

func TestInsertDuringPaging(t *testing.T) {
	t.Parallel()
	data := pagingData(30)
	s := newServer(t, everflowtest.Options{}, data)
	newest := conv("c-new", time.Date(2026, 11, 19, 23, 0, 0, 0, time.UTC), "9")
	s.InsertDuringPaging(1, newest)
	day := dayBody("2026-11-19", 67, false)
	before := wantOrder(data)

	p1 := decodePage(t, do(t, s, request{path: everflowtest.PathConversions, query: "page=1&page_size=10", body: day}))
	p2 := decodePage(t, do(t, s, request{path: everflowtest.PathConversions, query: "page=2&page_size=10", body: day}))
	if diff := cmp.Diff(before[:10], p1.ids(t)); diff != "" {
		t.Errorf("page 1 (-want +got):\n%s", diff)
	}
	// The insert shifted everything by one: page 2 starts with page 1's
	// last row, which a client must not count twice.
	if diff := cmp.Diff(before[9:19], p2.ids(t)); diff != "" {
		t.Errorf("page 2 (-want +got):\n%s", diff)
	}
	if p1.Paging.TotalCount != 30 || p2.Paging.TotalCount != 31 {
		t.Errorf("total_count %d then %d, want 30 then 31", p1.Paging.TotalCount, p2.Paging.TotalCount)
	}
	// Once only.
	p3 := decodePage(t, do(t, s, request{path: everflowtest.PathConversions, query: "page=1&page_size=10", body: day}))
	if p3.Paging.TotalCount != 31 || p3.ids(t)[0] != "c-new" {
		t.Errorf("after the insert: total %d, first %s", p3.Paging.TotalCount, p3.ids(t)[0])
	}
}

func TestInsertWaitsForAWholePage(t *testing.T) {
	t.Parallel()
	s := newServer(t, everflowtest.Options{}, pagingData(30))
	s.InsertDuringPaging(1, conv("c-new", time.Date(2026, 11, 19, 23, 0, 0, 0, time.UTC), "9"))
	s.Inject(everflowtest.Fault{Truncate: true})
	client := &http.Client{Transport: &http.Transport{}}
	day := dayBody("2026-11-19", 67, false)
	if _, err := exchange(t.Context(), client, s, "page=1", day); err == nil {
		t.Fatal("truncated page read without error")
	}
	p := decodePage(t, do(t, s, request{path: everflowtest.PathConversions, query: "page=2", body: day}))
	if p.Paging.TotalCount != 30 {
		t.Errorf("a truncated page triggered the insert: total_count %d", p.Paging.TotalCount)
	}
}

func TestIgnorePaging(t *testing.T) {
	t.Parallel()
	data := pagingData(30)
	s := newServer(t, everflowtest.Options{}, data)
	s.SetIgnorePaging(true)
	day := dayBody("2026-11-19", 67, false)
	want := wantOrder(data)[:10]
	for pg := 1; pg <= 4; pg++ {
		p := decodePage(t, do(t, s, request{path: everflowtest.PathConversions, query: "page_size=10&page=" + string(rune('0'+pg)), body: day}))
		if diff := cmp.Diff(want, p.ids(t)); diff != "" {
			t.Errorf("page %d (-want +got):\n%s", pg, diff)
		}
		if p.Paging.Page != pg || p.Paging.TotalCount != 30 {
			t.Errorf("page %d: paging %+v", pg, p.Paging)
		}
	}
	s.SetIgnorePaging(false)
	p := decodePage(t, do(t, s, request{path: everflowtest.PathConversions, query: "page_size=10&page=2", body: day}))
	if diff := cmp.Diff(wantOrder(data)[10:20], p.ids(t)); diff != "" {
		t.Errorf("paging back on (-want +got):\n%s", diff)
	}
}

func TestMutations(t *testing.T) {
	t.Parallel()
	data := pagingData(5)
	s := newServer(t, everflowtest.Options{}, data)
	day := dayBody("2026-11-19", 67, false)
	revenues := func() map[string]string {
		p := decodePage(t, do(t, s, request{path: everflowtest.PathConversions, body: day}))
		m := map[string]string{}
		for _, c := range p.Conversions {
			var id string
			_ = unmarshal(c["conversion_id"], &id)
			m[id] = string(c["revenue"])
		}
		return m
	}
	s.Upsert(with(data[0], func(c *everflowtest.Conversion) { c.Revenue = "-1.5" })) // reversal
	s.Delete(data[1].ID)                                                             // rejected
	s.Upsert(conv("late", data[0].Time, "0.3"))                                      // late approval
	want := map[string]string{data[0].ID: "-1.5", data[2].ID: "1.5", data[3].ID: "1.5", data[4].ID: "1.5", "late": "0.3"}
	if diff := cmp.Diff(want, revenues()); diff != "" {
		t.Errorf("after mutations (-want +got):\n%s", diff)
	}
	s.Set(nil)
	if diff := cmp.Diff(map[string]string{}, revenues()); diff != "" {
		t.Errorf("after Set(nil) (-want +got):\n%s", diff)
	}
	if n := len(s.Conversions()); n != 0 {
		t.Errorf("Conversions() has %d rows after Set(nil)", n)
	}
}

func TestDuplicateIDsAreServedAsGiven(t *testing.T) {
	t.Parallel()
	data := pagingData(3)
	data[2].ID = data[0].ID
	s := newServer(t, everflowtest.Options{}, data)
	p := decodePage(t, do(t, s, request{path: everflowtest.PathConversions, body: dayBody("2026-11-19", 67, false)}))
	if p.Paging.TotalCount != 3 {
		t.Errorf("total_count = %d, want 3", p.Paging.TotalCount)
	}
}

func TestStats(t *testing.T) {
	t.Parallel()
	s := newServer(t, everflowtest.Options{}, pagingData(30))
	day := dayBody("2026-11-19", 67, false)
	s.Inject(everflowtest.Fault{Page: 2, Status: 429})
	for _, q := range []string{"page=1&page_size=10", "page=2&page_size=10", "page=2&page_size=10", "page=3&page_size=10"} {
		do(t, s, request{path: everflowtest.PathConversions, query: q, body: day})
	}
	do(t, s, request{method: "GET", path: everflowtest.PathTimezones})
	got := s.Stats()
	want := everflowtest.Stats{
		Requests:        5,
		PerPath:         map[string]int64{everflowtest.PathConversions: 4, everflowtest.PathTimezones: 1},
		TooManyRequests: 1,
		Pages:           3,
		PageRequests:    map[int]int64{1: 1, 2: 2, 3: 1},
		Faults:          1,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Stats (-want +got):\n%s", diff)
	}
	got.PerPath["x"] = 1 // a copy: must not leak into the server
	if _, ok := s.Stats().PerPath["x"]; ok {
		t.Error("Stats returned the server's own map")
	}
}
