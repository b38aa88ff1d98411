package digest

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Config says how conversions are grouped and which columns the tables
// have. It is the digest's view of DIGEST_SUB_IDS and DIGEST_INCLUDE_EVENTS.
type Config struct {
	// Subs are the sub IDs to group by, in column order, each 1 to 5
	// (sub1…sub5); empty groups by offer only. main validates the setting;
	// NewAggregator panics on a value out of range.
	Subs []int
	// Events counts post-conversion events in Events and adds their revenue
	// to Revenue; when false they are ignored entirely.
	Events bool
}

// Conversion is one conversion (or post-conversion event) as the digest
// needs it, fed to Aggregator.Add.
type Conversion struct {
	// Date is the report day Everflow bucketed the conversion into.
	Date    Date
	OfferID int64
	// Offer is the offer's name at the time of the conversion.
	Offer string
	// Time is when the conversion happened, in Unix seconds (0 if unknown).
	// It decides which name an offer renamed during the day is shown
	// under, whatever order pages arrive in.
	Time int64
	// Subs are sub1…sub5 exactly as received; only the configured ones
	// count.
	Subs     [5]string
	Currency string
	Revenue  Money
	// IsEvent marks a post-conversion event rather than a base conversion.
	IsEvent bool
}

// Row is one line of the digest: a date's conversions of one offer with one
// set of sub values in one currency.
type Row struct {
	OfferID int64
	// Offer is the name of the offer's most recent conversion of the day.
	Offer string
	// Subs are the values of the configured sub IDs, in Config.Subs order.
	Subs        []string
	Currency    string
	Conversions int64 // base conversions
	Events      int64 // post-conversion events; 0 unless Config.Events
	Revenue     Money
}

// Total sums a date's rows of one currency.
type Total struct {
	Currency    string
	Conversions int64
	Events      int64
	Revenue     Money
	// Offers is the number of distinct offers with conversions in this
	// currency that day.
	Offers int
}

// Day is the digest of one report date. A date with no conversions has no
// Rows and no Totals (both nil), and still appears, so that the writer
// clears the date and writes its zero summary row.
type Day struct {
	Date Date
	// Rows are sorted by revenue descending, then offer ID, then sub values
	// (byte order), then currency, so the order is the same on every run.
	Rows []Row
	// Totals holds one entry per currency, sorted by currency. Amounts of
	// different currencies are never added together.
	Totals []Total
	// Offers is the number of distinct offers of the day, in any currency.
	Offers int
}

// Aggregator adds conversions up by date, offer, configured sub values and
// currency, one at a time. Its memory grows with the number of groups, not
// with the number of conversions, and adding a conversion to an existing
// group allocates nothing. It is not safe for concurrent use.
type Aggregator struct {
	subs   []int
	events bool

	groups []group
	index  map[groupKey]int32

	offers     []offerState
	offerIndex map[offerKey]int32

	totals     []totalState
	totalIndex map[totalKey]int32

	// offerCurrencies records each (date, offer, currency) seen, to count
	// distinct offers per currency.
	offerCurrencies map[offerCurrencyKey]struct{}

	days map[Date]*dayState
}

// groupKey is what a row is keyed on. Subs holds the configured sub values
// in column order; the rest stay empty.
type groupKey struct {
	date     Date
	offerID  int64
	currency string
	subs     [5]string
}

type group struct {
	key         groupKey
	offer       int32 // index in Aggregator.offers
	total       int32 // index in Aggregator.totals
	conversions int64
	events      int64
	revenue     Money
}

type offerKey struct {
	date    Date
	offerID int64
}

// offerState is an offer on one date: the name to show and the time of the
// conversion it came from.
type offerState struct {
	name string
	time int64
}

type totalKey struct {
	date     Date
	currency string
}

type totalState struct {
	key         totalKey
	conversions int64
	events      int64
	revenue     Money
	offers      int
}

type offerCurrencyKey struct {
	date     Date
	offerID  int64
	currency string
}

type dayState struct {
	offers int
}

