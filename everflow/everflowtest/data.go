package everflowtest

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"time"
)

// Conversion is one stored conversion or post-conversion event, the
// stand-in's data model. Zero values are sent as Everflow's zero values
// ("" and 0), unless the field is named in Omit.
type Conversion struct {
	// ID is conversion_id, 32 hex digits in real data; IDs are served as
	// given, so duplicates are served twice (for dedupe tests).
	ID string
	// TransactionID is the click id; events share it with their base
	// conversion.
	TransactionID string
	// Time is conversion_unix_timestamp (seconds; sub-second parts are
	// dropped).
	Time      time.Time
	OfferID   int64
	OfferName string
	// Currency is currency_id, the offer's ISO 4217 currency.
	Currency string
	// Revenue is the affiliate's earnings as decimal text, sent verbatim as
	// a JSON number ("0.1", "12.3456", "-3.5"); "" means 0. It must be a
	// valid JSON number unless RevenueAsString is set.
	Revenue string
	// RevenueAsString sends revenue as a JSON string ("5.25") instead.
	RevenueAsString bool
	// SaleAmount is sale_amount (order value, not earnings); "" means 0.
	SaleAmount string
	IsEvent    bool
	// Event is the event name; base conversions with an empty Event are
	// sent as "Base".
	Event string
	// Subs are sub1..sub5.
	Subs [5]string
	// Country is the country name ("United States"), as Everflow sends it.
	Country string
	// Omit lists JSON fields to leave out entirely (proto3 omission), e.g.
	// "sub3", "is_event", "revenue", "relationship.offer.name".
	Omit []string
}

// dataset is what the endpoints read: a stored or a synthetic data set,
// immutable once published (mutations publish a new one). Bounds are unix
// seconds, from inclusive and end exclusive; rows come in serving order.
type dataset interface {
	// count returns the number of rows in [from, end) that sel wants.
	count(from, end int64, sel *selector) int
	// page calls fn with at most limit of those rows, after skipping offset.
	page(from, end int64, sel *selector, offset, limit int, fn func(*Conversion))
	// each calls fn with every row in [from, end).
	each(from, end int64, fn func(*Conversion))
	// materialize returns the data set as a store.
	materialize() *store
}

// store is an immutable, sorted data set: rows newest first
// (conversion_unix_timestamp descending, then conversion_id ascending), with
// the unix keys and a prefix count of events alongside, so a window of time
// is two binary searches and a page of events or base rows is one more.
type store struct {
	rows   []Conversion
	keys   []int64 // keys[i] == rows[i].Time.Unix()
	events []int32 // events[i] == number of events in rows[:i]
}

func newStore(data []Conversion) *store {
	rows := make([]Conversion, len(data))
	copy(rows, data)
	for i := range rows {
		checkConversion(&rows[i])
	}
	return buildStore(rows)
}

// buildStore sorts rows in place and indexes them.
func buildStore(rows []Conversion) *store {
	keys := make([]int64, len(rows))
	for i := range rows {
		keys[i] = rows[i].Time.Unix()
	}
	// Sort a permutation rather than the 200-byte structs themselves.
	perm := make([]int32, len(rows))
	for i := range perm {
		perm[i] = int32(i)
	}
	slices.SortStableFunc(perm, func(a, b int32) int {
		if c := cmp.Compare(keys[b], keys[a]); c != 0 {
			return c
		}
		return cmp.Compare(rows[a].ID, rows[b].ID)
	})
	st := &store{
		rows:   make([]Conversion, len(rows)),
		keys:   make([]int64, len(rows)),
		events: make([]int32, len(rows)+1),
	}
	for i, p := range perm {
		st.rows[i] = rows[p]
		st.keys[i] = keys[p]
		st.events[i+1] = st.events[i]
		if rows[p].IsEvent {
			st.events[i+1]++
		}
	}
	return st
}

// checkConversion panics on a conversion the server could not send as
// valid JSON: that is a bug in the test, not a behaviour to simulate.
func checkConversion(c *Conversion) {
	if !c.RevenueAsString && c.Revenue != "" && !isJSONNumber(c.Revenue) {
		panic(fmt.Sprintf("everflowtest: conversion %q: revenue %q is not a JSON number (set RevenueAsString to send it as a string)", c.ID, c.Revenue))
	}
	if c.SaleAmount != "" && !isJSONNumber(c.SaleAmount) {
		panic(fmt.Sprintf("everflowtest: conversion %q: sale amount %q is not a JSON number", c.ID, c.SaleAmount))
	}
}

