package everflowtest

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Options configures a Server. The zero value is a server that behaves like
// Everflow for an affiliate key "test-key": 5 requests/s with a burst of 20,
// pages of 50 by default and at most 2000.
type Options struct {
	// APIKey is the only key the server accepts; "" means "test-key".
	APIKey string
	// Now is the server's clock for "today": the 365-day window, the
	// dashboard periods, the timezone offsets and the granular quota's
	// rolling hour. nil means time.Now. The rate limiter always uses the
	// real clock, because it limits real requests.
	Now func() time.Time
	// Latency delays every response (after the rate-limit decision, so a
	// client with concurrent requests in flight is limited as on arrival).
	Latency time.Duration
	// RPS is the token bucket's refill rate per second (one bucket for the
	// whole server, as Everflow has one per network); 0 means 5, below 0
	// disables the limit and the X-RateLimit headers, for fast tests. Every
	// response then carries X-RateLimit-Limit (the bucket size) and
	// X-RateLimit-Remaining (whole tokens left); a request finding the
	// bucket empty gets 429 without Retry-After, as Everflow documents none.
	RPS float64
	// Burst is the bucket size; 0 means 20.
	Burst int
	// DefaultPageSize is the page size when the query string has none;
	// 0 means 50, Everflow's generic default.
	DefaultPageSize int
	// MaxPageSize is the largest page_size accepted; 0 means 2000. A larger
	// page_size is a 400, not clamped.
	MaxPageSize int
	// NetworkID is sent as relationship.offer.network_id; 0 means 1.
	NetworkID int64
	// Currency is the account's currency, used by the dashboard when the
	// request names none; "" means "USD".
	Currency string
	// GranularPerHour is the rolling-hour quota of entity/table requests
	// with granular columns (sub1..sub5, country, ...); 0 means 1000, below
	// 0 disables it.
	GranularPerHour int
	// MaxTableRows caps entity/table rows (then incomplete_results is true);
	// 0 means 10000.
	MaxTableRows int
	// Synthetic, when set, makes the server serve Generate(*Synthetic)
	// without holding it: rows are generated as pages are asked for, so a
	// benchmark of a million conversions measures the client, not the
	// stand-in's memory. The data argument of NewServer must then be empty.
	// The first mutation (Set, Upsert, Delete, an InsertDuringPaging
	// insert) turns it into a stored data set.
	Synthetic *GenerateOptions
	// RefuseTimezones makes GET /v1/meta/timezones answer 403 "Out of
	// realm", so a client's built-in fallback table can be tested. Other
	// statuses can be had with Inject.
	RefuseTimezones bool
}

// DefaultAPIKey is the key a server accepts when Options.APIKey is "".
const DefaultAPIKey = "test-key"

// Server is a running stand-in of the Everflow Affiliate API.
type Server struct {
	// URL is the base URL, e.g. http://127.0.0.1:1234, with no trailing slash.
	URL string

	srv     *httptest.Server
	opts    Options
	limiter *rate.Limiter // nil: no rate limit

	mu           sync.Mutex
	data         dataset
	faults       []*Fault
	ignorePaging bool
	inserts      []pendingInsert
	granular     []time.Time // granular entity/table requests in the rolling hour
	stats        Stats
}

type pendingInsert struct {
	afterPage int
	c         Conversion
}

// Stats counts what the server saw. Maps are copies.
type Stats struct {
	// Requests counts every request, including refused ones.
	Requests int64
	// PerPath counts requests by URL path.
	PerPath map[string]int64
	// TooManyRequests counts 429 answers (rate limit, quota and faults).
	TooManyRequests int64
	// Pages counts conversions pages served whole with status 200.
	Pages int64
	// PageRequests counts conversions requests by the page the query string
	// asked for (1 when absent), whatever the outcome, so a test can see
	// which pages were retried.
	PageRequests map[int]int64
	// Faults counts injected faults applied.
	Faults int64
}

