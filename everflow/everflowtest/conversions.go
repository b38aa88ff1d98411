package everflowtest

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// conversionsRequest is the body of POST /v1/affiliates/reporting/
// conversions. Pointers tell missing fields from zero values. Page and
// PageSize are decoded only to document that the body's paging is ignored.
type conversionsRequest struct {
	From            *string `json:"from"`
	To              *string `json:"to"`
	TimezoneID      *int    `json:"timezone_id"`
	ShowConversions *bool   `json:"show_conversions"`
	ShowEvents      *bool   `json:"show_events"`
	Query           *query  `json:"query"`
	// Everflow silently ignores paging in the body; so does the stand-in.
	Page     any `json:"page"`
	PageSize any `json:"page_size"`
}

type query struct {
	Filters     []filter          `json:"filters"`
	SearchTerms []json.RawMessage `json:"search_terms"`
}

type filter struct {
	Value        *string `json:"filter_id_value"`
	ResourceType string  `json:"resource_type"`
}

// filterSet maps a resource type to the accepted values: values of one
// type are OR-ed, types are AND-ed (legacy docs).
type filterSet map[string][]string

func parseFilters(q *query) (filterSet, error) {
	if q == nil {
		return nil, nil
	}
	if len(q.SearchTerms) > 0 {
		return nil, fmt.Errorf("search_terms are not supported")
	}
	fs := filterSet{}
	for _, f := range q.Filters {
		if f.Value == nil {
			return nil, fmt.Errorf("filter_id_value is required")
		}
		switch f.ResourceType {
		case "offer", "country", "sub1", "sub2", "sub3", "sub4", "sub5":
		default:
			return nil, fmt.Errorf("unsupported filter resource_type %q", f.ResourceType)
		}
		fs[f.ResourceType] = append(fs[f.ResourceType], *f.Value)
	}
	if len(fs) == 0 {
		return nil, nil
	}
	return fs, nil
}

func (fs filterSet) match(c *Conversion) bool {
	for typ, values := range fs {
		var v string
		switch typ {
		case "offer":
			v = strconv.FormatInt(c.OfferID, 10)
		case "country":
			v = c.Country
		default: // sub1..sub5
			v = c.Subs[typ[3]-'1']
		}
		if !slices.Contains(values, v) {
			return false
		}
	}
	return true
}

// parsePaging reads page and page_size from the query string, the only
// place Everflow reads them.
func (s *Server) parsePaging(q url.Values) (page, size int, msg string) {
	page, size = 1, s.opts.DefaultPageSize
	if v, ok := q["page"]; ok {
		n, err := strconv.Atoi(v[0])
		if err != nil || n < 1 {
			return 0, 0, "Invalid parameters: page must be a positive integer"
		}
		page = n
	}
	if v, ok := q["page_size"]; ok {
		n, err := strconv.Atoi(v[0])
		if err != nil || n < 1 {
			return 0, 0, "Invalid parameters: page_size must be a positive integer"
		}
		if n > s.opts.MaxPageSize {
			return 0, 0, fmt.Sprintf("Invalid parameters: page_size must not exceed %d", s.opts.MaxPageSize)
		}
		size = n
	}
	return page, size, ""
}

func (s *Server) conversions(r *http.Request, body []byte) reply {
	var req conversionsRequest
	if rep, ok := decodeBody(body, &req); !ok {
		return rep
	}
	from, end, rep, ok := s.window(req.From, req.To, req.TimezoneID, true)
	if !ok {
		return rep
	}
	sel := selector{base: true}
	if req.ShowConversions != nil {
		sel.base = *req.ShowConversions
	}
	if req.ShowEvents != nil {
		sel.events = *req.ShowEvents
	}
	fs, err := parseFilters(req.Query)
	if err != nil {
		return errorReply(http.StatusBadRequest, "Invalid parameters: "+err.Error())
	}
	sel.filters = fs
	page, size, msg := s.parsePaging(r.URL.Query())
	if msg != "" {
		return errorReply(http.StatusBadRequest, msg)
	}

	st, ignorePaging := s.snapshot()
	total := st.count(from.Unix(), end.Unix(), &sel)
	served := page
	if ignorePaging {
		served = 1
	}
	b := getBuf()
	buf := (*b)[:0]
	buf = append(buf, `{"conversions":[`...)
	first := true
	if offset := (served - 1) * size; offset < total && offset/size == served-1 { // the second test guards overflow
		st.page(from.Unix(), end.Unix(), &sel, offset, size, func(c *Conversion) {
			if !first {
				buf = append(buf, ',')
			}
			first = false
			buf = appendConversion(buf, c, s.opts.NetworkID)
		})
	}
	buf = append(buf, `],"paging":{"page":`...)
	buf = strconv.AppendInt(buf, int64(page), 10)
	buf = append(buf, `,"page_size":`...)
	buf = strconv.AppendInt(buf, int64(size), 10)
	buf = append(buf, `,"total_count":`...)
	buf = strconv.AppendInt(buf, int64(total), 10)
	buf = append(buf, "}}"...)
	*b = buf
	return reply{status: http.StatusOK, body: b, page: page}
}

