package everflow

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"golang.org/x/time/rate"

	"github.com/eflow-digest/eflow-digest/everflow/everflowtest"
)

func TestNewClient(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		key     string
		opts    Options
		wantURL string
		wantErr string // substring; "" = no error
	}{
		{name: "defaults", key: "k", wantURL: "https://api.eflow.team/"},
		{name: "EU host with slash", key: "k", opts: Options{BaseURL: "https://api-eu.eflow.team/"}, wantURL: "https://api-eu.eflow.team/"},
		{name: "test server under a prefix", key: "k", opts: Options{BaseURL: "http://127.0.0.1:8080/prefix"}, wantURL: "http://127.0.0.1:8080/prefix/"},
		{name: "empty key", key: "", wantErr: "EVERFLOW_API_KEY"},
		{name: "blank key", key: " \t\n", wantErr: "EVERFLOW_API_KEY"},
		{name: "no scheme", key: "k", opts: Options{BaseURL: "api.eflow.team"}, wantErr: "http(s) URL"},
		{name: "ftp", key: "k", opts: Options{BaseURL: "ftp://api.eflow.team"}, wantErr: "http(s) URL"},
		{name: "API path pasted", key: "k", opts: Options{BaseURL: "https://api.eflow.team/v1/affiliates"}, wantErr: "without /v1"},
		{name: "query", key: "k", opts: Options{BaseURL: "https://api.eflow.team/?x=1"}, wantErr: "query"},
		{name: "negative rps", key: "k", opts: Options{MaxRPS: -1}, wantErr: "positive"},
		{name: "NaN rps", key: "k", opts: Options{MaxRPS: math.NaN()}, wantErr: "positive"},
		{name: "negative attempts", key: "k", opts: Options{MaxAttempts: -1}, wantErr: "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := NewClient(tt.key, tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("NewClient error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.BaseURL.String(); got != tt.wantURL {
				t.Errorf("BaseURL = %q, want %q", got, tt.wantURL)
			}
		})
	}
}

// TestNewClientDefaults pins the rate limiter and retry defaults: the
// ceiling is MaxRPS with a burst of one, so requests leave at least 1/MaxRPS
// apart and never exceed the ceiling sustained.
func TestNewClientDefaults(t *testing.T) {
	t.Parallel()
	c, err := NewClient("k", Options{})
	if err != nil {
		t.Fatal(err)
	}
	type config struct {
		Limit       rate.Limit
		Burst       int
		MinBackoff  time.Duration
		MaxBackoff  time.Duration
		MaxAttempts int
		PageSize    int
		Timeout     time.Duration
		Workers     int
		PageSlots   int
	}
	want := config{Limit: 3, Burst: 1, MinBackoff: time.Second, MaxBackoff: 32 * time.Second, MaxAttempts: 8, PageSize: 2000, Timeout: 60 * time.Second, Workers: 6, PageSlots: 6}
	got := config{c.limiter.Limit(), c.limiter.Burst(), c.minBackoff, c.maxBackoff, c.maxAttempts, c.pageSize, c.hc.Timeout, c.workers(100), cap(c.pageSlots)}
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
	c5, _ := NewClient("k", Options{MaxRPS: 5})
	if c5.limiter.Limit() != 5 || c5.limiter.Burst() != 1 || c5.workers(100) != 10 || c5.workers(3) != 3 {
		t.Errorf("MaxRPS 5: limit %v burst %d workers %d", c5.limiter.Limit(), c5.limiter.Burst(), c5.workers(100))
	}
	cMax, _ := NewClient("k", Options{MaxRPS: 1000})
	if cMax.workers(1000) != maxWorkers {
		t.Errorf("workers at 1000 rps = %d, want the cap %d", cMax.workers(1000), maxWorkers)
	}
}

// TestClientNotPrinted: printing or logging a Client shows no key.
func TestClientNotPrinted(t *testing.T) {
	t.Parallel()
	c, err := NewClient("  "+testKey+"\n", Options{})
	if err != nil {
		t.Fatal(err)
	}
	log, buf := newLogger()
	log.Info("client", slog.Any("client", c))
	assertNoKey(t, fmt.Sprintf("%v %+v %#v", c, c, c), fmt.Sprint([]any{c}), buf.String())
}