// NewAggregator returns an empty Aggregator for cfg. It panics if a sub ID
// is outside 1..5 or more than 5 are given: the configuration is checked
// before any aggregation starts, so this is a programming error.
func NewAggregator(cfg Config) *Aggregator {
	if len(cfg.Subs) > 5 {
		panic(fmt.Sprintf("digest: %d sub IDs configured, at most 5", len(cfg.Subs)))
	}
	for _, n := range cfg.Subs {
		if n < 1 || n > 5 {
			panic(fmt.Sprintf("digest: sub ID %d out of range 1..5", n))
		}
	}
	return &Aggregator{
		subs:            slices.Clone(cfg.Subs),
		events:          cfg.Events,
		index:           make(map[groupKey]int32),
		offerIndex:      make(map[offerKey]int32),
		totalIndex:      make(map[totalKey]int32),
		offerCurrencies: make(map[offerCurrencyKey]struct{}),
		days:            make(map[Date]*dayState),
	}
}

// AddDate makes d appear in Days even if no conversion of d is added: a
// day Everflow reports as empty must still clear its rows and get its zero
// Summary row.
func (a *Aggregator) AddDate(d Date) {
	if a.days[d] == nil {
		a.days[d] = &dayState{}
	}
}

// Add counts one conversion. Post-conversion events are ignored entirely
// (not counted, not summed, no row) unless Config.Events is set.
//
// The offer's name on the date is the name of the conversion with the
// greatest Time, ties going to the one added last, so a rename during the
// day shows the new name on every row of the offer and never splits it. An
// empty name never replaces a known one: the API omits empty fields, so an
// empty name means "not sent" rather than "renamed to nothing".
//
// The only error is ErrOverflow, when the revenue of a row or of a
// currency's total would leave the range of Money; the Aggregator is then
// unchanged.
func (a *Aggregator) Add(c Conversion) error {
	if c.IsEvent && !a.events {
		return nil
	}
	k := groupKey{date: c.Date, offerID: c.OfferID, currency: c.Currency}
	for i, n := range a.subs {
		k.subs[i] = c.Subs[n-1]
	}
	gi, ok := a.index[k]
	if !ok {
		var err error
		if gi, err = a.newGroup(k, c.Revenue); err != nil {
			return fmt.Errorf("add conversion of offer %d on %s: %w", c.OfferID, c.Date, err)
		}
	}
	g := &a.groups[gi]
	t := &a.totals[g.total]
	groupRevenue, err := g.revenue.Add(c.Revenue)
	if err != nil {
		return fmt.Errorf("add conversion of offer %d on %s: revenue of the row: %w", c.OfferID, c.Date, err)
	}
	totalRevenue, err := t.revenue.Add(c.Revenue)
	if err != nil {
		return fmt.Errorf("add conversion of offer %d on %s: %s total: %w", c.OfferID, c.Date, clip(c.Currency), err)
	}
	g.revenue, t.revenue = groupRevenue, totalRevenue
	if c.IsEvent {
		g.events++
		t.events++
	} else {
		g.conversions++
		t.conversions++
	}
	if o := &a.offers[g.offer]; c.Offer != "" && (o.name == "" || c.Time >= o.time) {
		if c.Offer != o.name {
			// Copied: the caller's string may share memory with a whole
			// page of the response, which the digest must not keep alive.
			o.name = strings.Clone(c.Offer)
		}
		o.time = c.Time
	}
	return nil
}

