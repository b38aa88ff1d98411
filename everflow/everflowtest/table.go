package everflowtest

import (
	"cmp"
	"fmt"
	"math"
	"math/big"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Rates is the fixed value of one unit of each currency in US dollars that
// entity/table and the dashboard use to convert revenue into the requested
// currency_id (Everflow converts with live rates; a stand-in must be
// deterministic). Raw conversions are never converted. A conversion with
// an empty or unknown currency is taken to be in the requested currency.
// Treat it as read-only.
var Rates = map[string]string{
	"USD": "1",
	"EUR": "1.08",
	"GBP": "1.27",
	"CAD": "0.74",
	"AUD": "0.66",
	"JPY": "0.0067",
	"CHF": "1.12",
	"BRL": "0.2",
	"INR": "0.012",
	"MXN": "0.058",
	"SEK": "0.095",
	"PLN": "0.25",
}

// convRate returns the factor converting an amount in from into to.
func convRate(from, to string) *big.Rat {
	f, okf := Rates[from]
	t, okt := Rates[to]
	if !okf || !okt || from == to {
		return big.NewRat(1, 1)
	}
	rf, _ := new(big.Rat).SetString(f)
	rt, _ := new(big.Rat).SetString(t)
	return rf.Quo(rf, rt)
}

// sums adds amounts exactly per currency and converts once at the end:
// int64 hundred-millionths while they fit, big.Rat beyond, so a table over
// a million rows does not allocate a big.Rat per row.
type sums map[string]*sum

type sum struct {
	units int64    // hundred-millionths
	big   *big.Rat // what did not fit in units
}

func (ss sums) add(currency, amount string) {
	s := ss[currency]
	if s == nil {
		s = new(sum)
		ss[currency] = s
	}
	if u, ok := parseUnits(amount); ok && (u >= 0 && s.units <= math.MaxInt64-u || u < 0 && s.units >= math.MinInt64-u) {
		s.units += u
		return
	}
	if s.big == nil {
		s.big = new(big.Rat)
	}
	s.big.Add(s.big, parseAmount(amount))
}

// in returns the total converted into currency with Rates.
func (ss sums) in(currency string) *big.Rat {
	total := new(big.Rat)
	for cur, s := range ss {
		r := new(big.Rat).SetFrac(big.NewInt(s.units), big.NewInt(1e8))
		if s.big != nil {
			r.Add(r, s.big)
		}
		total.Add(total, r.Mul(r, convRate(cur, currency)))
	}
	return total
}

// parseUnits parses plain decimal text ("-12.3456") with at most 8
// decimals and 18 digits into hundred-millionths; anything else (exponents,
// more digits, strings that are not numbers) is left to parseAmount.
func parseUnits(s string) (int64, bool) {
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > 8 || len(whole)+8 > 18 {
		return 0, false
	}
	var u int64
	for _, part := range []string{whole, frac + "00000000"[len(frac):]} {
		for i := 0; i < len(part); i++ {
			c := part[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			u = u*10 + int64(c-'0')
		}
	}
	if neg {
		u = -u
	}
	return u, true
}

// parseAmount parses decimal text exactly; text that is not a number (only
// possible with RevenueAsString) counts as 0.
func parseAmount(s string) *big.Rat {
	r, ok := new(big.Rat).SetString(s)
	if !ok || s == "" {
		return new(big.Rat)
	}
	return r
}

// appendDecimal appends r as a JSON number: exact when r has at most 8
// decimals, otherwise (a converted amount) rounded half-even to 4.
func appendDecimal(b []byte, r *big.Rat) []byte {
	places := -1
	for p := 0; p <= 8; p++ {
		scaled := new(big.Rat).Mul(r, new(big.Rat).SetInt(pow10(p)))
		if scaled.IsInt() {
			places = p
			break
		}
	}
	if places < 0 {
		places = 4
		scaled := new(big.Rat).Mul(r, new(big.Rat).SetInt(pow10(places)))
		q, m := new(big.Int).QuoRem(scaled.Num(), scaled.Denom(), new(big.Int))
		// q is truncated toward zero; round half to even on |remainder|.
		twice := new(big.Int).Abs(m)
		twice.Lsh(twice, 1)
		if c := twice.Cmp(scaled.Denom()); c > 0 || c == 0 && q.Bit(0) == 1 {
			if scaled.Sign() < 0 {
				q.Sub(q, big.NewInt(1))
			} else {
				q.Add(q, big.NewInt(1))
			}
		}
		r = new(big.Rat).SetFrac(q, pow10(places))
	}
	s := r.FloatString(places)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return append(b, s...)
}

func pow10(n int) *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil) }