// TestRequests checks what goes on the wire for every endpoint: method,
// path under the base URL's prefix, query, headers and the exact body.
func TestRequests(t *testing.T) {
	t.Parallel()
	type seen struct {
		Method, Path, Query, Key, ContentType string
		Body                                  any
	}
	tests := []struct {
		name  string
		reply string
		call  func(ctx context.Context, c *Client) error
		want  seen
	}{
		{
			name:  "conversions",
			reply: `{"conversions":[],"paging":{"page":1,"page_size":10,"total_count":0}}`,
			call: func(ctx context.Context, c *Client) error {
				_, err := c.Conversions(ctx, ConversionsQuery{Date: testDay, TimezoneID: 80}, func(Conversion) error { return nil })
				return err
			},
			want: seen{Method: "POST", Path: "/prefix/v1/affiliates/reporting/conversions", Query: "page=1&page_size=10", Key: testKey, ContentType: "application/json",
				Body: map[string]any{"from": testDay, "to": testDay, "timezone_id": 80.0, "show_conversions": true, "show_events": false, "query": map[string]any{"filters": []any{}}}},
		},
		{
			name:  "offer totals",
			reply: `{"table":[]}`,
			call: func(ctx context.Context, c *Client) error {
				_, err := c.OfferTotals(ctx, testDay, 90, "EUR")
				return err
			},
			want: seen{Method: "POST", Path: "/prefix/v1/affiliates/reporting/entity/table", Key: testKey, ContentType: "application/json",
				Body: map[string]any{"from": testDay, "to": testDay, "timezone_id": 90.0, "currency_id": "EUR",
					"columns": []any{map[string]any{"column": "offer"}}, "query": map[string]any{"filters": []any{}}}},
		},
		{
			name:  "check",
			reply: `{"revenue":{"today":0}}`,
			call:  func(ctx context.Context, c *Client) error { return c.Check(ctx, 67) },
			want: seen{Method: "POST", Path: "/prefix/v1/affiliates/dashboard/summary", Key: testKey, ContentType: "application/json",
				Body: map[string]any{"timezone_id": 67.0, "currency_id": "USD"}},
		},
		{
			name:  "timezones",
			reply: `{"timezones":[{"timezone_id":67,"timezone":"UTC"}]}`,
			call: func(ctx context.Context, c *Client) error {
				_, err := c.TimezoneID(ctx, "UTC")
				return err
			},
			want: seen{Method: "GET", Path: "/prefix/v1/meta/timezones", Key: testKey},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got seen
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				got = seen{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Key: r.Header.Get("X-Eflow-API-Key"), ContentType: r.Header.Get("Content-Type")}
				if len(b) > 0 {
					if err := json.Unmarshal(b, &got.Body); err != nil {
						t.Errorf("body %s: %v", b, err)
					}
				}
				fmt.Fprint(w, tt.reply)
			}))
			t.Cleanup(srv.Close)
			opts := fastOptions(srv.URL+"/prefix/", nil)
			c, err := NewClient("\t"+testKey+" ", opts)
			if err != nil {
				t.Fatal(err)
			}
			if err := tt.call(t.Context(), c); err != nil {
				t.Fatal(err)
			}
			if diff := gocmp.Diff(tt.want, got); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
		})
	}
}