// NewServer starts a server holding data (copied; see Set) and returns it.
// Close it when done.
func NewServer(opts Options, data []Conversion) *Server {
	if opts.APIKey == "" {
		opts.APIKey = DefaultAPIKey
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.RPS == 0 {
		opts.RPS = 5
	}
	if opts.Burst == 0 {
		opts.Burst = 20
	}
	if opts.DefaultPageSize == 0 {
		opts.DefaultPageSize = 50
	}
	if opts.MaxPageSize == 0 {
		opts.MaxPageSize = 2000
	}
	if opts.NetworkID == 0 {
		opts.NetworkID = 1
	}
	if opts.Currency == "" {
		opts.Currency = "USD"
	}
	if opts.GranularPerHour == 0 {
		opts.GranularPerHour = 1000
	}
	if opts.MaxTableRows == 0 {
		opts.MaxTableRows = 10000
	}
	var ds dataset
	if opts.Synthetic != nil {
		if len(data) > 0 {
			panic("everflowtest: NewServer with both Options.Synthetic and data")
		}
		ds = newSynthetic(*opts.Synthetic)
	} else {
		ds = newStore(data)
	}
	s := &Server{
		opts: opts,
		data: ds,
		stats: Stats{
			PerPath:      map[string]int64{},
			PageRequests: map[int]int64{},
		},
	}
	if opts.RPS > 0 {
		s.limiter = rate.NewLimiter(rate.Limit(opts.RPS), opts.Burst)
	}
	s.srv = httptest.NewServer(s)
	s.URL = s.srv.URL
	return s
}

// Close shuts the server down, closing idle and hijacked-pending connections.
func (s *Server) Close() {
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// Client returns an *http.Client configured for the server (see
// httptest.Server.Client).
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Stats returns a snapshot of the counters; safe for concurrent use.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.PerPath = make(map[string]int64, len(s.stats.PerPath))
	for k, v := range s.stats.PerPath {
		st.PerPath[k] = v
	}
	st.PageRequests = make(map[int]int64, len(s.stats.PageRequests))
	for k, v := range s.stats.PageRequests {
		st.PageRequests[k] = v
	}
	return st
}

// Paths of the endpoints the server implements.
const (
	PathConversions = "/v1/affiliates/reporting/conversions"
	PathEntityTable = "/v1/affiliates/reporting/entity/table"
	PathDashboard   = "/v1/affiliates/dashboard/summary"
	PathTimezones   = "/v1/meta/timezones"
)

// reply is a response computed before any byte is written, so that faults
// can truncate it and InsertDuringPaging fires only after a page was served
// whole.
type reply struct {
	status int
	body   *[]byte     // from bufPool
	header http.Header // extra headers, may be nil
	page   int         // conversions page served, 0 for other endpoints
}

// bufPool recycles reply bodies: a 2000-row page is about 1.5 MB, and
// encoding into a warm buffer avoids growing one per request.
var bufPool = sync.Pool{New: func() any { return new([]byte) }}

func getBuf() *[]byte {
	b := bufPool.Get().(*[]byte)
	*b = (*b)[:0]
	return b
}

func putBuf(b *[]byte) {
	if cap(*b) > 64<<20 {
		return // keep no absurd buffer alive
	}
	bufPool.Put(b)
}

// errorReply is Everflow's error shape: one "error" string.
func errorReply(status int, msg string) reply {
	b := getBuf()
	*b = append(appendString(append(*b, `{"error":`...), msg), '}')
	return reply{status: status, body: b}
}

// ServeHTTP implements http.Handler: count, rate limit, latency, faults,
// auth, realm, route.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Read the body first: net/http notices a client that went away (and
	// cancels r.Context()) only once the body has been read, and every wait
	// below must end when the client gives up.
	body, bodyErr := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	page := 0
	if r.URL.Path == PathConversions {
		page = 1
		if v := r.URL.Query().Get("page"); v != "" {
			page, _ = strconv.Atoi(v) // a bad value is reported by the handler
		}
	}
	s.mu.Lock()
	s.stats.Requests++
	s.stats.PerPath[r.URL.Path]++
	if page != 0 {
		s.stats.PageRequests[page]++
	}
	s.mu.Unlock()

	if s.limiter != nil {
		now := time.Now()
		s.mu.Lock()
		ok := s.limiter.AllowN(now, 1)
		remaining := int(s.limiter.TokensAt(now))
		s.mu.Unlock()
		w.Header().Set("X-RateLimit-Limit", strconv.Itoa(s.opts.Burst))
		w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(max(remaining, 0)))
		if !ok {
			if !sleep(r.Context(), s.opts.Latency) {
				return
			}
			s.write(w, errorReply(http.StatusTooManyRequests, "Rate limit exceeded"))
			return
		}
	}
	if !sleep(r.Context(), s.opts.Latency) {
		return
	}
	if f := s.takeFault(r.URL.Path, page); f != nil {
		if s.applyFault(w, r, body, bodyErr, f) {
			return
		}
	}
	rep := s.handle(r, body, bodyErr)
	if s.write(w, rep) && rep.page != 0 {
		s.pageServed(rep.page)
	}
}

