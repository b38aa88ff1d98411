package everflowtest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/eflow-digest/eflow-digest/everflow/everflowtest"
)

func TestAuthAndRouting(t *testing.T) {
	t.Parallel()
	s := newServer(t, everflowtest.Options{APIKey: "s3cret-key"}, nil)
	good := dayBody("2026-11-19", 67, false)
	tests := []struct {
		name       string
		req        request
		header     map[string]string // sent raw, overriding the key
		wantStatus int
		wantError  string // "" = no check of the text
	}{
		{name: "missing key", req: request{path: everflowtest.PathConversions, body: good, key: ptr("")}, wantStatus: 401, wantError: "No Authentication Method Found"},
		{name: "wrong key", req: request{path: everflowtest.PathConversions, body: good, key: ptr("wrong-key")}, wantStatus: 401},
		{name: "key value is case-sensitive", req: request{path: everflowtest.PathConversions, body: good, key: ptr("S3CRET-KEY")}, wantStatus: 401},
		{name: "key prefix", req: request{path: everflowtest.PathConversions, body: good, key: ptr("s3cret")}, wantStatus: 401},
		{name: "right key", req: request{path: everflowtest.PathConversions, body: good, key: ptr("s3cret-key")}, wantStatus: 200},
		{name: "lowercase header name", req: request{path: everflowtest.PathConversions, body: good, key: ptr("")}, header: map[string]string{"x-eflow-api-key": "s3cret-key"}, wantStatus: 200},
		{name: "docs casing", req: request{path: everflowtest.PathConversions, body: good, key: ptr("")}, header: map[string]string{"X-Eflow-Api-Key": "s3cret-key"}, wantStatus: 200},
		{name: "key in another header", req: request{path: everflowtest.PathConversions, body: good, key: ptr("")}, header: map[string]string{"Authorization": "Bearer s3cret-key"}, wantStatus: 401, wantError: "No Authentication Method Found"},
		{name: "network realm", req: request{method: "GET", path: "/v1/networks/info", key: ptr("s3cret-key")}, wantStatus: 403, wantError: "Out of realm"},
		{name: "network reporting", req: request{path: "/v1/networks/reporting/conversions", body: good, key: ptr("s3cret-key")}, wantStatus: 403, wantError: "Out of realm"},
		{name: "advertiser realm", req: request{method: "GET", path: "/v1/advertisers/offers", key: ptr("s3cret-key")}, wantStatus: 403, wantError: "Out of realm"},
		{name: "realm needs a key first", req: request{method: "GET", path: "/v1/networks/info", key: ptr("")}, wantStatus: 401},
		{name: "unknown path", req: request{path: "/v1/affiliates/reporting/conversion", body: good, key: ptr("s3cret-key")}, wantStatus: 404},
		{name: "trailing slash", req: request{path: everflowtest.PathConversions + "/", body: good, key: ptr("s3cret-key")}, wantStatus: 404},
		{name: "GET on conversions", req: request{method: "GET", path: everflowtest.PathConversions, key: ptr("s3cret-key")}, wantStatus: 405},
		{name: "POST on timezones", req: request{path: everflowtest.PathTimezones, body: "{}", key: ptr("s3cret-key")}, wantStatus: 405},
		{name: "unknown conversion id", req: request{method: "GET", path: everflowtest.PathConversions + "/0123", key: ptr("s3cret-key")}, wantStatus: 404},
		{name: "no content type", req: request{path: everflowtest.PathConversions, body: good, key: ptr("s3cret-key"), ctype: ptr("")}, wantStatus: 400},
		{name: "form content type", req: request{path: everflowtest.PathConversions, body: good, key: ptr("s3cret-key"), ctype: ptr("application/x-www-form-urlencoded")}, wantStatus: 400},
		{name: "json with charset", req: request{path: everflowtest.PathConversions, body: good, key: ptr("s3cret-key"), ctype: ptr("application/json; charset=utf-8")}, wantStatus: 200},
		{name: "bad JSON", req: request{path: everflowtest.PathConversions, body: `{"from":`, key: ptr("s3cret-key")}, wantStatus: 400, wantError: "Invalid parameters."},
		{name: "trailing garbage", req: request{path: everflowtest.PathConversions, body: good + "x", key: ptr("s3cret-key")}, wantStatus: 400, wantError: "Invalid parameters."},
		{name: "empty body", req: request{path: everflowtest.PathConversions, key: ptr("s3cret-key")}, wantStatus: 400},
		{name: "JSON array", req: request{path: everflowtest.PathConversions, body: "[]", key: ptr("s3cret-key")}, wantStatus: 400, wantError: "Invalid parameters."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var r response
			if tt.header != nil {
				r = doRaw(t, s, tt.req, tt.header)
			} else {
				r = do(t, s, tt.req)
			}
			if r.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", r.status, tt.wantStatus, r.body)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
			if r.status == 200 {
				return
			}
			msg := errorText(t, r)
			if tt.wantError != "" && msg != tt.wantError {
				t.Errorf("error = %q, want %q", msg, tt.wantError)
			}
			if strings.Contains(string(r.body), "s3cret") || strings.Contains(string(r.body), "wrong-key") {
				t.Errorf("error body echoes a key: %s", r.body)
			}
		})
	}
}

