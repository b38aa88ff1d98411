package everflow_test

// Variants: the real Client against small servers written here from the
// Everflow reference alone, independently of everflowtest, each one taking
// a different side where the reference is UNCONFIRMED or silent (revenue as
// a string, a silent page-size clamp, error bodies, the timezone list's
// shape). Whatever side the real API takes, the client must return the
// right numbers or a clear error: never a partial or inflated day, never a
// needless failure, never a hang.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/eflow-digest/eflow-digest/everflow"
)

// variantKey is distinctive so that a leak is easy to spot in any text.
const variantKey = "vk-ECHOTRAP-91b2c3d4e5"

const variantDay = "2026-11-20"

func variantQuery() everflow.ConversionsQuery {
	return everflow.ConversionsQuery{Date: variantDay, TimezoneID: 67, Events: true}
}

// newVariantClient returns a client for base with millisecond backoffs, no
// practical rate limit and the production page size unless pageSize says
// otherwise.
func newVariantClient(t *testing.T, base string, pageSize int) *everflow.Client {
	t.Helper()
	c, err := everflow.NewClient(variantKey, everflow.Options{
		BaseURL:     base,
		HTTPClient:  &http.Client{Timeout: 10 * time.Second}, // a hang guard only
		MaxRPS:      10000,
		MinBackoff:  time.Millisecond,
		MaxBackoff:  5 * time.Millisecond,
		MaxAttempts: 4,
		PageSize:    pageSize,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fetchDay runs Conversions and returns what fn received, failing the test
// if a conversion is handed over twice.
func fetchDay(t *testing.T, c *everflow.Client) ([]everflow.Conversion, everflow.PageStats, error) {
	t.Helper()
	var got []everflow.Conversion
	seen := map[string]bool{}
	st, err := c.Conversions(t.Context(), variantQuery(), func(cv everflow.Conversion) error {
		if seen[cv.ConversionID] {
			t.Errorf("conversion %s handed over twice", cv.ConversionID)
		}
		seen[cv.ConversionID] = true
		got = append(got, cv)
		return nil
	})
	return got, st, err
}

// ids returns the sorted conversion ids of cs.
func ids(cs []everflow.Conversion) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.ConversionID)
	}
	slices.Sort(out)
	return out
}

func variantID(i int) string { return fmt.Sprintf("%032x", i+1) }

// variantRows returns n minimal conversions with distinct ids.
func variantRows(n int) []string {
	rows := make([]string, n)
	for i := range rows {
		rows[i] = fmt.Sprintf(`{"conversion_id":%q,"revenue":1.25,"currency_id":"USD","is_event":false,"relationship":{"offer":{"network_offer_id":7,"name":"Seven"}}}`, variantID(i))
	}
	return rows
}

// rowIDs returns the sorted conversion ids of a server's rows.
func rowIDs(rows []string) []string {
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		var v struct {
			ID string `json:"conversion_id"`
		}
		if err := json.Unmarshal([]byte(r), &v); err != nil {
			panic(err)
		}
		out = append(out, v.ID)
	}
	slices.Sort(out)
	return out
}

// pageSizeReport is how a server says which page size it used.
type pageSizeReport int

const (
	reportUsed      pageSizeReport = iota // paging.page_size is the size served
	reportRequested                       // paging.page_size echoes the query's page_size
	reportNone                            // paging has no page_size
)

func (r pageSizeReport) String() string {
	return [...]string{"reports the clamped size", "echoes the requested size", "omits page_size"}[r]
}

// conversionsServer is an Everflow conversions endpoint written from the
// reference: paging from the query string only, a default page size when
// none is asked, and a maximum that it clamps to or refuses.
type conversionsServer struct {
	serverConfig

	mu       sync.Mutex
	rows     []string
	requests []variantRequest
}

// serverConfig is how a conversionsServer takes the reference's open
// questions.
type serverConfig struct {
	maxPageSize     int  // 0: no maximum
	refuseAboveMax  bool // 400 instead of a silent clamp
	refusal         string
	defaultPageSize int // without page_size; 0 means 50
	sizeReport      pageSizeReport
	omitPage        bool // paging has no page
	ignorePage      bool // the body-paging trap: page 1 whatever is asked
	// emptyRows is how an empty page's conversions are written: "[]"
	// when "", "null" (a Go nil slice), or "omit" (proto3 JSON).
	emptyRows string
	// beforeServe, when set, runs under the lock before each request is
	// answered, with the page asked for and the number of requests so far.
	beforeServe func(s *conversionsServer, page, n int)
}

type variantRequest struct {
	Query url.Values
	Body  map[string]any
}

