package sheetstest

import (
	"fmt"
	"maps"
	"net/http"
	"strings"
	"time"
)

// Fault is a misbehaviour applied to the next matching requests, before
// authentication. Faults queue up: a request takes the first matching one.
// Fields combine: Delay is waited first; then a Status reply, or Reset, or
// ApplyThenDrop; a Fault with only Delay lets the request proceed (a
// latency spike).
type Fault struct {
	// Op names the call to hit; "" hits any API call but not the token
	// endpoint. API calls are named after their method: "get",
	// "batchUpdate" and "create" (spreadsheets), "values.get",
	// "values.batchGet", "values.update", "values.append", "values.clear",
	// "values.batchUpdate", "values.batchClear"; "token" is the OAuth2
	// token endpoint. A values method may be named without its "values."
	// prefix when the name is not also a spreadsheets method, so
	// "batchGet" hits values.batchGet but "batchUpdate" hits
	// spreadsheets.batchUpdate.
	Op string
	// Times is how many requests the fault hits: 0 means 1, -1 forever.
	Times int
	// Status, when not 0, is answered instead of the real reply, with Body
	// or, when Body is empty, the body Google sends with that status (the
	// RESOURCE_EXHAUSTED quota body for 429, an HTML page for 502, the
	// OAuth2 error shape on the token endpoint).
	Status int
	// Body replaces the default body of Status.
	Body string
	// ContentType of Body; "" means JSON, or HTML for the default 502.
	ContentType string
	// RetryAfter, when set, is sent as the Retry-After header.
	RetryAfter string
	// Delay is waited before anything else (ended early when the client
	// gives up).
	Delay time.Duration
	// Reset closes the connection without a response, without applying
	// the request. Go's transport silently resends an idempotent request
	// (GET, PUT) that failed so on a reused connection, so such a request
	// needs Times: 2 for the client to see the failure.
	Reset bool
	// ApplyThenDrop applies the request as usual, then closes the
	// connection without sending the response: the ambiguous failure.
	// Like Reset, an idempotent request (values.update is a PUT) may be
	// resent by Go's transport, and so applied twice.
	ApplyThenDrop bool
}

// Inject queues a fault.
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

// spreadsheetMethods are the op names that are not values methods, so a
// fault naming them never aliases a values method.
var spreadsheetMethods = map[string]bool{"get": true, "batchUpdate": true, "create": true, "token": true}

func faultMatches(f *Fault, op string) bool {
	if f.Op == op || f.Op == "" && op != "token" {
		return true
	}
	return !spreadsheetMethods[f.Op] && "values."+f.Op == op
}

// takeFault returns a copy of the first fault matching op, consuming one of
// its hits.
func (s *Server) takeFault(op string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if !faultMatches(f, op) {
			continue
		}
		c := *f
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
		}
		s.stats.Faults++
		return &c
	}
	return nil
}