// doRaw is do with raw headers set after the key header.
func doRaw(t *testing.T, s *everflowtest.Server, r request, header map[string]string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL+r.path, strings.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = []string{v} // raw, not canonicalised
	}
	resp, err := testClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func TestConversionsValidation(t *testing.T) {
	t.Parallel()
	s := newServer(t, everflowtest.Options{}, nil)
	body := func(kv ...any) string {
		m := map[string]any{"from": "2026-11-19", "to": "2026-11-19", "timezone_id": 80, "show_conversions": true, "show_events": false}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(m, kv[i].(string))
			} else {
				m[kv[i].(string)] = kv[i+1]
			}
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	tests := []struct {
		name       string
		query      string
		body       string
		wantStatus int
		wantError  string
	}{
		{name: "ok", body: body(), wantStatus: 200},
		{name: "missing from", body: body("from", nil), wantStatus: 400, wantError: "Invalid parameters: from is required"},
		{name: "missing to", body: body("to", nil), wantStatus: 400, wantError: "Invalid parameters: to is required"},
		{name: "missing timezone", body: body("timezone_id", nil), wantStatus: 400, wantError: "Invalid parameters: timezone_id is required"},
		{name: "unknown timezone", body: body("timezone_id", 12345), wantStatus: 400, wantError: "Invalid parameters: unknown timezone_id 12345"},
		{name: "timezone as string", body: body("timezone_id", "80"), wantStatus: 400, wantError: "Invalid parameters."},
		{name: "show_events as string", body: body("show_events", "true"), wantStatus: 400},
		{name: "slashes", body: body("from", "2026/11/19"), wantStatus: 400},
		{name: "one-digit day", body: body("from", "2026-11-1", "to", "2026-11-1"), wantStatus: 400},
		{name: "ISO T separator", body: body("from", "2026-11-19T00:00:00"), wantStatus: 400},
		{name: "impossible date", body: body("from", "2026-02-30", "to", "2026-02-30"), wantStatus: 400},
		{name: "date and time", body: body("from", "2026-11-19 00:00:00", "to", "2026-11-19 23:59:59"), wantStatus: 200},
		{name: "from after to", body: body("from", "2026-11-19", "to", "2026-11-18"), wantStatus: 400},
		{name: "same second", body: body("from", "2026-11-19 10:00:00", "to", "2026-11-19 10:00:00"), wantStatus: 200},
		{name: "365 days back", body: body("from", "2025-11-20", "to", "2025-11-20"), wantStatus: 200},
		{name: "366 days back", body: body("from", "2025-11-19", "to", "2025-11-19"), wantStatus: 400, wantError: "Date range must be within the last 365 days."},
		{name: "longer than a year", body: body("from", "2025-11-20", "to", "2026-11-21"), wantStatus: 400, wantError: "Date range cannot be longer than one year."},
		{name: "page zero", query: "page=0", body: body(), wantStatus: 400},
		{name: "page negative", query: "page=-1", body: body(), wantStatus: 400},
		{name: "page not a number", query: "page=two", body: body(), wantStatus: 400},
		{name: "page empty", query: "page=", body: body(), wantStatus: 400},
		{name: "page_size zero", query: "page_size=0", body: body(), wantStatus: 400},
		{name: "page_size max", query: "page_size=2000", body: body(), wantStatus: 200},
		{name: "page_size over max", query: "page_size=2001", body: body(), wantStatus: 400, wantError: "Invalid parameters: page_size must not exceed 2000"},
		{name: "other query params ignored", query: "page=1&page_size=10&order_field=&order_direction=", body: body(), wantStatus: 200},
		{name: "unknown filter", body: body("query", map[string]any{"filters": []any{map[string]any{"resource_type": "planet", "filter_id_value": "x"}}}), wantStatus: 400},
		{name: "numeric filter value", body: body("query", map[string]any{"filters": []any{map[string]any{"resource_type": "offer", "filter_id_value": 1}}}), wantStatus: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := do(t, s, request{path: everflowtest.PathConversions, query: tt.query, body: tt.body})
			if r.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", r.status, tt.wantStatus, r.body)
			}
			if tt.wantError != "" {
				if got := errorText(t, r); got != tt.wantError {
					t.Errorf("error = %q, want %q", got, tt.wantError)
				}
			}
		})
	}
}