// newGroup creates the row of key k, and the offer, currency total and date
// it belongs to if they are new. It fails, creating nothing, when adding
// revenue to the existing currency total would overflow.
func (a *Aggregator) newGroup(k groupKey, revenue Money) (int32, error) {
	if _, err := Money(0).Add(revenue); err != nil {
		return 0, err
	}
	tk := totalKey{date: k.date, currency: k.currency}
	ti, haveTotal := a.totalIndex[tk]
	if haveTotal {
		if _, err := a.totals[ti].revenue.Add(revenue); err != nil {
			return 0, fmt.Errorf("%s total: %w", clip(k.currency), err)
		}
	}
	// Copied for the reason given in Add; only here, once per group.
	k.currency = strings.Clone(k.currency)
	for i := range a.subs {
		k.subs[i] = strings.Clone(k.subs[i])
	}
	tk.currency = k.currency

	day := a.days[k.date]
	if day == nil {
		day = &dayState{}
		a.days[k.date] = day
	}
	if !haveTotal {
		ti = int32(len(a.totals))
		a.totals = append(a.totals, totalState{key: tk})
		a.totalIndex[tk] = ti
	}
	ok := offerKey{date: k.date, offerID: k.offerID}
	oi, haveOffer := a.offerIndex[ok]
	if !haveOffer {
		oi = int32(len(a.offers))
		a.offers = append(a.offers, offerState{})
		a.offerIndex[ok] = oi
		day.offers++
	}
	ock := offerCurrencyKey{date: k.date, offerID: k.offerID, currency: k.currency}
	if _, seen := a.offerCurrencies[ock]; !seen {
		a.offerCurrencies[ock] = struct{}{}
		a.totals[ti].offers++
	}
	gi := int32(len(a.groups))
	a.groups = append(a.groups, group{key: k, offer: oi, total: ti})
	a.index[k] = gi
	return gi, nil
}

// Days returns the digest of every date added, sorted by date, with rows
// and totals sorted as Day documents. The result is a copy: adding more
// conversions later does not change it.
func (a *Aggregator) Days() []Day {
	if len(a.days) == 0 {
		return nil
	}
	days := make([]Day, 0, len(a.days))
	for d, st := range a.days {
		days = append(days, Day{Date: d, Offers: st.offers})
	}
	slices.SortFunc(days, func(x, y Day) int { return x.Date.Compare(y.Date) })
	at := make(map[Date]int, len(days))
	for i, d := range days {
		at[d.Date] = i
	}

	rowCount := make([]int, len(days))
	for i := range a.groups {
		rowCount[at[a.groups[i].key.date]]++
	}
	// One backing array each for all rows and all sub values; the full
	// slice expressions below keep an append on one row from writing into
	// the next.
	rows := make([]Row, len(a.groups))
	nsubs := len(a.subs)
	subs := make([]string, len(a.groups)*nsubs)
	start := 0
	for i, n := range rowCount {
		days[i].Rows = rows[start : start : start+n]
		start += n
	}
	for i := range a.groups {
		g := &a.groups[i]
		d := &days[at[g.key.date]]
		var s []string
		if nsubs > 0 {
			s = subs[:nsubs:nsubs]
			subs = subs[nsubs:]
			copy(s, g.key.subs[:nsubs])
		}
		d.Rows = append(d.Rows, Row{
			OfferID:     g.key.offerID,
			Offer:       a.offers[g.offer].name,
			Subs:        s,
			Currency:    g.key.currency,
			Conversions: g.conversions,
			Events:      g.events,
			Revenue:     g.revenue,
		})
	}
	for i := range a.totals {
		t := &a.totals[i]
		d := &days[at[t.key.date]]
		d.Totals = append(d.Totals, Total{
			Currency:    t.key.currency,
			Conversions: t.conversions,
			Events:      t.events,
			Revenue:     t.revenue,
			Offers:      t.offers,
		})
	}
	for i := range days {
		d := &days[i]
		if len(d.Rows) == 0 {
			d.Rows = nil
		}
		slices.SortFunc(d.Rows, compareRows)
		slices.SortFunc(d.Totals, func(x, y Total) int { return strings.Compare(x.Currency, y.Currency) })
	}
	return days
}

// compareRows orders rows by revenue descending, then offer ID, sub values
// and currency ascending. Within a date no two rows share offer, sub values
// and currency, so the order is total and the same on every run.
func compareRows(x, y Row) int {
	if c := cmp.Compare(y.Revenue, x.Revenue); c != 0 {
		return c
	}
	if c := cmp.Compare(x.OfferID, y.OfferID); c != 0 {
		return c
	}
	if c := slices.Compare(x.Subs, y.Subs); c != 0 {
		return c
	}
	return strings.Compare(x.Currency, y.Currency)
}