// Columns of entity/table the stand-in supports. Granular ones count
// against the hourly quota; time ones are at most one per request.
var (
	granularColumns = map[string]bool{"sub1": true, "sub2": true, "sub3": true, "sub4": true, "sub5": true, "country": true, "event_name": true}
	timeColumns     = map[string]bool{"hour": true, "date": true, "month": true, "year": true}
	otherColumns    = map[string]bool{"offer": true}
)

type tableRequest struct {
	From       *string `json:"from"`
	To         *string `json:"to"`
	TimezoneID *int    `json:"timezone_id"`
	CurrencyID *string `json:"currency_id"`
	Columns    *[]struct {
		Column string `json:"column"`
	} `json:"columns"`
	Query *query `json:"query"`
}

type tableCell struct{ typ, id, label string }

type tableRow struct {
	cells      []tableCell
	cv, events int64
	sums       sums
	revenue    *big.Rat // sums in the requested currency
}

// entityTable serves POST /v1/affiliates/reporting/entity/table. Dates are
// YYYY-MM-DD only, as documented; rows are sorted by revenue descending,
// then by column ids, and cut at MaxTableRows with incomplete_results.
func (s *Server) entityTable(_ *http.Request, body []byte) reply {
	var req tableRequest
	if rep, ok := decodeBody(body, &req); !ok {
		return rep
	}
	from, end, rep, ok := s.window(req.From, req.To, req.TimezoneID, false)
	if !ok {
		return rep
	}
	loc := locationOf(*req.TimezoneID)
	if req.CurrencyID == nil || *req.CurrencyID == "" {
		return errorReply(http.StatusBadRequest, "Invalid parameters: currency_id is required")
	}
	currency := *req.CurrencyID
	if _, ok := Rates[currency]; !ok {
		return errorReply(http.StatusBadRequest, fmt.Sprintf("Invalid parameters: unknown currency_id %q", currency))
	}
	if req.Columns == nil || len(*req.Columns) == 0 || len(*req.Columns) > 10 {
		return errorReply(http.StatusBadRequest, "Invalid parameters: columns must hold 1 to 10 entries")
	}
	var cols []string
	granular, times := false, 0
	for _, c := range *req.Columns {
		switch {
		case granularColumns[c.Column]:
			granular = true
		case timeColumns[c.Column]:
			times++
		case otherColumns[c.Column]:
		default:
			return errorReply(http.StatusBadRequest, fmt.Sprintf("Invalid parameters: unsupported column %q", c.Column))
		}
		if slices.Contains(cols, c.Column) {
			return errorReply(http.StatusBadRequest, fmt.Sprintf("Invalid parameters: duplicate column %q", c.Column))
		}
		cols = append(cols, c.Column)
	}
	if times > 1 {
		return errorReply(http.StatusBadRequest, "Invalid parameters: at most one time column")
	}
	fs, err := parseFilters(req.Query)
	if err != nil {
		return errorReply(http.StatusBadRequest, "Invalid parameters: "+err.Error())
	}
	if granular && !s.takeGranular() {
		return errorReply(http.StatusTooManyRequests, fmt.Sprintf("Granular reporting quota exceeded: %d queries per hour", s.opts.GranularPerHour))
	}

	st, _ := s.snapshot()
	sel := selector{base: true, events: true, filters: fs}
	groups := map[string]*tableRow{}
	var key strings.Builder
	cells := make([]tableCell, len(cols))
	st.each(from.Unix(), end.Unix(), func(c *Conversion) {
		if !sel.match(c) {
			return
		}
		key.Reset()
		for j, col := range cols {
			cells[j] = cellOf(col, c, loc)
			key.WriteString(cells[j].id)
			key.WriteByte(0)
		}
		g := groups[key.String()]
		if g == nil {
			// Rows come newest first, so an offer's label is its latest name.
			g = &tableRow{cells: slices.Clone(cells), sums: sums{}}
			groups[key.String()] = g
		}
		if c.IsEvent {
			g.events++
		} else {
			g.cv++
		}
		g.sums.add(c.Currency, c.Revenue)
	})
	rows := make([]*tableRow, 0, len(groups))
	for _, g := range groups {
		g.revenue = g.sums.in(currency)
		rows = append(rows, g)
	}
	slices.SortFunc(rows, func(a, b *tableRow) int {
		if c := b.revenue.Cmp(a.revenue); c != 0 {
			return c
		}
		for i := range a.cells {
			if c := cmp.Compare(a.cells[i].id, b.cells[i].id); c != 0 {
				return c
			}
		}
		return 0
	})
	incomplete := len(rows) > s.opts.MaxTableRows
	if incomplete {
		rows = rows[:s.opts.MaxTableRows]
	}

	b := getBuf()
	buf := append((*b)[:0], `{"table":[`...)
	for i, r := range rows {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, `{"columns":[`...)
		for j, c := range r.cells {
			if j > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, `{"column_type":`...)
			buf = appendString(buf, c.typ)
			buf = append(buf, `,"id":`...)
			buf = appendString(buf, c.id)
			buf = append(buf, `,"label":`...)
			buf = appendString(buf, c.label)
			buf = append(buf, '}')
		}
		buf = append(buf, `],"reporting":{"imp":0,"total_click":0,"unique_click":0,"invalid_click":0,"duplicate_click":0,"ctr":0,"cv":`...)
		buf = strconv.AppendInt(buf, r.cv, 10)
		buf = append(buf, `,"view_through_cv":0,"event":`...)
		buf = strconv.AppendInt(buf, r.events, 10)
		buf = append(buf, `,"cvr":0,"evr":0,"rpc":0,"rpm":0,"revenue":`...)
		buf = appendDecimal(buf, r.revenue)
		buf = append(buf, `,"redirect_traffic_revenue":0,"on_hold_conversion_count":0,"on_hold_potential_revenue":0}}`...)
	}
	buf = append(buf, ']')
	if incomplete {
		buf = append(buf, `,"incomplete_results":true`...)
	}
	buf = append(buf, '}')
	*b = buf
	return reply{status: http.StatusOK, body: b}
}

