package digest

import (
	"cmp"
	"fmt"
	"hash/maphash"
	"math"
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
	seed   maphash.Seed
	// hashMask is all ones; tests narrow it to force collisions, so that
	// the comparison of keys behind equal hashes is exercised too.
	hashMask uint64

	// groups are the rows; index is an open-addressing hash table of
	// group positions + 1 (0 = free slot), so each key is stored once, in
	// its group, and the sub values of group g are
	// subVals[g.subs : g.subs+len(subs)].
	groups  []group
	index   []int32
	subVals []string

	offers     []offerState
	offerIndex map[offerKey]int32

	totals     []totalState
	totalIndex map[totalKey]int32

	days     []dayState
	dayIndex map[Date]int32
	// lastDay caches the index of the last date added: a run aggregates
	// one date at a time, so this saves a map lookup per conversion.
	lastDate Date
	lastDay  int32
}

// group is one row: a date, offer, sub values and currency, with its sums.
type group struct {
	hash        uint64
	offerID     int64
	currency    string
	day         int32 // index in Aggregator.days
	subs        int32 // first sub value in Aggregator.subVals
	offer       int32 // index in Aggregator.offers
	total       int32 // index in Aggregator.totals
	conversions int64
	events      int64
	revenue     Money
}

type offerKey struct {
	day     int32
	offerID int64
}

// offerState is an offer on one date: the name to show, the time of the
// conversion it came from, and the currency totals it counts in.
type offerState struct {
	name   string
	time   int64
	totals []int32
}

type totalKey struct {
	day      int32
	currency string
}

type totalState struct {
	key         totalKey
	conversions int64
	events      int64
	revenue     Money
	offers      int
}

type dayState struct {
	date   Date
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
		subs:       slices.Clone(cfg.Subs),
		events:     cfg.Events,
		seed:       maphash.MakeSeed(),
		hashMask:   ^uint64(0),
		index:      make([]int32, 64),
		offerIndex: make(map[offerKey]int32),
		totalIndex: make(map[totalKey]int32),
		dayIndex:   make(map[Date]int32),
		lastDay:    -1,
	}
}

// AddDate makes d appear in Days even if no conversion of d is added: a
// day Everflow reports as empty must still clear its rows and get its zero
// Summary row.
func (a *Aggregator) AddDate(d Date) {
	a.day(d)
}

