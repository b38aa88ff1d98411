package everflowtest_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/eflow-digest/eflow-digest/everflow/everflowtest"
)

func TestGenerateDeterministic(t *testing.T) {
	t.Parallel()
	o := everflowtest.GenerateOptions{Seed: 7, From: testNow, Days: 3, PerDay: 200, EventsRatio: 0.2, StringRevenueRatio: 0.05}
	a, b := everflowtest.Generate(o), everflowtest.Generate(o)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Fatalf("two runs differ (-first +second):\n%s", diff)
	}
	for d := range o.Days {
		if diff := cmp.Diff(a[d*o.PerDay:(d+1)*o.PerDay], everflowtest.GenerateDay(o, d)); diff != "" {
			t.Errorf("GenerateDay(%d) differs from Generate's day (-Generate +GenerateDay):\n%s", d, diff)
		}
	}
	o.Seed = 8
	if c := everflowtest.Generate(o); c[0].ID == a[0].ID {
		t.Error("seeds 7 and 8 give the same first conversion")
	}
}

func TestGenerateProperties(t *testing.T) {
	t.Parallel()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		o     everflowtest.GenerateOptions
		hours []int // length of each day
	}{
		{name: "utc", o: everflowtest.GenerateOptions{Seed: 1, From: time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC), Days: 2, PerDay: 3000, EventsRatio: 0.2}, hours: []int{24, 24}},
		{name: "new york over DST", o: everflowtest.GenerateOptions{Seed: 2, From: time.Date(2026, 3, 7, 0, 0, 0, 0, ny), Days: 2, PerDay: 3000, Location: ny, EventsRatio: 0.1}, hours: []int{24, 23}},
		{name: "new york fall back", o: everflowtest.GenerateOptions{Seed: 3, From: time.Date(2026, 11, 1, 0, 0, 0, 0, ny), Days: 1, PerDay: 3000, Location: ny}, hours: []int{25}},
	}
	hex32 := regexp.MustCompile(`^[0-9a-f]{32}$`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data := everflowtest.Generate(tt.o)
			if len(data) != tt.o.Days*tt.o.PerDay {
				t.Fatalf("%d conversions, want %d", len(data), tt.o.Days*tt.o.PerDay)
			}
			loc := tt.o.Location
			if loc == nil {
				loc = time.UTC
			}
			y, m, d0 := tt.o.From.In(loc).Date()
			ids := map[string]bool{}
			baseTx := map[string]bool{}
			var events, reversals, stringRev int
			currencies := map[string]bool{}
			names := map[int64]map[string]bool{}
			subs := map[string]bool{}
			omitted := 0
			for d := range tt.o.Days {
				start, end := time.Date(y, m, d0+d, 0, 0, 0, 0, loc), time.Date(y, m, d0+d+1, 0, 0, 0, 0, loc)
				if got := int(end.Sub(start).Hours()); got != tt.hours[d] {
					t.Fatalf("test premise: day %d has %d hours", d, got)
				}
				day := data[d*tt.o.PerDay : (d+1)*tt.o.PerDay]
				if !day[0].Time.Equal(start) || !day[len(day)-1].Time.Equal(end.Add(-time.Second)) {
					t.Errorf("day %d spans %v..%v, want its first and last second %v..%v", d, day[0].Time, day[len(day)-1].Time, start, end.Add(-time.Second))
				}
				if !slices.IsSortedFunc(day, func(a, b everflowtest.Conversion) int { return a.Time.Compare(b.Time) }) {
					t.Errorf("day %d not in time order", d)
				}
				for _, c := range day {
					if !hex32.MatchString(c.ID) || ids[c.ID] {
						t.Errorf("bad or duplicate id %q", c.ID)
					}
					ids[c.ID] = true
					if c.Time.Before(start) || !c.Time.Before(end) {
						t.Errorf("%s at %v outside day %d", c.ID, c.Time, d)
					}
					if !c.IsEvent {
						baseTx[c.TransactionID] = true
					}
				}
			}
			for i, c := range data {
				if c.IsEvent {
					events++
					if c.Event == "" {
						t.Errorf("event %s without a name", c.ID)
					}
					// Events share the click id of an earlier base row of
					// their day, when the day has one before them.
					dayStart := i / tt.o.PerDay * tt.o.PerDay
					earlier := slices.ContainsFunc(data[dayStart:i], func(c everflowtest.Conversion) bool { return !c.IsEvent })
					if earlier && !baseTx[c.TransactionID] {
						t.Errorf("event %s does not share a base conversion's transaction id", c.ID)
					}
				} else if len(c.Revenue) > 0 && c.Revenue[0] == '-' {
					reversals++
				}
				if c.RevenueAsString {
					stringRev++
				}
				var n json.Number
				if err := json.Unmarshal([]byte(c.Revenue), &n); err != nil || c.Revenue == "" {
					t.Errorf("%s: revenue %q is not a JSON number", c.ID, c.Revenue)
				}
				currencies[c.Currency] = true
				if names[c.OfferID] == nil {
					names[c.OfferID] = map[string]bool{}
				}
				names[c.OfferID][c.OfferName] = true
				for _, s := range c.Subs {
					subs[s] = true
				}
				for _, f := range c.Omit {
					omitted++
					if !zeroField(c, f) {
						t.Errorf("%s omits %s, which is not a zero value", c.ID, f)
					}
				}
			}
			n := len(data)
			if ratio := float64(events) / float64(n); ratio < tt.o.EventsRatio*0.7 || ratio > tt.o.EventsRatio*1.3 {
				t.Errorf("events ratio %.3f, want about %.2f", ratio, tt.o.EventsRatio)
			}
			if reversals == 0 || stringRev != 0 || omitted == 0 {
				t.Errorf("%d reversals, %d string revenues, %d omissions; want some, none, some", reversals, stringRev, omitted)
			}
			if len(currencies) < 4 {
				t.Errorf("currencies %v, want at least 4", currencies)
			}
			if len(names[105]) != 2 {
				t.Errorf("offer 105 names %v, want the old and the new name", names[105])
			}
			for _, s := range []string{"", `=HYPERLINK("http://x","y")`, "+1", "-2", "@sum", "00123", "1e5", "2024-01-02", "TRUE", "ünïcødé ✓"} {
				if !subs[s] {
					t.Errorf("sub value %q never generated", s)
				}
			}
			long := false
			for s := range subs {
				long = long || len(s) == 150
			}
			if !long {
				t.Error("no 150-character click id")
			}
		})
	}
}