func (s *conversionsServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/affiliates/reporting/conversions" {
		writeJSON(w, http.StatusNotFound, `{"error":"Resource not found"}`)
		return
	}
	if r.Header.Get("X-Eflow-API-Key") != variantKey {
		writeJSON(w, http.StatusUnauthorized, `{"error":"No Authentication Method Found"}`)
		return
	}
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeJSON(w, http.StatusBadRequest, `{"error":"Invalid parameters."}`)
		return
	}
	q := r.URL.Query()
	page, size := 1, cmpOr(s.defaultPageSize, 50)
	if v := q.Get("page"); v != "" {
		page, _ = strconv.Atoi(v)
	}
	asked := 0
	if v := q.Get("page_size"); v != "" {
		asked, _ = strconv.Atoi(v)
		size = asked
	}
	if page < 1 || size < 1 {
		writeJSON(w, http.StatusBadRequest, `{"error":"Invalid parameters."}`)
		return
	}
	if s.maxPageSize > 0 && size > s.maxPageSize {
		if s.refuseAboveMax {
			writeJSON(w, http.StatusBadRequest, fmt.Sprintf(`{"error":%q}`, s.refusal))
			return
		}
		size = s.maxPageSize
	}

	s.mu.Lock()
	s.requests = append(s.requests, variantRequest{Query: q, Body: body})
	if s.beforeServe != nil {
		s.beforeServe(s, page, len(s.requests))
	}
	served := page
	if s.ignorePage {
		served = 1
	}
	var rows []string
	if start := (served - 1) * size; start < len(s.rows) {
		rows = s.rows[start:min(start+size, len(s.rows))]
	}
	paging := map[string]int{"total_count": len(s.rows)}
	s.mu.Unlock()

	if !s.omitPage {
		paging["page"] = page
	}
	switch s.sizeReport {
	case reportUsed:
		paging["page_size"] = size
	case reportRequested:
		if asked > 0 {
			paging["page_size"] = asked
		}
	}
	pg, _ := json.Marshal(paging)
	switch {
	case len(rows) == 0 && s.emptyRows == "null":
		writeJSON(w, http.StatusOK, fmt.Sprintf(`{"conversions":null,"paging":%s}`, pg))
	case len(rows) == 0 && s.emptyRows == "omit":
		writeJSON(w, http.StatusOK, fmt.Sprintf(`{"paging":%s}`, pg))
	default:
		writeJSON(w, http.StatusOK, fmt.Sprintf(`{"conversions":[%s],"paging":%s}`, strings.Join(rows, ","), pg))
	}
}

func (s *conversionsServer) log() []variantRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

// serve starts h and returns its URL.
func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// oneRowServer answers every conversions request with body.
func oneRowServer(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, body) }
}

// TestVariantRevenue: every JSON form of revenue the reference allows or
// hints at keeps its exact text; missing and null are zero.
func TestVariantRevenue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		revenue string // the JSON member, "" for none
		want    string // Revenue.String()
	}{
		{name: "number", revenue: `"revenue":0.8`, want: "0.8"},
		{name: "integer", revenue: `"revenue":25`, want: "25"},
		{name: "trailing zeros", revenue: `"revenue":25.00`, want: "25.00"},
		{name: "numeric string", revenue: `"revenue":"5.25"`, want: "5.25"},
		{name: "exponent", revenue: `"revenue":1e-2`, want: "1e-2"},
		{name: "exponent upper case", revenue: `"revenue":2.5E+1`, want: "2.5E+1"},
		{name: "exponent string", revenue: `"revenue":"1e-2"`, want: "1e-2"},
		{name: "negative", revenue: `"revenue":-3.5`, want: "-3.5"},
		{name: "negative string", revenue: `"revenue":"-0.10"`, want: "-0.10"},
		{name: "zero", revenue: `"revenue":0`, want: "0"},
		{name: "many decimals", revenue: `"revenue":0.123456789012345678901234567890`, want: "0.123456789012345678901234567890"},
		{name: "missing", revenue: ``, want: "0"},
		{name: "null", revenue: `"revenue":null`, want: "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			members := []string{`"conversion_id":"r1"`, `"currency_id":"USD"`}
			if tt.revenue != "" {
				members = append(members, tt.revenue)
			}
			body := fmt.Sprintf(`{"conversions":[{%s}],"paging":{"page":1,"page_size":2000,"total_count":1}}`, strings.Join(members, ","))
			c := newVariantClient(t, serve(t, oneRowServer(body)), 0)
			got, _, err := fetchDay(t, c)
			if err != nil {
				t.Fatalf("Conversions: %v", err)
			}
			if len(got) != 1 {
				t.Fatalf("got %d conversions, want 1", len(got))
			}
			if diff := cmp.Diff(tt.want, got[0].Revenue.String()); diff != "" {
				t.Errorf("revenue (-want +got):\n%s", diff)
			}
		})
	}
}

