package everflow

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"golang.org/x/time/rate"

	"github.com/eflow-digest/eflow-digest/everflow/everflowtest"
)

// expected is the Conversion the client must decode from a stand-in row,
// following the stand-in's documented wire form: zero revenue is sent as 0,
// a base row without an event name as "Base", omitted fields not at all.
func expected(c everflowtest.Conversion) Conversion {
	omit := func(f string) bool { return slices.Contains(c.Omit, f) }
	var w Conversion
	if !omit("conversion_id") {
		w.ConversionID = c.ID
	}
	if !omit("transaction_id") {
		w.TransactionID = c.TransactionID
	}
	if !omit("conversion_unix_timestamp") {
		w.UnixTimestamp = c.Time.Unix()
	}
	if !omit("revenue") {
		w.Revenue = Decimal(cmp.Or(c.Revenue, "0"))
	}
	if !omit("currency_id") {
		w.CurrencyID = c.Currency
	}
	if !omit("is_event") {
		w.IsEvent = c.IsEvent
	}
	if !omit("event") {
		w.Event = c.Event
		if w.Event == "" && !c.IsEvent {
			w.Event = "Base"
		}
	}
	subs := []*string{&w.Sub1, &w.Sub2, &w.Sub3, &w.Sub4, &w.Sub5}
	for i, p := range subs {
		if !omit(fmt.Sprintf("sub%d", i+1)) {
			*p = c.Subs[i]
		}
	}
	if !omit("relationship") && !omit("relationship.offer") {
		if !omit("relationship.offer.network_offer_id") {
			w.Relationship.Offer.NetworkOfferID = c.OfferID
		}
		if !omit("relationship.offer.name") {
			w.Relationship.Offer.Name = c.OfferName
		}
	}
	return w
}

// expectDay returns what Conversions must hand over for date in loc: the
// rows whose time falls on that calendar day there, computed here
// independently of the server's bucketing.
func expectDay(data []everflowtest.Conversion, date string, loc *time.Location, events bool) []Conversion {
	var out []Conversion
	for _, c := range data {
		if c.Time.In(loc).Format(time.DateOnly) != date || c.IsEvent && !events {
			continue
		}
		out = append(out, expected(c))
	}
	return sortByID(out)
}

