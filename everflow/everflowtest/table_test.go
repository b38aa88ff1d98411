package everflowtest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/eflow-digest/eflow-digest/everflow/everflowtest"
)

type tableResponse struct {
	Table []struct {
		Columns []struct {
			ColumnType string `json:"column_type"`
			ID         string `json:"id"`
			Label      string `json:"label"`
		} `json:"columns"`
		Reporting map[string]json.Number `json:"reporting"`
	} `json:"table"`
	Incomplete *bool `json:"incomplete_results"`
}

// tableRow is a flattened table row for comparisons.
type tableRow struct {
	Cols      string // "type:id:label|..."
	CV, Event string
	Revenue   string
}

func decodeTable(t *testing.T, r response) ([]tableRow, *bool) {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var tr tableResponse
	dec := json.NewDecoder(strings.NewReader(string(r.body)))
	dec.UseNumber()
	if err := dec.Decode(&tr); err != nil {
		t.Fatalf("decode: %v: %s", err, r.body)
	}
	rows := []tableRow{}
	for _, row := range tr.Table {
		var cols []string
		for _, c := range row.Columns {
			cols = append(cols, c.ColumnType+":"+c.ID+":"+c.Label)
		}
		rows = append(rows, tableRow{Cols: strings.Join(cols, "|"), CV: row.Reporting["cv"].String(), Event: row.Reporting["event"].String(), Revenue: row.Reporting["revenue"].String()})
	}
	return rows, tr.Incomplete
}

func tableData() []everflowtest.Conversion {
	at := time.Date(2026, 11, 19, 10, 0, 0, 0, time.UTC)
	mk := func(id string, offer int64, name, cur, rev, sub1 string, event bool) everflowtest.Conversion {
		return everflowtest.Conversion{ID: id, Time: at, OfferID: offer, OfferName: name, Currency: cur, Revenue: rev, Subs: [5]string{sub1}, IsEvent: event, Country: "Germany"}
	}
	return []everflowtest.Conversion{
		mk("a1", 1, "One", "USD", "0.1", "fb", false),
		mk("a2", 1, "One", "USD", "0.2", "", false),
		mk("a3", 1, "One (old name)", "USD", "0.3", "fb", false),
		mk("a4", 1, "One", "USD", "5", "fb", true),
		mk("b1", 2, "Two", "EUR", "10", "g", false),
		mk("b2", 2, "Two", "EUR", "-2.5", "g", false),
		mk("c1", 3, "Three", "GBP", "1.27", "", false),
	}
}