// TestStatusErrors: 400, 401, 403 and 404 are never retried and say what
// to do; the answers come from the stand-in where it produces them.
func TestStatusErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		fault      *everflowtest.Fault
		clientKey  string
		basePrefix string
		date       string
		wantStatus int
		wantText   []string
	}{
		{name: "400 date out of window", date: "2025-11-01", wantStatus: 400,
			wantText: []string{"400 Bad Request", "365 days", "Date range must be within the last 365 days."}},
		{name: "401 wrong key", clientKey: "sk-LEAKCHECK-wrong-key", wantStatus: 401,
			wantText: []string{"401 Unauthorized", "EVERFLOW_API_KEY", "X-Eflow-API-Key", "My Account → API", "Invalid API key"}},
		{name: "403 out of realm", fault: &everflowtest.Fault{Status: 403, Body: `{"error":"Out of realm"}`}, wantStatus: 403,
			wantText: []string{"403 Forbidden", "not an affiliate key", "/v1/affiliates/"}},
		{name: "403 permission", fault: &everflowtest.Fault{Status: 403, Body: `{"error":"Missing permission: reporting"}`}, wantStatus: 403,
			wantText: []string{"403 Forbidden", "lacks permission", "Missing permission: reporting"}},
		{name: "404 wrong base URL", basePrefix: "/api", wantStatus: 404,
			wantText: []string{"404 Not Found", "EVERFLOW_BASE_URL", EUBaseURL, "Resource not found"}},
		{name: "405", fault: &everflowtest.Fault{Status: 405}, wantStatus: 405, wantText: []string{"405 Method Not Allowed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := everflowtest.NewServer(everflowtest.Options{APIKey: testKey, RPS: -1, Now: func() time.Time { return testNow }},
				generateDay(21, testDay, time.UTC, 5, 0))
			t.Cleanup(srv.Close)
			if tt.fault != nil {
				srv.Inject(*tt.fault)
			}
			log, logs := newLogger()
			c, err := NewClient(cmpOr(tt.clientKey, testKey), fastOptions(srv.URL+tt.basePrefix, log))
			if err != nil {
				t.Fatal(err)
			}
			q := dayQuery()
			q.Date = cmpOr(tt.date, q.Date)
			_, _, err = collect(t, c, q)
			var apiErr *Error
			if !errors.As(err, &apiErr) || apiErr.StatusCode != tt.wantStatus {
				t.Fatalf("err = %v, want an *Error with status %d", err, tt.wantStatus)
			}
			for _, s := range tt.wantText {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
			if st := c.Stats(); st != (Stats{Requests: 1}) {
				t.Errorf("stats = %+v, want one request and no retry", st)
			}
			assertNoKey(t, err.Error(), logs.String())
		})
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// TestRetries: every transient failure is retried and the day still comes
// out whole; each retry is logged at warn with its reason.
func TestRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		faults      []everflowtest.Fault
		timeout     time.Duration // client's HTTP timeout, 0 = default
		wantRetries int64
		wantReason  string
	}{
		{name: "429 without Retry-After", faults: []everflowtest.Fault{{Page: 2, Status: 429, Times: 2}}, wantRetries: 2, wantReason: "rate limited"},
		{name: "429 with Retry-After seconds", faults: []everflowtest.Fault{{Page: 1, Status: 429, RetryAfter: "2"}}, wantRetries: 1, wantReason: "rate limited"},
		{name: "429 with Retry-After date", faults: []everflowtest.Fault{{Page: 3, Status: 429, RetryAfter: time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)}}, wantRetries: 1, wantReason: "rate limited"},
		{name: "429 storm", faults: []everflowtest.Fault{{Path: everflowtest.PathConversions, Status: 429, Times: 3, Body: `{"error":"Rate limit exceeded"}`}}, wantRetries: 3, wantReason: "rate limited"},
		{name: "500 JSON", faults: []everflowtest.Fault{{Page: 2, Status: 500}}, wantRetries: 1, wantReason: "server error 500"},
		{name: "502 HTML", faults: []everflowtest.Fault{{Page: 1, Status: 502, Body: everflowtest.BadGatewayHTML}}, wantRetries: 1, wantReason: "server error 502"},
		{name: "503 three times", faults: []everflowtest.Fault{{Page: 4, Status: 503, Times: 3}}, wantRetries: 3, wantReason: "server error 503"},
		{name: "truncated body", faults: []everflowtest.Fault{{Page: 2, Truncate: true}}, wantRetries: 1, wantReason: "truncated response"},
		{name: "truncated first page", faults: []everflowtest.Fault{{Page: 1, Truncate: true, Times: 2}}, wantRetries: 2, wantReason: "truncated response"},
		{name: "truncated error body", faults: []everflowtest.Fault{{Page: 2, Status: 500, Truncate: true}}, wantRetries: 1, wantReason: "server error 500"},
		{name: "connection reset", faults: []everflowtest.Fault{{Page: 3, Reset: true}}, wantRetries: 1, wantReason: "connection reset"},
		{name: "timeout", faults: []everflowtest.Fault{{Page: 2, Delay: 5 * time.Second}}, timeout: 200 * time.Millisecond, wantRetries: 1, wantReason: "timeout"},
		{name: "mixed", faults: []everflowtest.Fault{{Page: 1, Status: 503}, {Page: 2, Reset: true}, {Page: 3, Truncate: true}, {Page: 4, Status: 429}},
			wantRetries: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data := generateDay(22, testDay, time.UTC, 45, 0.1)
			c, srv, logs := standIn(t, everflowtest.Options{}, data)
			if tt.timeout != 0 {
				c.hc = &http.Client{Timeout: tt.timeout}
			}
			for _, f := range tt.faults {
				srv.Inject(f)
			}
			got, st, err := collect(t, c, dayQuery())
			if err != nil {
				t.Fatalf("Conversions: %v", err)
			}
			if diff := gocmp.Diff(expectDay(data, testDay, time.UTC, true), sortByID(got)); diff != "" {
				t.Errorf("conversions (-want +got):\n%s", diff)
			}
			if st.Pages != 5 {
				t.Errorf("pages = %d, want 5", st.Pages)
			}
			cs := c.Stats()
			if cs.Retries != tt.wantRetries || cs.Requests != 5+tt.wantRetries {
				t.Errorf("client stats = %+v, want %d retries over 5 pages", cs, tt.wantRetries)
			}
			if n := int64(strings.Count(logs.String(), "level=WARN")); n != tt.wantRetries {
				t.Errorf("%d warnings logged, want one per retry (%d):\n%s", n, tt.wantRetries, logs)
			}
			if l := logs.String(); !strings.Contains(l, "reason=\""+tt.wantReason) && !strings.Contains(l, "reason="+tt.wantReason) {
				t.Errorf("log has no reason %q:\n%s", tt.wantReason, logs)
			}
			for _, k := range []string{"attempt=", "wait="} {
				if !strings.Contains(logs.String(), k) {
					t.Errorf("retry log lacks %s:\n%s", k, logs)
				}
			}
			assertNoKey(t, logs.String())
		})
	}
}

