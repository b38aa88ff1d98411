package sheetstest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Limits of the real service that the stand-in enforces.
const (
	// MaxCells is the per-spreadsheet cell limit, summed over every tab's
	// whole grid, empty cells included.
	MaxCells = 10_000_000
	// MaxRequestsPerBatch is the most subrequests one batchUpdate takes.
	MaxRequestsPerBatch = 100_000
	// MaxPayload is the largest request body accepted, in bytes.
	MaxPayload = 10 << 20
	// MaxCellChars is the most characters one cell takes, counted in
	// UTF-16 code units as Sheets counts them (an emoji is 2).
	MaxCellChars = 50_000
	// DefaultRows and DefaultColumns size a tab made without grid
	// properties, as Google does (1000 x 26).
	DefaultRows, DefaultColumns = 1000, 26
	// TokenLifetime is how long an issued access token is accepted.
	TokenLifetime = time.Hour
)

// Options configure a Server. The zero value behaves like Google with the
// default per-user quota.
type Options struct {
	// Latency is added to every request, token requests included; it ends
	// early when the client gives up.
	Latency time.Duration
	// WritesPerMinute is the write quota per service account and minute:
	// 0 means Google's default of 60, a negative value turns it off.
	WritesPerMinute int
	// ReadsPerMinute is the read quota per service account and minute:
	// 0 means 60, negative turns it off.
	ReadsPerMinute int
	// Now is the clock for token expiry, JWT iat/exp checks and the quota
	// windows; nil means time.Now. Tests move it to expire tokens or open
	// a new quota minute. It is called from request goroutines, so it must
	// be safe for concurrent use.
	Now func() time.Time
	// ProjectNumber appears in quota errors; 0 means 123456789012.
	ProjectNumber int64
}

// Server is a strict in-memory stand-in of the Google Sheets API v4 and of
// Google's OAuth2 token endpoint, listening on loopback. The real
// google.golang.org/api/sheets/v4 client talks to it through
// option.WithEndpoint(URL+"/") with a key from ServiceAccountKey. All
// methods are safe for concurrent use.
type Server struct {
	// URL is the base URL of the server, without a trailing slash.
	URL string
	// TokenURL is where the OAuth2 token endpoint listens (URL + "/token").
	TokenURL string

	opts Options
	ts   *httptest.Server

	mu       sync.Mutex
	books    map[string]*book
	accounts map[string]*account // by lower-case email
	keyIDs   map[string]*account // by private_key_id
	tokens   map[string]*token
	faults   []*Fault
	quota    map[string]*window // by op kind + email
	stats    Stats
	gen      uint64
	formats  map[string]*format
	rng      *rand.Rand
}

// NewServer starts a Server on a loopback port. Close it when done.
func NewServer(opts Options) *Server {
	if opts.WritesPerMinute == 0 {
		opts.WritesPerMinute = 60
	}
	if opts.ReadsPerMinute == 0 {
		opts.ReadsPerMinute = 60
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ProjectNumber == 0 {
		opts.ProjectNumber = 123456789012
	}
	s := &Server{
		opts:     opts,
		books:    make(map[string]*book),
		accounts: make(map[string]*account),
		keyIDs:   make(map[string]*account),
		tokens:   make(map[string]*token),
		quota:    make(map[string]*window),
		formats:  make(map[string]*format),
		rng:      rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
	}
	s.stats.ByOp = make(map[string]int64)
	s.ts = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	s.URL = s.ts.URL
	s.TokenURL = s.URL + "/token"
	return s
}

// Close shuts the server down and blocks until every request has finished.
func (s *Server) Close() {
	s.ts.CloseClientConnections()
	s.ts.Close()
}

// apiError is an error answered in Google's JSON error shape.
type apiError struct {
	Code    int
	Status  string
	Message string
	Details []any
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Code, e.Status, e.Message) }

