package everflowtest_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/eflow-digest/eflow-digest/everflow/everflowtest"
)

// TestSyntheticMatchesStored checks that a server generating rows on
// demand answers byte for byte like one holding Generate's output.
func TestSyntheticMatchesStored(t *testing.T) {
	t.Parallel()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	// 90,001 rows in a 25-hour day would not tie; in 23 hours (82,800 s)
	// some seconds hold two rows, so the id order inside a second matters.
	o := everflowtest.GenerateOptions{Seed: 9, From: time.Date(2026, 3, 7, 0, 0, 0, 0, ny), Days: 2, PerDay: 90_001, Location: ny, EventsRatio: 0.3}
	now := func() time.Time { return time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC) }
	stored := newServer(t, everflowtest.Options{Now: now}, everflowtest.Generate(o))
	synth := newServer(t, everflowtest.Options{Now: now, Synthetic: &o}, nil)

	reqs := []request{
		{path: everflowtest.PathConversions, query: "page=1&page_size=2000", body: dayBody("2026-03-08", 80, true)},
		{path: everflowtest.PathConversions, query: "page=7&page_size=2000", body: dayBody("2026-03-08", 80, true)},
		{path: everflowtest.PathConversions, query: "page=41&page_size=2000", body: dayBody("2026-03-08", 80, true)},
		{path: everflowtest.PathConversions, query: "page=3&page_size=777", body: dayBody("2026-03-08", 80, false)},
		{path: everflowtest.PathConversions, query: "page=30&page_size=777", body: dayBody("2026-03-08", 80, false)},
		{path: everflowtest.PathConversions, query: "page=9&page_size=1999", body: `{"from":"2026-03-07","to":"2026-03-09","timezone_id":80,"show_conversions":false,"show_events":true}`},
		{path: everflowtest.PathConversions, query: "page=2&page_size=2000", body: dayBody("2026-03-08", 67, true)}, // straddles two generated days
		{path: everflowtest.PathConversions, query: "page=1&page_size=2000", body: `{"from":"2026-03-08 01:59:00","to":"2026-03-08 03:00:30","timezone_id":80,"show_conversions":true,"show_events":true}`},
		{path: everflowtest.PathConversions, query: "page=2&page_size=50", body: `{"from":"2026-03-08","to":"2026-03-08","timezone_id":80,"show_conversions":true,"show_events":true,"query":{"filters":[{"resource_type":"offer","filter_id_value":"105"},{"resource_type":"sub1","filter_id_value":"TRUE"}]}}`},
		{path: everflowtest.PathConversions, query: "page=1000&page_size=2000", body: dayBody("2026-03-08", 80, true)},
		{path: everflowtest.PathEntityTable, body: `{"from":"2026-03-07","to":"2026-03-09","timezone_id":80,"currency_id":"USD","columns":[{"column":"offer"},{"column":"date"}]}`},
		{path: everflowtest.PathDashboard, body: `{"timezone_id":80}`},
	}
	for i, r := range reqs {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			want, got := do(t, stored, r), do(t, synth, r)
			if want.status != 200 {
				t.Fatalf("stored: status %d: %s", want.status, want.body)
			}
			if string(want.body) != string(got.body) {
				t.Errorf("synthetic answer differs from stored (%d vs %d bytes); first rows:\nstored:    %.300s\nsynthetic: %.300s", len(want.body), len(got.body), want.body, got.body)
			}
		})
	}
	// The one-conversion endpoint finds generated rows too.
	c := everflowtest.GenerateDay(o, 1)[4242]
	one := request{method: "GET", path: everflowtest.PathConversions + "/" + c.ID}
	if diff := cmp.Diff(string(do(t, stored, one).body), string(do(t, synth, one).body)); diff != "" {
		t.Errorf("GET one (-stored +synthetic):\n%s", diff)
	}
}

func TestSyntheticMutationMaterializes(t *testing.T) {
	t.Parallel()
	o := everflowtest.GenerateOptions{Seed: 3, From: time.Date(2026, 11, 19, 0, 0, 0, 0, time.UTC), PerDay: 500}
	s := newServer(t, everflowtest.Options{Synthetic: &o}, nil)
	data := everflowtest.Generate(o)
	s.Delete(data[0].ID)
	p := decodePage(t, do(t, s, request{path: everflowtest.PathConversions, body: dayBody("2026-11-19", 67, true)}))
	if p.Paging.TotalCount != 499 {
		t.Errorf("total_count after Delete = %d, want 499", p.Paging.TotalCount)
	}
	if n := len(s.Conversions()); n != 499 {
		t.Errorf("Conversions() has %d rows, want 499", n)
	}
}