// TestDayBuckets puts conversions one second either side of each day edge
// and checks which ones a day query returns, across DST changes.
func TestDayBuckets(t *testing.T) {
	t.Parallel()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	edges := func(prefix string, start, end time.Time) []everflowtest.Conversion {
		return []everflowtest.Conversion{
			conv(prefix+"-before", start.Add(-time.Second), "1"),
			conv(prefix+"-first", start, "1"),
			conv(prefix+"-last", end.Add(-time.Second), "1"),
			conv(prefix+"-after", end, "1"),
		}
	}
	var data []everflowtest.Conversion
	// 2026-03-08 in New York: 05:00Z to 04:00Z next day, 23 hours.
	data = append(data, edges("spring", time.Date(2026, 3, 8, 5, 0, 0, 0, time.UTC), time.Date(2026, 3, 9, 4, 0, 0, 0, time.UTC))...)
	// 2026-11-01 in New York: 04:00Z to 05:00Z next day, 25 hours.
	data = append(data, edges("fall", time.Date(2026, 11, 1, 4, 0, 0, 0, time.UTC), time.Date(2026, 11, 2, 5, 0, 0, 0, time.UTC))...)
	// 2026-11-10 in UTC.
	data = append(data, edges("utc", time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC))...)
	s := newServer(t, everflowtest.Options{}, data)

	if got := time.Date(2026, 3, 9, 0, 0, 0, 0, ny).Sub(time.Date(2026, 3, 8, 0, 0, 0, 0, ny)); got != 23*time.Hour {
		t.Fatalf("test premise: 2026-03-08 in New York lasts %v", got)
	}
	tests := []struct {
		name     string
		from, to string
		tz       int
		want     []string // newest first
	}{
		{name: "spring forward day", from: "2026-03-08", to: "2026-03-08", tz: 80, want: []string{"spring-last", "spring-first"}},
		{name: "fall back day", from: "2026-11-01", to: "2026-11-01", tz: 80, want: []string{"fall-last", "fall-first"}},
		{name: "utc day", from: "2026-11-10", to: "2026-11-10", tz: 67, want: []string{"utc-last", "utc-first"}},
		{name: "utc day in New York", from: "2026-11-10", to: "2026-11-10", tz: 80, want: []string{"utc-after", "utc-last"}},
		{name: "date time bounds", from: "2026-03-08 00:00:00", to: "2026-03-08 23:59:59", tz: 80, want: []string{"spring-last", "spring-first"}},
		{name: "to second is inclusive", from: "2026-03-08 00:00:00", to: "2026-03-08 00:00:00", tz: 80, want: []string{"spring-first"}},
		{name: "from second is inclusive", from: "2026-03-08 23:59:59", to: "2026-03-09", tz: 80, want: []string{"spring-after", "spring-last"}},
		{name: "two days", from: "2026-11-01", to: "2026-11-02", tz: 80, want: []string{"fall-after", "fall-last", "fall-first"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, _ := json.Marshal(map[string]any{"from": tt.from, "to": tt.to, "timezone_id": tt.tz, "show_conversions": true, "show_events": false})
			p := decodePage(t, do(t, s, request{path: everflowtest.PathConversions, body: string(b)}))
			if diff := cmp.Diff(tt.want, p.ids(t)); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
			if p.Paging.TotalCount != len(tt.want) {
				t.Errorf("total_count = %d, want %d", p.Paging.TotalCount, len(tt.want))
			}
		})
	}
}