// write sends rep whole and reports whether it did.
func (s *Server) write(w http.ResponseWriter, rep reply) bool {
	defer putBuf(rep.body)
	s.countStatus(rep.status)
	h := w.Header()
	for k, v := range rep.header {
		h[k] = v
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	h.Set("Content-Length", strconv.Itoa(len(*rep.body)))
	w.WriteHeader(rep.status)
	_, err := w.Write(*rep.body)
	return err == nil
}

func (s *Server) countStatus(status int) {
	if status == http.StatusTooManyRequests {
		s.mu.Lock()
		s.stats.TooManyRequests++
		s.mu.Unlock()
	}
}

// sleep waits d or until ctx is done; it reports whether the full wait
// elapsed (false means the client went away: write nothing).
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// handle authenticates, checks the realm and routes.
func (s *Server) handle(r *http.Request, body []byte, bodyErr error) reply {
	key := r.Header.Get("X-Eflow-API-Key")
	if key == "" {
		return errorReply(http.StatusUnauthorized, "No Authentication Method Found")
	}
	if subtle.ConstantTimeCompare([]byte(key), []byte(s.opts.APIKey)) != 1 {
		return errorReply(http.StatusUnauthorized, "Invalid API key: authentication failed")
	}
	p := r.URL.Path
	for _, realm := range []string{"/v1/networks", "/v1/advertisers"} {
		if p == realm || strings.HasPrefix(p, realm+"/") {
			return errorReply(http.StatusForbidden, "Out of realm")
		}
	}
	switch {
	case p == PathConversions:
		return post(r, body, bodyErr, s.conversions)
	case p == PathEntityTable:
		return post(r, body, bodyErr, s.entityTable)
	case p == PathDashboard:
		return post(r, body, bodyErr, s.dashboard)
	case p == PathTimezones:
		if r.Method != http.MethodGet {
			return methodNotAllowed(http.MethodGet)
		}
		return s.timezones()
	case strings.HasPrefix(p, PathConversions+"/"):
		id := strings.TrimPrefix(p, PathConversions+"/")
		if id == "" || strings.Contains(id, "/") {
			break
		}
		if r.Method != http.MethodGet {
			return methodNotAllowed(http.MethodGet)
		}
		return s.conversion(id)
	}
	return errorReply(http.StatusNotFound, "Resource not found")
}

func methodNotAllowed(allow string) reply {
	rep := errorReply(http.StatusMethodNotAllowed, "Method not allowed")
	rep.header = http.Header{"Allow": {allow}}
	return rep
}

// maxBody bounds request bodies; real ones are a few hundred bytes.
const maxBody = 1 << 20

// post checks the method, the JSON content type and the body, and calls h
// with the body.
func post(r *http.Request, body []byte, bodyErr error, h func(*http.Request, []byte) reply) reply {
	if r.Method != http.MethodPost {
		return methodNotAllowed(http.MethodPost)
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return errorReply(http.StatusBadRequest, "Invalid parameters: Content-Type must be application/json")
	}
	if bodyErr != nil {
		return errorReply(http.StatusBadRequest, "Invalid parameters: unreadable body")
	}
	if len(body) > maxBody {
		return errorReply(http.StatusBadRequest, "Invalid parameters: body too large")
	}
	return h(r, body)
}

// decodeBody unmarshals a JSON object body; any syntax or type error is
// Everflow's documented "Invalid parameters.".
func decodeBody(body []byte, v any) (reply, bool) {
	if len(bytes.TrimSpace(body)) == 0 || json.Unmarshal(body, v) != nil {
		return errorReply(http.StatusBadRequest, "Invalid parameters."), false
	}
	return reply{}, true
}

// Inject queues f. Faults are matched in the order they were injected; the
// first that matches a request is applied and counts one of its Times.
func (s *Server) Inject(f Fault) {
	if f.Times == 0 {
		f.Times = 1
	}
	s.mu.Lock()
	s.faults = append(s.faults, &f)
	s.mu.Unlock()
}

// ClearFaults drops every queued fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	s.faults = nil
	s.mu.Unlock()
}