// conversion serves GET /v1/affiliates/reporting/conversions/{id}.
func (s *Server) conversion(id string) reply {
	st, _ := s.snapshot()
	var b *[]byte
	st.each(math.MinInt64, math.MaxInt64, func(c *Conversion) {
		if b == nil && c.ID == id {
			b = getBuf()
			*b = appendConversion(*b, c, s.opts.NetworkID)
		}
	})
	if b == nil {
		return errorReply(http.StatusNotFound, "Conversion not found")
	}
	return reply{status: http.StatusOK, body: b}
}

// Date layouts Everflow accepts for from and to.
const (
	layoutDate     = "2006-01-02"
	layoutDateTime = "2006-01-02 15:04:05"
)

// window validates from, to and timezone_id and returns the half-open
// interval [from, end) they cover. A date-only "to" covers its whole day,
// up to the next midnight in the zone, computed with time.Date so DST days
// have 23 or 25 hours; a "to" with a time covers that second.
func (s *Server) window(fromS, toS *string, tzID *int, allowTime bool) (from, end time.Time, rep reply, ok bool) {
	bad := func(msg string) (time.Time, time.Time, reply, bool) {
		return time.Time{}, time.Time{}, errorReply(http.StatusBadRequest, msg), false
	}
	switch {
	case fromS == nil:
		return bad("Invalid parameters: from is required")
	case toS == nil:
		return bad("Invalid parameters: to is required")
	case tzID == nil:
		return bad("Invalid parameters: timezone_id is required")
	}
	loc := locationOf(*tzID)
	if loc == nil {
		return bad(fmt.Sprintf("Invalid parameters: unknown timezone_id %d", *tzID))
	}
	from, ok = parseBound(*fromS, loc, false, allowTime)
	if !ok {
		return bad("Invalid parameters: from must be YYYY-MM-DD" + timeHint(allowTime))
	}
	end, ok = parseBound(*toS, loc, true, allowTime)
	if !ok {
		return bad("Invalid parameters: to must be YYYY-MM-DD" + timeHint(allowTime))
	}
	if !end.After(from) {
		return bad("Invalid parameters: from must not be after to")
	}
	today := s.opts.Now().In(loc)
	earliest := time.Date(today.Year(), today.Month(), today.Day()-365, 0, 0, 0, 0, loc)
	if from.Before(earliest) {
		return bad("Date range must be within the last 365 days.")
	}
	y, m, d := from.Date()
	if end.After(time.Date(y+1, m, d+1, 0, 0, 0, 0, loc)) {
		return bad("Date range cannot be longer than one year.")
	}
	return from, end, reply{}, true
}

func timeHint(allowTime bool) string {
	if allowTime {
		return " or YYYY-MM-DD HH:MM:SS"
	}
	return ""
}

// parseBound parses one bound in loc; an end bound is returned exclusive.
func parseBound(v string, loc *time.Location, isEnd, allowTime bool) (time.Time, bool) {
	if t, err := time.Parse(layoutDate, v); err == nil {
		y, m, d := t.Date()
		if isEnd {
			d++
		}
		return time.Date(y, m, d, 0, 0, 0, 0, loc), true
	}
	if !allowTime {
		return time.Time{}, false
	}
	t, err := time.ParseInLocation(layoutDateTime, v, loc)
	if err != nil {
		return time.Time{}, false
	}
	if isEnd {
		t = t.Add(time.Second)
	}
	return t, true
}

// omitted reports whether field is in c.Omit.
func omitted(c *Conversion, field string) bool {
	return len(c.Omit) > 0 && slices.Contains(c.Omit, field)
}

