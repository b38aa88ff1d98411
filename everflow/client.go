// Package everflow is a client for the Everflow Affiliate API: the
// conversions of a report day, exactly once and within the network's rate
// limit, the timezone ids, a cheap key check and an aggregate report to
// cross-check against.
//
// The client refuses to return what it cannot vouch for: a response without
// the expected envelope, a server that ignores the page parameter, or a
// conversion count that disagrees with the server's total_count is an error,
// never a partial or inflated result. The API key never appears in an error,
// a log line or a panic: everything built from a response is scrubbed of it.
package everflow

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Base URLs of Everflow's API hosts. Accounts hosted in the EU use EUBaseURL.
const (
	DefaultBaseURL = "https://api.eflow.team"
	EUBaseURL      = "https://api-eu.eflow.team"
)

// Defaults applied by NewClient to zero Options fields.
const (
	DefaultMaxRPS      = 3
	DefaultMinBackoff  = time.Second
	DefaultMaxBackoff  = 32 * time.Second
	DefaultMaxAttempts = 8
	DefaultPageSize    = 2000
	// DefaultTimeout bounds one HTTP request, body included, for the
	// client's own *http.Client. Everflow publishes no server timeout;
	// other clients use 12-60 s, and a 2000-row page can be slow.
	DefaultTimeout = 60 * time.Second
)

// Options configures a Client. The zero value talks to the US host at 3
// requests per second.
type Options struct {
	// BaseURL is the API host, e.g. https://api.eflow.team or
	// https://api-eu.eflow.team, with or without a trailing slash; "" means
	// DefaultBaseURL. Any URL works for tests.
	BaseURL string
	// HTTPClient sends the requests; nil means a client of the package's
	// own with DefaultTimeout and dial, TLS and header timeouts. Redirects
	// are never followed (they could carry the key to another host) unless
	// the given client has its own CheckRedirect.
	HTTPClient *http.Client
	// MaxRPS is the ceiling on requests per second, retries included; 0
	// means DefaultMaxRPS. The network's whole budget is 5/s, shared by
	// every affiliate and key of the network.
	MaxRPS float64
	// Logger receives retries (warn), paging progress (info for long days,
	// debug otherwise) and fallbacks; nil discards.
	Logger *slog.Logger
	// MinBackoff and MaxBackoff bound the exponential backoff between
	// attempts (jittered over the upper half of each step); 0 means
	// DefaultMinBackoff and DefaultMaxBackoff. A server's Retry-After is
	// honoured up to MaxBackoff, so one header cannot stall a daily job.
	MinBackoff, MaxBackoff time.Duration
	// MaxAttempts is the number of attempts per request, the first
	// included; 0 means DefaultMaxAttempts.
	MaxAttempts int
	// PageSize is the conversions page size sent in the query string; 0
	// means DefaultPageSize, Everflow's maximum.
	PageSize int
}

// Client talks to the Everflow Affiliate API. It is safe for concurrent use.
type Client struct {
	// BaseURL is the API host, always with a trailing slash; request paths
	// are resolved against it.
	BaseURL *url.URL

	// key is a pointer so that printing a Client (%v, %+v, slog.Any) shows
	// an address, never the key.
	key *string
	hc  *http.Client
	log *slog.Logger

	limiter     *rate.Limiter
	maxRPS      float64
	minBackoff  time.Duration
	maxBackoff  time.Duration
	maxAttempts int
	pageSize    int

	// pageSlots bounds the conversions pages requested or held (decoded,
	// waiting for delivery) at once across all calls, and with it memory.
	pageSlots chan struct{}

	// throttleUntil (unix nanoseconds) holds every request back after the
	// server reported its bucket (nearly) empty; see noteRateLimit.
	throttleUntil atomic.Int64
	requests      atomic.Int64
	retries       atomic.Int64
}