func sortByID(cs []Conversion) []Conversion {
	slices.SortFunc(cs, func(a, b Conversion) int { return strings.Compare(a.ConversionID, b.ConversionID) })
	return cs
}

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestConversionsDay(t *testing.T) {
	t.Parallel()
	ny := mustLoad(t, "America/New_York")
	la := mustLoad(t, "America/Los_Angeles")
	threeDays := func(seed int64, first string, loc *time.Location, perDay int) []everflowtest.Conversion {
		d, _ := time.ParseInLocation(time.DateOnly, first, loc)
		return everflowtest.Generate(everflowtest.GenerateOptions{
			Seed: seed, From: d, Days: 3, PerDay: perDay, Location: loc, EventsRatio: 0.2, StringRevenueRatio: 0.3,
		})
	}
	tests := []struct {
		name     string
		data     []everflowtest.Conversion
		date     string
		loc      *time.Location
		tz       int
		events   bool
		pageSize int
		wantN    int // rows expected, as a check on expectDay itself
	}{
		{name: "one page", data: generateDay(1, testDay, time.UTC, 7, 0), date: testDay, loc: time.UTC, tz: 67, events: true, pageSize: 10, wantN: 7},
		{name: "exact pages", data: generateDay(2, testDay, time.UTC, 40, 0), date: testDay, loc: time.UTC, tz: 67, events: true, pageSize: 10, wantN: 40},
		{name: "partial last page", data: generateDay(3, testDay, time.UTC, 95, 0.3), date: testDay, loc: time.UTC, tz: 67, events: true, pageSize: 10, wantN: 95},
		{name: "events off", data: generateDay(4, testDay, time.UTC, 60, 0.5), date: testDay, loc: time.UTC, tz: 67, events: false, pageSize: 10},
		{name: "empty day", data: generateDay(5, "2026-11-19", time.UTC, 20, 0), date: testDay, loc: time.UTC, tz: 67, events: true, pageSize: 10, wantN: 0},
		{name: "neighbours excluded", data: threeDays(6, "2026-11-19", time.UTC, 30), date: testDay, loc: time.UTC, tz: 67, events: true, pageSize: 7, wantN: 30},
		{name: "other zone", data: threeDays(7, "2026-11-19", la, 30), date: testDay, loc: la, tz: 90, events: true, pageSize: 7, wantN: 30},
		{name: "DST spring forward, 23 hours", data: threeDays(8, "2026-03-07", ny, 48), date: "2026-03-08", loc: ny, tz: 80, events: true, pageSize: 9, wantN: 48},
		{name: "DST fall back, 25 hours", data: threeDays(9, "2026-10-31", ny, 50), date: "2026-11-01", loc: ny, tz: 80, events: true, pageSize: 9, wantN: 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, srv, _ := standIn(t, everflowtest.Options{}, tt.data)
			c.pageSize = tt.pageSize
			want := expectDay(tt.data, tt.date, tt.loc, tt.events)
			if tt.wantN != 0 || tt.name == "empty day" {
				if len(want) != tt.wantN {
					t.Fatalf("test data: %d rows on %s, want %d", len(want), tt.date, tt.wantN)
				}
			}
			got, st, err := collect(t, c, ConversionsQuery{Date: tt.date, TimezoneID: tt.tz, Events: tt.events})
			if err != nil {
				t.Fatalf("Conversions: %v", err)
			}
			if diff := gocmp.Diff(want, sortByID(got)); diff != "" {
				t.Errorf("conversions (-want +got):\n%s", diff)
			}
			pages := max(1, (len(want)+tt.pageSize-1)/tt.pageSize)
			wantStats := PageStats{Pages: pages, Conversions: len(want), TotalCount: len(want)}
			if diff := gocmp.Diff(wantStats, st); diff != "" {
				t.Errorf("stats (-want +got):\n%s", diff)
			}
			if n := srv.Stats().PerPath[everflowtest.PathConversions]; n != int64(pages) {
				t.Errorf("server saw %d conversions requests, want %d (one per page)", n, pages)
			}
		})
	}
}

// TestConversionsPageShift: a conversion inserted while paging (after page
// 1 was served) shifts later pages or lands past the planned last page;
// every conversion, the new one included, is handed over exactly once and
// the count matches.
func TestConversionsPageShift(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		n      int
		newest bool // the insert sorts first (shifting every page) or last
	}{
		{name: "shift, last page has room", n: 35, newest: true},
		{name: "shift, pages exactly full", n: 40, newest: true},
		{name: "append, last page has room", n: 35},
		{name: "append, new page", n: 40},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data := generateDay(11, testDay, time.UTC, tt.n, 0.2)
			c, srv, _ := standIn(t, everflowtest.Options{}, data)
			late := everflowtest.Conversion{
				ID: "0123456789abcdef0123456789abcdef", TransactionID: "tx-late",
				Time: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), OfferID: 101, OfferName: "Late",
				Currency: "USD", Revenue: "2.5",
			}
			if tt.newest {
				late.Time = time.Date(2026, 11, 20, 23, 59, 59, 0, time.UTC)
			}
			srv.InsertDuringPaging(1, late)
			var got []Conversion
			st, err := c.Conversions(t.Context(), dayQuery(), func(cv Conversion) error {
				// Page 1 is delivered before other pages are asked for; wait
				// here until the server has counted page 1 as served (and so
				// made the insert), so the shift is certain.
				for len(got) == 0 && srv.Stats().Pages < 1 {
					runtime.Gosched()
				}
				got = append(got, cv)
				return nil
			})
			if err != nil {
				t.Fatalf("Conversions: %v", err)
			}
			want := expectDay(append(slices.Clone(data), late), testDay, time.UTC, true)
			if diff := gocmp.Diff(want, sortByID(got)); diff != "" {
				t.Errorf("conversions (-want +got):\n%s", diff)
			}
			if st.Conversions != tt.n+1 || st.TotalCount != tt.n+1 || !st.Rewalked {
				t.Errorf("stats = %+v, want %d conversions and total, rewalked", st, tt.n+1)
			}
		})
	}
}