// appendConversion appends c as Everflow's affiliate conversion JSON, in
// the field order of real responses, with a sprinkling of fields a client
// ignores so that decoding is realistic.
func appendConversion(b []byte, c *Conversion, networkID int64) []byte {
	h := fnv.New32a()
	_, _ = h.Write([]byte(c.ID))
	hash := h.Sum32()
	unix := c.Time.Unix()

	b = append(b, '{')
	sep := false
	fieldAs := func(omitKey, name string) bool {
		if omitted(c, omitKey) {
			return false
		}
		if sep {
			b = append(b, ',')
		}
		sep = true
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, '"', ':')
		return true
	}
	field := func(name string) bool { return fieldAs(name, name) }
	if field("conversion_id") {
		b = appendString(b, c.ID)
	}
	if field("transaction_id") {
		b = appendString(b, c.TransactionID)
	}
	if field("conversion_unix_timestamp") {
		b = strconv.AppendInt(b, unix, 10)
	}
	if field("click_unix_timestamp") {
		b = strconv.AppendInt(b, unix-int64(hash%7200), 10)
	}
	for i, v := range c.Subs {
		if field(subNames[i]) {
			b = appendString(b, v)
		}
	}
	if field("source_id") {
		b = append(b, `""`...)
	}
	if field("revenue_type") {
		b = append(b, `"CPA"`...)
	}
	if field("revenue") {
		switch {
		case c.RevenueAsString:
			b = appendString(b, c.Revenue)
		case c.Revenue == "":
			b = append(b, '0')
		default:
			b = append(b, c.Revenue...)
		}
	}
	if field("sale_amount") {
		if c.SaleAmount == "" {
			b = append(b, '0')
		} else {
			b = append(b, c.SaleAmount...)
		}
	}
	if field("event") {
		ev := c.Event
		if ev == "" && !c.IsEvent {
			ev = "Base"
		}
		b = appendString(b, ev)
	}
	if field("is_event") {
		b = strconv.AppendBool(b, c.IsEvent)
	}
	if field("session_user_ip") {
		b = appendIP(b, hash)
	}
	if field("conversion_user_ip") {
		b = appendIP(b, hash)
	}
	if field("country") {
		b = appendString(b, c.Country)
	}
	if field("region") {
		b = append(b, `""`...)
	}
	if field("city") {
		b = append(b, `""`...)
	}
	if field("dma") {
		b = append(b, '0')
	}
	if field("platform") {
		b = append(b, platforms[hash%uint32(len(platforms))]...)
	}
	if field("device_type") {
		b = append(b, devices[hash/7%uint32(len(devices))]...)
	}
	if field("http_user_agent") {
		b = append(b, `"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)"`...)
	}
	if field("currency_id") {
		b = appendString(b, c.Currency)
	}
	if field("is_view_through") {
		b = append(b, "false"...)
	}
	if field("order_id") {
		b = append(b, `""`...)
	}
	if field("relationship") {
		b = append(b, '{')
		if !omitted(c, "relationship.offer") {
			b = append(b, `"offer":{`...)
			sep = false
			if fieldAs("relationship.offer.network_offer_id", "network_offer_id") {
				b = strconv.AppendInt(b, c.OfferID, 10)
			}
			if fieldAs("relationship.offer.name", "name") {
				b = appendString(b, c.OfferName)
			}
			if fieldAs("relationship.offer.network_id", "network_id") {
				b = strconv.AppendInt(b, networkID, 10)
			}
			b = append(b, '}')
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

var (
	subNames  = [5]string{"sub1", "sub2", "sub3", "sub4", "sub5"}
	platforms = []string{`"Windows"`, `"iOS"`, `"Android"`, `"macOS"`, `"Linux"`}
	devices   = []string{`"Desktop"`, `"Mobile"`, `"Tablet"`}
)

// appendIP appends an address of the documentation range 198.51.100.0/24.
func appendIP(b []byte, hash uint32) []byte {
	b = append(b, `"198.51.100.`...)
	b = strconv.AppendUint(b, uint64(hash%254+1), 10)
	return append(b, '"')
}

// appendString appends s as a JSON string: quotes, backslashes and control
// characters escaped, invalid UTF-8 replaced, everything else verbatim.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x80 {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// isJSONNumber reports whether s is a number by JSON's grammar.
func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}