// TestVariantMissingFields: proto3 leaves out zero values, and a server
// written in another language may send null instead: every optional field
// may be absent or null, and an empty day may come without its array.
func TestVariantMissingFields(t *testing.T) {
	t.Parallel()
	full := everflow.Conversion{
		ConversionID: "full", TransactionID: "tx", UnixTimestamp: 1795219200, Revenue: "1.5", CurrencyID: "EUR",
		IsEvent: true, Event: "Deposit", Sub1: "a", Sub2: "b", Sub3: "c", Sub4: "d", Sub5: "e",
		Relationship: everflow.Relationship{Offer: everflow.Offer{NetworkOfferID: 9, Name: "Nine"}},
	}
	fullJSON := `{"conversion_id":"full","transaction_id":"tx","conversion_unix_timestamp":1795219200,"revenue":1.5,"currency_id":"EUR",` +
		`"is_event":true,"event":"Deposit","sub1":"a","sub2":"b","sub3":"c","sub4":"d","sub5":"e","adv1":"","dma":0,"country":"Russia",` +
		`"relationship":{"offer":{"network_offer_id":9,"name":"Nine","network_id":1},"affiliate":{"x":1}}}`
	page := func(total int, rows ...string) string {
		return fmt.Sprintf(`{"conversions":[%s],"paging":{"page":1,"page_size":2000,"total_count":%d}}`, strings.Join(rows, ","), total)
	}
	tests := []struct {
		name    string
		body    string
		want    []everflow.Conversion
		wantErr error
	}{
		{name: "all fields, unknown ones skipped", body: page(1, fullJSON), want: []everflow.Conversion{full}},
		{name: "only conversion_id", body: page(1, `{"conversion_id":"bare"}`),
			want: []everflow.Conversion{{ConversionID: "bare"}}},
		{name: "no relationship, currency, subs or is_event", body: page(1, `{"conversion_id":"b","revenue":2,"transaction_id":"t"}`),
			want: []everflow.Conversion{{ConversionID: "b", Revenue: "2", TransactionID: "t"}}},
		{name: "nulls everywhere", body: page(1, `{"conversion_id":"n","revenue":null,"currency_id":null,"is_event":null,"event":null,`+
			`"sub1":null,"sub2":null,"sub3":null,"sub4":null,"sub5":null,"conversion_unix_timestamp":null,"relationship":null}`),
			want: []everflow.Conversion{{ConversionID: "n"}}},
		{name: "empty relationship", body: page(1, `{"conversion_id":"e","relationship":{}}`), want: []everflow.Conversion{{ConversionID: "e"}}},
		{name: "offer null", body: page(1, `{"conversion_id":"o","relationship":{"offer":null}}`), want: []everflow.Conversion{{ConversionID: "o"}}},
		{name: "offer without id", body: page(1, `{"conversion_id":"o","relationship":{"offer":{"name":"Named"}}}`),
			want: []everflow.Conversion{{ConversionID: "o", Relationship: everflow.Relationship{Offer: everflow.Offer{Name: "Named"}}}}},
		// A bare row after a full one: a reused buffer must not leak fields.
		{name: "bare after full", body: page(2, fullJSON, `{"conversion_id":"bare"}`),
			want: []everflow.Conversion{{ConversionID: "bare"}, full}},

		{name: "empty day, empty array", body: page(0), want: nil},
		{name: "empty day, conversions null", body: `{"conversions":null,"paging":{"page":1,"page_size":2000,"total_count":0}}`, want: nil},
		{name: "empty day, conversions missing", body: `{"paging":{"page":1,"page_size":2000,"total_count":0}}`, want: nil},
		{name: "empty day, total_count missing", body: `{"conversions":[],"paging":{"page":1,"page_size":2000}}`, want: nil},
		{name: "empty day, empty paging", body: `{"conversions":[],"paging":{}}`, want: nil},
		{name: "empty day, paging first", body: `{"paging":{"total_count":0,"page":1},"conversions":null}`, want: nil},

		{name: "conversions null but counted", body: `{"conversions":null,"paging":{"page":1,"page_size":2000,"total_count":3}}`, wantErr: everflow.ErrEnvelope},
		{name: "conversions missing but counted", body: `{"paging":{"page":1,"total_count":3}}`, wantErr: everflow.ErrEnvelope},
		{name: "no paging", body: `{"conversions":[]}`, wantErr: everflow.ErrEnvelope},
		{name: "empty array but counted", body: `{"conversions":[],"paging":{"page":1,"total_count":5}}`, wantErr: everflow.ErrCountMismatch},
		{name: "rows but total_count missing", body: `{"conversions":[{"conversion_id":"x"}],"paging":{"page":1}}`, wantErr: everflow.ErrCountMismatch},
		{name: "conversion_id missing", body: page(1, `{"revenue":1}`), wantErr: everflow.ErrMissingConversionID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newVariantClient(t, serve(t, oneRowServer(tt.body)), 0)
			got, _, err := fetchDay(t, c)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil {
				return
			}
			slices.SortFunc(got, func(a, b everflow.Conversion) int { return strings.Compare(a.ConversionID, b.ConversionID) })
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("conversions (-want +got):\n%s", diff)
			}
		})
	}
}

