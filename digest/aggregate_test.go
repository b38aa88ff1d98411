package digest

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"
)

var (
	jun1 = Date{2024, time.June, 1}
	jun2 = Date{2024, time.June, 2}
	jun3 = Date{2024, time.June, 3}
)

// money parses s or fails the test.
func money(t testing.TB, s string) Money {
	t.Helper()
	m, err := ParseMoney(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// conv is a compact conversion for tables: date, offer, name, sub1, currency,
// revenue.
func conv(t testing.TB, d Date, offer int64, name, sub1, cur, revenue string) Conversion {
	return Conversion{Date: d, OfferID: offer, Offer: name, Subs: [5]string{sub1}, Currency: cur, Revenue: money(t, revenue)}
}

func event(c Conversion) Conversion { c.IsEvent = true; return c }

func at(c Conversion, unix int64) Conversion { c.Time = unix; return c }

func subs(c Conversion, s ...string) Conversion { copy(c.Subs[:], s); return c }

func TestAggregatorDays(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		cfg   Config
		dates []Date
		in    func(t testing.TB) []Conversion
		want  func(t testing.TB) []Day
	}{
		{
			name: "nothing",
			cfg:  Config{Subs: []int{1}},
			in:   func(testing.TB) []Conversion { return nil },
			want: func(testing.TB) []Day { return nil },
		},
		{
			name:  "empty date",
			cfg:   Config{Subs: []int{1}},
			dates: []Date{jun1, jun1},
			in:    func(testing.TB) []Conversion { return nil },
			want:  func(testing.TB) []Day { return []Day{{Date: jun1}} },
		},
		{
			name: "exact sums and counts",
			cfg:  Config{Subs: []int{1}},
			in: func(t testing.TB) []Conversion {
				return []Conversion{
					conv(t, jun1, 7, "Offer 7", "a", "USD", "0.1"),
					conv(t, jun1, 7, "Offer 7", "a", "USD", "0.2"),
					conv(t, jun1, 7, "Offer 7", "b", "USD", "0.3"),
				}
			},
			want: func(t testing.TB) []Day {
				return []Day{{
					Date: jun1,
					Rows: []Row{
						{OfferID: 7, Offer: "Offer 7", Subs: []string{"a"}, Currency: "USD", Conversions: 2, Revenue: money(t, "0.3")},
						{OfferID: 7, Offer: "Offer 7", Subs: []string{"b"}, Currency: "USD", Conversions: 1, Revenue: money(t, "0.3")},
					},
					Totals: []Total{{Currency: "USD", Conversions: 3, Revenue: money(t, "0.6"), Offers: 1}},
					Offers: 1,
				}}
			},
		},
		{
			name: "currencies kept apart",
			cfg:  Config{},
			in: func(t testing.TB) []Conversion {
				return []Conversion{
					conv(t, jun1, 1, "A", "", "USD", "10"),
					conv(t, jun1, 1, "A", "", "EUR", "10"),
					conv(t, jun1, 2, "B", "", "EUR", "5"),
					conv(t, jun1, 3, "C", "", "JPY", "1000"),
					conv(t, jun1, 1, "A", "", "USD", "1"),
				}
			},
			want: func(t testing.TB) []Day {
				return []Day{{
					Date: jun1,
					Rows: []Row{
						{OfferID: 3, Offer: "C", Currency: "JPY", Conversions: 1, Revenue: money(t, "1000")},
						{OfferID: 1, Offer: "A", Currency: "USD", Conversions: 2, Revenue: money(t, "11")},
						{OfferID: 1, Offer: "A", Currency: "EUR", Conversions: 1, Revenue: money(t, "10")},
						{OfferID: 2, Offer: "B", Currency: "EUR", Conversions: 1, Revenue: money(t, "5")},
					},
					Totals: []Total{
						{Currency: "EUR", Conversions: 2, Revenue: money(t, "15"), Offers: 2},
						{Currency: "JPY", Conversions: 1, Revenue: money(t, "1000"), Offers: 1},
						{Currency: "USD", Conversions: 2, Revenue: money(t, "11"), Offers: 1},
					},
					Offers: 3,
				}}
			},
		},
		{
			name: "events off are ignored entirely",
			cfg:  Config{Subs: []int{1}},
			in: func(t testing.TB) []Conversion {
				return []Conversion{
					conv(t, jun1, 1, "A", "x", "USD", "2"),
					event(conv(t, jun1, 1, "Renamed by an event", "x", "USD", "3")),
					event(conv(t, jun1, 2, "Only events", "y", "USD", "4")),
					event(conv(t, jun2, 2, "Only events", "y", "USD", "4")),
				}
			},
			want: func(t testing.TB) []Day {
				return []Day{{
					Date:   jun1,
					Rows:   []Row{{OfferID: 1, Offer: "A", Subs: []string{"x"}, Currency: "USD", Conversions: 1, Revenue: money(t, "2")}},
					Totals: []Total{{Currency: "USD", Conversions: 1, Revenue: money(t, "2"), Offers: 1}},
					Offers: 1,
				}}
			},
		},
		{
			name: "events on are counted and summed",
			cfg:  Config{Subs: []int{1}, Events: true},
			in: func(t testing.TB) []Conversion {
				return []Conversion{
					conv(t, jun1, 1, "A", "x", "USD", "2"),
					event(conv(t, jun1, 1, "A", "x", "USD", "3")),
					event(conv(t, jun1, 2, "Only events", "y", "USD", "4")),
				}
			},
			want: func(t testing.TB) []Day {
				return []Day{{
					Date: jun1,
					Rows: []Row{
						{OfferID: 1, Offer: "A", Subs: []string{"x"}, Currency: "USD", Conversions: 1, Events: 1, Revenue: money(t, "5")},
						{OfferID: 2, Offer: "Only events", Subs: []string{"y"}, Currency: "USD", Events: 1, Revenue: money(t, "4")},
					},
					Totals: []Total{{Currency: "USD", Conversions: 1, Events: 2, Revenue: money(t, "9"), Offers: 2}},
					Offers: 2,
				}}
			},
		},
		{
			name: "reversals make negative rows",
			cfg:  Config{},
			in: func(t testing.TB) []Conversion {
				return []Conversion{
					conv(t, jun1, 1, "A", "", "USD", "5"),
					conv(t, jun1, 1, "A", "", "USD", "-5"),
					conv(t, jun1, 2, "B", "", "USD", "-3.5"),
					conv(t, jun1, 3, "C", "", "USD", "1"),
				}
			},
			want: func(t testing.TB) []Day {
				return []Day{{
					Date: jun1,
					Rows: []Row{
						{OfferID: 3, Offer: "C", Currency: "USD", Conversions: 1, Revenue: money(t, "1")},
						{OfferID: 1, Offer: "A", Currency: "USD", Conversions: 2, Revenue: 0},
						{OfferID: 2, Offer: "B", Currency: "USD", Conversions: 1, Revenue: money(t, "-3.5")},
					},
					Totals: []Total{{Currency: "USD", Conversions: 4, Revenue: money(t, "-2.5"), Offers: 3}},
					Offers: 3,
				}}
			},
		},
		{
			name: "configured subs in configured order, others merged",
			cfg:  Config{Subs: []int{3, 1}},
			in: func(t testing.TB) []Conversion {
				c := conv(t, jun1, 1, "A", "", "USD", "1")
				return []Conversion{
					subs(c, "s1", "ignored", "s3", "ignored", "ignored"),
					subs(c, "s1", "other", "s3", "other", "other"),
					subs(c, "", "", "s3"),
					subs(c, "s1", "", ""),
				}
			},
			want: func(t testing.TB) []Day {
				return []Day{{
					Date: jun1,
					Rows: []Row{
						{OfferID: 1, Offer: "A", Subs: []string{"s3", "s1"}, Currency: "USD", Conversions: 2, Revenue: money(t, "2")},
						{OfferID: 1, Offer: "A", Subs: []string{"", "s1"}, Currency: "USD", Conversions: 1, Revenue: money(t, "1")},
						{OfferID: 1, Offer: "A", Subs: []string{"s3", ""}, Currency: "USD", Conversions: 1, Revenue: money(t, "1")},
					},
					Totals: []Total{{Currency: "USD", Conversions: 4, Revenue: money(t, "4"), Offers: 1}},
					Offers: 1,
				}}
			},
		},
		{
			name: "sort order",
			cfg:  Config{Subs: []int{1}},
			in: func(t testing.TB) []Conversion {
				return []Conversion{
					conv(t, jun1, 9, "I", "b", "USD", "1"),
					conv(t, jun1, 9, "I", "a", "USD", "1"),
					conv(t, jun1, 9, "I", "a", "EUR", "1"),
					conv(t, jun1, 9, "I", "B", "USD", "1"),
					conv(t, jun1, 10, "J", "", "USD", "1"),
					conv(t, jun1, 2, "K", "z", "USD", "1"),
					conv(t, jun1, 50, "L", "", "USD", "1.0001"),
					conv(t, jun1, 1, "M", "", "USD", "0.9999"),
				}
			},
			want: func(t testing.TB) []Day {
				r := func(id int64, name, sub, cur, rev string) Row {
					return Row{OfferID: id, Offer: name, Subs: []string{sub}, Currency: cur, Conversions: 1, Revenue: money(t, rev)}
				}
				return []Day{{
					Date: jun1,
					Rows: []Row{
						r(50, "L", "", "USD", "1.0001"),
						r(2, "K", "z", "USD", "1"),
						r(9, "I", "B", "USD", "1"),
						r(9, "I", "a", "EUR", "1"),
						r(9, "I", "a", "USD", "1"),
						r(9, "I", "b", "USD", "1"),
						r(10, "J", "", "USD", "1"),
						r(1, "M", "", "USD", "0.9999"),
					},
					Totals: []Total{
						{Currency: "EUR", Conversions: 1, Revenue: money(t, "1"), Offers: 1},
						{Currency: "USD", Conversions: 7, Revenue: money(t, "7"), Offers: 5},
					},
					Offers: 5,
				}}
			},
		},
		{
			name:  "dates sorted, empty dates kept, offers renamed per date",
			cfg:   Config{},
			dates: []Date{jun2},
			in: func(t testing.TB) []Conversion {
				return []Conversion{
					at(conv(t, jun3, 1, "New", "", "USD", "1"), 300),
					at(conv(t, jun1, 1, "Old", "", "USD", "1"), 100),
				}
			},
			want: func(t testing.TB) []Day {
				return []Day{
					{
						Date:   jun1,
						Rows:   []Row{{OfferID: 1, Offer: "Old", Currency: "USD", Conversions: 1, Revenue: money(t, "1")}},
						Totals: []Total{{Currency: "USD", Conversions: 1, Revenue: money(t, "1"), Offers: 1}},
						Offers: 1,
					},
					{Date: jun2},
					{
						Date:   jun3,
						Rows:   []Row{{OfferID: 1, Offer: "New", Currency: "USD", Conversions: 1, Revenue: money(t, "1")}},
						Totals: []Total{{Currency: "USD", Conversions: 1, Revenue: money(t, "1"), Offers: 1}},
						Offers: 1,
					},
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := NewAggregator(tt.cfg)
			for _, d := range tt.dates {
				a.AddDate(d)
			}
			for _, c := range tt.in(t) {
				if err := a.Add(c); err != nil {
					t.Fatal(err)
				}
			}
			if diff := cmp.Diff(tt.want(t), a.Days()); diff != "" {
				t.Errorf("Days() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAggregatorOfferName checks which name an offer renamed during the day
// is shown under: that of the conversion with the greatest time, ties to
// the one added last, never an empty one, the same on every row.
func TestAggregatorOfferName(t *testing.T) {
	t.Parallel()
	type named struct {
		name string
		time int64
	}
	tests := []struct {
		name string
		in   []named
		want string
	}{
		{"in order", []named{{"Old", 100}, {"New", 200}}, "New"},
		{"later page arrives first", []named{{"New", 200}, {"Old", 100}}, "New"},
		{"tie goes to the last added", []named{{"Old", 100}, {"New", 100}}, "New"},
		{"tie goes to the last added, reversed", []named{{"New", 100}, {"Old", 100}}, "Old"},
		{"back and forth", []named{{"A", 100}, {"B", 300}, {"A", 200}, {"C", 250}}, "B"},
		{"same name keeps the latest time", []named{{"A", 100}, {"B", 200}, {"A", 300}, {"B", 250}}, "A"},
		{"no times: last added", []named{{"Old", 0}, {"New", 0}}, "New"},
		{"empty never replaces", []named{{"Name", 100}, {"", 200}}, "Name"},
		{"empty first", []named{{"", 200}, {"Name", 100}}, "Name"},
		{"all empty", []named{{"", 100}, {"", 200}}, ""},
		{"unicode and formula", []named{{"=HYPERLINK(\"x\")", 1}, {"Ωffer ✓", 2}}, "Ωffer ✓"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := NewAggregator(Config{Subs: []int{1}})
			for i, n := range tt.in {
				// Spread over two sub values and two currencies: every row of
				// the offer must show the same name.
				c := conv(t, jun1, 42, n.name, []string{"a", "b"}[i%2], []string{"USD", "EUR"}[i/2%2], "1")
				if err := a.Add(at(c, n.time)); err != nil {
					t.Fatal(err)
				}
			}
			days := a.Days()
			if len(days) != 1 || days[0].Offers != 1 {
				t.Fatalf("Days() = %+v, want one date with one offer", days)
			}
			for _, r := range days[0].Rows {
				if diff := cmp.Diff(tt.want, r.Offer); diff != "" {
					t.Errorf("row %v %s: name mismatch (-want +got):\n%s", r.Subs, r.Currency, diff)
				}
			}
		})
	}
}

func TestAggregatorOverflow(t *testing.T) {
	t.Parallel()
	max := Money(math.MaxInt64)
	tests := []struct {
		name string
		in   []Conversion
	}{
		{"row", []Conversion{
			{Date: jun1, OfferID: 1, Currency: "USD", Revenue: max},
			{Date: jun1, OfferID: 1, Currency: "USD", Revenue: 1},
		}},
		{"currency total across rows", []Conversion{
			{Date: jun1, OfferID: 1, Currency: "USD", Revenue: max},
			{Date: jun1, OfferID: 2, Currency: "USD", Revenue: 1},
		}},
		{"negative", []Conversion{
			{Date: jun1, OfferID: 1, Currency: "USD", Revenue: -max},
			{Date: jun1, OfferID: 1, Currency: "USD", Revenue: -1},
		}},
		{"out of range amount", []Conversion{
			{Date: jun1, OfferID: 1, Currency: "USD", Revenue: 1},
			{Date: jun1, OfferID: 3, Currency: "USD", Revenue: math.MinInt64},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := NewAggregator(Config{})
			var err error
			for _, c := range tt.in[:len(tt.in)-1] {
				if err = a.Add(c); err != nil {
					t.Fatal(err)
				}
			}
			before := a.Days()
			err = a.Add(tt.in[len(tt.in)-1])
			if !errors.Is(err, ErrOverflow) {
				t.Fatalf("Add error = %v, want ErrOverflow", err)
			}
			if diff := cmp.Diff(before, a.Days()); diff != "" {
				t.Errorf("a failed Add changed the digest (-before +after):\n%s", diff)
			}
		})
	}
}

// TestAggregatorOverflowIsPerCurrency checks that amounts near the limit in
// two currencies do not overflow each other: they are never added together.
func TestAggregatorOverflowIsPerCurrency(t *testing.T) {
	t.Parallel()
	a := NewAggregator(Config{})
	for _, cur := range []string{"USD", "EUR"} {
		if err := a.Add(Conversion{Date: jun1, OfferID: 1, Currency: cur, Revenue: math.MaxInt64}); err != nil {
			t.Fatalf("%s: %v", cur, err)
		}
	}
}

// TestAggregatorDaysIsACopy checks that Days' result belongs to the caller.
func TestAggregatorDaysIsACopy(t *testing.T) {
	t.Parallel()
	a := NewAggregator(Config{Subs: []int{1, 2}})
	c := subs(conv(t, jun1, 1, "A", "", "USD", "1"), "x", "y")
	if err := a.Add(c); err != nil {
		t.Fatal(err)
	}
	first := a.Days()
	first[0].Rows[0].Subs[0] = "changed"
	first[0].Rows[0].Subs = append(first[0].Rows[0].Subs, "appended")
	first[0].Totals[0].Revenue = 999
	if err := a.Add(c); err != nil {
		t.Fatal(err)
	}
	want := []Day{{
		Date:   jun1,
		Rows:   []Row{{OfferID: 1, Offer: "A", Subs: []string{"x", "y"}, Currency: "USD", Conversions: 2, Revenue: money(t, "2")}},
		Totals: []Total{{Currency: "USD", Conversions: 2, Revenue: money(t, "2"), Offers: 1}},
		Offers: 1,
	}}
	if diff := cmp.Diff(want, a.Days()); diff != "" {
		t.Errorf("Days() mismatch (-want +got):\n%s", diff)
	}
}

// TestAggregatorDoesNotKeepCallerStrings checks that group keys and names
// are copies, so a caller decoding into a reused buffer cannot change them.
func TestAggregatorDoesNotKeepCallerStrings(t *testing.T) {
	t.Parallel()
	buf := []byte("sub-A|Name-A|USD")
	view := func(i, j int) string { return unsafeString(buf[i:j]) }
	a := NewAggregator(Config{Subs: []int{1}})
	c := Conversion{Date: jun1, OfferID: 1, Subs: [5]string{view(0, 5)}, Offer: view(6, 12), Currency: view(13, 16), Revenue: 1}
	if err := a.Add(c); err != nil {
		t.Fatal(err)
	}
	copy(buf, "sub-B|Name-B|EUR")
	got := a.Days()[0].Rows[0]
	want := Row{OfferID: 1, Offer: "Name-A", Subs: []string{"sub-A"}, Currency: "USD", Conversions: 1, Revenue: 1}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("row mismatch (-want +got):\n%s", diff)
	}
}

func TestNewAggregatorPanicsOnBadSubs(t *testing.T) {
	t.Parallel()
	for _, s := range [][]int{{0}, {6}, {-1}, {1, 2, 3, 4, 5, 1}} {
		t.Run(fmt.Sprint(s), func(t *testing.T) {
			t.Parallel()
			defer func() {
				if recover() == nil {
					t.Errorf("NewAggregator(Subs: %v) did not panic", s)
				}
			}()
			NewAggregator(Config{Subs: s})
		})
	}
}

// TestAggregatorAddAllocs proves that adding a conversion to an existing
// group allocates nothing, even with a name change back to a known name
// and with events ignored. Not parallel: AllocsPerRun counts every
// allocation of the process.
func TestAggregatorAddAllocs(t *testing.T) {
	a := NewAggregator(Config{Subs: []int{1, 2}, Events: true})
	base := Conversion{Date: jun1, OfferID: 7, Offer: "Offer", Subs: [5]string{"s1", "s2", "s3"}, Currency: "USD", Revenue: 12345, Time: 100}
	ev := base
	ev.IsEvent = true
	if err := a.Add(base); err != nil {
		t.Fatal(err)
	}
	// Fresh copies of the strings, as a decoder would hand over.
	c := base
	c.Offer, c.Currency = strings.Clone(c.Offer), strings.Clone(c.Currency)
	c.Subs[0], c.Subs[1] = strings.Clone(c.Subs[0]), strings.Clone(c.Subs[1])
	n := testing.AllocsPerRun(1000, func() {
		c.Time++
		if err := a.Add(c); err != nil {
			t.Fatal(err)
		}
		if err := a.Add(ev); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Errorf("Add to an existing group: %v allocations, want 0", n)
	}
	off := NewAggregator(Config{Subs: []int{1}})
	if err := off.Add(base); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(1000, func() { _ = off.Add(ev) }); n != 0 {
		t.Errorf("Add of an ignored event: %v allocations, want 0", n)
	}
}

// unsafeString views b as a string without copying, as a zero-copy JSON
// decoder might.
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// TestAggregatorMatchesReference feeds random conversions over a few dates,
// with sub values drawn from a small alphabet (so that ("ab", "") and
// ("a", "b") both occur) and enough groups to grow the index many times,
// and compares Days with a plain map-based aggregation.
func TestAggregatorMatchesReference(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cfg      Config
		hashMask uint64
	}{
		{Config{}, ^uint64(0)},
		{Config{Subs: []int{1}}, ^uint64(0)},
		{Config{Subs: []int{2, 1}, Events: true}, ^uint64(0)},
		{Config{Subs: []int{5, 4, 3, 2, 1}}, ^uint64(0)},
		// Every hash one of four: every lookup compares keys.
		{Config{Subs: []int{2, 1}, Events: true}, 3},
	}
	for _, tt := range tests {
		cfg := tt.cfg
		r := rand.New(rand.NewPCG(7, 11))
		pick := func(vals ...string) string { return vals[r.IntN(len(vals))] }
		t.Run(fmt.Sprintf("%v %v %#x", cfg.Subs, cfg.Events, tt.hashMask), func(t *testing.T) {
			t.Parallel()
			type key struct {
				date     Date
				offer    int64
				subs     string
				currency string
			}
			type sums struct {
				conversions, events int64
				revenue             Money
				name                string
				time                int64
			}
			ref := map[key]*sums{}
			type nameKey struct {
				date  Date
				offer int64
			}
			names := map[nameKey]*sums{}
			a := NewAggregator(cfg)
			a.hashMask = tt.hashMask
			dates := []Date{jun3, jun1, jun2}
			n := 20000
			if tt.hashMask < 1<<8 {
				n = 3000 // every lookup walks the whole table
			}
			for i := range n {
				c := Conversion{
					Date:     dates[r.IntN(len(dates))],
					OfferID:  int64(r.IntN(40)),
					Offer:    pick("", "A", "B", "C"),
					Time:     int64(r.IntN(50)),
					Currency: pick("USD", "EUR", "", "US"),
					Revenue:  Money(r.IntN(200000) - 50000),
					IsEvent:  r.IntN(5) == 0,
				}
				for j := range c.Subs {
					c.Subs[j] = pick("", "a", "b", "ab", "a\x00", strconv.Itoa(i%97))
				}
				if err := a.Add(c); err != nil {
					t.Fatal(err)
				}
				if c.IsEvent && !cfg.Events {
					continue
				}
				var sb []string
				for _, n := range cfg.Subs {
					sb = append(sb, strconv.Quote(c.Subs[n-1]))
				}
				k := key{c.Date, c.OfferID, strings.Join(sb, ","), c.Currency}
				s := ref[k]
				if s == nil {
					s = &sums{}
					ref[k] = s
				}
				if c.IsEvent {
					s.events++
				} else {
					s.conversions++
				}
				s.revenue += c.Revenue
				ok := nameKey{c.Date, c.OfferID}
				if names[ok] == nil {
					names[ok] = &sums{}
				}
				if n := names[ok]; c.Offer != "" && (n.name == "" || c.Time >= n.time) {
					n.name, n.time = c.Offer, c.Time
				}
			}

			byDate := map[Date]*Day{}
			offersOf := map[Date]map[int64]bool{}
			curOffers := map[Date]map[string]map[int64]bool{}
			for k, s := range ref {
				d := byDate[k.date]
				if d == nil {
					d = &Day{Date: k.date}
					byDate[k.date] = d
					offersOf[k.date] = map[int64]bool{}
					curOffers[k.date] = map[string]map[int64]bool{}
				}
				var subs []string
				if len(cfg.Subs) > 0 {
					for _, q := range strings.Split(k.subs, ",") {
						v, err := strconv.Unquote(q)
						if err != nil {
							t.Fatal(err)
						}
						subs = append(subs, v)
					}
				}
				d.Rows = append(d.Rows, Row{
					OfferID: k.offer, Offer: names[nameKey{k.date, k.offer}].name, Subs: subs,
					Currency: k.currency, Conversions: s.conversions, Events: s.events, Revenue: s.revenue,
				})
				offersOf[k.date][k.offer] = true
				if curOffers[k.date][k.currency] == nil {
					curOffers[k.date][k.currency] = map[int64]bool{}
				}
				curOffers[k.date][k.currency][k.offer] = true
			}
			var want []Day
			for _, d := range dates {
				day := byDate[d]
				if day == nil {
					continue
				}
				sort.Slice(day.Rows, func(i, j int) bool {
					x, y := day.Rows[i], day.Rows[j]
					switch {
					case x.Revenue != y.Revenue:
						return x.Revenue > y.Revenue
					case x.OfferID != y.OfferID:
						return x.OfferID < y.OfferID
					}
					for k := range x.Subs {
						if x.Subs[k] != y.Subs[k] {
							return x.Subs[k] < y.Subs[k]
						}
					}
					return x.Currency < y.Currency
				})
				totals := map[string]*Total{}
				for _, row := range day.Rows {
					tt := totals[row.Currency]
					if tt == nil {
						tt = &Total{Currency: row.Currency, Offers: len(curOffers[d][row.Currency])}
						totals[row.Currency] = tt
					}
					tt.Conversions += row.Conversions
					tt.Events += row.Events
					tt.Revenue += row.Revenue
				}
				for _, tt := range totals {
					day.Totals = append(day.Totals, *tt)
				}
				sort.Slice(day.Totals, func(i, j int) bool { return day.Totals[i].Currency < day.Totals[j].Currency })
				day.Offers = len(offersOf[d])
				want = append(want, *day)
			}
			sort.Slice(want, func(i, j int) bool { return want[i].Date.Compare(want[j].Date) < 0 })
			if diff := cmp.Diff(want, a.Days()); diff != "" {
				t.Errorf("Days() mismatch with the reference (-want +got):\n%s", diff)
			}
		})
	}
}