// TestRetriesExhausted: a persistent failure ends after MaxAttempts with
// the last error, summarized.
func TestRetriesExhausted(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		fault    everflowtest.Fault
		wantText []string
	}{
		{name: "500", fault: everflowtest.Fault{Page: 2, Status: 500, Times: -1}, wantText: []string{"giving up after 4 attempts", "500 Internal Server Error", "page 2"}},
		{name: "502 HTML", fault: everflowtest.Fault{Page: 1, Status: 502, Times: -1, Body: everflowtest.BadGatewayHTML},
			wantText: []string{"giving up after 4 attempts", `"502 Bad Gateway 502 Bad Gateway"`}},
		{name: "reset", fault: everflowtest.Fault{Page: 1, Reset: true, Times: -1}, wantText: []string{"giving up after 4 attempts", "connection reset"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, srv, logs := standIn(t, everflowtest.Options{}, generateDay(23, testDay, time.UTC, 25, 0))
			srv.Inject(tt.fault)
			_, _, err := collect(t, c, dayQuery())
			if err == nil {
				t.Fatal("Conversions succeeded against a persistent failure")
			}
			for _, s := range tt.wantText {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
			if strings.Contains(err.Error(), "<") {
				t.Errorf("error carries markup: %q", err)
			}
			if st := c.Stats(); st.Retries != 3 {
				t.Errorf("retries = %d, want 3", st.Retries)
			}
			assertNoKey(t, err.Error(), logs.String())
		})
	}
}