// TestVariantPageSizeLimit: a server whose maximum page_size is below the
// 2000 asked for. Whether it clamps and says so, clamps and echoes the
// request, clamps and says nothing, or refuses with a 400, the day comes
// out whole and the query keeps asking for the same page_size; a server
// that also ignores the page parameter is caught in every case.
func TestVariantPageSizeLimit(t *testing.T) {
	t.Parallel()
	const total, max = 1000, 300
	type variant struct {
		name      string
		cfg       serverConfig
		pageSize  int // the client's; 0 is the production 2000
		wantPages int
		wantSize  string // page_size of every request after the first
		wantErr   error
	}
	var tests []variant
	for _, report := range []pageSizeReport{reportUsed, reportRequested, reportNone} {
		for _, omitPage := range []bool{false, true} {
			name := report.String()
			if omitPage {
				name += ", no paging.page"
			}
			cfg := serverConfig{maxPageSize: max, sizeReport: report, omitPage: omitPage}
			tests = append(tests, variant{name: "clamps, " + name, cfg: cfg, wantPages: 4, wantSize: "2000"})
			cfg.ignorePage = true
			tests = append(tests, variant{name: "clamps and ignores page, " + name, cfg: cfg, wantErr: everflow.ErrPagingIgnored})
		}
	}
	for _, refusal := range []string{"Invalid parameters: page_size must not exceed 300", "Page size too large (maximum 300)"} {
		tests = append(tests, variant{name: "refuses: " + refusal,
			cfg:       serverConfig{maxPageSize: max, refuseAboveMax: true, refusal: refusal, sizeReport: reportUsed},
			wantPages: 4, wantSize: "250"})
	}
	// No maximum: the trap alone, with and without paging.page.
	for _, omitPage := range []bool{false, true} {
		tests = append(tests, variant{name: fmt.Sprintf("no maximum, ignores page, omit paging.page %v", omitPage),
			cfg: serverConfig{ignorePage: true, omitPage: omitPage, sizeReport: reportRequested}, pageSize: 100, wantErr: everflow.ErrPagingIgnored})
	}
	// The server answers a day that fits in one clamped page.
	tests = append(tests, variant{name: "clamps, day fits one page", cfg: serverConfig{maxPageSize: 2 * total, sizeReport: reportRequested}, wantPages: 1, wantSize: "2000"})

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := &conversionsServer{serverConfig: tt.cfg, rows: variantRows(total)}
			c := newVariantClient(t, serve(t, srv), tt.pageSize)
			got, st, err := fetchDay(t, c)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil {
				if len(got) > max {
					t.Errorf("handed over %d conversions before failing, more than one page", len(got))
				}
				if len(got) == total {
					t.Errorf("handed over the whole day, then failed: the trap went unseen until the end")
				}
				return
			}
			if diff := cmp.Diff(rowIDs(srv.rows), ids(got)); diff != "" {
				t.Errorf("conversions (-want +got):\n%s", diff)
			}
			want := everflow.PageStats{Pages: tt.wantPages, Conversions: total, TotalCount: total}
			if diff := cmp.Diff(want, st); diff != "" {
				t.Errorf("stats (-want +got):\n%s", diff)
			}
			for i, r := range srv.log() {
				if r.Query.Get("page_size") != tt.wantSize {
					t.Errorf("request %d asked page_size %q, want %q throughout", i+1, r.Query.Get("page_size"), tt.wantSize)
				}
			}
		})
	}
}

// TestVariantRequestShape: a server whose default page size is 2000 would
// hide a client that forgets page_size; every request must carry page and
// page_size in the query string and neither anywhere in the body.
func TestVariantRequestShape(t *testing.T) {
	t.Parallel()
	srv := &conversionsServer{serverConfig: serverConfig{defaultPageSize: 2000, sizeReport: reportUsed}, rows: variantRows(25)}
	c := newVariantClient(t, serve(t, srv), 10)
	got, _, err := fetchDay(t, c)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 25 {
		t.Fatalf("got %d conversions, want 25", len(got))
	}
	var pages []string
	for _, r := range srv.log() {
		if r.Query.Get("page_size") != "10" {
			t.Errorf("query %q: page_size is not 10", r.Query.Encode())
		}
		pages = append(pages, r.Query.Get("page"))
		if keys := pagingKeys(r.Body); len(keys) > 0 {
			t.Errorf("body carries %v: %v", keys, r.Body)
		}
		wantBody := map[string]any{"from": variantDay, "to": variantDay, "timezone_id": 67.0,
			"show_conversions": true, "show_events": true, "query": map[string]any{"filters": []any{}}}
		if diff := cmp.Diff(wantBody, r.Body); diff != "" {
			t.Errorf("body (-want +got):\n%s", diff)
		}
	}
	slices.Sort(pages)
	if diff := cmp.Diff([]string{"1", "2", "3"}, pages); diff != "" {
		t.Errorf("pages asked (-want +got):\n%s", diff)
	}
}