// pagingData is n conversions on 2026-11-19 UTC, two per second so the
// order within a second (by id) is exercised too.
func pagingData(n int) []everflowtest.Conversion {
	base := time.Date(2026, 11, 19, 1, 0, 0, 0, time.UTC)
	var out []everflowtest.Conversion
	for i := range n {
		out = append(out, conv(fmt.Sprintf("c%04d", n-i), base.Add(time.Duration(i/2)*time.Second), "1.5"))
	}
	return out
}

// wantOrder is the serving order: newest first, then id ascending.
func wantOrder(data []everflowtest.Conversion) []string {
	c := slices.Clone(data)
	slices.SortStableFunc(c, func(a, b everflowtest.Conversion) int {
		if d := b.Time.Compare(a.Time); d != 0 {
			return d
		}
		return strings.Compare(a.ID, b.ID)
	})
	var ids []string
	for _, x := range c {
		ids = append(ids, x.ID)
	}
	return ids
}

func TestPaging(t *testing.T) {
	t.Parallel()
	data := pagingData(120)
	order := wantOrder(data)
	s := newServer(t, everflowtest.Options{}, data)
	day := dayBody("2026-11-19", 67, false)
	type paging struct{ Page, PageSize, TotalCount int }
	tests := []struct {
		name       string
		query      string
		body       string
		want       []string
		wantPaging paging
	}{
		{name: "defaults", body: day, want: order[:50], wantPaging: paging{1, 50, 120}},
		{name: "page 2 of 50", query: "page=2", body: day, want: order[50:100], wantPaging: paging{2, 50, 120}},
		{name: "short last page", query: "page=3", body: day, want: order[100:], wantPaging: paging{3, 50, 120}},
		{name: "past the end", query: "page=4", body: day, want: []string{}, wantPaging: paging{4, 50, 120}},
		{name: "far past the end", query: "page=99999999999", body: day, want: []string{}, wantPaging: paging{99999999999, 50, 120}},
		{name: "max page size", query: "page=1&page_size=2000", body: day, want: order, wantPaging: paging{1, 2000, 120}},
		{name: "size 7 page 3", query: "page_size=7&page=3", body: day, want: order[14:21], wantPaging: paging{3, 7, 120}},
		{
			name:       "paging in the body is ignored",
			body:       `{"from":"2026-11-19","to":"2026-11-19","timezone_id":67,"show_conversions":true,"show_events":false,"page":2,"page_size":10}`,
			want:       order[:50],
			wantPaging: paging{1, 50, 120},
		},
		{
			name:       "nested paging in the body is ignored",
			body:       `{"from":"2026-11-19","to":"2026-11-19","timezone_id":67,"show_conversions":true,"show_events":false,"paging":{"page":2,"page_size":10}}`,
			want:       order[:50],
			wantPaging: paging{1, 50, 120},
		},
		{name: "empty day", body: dayBody("2026-11-18", 67, false), want: []string{}, wantPaging: paging{1, 50, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := decodePage(t, do(t, s, request{path: everflowtest.PathConversions, query: tt.query, body: tt.body}))
			if diff := cmp.Diff(tt.want, p.ids(t)); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantPaging, paging(p.Paging)); diff != "" {
				t.Errorf("paging (-want +got):\n%s", diff)
			}
		})
	}
}