// leakyHandler echoes the API key back in every way a server could.
func leakyHandler(mode string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("X-Eflow-API-Key")
		switch mode {
		case "401 json":
			w.WriteHeader(401)
			fmt.Fprintf(w, `{"error":"invalid key %s"}`, key)
		case "403 html":
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(403)
			fmt.Fprintf(w, "<html><title>Forbidden</title><body>key %s is not allowed</body></html>", key)
		case "500 json":
			w.WriteHeader(500)
			fmt.Fprintf(w, `{"error":"boom for %s"}`, key)
		case "502 html long":
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(502)
			fmt.Fprintf(w, "<html><body>%s%s</body></html>", strings.Repeat("x", 90), key) // key straddles the summary cut
		case "429 plain":
			w.WriteHeader(429)
			fmt.Fprintf(w, "slow down %s", key)
		case "redirect":
			http.Redirect(w, r, "http://127.0.0.1:1/steal?api_key="+url.QueryEscape(key), http.StatusFound)
		case "bad revenue":
			fmt.Fprintf(w, `{"conversions":[{"conversion_id":"a","revenue":%q}],"paging":{"page":1,"total_count":1}}`, key)
		case "malformed response":
			conn, _, _ := w.(http.Hijacker).Hijack()
			fmt.Fprintf(conn, "%s\r\n\r\n", key)
			conn.Close()
		case "timeout":
			// Read the body so the server notices the client leaving.
			_, _ = io.ReadAll(r.Body)
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		case "reset":
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.(*net.TCPConn).SetLinger(0)
			conn.Close()
		}
	}
}

// TestKeyNeverLeaks: whatever the server echoes, neither the error text,
// anything unwrapped from it, nor the debug log holds the key.
func TestKeyNeverLeaks(t *testing.T) {
	t.Parallel()
	modes := []string{"401 json", "403 html", "500 json", "502 html long", "429 plain", "redirect", "bad revenue", "malformed response", "timeout", "reset"}
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(leakyHandler(mode))
			t.Cleanup(srv.Close)
			log, logs := newLogger()
			opts := fastOptions(srv.URL, log)
			opts.HTTPClient = &http.Client{Timeout: 100 * time.Millisecond}
			opts.MaxAttempts = 2
			c, err := NewClient(testKey, opts)
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = collect(t, c, dayQuery())
			if err == nil {
				t.Fatal("Conversions succeeded against a failing server")
			}
			errs := []error{err, c.Check(t.Context(), 67)}
			_, err = c.OfferTotals(t.Context(), testDay, 67, "USD")
			errs = append(errs, err)
			_, err = c.TimezoneID(t.Context(), "Europe/Berlin") // falls back, then unknown
			errs = append(errs, err)
			for _, err := range errs {
				if err == nil {
					continue // "bad revenue" only breaks conversions
				}
				assertNoKey(t, err.Error(), fmt.Sprintf("%+v %#v", err, err))
				for _, e := range unwrapAll(err) {
					assertNoKey(t, e.Error())
				}
			}
			assertNoKey(t, logs.String())
			if !strings.Contains(logs.String(), "level=DEBUG") && !strings.Contains(logs.String(), "level=WARN") {
				t.Errorf("nothing logged; the log check proves nothing:\n%s", logs)
			}
		})
	}
}

// unwrapAll returns every error in err's tree.
func unwrapAll(err error) []error {
	out := []error{err}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		if e := u.Unwrap(); e != nil {
			out = append(out, unwrapAll(e)...)
		}
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			out = append(out, unwrapAll(e)...)
		}
	}
	return out
}