func errorf(code int, format string, args ...any) *apiError {
	return &apiError{Code: code, Status: statusOf(code), Message: fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) *apiError {
	return errorf(http.StatusBadRequest, format, args...)
}

// statusOf maps an HTTP status to the google.rpc.Code name Google sends
// with it.
func statusOf(code int) string {
	switch code {
	case 400:
		return "INVALID_ARGUMENT"
	case 401:
		return "UNAUTHENTICATED"
	case 403:
		return "PERMISSION_DENIED"
	case 404:
		return "NOT_FOUND"
	case 409:
		return "ABORTED"
	case 413:
		return "INVALID_ARGUMENT"
	case 429:
		return "RESOURCE_EXHAUSTED"
	case 499:
		return "CANCELLED"
	case 500:
		return "INTERNAL"
	case 501:
		return "UNIMPLEMENTED"
	case 503:
		return "UNAVAILABLE"
	case 504:
		return "DEADLINE_EXCEEDED"
	}
	return "UNKNOWN"
}

func (e *apiError) body() []byte {
	inner := map[string]any{"code": e.Code, "message": e.Message, "status": e.Status}
	if len(e.Details) > 0 {
		inner["details"] = e.Details
	}
	b, _ := json.Marshal(map[string]any{"error": inner})
	return b
}

func writeJSON(w http.ResponseWriter, code int, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Header().Set("Vary", "Origin, X-Origin, Referer")
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

func writeError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.Code, e.body())
}

// op is one routed API call.
type op struct {
	name  string // "get", "batchUpdate", "values.get", ...
	write bool
	id    string // spreadsheet id
	rng   string // A1 range from the path, if any
}

// route maps a decoded path and method to an op, or nil.
func route(method, path string) (*op, *apiError) {
	if path == "/v4/spreadsheets" {
		return &op{name: "create", write: true}, methodIs(method, "POST")
	}
	rest, ok := strings.CutPrefix(path, "/v4/spreadsheets/")
	if !ok || rest == "" {
		return nil, nil
	}
	if id, rng, ok := strings.Cut(rest, "/values/"); ok {
		if id == "" || strings.Contains(id, "/") || rng == "" {
			return nil, nil
		}
		o := &op{id: id, rng: rng}
		switch {
		case strings.HasSuffix(rng, ":append"):
			o.name, o.write, o.rng = "values.append", true, strings.TrimSuffix(rng, ":append")
			return o, methodIs(method, "POST")
		case strings.HasSuffix(rng, ":clear"):
			o.name, o.write, o.rng = "values.clear", true, strings.TrimSuffix(rng, ":clear")
			return o, methodIs(method, "POST")
		case method == "PUT":
			o.name, o.write = "values.update", true
			return o, nil
		default:
			o.name = "values.get"
			return o, methodIs(method, "GET")
		}
	}
	if id, verb, ok := strings.Cut(rest, "/values:"); ok {
		o := &op{id: id}
		switch verb {
		case "batchGet":
			o.name = "values.batchGet"
			return o, methodIs(method, "GET")
		case "batchUpdate":
			o.name, o.write = "values.batchUpdate", true
			return o, methodIs(method, "POST")
		case "batchClear":
			o.name, o.write = "values.batchClear", true
			return o, methodIs(method, "POST")
		}
		return nil, nil
	}
	if strings.Contains(rest, "/") {
		return nil, nil
	}
	if id, ok := strings.CutSuffix(rest, ":batchUpdate"); ok {
		return &op{name: "batchUpdate", write: true, id: id}, methodIs(method, "POST")
	}
	if strings.Contains(rest, ":") {
		return nil, nil
	}
	return &op{name: "get", id: rest}, methodIs(method, "GET")
}

func methodIs(got, want string) *apiError {
	if got == want {
		return nil
	}
	return errorf(http.StatusNotFound, "Method not found.")
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	readBodyFirst(r)
	ctx := r.Context()
	if d := s.opts.Latency; d > 0 && !sleep(ctx, d) {
		return
	}
	if r.URL.Path == "/token" {
		s.serveToken(w, r)
		return
	}
	o, rerr := route(r.Method, r.URL.Path)
	if o == nil && rerr == nil {
		s.count(func(st *Stats) { st.NotFound++ })
		writeError(w, errorf(http.StatusNotFound, "The requested URL %s was not found on this server.", r.URL.Path))
		return
	}
	if rerr != nil {
		s.count(func(st *Stats) { st.NotFound++ })
		writeError(w, rerr)
		return
	}
	s.count(func(st *Stats) {
		st.ByOp[o.name]++
		if o.write {
			st.Writes++
		} else {
			st.Reads++
		}
	})
	f := s.takeFault(o.name)
	if f != nil && f.Delay > 0 && !sleep(ctx, f.Delay) {
		return
	}
	if f != nil && f.Status != 0 && !f.ApplyThenDrop {
		s.serveFault(w, f, o.write)
		return
	}
	if f != nil && f.Reset {
		dropConn(w)
		return
	}
	if f != nil && f.ApplyThenDrop {
		rec := httptest.NewRecorder()
		s.serveOp(rec, r, o)
		dropConn(w)
		return
	}
	s.serveOp(w, r, o)
}