// pagingKeys returns the paging-like keys anywhere in v.
func pagingKeys(v any) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if l := strings.ToLower(k); strings.Contains(l, "page") || l == "limit" || l == "offset" || l == "pagination" {
				out = append(out, k)
			}
			out = append(out, pagingKeys(e)...)
		}
	case []any:
		for _, e := range v {
			out = append(out, pagingKeys(e)...)
		}
	}
	return out
}

// TestVariantTransient: each kind of transient answer, once, before the
// page; the day comes out whole after exactly one retry.
func TestVariantTransient(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fail  func(w http.ResponseWriter)
		retry bool // the failure costs one retry
	}{
		{name: "429 Retry-After seconds", retry: true, fail: func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "1")
			writeJSON(w, 429, `{"error":"Rate limit exceeded"}`)
		}},
		{name: "429 Retry-After HTTP date", retry: true, fail: func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", time.Now().Add(30*time.Second).UTC().Format(http.TimeFormat))
			writeJSON(w, 429, `{"error":"Rate limit exceeded"}`)
		}},
		{name: "429 Retry-After in the past", retry: true, fail: func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "Thu, 01 Jan 2015 00:00:00 GMT")
			writeJSON(w, 429, `{"error":"Rate limit exceeded"}`)
		}},
		{name: "429 no Retry-After, empty body", retry: true, fail: func(w http.ResponseWriter) { w.WriteHeader(429) }},
		{name: "429 X-RateLimit headers", retry: true, fail: func(w http.ResponseWriter) {
			w.Header().Set("X-RateLimit-Limit", "150")
			w.Header().Set("X-RateLimit-Remaining", "0")
			writeJSON(w, 429, `{"error":"rate limit exceeded"}`)
		}},
		{name: "502 HTML", retry: true, fail: func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(502)
			io.WriteString(w, "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>")
		}},
		{name: "503 JSON error", retry: true, fail: func(w http.ResponseWriter) {
			writeJSON(w, 503, `{"error":"service temporarily unavailable"}`)
		}},
		{name: "500 JSON error", retry: true, fail: func(w http.ResponseWriter) { writeJSON(w, 500, `{"error":"internal error"}`) }},
		{name: "504 plain text", retry: true, fail: func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(504)
			io.WriteString(w, "upstream request timeout")
		}},
		// Not a failure: the bucket is empty but this answer is good.
		{name: "X-RateLimit-Remaining 0 then success", fail: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := &conversionsServer{serverConfig: serverConfig{sizeReport: reportUsed}, rows: variantRows(25)}
			var n atomic.Int32
			base := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				first := n.Add(1) == 1
				switch {
				case first && tt.fail != nil:
					tt.fail(w)
				case first:
					w.Header().Set("X-RateLimit-Limit", "5")
					w.Header().Set("X-RateLimit-Remaining", "0")
					srv.ServeHTTP(w, r)
				default:
					srv.ServeHTTP(w, r)
				}
			}))
			c := newVariantClient(t, base, 10)
			got, _, err := fetchDay(t, c)
			if err != nil {
				t.Fatalf("Conversions: %v", err)
			}
			if diff := cmp.Diff(rowIDs(srv.rows), ids(got)); diff != "" {
				t.Errorf("conversions (-want +got):\n%s", diff)
			}
			want := everflow.Stats{Requests: 3, Retries: 0}
			if tt.retry {
				want = everflow.Stats{Requests: 4, Retries: 1}
			}
			if diff := cmp.Diff(want, c.Stats()); diff != "" {
				t.Errorf("client stats (-want +got):\n%s", diff)
			}
		})
	}
}