// TestScrubKeepsCauses: a scrubbed error still matches what the retry
// policy and the caller test for.
func TestScrubKeepsCauses(t *testing.T) {
	t.Parallel()
	c, err := NewClient(testKey, Options{})
	if err != nil {
		t.Fatal(err)
	}
	inner := &url.Error{Op: "Post", URL: "http://h/?k=" + testKey, Err: &net.OpError{Op: "read", Err: syscall.ECONNRESET}}
	got := c.scrubError(fmt.Errorf("wrapped: %w", inner))
	assertNoKey(t, got.Error())
	if !errors.Is(got, syscall.ECONNRESET) {
		t.Error("scrubbed error lost ECONNRESET")
	}
	if retry, _ := shouldRetry(t.Context(), got); !retry {
		t.Error("scrubbed reset not retried")
	}
	to := c.scrubError(&url.Error{Op: "Get", URL: "http://h/" + testKey, Err: context.DeadlineExceeded})
	var ne net.Error
	if !errors.As(to, &ne) || !ne.Timeout() || !errors.Is(to, context.DeadlineExceeded) {
		t.Errorf("scrubbed timeout lost its kind: %v", to)
	}
	plain := errors.New("no secret here")
	if c.scrubError(plain) != plain {
		t.Error("an error without the key was replaced")
	}
}

// TestRedirectNotFollowed: the key must not travel to wherever a 3xx
// points.
func TestRedirectNotFollowed(t *testing.T) {
	t.Parallel()
	stolen := make(chan string, 1)
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stolen <- r.Header.Get("X-Eflow-API-Key")
	}))
	t.Cleanup(evil.Close)
	c, mux, _ := setup(t)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, evil.URL+"/x", http.StatusTemporaryRedirect)
	})
	err := c.Check(t.Context(), 67)
	var apiErr *Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 307 {
		t.Fatalf("err = %v, want *Error 307", err)
	}
	select {
	case k := <-stolen:
		t.Errorf("redirect followed; the other host got key %q", k)
	default:
	}
}

// TestCancelDuringWaits: cancellation ends every wait at once (backoff,
// Retry-After, rate limiter) and comes back as the context's error.
func TestCancelDuringWaits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		handler func(w http.ResponseWriter)
		opts    func(*Options)
	}{
		{name: "backoff", handler: func(w http.ResponseWriter) { w.WriteHeader(503) },
			opts: func(o *Options) { o.MinBackoff, o.MaxBackoff = time.Hour, time.Hour }},
		{name: "Retry-After", handler: func(w http.ResponseWriter) { w.Header().Set("Retry-After", "3600"); w.WriteHeader(429) },
			opts: func(o *Options) { o.MaxBackoff = 2 * time.Hour }},
		{name: "rate limiter", handler: func(w http.ResponseWriter) { w.WriteHeader(503) },
			opts: func(o *Options) { o.MaxRPS = 0.0001 }},
		{name: "throttle pause", handler: func(w http.ResponseWriter) { w.Header().Set("X-RateLimit-Remaining", "0"); w.WriteHeader(503) },
			opts: func(o *Options) { o.MinBackoff, o.MaxBackoff = time.Nanosecond, time.Hour }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			first := make(chan struct{}, 1)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				select {
				case first <- struct{}{}:
				default:
				}
				tt.handler(w)
			}))
			t.Cleanup(srv.Close)
			opts := fastOptions(srv.URL, nil)
			tt.opts(&opts)
			c, err := NewClient(testKey, opts)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error, 1)
			go func() {
				_, err := c.Conversions(ctx, dayQuery(), func(Conversion) error { return nil })
				done <- err
			}()
			<-first
			cancel()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("err = %v, want context.Canceled", err)
				}
			case <-time.After(20 * time.Second): // a hang guard, not a timing assertion
				t.Fatal("Conversions did not return after cancellation")
			}
		})
	}
}

