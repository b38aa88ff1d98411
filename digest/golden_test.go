package digest

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// scenario is one aggregation whose every table is kept in
// testdata/<name>.golden.
type scenario struct {
	name  string
	cfg   Config
	dates []Date
	// feed adds the conversions, in arrival order.
	feed func(t testing.TB, add func(Conversion))
}

// c builds a conversion: date, offer id and name, unix time, currency,
// revenue text and sub1…sub5.
func c(t testing.TB, d Date, offer int64, name string, unix int64, cur, revenue string, subs ...string) Conversion {
	cv := Conversion{Date: d, OfferID: offer, Offer: name, Time: unix, Currency: cur, Revenue: money(t, revenue)}
	copy(cv.Subs[:], subs)
	return cv
}

func mixedFeed(t testing.TB, add func(Conversion)) {
	add(c(t, jun1, 101, "Solar Leads US", 1000, "USD", "12.50", "fb"))
	add(c(t, jun1, 101, "Solar Leads US", 1010, "USD", "12.50", "fb"))
	add(c(t, jun1, 101, "Solar Leads US", 1020, "EUR", "11.25", "fb"))
	add(c(t, jun1, 202, "Casino DE", 1030, "EUR", "40", "google"))
	add(c(t, jun1, 303, "Anime JP", 1040, "JPY", "1500", "tw"))
	add(c(t, jun1, 303, "Anime JP", 1050, "JPY", "1500", "tw"))
	add(c(t, jun1, 404, "Insurance UK", 1060, "GBP", "7.7777", ""))
	add(event(c(t, jun1, 101, "Solar Leads US", 1070, "USD", "2.25", "fb")))
	add(event(c(t, jun1, 505, "Upsell only", 1080, "USD", "9.99", "fb")))
	add(event(c(t, jun1, 202, "Casino DE", 1090, "EUR", "0.01", "google")))
}

