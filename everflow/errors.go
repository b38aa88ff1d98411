package everflow

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"
)

// Errors for responses the client cannot vouch for. They are wrapped with
// the step that failed; test them with errors.Is.
var (
	// ErrEnvelope: a response without the fields the endpoint documents
	// (for conversions, the conversions array and the paging object), so
	// an empty result cannot be told from a misunderstood one.
	ErrEnvelope = errors.New("unrecognised response envelope")
	// ErrPagingIgnored: the server served a page other than the one asked
	// for (page 1 again, or a page repeating conversions already seen),
	// the body-paging trap that silently multiplies revenue.
	ErrPagingIgnored = errors.New("server ignored the page parameter")
	// ErrCountMismatch: after one re-walk of every page, the conversions
	// seen still disagree with the server's total_count.
	ErrCountMismatch = errors.New("conversion count disagrees with total_count")
	// ErrInvalidDecimal: a money field that is neither a JSON number nor a
	// string holding one.
	ErrInvalidDecimal = errors.New("invalid decimal")
	// ErrMissingConversionID: a conversion without conversion_id cannot be
	// deduplicated, so it cannot be counted exactly once.
	ErrMissingConversionID = errors.New("conversion without conversion_id")
	// ErrIncompleteResults: entity/table cut its rows at 10,000 and said so.
	ErrIncompleteResults = errors.New("report has incomplete_results")
	// ErrUnknownTimezone: the IANA zone has no Everflow timezone_id.
	ErrUnknownTimezone = errors.New("unknown timezone")
)

// Error is a non-2xx answer from Everflow. Its Error method says what to do
// about it; Message is the server's own text.
type Error struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// Message is the server's "error" text, or a short summary of a
	// non-JSON body (an HTML gateway page), with the API key scrubbed.
	Message string
	// Method and Path are the request's, without host or query.
	Method, Path string
	// RetryAfter is the server's Retry-After, 0 when absent.
	RetryAfter time.Duration
}

// Error describes the failure and the fix, e.g. for 401 where the key
// comes from.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "everflow: %d %s on %s %s", e.StatusCode, http.StatusText(e.StatusCode), e.Method, e.Path)
	if e.Message != "" {
		fmt.Fprintf(&b, " (%q)", e.Message)
	}
	if h := e.hint(); h != "" {
		b.WriteString(": ")
		b.WriteString(h)
	}
	return b.String()
}

// hint is what the user should do about the error.
func (e *Error) hint() string {
	switch code := e.StatusCode; {
	case code == http.StatusBadRequest && strings.Contains(strings.ToLower(e.Message), "page"):
		return "Everflow refused the paging parameters"
	case code == http.StatusBadRequest && strings.Contains(e.Path, "/reporting/"):
		return "Everflow only serves the last 365 days, in ranges of at most one year: check the report dates"
	case code == http.StatusBadRequest:
		return "the request was refused as malformed"
	case code == http.StatusUnauthorized:
		return "check EVERFLOW_API_KEY: it must be an affiliate API key from the partner portal (My Account → API), sent as the X-Eflow-API-Key header; it may have been revoked"
	case code == http.StatusForbidden && strings.Contains(strings.ToLower(e.Message), "out of realm"):
		return "the key is not an affiliate key: affiliate keys only work on /v1/affiliates/ paths; use the key from the partner portal (My Account → API)"
	case code == http.StatusForbidden:
		return "the key lacks permission for this endpoint: ask the network to grant the affiliate API access"
	case code == http.StatusNotFound:
		return "wrong path or id: check EVERFLOW_BASE_URL (US " + DefaultBaseURL + ", EU " + EUBaseURL + ")"
	case code == http.StatusTooManyRequests:
		return "rate limited: the network's 5 requests/s are shared by all its affiliates; lower EVERFLOW_MAX_RPS or retry later"
	case code >= 300 && code < 400:
		return "the API answered with a redirect, which the client does not follow: check EVERFLOW_BASE_URL"
	case code >= 500:
		return "Everflow-side failure; retry later"
	}
	return ""
}

// maxErrorBody bounds how much of an error body is read.
const maxErrorBody = 64 << 10

// checkResponse returns nil for a 2xx response, else an *Error built from
// the status, the body's "error" text (or a summary of it) and the
// Retry-After header, with the key scrubbed.
func (c *Client) checkResponse(resp *http.Response) error {
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	e := &Error{
		StatusCode: resp.StatusCode,
		Method:     resp.Request.Method,
		Path:       c.scrub(resp.Request.URL.Path),
		RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
	}
	var doc struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}
	switch {
	case json.Unmarshal(body, &doc) == nil && (doc.Error != "" || doc.Message != ""):
		e.Message = summarize(c.scrub(cmp.Or(doc.Error, doc.Message)), 300)
	case isHTML(resp.Header.Get("Content-Type"), body):
		e.Message = summarize(c.scrub(htmlText(string(body))), 100)
	default:
		e.Message = summarize(c.scrub(string(body)), 100)
	}
	if loc := resp.Header.Get("Location"); loc != "" && resp.StatusCode >= 300 && resp.StatusCode < 400 {
		e.Message = summarize("redirect to "+c.scrub(loc), 100)
	}
	return e
}

func isHTML(contentType string, body []byte) bool {
	if strings.Contains(strings.ToLower(contentType), "html") {
		return true
	}
	t := strings.TrimSpace(string(body[:min(len(body), 64)]))
	return strings.HasPrefix(t, "<")
}

