package everflowtest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/eflow-digest/eflow-digest/everflow/everflowtest"
)

// testNow is the servers' "today" in tests: 2026-11-20 in every US zone.
var testNow = time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)

// newServer starts a server with rate limiting off and a fixed clock
// unless opts says otherwise.
func newServer(t *testing.T, opts everflowtest.Options, data []everflowtest.Conversion) *everflowtest.Server {
	t.Helper()
	if opts.RPS == 0 {
		opts.RPS = -1
	}
	if opts.Now == nil {
		opts.Now = func() time.Time { return testNow }
	}
	s := everflowtest.NewServer(opts, data)
	t.Cleanup(s.Close)
	return s
}

// response is what a test sees of an HTTP exchange.
type response struct {
	status int
	header http.Header
	body   []byte
}

// request is one HTTP call to a test server.
type request struct {
	method string // "" = POST
	path   string
	query  string
	body   string
	key    *string // nil = the default key
	ctype  *string // nil = application/json
}

var testClient = &http.Client{Timeout: 10 * time.Second}

func do(t *testing.T, s *everflowtest.Server, r request) response {
	t.Helper()
	method := r.method
	if method == "" {
		method = http.MethodPost
	}
	u := s.URL + r.path
	if r.query != "" {
		u += "?" + r.query
	}
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	key := everflowtest.DefaultAPIKey
	if r.key != nil {
		key = *r.key
	}
	if key != "" {
		req.Header.Set("X-Eflow-API-Key", key)
	}
	ct := "application/json"
	if r.ctype != nil {
		ct = *r.ctype
	}
	if body != nil && ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	resp, err := testClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, r.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, r.path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func ptr[T any](v T) *T { return &v }

// page is a decoded conversions response.
type page struct {
	Conversions []map[string]json.RawMessage `json:"conversions"`
	Paging      struct {
		Page       int `json:"page"`
		PageSize   int `json:"page_size"`
		TotalCount int `json:"total_count"`
	} `json:"paging"`
}

func decodePage(t *testing.T, r response) page {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d, body %s", r.status, r.body)
	}
	var p page
	dec := json.NewDecoder(bytes.NewReader(r.body))
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("decode page: %v\n%s", err, r.body)
	}
	if p.Conversions == nil {
		t.Fatalf("no conversions array in %s", r.body)
	}
	return p
}

// ids returns the conversion_id of each row of p.
func (p page) ids(t *testing.T) []string {
	t.Helper()
	out := make([]string, 0, len(p.Conversions))
	for _, c := range p.Conversions {
		var id string
		if err := json.Unmarshal(c["conversion_id"], &id); err != nil {
			t.Fatalf("conversion_id %s: %v", c["conversion_id"], err)
		}
		out = append(out, id)
	}
	return out
}

// dayBody is a conversions body for one day in timezone tz.
func dayBody(day string, tz int, events bool) string {
	b, _ := json.Marshal(map[string]any{
		"from": day, "to": day, "timezone_id": tz,
		"show_conversions": true, "show_events": events,
		"query": map[string]any{"filters": []any{}},
	})
	return string(b)
}

// conv is a terse constructor for test conversions.
func conv(id string, t time.Time, revenue string) everflowtest.Conversion {
	return everflowtest.Conversion{
		ID: id, TransactionID: "tx-" + id, Time: t,
		OfferID: 1, OfferName: "Offer One", Currency: "USD", Revenue: revenue,
	}
}

func errorText(t *testing.T, r response) string {
	t.Helper()
	var e map[string]any
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("error body is not JSON: %v: %q", err, r.body)
	}
	if len(e) != 1 {
		t.Fatalf("error body has keys other than error: %s", r.body)
	}
	s, ok := e["error"].(string)
	if !ok {
		t.Fatalf("error body without an error string: %s", r.body)
	}
	return s
}

func unmarshal(raw json.RawMessage, v any) error { return json.Unmarshal(raw, v) }
