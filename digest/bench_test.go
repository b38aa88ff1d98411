package digest

import (
	"bytes"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// reportRate reports conversions per second over the benchmark's run.
func reportRate(b *testing.B, conversions int) {
	b.ReportMetric(float64(conversions)/b.Elapsed().Seconds(), "conversions/s")
}

// BenchmarkAggregatorAdd measures the steady state: every conversion goes
// to a group that already exists, as most of a large day's conversions do.
// Each conversion carries its own copies of the strings, as a decoder hands
// them over, so no comparison short-cuts on shared pointers.
func BenchmarkAggregatorAdd(b *testing.B) {
	a := NewAggregator(Config{Subs: []int{1, 2}, Events: true})
	base := Conversion{
		Date: jun1, OfferID: 4711, Offer: "Solar Leads US - Desktop", Time: 1717200000,
		Subs: [5]string{"fb_campaign_20240601", "adset-17"}, Currency: "USD", Revenue: 125000,
	}
	convs := make([]Conversion, 256)
	for i := range convs {
		c := base
		c.Offer = strings.Clone(c.Offer)
		c.Currency = strings.Clone(c.Currency)
		c.Subs[0], c.Subs[1] = strings.Clone(c.Subs[0]), strings.Clone(c.Subs[1])
		c.Time += int64(i)
		convs[i] = c
	}
	if err := a.Add(base); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if err := a.Add(convs[n%len(convs)]); err != nil {
			b.Fatal(err)
		}
		n++
	}
	reportRate(b, n)
}

// mixedDay is a synthetic day shaped like a large affiliate's: a few hundred
// offers of very unequal volume, sub1 with thousands of values, three
// currencies, 10% events, the odd reversal and rename.
func mixedDay(n int) []Conversion {
	r := rand.New(rand.NewPCG(1, 2))
	offers := rand.NewZipf(r, 1.2, 1, 299)
	clicks := rand.NewZipf(r, 1.1, 1, 4999)
	currencies := []string{"USD", "USD", "USD", "EUR", "GBP"}
	revenues := []Money{5000, 12500, 25000, 1234, 100000, 7777}
	out := make([]Conversion, n)
	for i := range out {
		id := int64(offers.Uint64())
		name := "Offer " + strconv.FormatInt(id, 10)
		if i > n/2 && id%7 == 0 {
			name += " (renamed)"
		}
		c := Conversion{
			Date:     jun1,
			OfferID:  1000 + id,
			Offer:    name,
			Time:     1717200000 + int64(i)*86400/int64(n),
			Subs:     [5]string{"click_" + strconv.FormatUint(clicks.Uint64(), 36), "placement-" + strconv.Itoa(r.IntN(8))},
			Currency: strings.Clone(currencies[id%int64(len(currencies))]),
			Revenue:  revenues[r.IntN(len(revenues))],
			IsEvent:  r.IntN(10) == 0,
		}
		if r.IntN(100) == 0 {
			c.Revenue = -c.Revenue
		}
		out[i] = c
	}
	return out
}

// BenchmarkAggregatorMixed aggregates a whole 200k-conversion day into a
// fresh Aggregator and takes its Days: group creation, map growth and the
// final sort included. allocs/op are per day, not per conversion.
func BenchmarkAggregatorMixed(b *testing.B) {
	day := mixedDay(200_000)
	var groups int
	b.ReportAllocs()
	days := 0
	for b.Loop() {
		a := NewAggregator(Config{Subs: []int{1}, Events: true})
		a.AddDate(jun1)
		for i := range day {
			if err := a.Add(day[i]); err != nil {
				b.Fatal(err)
			}
		}
		groups = len(a.Days()[0].Rows)
		days++
	}
	reportRate(b, days*len(day))
	b.ReportMetric(float64(groups), "groups")
}

// BenchmarkAggregatorUnique is the worst case: every conversion of a
// 200k-conversion day has its own sub1 value (a click ID passed as sub1),
// so every Add creates a row. It also reports the heap the Aggregator
// keeps per row.
func BenchmarkAggregatorUnique(b *testing.B) {
	day := make([]Conversion, 200_000)
	for i := range day {
		day[i] = Conversion{
			Date: jun1, OfferID: int64(1000 + i%300), Offer: "Offer " + strconv.Itoa(i%300), Time: int64(i),
			Subs: [5]string{"click_" + strconv.FormatInt(int64(i)*7919, 36)}, Currency: "USD", Revenue: 12500,
		}
	}
	feed := func() *Aggregator {
		a := NewAggregator(Config{Subs: []int{1}})
		for i := range day {
			if err := a.Add(day[i]); err != nil {
				b.Fatal(err)
			}
		}
		return a
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	kept := feed()
	runtime.GC()
	runtime.ReadMemStats(&after)
	perRow := float64(after.HeapAlloc-before.HeapAlloc) / float64(len(day))
	runtime.KeepAlive(kept)

	b.ReportAllocs()
	n := 0
	for b.Loop() {
		feed().Days()
		n += len(day)
	}
	reportRate(b, n)
	b.ReportMetric(perRow, "heap-B/row")
}

// BenchmarkParseMoney parses revenue text in the forms Everflow sends.
func BenchmarkParseMoney(b *testing.B) {
	inputs := []string{"12.3456", "0.1", "-3.5", "5.25", "1e-2", "250", "1234.5", "0.0125"}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if _, err := ParseMoney(inputs[n%len(inputs)]); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "parses/s")
}

// BenchmarkTables lays a day of some 15k rows out as Daily, Summary and
// day-tab cells and as CSV, the work done once per day after aggregation.
func BenchmarkTables(b *testing.B) {
	cfg := Config{Subs: []int{1}, Events: true}
	a := NewAggregator(cfg)
	for _, c := range mixedDay(50_000) {
		if err := a.Add(c); err != nil {
			b.Fatal(err)
		}
	}
	days := a.Days()
	refreshed := time.Date(2024, time.June, 2, 6, 0, 0, 0, time.UTC)
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		_ = cfg.DailyRows(days[0])
		_ = cfg.SummaryRows(days[0], refreshed)
		_ = cfg.TabRows(days[0])
		buf.Reset()
		if err := cfg.WriteCSV(&buf, days); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(days[0].Rows)), "rows")
}
