package everflowtest

import (
	"cmp"
	"slices"
	"sort"
	"sync"
)

// synthetic serves Generate(o) without holding it: row k of day d is a pure
// function of (seed, d, k) and its time is non-decreasing in k, so a window
// of time is a range of k per day found by binary search, and a page is
// generated on demand. Only rows sharing one second (more than 86,400 a
// day) need sorting by id, a few at a time.
type synthetic struct {
	o    GenerateOptions
	days []*dayGen // in time order

	mu     sync.Mutex
	events map[int][]int32 // per day: events[k] = number of events among rows < k
}

func newSynthetic(o GenerateOptions) *synthetic {
	o = o.normalized()
	sy := &synthetic{o: o, events: map[int][]int32{}}
	for d := range o.Days {
		sy.days = append(sy.days, newDayGen(o, d))
	}
	return sy
}

func (sy *synthetic) materialize() *store { return buildStore(Generate(sy.o)) }

// krange returns the rows of day g with from <= time < end.
func (sy *synthetic) krange(g *dayGen, from, end int64) (lo, hi int) {
	n := sy.o.PerDay
	lo = sort.Search(n, func(k int) bool { return g.unixOf(k) >= from })
	hi = sort.Search(n, func(k int) bool { return g.unixOf(k) >= end })
	return lo, max(lo, hi)
}

// group returns the rows of day g that share row k's second.
func (sy *synthetic) group(g *dayGen, k int) (lo, hi int) {
	u := g.unixOf(k)
	n := sy.o.PerDay
	lo = sort.Search(k, func(i int) bool { return g.unixOf(i) >= u })
	hi = k + 1 + sort.Search(n-k-1, func(i int) bool { return g.unixOf(k+1+i) > u })
	return lo, hi
}

// prefix returns day g's running count of events, computed once per day.
func (sy *synthetic) prefix(g *dayGen) []int32 {
	sy.mu.Lock()
	defer sy.mu.Unlock()
	if p, ok := sy.events[g.day]; ok {
		return p
	}
	p := make([]int32, sy.o.PerDay+1)
	for k := range sy.o.PerDay {
		p[k+1] = p[k]
		if g.isEvent(k) {
			p[k+1]++
		}
	}
	sy.events[g.day] = p
	return p
}

// wanted counts the rows of [lo, hi) of day g that sel wants, ignoring
// filters.
func (sy *synthetic) wanted(g *dayGen, lo, hi int, sel *selector) int {
	switch {
	case sel.base && sel.events:
		return hi - lo
	case !sel.base && !sel.events:
		return 0
	}
	p := sy.prefix(g)
	ev := int(p[hi] - p[lo])
	if sel.events {
		return ev
	}
	return hi - lo - ev
}

func (sy *synthetic) count(from, end int64, sel *selector) int {
	if len(sel.filters) > 0 {
		n := 0
		sy.each(from, end, func(c *Conversion) {
			if sel.match(c) {
				n++
			}
		})
		return n
	}
	n := 0
	for _, g := range sy.days {
		lo, hi := sy.krange(g, from, end)
		n += sy.wanted(g, lo, hi, sel)
	}
	return n
}

func (sy *synthetic) page(from, end int64, sel *selector, offset, limit int, fn func(*Conversion)) {
	if len(sel.filters) > 0 {
		sy.each(from, end, func(c *Conversion) {
			if limit == 0 || !sel.match(c) {
				return
			}
			if offset > 0 {
				offset--
				return
			}
			fn(c)
			limit--
		})
		return
	}
	for d := len(sy.days) - 1; d >= 0 && limit > 0; d-- {
		g := sy.days[d]
		lo, hi := sy.krange(g, from, end)
		if n := sy.wanted(g, lo, hi, sel); offset >= n {
			offset -= n
			continue
		}
		// Serving order within a day is k descending by second, so the
		// offset-th wanted row lies in the second holding the largest k
		// with more than offset wanted rows in [k, hi).
		k := lo + sort.Search(hi-lo, func(i int) bool { return sy.wanted(g, lo+i, hi, sel) <= offset }) - 1
		glo, ghi := sy.group(g, k)
		ghi = min(ghi, hi)
		offset -= sy.wanted(g, ghi, hi, sel)
		for top := ghi; top > lo && limit > 0; {
			glo, _ = sy.group(g, top-1)
			glo = max(glo, lo)
			sy.emitGroup(g, glo, top, sel, &offset, &limit, fn)
			top = glo
		}
		offset = 0
	}
}

// emitGroup serves rows [lo, hi) of day g, which share one second, in id
// order.
func (sy *synthetic) emitGroup(g *dayGen, lo, hi int, sel *selector, offset, limit *int, fn func(*Conversion)) {
	rows := make([]Conversion, 0, hi-lo)
	for k := lo; k < hi; k++ {
		rows = append(rows, g.row(k))
	}
	slices.SortStableFunc(rows, func(a, b Conversion) int { return cmp.Compare(a.ID, b.ID) })
	for i := range rows {
		if *limit == 0 {
			return
		}
		if !sel.match(&rows[i]) {
			continue
		}
		if *offset > 0 {
			*offset--
			continue
		}
		fn(&rows[i])
		*limit--
	}
}

func (sy *synthetic) each(from, end int64, fn func(*Conversion)) {
	all := selector{base: true, events: true}
	sy.page(from, end, &all, 0, int(^uint(0)>>1), fn)
}