// zeroField reports whether c's value of the JSON field f is a zero value.
func zeroField(c everflowtest.Conversion, f string) bool {
	switch f {
	case "sub1", "sub2", "sub3", "sub4", "sub5":
		return c.Subs[f[3]-'1'] == ""
	case "is_event":
		return !c.IsEvent
	case "revenue":
		return c.Revenue == "0"
	case "country":
		return c.Country == ""
	}
	return false
}

// TestGenerateServed walks a generated day through the server and gets
// every conversion exactly once, in both zones the day could be asked in.
func TestGenerateServed(t *testing.T) {
	t.Parallel()
	o := everflowtest.GenerateOptions{Seed: 5, From: time.Date(2026, 11, 19, 0, 0, 0, 0, time.UTC), PerDay: 5000, EventsRatio: 0.25, StringRevenueRatio: 0.1}
	data := everflowtest.Generate(o)
	s := newServer(t, everflowtest.Options{}, data)
	seen := map[string]int{}
	total := 0
	for pg := 1; ; pg++ {
		p := decodePage(t, do(t, s, request{path: everflowtest.PathConversions, query: fmt.Sprintf("page=%d&page_size=2000", pg), body: dayBody("2026-11-19", 67, true)}))
		total = p.Paging.TotalCount
		if len(p.Conversions) == 0 {
			break
		}
		for _, id := range p.ids(t) {
			seen[id]++
		}
	}
	if total != len(data) || len(seen) != len(data) {
		t.Errorf("total_count %d, %d distinct rows; want %d", total, len(seen), len(data))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s served %d times", id, n)
		}
	}
}