// TestConversionsDeletedWhilePaging: a conversion handed over and then
// removed (a reversal) makes the count impossible to vouch for.
func TestConversionsDeletedWhilePaging(t *testing.T) {
	t.Parallel()
	data := generateDay(12, testDay, time.UTC, 30, 0)
	c, srv, _ := standIn(t, everflowtest.Options{}, data)
	deleted := false
	_, err := c.Conversions(t.Context(), dayQuery(), func(cv Conversion) error {
		if !deleted {
			// Page 1 is delivered before any other page is asked for.
			srv.Delete(cv.ConversionID)
			deleted = true
		}
		return nil
	})
	if !errors.Is(err, ErrCountMismatch) {
		t.Fatalf("err = %v, want ErrCountMismatch", err)
	}
	if !strings.Contains(err.Error(), "gone") {
		t.Errorf("error %q does not say conversions disappeared", err)
	}
}

// TestConversionsIgnoredPaging is the documented trap: a server that
// serves page 1 whatever page is asked. It must fail, having handed over
// page 1 only once.
func TestConversionsIgnoredPaging(t *testing.T) {
	t.Parallel()
	data := generateDay(13, testDay, time.UTC, 45, 0)
	c, srv, _ := standIn(t, everflowtest.Options{}, data)
	srv.SetIgnorePaging(true)
	seen := map[string]int{}
	_, err := c.Conversions(t.Context(), dayQuery(), func(cv Conversion) error {
		seen[cv.ConversionID]++
		return nil
	})
	if !errors.Is(err, ErrPagingIgnored) {
		t.Fatalf("err = %v, want ErrPagingIgnored", err)
	}
	if len(seen) != 10 {
		t.Errorf("handed over %d conversions, want the 10 of page 1", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("conversion %s handed over %d times", id, n)
		}
	}
}

// TestConversionsPagingEcho: servers that answer another page than the one
// asked, as said by paging.page or by the rows themselves.
func TestConversionsPagingEcho(t *testing.T) {
	t.Parallel()
	row := func(id string) string {
		return fmt.Sprintf(`{"conversion_id":%q,"revenue":1,"currency_id":"USD"}`, id)
	}
	page := func(n, total int, ids ...string) string {
		var rows []string
		for _, id := range ids {
			rows = append(rows, row(id))
		}
		return fmt.Sprintf(`{"conversions":[%s],"paging":{"page":%d,"page_size":2,"total_count":%d}}`, strings.Join(rows, ","), n, total)
	}
	tests := []struct {
		name  string
		pages map[string]string // by the page query parameter
	}{
		{name: "page 1 echoed for page 2", pages: map[string]string{
			"1": page(1, 4, "a1", "a2"), "2": page(1, 4, "a3", "a4"),
		}},
		{name: "page 2 repeats page 1 rows", pages: map[string]string{
			"1": page(1, 4, "a1", "a2"), "2": page(2, 4, "a1", "a2"),
		}},
		{name: "page 3 repeats page 2", pages: map[string]string{
			"1": page(1, 6, "a1", "a2"), "2": page(2, 6, "a3", "a4"), "3": page(3, 6, "a3", "a4"),
		}},
		{name: "more rows than page_size", pages: map[string]string{
			"1": page(1, 4, "a1", "a2", "a3"), "2": page(2, 4, "a4"),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mux, _ := setup(t)
			c.pageSize = 2
			mux.HandleFunc("POST /v1/affiliates/reporting/conversions", func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprint(w, tt.pages[r.URL.Query().Get("page")])
			})
			_, _, err := collect(t, c, dayQuery())
			if !errors.Is(err, ErrPagingIgnored) {
				t.Fatalf("err = %v, want ErrPagingIgnored", err)
			}
		})
	}
}