// cellOf returns conversion c's value of a column. Empty dimensions are
// "N/A", as in Everflow's tables; time columns have the unix time of the
// period's start (in the request's zone) as id.
func cellOf(col string, c *Conversion, loc *time.Location) tableCell {
	dim := func(v string) tableCell {
		if v == "" {
			v = "N/A"
		}
		return tableCell{col, v, v}
	}
	t := c.Time.In(loc)
	period := func(start time.Time, label string) tableCell {
		return tableCell{col, strconv.FormatInt(start.Unix(), 10), start.Format(label)}
	}
	switch col {
	case "offer":
		return tableCell{col, strconv.FormatInt(c.OfferID, 10), c.OfferName}
	case "country":
		return dim(c.Country)
	case "event_name":
		if !c.IsEvent {
			return dim("")
		}
		return dim(c.Event)
	case "hour":
		return period(t.Add(-time.Duration(t.Minute())*time.Minute-time.Duration(t.Second())*time.Second-time.Duration(t.Nanosecond())), "2006-01-02 15:00")
	case "date":
		return period(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc), "2006-01-02")
	case "month":
		return period(time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc), "2006-01")
	case "year":
		return period(time.Date(t.Year(), 1, 1, 0, 0, 0, 0, loc), "2006")
	}
	return dim(c.Subs[col[3]-'1']) // sub1..sub5
}

// takeGranular counts one granular query against the rolling hour (on
// Options.Now's clock) and reports whether the quota allowed it.
func (s *Server) takeGranular() bool {
	if s.opts.GranularPerHour < 0 {
		return true
	}
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := s.granular[:0]
	for _, t := range s.granular {
		if now.Sub(t) < time.Hour {
			kept = append(kept, t)
		}
	}
	s.granular = kept
	if len(s.granular) >= s.opts.GranularPerHour {
		return false
	}
	s.granular = append(s.granular, now)
	return true
}

type dashboardRequest struct {
	TimezoneID *int    `json:"timezone_id"`
	CurrencyID *string `json:"currency_id"`
}