func TestShowEvents(t *testing.T) {
	t.Parallel()
	data := pagingData(40)
	for i := range data {
		if i%3 == 0 {
			data[i].IsEvent = true
			data[i].Event = "Deposit"
		}
	}
	order := wantOrder(data)
	isEvent := map[string]bool{}
	for _, c := range data {
		isEvent[c.ID] = c.IsEvent
	}
	filter := func(keep func(id string) bool) []string {
		out := []string{}
		for _, id := range order {
			if keep(id) {
				out = append(out, id)
			}
		}
		return out
	}
	s := newServer(t, everflowtest.Options{}, data)
	tests := []struct {
		name  string
		flags string // JSON members
		want  []string
	}{
		{name: "defaults: conversions only", flags: ``, want: filter(func(id string) bool { return !isEvent[id] })},
		{name: "both", flags: `,"show_conversions":true,"show_events":true`, want: order},
		{name: "events only", flags: `,"show_conversions":false,"show_events":true`, want: filter(func(id string) bool { return isEvent[id] })},
		{name: "conversions only", flags: `,"show_conversions":true,"show_events":false`, want: filter(func(id string) bool { return !isEvent[id] })},
		{name: "neither", flags: `,"show_conversions":false,"show_events":false`, want: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := `{"from":"2026-11-19","to":"2026-11-19","timezone_id":67` + tt.flags + `}`
			// Walk pages of 4 so the indexed page search is exercised at
			// every offset.
			got := []string{}
			for pg := 1; ; pg++ {
				p := decodePage(t, do(t, s, request{path: everflowtest.PathConversions, query: fmt.Sprintf("page=%d&page_size=4", pg), body: body}))
				if p.Paging.TotalCount != len(tt.want) {
					t.Fatalf("page %d: total_count = %d, want %d", pg, p.Paging.TotalCount, len(tt.want))
				}
				if len(p.Conversions) == 0 {
					break
				}
				got = append(got, p.ids(t)...)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFilters(t *testing.T) {
	t.Parallel()
	data := pagingData(10)
	data[2].OfferID = 7
	data[5].OfferID = 7
	data[5].Subs[0] = "fb"
	data[8].OfferID = 8
	s := newServer(t, everflowtest.Options{}, data)
	tests := []struct {
		name    string
		filters string
		want    []string
	}{
		{name: "one offer", filters: `[{"filter_id_value":"7","resource_type":"offer"}]`, want: wantOrder([]everflowtest.Conversion{data[2], data[5]})},
		{name: "offers are OR-ed", filters: `[{"filter_id_value":"7","resource_type":"offer"},{"filter_id_value":"8","resource_type":"offer"}]`, want: wantOrder([]everflowtest.Conversion{data[2], data[5], data[8]})},
		{name: "types are AND-ed", filters: `[{"filter_id_value":"7","resource_type":"offer"},{"filter_id_value":"fb","resource_type":"sub1"}]`, want: []string{data[5].ID}},
		{name: "none match", filters: `[{"filter_id_value":"9","resource_type":"offer"}]`, want: []string{}},
		{name: "empty filters", filters: `[]`, want: wantOrder(data)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := `{"from":"2026-11-19","to":"2026-11-19","timezone_id":67,"show_conversions":true,"show_events":false,"query":{"filters":` + tt.filters + `,"search_terms":[]}}`
			p := decodePage(t, do(t, s, request{path: everflowtest.PathConversions, body: body}))
			if diff := cmp.Diff(tt.want, p.ids(t)); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConversionJSON(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 19, 10, 0, 0, 0, time.UTC)
	full := everflowtest.Conversion{
		ID: "0123456789abcdef0123456789abcdef", TransactionID: "fedcba9876543210fedcba9876543210", Time: at,
		OfferID: 57, OfferName: `Offer "57", ünï`, Currency: "EUR", Revenue: "12.3456", SaleAmount: "99.5",
		Subs: [5]string{`=HYPERLINK("http://x","y")`, "", "line1\nline2", "00123", "\x01ctl"}, Country: "Germany",
	}
	tests := []struct {
		name string
		c    everflowtest.Conversion
		want map[string]string // raw JSON of selected fields; "<absent>" = must be missing
	}{
		{name: "base conversion", c: full, want: map[string]string{
			"conversion_id": `"0123456789abcdef0123456789abcdef"`, "transaction_id": `"fedcba9876543210fedcba9876543210"`,
			"conversion_unix_timestamp": fmt.Sprint(at.Unix()), "revenue": `12.3456`, "sale_amount": `99.5`,
			"currency_id": `"EUR"`, "is_event": `false`, "event": `"Base"`, "country": `"Germany"`,
			"sub1": `"=HYPERLINK(\"http://x\",\"y\")"`, "sub2": `""`, "sub3": `"line1\nline2"`, "sub4": `"00123"`, "sub5": `"\u0001ctl"`,
			"relationship": `{"offer":{"network_offer_id":57,"name":"Offer \"57\", ünï","network_id":1}}`,
		}},
		{name: "0.1 stays 0.1", c: with(full, func(c *everflowtest.Conversion) { c.Revenue = "0.1" }), want: map[string]string{"revenue": `0.1`}},
		{name: "negative", c: with(full, func(c *everflowtest.Conversion) { c.Revenue = "-3.5" }), want: map[string]string{"revenue": `-3.5`}},
		{name: "exponent", c: with(full, func(c *everflowtest.Conversion) { c.Revenue = "1e-2" }), want: map[string]string{"revenue": `1e-2`}},
		{name: "empty revenue is 0", c: with(full, func(c *everflowtest.Conversion) { c.Revenue = "" }), want: map[string]string{"revenue": `0`}},
		{name: "revenue as string", c: with(full, func(c *everflowtest.Conversion) { c.Revenue, c.RevenueAsString = "5.25", true }), want: map[string]string{"revenue": `"5.25"`}},
		{name: "event", c: with(full, func(c *everflowtest.Conversion) { c.IsEvent, c.Event = true, "Deposit" }), want: map[string]string{"is_event": `true`, "event": `"Deposit"`}},
		{name: "omitted fields", c: with(full, func(c *everflowtest.Conversion) {
			c.Omit = []string{"revenue", "sub2", "is_event", "relationship.offer.name", "currency_id"}
		}), want: map[string]string{
			"revenue": "<absent>", "sub2": "<absent>", "is_event": "<absent>", "currency_id": "<absent>", "sub1": `"=HYPERLINK(\"http://x\",\"y\")"`,
			"relationship": `{"offer":{"network_offer_id":57,"network_id":1}}`,
		}},
		{name: "omitted relationship", c: with(full, func(c *everflowtest.Conversion) { c.Omit = []string{"relationship"} }), want: map[string]string{"relationship": "<absent>"}},
		{name: "invalid UTF-8 replaced", c: with(full, func(c *everflowtest.Conversion) { c.Subs[1] = "a\xffb" }), want: map[string]string{"sub2": `"a\ufffdb"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, everflowtest.Options{}, []everflowtest.Conversion{tt.c})
			r := do(t, s, request{path: everflowtest.PathConversions, body: dayBody("2026-11-19", 67, true)})
			if !json.Valid(r.body) {
				t.Fatalf("invalid JSON: %s", r.body)
			}
			p := decodePage(t, r)
			if len(p.Conversions) != 1 {
				t.Fatalf("got %d conversions", len(p.Conversions))
			}
			got := map[string]string{}
			for k := range tt.want {
				raw, ok := p.Conversions[0][k]
				if !ok {
					got[k] = "<absent>"
					continue
				}
				got[k] = string(raw)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
			// The single-conversion endpoint serves the same object.
			one := do(t, s, request{method: "GET", path: everflowtest.PathConversions + "/" + tt.c.ID})
			var m map[string]json.RawMessage
			if err := json.Unmarshal(one.body, &m); err != nil {
				t.Fatalf("GET one: %v: %s", err, one.body)
			}
			if diff := cmp.Diff(p.Conversions[0], m); diff != "" {
				t.Errorf("GET one (-list +one):\n%s", diff)
			}
		})
	}
}

func with(c everflowtest.Conversion, f func(*everflowtest.Conversion)) everflowtest.Conversion {
	f(&c)
	return c
}

func TestInvalidRevenuePanics(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Error("NewServer accepted revenue that is not a JSON number")
		}
	}()
	s := everflowtest.NewServer(everflowtest.Options{}, []everflowtest.Conversion{{ID: "x", Revenue: "+2"}})
	s.Close()
}