func TestShouldRetry(t *testing.T) {
	t.Parallel()
	api := func(code int) error { return fmt.Errorf("wrapped: %w", &Error{StatusCode: code}) }
	netErr := func(err error) error {
		return &url.Error{Op: "Post", URL: "http://h", Err: &net.OpError{Op: "read", Net: "tcp", Err: err}}
	}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"429", api(429), true},
		{"500", api(500), true},
		{"502", api(502), true},
		{"503", api(503), true},
		{"504", api(504), true},
		{"400", api(400), false},
		{"401", api(401), false},
		{"403", api(403), false},
		{"404", api(404), false},
		{"302", api(302), false},
		{"truncated", fmt.Errorf("decode: %w", io.ErrUnexpectedEOF), true},
		{"client timeout", &url.Error{Op: "Post", URL: "http://h", Err: timeoutError{}}, true},
		{"reset", netErr(syscall.ECONNRESET), true},
		{"refused", netErr(syscall.ECONNREFUSED), true},
		{"eof", &url.Error{Op: "Post", URL: "http://h", Err: io.EOF}, true},
		{"dns temporary", &url.Error{Op: "Post", Err: &net.DNSError{Err: "try again", IsTemporary: true}}, true},
		{"dns no such host", &url.Error{Op: "Post", Err: &net.DNSError{Err: "no such host", IsNotFound: true}}, false},
		{"certificate", &url.Error{Op: "Post", Err: x509.UnknownAuthorityError{}}, false},
		{"envelope", fmt.Errorf("decode: %w", ErrEnvelope), false},
		{"invalid revenue", fmt.Errorf("decode: %w", ErrInvalidDecimal), false},
		{"syntax", &json.SyntaxError{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got, reason := shouldRetry(t.Context(), tt.err); got != tt.want || got && reason == "" {
				t.Errorf("shouldRetry(%v) = %v, %q; want %v with a reason", tt.err, got, reason, tt.want)
			}
		})
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if got, _ := shouldRetry(ctx, api(503)); got {
		t.Error("retry after the context was cancelled")
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	c, err := NewClient("k", Options{MinBackoff: time.Second, MaxBackoff: 32 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for attempt := 1; attempt <= 12; attempt++ {
		ceiling := min(32*time.Second, time.Second<<(attempt-1))
		var top time.Duration
		for range 500 {
			d := c.backoff(attempt, api503())
			if d < ceiling/2 || d > ceiling {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", attempt, d, ceiling/2, ceiling)
			}
			top = max(top, d)
		}
		if top < ceiling*7/8 {
			t.Errorf("backoff(%d) never above %v in 500 draws: no jitter up to %v", attempt, top, ceiling)
		}
	}
	if d := c.backoff(1, &Error{StatusCode: 429, RetryAfter: 7 * time.Second}); d != 7*time.Second {
		t.Errorf("backoff with Retry-After 7s = %v", d)
	}
	if d := c.backoff(1, &Error{StatusCode: 429, RetryAfter: time.Hour}); d != 32*time.Second {
		t.Errorf("backoff with Retry-After 1h = %v, want capped at MaxBackoff", d)
	}

	// With the defaults, the waits between all attempts outlast the legacy
	// 30-second rate-limit window, whatever the draws.
	def, err := NewClient("k", Options{})
	if err != nil {
		t.Fatal(err)
	}
	for range 100 {
		var total time.Duration
		for attempt := 1; attempt < DefaultMaxAttempts; attempt++ {
			total += def.backoff(attempt, &Error{StatusCode: 429})
		}
		if total < 30*time.Second {
			t.Fatalf("retries of a 429 without Retry-After gave up after %v of waiting, inside a 30 s rate-limit window", total)
		}
	}
}

func api503() error { return &Error{StatusCode: 503} }

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"5", 5 * time.Second},
		{" 12 ", 12 * time.Second},
		{"-3", 0},
		{"soon", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"99999999999", 24 * time.Hour},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestThrottle: X-RateLimit-Remaining 0 or 1 holds the next request back.
func TestThrottle(t *testing.T) {
	t.Parallel()
	tests := []struct {
		remaining string
		wantPause time.Duration // 0 = none
	}{
		{"0", 5 * time.Millisecond},   // one second, capped at MaxBackoff
		{"1", 100 * time.Microsecond}, // the time of one request at MaxRPS 10000
		{"2", 0},
		{"20", 0},
		{"", 0},
		{"x", 0},
	}
	for _, tt := range tests {
		t.Run("remaining="+tt.remaining, func(t *testing.T) {
			t.Parallel()
			c, mux, _ := setup(t)
			mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
				if tt.remaining != "" {
					w.Header().Set("X-RateLimit-Remaining", tt.remaining)
				}
				fmt.Fprint(w, `{}`)
			})
			before := time.Now()
			if err := c.Check(t.Context(), 67); err != nil {
				t.Fatal(err)
			}
			until := c.throttleUntil.Load()
			switch {
			case tt.wantPause == 0 && until != 0:
				t.Errorf("throttled until %v, want no pause", time.Unix(0, until))
			case tt.wantPause != 0 && until < before.Add(tt.wantPause).UnixNano():
				t.Errorf("throttled until %v, want at least %v after the request", time.Unix(0, until), tt.wantPause)
			}
		})
	}
	c, err := NewClient("k", Options{MaxRPS: 4})
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	c.noteRateLimit(http.Header{"X-Ratelimit-Remaining": {"1"}})
	if d := time.Duration(c.throttleUntil.Load() - before.UnixNano()); d < 250*time.Millisecond || d > time.Second {
		t.Errorf("pause for one token left at 4 rps = %v, want 250ms", d)
	}
}