// TestConversionsEnvelope: a 200 without the documented envelope is an
// error, never an empty day.
func TestConversionsEnvelope(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want error
	}{
		{name: "data array", body: `{"data":[]}`, want: ErrEnvelope},
		{name: "empty object", body: `{}`, want: ErrEnvelope},
		{name: "array", body: `[]`, want: ErrEnvelope},
		{name: "null", body: `null`, want: ErrEnvelope},
		{name: "no paging", body: `{"conversions":[]}`, want: ErrEnvelope},
		{name: "no conversions but a total", body: `{"paging":{"page":1,"page_size":10,"total_count":3}}`, want: ErrEnvelope},
		{name: "conversions null but counted", body: `{"conversions":null,"paging":{"page":1,"page_size":10,"total_count":3}}`, want: ErrEnvelope},
		{name: "conversions object", body: `{"conversions":{},"paging":{"page":1,"page_size":10,"total_count":0}}`, want: ErrEnvelope},
		{name: "paging null", body: `{"conversions":[],"paging":null}`, want: ErrEnvelope},
		{name: "negative total", body: `{"conversions":[],"paging":{"page":1,"total_count":-1}}`, want: ErrEnvelope},
		{name: "capitalised keys", body: `{"Conversions":[],"Paging":{"page":1,"total_count":0}}`, want: ErrEnvelope},
		{name: "missing conversion id", body: `{"conversions":[{"revenue":1}],"paging":{"page":1,"page_size":10,"total_count":1}}`, want: ErrMissingConversionID},
		{name: "revenue bool", body: `{"conversions":[{"conversion_id":"x","revenue":true}],"paging":{"page":1,"total_count":1}}`, want: ErrInvalidDecimal},
		{name: "revenue object", body: `{"conversions":[{"conversion_id":"x","revenue":{"amount":1}}],"paging":{"page":1,"total_count":1}}`, want: ErrInvalidDecimal},
		{name: "revenue text", body: `{"conversions":[{"conversion_id":"x","revenue":"1,50"}],"paging":{"page":1,"total_count":1}}`, want: ErrInvalidDecimal},
		{name: "revenue empty string", body: `{"conversions":[{"conversion_id":"x","revenue":""}],"paging":{"page":1,"total_count":1}}`, want: ErrInvalidDecimal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, srv, _ := standIn(t, everflowtest.Options{}, generateDay(14, testDay, time.UTC, 5, 0))
			srv.Inject(everflowtest.Fault{Path: everflowtest.PathConversions, Status: 200, Body: tt.body, ContentType: "application/json"})
			calls := 0
			_, err := c.Conversions(t.Context(), dayQuery(), func(Conversion) error { calls++; return nil })
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if calls != 0 {
				t.Errorf("fn called %d times on a refused page", calls)
			}
			if got := c.Stats().Retries; got != 0 {
				t.Errorf("retries = %d, want 0: a wrong envelope is not transient", got)
			}
		})
	}
}

// TestConversionsEmptyDayEnvelope: the documented empty answer is a valid
// empty day.
func TestConversionsEmptyDayEnvelope(t *testing.T) {
	t.Parallel()
	for name, body := range map[string]string{
		"empty array": `{"paging":{"page":1,"page_size":2000,"total_count":0},"extra":{"x":[1,2]},"conversions":[]}`,
		// proto3 JSON leaves out an empty repeated field and a zero count.
		"array and count omitted": `{"paging":{"page":1,"page_size":2000}}`,
		// A Go server marshals an empty (nil) slice as null.
		"array null": `{"conversions":null,"paging":{"page":1,"page_size":2000,"total_count":0}}`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, mux, _ := setup(t)
			mux.HandleFunc("POST /v1/affiliates/reporting/conversions", func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprint(w, body)
			})
			got, st, err := collect(t, c, dayQuery())
			if err != nil || len(got) != 0 || st != (PageStats{Pages: 1}) {
				t.Errorf("Conversions = %v, %+v, %v; want an empty day", got, st, err)
			}
		})
	}
}