// NewClient returns a client for the affiliate API key apiKey (surrounding
// whitespace is trimmed; an empty key is an error).
func NewClient(apiKey string, opts Options) (*Client, error) {
	key := strings.TrimSpace(apiKey)
	if key == "" {
		return nil, errors.New("everflow: empty API key: set EVERFLOW_API_KEY to the affiliate key from the partner portal (My Account → API)")
	}
	base, err := parseBaseURL(opts.BaseURL)
	if err != nil {
		return nil, err
	}
	if math.IsNaN(opts.MaxRPS) || math.IsInf(opts.MaxRPS, 0) || opts.MaxRPS < 0 {
		return nil, fmt.Errorf("everflow: max requests per second %v must be a positive number", opts.MaxRPS)
	}
	if opts.MinBackoff < 0 || opts.MaxBackoff < 0 || opts.MaxAttempts < 0 || opts.PageSize < 0 {
		return nil, errors.New("everflow: backoffs, attempts and page size must not be negative")
	}
	c := &Client{
		BaseURL:     base,
		key:         &key,
		log:         opts.Logger,
		maxRPS:      cmp.Or(opts.MaxRPS, DefaultMaxRPS),
		minBackoff:  cmp.Or(opts.MinBackoff, DefaultMinBackoff),
		maxBackoff:  cmp.Or(opts.MaxBackoff, DefaultMaxBackoff),
		maxAttempts: cmp.Or(opts.MaxAttempts, DefaultMaxAttempts),
		pageSize:    cmp.Or(opts.PageSize, DefaultPageSize),
	}
	if c.maxBackoff < c.minBackoff {
		c.maxBackoff = c.minBackoff
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	// Burst 1: requests leave at least 1/MaxRPS apart, so no window ever
	// sees more than the ceiling plus one request. A bigger burst would
	// save a fraction of a second per day and spend the network's shared
	// budget in spikes.
	c.limiter = rate.NewLimiter(rate.Limit(c.maxRPS), 1)
	c.pageSlots = make(chan struct{}, c.workers(maxWorkers))
	if opts.HTTPClient != nil {
		hc := *opts.HTTPClient
		if hc.CheckRedirect == nil {
			hc.CheckRedirect = refuseRedirect
		}
		c.hc = &hc
	} else {
		c.hc = newHTTPClient()
	}
	return c, nil
}

// parseBaseURL accepts a host URL with or without a trailing slash and
// refuses one that already holds an API path: the reference documents the
// base as https://api.eflow.team/v1/affiliates, and pasting that would
// double every path into a 404.
func parseBaseURL(s string) (*url.URL, error) {
	if s == "" {
		s = DefaultBaseURL
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("everflow: base URL %q must be an http(s) URL such as %s or %s", s, DefaultBaseURL, EUBaseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("everflow: base URL %q must not have a query or fragment", s)
	}
	if p := strings.TrimSuffix(u.Path, "/"); p == "/v1" || strings.HasSuffix(p, "/v1") || strings.Contains(p, "/v1/") {
		return nil, fmt.Errorf("everflow: base URL %q must be the host only, without /v1/...: e.g. %s", s, DefaultBaseURL)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	return u, nil
}

// newHTTPClient is the client used when Options.HTTPClient is nil: bounded
// at every stage, so a stuck connection becomes a retryable timeout, with
// enough idle connections kept for the concurrent page workers.
func newHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = 10 * time.Second
	t.ResponseHeaderTimeout = 50 * time.Second
	t.MaxIdleConns = 64
	t.MaxIdleConnsPerHost = maxWorkers + 4
	return &http.Client{Transport: t, Timeout: DefaultTimeout, CheckRedirect: refuseRedirect}
}

// refuseRedirect makes a 3xx the response: the API does not redirect, and
// following one would send the key header along.
func refuseRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Stats counts what a Client sent.
type Stats struct {
	// Requests counts HTTP attempts, retries included.
	Requests int64
	// Retries counts attempts after the first of each request.
	Retries int64
}

// Stats returns the counters so far; safe for concurrent use.
func (c *Client) Stats() Stats {
	return Stats{Requests: c.requests.Load(), Retries: c.retries.Load()}
}

// newRequest builds a request for path (relative to BaseURL, with or
// without a leading slash) with query in the URL and body, if not nil,
// encoded as JSON. The body can be replayed, so do can retry.
func (c *Client) newRequest(ctx context.Context, method, path string, query url.Values, body any) (*http.Request, error) {
	u := c.BaseURL.JoinPath(strings.TrimPrefix(path, "/"))
	if len(query) > 0 {
		u.RawQuery = query.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encode request body: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, c.scrubError(fmt.Errorf("build request: %w", err))
	}
	req.Header.Set("X-Eflow-API-Key", *c.key)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "eflow-digest")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// bodyDecoder is implemented by response types that decode themselves from
// the stream (a conversions page), instead of through json.Decoder.Decode.
type bodyDecoder interface {
	decodeBody(r io.Reader) error
}

// do sends req, retrying as shouldRetry says within the rate limit, and
// decodes a 2xx JSON body into v (nil: body discarded). A decode that
// fails because the body was cut short is retried like a network error,
// so v must tolerate being decoded into more than once.
func (c *Client) do(req *http.Request, v any) error {
	ctx := req.Context()
	for attempt := 1; ; attempt++ {
		if err := c.waitTurn(ctx); err != nil {
			if ctx.Err() == nil {
				// The limiter refuses up front a wait that would pass the
				// context's deadline; report it as the deadline it is.
				err = fmt.Errorf("%w: %w", context.DeadlineExceeded, err)
			}
			return fmt.Errorf("%s %s: wait for the rate limit: %w", req.Method, req.URL.Path, err)
		}
		err := c.send(req, v)
		if err == nil {
			return nil
		}
		retry, reason := shouldRetry(ctx, err)
		if !retry {
			if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
				return fmt.Errorf("%w (last error: %w)", ctxErr, err)
			}
			return err
		}
		if attempt >= c.maxAttempts {
			return fmt.Errorf("giving up after %d attempts: %w", attempt, err)
		}
		wait := c.backoff(attempt, err)
		c.retries.Add(1)
		c.log.LogAttrs(ctx, slog.LevelWarn, "everflow request failed, retrying",
			slog.String("method", req.Method),
			slog.String("path", req.URL.Path),
			slog.String("reason", reason),
			slog.Int("attempt", attempt),
			slog.Duration("wait", wait),
			slog.String("error", err.Error()),
		)
		if sleepErr := sleep(ctx, wait); sleepErr != nil {
			return fmt.Errorf("%s %s: wait before retry: %w (last error: %w)", req.Method, req.URL.Path, sleepErr, err)
		}
	}
}

// send makes one attempt: the request, the status check, the body decode.
// Every error it returns is scrubbed of the key.
func (c *Client) send(req *http.Request, v any) error {
	r := req.Clone(req.Context())
	if req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			return fmt.Errorf("replay request body: %w", err)
		}
		r.Body = body
	}
	c.requests.Add(1)
	resp, err := c.hc.Do(r)
	if err != nil {
		return c.scrubError(err)
	}
	defer resp.Body.Close()
	c.noteRateLimit(resp.Header)
	if err := c.checkResponse(resp); err != nil {
		return err
	}
	if v != nil {
		var err error
		if d, ok := v.(bodyDecoder); ok {
			err = d.decodeBody(resp.Body)
		} else {
			err = json.NewDecoder(resp.Body).Decode(v)
		}
		if errors.Is(err, io.EOF) {
			// An empty 200 body: the connection ended before any JSON,
			// which is a truncation, not an answer.
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			return c.scrubError(fmt.Errorf("decode %s response: %w", req.URL.Path, err))
		}
	}
	// Read to the end: a body shorter than its Content-Length after a
	// complete JSON value is still a truncated response, and the
	// connection can be reused only once drained.
	if _, err := io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)); err != nil {
		return c.scrubError(fmt.Errorf("read %s response: %w", req.URL.Path, err))
	}
	return nil
}