// TestVariantFatalStatus: 400, 401, 403 and 404 come back as *Error with
// the server's text and what to do, after one request; the key echoed back
// in the body or in headers never reaches the error.
func TestVariantFatalStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		status   int
		body     string // %[1]s is the key the request carried
		html     bool
		wantText []string
	}{
		{name: "401 no key", status: 401, body: `{"error":"No Authentication Method Found"}`,
			wantText: []string{"401", "No Authentication Method Found", "EVERFLOW_API_KEY"}},
		{name: "401 echoing the key", status: 401, body: `{"error":"invalid api key %[1]s"}`,
			wantText: []string{"401", "invalid api key [REDACTED]", "EVERFLOW_API_KEY"}},
		{name: "401 HTML", status: 401, html: true, body: `<html><body><h1>Unauthorized</h1><p>key %[1]s</p></body></html>`,
			wantText: []string{"401", "Unauthorized", "EVERFLOW_API_KEY"}},
		{name: "403 out of realm", status: 403, body: `{"error":"Out of realm"}`,
			wantText: []string{"403", "Out of realm", "not an affiliate key"}},
		{name: "403 other", status: 403, body: `{"error":"forbidden for %[1]s"}`,
			wantText: []string{"403", "lacks permission"}},
		{name: "400", status: 400, body: `{"error":"Invalid parameters."}`,
			wantText: []string{"400", "Invalid parameters."}},
		{name: "400 plain text with key", status: 400, body: `bad request from %[1]s`,
			wantText: []string{"400", "bad request from [REDACTED]"}},
		{name: "404", status: 404, body: `{"error":"Resource not found"}`,
			wantText: []string{"404", "Resource not found", "EVERFLOW_BASE_URL"}},
		{name: "404 empty body", status: 404, body: ``,
			wantText: []string{"404", "EVERFLOW_BASE_URL"}},
	}
	calls := []struct {
		name string
		call func(t *testing.T, c *everflow.Client) error
	}{
		{name: "conversions", call: func(t *testing.T, c *everflow.Client) error { _, _, err := fetchDay(t, c); return err }},
		{name: "check", call: func(t *testing.T, c *everflow.Client) error { return c.Check(t.Context(), 67) }},
	}
	for _, tt := range tests {
		for _, call := range calls {
			t.Run(tt.name+"/"+call.name, func(t *testing.T) {
				t.Parallel()
				var n atomic.Int32
				base := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					n.Add(1)
					key := r.Header.Get("X-Eflow-API-Key")
					w.Header().Set("X-Echo-Api-Key", key)
					w.Header().Set("WWW-Authenticate", `Key realm="`+key+`"`)
					w.Header().Set("Content-Type", "application/json")
					if tt.html {
						w.Header().Set("Content-Type", "text/html")
					}
					w.WriteHeader(tt.status)
					fmt.Fprintf(w, tt.body, key)
				}))
				c := newVariantClient(t, base, 0)
				err := call.call(t, c)
				var apiErr *everflow.Error
				if !errors.As(err, &apiErr) || apiErr.StatusCode != tt.status {
					t.Fatalf("err = %v, want an *everflow.Error with status %d", err, tt.status)
				}
				for _, s := range tt.wantText {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not contain %q", err, s)
					}
				}
				if got := n.Load(); got != 1 {
					t.Errorf("server saw %d requests, want 1: a %d is not retried", got, tt.status)
				}
				if diff := cmp.Diff(everflow.Stats{Requests: 1}, c.Stats()); diff != "" {
					t.Errorf("client stats (-want +got):\n%s", diff)
				}
				for _, text := range []string{err.Error(), fmt.Sprintf("%+v %#v", err, err), fmt.Sprintf("%#v", apiErr)} {
					if strings.Contains(text, variantKey) || strings.Contains(text, "ECHOTRAP") {
						t.Errorf("the key leaked into %q", text)
					}
				}
			})
		}
	}
}

// TestVariantChangingDay: total_count moves while the client pages (a
// conversion arrives or is reversed). The outcome is the server's final set
// of conversions, exactly, or an error: never a silent partial day.
func TestVariantChangingDay(t *testing.T) {
	t.Parallel()
	const n = 25
	late := fmt.Sprintf(`{"conversion_id":%q,"revenue":9,"currency_id":"USD"}`, "ffffffffffffffffffffffffffffffff")
	insertOnce := func(front bool) func(s *conversionsServer, page, req int) {
		return func(s *conversionsServer, page, req int) {
			if req == 2 { // right after page 1 was served
				if front {
					s.rows = append([]string{late}, s.rows...)
				} else {
					s.rows = append(s.rows, late)
				}
			}
		}
	}
	tests := []struct {
		name        string
		omitPage    bool
		emptyRows   string
		beforeServe func(s *conversionsServer, page, req int)
		mustFail    bool
	}{
		{name: "insert shifts every page", beforeServe: insertOnce(true)},
		{name: "insert at the end", beforeServe: insertOnce(false)},
		{name: "insert, no paging.page", omitPage: true, beforeServe: insertOnce(true)},
		{name: "reversal after page 1", mustFail: true, beforeServe: func(s *conversionsServer, page, req int) {
			if req == 2 {
				s.rows = s.rows[1:]
			}
		}},
		{name: "a conversion on every request", mustFail: true, beforeServe: func(s *conversionsServer, page, req int) {
			if req >= 2 {
				s.rows = append([]string{fmt.Sprintf(`{"conversion_id":"new-%d"}`, req)}, s.rows...)
			}
		}},
		{name: "steady, no paging.page", omitPage: true},
		// Reversals of conversions not yet handed over leave the last page
		// past the end, answered as an empty page in each spelling.
		{name: "unseen reversals, page past the end []", beforeServe: reverseTail},
		{name: "unseen reversals, page past the end null", emptyRows: "null", beforeServe: reverseTail},
		{name: "unseen reversals, page past the end omitted", emptyRows: "omit", beforeServe: reverseTail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := &conversionsServer{serverConfig: serverConfig{sizeReport: reportUsed, omitPage: tt.omitPage, emptyRows: tt.emptyRows, beforeServe: tt.beforeServe}, rows: variantRows(n)}
			c := newVariantClient(t, serve(t, srv), 10)
			got, st, err := fetchDay(t, c)
			srv.mu.Lock()
			final := rowIDs(srv.rows)
			srv.mu.Unlock()
			switch {
			case err != nil && !errors.Is(err, everflow.ErrCountMismatch):
				t.Fatalf("err = %v, want nil or ErrCountMismatch", err)
			case err != nil && !tt.mustFail:
				t.Logf("refused the day, acceptable: %v", err)
			case err == nil && tt.mustFail:
				t.Fatalf("Conversions accepted a day that changed under it: %d conversions, stats %+v", len(got), st)
			case err == nil:
				if diff := cmp.Diff(final, ids(got)); diff != "" {
					t.Errorf("conversions (-want +got):\n%s", diff)
				}
				if st.Conversions != len(final) || st.TotalCount != len(final) {
					t.Errorf("stats %+v, want %d conversions and total_count", st, len(final))
				}
			}
		})
	}
}