// TestConversionsRevenue: revenue as a number or a string keeps its exact
// text; invalid revenue fails the run.
func TestConversionsRevenue(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	conv := func(id, revenue string, asString bool, omit ...string) everflowtest.Conversion {
		return everflowtest.Conversion{ID: id, Time: at, OfferID: 7, OfferName: "O", Currency: "USD", Revenue: revenue, RevenueAsString: asString, Omit: omit}
	}
	tests := []struct {
		name    string
		data    []everflowtest.Conversion
		want    map[string]string // id -> Revenue.String()
		wantErr error
	}{
		{name: "numbers", data: []everflowtest.Conversion{conv("a", "0.1", false), conv("b", "12.3456", false), conv("c", "-3.5", false), conv("d", "1e-2", false), conv("e", "0.123456789", false)},
			want: map[string]string{"a": "0.1", "b": "12.3456", "c": "-3.5", "d": "1e-2", "e": "0.123456789"}},
		{name: "strings", data: []everflowtest.Conversion{conv("a", "5.25", true), conv("b", "-0.10", true), conv("c", "+2", true)},
			want: map[string]string{"a": "5.25", "b": "-0.10", "c": "+2"}},
		{name: "omitted is zero", data: []everflowtest.Conversion{conv("a", "", false, "revenue"), conv("b", "", false)},
			want: map[string]string{"a": "0", "b": "0"}},
		{name: "non-numeric string", data: []everflowtest.Conversion{conv("a", "1", false), conv("b", "five", true)}, wantErr: ErrInvalidDecimal},
		{name: "NaN string", data: []everflowtest.Conversion{conv("a", "NaN", true)}, wantErr: ErrInvalidDecimal},
		{name: "spaces", data: []everflowtest.Conversion{conv("a", " 1.5", true)}, wantErr: ErrInvalidDecimal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _, _ := standIn(t, everflowtest.Options{}, tt.data)
			got, _, err := collect(t, c, dayQuery())
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil {
				return
			}
			gotRev := map[string]string{}
			for _, cv := range got {
				gotRev[cv.ConversionID] = cv.Revenue.String()
			}
			if diff := gocmp.Diff(tt.want, gotRev); diff != "" {
				t.Errorf("revenue (-want +got):\n%s", diff)
			}
		})
	}
}

// TestConversionsOmittedFields: fields left out on the wire are zero
// values, also when the page buffer is reused for rows that had them.
func TestConversionsOmittedFields(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	full := everflowtest.Conversion{ID: "f", TransactionID: "t", Time: at, OfferID: 9, OfferName: "Full", Currency: "EUR",
		Revenue: "1.5", IsEvent: true, Event: "Deposit", Subs: [5]string{"a", "b", "c", "d", "e"}}
	var data []everflowtest.Conversion
	for i := range 25 {
		c := full
		c.ID = fmt.Sprintf("full-%02d", i)
		c.Time = at.Add(time.Duration(i) * time.Minute)
		data = append(data, c)
	}
	bare := everflowtest.Conversion{ID: "bare", Time: at.Add(-time.Hour), Omit: []string{
		"transaction_id", "conversion_unix_timestamp", "revenue", "currency_id", "is_event", "event",
		"sub1", "sub2", "sub3", "sub4", "sub5", "relationship"}}
	data = append(data, bare)
	c, _, _ := standIn(t, everflowtest.Options{}, data)
	got, _, err := collect(t, c, dayQuery())
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(got, func(c Conversion) bool { return c.ConversionID == "bare" })
	if i < 0 {
		t.Fatal("bare conversion missing")
	}
	if diff := gocmp.Diff(Conversion{ConversionID: "bare"}, got[i]); diff != "" {
		t.Errorf("bare conversion (-want +got):\n%s", diff)
	}
	if got[i].Revenue.String() != "0" || got[i].OfferID() != 0 || got[i].Subs() != [5]string{} {
		t.Errorf("accessors of a bare conversion are not zero: %+v", got[i])
	}
}

// TestConversionsFn: fn is never called concurrently, and its error stops
// the walk and comes back wrapped.
func TestConversionsFn(t *testing.T) {
	t.Parallel()
	c, _, _ := standIn(t, everflowtest.Options{Latency: time.Millisecond}, generateDay(15, testDay, time.UTC, 200, 0))
	var inside, overlaps atomic.Int32
	n := 0
	errStop := errors.New("stop here")
	_, err := c.Conversions(t.Context(), dayQuery(), func(Conversion) error {
		if inside.Add(1) > 1 {
			overlaps.Add(1)
		}
		defer inside.Add(-1)
		runtime.Gosched() // widen the window for an overlap
		n++
		if n == 150 {
			return errStop
		}
		return nil
	})
	if !errors.Is(err, errStop) {
		t.Fatalf("err = %v, want the fn error", err)
	}
	if overlaps.Load() != 0 {
		t.Errorf("fn ran concurrently %d times", overlaps.Load())
	}
	if n != 150 {
		t.Errorf("fn called %d times, want it to stop at 150", n)
	}
}