// dashboard serves POST /v1/affiliates/dashboard/summary: today,
// yesterday, this month and last month in the request's zone, revenue
// converted into currency_id (default Options.Currency) with Rates.
func (s *Server) dashboard(_ *http.Request, body []byte) reply {
	var req dashboardRequest
	if rep, ok := decodeBody(body, &req); !ok {
		return rep
	}
	if req.TimezoneID == nil {
		return errorReply(http.StatusBadRequest, "Invalid parameters: timezone_id is required")
	}
	loc := locationOf(*req.TimezoneID)
	if loc == nil {
		return errorReply(http.StatusBadRequest, fmt.Sprintf("Invalid parameters: unknown timezone_id %d", *req.TimezoneID))
	}
	currency := s.opts.Currency
	if req.CurrencyID != nil {
		currency = *req.CurrencyID
		if _, ok := Rates[currency]; !ok {
			return errorReply(http.StatusBadRequest, fmt.Sprintf("Invalid parameters: unknown currency_id %q", currency))
		}
	}
	now := s.opts.Now().In(loc)
	y, m, d := now.Date()
	// Periods, in order: today, yesterday, current_month, last_month.
	bounds := [4][2]time.Time{
		{time.Date(y, m, d, 0, 0, 0, 0, loc), time.Date(y, m, d+1, 0, 0, 0, 0, loc)},
		{time.Date(y, m, d-1, 0, 0, 0, 0, loc), time.Date(y, m, d, 0, 0, 0, 0, loc)},
		{time.Date(y, m, 1, 0, 0, 0, 0, loc), time.Date(y, m, d+1, 0, 0, 0, 0, loc)},
		{time.Date(y, m-1, 1, 0, 0, 0, 0, loc), time.Date(y, m, 1, 0, 0, 0, 0, loc)},
	}
	var amounts [4]sums
	var conv, events [4]int64
	for i := range amounts {
		amounts[i] = sums{}
	}
	st, _ := s.snapshot()
	st.each(min(bounds[1][0].Unix(), bounds[3][0].Unix()), bounds[0][1].Unix(), func(c *Conversion) {
		u := c.Time.Unix()
		for p, bd := range bounds {
			if u < bd[0].Unix() || u >= bd[1].Unix() {
				continue
			}
			if c.IsEvent {
				events[p]++
			} else {
				conv[p]++
			}
			amounts[p].add(c.Currency, c.Revenue)
		}
	})
	var revenue [4]*big.Rat
	for i, a := range amounts {
		revenue[i] = a.in(currency)
	}
	b := getBuf()
	buf := append((*b)[:0], '{')
	metric := func(name string, vals [4]string, trend float64) {
		if len(buf) > 1 {
			buf = append(buf, ',')
		}
		buf = appendString(buf, name)
		buf = append(buf, ':', '{')
		for i, k := range []string{"today", "yesterday", "current_month", "last_month"} {
			buf = append(buf, '"')
			buf = append(buf, k...)
			buf = append(buf, `":`...)
			buf = append(buf, vals[i]...)
			buf = append(buf, ',')
		}
		buf = append(buf, `"trending_percentage":`...)
		buf = strconv.AppendFloat(buf, math.Round(trend*10)/10, 'f', -1, 64)
		buf = append(buf, '}')
	}
	var rv, cv, ev [4]string
	for i := range 4 {
		rv[i] = string(appendDecimal(nil, revenue[i]))
		cv[i] = strconv.FormatInt(conv[i], 10)
		ev[i] = strconv.FormatInt(events[i], 10)
	}
	rt, _ := trend(revenue[0], revenue[1]).Float64()
	metric("revenue", rv, rt)
	metric("conversion", cv, trendInt(conv[0], conv[1]))
	metric("events", ev, trendInt(events[0], events[1]))
	zero := [4]string{"0", "0", "0", "0"}
	for _, name := range []string{"click", "cvr", "evr", "redirect_revenue", "impression", "on_hold_potential_revenue", "on_hold_conversion_count"} {
		metric(name, zero, 0)
	}
	buf = append(buf, '}')
	*b = buf
	return reply{status: http.StatusOK, body: b}
}

// trend is today's change against yesterday in percent, 0 when yesterday
// is 0 (as in Everflow's example: 4 against 5.6 is -28.6).
func trend(today, yesterday *big.Rat) *big.Rat {
	if yesterday.Sign() == 0 {
		return new(big.Rat)
	}
	t := new(big.Rat).Sub(today, yesterday)
	t.Quo(t, yesterday)
	return t.Mul(t, big.NewRat(100, 1))
}

func trendInt(today, yesterday int64) float64 {
	f, _ := trend(big.NewRat(today, 1), big.NewRat(yesterday, 1)).Float64()
	return f
}
