package everflowtest

import (
	"encoding/hex"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// GenerateOptions describes a synthetic data set. Generation is
// deterministic: the same options give the same conversions, and each
// conversion depends only on the seed, its day and its index in the day, so
// GenerateDay of one day is cheap and equal to that day's part of Generate.
type GenerateOptions struct {
	// Seed selects the data set.
	Seed int64
	// From's calendar date in Location is the first day; the zero value
	// means 2026-01-01.
	From time.Time
	// Days is the number of consecutive days; 0 means 1.
	Days int
	// PerDay is the number of rows (conversions and events) per day; 0
	// means 100.
	PerDay int
	// Location is the zone whose days the rows are spread over (DST days
	// have 23 or 25 hours); nil means UTC.
	Location *time.Location
	// EventsRatio is the share of rows that are post-conversion events,
	// 0 to 1; 0 means none.
	EventsRatio float64
	// ReversalRatio is the share of base rows that are negative reversals;
	// 0 means 0.01, below 0 means none.
	ReversalRatio float64
	// StringRevenueRatio is the share of rows whose revenue is sent as a
	// JSON string ("5.25"); 0 means none.
	StringRevenueRatio float64
}

// Offers are the synthetic offers Generate draws from: several currencies,
// names with commas, quotes, unicode and a leading "=", and offer 105
// renamed at noon of every day (local time), so a day has both names.
// Treat it as read-only.
var Offers = []Offer{
	{ID: 101, Name: "Acme VPN - US", Currency: "USD"},
	{ID: 102, Name: "Kasa Bank, Sign-up (EU)", Currency: "EUR"},
	{ID: 103, Name: `Bücher "Premium" Trial`, Currency: "EUR"},
	{ID: 104, Name: "Tea Club UK", Currency: "GBP"},
	{ID: 105, Name: "Solar Leads", Renamed: "Solar Leads 2.0", Currency: "USD"},
	{ID: 106, Name: "旅行 Japan Travel", Currency: "JPY"},
	{ID: 107, Name: "=Promo+1 Offer", Currency: "CAD"},
	{ID: 108, Name: "Casino Bonus AU", Currency: "AUD"},
}

// Offer is one synthetic offer.
type Offer struct {
	// ID is relationship.offer.network_offer_id.
	ID int64
	// Name is the offer's name until local noon of each day.
	Name string
	// Renamed is the name from local noon on; "" when never renamed.
	Renamed string
	// Currency is the offer's currency_id.
	Currency string
}

// offerWeights are cumulative draw weights of Offers, out of 100.
var offerWeights = []uint64{30, 45, 55, 65, 80, 88, 95, 100}

// Sub values that trip naive writers: formula-, number-, date- and
// boolean-looking text, unicode, CSV metacharacters and long click ids.
var (
	sub1Values = []string{
		"", "", "", "facebook", "facebook", "google", "google", "tiktok",
		`=HYPERLINK("http://x","y")`, "+1", "-2", "@sum", "00123", "1e5",
		"2024-01-02", "TRUE", "ünïcødé ✓", "日本語キャンペーン", "a,b", `say "hi"`,
		"line1\nline2", " padded ", longClickID(1), longClickID(2), longClickID(3),
	}
	sub2Values = []string{"", "", "spring_sale", "brand", "retargeting", "0", "FALSE", "😀 emoji"}
	sub3Values = []string{"", "", "", "", "creative-7", "creative-12"}
	sub45      = []string{"", "", "", "", "", "", "", "x"}
	countries  = []string{"United States", "United States", "Germany", "United Kingdom", "Japan", "Canada", "Australia", "Côte d'Ivoire", ""}
	eventNames = []string{"Deposit", "Purchase", "Upsell", "First Trade"}
)

// longClickID is a 150-character base64-ish id, like a Meta click id.
func longClickID(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	p := rand.NewPCG(uint64(n), 0x1d)
	var b strings.Builder
	b.WriteString("IwAR")
	for b.Len() < 150 {
		b.WriteByte(alphabet[p.Uint64()%uint64(len(alphabet))])
	}
	return b.String()
}

// omittable fields, in the bit order of omitTable's index.
var omittable = []string{"sub1", "sub2", "sub3", "sub4", "sub5", "is_event", "revenue", "country"}

// omitTable holds one shared Omit slice per subset of omittable, so
// generated rows do not each allocate one. The slices are read-only.
var omitTable = func() [][]string {
	t := make([][]string, 1<<len(omittable))
	for mask := range t {
		for i, f := range omittable {
			if mask&(1<<i) != 0 {
				t[mask] = append(t[mask], f)
			}
		}
	}
	return t
}()

func (o GenerateOptions) normalized() GenerateOptions {
	if o.From.IsZero() {
		o.From = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if o.Days == 0 {
		o.Days = 1
	}
	if o.PerDay == 0 {
		o.PerDay = 100
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.ReversalRatio == 0 {
		o.ReversalRatio = 0.01
	}
	return o
}

// Generate returns o.Days × o.PerDay synthetic conversions, in time order.
func Generate(o GenerateOptions) []Conversion {
	o = o.normalized()
	out := make([]Conversion, 0, o.Days*o.PerDay)
	for d := range o.Days {
		out = appendDay(out, o, d)
	}
	return out
}

// GenerateDay returns day number day (0 is o.From's date) of Generate(o),
// without generating the other days.
func GenerateDay(o GenerateOptions, day int) []Conversion {
	o = o.normalized()
	return appendDay(make([]Conversion, 0, o.PerDay), o, day)
}

func appendDay(out []Conversion, o GenerateOptions, day int) []Conversion {
	g := newDayGen(o, day)
	for k := range o.PerDay {
		out = append(out, g.row(k))
	}
	return out
}

// dayGen generates the rows of one day; row k depends only on (seed, day, k).
type dayGen struct {
	o      GenerateOptions
	day    int
	start  int64 // unix of the day's first second
	length int64 // seconds in the day: 82800, 86400 or 90000 around DST
	noon   int64
}

func newDayGen(o GenerateOptions, day int) *dayGen {
	y, m, d := o.From.In(o.Location).Date()
	start := time.Date(y, m, d+day, 0, 0, 0, 0, o.Location)
	end := time.Date(y, m, d+day+1, 0, 0, 0, 0, o.Location)
	noon := time.Date(y, m, d+day, 12, 0, 0, 0, o.Location)
	return &dayGen{o: o, day: day, start: start.Unix(), length: end.Unix() - start.Unix(), noon: noon.Unix()}
}

// rng returns the random stream of row k; its first draw decides whether
// the row is an event.
func (g *dayGen) rng(k int) *rand.PCG {
	return rand.NewPCG(uint64(g.o.Seed), uint64(g.day)<<32|uint64(k))
}

func unit(p *rand.PCG) float64 { return float64(p.Uint64()>>11) / (1 << 53) }

func pick[T any](p *rand.PCG, s []T) T { return s[p.Uint64()%uint64(len(s))] }

func (g *dayGen) isEvent(k int) bool { return unit(g.rng(k)) < g.o.EventsRatio }

// unixOf spreads the rows evenly and in order over the day, the first at
// its first second and the last at its last second, so day edges are
// always exercised.
func (g *dayGen) unixOf(k int) int64 {
	if g.o.PerDay == 1 {
		return g.start + g.length/2
	}
	return g.start + int64(k)*(g.length-1)/int64(g.o.PerDay-1)
}

// txOf is the transaction (click) id of base row k.
func (g *dayGen) txOf(k int) string {
	p := rand.NewPCG(uint64(g.o.Seed)^0x7478, uint64(g.day)<<32|uint64(k))
	return hex32(p)
}

// baseBefore returns a base row at or before j, else after j and before k,
// else k itself.
func (g *dayGen) baseBefore(k, j int) int {
	for i := j; i >= 0; i-- {
		if !g.isEvent(i) {
			return i
		}
	}
	for i := j + 1; i < k; i++ {
		if !g.isEvent(i) {
			return i
		}
	}
	return k
}

func hex32(p *rand.PCG) string {
	var raw [16]byte
	a, b := p.Uint64(), p.Uint64()
	for i := range 8 {
		raw[i] = byte(a >> (8 * i))
		raw[8+i] = byte(b >> (8 * i))
	}
	return hex.EncodeToString(raw[:])
}

func (g *dayGen) row(k int) Conversion {
	p := g.rng(k)
	c := Conversion{IsEvent: unit(p) < g.o.EventsRatio}
	c.ID = hex32(p)
	unix := g.unixOf(k)
	c.Time = time.Unix(unix, 0).In(g.o.Location)

	w := p.Uint64() % 100
	off := Offers[len(Offers)-1]
	for i, cw := range offerWeights {
		if w < cw {
			off = Offers[i]
			break
		}
	}
	c.OfferID, c.OfferName, c.Currency = off.ID, off.Name, off.Currency
	if off.Renamed != "" && unix >= g.noon {
		c.OfferName = off.Renamed
	}

	units := amount(p, off.Currency)
	c.TransactionID = g.txOf(k)
	if c.IsEvent {
		c.Event = pick(p, eventNames)
		units /= 3
		// An event shares the click id of an earlier base conversion of
		// the day, when there is one.
		if k > 0 {
			c.TransactionID = g.txOf(g.baseBefore(k, k-1-int(p.Uint64()%uint64(min(k, 64)))))
		}
	} else if g.o.ReversalRatio > 0 && unit(p) < g.o.ReversalRatio {
		units = -units
	}
	if p.Uint64()%100 == 0 {
		units = 0
	}
	c.Revenue = formatUnits(units)
	c.RevenueAsString = unit(p) < g.o.StringRevenueRatio
	if off.ID == 102 || off.ID == 103 {
		c.SaleAmount = formatUnits(abs(units) * 8)
	}

	c.Subs = [5]string{pick(p, sub1Values), pick(p, sub2Values), pick(p, sub3Values), pick(p, sub45), pick(p, sub45)}
	c.Country = pick(p, countries)

	// Omit some zero-valued fields, as proto3 JSON may.
	mask := 0
	for i, v := range c.Subs {
		if v == "" && p.Uint64()%2 == 0 {
			mask |= 1 << i
		}
	}
	if !c.IsEvent && p.Uint64()%5 == 0 {
		mask |= 1 << 5
	}
	if units == 0 {
		mask |= 1 << 6
	}
	if c.Country == "" && p.Uint64()%2 == 0 {
		mask |= 1 << 7
	}
	c.Omit = omitTable[mask]
	return c
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// amount draws earnings in ten-thousandths: 0.1-style values that float
// sums get wrong, cents, 4-decimal amounts and whole amounts; whole yen.
func amount(p *rand.PCG, currency string) int64 {
	if currency == "JPY" {
		return int64(50+p.Uint64()%5000) * 10000
	}
	switch r := p.Uint64() % 100; {
	case r < 25:
		return int64(pick(p, []int64{1000, 2000, 3000, 7000}))
	case r < 70:
		return int64(100+p.Uint64()%9900) * 100
	case r < 90:
		return int64(1 + p.Uint64()%999999)
	default:
		return int64(1+p.Uint64()%200) * 10000
	}
}

// formatUnits writes ten-thousandths as the shortest decimal text, as a
// JSON encoder of the float would: 1000 -> "0.1", 250000 -> "25".
func formatUnits(u int64) string {
	neg := u < 0
	if neg {
		u = -u
	}
	s := strconv.FormatInt(u/10000, 10)
	if frac := u % 10000; frac != 0 {
		f := strconv.FormatInt(frac+10000, 10)[1:]
		s += "." + strings.TrimRight(f, "0")
	}
	if neg {
		s = "-" + s
	}
	return s
}