var scenarios = []scenario{
	{
		name: "mixed_currencies",
		cfg:  Config{},
		feed: mixedFeed,
	},
	{
		name: "events_off",
		cfg:  Config{Subs: []int{1}},
		feed: mixedFeed,
	},
	{
		name: "events_on",
		cfg:  Config{Subs: []int{1}, Events: true},
		feed: mixedFeed,
	},
	{
		name: "negative_revenue",
		cfg:  Config{Subs: []int{1}},
		feed: func(t testing.TB, add func(Conversion)) {
			add(c(t, jun1, 1, "Reversed in full", 1, "USD", "25", "a"))
			add(c(t, jun1, 1, "Reversed in full", 2, "USD", "-25", "a"))
			add(c(t, jun1, 2, "Net negative", 3, "USD", "-3.5", "b"))
			add(c(t, jun1, 3, "Late chargeback", 4, "USD", "-0.05", "c"))
			add(c(t, jun1, 4, "Positive", 5, "USD", "0.05", "d"))
			add(c(t, jun1, 5, "Only reversals", 6, "EUR", "-10", "e"))
			add(c(t, jun1, 5, "Only reversals", 7, "EUR", "-0.0001", "e"))
		},
	},
	{
		name: "exact_sums",
		cfg:  Config{Subs: []int{1}},
		feed: func(t testing.TB, add func(Conversion)) {
			// 0.1 + 0.2 is 0.30000000000000004 in float64.
			add(c(t, jun1, 1, "Tenths", 1, "USD", "0.1", "0.1+0.2"))
			add(c(t, jun1, 1, "Tenths", 2, "USD", "0.2", "0.1+0.2"))
			// A million cents: float64 gives 10000.000000171856.
			cent := c(t, jun1, 2, "Cents", 3, "USD", "0.01", "1e6 x 0.01")
			for range 1_000_000 {
				add(cent)
			}
			// Exponent forms, as a JSON number may come.
			add(c(t, jun1, 3, "Exponents", 4, "USD", "1e-2", "exp"))
			add(c(t, jun1, 3, "Exponents", 5, "USD", "2.5E+1", "exp"))
			add(c(t, jun1, 3, "Exponents", 6, "USD", "125e-4", "exp"))
			// Past the 4th decimal: half to even.
			add(c(t, jun1, 4, "Rounding", 7, "USD", "12.34565", "half-even down"))
			add(c(t, jun1, 4, "Rounding", 8, "USD", "12.34575", "half-even up"))
			add(c(t, jun1, 4, "Rounding", 9, "USD", "0.00004999", "below half"))
			for range 10 {
				add(c(t, jun1, 5, "Elevenths", 10, "USD", "1.1", "10 x 1.1"))
			}
		},
	},
	{
		name: "renamed_offer",
		cfg:  Config{Subs: []int{1}},
		feed: func(t testing.TB, add func(Conversion)) {
			// Offer 7 is renamed at 12:00; the page with the morning's
			// conversions arrives last. Offer 8 is renamed twice within the
			// same second: the last one added wins. Offer 9 loses its name
			// (omitted field) late in the day and keeps it.
			noon := time.Date(2024, time.June, 1, 12, 0, 0, 0, time.UTC).Unix()
			add(c(t, jun1, 7, "Summer Sale (new)", noon+60, "USD", "3", "fb"))
			add(c(t, jun1, 7, "Summer Sale (new)", noon+120, "USD", "3", "google"))
			add(c(t, jun1, 7, "Summer Sale", noon-3600, "USD", "3", "fb"))
			add(c(t, jun1, 7, "Summer Sale", noon-7200, "EUR", "2", "fb"))
			add(c(t, jun1, 8, "Name A", noon, "USD", "1", ""))
			add(c(t, jun1, 8, "Name B", noon, "USD", "1", ""))
			add(c(t, jun1, 9, "Keeps its name", noon, "USD", "1", ""))
			add(c(t, jun1, 9, "", noon+1, "USD", "1", ""))
			// Another day has its own name for offer 7.
			add(c(t, jun2, 7, "Summer Sale (final)", noon+86400, "USD", "1", "fb"))
		},
	},
	{
		name: "sub_values",
		cfg:  Config{Subs: []int{2, 1, 5}},
		feed: func(t testing.TB, add func(Conversion)) {
			for i, s := range []string{
				`=HYPERLINK("http://evil.example","click")`, "00123", "TRUE", "+1", "-1", "@SUM(A1)",
				"1e5", "2024-06-01", "Ωmega ✓ 日本", " padded ", "",
			} {
				add(c(t, jun1, 1, "Formula-like subs", int64(i), "USD", "1", s, "sub2-"+strconv.Itoa(i%2), "ignored sub3 "+s, "", s))
			}
			// Unconfigured subs (3 and 4) never split a row.
			add(c(t, jun1, 1, "Formula-like subs", 20, "USD", "1", "", "sub2-0", "x", "y", ""))
			add(c(t, jun1, 1, "Formula-like subs", 21, "USD", "1", "", "sub2-0", "z", "w", ""))
		},
	},
	{
		name: "sort_order",
		cfg:  Config{Subs: []int{1, 2}},
		feed: func(t testing.TB, add func(Conversion)) {
			add(c(t, jun1, 30, "Tie", 1, "USD", "5", "b", "a"))
			add(c(t, jun1, 30, "Tie", 1, "USD", "5", "a", "b"))
			add(c(t, jun1, 30, "Tie", 1, "USD", "5", "a", "a"))
			add(c(t, jun1, 30, "Tie", 1, "EUR", "5", "a", "a"))
			add(c(t, jun1, 30, "Tie", 1, "USD", "5", "B", "z"))
			add(c(t, jun1, 30, "Tie", 1, "USD", "5", "", "z"))
			add(c(t, jun1, 4, "Lower id", 1, "USD", "5", "zzz", ""))
			add(c(t, jun1, 100, "Top", 1, "USD", "5.0001", "", ""))
			add(c(t, jun1, 1, "Bottom", 1, "USD", "-1", "", ""))
			add(c(t, jun1, 2, "Zero", 1, "USD", "0", "", ""))
		},
	},
	{
		name: "csv_quoting",
		cfg:  Config{Subs: []int{1}},
		feed: func(t testing.TB, add func(Conversion)) {
			add(c(t, jun1, 1, "Comma, Inc.", 1, "USD", "1", "a,b"))
			add(c(t, jun1, 2, `The "Best" Offer`, 1, "USD", "2", `"quoted"`))
			add(c(t, jun1, 3, "Two\nlines", 1, "USD", "3", "cr\r\nlf"))
			add(c(t, jun1, 4, `=HYPERLINK("http://x","y")`, 1, "USD", "4", "=1+1"))
			add(c(t, jun1, 5, " spaced ", 1, "USD", "5", ""))
		},
	},
	{
		name:  "several_days",
		cfg:   Config{Subs: []int{1}, Events: true},
		dates: []Date{jun1, jun2, jun3},
		feed: func(t testing.TB, add func(Conversion)) {
			// Fed out of date order; jun2 has no conversions at all.
			add(c(t, jun3, 1, "A", 3, "USD", "3", "x"))
			add(c(t, jun1, 1, "A", 1, "USD", "1", "x"))
			add(event(c(t, jun1, 2, "B", 2, "EUR", "0.5", "y")))
			add(c(t, jun3, 2, "B", 4, "EUR", "2", "y"))
		},
	},
	{
		name: "offer_only",
		cfg:  Config{},
		feed: func(t testing.TB, add func(Conversion)) {
			add(c(t, jun1, 1, "A", 1, "USD", "1", "s1", "s2", "s3", "s4", "s5"))
			add(c(t, jun1, 1, "A", 2, "USD", "2", "t1", "t2", "t3", "t4", "t5"))
			add(c(t, jun1, 2, "B", 3, "USD", "0.5"))
		},
	},
}