// serveOp authenticates, authorizes, applies the quota and runs the op.
func (s *Server) serveOp(w http.ResponseWriter, r *http.Request, o *op) {
	if err := validateQuery(r, o); err != nil {
		writeError(w, err)
		return
	}
	email, scopes, aerr := s.authenticate(r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	if aerr := checkScopes(scopes, o); aerr != nil {
		writeError(w, aerr)
		return
	}
	if qerr := s.takeQuota(email, o.write); qerr != nil {
		s.count(func(st *Stats) { st.Throttled++ })
		writeError(w, qerr)
		return
	}
	var body []byte
	if r.Method != http.MethodGet {
		b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxPayload))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				writeError(w, errorf(http.StatusRequestEntityTooLarge, "Request payload size exceeds the limit: %d bytes.", MaxPayload))
				return
			}
			writeError(w, badRequest("could not read the request body"))
			return
		}
		body = b
	}
	resp, aerr := s.dispatch(r, o, email, body)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	out, ferr := marshalResponse(resp, r.URL.Query().Get("fields"))
	if ferr != nil {
		writeError(w, ferr)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// validateQuery refuses alt values other than json and parameters the
// method does not take.
func validateQuery(r *http.Request, o *op) *apiError {
	q := r.URL.Query()
	if alt := q.Get("alt"); alt != "" && alt != "json" {
		return badRequest("Invalid value at 'alt' (type.googleapis.com/google.api.Alt), %q", alt)
	}
	allowed := map[string]bool{"alt": true, "prettyPrint": true, "fields": true, "quotaUser": true, "key": true,
		"access_token": true, "$.xgafv": true, "callback": true, "upload_protocol": true, "uploadType": true}
	for _, p := range opParams[o.name] {
		allowed[p] = true
	}
	for k := range q {
		if !allowed[k] {
			return badRequest("Invalid JSON payload received. Unknown name %q: Cannot bind query parameter. Field '%s' could not be found in request message.", k, k)
		}
	}
	return nil
}

// opParams lists the method-specific query parameters of each op, as in
// the discovery document.
var opParams = map[string][]string{
	"get":                {"ranges", "includeGridData", "excludeTablesInBandedRanges"},
	"batchUpdate":        nil,
	"values.get":         {"majorDimension", "valueRenderOption", "dateTimeRenderOption"},
	"values.batchGet":    {"ranges", "majorDimension", "valueRenderOption", "dateTimeRenderOption"},
	"values.update":      {"valueInputOption", "includeValuesInResponse", "responseValueRenderOption", "responseDateTimeRenderOption"},
	"values.append":      {"valueInputOption", "insertDataOption", "includeValuesInResponse", "responseValueRenderOption", "responseDateTimeRenderOption"},
	"values.clear":       nil,
	"values.batchUpdate": nil,
	"values.batchClear":  nil,
	"create":             nil,
}

// readBodyFirst reads r's body (up to one byte past MaxPayload, so that the
// size check still sees an oversized one) and puts it back in memory.
// net/http cancels r.Context() when the client goes away only once the
// body has been read to its end; without this, Latency and Fault.Delay on
// a POST (batchUpdate, the token endpoint) would not end early when the
// client gives up, as they promise, and Close would wait them out.
func readBodyFirst(r *http.Request) {
	if r.Body == nil || r.Body == http.NoBody {
		return
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, MaxPayload+1))
	var rest io.Reader = bytes.NewReader(b)
	if err != nil {
		rest = io.MultiReader(rest, errReader{err})
	}
	r.Body = io.NopCloser(rest)
}

// errReader fails every read with err.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// dropConn closes the client connection without any response: the
// ambiguous failure where the client cannot tell whether the request was
// applied.
func dropConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("sheetstest: response writer cannot be hijacked")
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

// randInt63n returns a random number in [0, n).
func (s *Server) randInt63n(n int64) int64 {
	return s.rng.Int64N(n)
}

func (s *Server) count(f func(*Stats)) {
	s.mu.Lock()
	f(&s.stats)
	s.mu.Unlock()
}

func decodeStrict(body []byte, v any) *apiError {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		msg := err.Error()
		if name, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
			return badRequest("Invalid JSON payload received. Unknown name %s: Cannot find field.", name)
		}
		return badRequest("Invalid JSON payload received. %s", strings.TrimPrefix(msg, "json: "))
	}
	if dec.More() {
		return badRequest("Invalid JSON payload received. Unexpected token after the request.")
	}
	return nil
}