func TestConversionsQueryValidation(t *testing.T) {
	t.Parallel()
	c, mux, _ := setup(t)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { t.Errorf("unexpected request %s", r.URL) })
	for _, q := range []ConversionsQuery{{Date: "2026-11-5", TimezoneID: 67}, {Date: "20/11/2026", TimezoneID: 67}, {Date: testDay}} {
		if _, err := c.Conversions(t.Context(), q, func(Conversion) error { return nil }); err == nil {
			t.Errorf("Conversions(%+v) = nil error", q)
		}
	}
}

// TestConversionsPageSize: a server refusing the page size (400 naming
// page_size) gets smaller pages; one that clamps it and says so in
// paging.page_size is paged with its size.
func TestConversionsPageSize(t *testing.T) {
	t.Parallel()
	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		data := generateDay(41, testDay, time.UTC, 1200, 0)
		c, srv, logs := standIn(t, everflowtest.Options{MaxPageSize: 500}, data)
		c.pageSize = 2000
		got, st, err := collect(t, c, dayQuery())
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1200 || st.Pages != 3 {
			t.Errorf("got %d conversions in %d pages, want 1200 in 3 pages of 500", len(got), st.Pages)
		}
		if n := srv.Stats().PageRequests[1]; n != 3 {
			t.Errorf("page 1 asked %d times, want 3 (2000, 1000, 500)", n)
		}
		if !strings.Contains(logs.String(), "page_size=500") {
			t.Errorf("no warning about the smaller page size:\n%s", logs)
		}
	})
	t.Run("refused below the minimum", func(t *testing.T) {
		t.Parallel()
		c, _, _ := standIn(t, everflowtest.Options{MaxPageSize: 50}, generateDay(42, testDay, time.UTC, 10, 0))
		c.pageSize = 2000
		_, _, err := collect(t, c, dayQuery())
		var apiErr *Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || !strings.Contains(err.Error(), "paging") {
			t.Errorf("err = %v, want a 400 about paging", err)
		}
	})
	t.Run("clamped", func(t *testing.T) {
		t.Parallel()
		c, mux, _ := setup(t)
		ids := []string{"a", "b", "c", "d", "e", "f", "g"}
		mux.HandleFunc("POST /v1/affiliates/reporting/conversions", func(w http.ResponseWriter, r *http.Request) {
			n, _ := strconv.Atoi(r.URL.Query().Get("page"))
			var rows []string
			for i := (n - 1) * 3; i < min(n*3, len(ids)); i++ {
				rows = append(rows, fmt.Sprintf(`{"conversion_id":%q}`, ids[i]))
			}
			fmt.Fprintf(w, `{"conversions":[%s],"paging":{"page":%d,"page_size":3,"total_count":%d}}`, strings.Join(rows, ","), n, len(ids))
		})
		got, st, err := collect(t, c, dayQuery())
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 7 || st.Pages != 3 {
			t.Errorf("got %d conversions in %d pages, want 7 in 3", len(got), st.Pages)
		}
	})
}

// TestConversionsProgressLog: a one-page day logs its page at debug only;
// a long day logs progress at info every 10 pages and at the end.
func TestConversionsProgressLog(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		n        int
		wantInfo int
	}{
		{name: "one page", n: 8, wantInfo: 0},
		{name: "25 pages", n: 250, wantInfo: 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _, logs := standIn(t, everflowtest.Options{}, generateDay(43, testDay, time.UTC, tt.n, 0))
			if _, _, err := collect(t, c, dayQuery()); err != nil {
				t.Fatal(err)
			}
			var info int
			for _, line := range strings.Split(logs.String(), "\n") {
				if strings.Contains(line, "level=INFO") && strings.Contains(line, `msg="everflow conversions page"`) {
					info++
					for _, k := range []string{"date=" + testDay, "page=", "pages=", "conversions=", "elapsed=", "rate="} {
						if !strings.Contains(line, k) {
							t.Errorf("progress line lacks %s: %s", k, line)
						}
					}
				}
			}
			// Every 10 pages, or every 5 s: a slow machine may add lines.
			if info < tt.wantInfo || tt.wantInfo == 0 && info != 0 {
				t.Errorf("%d info progress lines, want %d:\n%s", info, tt.wantInfo, logs)
			}
			if !strings.Contains(logs.String(), "level=DEBUG") {
				t.Errorf("no debug page lines:\n%s", logs)
			}
		})
	}
}