// TestMaxRPS: a stand-in whose bucket refills at exactly the client's
// MaxRPS, with a burst of 5, never has to answer 429; the same server
// answers 429 to an unthrottled client, so the check has teeth. The burst
// absorbs requests that a loaded machine delays and then delivers
// together (a burst of 3 failed about once in 50 runs on two CPUs); the
// unthrottled client sends 14 at once, far past it.
func TestMaxRPS(t *testing.T) {
	t.Parallel()
	data := generateDay(24, testDay, time.UTC, 150, 0)
	for _, tt := range []struct {
		name     string
		rps      float64
		want429s bool
	}{
		{name: "at the server's rate", rps: 50},
		{name: "unthrottled control", rps: 1e6, want429s: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, srv, _ := standIn(t, everflowtest.Options{RPS: 50, Burst: 5}, data)
			c.limiter = rate.NewLimiter(rate.Limit(tt.rps), 1)
			c.maxRPS = tt.rps
			c.maxBackoff = 50 * time.Millisecond
			c.maxAttempts = 20
			got, _, err := collect(t, c, dayQuery())
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 150 {
				t.Errorf("got %d conversions, want 150", len(got))
			}
			n := srv.Stats().TooManyRequests
			if (n > 0) != tt.want429s {
				t.Errorf("server answered %d 429s; want429s = %v", n, tt.want429s)
			}
		})
	}
}

func TestErrorMessageSummarizesHTML(t *testing.T) {
	t.Parallel()
	c, mux, _ := setup(t)
	page := "<!DOCTYPE html><html><head><title>502 Bad Gateway</title><style>body{}</style></head><body><h1>Bad   Gateway</h1>" +
		strings.Repeat("<p>filler text</p>", 2000) + "</body></html>"
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(502)
		fmt.Fprint(w, page)
	})
	err := c.Check(t.Context(), 67)
	var apiErr *Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("err = %v, want *Error", err)
	}
	if n := len([]rune(apiErr.Message)); n > 101 {
		t.Errorf("message is %d runes, want a summary of about 100: %q", n, apiErr.Message)
	}
	if !strings.HasPrefix(apiErr.Message, "502 Bad Gateway body{} Bad Gateway filler") || strings.Contains(err.Error(), "<") {
		t.Errorf("message = %q", apiErr.Message)
	}
}

// TestDeadlineAtRateLimiter: a wait for the limiter that would pass the
// context's deadline is reported as context.DeadlineExceeded.
func TestDeadlineAtRateLimiter(t *testing.T) {
	t.Parallel()
	c, mux, _ := setup(t)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) })
	c.limiter = rate.NewLimiter(0.001, 1)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute) // the next token is 1000 s away
	defer cancel()
	err := c.Check(ctx, 67)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want context.DeadlineExceeded", err)
	}
}