// upsert returns a new store with c replacing every conversion with its ID,
// or added.
func (st *store) upsert(c Conversion) *store {
	rows := make([]Conversion, 0, len(st.rows)+1)
	for _, r := range st.rows {
		if r.ID != c.ID {
			rows = append(rows, r)
		}
	}
	rows = append(rows, c)
	return buildStore(rows)
}

// remove returns a new store without the conversions with ID id.
func (st *store) remove(id string) *store {
	rows := make([]Conversion, 0, len(st.rows))
	for _, r := range st.rows {
		if r.ID != id {
			rows = append(rows, r)
		}
	}
	return buildStore(rows)
}

func (st *store) materialize() *store { return st }

func (st *store) count(from, end int64, sel *selector) int {
	lo, hi := st.window(from, end)
	return st.countIdx(lo, hi, sel)
}

func (st *store) page(from, end int64, sel *selector, offset, limit int, fn func(*Conversion)) {
	lo, hi := st.window(from, end)
	st.pageIdx(lo, hi, sel, offset, limit, fn)
}

func (st *store) each(from, end int64, fn func(*Conversion)) {
	lo, hi := st.window(from, end)
	for i := lo; i < hi; i++ {
		fn(&st.rows[i])
	}
}

// Set replaces the data set with a copy of data. Rows are served in the
// server's order whatever the order of data.
func (s *Server) Set(data []Conversion) {
	st := newStore(data)
	s.mu.Lock()
	s.data = dataset(st)
	s.mu.Unlock()
}

// Upsert replaces the conversions with c.ID by c, or adds c: a late
// approval, or a revenue correction.
func (s *Server) Upsert(c Conversion) {
	checkConversion(&c)
	s.mu.Lock()
	s.data = s.data.materialize().upsert(c)
	s.mu.Unlock()
}

// Delete removes the conversions with ID id: a rejection or reversal that
// makes the row vanish from the report.
func (s *Server) Delete(id string) {
	s.mu.Lock()
	s.data = s.data.materialize().remove(id)
	s.mu.Unlock()
}

// Conversions returns a copy of the data set in serving order (newest
// first), so a test can compute the totals it expects.
func (s *Server) Conversions() []Conversion {
	st, _ := s.snapshot()
	return slices.Clone(st.materialize().rows)
}

// window returns the index range of rows with from <= unix < end.
func (st *store) window(from, end int64) (lo, hi int) {
	lo = sort.Search(len(st.keys), func(i int) bool { return st.keys[i] < end })
	hi = sort.Search(len(st.keys), func(i int) bool { return st.keys[i] < from })
	return lo, max(lo, hi)
}

// selector says which rows of a window a request wants.
type selector struct {
	base, events bool
	filters      filterSet
}

func (sel *selector) match(c *Conversion) bool {
	if c.IsEvent && !sel.events || !c.IsEvent && !sel.base {
		return false
	}
	return sel.filters.match(c)
}

// before counts the rows of [lo, i) that sel wants, for the indexed cases.
func (st *store) before(lo, i int, sel *selector) int {
	ev := int(st.events[i] - st.events[lo])
	switch {
	case sel.base && sel.events:
		return i - lo
	case sel.events:
		return ev
	case sel.base:
		return i - lo - ev
	}
	return 0
}

// countIdx returns the number of rows of [lo, hi) that sel wants.
func (st *store) countIdx(lo, hi int, sel *selector) int {
	if len(sel.filters) == 0 {
		return st.before(lo, hi, sel)
	}
	n := 0
	for i := lo; i < hi; i++ {
		if sel.match(&st.rows[i]) {
			n++
		}
	}
	return n
}

// pageIdx calls fn with at most limit rows of [lo, hi) that sel wants,
// skipping the first offset of them.
func (st *store) pageIdx(lo, hi int, sel *selector, offset, limit int, fn func(*Conversion)) {
	start := lo
	if len(sel.filters) == 0 {
		// The first wanted row after offset others: binary search on the
		// prefix counts instead of a scan, so deep pages stay cheap.
		start = lo + sort.Search(hi-lo, func(i int) bool { return st.before(lo, lo+i+1, sel) > offset })
		offset = 0
	}
	for i := start; i < hi && limit > 0; i++ {
		c := &st.rows[i]
		if !sel.match(c) {
			continue
		}
		if offset > 0 {
			offset--
			continue
		}
		fn(c)
		limit--
	}
}