// TestGolden renders every table of each scenario and compares it with
// testdata/<name>.golden; go test ./digest -update rewrites them.
func TestGolden(t *testing.T) {
	t.Parallel()
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			a := NewAggregator(sc.cfg)
			for _, d := range sc.dates {
				a.AddDate(d)
			}
			sc.feed(t, func(cv Conversion) {
				t.Helper()
				if err := a.Add(cv); err != nil {
					t.Fatal(err)
				}
			})
			got := render(t, sc, a.Days())
			path := filepath.Join("testdata", sc.name+".golden")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./digest -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
			}
		})
	}
}

// render writes the tables of days as readable text: each cell as its kind
// and its value, text quoted so that empty and blank values show, then the
// CSV exactly as WriteCSV writes it.
func render(t testing.TB, sc scenario, days []Day) []byte {
	var b bytes.Buffer
	refreshed := time.Date(2024, time.June, 4, 6, 0, 0, 0, time.UTC)
	fmt.Fprintf(&b, "# %s: Subs %v, Events %v; Refreshed At %s\n", sc.name, sc.cfg.Subs, sc.cfg.Events, refreshed.Format(time.RFC3339))
	table := func(title string, header []string, rows [][]Cell) {
		fmt.Fprintf(&b, "\n== %s\n%s\n", title, strings.Join(header, " | "))
		for _, row := range rows {
			cells := make([]string, len(row))
			for i, cell := range row {
				v := cell.String()
				if cell.Kind == KindText {
					v = strconv.Quote(v)
				}
				cells[i] = cell.Kind.String() + " " + v
			}
			fmt.Fprintln(&b, strings.Join(cells, " | "))
		}
	}
	var daily, summary [][]Cell
	for _, d := range days {
		daily = append(daily, sc.cfg.DailyRows(d)...)
		summary = append(summary, sc.cfg.SummaryRows(d, refreshed)...)
	}
	table("Daily", sc.cfg.DailyHeader(), daily)
	table("Summary", sc.cfg.SummaryHeader(), summary)
	for _, d := range days {
		table("Tab "+d.Date.String(), sc.cfg.TabHeader(), sc.cfg.TabRows(d))
	}
	fmt.Fprintf(&b, "\n== CSV\n")
	if err := sc.cfg.WriteCSV(&b, days); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