// waitTurn waits for a token of the rate limiter, and first for the end of
// a pause set by noteRateLimit.
func (c *Client) waitTurn(ctx context.Context) error {
	if until := c.throttleUntil.Load(); until != 0 {
		if d := time.Until(time.Unix(0, until)); d > 0 {
			if err := sleep(ctx, d); err != nil {
				return err
			}
		}
	}
	return c.limiter.Wait(ctx)
}

// noteRateLimit throttles proactively when the server says its bucket is
// about to run dry (X-RateLimit-Remaining 0 or 1): every request waits a
// little (one second when empty, the time of one request at MaxRPS when one
// token is left, never more than MaxBackoff) instead of spending the
// network's shared budget on 429s. The bucket is shared with every other
// affiliate of the network, so our own limiter alone cannot know this.
func (c *Client) noteRateLimit(h http.Header) {
	v := h.Get("X-RateLimit-Remaining")
	if v == "" {
		return
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n > 1 {
		return
	}
	pause := time.Second
	if n == 1 {
		pause = time.Duration(float64(time.Second) / c.maxRPS)
	}
	pause = min(pause, c.maxBackoff)
	until := time.Now().Add(pause).UnixNano()
	for {
		cur := c.throttleUntil.Load()
		if cur >= until || c.throttleUntil.CompareAndSwap(cur, until) {
			break
		}
	}
	c.log.LogAttrs(context.Background(), slog.LevelDebug, "everflow rate limit nearly exhausted, pausing",
		slog.Int("remaining", n), slog.Duration("wait", pause))
}

// sleep waits d or until ctx is done, whichever comes first.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