// serveFault answers a fault's status.
func (s *Server) serveFault(w http.ResponseWriter, f *Fault, write bool) {
	if f.Status == http.StatusTooManyRequests {
		s.count(func(st *Stats) { st.Throttled++ })
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	body, ctype := []byte(f.Body), f.ContentType
	if f.Body == "" {
		body, ctype = s.defaultFaultBody(f.Status, write)
	}
	if ctype == "" {
		ctype = "application/json; charset=UTF-8"
	}
	w.Header().Set("Content-Type", ctype)
	w.WriteHeader(f.Status)
	_, _ = w.Write(body)
}

// defaultFaultBody is what Google answers with status.
func (s *Server) defaultFaultBody(status int, write bool) ([]byte, string) {
	switch status {
	case http.StatusTooManyRequests:
		return s.quotaError(write).body(), ""
	case http.StatusBadGateway:
		return []byte(html502), "text/html; charset=UTF-8"
	case http.StatusInternalServerError:
		return errorf(status, "Internal error encountered.").body(), ""
	case http.StatusServiceUnavailable:
		return errorf(status, "The service is currently unavailable.").body(), ""
	case http.StatusGatewayTimeout:
		return errorf(status, "The request timed out. Please try again.").body(), ""
	case http.StatusUnauthorized:
		return unauthenticated().body(), ""
	case http.StatusForbidden:
		return errorf(status, "The caller does not have permission").body(), ""
	case http.StatusNotFound:
		return errorf(status, "Requested entity was not found.").body(), ""
	}
	return errorf(status, "%s", http.StatusText(status)).body(), ""
}

// html502 is the page Google's front end serves on a 502.
const html502 = `<!DOCTYPE html>
<html lang=en>
  <meta charset=utf-8>
  <title>Error 502 (Server Error)!!1</title>
  <p><b>502.</b> <ins>That’s an error.</ins>
  <p>The server encountered a temporary error and could not complete your request.<p>Please try again in 30 seconds.  <ins>That’s all we know.</ins>
`

// Stats counts what the server saw. ByOp counts every routed API request
// by op name (see Fault.Op), whatever its outcome.
type Stats struct {
	// Reads and Writes count routed API requests by quota kind.
	Reads, Writes int64
	// Tokens counts requests to the token endpoint; TokensIssued the
	// access tokens it issued.
	Tokens, TokensIssued int64
	// Throttled counts 429 replies, from the quota and from faults.
	Throttled int64
	// Faults counts requests a Fault hit.
	Faults int64
	// Unauthenticated counts 401 replies; NotFound requests to unknown
	// routes.
	Unauthenticated, NotFound int64
	// ByOp counts routed API requests by op.
	ByOp map[string]int64
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.ByOp = maps.Clone(s.stats.ByOp)
	return st
}

// window is a fixed one-minute quota bucket, refilled each minute like
// Google's.
type window struct {
	start time.Time
	used  int
}

// takeQuota counts one request of email against its per-minute quota.
func (s *Server) takeQuota(email string, write bool) *apiError {
	limit, kind := s.opts.ReadsPerMinute, "r:"
	if write {
		limit, kind = s.opts.WritesPerMinute, "w:"
	}
	if limit < 0 {
		return nil
	}
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	key := kind + strings.ToLower(email)
	win := s.quota[key]
	if win == nil || now.Sub(win.start) >= time.Minute || now.Before(win.start) {
		win = &window{start: now.Truncate(time.Minute)}
		s.quota[key] = win
	}
	if win.used >= limit {
		return s.quotaError(write)
	}
	win.used++
	return nil
}

// quotaError is Google's 429 body for the per-user quota.
func (s *Server) quotaError(write bool) *apiError {
	metric, limit, qm := "Read requests", "ReadRequestsPerMinutePerUser", "sheets.googleapis.com/read_requests"
	if write {
		metric, limit, qm = "Write requests", "WriteRequestsPerMinutePerUser", "sheets.googleapis.com/write_requests"
	}
	e := errorf(http.StatusTooManyRequests,
		"Quota exceeded for quota metric '%s' and limit '%s per minute per user' of service 'sheets.googleapis.com' for consumer 'project_number:%d'.",
		metric, metric, s.opts.ProjectNumber)
	e.Details = []any{
		map[string]any{
			"@type":  "type.googleapis.com/google.rpc.ErrorInfo",
			"reason": "RATE_LIMIT_EXCEEDED",
			"domain": "googleapis.com",
			"metadata": map[string]string{
				"quota_metric": qm,
				"quota_limit":  limit,
				"service":      "sheets.googleapis.com",
				"consumer":     fmt.Sprintf("projects/%d", s.opts.ProjectNumber),
			},
		},
		map[string]any{
			"@type": "type.googleapis.com/google.rpc.Help",
			"links": []any{map[string]string{
				"description": "Request a higher quota limit.",
				"url":         "https://cloud.google.com/docs/quotas/help/request_increase",
			}},
		},
	}
	return e
}