// TestConversionsConcurrentDays: days fetched at once through one client
// (as a backfill does) each come out whole, and the client's page slots
// bound the pages in flight across all of them.
func TestConversionsConcurrentDays(t *testing.T) {
	t.Parallel()
	const perDay, pageSize = 50, 10
	var inFlight, peak atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/affiliates/reporting/conversions", func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		var body struct{ From string }
		_ = json.NewDecoder(r.Body).Decode(&body)
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		time.Sleep(2 * time.Millisecond) // a little latency so requests overlap
		var rows []string
		for i := (page - 1) * pageSize; i < min(page*pageSize, perDay); i++ {
			rows = append(rows, fmt.Sprintf(`{"conversion_id":"%s-%d"}`, body.From, i))
		}
		fmt.Fprintf(w, `{"conversions":[%s],"paging":{"page":%d,"page_size":%d,"total_count":%d}}`, strings.Join(rows, ","), page, pageSize, perDay)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	opts := fastOptions(srv.URL, nil)
	opts.MaxRPS = 2 // four page slots
	c, err := NewClient(testKey, opts)
	if err != nil {
		t.Fatal(err)
	}
	c.limiter = rate.NewLimiter(rate.Inf, 1) // pace by slots alone, fast
	days := []string{"2026-11-15", "2026-11-16", "2026-11-17", "2026-11-18", "2026-11-19"}
	errs := make(chan error, len(days))
	for _, d := range days {
		go func() {
			seen := map[string]bool{}
			_, err := c.Conversions(t.Context(), ConversionsQuery{Date: d, TimezoneID: 67}, func(cv Conversion) error {
				if seen[cv.ConversionID] || !strings.HasPrefix(cv.ConversionID, d) {
					return fmt.Errorf("conversion %s handed over on %s twice or on the wrong day", cv.ConversionID, d)
				}
				seen[cv.ConversionID] = true
				return nil
			})
			if err == nil && len(seen) != perDay {
				err = fmt.Errorf("%s: %d conversions, want %d", d, len(seen), perDay)
			}
			errs <- err
		}()
	}
	for range days {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if p := peak.Load(); p > 4 {
		t.Errorf("%d page requests in flight at once, want at most the client's 4 slots", p)
	}
}

// TestConversionsShortPage: a page short of rows before total_count is
// reached is not the end: the re-walk fetches what it missed, and a server
// that stays short is a count mismatch, never a silent partial day.
func TestConversionsShortPage(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name      string
		shortOnce bool
		wantErr   error
	}{
		{name: "short once", shortOnce: true},
		{name: "always short", wantErr: ErrCountMismatch},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			const total = 25
			var page2 atomic.Int32
			c, mux, _ := setup(t)
			mux.HandleFunc("POST /v1/affiliates/reporting/conversions", func(w http.ResponseWriter, r *http.Request) {
				page, _ := strconv.Atoi(r.URL.Query().Get("page"))
				end := min(page*10, total)
				if page == 2 && (page2.Add(1) == 1 || !tt.shortOnce) {
					end = 15 // five rows short
				}
				var rows []string
				for i := (page - 1) * 10; i < end; i++ {
					rows = append(rows, fmt.Sprintf(`{"conversion_id":"c%02d"}`, i))
				}
				fmt.Fprintf(w, `{"conversions":[%s],"paging":{"page":%d,"page_size":10,"total_count":%d}}`, strings.Join(rows, ","), page, total)
			})
			got, st, err := collect(t, c, dayQuery())
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil {
				if !strings.Contains(err.Error(), "never served") {
					t.Errorf("error %q does not say conversions were missing", err)
				}
				return
			}
			if len(got) != total || !st.Rewalked || st.Pages != 6 {
				t.Errorf("got %d conversions, stats %+v; want %d after a re-walk of 3 pages", len(got), st, total)
			}
		})
	}
}