// htmlText drops tags (and script/style contents are rare enough on gateway
// pages to be left as text) and decodes nothing: a summary, not a renderer.
func htmlText(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
			b.WriteByte(' ')
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// summarize collapses whitespace and cuts s to n runes, so an error or a
// log line never carries a whole page.
func summarize(s string, n int) string {
	s = strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// redacted replaces the key wherever it appears.
const redacted = "[REDACTED]"

// scrub removes the API key from s, also in the encodings a server or a URL
// might echo it in.
func (c *Client) scrub(s string) string {
	key := *c.key
	for _, k := range []string{key, url.QueryEscape(key), url.PathEscape(key)} {
		if k != "" && strings.Contains(s, k) {
			s = strings.ReplaceAll(s, k, redacted)
		}
	}
	return s
}

// scrubbedError stands in for an error whose text held the key: the text
// with the key removed, and instead of the original chain (whose texts
// still hold it) only the causes that matter to callers and to
// shouldRetry, so no unwrapping can bring the key back.
type scrubbedError struct {
	msg    string
	causes []error
}

func (e *scrubbedError) Error() string   { return e.msg }
func (e *scrubbedError) Unwrap() []error { return e.causes }

// keptCauses are the errors a scrubbed error still matches with errors.Is.
var keptCauses = []error{
	context.Canceled, context.DeadlineExceeded,
	io.ErrUnexpectedEOF, io.EOF,
	syscall.ECONNRESET, syscall.ECONNREFUSED, syscall.EPIPE,
	ErrEnvelope, ErrPagingIgnored, ErrInvalidDecimal, ErrMissingConversionID,
}

// timeoutError keeps a scrubbed timeout a net.Error with Timeout() true.
type timeoutError struct{}

func (timeoutError) Error() string   { return "timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// scrubError returns err unchanged when its text does not hold the key,
// else a scrubbedError.
func (c *Client) scrubError(err error) error {
	if err == nil {
		return nil
	}
	text := err.Error()
	msg := c.scrub(text)
	if msg == text {
		return err
	}
	e := &scrubbedError{msg: msg}
	for _, k := range keptCauses {
		if errors.Is(err, k) {
			e.causes = append(e.causes, k)
		}
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		e.causes = append(e.causes, timeoutError{})
	}
	var apiErr *Error // built scrubbed by checkResponse
	if errors.As(err, &apiErr) {
		e.causes = append(e.causes, apiErr)
	}
	return e
}

// parseRetryAfter reads Retry-After as seconds or an HTTP date; 0 when
// absent or unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		return time.Duration(min(n, 24*3600)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// shouldRetry is the one retry policy: whether an attempt that failed with
// err is worth another, and why (for the log).
func shouldRetry(ctx context.Context, err error) (bool, string) {
	// The caller gave up: nothing is worth another attempt.
	if ctx.Err() != nil {
		return false, ""
	}

	// Everflow answered. 429 and 5xx are transient by the docs; every
	// other status (400, 401, 403, 404, a redirect) says the request
	// itself is wrong, and repeating it only spends the shared budget.
	var apiErr *Error
	if errors.As(err, &apiErr) {
		switch {
		case apiErr.StatusCode == http.StatusTooManyRequests:
			return true, "rate limited"
		case apiErr.StatusCode >= 500:
			return true, "server error " + strconv.Itoa(apiErr.StatusCode)
		}
		return false, ""
	}

	// A body cut short: Content-Length not reached, or the JSON ended
	// mid-value. Checked before the network errors because a truncated
	// body also surfaces as a read error.
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return true, "truncated response"
	}

	// Timeouts: our client's, the dialer's or the server's.
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return true, "timeout"
	}

	// The connection went away under us.
	switch {
	case errors.Is(err, syscall.ECONNRESET):
		return true, "connection reset"
	case errors.Is(err, io.EOF):
		return true, "connection closed"
	case errors.Is(err, syscall.ECONNREFUSED):
		return true, "connection refused"
	case errors.Is(err, syscall.EPIPE):
		return true, "broken pipe"
	}

	// A DNS failure that the resolver calls temporary; "no such host" is a
	// wrong base URL and stays fatal.
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && (dnsErr.IsTemporary || dnsErr.IsTimeout) {
		return true, "dns failure"
	}

	// Anything else (a malformed body, a TLS failure, a bad URL) would
	// fail the same way again.
	return false, ""
}

// backoff is the wait before attempt+1: the server's Retry-After when it
// sent one, capped at MaxBackoff so one header cannot stall a daily job
// (a 429 that comes back early is retried again), else "equal jitter" over
// a capped exponential: a random wait in [ceiling/2, ceiling], ceiling =
// min(MaxBackoff, MinBackoff·2^(attempt-1)).
//
// Not full jitter ([0, ceiling]): Everflow's legacy rate limit answers 429
// to every call until its 30-second window resets, and Retry-After is
// unconfirmed. The half that is not random guarantees the retries span
// the window (with the defaults at least 47 s over 8 attempts); under full
// jitter about one run in eight gave up inside it.
func (c *Client) backoff(attempt int, err error) time.Duration {
	var apiErr *Error
	if errors.As(err, &apiErr) && apiErr.RetryAfter > 0 {
		return min(apiErr.RetryAfter, c.maxBackoff)
	}
	ceiling := c.minBackoff
	for i := 1; i < attempt && ceiling < c.maxBackoff; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, c.maxBackoff)
	if ceiling <= 0 {
		return 0
	}
	half := ceiling / 2
	return half + rand.N(ceiling-half+1)
}