// reverseTail removes the last five conversions right after page 1 was
// served: with 25 conversions in pages of 10, page 3 is then past the end.
func reverseTail(s *conversionsServer, page, req int) {
	if req == 2 {
		s.rows = s.rows[:len(s.rows)-5]
	}
}

// timezoneServer answers GET /v1/meta/timezones with status and body and
// counts the requests.
func timezoneServer(t *testing.T, status int, contentType, body string) (string, *atomic.Int32) {
	var n atomic.Int32
	base := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/v1/meta/timezones" {
			writeJSON(w, 404, `{"error":"Resource not found"}`)
			return
		}
		n.Add(1)
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	return base, &n
}

// TestVariantTimezones: the timezone list in shapes the reference allows,
// and every way it can be refused, ending in the server's id, the built-in
// table of confirmed ids, or ErrUnknownTimezone naming the setting.
func TestVariantTimezones(t *testing.T) {
	t.Parallel()
	const list = `{"timezones":[
		{"timezone_id":1,"timezone_name":"Line Is. Time (Pacific/Kiritimati)","timezone":"Pacific/Kiritimati","utc_offset":"+14:00","is_dst":false},
		{"timezone_id":80,"timezone_name":"Eastern Time","timezone":"America/New_York","utc_offset":"-05:00","extra":{"nested":[1,2]}},
		{"timezone_id":142,"timezone_name":"Central European Time","timezone":"Europe/Berlin","utc_offset":"+01:00"},
		{"timezone_id":500,"timezone_name":"Unknown"},
		{"timezone_id":67,"timezone_name":"Coordinated Universal Time","timezone":"Etc/UTC","utc_offset":"+00:00"}
	],"meta":{"count":5}}`
	const html = "<html><body><h1>Service Unavailable</h1></body></html>"
	tests := []struct {
		name         string
		status       int
		contentType  string
		body         string
		zone         string
		want         int
		wantErr      error
		wantRequests int32 // 0: not checked
	}{
		{name: "listed, extra fields", status: 200, contentType: "application/json", body: list, zone: "America/New_York", want: 80, wantRequests: 1},
		{name: "listed under an id the docs do not confirm", status: 200, contentType: "application/json", body: list, zone: "Europe/Berlin", want: 142},
		{name: "UTC listed as Etc/UTC", status: 200, contentType: "application/json", body: list, zone: "UTC", want: 67},
		{name: "zone missing from the list, confirmed id", status: 200, contentType: "application/json", body: list, zone: "Asia/Tokyo", want: 16},
		{name: "zone missing from the list, unknown", status: 200, contentType: "application/json", body: list, zone: "Europe/Paris", wantErr: everflow.ErrUnknownTimezone},
		{name: "one entry, as in the reference", status: 200, contentType: "application/json",
			body: `{"timezones":[{"timezone_id":1,"timezone_name":"Line Is. Time (Pacific/Kiritimati)","timezone":"Pacific/Kiritimati","utc_offset":"+14:00"}]}`,
			zone: "America/Los_Angeles", want: 90},
		{name: "empty list", status: 200, contentType: "application/json", body: `{"timezones":[]}`, zone: "America/Chicago", want: 85},
		{name: "403 out of realm", status: 403, contentType: "application/json", body: `{"error":"Out of realm"}`, zone: "America/Denver", want: 87, wantRequests: 1},
		{name: "403, unconfirmed zone", status: 403, contentType: "application/json", body: `{"error":"Out of realm"}`, zone: "Europe/Berlin", wantErr: everflow.ErrUnknownTimezone},
		{name: "500 persistent", status: 500, contentType: "application/json", body: `{"error":"internal error"}`, zone: "America/Phoenix", want: 89, wantRequests: 4},
		{name: "503 HTML", status: 503, contentType: "text/html", body: html, zone: "Pacific/Pago_Pago", want: 99},
		{name: "200 HTML", status: 200, contentType: "text/html", body: html, zone: "Australia/Sydney", want: 12, wantRequests: 1},
		{name: "200 other envelope", status: 200, contentType: "application/json", body: `{"data":[{"id":67,"name":"UTC"}]}`, zone: "UTC", want: 67},
		{name: "404", status: 404, contentType: "application/json", body: `{"error":"Resource not found"}`, zone: "Etc/UTC", want: 67},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base, n := timezoneServer(t, tt.status, tt.contentType, tt.body)
			c := newVariantClient(t, base, 0)
			got, err := c.TimezoneID(t.Context(), tt.zone)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("TimezoneID(%q) err = %v, want %v", tt.zone, err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "EVERFLOW_TIMEZONE_ID") {
				t.Errorf("error %q does not name EVERFLOW_TIMEZONE_ID", err)
			}
			if got != tt.want {
				t.Errorf("TimezoneID(%q) = %d, want %d", tt.zone, got, tt.want)
			}
			if tt.wantRequests != 0 && n.Load() != tt.wantRequests {
				t.Errorf("server saw %d requests, want %d", n.Load(), tt.wantRequests)
			}
		})
	}
}