// Fault is a misbehaviour applied to matching requests, after the rate
// limit and the latency and before authentication. Fields combine: Delay is
// waited first, then Reset, or a Status reply (truncated when Truncate), or
// with Truncate alone the real reply truncated; a Fault with only Delay lets
// the request proceed normally afterwards (a latency spike).
type Fault struct {
	// Path is the URL path to hit, e.g. PathConversions; "" hits any path.
	Path string
	// Page is the conversions page (from the query string, 1 when absent)
	// to hit, on the conversions path only; 0 hits any request.
	Page int
	// Times is how many requests the fault hits: 0 means 1, -1 forever.
	Times int
	// Status, when not 0, is answered instead of the real reply.
	Status int
	// Body is the reply body for Status; "" means {"error":"<status text>"}.
	Body string
	// ContentType of Body; "" means application/json for a body starting
	// with { or [, text/html otherwise.
	ContentType string
	// RetryAfter, when set, is sent as the Retry-After header with Status.
	RetryAfter string
	// Truncate sends the headers with the full Content-Length, half the
	// body, then closes the connection.
	Truncate bool
	// Reset closes the connection without a response (TCP RST).
	Reset bool
	// Delay is waited before anything else, honouring cancellation.
	Delay time.Duration
}

// BadGatewayHTML is the kind of page a load balancer answers with on 502;
// use it as Fault.Body to check that a client does not choke on HTML.
const BadGatewayHTML = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"

func (s *Server) takeFault(path string, page int) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.Path != "" && f.Path != path {
			continue
		}
		if f.Page != 0 && (path != PathConversions || f.Page != page) {
			continue
		}
		hit := *f
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		s.stats.Faults++
		return &hit
	}
	return nil
}

// applyFault applies f and reports whether the response is finished.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, body []byte, bodyErr error, f *Fault) bool {
	if !sleep(r.Context(), f.Delay) {
		return true
	}
	switch {
	case f.Reset:
		resetConn(w)
		return true
	case f.Status != 0:
		b := getBuf()
		ct := f.ContentType
		if f.Body == "" {
			*b = append(appendString(append(*b, `{"error":`...), strings.ToLower(http.StatusText(f.Status))), '}')
		} else {
			*b = append(*b, f.Body...)
		}
		if ct == "" {
			ct = "text/html; charset=utf-8"
			if t := bytes.TrimSpace(*b); len(t) > 0 && (t[0] == '{' || t[0] == '[') {
				ct = "application/json"
			}
		}
		rep := reply{status: f.Status, body: b, header: http.Header{"Content-Type": {ct}}}
		if f.RetryAfter != "" {
			rep.header.Set("Retry-After", f.RetryAfter)
		}
		if f.Truncate {
			s.truncate(w, rep)
		} else {
			s.write(w, rep)
		}
		return true
	case f.Truncate:
		s.truncate(w, s.handle(r, body, bodyErr))
		return true
	}
	return false
}

// truncate sends rep's headers with the full Content-Length but only half
// its body, then drops the connection: the client sees an unexpected EOF.
func (s *Server) truncate(w http.ResponseWriter, rep reply) {
	defer putBuf(rep.body)
	s.countStatus(rep.status)
	h := w.Header()
	for k, v := range rep.header {
		h[k] = v
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	h.Set("Content-Length", strconv.Itoa(len(*rep.body)))
	w.WriteHeader(rep.status)
	_, _ = w.Write((*rep.body)[:len(*rep.body)/2])
	if fl, ok := w.(http.Flusher); ok {
		fl.Flush()
	}
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
		}
	}
}

// resetConn closes the connection with SO_LINGER 0 so the peer gets a RST
// (connection reset by peer) rather than a clean EOF.
func resetConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(errors.New("everflowtest: response writer cannot be hijacked"))
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// SetIgnorePaging makes the conversions endpoint serve page 1 whatever page
// the query string asks for, while echoing the requested page in paging
// (page_size is still honoured): the body-paging trap, where a client loops
// over "pages" that are all the first one.
func (s *Server) SetIgnorePaging(on bool) {
	s.mu.Lock()
	s.ignorePaging = on
	s.mu.Unlock()
}

// InsertDuringPaging inserts c (as Upsert does) right after a conversions
// page number afterPage has been served whole, once. Since rows are served
// newest first, inserting a conversion newer than the page's rows shifts
// every later page by one row.
func (s *Server) InsertDuringPaging(afterPage int, c Conversion) {
	checkConversion(&c)
	s.mu.Lock()
	s.inserts = append(s.inserts, pendingInsert{afterPage: afterPage, c: c})
	s.mu.Unlock()
}

func (s *Server) pageServed(page int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Pages++
	kept := s.inserts[:0]
	for _, in := range s.inserts {
		if in.afterPage == page {
			s.data = s.data.materialize().upsert(in.c)
			continue
		}
		kept = append(kept, in)
	}
	s.inserts = kept
}

func (s *Server) snapshot() (dataset, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.data, s.ignorePaging
}