// day returns the index of date d, adding it if it is new.
func (a *Aggregator) day(d Date) int32 {
	if a.lastDay >= 0 && d == a.lastDate {
		return a.lastDay
	}
	di, ok := a.dayIndex[d]
	if !ok {
		di = int32(len(a.days))
		a.days = append(a.days, dayState{date: d})
		a.dayIndex[d] = di
	}
	a.lastDate, a.lastDay = d, di
	return di
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
	if c.Revenue == math.MinInt64 {
		// Outside the range of Money: ParseMoney never makes it, and
		// refusing it here keeps every sum negatable.
		return fmt.Errorf("add conversion of offer %d on %s: %w", c.OfferID, c.Date, ErrOverflow)
	}
	di := a.day(c.Date)
	h := a.hash(di, &c)
	mask := uint64(len(a.index) - 1)
	slot := h & mask
	var g *group
	for {
		gi := a.index[slot]
		if gi == 0 {
			var err error
			if g, err = a.newGroup(di, h, slot, &c); err != nil {
				return fmt.Errorf("add conversion of offer %d on %s: %w", c.OfferID, c.Date, err)
			}
			break
		}
		if cand := &a.groups[gi-1]; cand.hash == h && a.matches(cand, di, &c) {
			g = cand
			break
		}
		slot = (slot + 1) & mask
	}

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

// hash hashes the key of c's row: date, offer, configured sub values and
// currency. Each string is hashed on its own and mixed in by position, so
// ("ab", "") and ("a", "b") differ.
func (a *Aggregator) hash(di int32, c *Conversion) uint64 {
	h := mix(uint64(c.OfferID)^uint64(di)<<48) ^ maphash.String(a.seed, c.Currency)
	for _, n := range a.subs {
		h = mix(h) ^ maphash.String(a.seed, c.Subs[n-1])
	}
	return h & a.hashMask
}

// mix is a 64-bit finalizer (splitmix64's), so that each field shifts the
// whole hash before the next is mixed in.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// matches reports whether g is the row of c on date di.
func (a *Aggregator) matches(g *group, di int32, c *Conversion) bool {
	if g.offerID != c.OfferID || g.day != di || g.currency != c.Currency {
		return false
	}
	vals := a.subVals[g.subs : int(g.subs)+len(a.subs)]
	for i, n := range a.subs {
		if vals[i] != c.Subs[n-1] {
			return false
		}
	}
	return true
}

// newGroup creates the row of c in the free index slot, and the offer and
// currency total it belongs to if they are new. It fails, creating
// nothing, when adding c's revenue to the currency's total would overflow.
func (a *Aggregator) newGroup(di int32, h, slot uint64, c *Conversion) (*group, error) {
	tk := totalKey{day: di, currency: c.Currency}
	ti, haveTotal := a.totalIndex[tk]
	if haveTotal {
		if _, err := a.totals[ti].revenue.Add(c.Revenue); err != nil {
			return nil, fmt.Errorf("%s total: %w", clip(c.Currency), err)
		}
	}
	if len(a.groups) >= math.MaxInt32-1 {
		return nil, fmt.Errorf("more than %d rows: %w", math.MaxInt32-1, ErrOverflow)
	}

	// Copied for the reason given in Add, only here, once per row; the
	// currency once per date and currency, shared by its rows.
	subs := int32(len(a.subVals))
	for _, n := range a.subs {
		a.subVals = append(a.subVals, strings.Clone(c.Subs[n-1]))
	}
	if !haveTotal {
		tk.currency = strings.Clone(c.Currency)
		ti = int32(len(a.totals))
		a.totals = append(a.totals, totalState{key: tk})
		a.totalIndex[tk] = ti
	}
	currency := a.totals[ti].key.currency
	ok := offerKey{day: di, offerID: c.OfferID}
	oi, haveOffer := a.offerIndex[ok]
	if !haveOffer {
		oi = int32(len(a.offers))
		a.offers = append(a.offers, offerState{})
		a.offerIndex[ok] = oi
		a.days[di].offers++
	}
	if o := &a.offers[oi]; !slices.Contains(o.totals, ti) {
		o.totals = append(o.totals, ti)
		a.totals[ti].offers++
	}
	a.groups = append(a.groups, group{
		hash: h, offerID: c.OfferID, currency: currency, day: di, subs: subs, offer: oi, total: ti,
	})
	gi := int32(len(a.groups))
	a.index[slot] = gi
	if len(a.groups)*2 > len(a.index) {
		a.grow()
	}
	return &a.groups[gi-1], nil
}

// grow doubles the index, keeping its load at most one half so that
// linear probing stays short.
func (a *Aggregator) grow() {
	index := make([]int32, 2*len(a.index))
	mask := uint64(len(index) - 1)
	for i := range a.groups {
		slot := a.groups[i].hash & mask
		for index[slot] != 0 {
			slot = (slot + 1) & mask
		}
		index[slot] = int32(i + 1)
	}
	a.index = index
}

// Days returns the digest of every date added, sorted by date, with rows
// and totals sorted as Day documents. The result is a copy: adding more
// conversions later does not change it.
func (a *Aggregator) Days() []Day {
	if len(a.days) == 0 {
		return nil
	}
	// Group positions bucketed by date, each bucket sorted in row order:
	// sorting 4-byte positions moves far less memory than sorting rows.
	first := make([]int, len(a.days)+1)
	for i := range a.groups {
		first[a.groups[i].day+1]++
	}
	for i := range a.days {
		first[i+1] += first[i]
	}
	order := make([]int32, len(a.groups))
	next := slices.Clone(first[:len(a.days)])
	for i := range a.groups {
		d := a.groups[i].day
		order[next[d]] = int32(i)
		next[d]++
	}

	// One backing array each for all rows and all sub values; the full
	// slice expressions keep an append to one row or day from writing into
	// the next.
	rows := make([]Row, len(a.groups))
	nsubs := len(a.subs)
	subs := make([]string, len(a.subVals))
	days := make([]Day, len(a.days))
	for di, st := range a.days {
		bucket := order[first[di]:first[di+1]]
		slices.SortFunc(bucket, a.compareGroups)
		dayRows := rows[first[di]:first[di+1]:first[di+1]]
		for j, gi := range bucket {
			g := &a.groups[gi]
			var s []string
			if nsubs > 0 {
				at := (first[di] + j) * nsubs
				s = subs[at : at+nsubs : at+nsubs]
				copy(s, a.subVals[g.subs:])
			}
			dayRows[j] = Row{
				OfferID:     g.offerID,
				Offer:       a.offers[g.offer].name,
				Subs:        s,
				Currency:    g.currency,
				Conversions: g.conversions,
				Events:      g.events,
				Revenue:     g.revenue,
			}
		}
		if len(dayRows) == 0 {
			dayRows = nil
		}
		days[di] = Day{Date: st.date, Rows: dayRows, Offers: st.offers}
	}
	for i := range a.totals {
		t := &a.totals[i]
		d := &days[t.key.day]
		d.Totals = append(d.Totals, Total{
			Currency:    t.key.currency,
			Conversions: t.conversions,
			Events:      t.events,
			Revenue:     t.revenue,
			Offers:      t.offers,
		})
	}
	for i := range days {
		slices.SortFunc(days[i].Totals, func(x, y Total) int { return strings.Compare(x.Currency, y.Currency) })
	}
	slices.SortFunc(days, func(x, y Day) int { return x.Date.Compare(y.Date) })
	return days
}

// compareGroups orders the groups at positions i and j as their rows go:
// revenue descending, then offer ID, sub values (byte order) and currency
// ascending. Within a date no two rows share offer, sub values and
// currency, so the order is total and the same on every run.
func (a *Aggregator) compareGroups(i, j int32) int {
	x, y := &a.groups[i], &a.groups[j]
	if c := cmp.Compare(y.revenue, x.revenue); c != 0 {
		return c
	}
	if c := cmp.Compare(x.offerID, y.offerID); c != 0 {
		return c
	}
	n := len(a.subs)
	if c := slices.Compare(a.subVals[x.subs:int(x.subs)+n], a.subVals[y.subs:int(y.subs)+n]); c != 0 {
		return c
	}
	return strings.Compare(x.currency, y.currency)
}