// TestVariantTimezoneFallbackTable: with the list refused, every id the
// reference confirms is still found.
func TestVariantTimezoneFallbackTable(t *testing.T) {
	t.Parallel()
	confirmed := map[string]int{
		"Pacific/Kiritimati": 1, "Pacific/Enderbury": 2, "Pacific/Tongatapu": 3, "Pacific/Chatham": 4,
		"Pacific/Auckland": 5, "Pacific/Fiji": 6, "Asia/Kamchatka": 7, "Pacific/Norfolk": 8,
		"Australia/Lord_Howe": 9, "Pacific/Guadalcanal": 10, "Australia/Adelaide": 11, "Australia/Sydney": 12,
		"Australia/Brisbane": 13, "Australia/Darwin": 14, "Asia/Seoul": 15, "Asia/Tokyo": 16,
		"UTC": 67, "America/New_York": 80, "America/Chicago": 85, "America/Denver": 87,
		"America/Phoenix": 89, "America/Los_Angeles": 90, "Pacific/Pago_Pago": 99,
	}
	base, _ := timezoneServer(t, 403, "application/json", `{"error":"Out of realm"}`)
	c := newVariantClient(t, base, 0)
	got := map[string]int{}
	for zone := range confirmed {
		id, err := c.TimezoneID(t.Context(), zone)
		if err != nil {
			t.Errorf("TimezoneID(%q): %v", zone, err)
		}
		got[zone] = id
	}
	if diff := cmp.Diff(confirmed, got); diff != "" {
		t.Errorf("fallback ids (-want +got):\n%s", diff)
	}
}

// TestVariantCheck: the key check's body suits a dashboard endpoint that
// follows the legacy docs (a timezone alone) or the newer ones (currency_id
// too, required by a strict server).
func TestVariantCheck(t *testing.T) {
	t.Parallel()
	const summary = `{"revenue":{"today":4,"yesterday":5.6,"current_month":23.20,"last_month":0,"trending_percentage":-28.6},` +
		`"conversion":{"today":5,"yesterday":7,"current_month":29,"last_month":0,"trending_percentage":-28.6}}`
	tests := []struct {
		name     string
		required []string
	}{
		{name: "legacy: timezone_id", required: []string{"timezone_id"}},
		{name: "newer: timezone_id and currency_id", required: []string{"timezone_id", "currency_id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var body map[string]any
				if r.Method != http.MethodPost || r.URL.Path != "/v1/affiliates/dashboard/summary" {
					writeJSON(w, 404, `{"error":"Resource not found"}`)
					return
				}
				if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
					writeJSON(w, 400, `{"error":"Invalid parameters."}`)
					return
				}
				for _, k := range tt.required {
					if body[k] == nil {
						writeJSON(w, 400, fmt.Sprintf(`{"error":"Invalid parameters: %s is required"}`, k))
						return
					}
				}
				writeJSON(w, 200, summary)
			}))
			c := newVariantClient(t, base, 0)
			if err := c.Check(t.Context(), 80); err != nil {
				t.Errorf("Check: %v", err)
			}
		})
	}
}