func TestEntityTable(t *testing.T) {
	t.Parallel()
	data := tableData()
	data[2].Time = data[2].Time.Add(-time.Hour) // older: its name is not the label
	s := newServer(t, everflowtest.Options{}, data)
	body := func(currency string, cols ...string) string {
		var c []map[string]string
		for _, col := range cols {
			c = append(c, map[string]string{"column": col})
		}
		b, _ := json.Marshal(map[string]any{"from": "2026-11-19", "to": "2026-11-19", "timezone_id": 67, "currency_id": currency, "columns": c, "query": map[string]any{"filters": []any{}}})
		return string(b)
	}
	tests := []struct {
		name string
		body string
		want []tableRow
	}{
		{name: "by offer in USD", body: body("USD", "offer"), want: []tableRow{
			// 10 - 2.5 = 7.5 EUR at 1.08 = 8.1 USD; 1.27 GBP at 1.27 = 1.6129 USD.
			{Cols: "offer:2:Two", CV: "2", Event: "0", Revenue: "8.1"},
			{Cols: "offer:1:One", CV: "3", Event: "1", Revenue: "5.6"},
			{Cols: "offer:3:Three", CV: "1", Event: "0", Revenue: "1.6129"},
		}},
		{name: "by offer in EUR", body: body("EUR", "offer"), want: []tableRow{
			{Cols: "offer:2:Two", CV: "2", Event: "0", Revenue: "7.5"},
			{Cols: "offer:1:One", CV: "3", Event: "1", Revenue: "5.1852"},   // 5.6/1.08 = 5.185185…
			{Cols: "offer:3:Three", CV: "1", Event: "0", Revenue: "1.4934"}, // 1.27*1.27/1.08 = 1.49342…,
		}},
		{name: "by offer and sub1 with N/A", body: body("USD", "offer", "sub1"), want: []tableRow{
			{Cols: "offer:2:Two|sub1:g:g", CV: "2", Event: "0", Revenue: "8.1"},
			{Cols: "offer:1:One|sub1:fb:fb", CV: "2", Event: "1", Revenue: "5.4"},
			{Cols: "offer:3:Three|sub1:N/A:N/A", CV: "1", Event: "0", Revenue: "1.6129"},
			{Cols: "offer:1:One|sub1:N/A:N/A", CV: "1", Event: "0", Revenue: "0.2"},
		}},
		{name: "by date", body: body("USD", "date"), want: []tableRow{
			{Cols: "date:1795046400:2026-11-19", CV: "6", Event: "1", Revenue: "15.3129"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, incomplete := decodeTable(t, do(t, s, request{path: everflowtest.PathEntityTable, body: tt.body}))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
			if incomplete != nil {
				t.Errorf("incomplete_results = %v, want absent", *incomplete)
			}
		})
	}
}

func TestEntityTableValidation(t *testing.T) {
	t.Parallel()
	s := newServer(t, everflowtest.Options{}, tableData())
	tests := []struct {
		name string
		body string
	}{
		{name: "no columns", body: `{"from":"2026-11-19","to":"2026-11-19","timezone_id":67,"currency_id":"USD","columns":[]}`},
		{name: "columns missing", body: `{"from":"2026-11-19","to":"2026-11-19","timezone_id":67,"currency_id":"USD"}`},
		{name: "eleven columns", body: `{"from":"2026-11-19","to":"2026-11-19","timezone_id":67,"currency_id":"USD","columns":[{"column":"offer"},{"column":"sub1"},{"column":"sub2"},{"column":"sub3"},{"column":"sub4"},{"column":"sub5"},{"column":"country"},{"column":"date"},{"column":"event_name"},{"column":"x1"},{"column":"x2"}]}`},
		{name: "two time columns", body: `{"from":"2026-11-19","to":"2026-11-19","timezone_id":67,"currency_id":"USD","columns":[{"column":"date"},{"column":"hour"}]}`},
		{name: "unknown column", body: `{"from":"2026-11-19","to":"2026-11-19","timezone_id":67,"currency_id":"USD","columns":[{"column":"affiliate"}]}`},
		{name: "duplicate column", body: `{"from":"2026-11-19","to":"2026-11-19","timezone_id":67,"currency_id":"USD","columns":[{"column":"offer"},{"column":"offer"}]}`},
		{name: "missing currency", body: `{"from":"2026-11-19","to":"2026-11-19","timezone_id":67,"columns":[{"column":"offer"}]}`},
		{name: "unknown currency", body: `{"from":"2026-11-19","to":"2026-11-19","timezone_id":67,"currency_id":"XXX","columns":[{"column":"offer"}]}`},
		{name: "date with time", body: `{"from":"2026-11-19 00:00:00","to":"2026-11-19","timezone_id":67,"currency_id":"USD","columns":[{"column":"offer"}]}`},
		{name: "missing timezone", body: `{"from":"2026-11-19","to":"2026-11-19","currency_id":"USD","columns":[{"column":"offer"}]}`},
		{name: "too old", body: `{"from":"2024-11-19","to":"2024-11-19","timezone_id":67,"currency_id":"USD","columns":[{"column":"offer"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := do(t, s, request{path: everflowtest.PathEntityTable, body: tt.body})
			if r.status != http.StatusBadRequest {
				t.Fatalf("status = %d, want 400; body %s", r.status, r.body)
			}
			errorText(t, r)
		})
	}
}

func TestEntityTableIncomplete(t *testing.T) {
	t.Parallel()
	s := newServer(t, everflowtest.Options{MaxTableRows: 2}, tableData())
	body := `{"from":"2026-11-19","to":"2026-11-19","timezone_id":67,"currency_id":"USD","columns":[{"column":"offer"}]}`
	rows, incomplete := decodeTable(t, do(t, s, request{path: everflowtest.PathEntityTable, body: body}))
	if len(rows) != 2 || incomplete == nil || !*incomplete {
		t.Errorf("%d rows, incomplete_results %v; want 2 rows and true", len(rows), incomplete)
	}
}

func TestGranularQuota(t *testing.T) {
	t.Parallel()
	now := testNow
	var mu = make(chan struct{}, 1)
	clock := func() time.Time { mu <- struct{}{}; defer func() { <-mu }(); return now }
	advance := func(d time.Duration) { mu <- struct{}{}; now = now.Add(d); <-mu }
	s := newServer(t, everflowtest.Options{GranularPerHour: 2, Now: clock}, tableData())
	sub := `{"from":"2026-11-19","to":"2026-11-19","timezone_id":67,"currency_id":"USD","columns":[{"column":"offer"},{"column":"sub1"}]}`
	country := `{"from":"2026-11-19","to":"2026-11-19","timezone_id":67,"currency_id":"USD","columns":[{"column":"country"}]}`
	offer := `{"from":"2026-11-19","to":"2026-11-19","timezone_id":67,"currency_id":"USD","columns":[{"column":"offer"}]}`
	steps := []struct {
		body    string
		advance time.Duration
		want    int
	}{
		{body: sub, want: 200},
		{body: offer, want: 200}, // not granular: free
		{body: country, advance: 30 * time.Minute, want: 200},
		{body: sub, want: 429},
		{body: offer, want: 200},
		{body: sub, advance: 31 * time.Minute, want: 200}, // the first one left the rolling hour
		{body: sub, want: 429},
	}
	var got, want []int
	for _, st := range steps {
		advance(st.advance)
		r := do(t, s, request{path: everflowtest.PathEntityTable, body: st.body})
		got = append(got, r.status)
		want = append(want, st.want)
		if r.status == 429 {
			errorText(t, r)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
}

func TestDashboard(t *testing.T) {
	t.Parallel()
	// testNow is 2026-11-20 15:00 UTC.
	mk := func(id string, at time.Time, cur, rev string, event bool) everflowtest.Conversion {
		return everflowtest.Conversion{ID: id, Time: at, OfferID: 1, Currency: cur, Revenue: rev, IsEvent: event}
	}
	data := []everflowtest.Conversion{
		mk("t1", time.Date(2026, 11, 20, 1, 0, 0, 0, time.UTC), "USD", "4", false),
		mk("y1", time.Date(2026, 11, 19, 1, 0, 0, 0, time.UTC), "USD", "5", false),
		mk("y2", time.Date(2026, 11, 19, 2, 0, 0, 0, time.UTC), "EUR", "0.5", true), // 0.54 USD
		mk("m1", time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), "USD", "0.1", false),
		mk("l1", time.Date(2026, 10, 31, 23, 0, 0, 0, time.UTC), "USD", "0.2", false),
		mk("old", time.Date(2026, 9, 30, 0, 0, 0, 0, time.UTC), "USD", "100", false),
	}
	s := newServer(t, everflowtest.Options{}, data)
	type period struct {
		Today, Yesterday, CurrentMonth, LastMonth, Trending json.Number
	}
	decode := func(r response) map[string]period {
		t.Helper()
		if r.status != 200 {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		var raw map[string]map[string]json.Number
		dec := json.NewDecoder(strings.NewReader(string(r.body)))
		dec.UseNumber()
		if err := dec.Decode(&raw); err != nil {
			t.Fatal(err)
		}
		out := map[string]period{}
		for _, k := range []string{"revenue", "conversion", "events"} {
			m := raw[k]
			out[k] = period{m["today"], m["yesterday"], m["current_month"], m["last_month"], m["trending_percentage"]}
		}
		return out
	}
	got := decode(do(t, s, request{path: everflowtest.PathDashboard, body: `{"timezone_id":67}`}))
	want := map[string]period{
		"revenue":    {"4", "5.54", "9.64", "0.2", "-27.8"},
		"conversion": {"1", "1", "3", "1", "0"},
		"events":     {"0", "1", "1", "0", "-100"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("UTC, USD (-want +got):\n%s", diff)
	}
	// In Los Angeles (UTC-8) l1 falls on October 31 and t1 on November 19.
	got = decode(do(t, s, request{path: everflowtest.PathDashboard, body: `{"timezone_id":90,"currency_id":"EUR"}`}))
	if got["conversion"].Today != "0" || got["conversion"].Yesterday != "1" {
		t.Errorf("Los Angeles conversions: %+v", got["conversion"])
	}
	for _, bad := range []string{`{}`, `{"timezone_id":0}`, `{"timezone_id":67,"currency_id":"ZZZ"}`, `{"timezone_id":"67"}`} {
		if r := do(t, s, request{path: everflowtest.PathDashboard, body: bad}); r.status != 400 {
			t.Errorf("%s: status %d, want 400", bad, r.status)
		}
	}
}

func TestTimezones(t *testing.T) {
	t.Parallel()
	type tz struct {
		ID     int    `json:"timezone_id"`
		Name   string `json:"timezone_name"`
		Zone   string `json:"timezone"`
		Offset string `json:"utc_offset"`
	}
	get := func(now time.Time, refuse bool) (response, map[int]tz) {
		s := newServer(t, everflowtest.Options{Now: func() time.Time { return now }, RefuseTimezones: refuse}, nil)
		r := do(t, s, request{method: "GET", path: everflowtest.PathTimezones})
		if r.status != 200 {
			return r, nil
		}
		var body struct{ Timezones []tz }
		if err := json.Unmarshal(r.body, &body); err != nil {
			t.Fatal(err)
		}
		m := map[int]tz{}
		for _, z := range body.Timezones {
			if _, dup := m[z.ID]; dup {
				t.Errorf("duplicate id %d", z.ID)
			}
			m[z.ID] = z
		}
		return r, m
	}
	_, winter := get(time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC), false)
	_, summer := get(time.Date(2026, 7, 15, 12, 0, 0, 0, time.UTC), false)
	confirmed := map[int]string{
		1: "Pacific/Kiritimati", 2: "Pacific/Enderbury", 3: "Pacific/Tongatapu", 4: "Pacific/Chatham", 5: "Pacific/Auckland",
		6: "Pacific/Fiji", 7: "Asia/Kamchatka", 8: "Pacific/Norfolk", 9: "Australia/Lord_Howe", 10: "Pacific/Guadalcanal",
		11: "Australia/Adelaide", 12: "Australia/Sydney", 13: "Australia/Brisbane", 14: "Australia/Darwin", 15: "Asia/Seoul",
		16: "Asia/Tokyo", 67: "UTC", 80: "America/New_York", 85: "America/Chicago", 87: "America/Denver",
		89: "America/Phoenix", 90: "America/Los_Angeles", 99: "Pacific/Pago_Pago",
	}
	got := map[int]string{}
	for id := range confirmed {
		got[id] = winter[id].Zone
	}
	if diff := cmp.Diff(confirmed, got); diff != "" {
		t.Errorf("confirmed ids (-want +got):\n%s", diff)
	}
	offsets := []struct {
		id             int
		winter, summer string
	}{
		{1, "+14:00", "+14:00"}, {67, "+00:00", "+00:00"}, {80, "-05:00", "-04:00"}, {89, "-07:00", "-07:00"},
		{90, "-08:00", "-07:00"}, {99, "-11:00", "-11:00"}, {5, "+13:00", "+12:00"},
	}
	for _, o := range offsets {
		if winter[o.id].Offset != o.winter || summer[o.id].Offset != o.summer {
			t.Errorf("id %d: offsets %s / %s, want %s / %s", o.id, winter[o.id].Offset, summer[o.id].Offset, o.winter, o.summer)
		}
	}
	if n := winter[1].Name; n != "Line Is. Time (Pacific/Kiritimati)" {
		t.Errorf("timezone_name of 1 = %q", n)
	}
	if len(winter) != len(everflowtest.Timezones) {
		t.Errorf("served %d zones, Timezones has %d", len(winter), len(everflowtest.Timezones))
	}
	for _, z := range everflowtest.Timezones {
		loc, ok := everflowtest.Location(z.ID)
		if !ok || loc.String() != z.Zone {
			t.Errorf("Location(%d) = %v, %v; want %s", z.ID, loc, ok, z.Zone)
		}
	}
	r, _ := get(testNow, true)
	if r.status != 403 || errorText(t, r) != "Out of realm" {
		t.Errorf("RefuseTimezones: status %d body %s", r.status, r.body)
	}
}

func TestEntityTableExactSums(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 19, 10, 0, 0, 0, time.UTC)
	var data []everflowtest.Conversion
	for i, rev := range []string{"1e-2", "0.123456789", "99999999999.5", "0.1", "0.2"} {
		data = append(data, everflowtest.Conversion{ID: fmt.Sprint(i), Time: at, OfferID: 9, OfferName: "Nine", Currency: "USD", Revenue: rev})
	}
	for i := range 10 {
		data = append(data, everflowtest.Conversion{ID: fmt.Sprint("t", i), Time: at, OfferID: 10, OfferName: "Ten", Currency: "USD", Revenue: "0.1"})
	}
	s := newServer(t, everflowtest.Options{}, data)
	body := `{"from":"2026-11-19","to":"2026-11-19","timezone_id":67,"currency_id":"USD","columns":[{"column":"offer"}]}`
	got, _ := decodeTable(t, do(t, s, request{path: everflowtest.PathEntityTable, body: body}))
	want := []tableRow{
		// 99999999999.933456789 has 9 decimals: rounded half-even to 4.
		{Cols: "offer:9:Nine", CV: "5", Event: "0", Revenue: "99999999999.9335"},
		{Cols: "offer:10:Ten", CV: "10", Event: "0", Revenue: "1"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}
