package sheets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"google.golang.org/api/googleapi"
)

// Error is a request to the Sheets API, or to the token endpoint, that
// failed in a way retrying cannot fix, or that still failed when the
// retries ran out. Its message says what to do.
type Error struct {
	Op         string // what the writer was doing, e.g. "write 2024-06-01" or "read spreadsheet ID"
	StatusCode int    // HTTP status; 0 when no response arrived
	Status     string // Google's status, e.g. "PERMISSION_DENIED", when it sent one
	Message    string // Google's message, with any secret removed
	Hint       string // what the user can do about it
	Attempts   int    // requests made before giving up
	err        error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.StatusCode)
		if e.Status != "" {
			b.WriteString(" " + e.Status)
		}
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	if e.Hint != "" {
		b.WriteString(": " + e.Hint)
	}
	return b.String()
}

// Unwrap returns the error the client library returned (a
// *googleapi.Error for an HTTP error), for errors.As.
func (e *Error) Unwrap() error { return e.err }

// failure is a failed request, classified once for the retry policy and
// for the error the user sees.
type failure struct {
	retry   bool
	reason  string        // for the warn line of a retry, secrets removed
	after   time.Duration // the server's Retry-After, if it sent one
	status  int
	gstatus string
	message string
	token   bool // the token endpoint failed, not the Sheets API
	err     error
}

// classify is the retry policy, read top to bottom: quota (429), timeouts
// (408) and server errors (5xx) are retried, as are failures to reach the
// server at all; any other HTTP error is final.
func (w *Writer) classify(err error) failure {
	var (
		gerr *googleapi.Error
		terr *tokenError
	)
	switch {
	case errors.As(err, &terr):
		return w.classifyToken(terr)
	case errors.As(err, &gerr):
		f := failure{status: gerr.Code, message: w.scrub.clean(gerr.Message), err: gerr}
		f.gstatus = googleStatus(gerr.Body)
		if f.message == "" {
			f.message = http.StatusText(gerr.Code)
		}
		f.after = retryAfter(gerr.Header)
		f.retry = retryableStatus(gerr.Code)
		f.reason = fmt.Sprintf("HTTP %d %s", gerr.Code, f.gstatus)
		if gerr.Code == http.StatusTooManyRequests {
			f.reason = "rate limited (HTTP 429 " + f.gstatus + "): " + f.message
		}
		f.reason = strings.TrimSpace(f.reason)
		return f
	default:
		// No HTTP response: a reset connection, EOF, a timeout, or a body
		// cut short. The request may or may not have been applied.
		msg := w.scrub.clean(err.Error())
		return failure{retry: true, reason: "network: " + msg, message: msg, err: err}
	}
}

func (w *Writer) classifyToken(terr *tokenError) failure {
	var rerr *oauth2.RetrieveError
	if !errors.As(terr, &rerr) || rerr.Response == nil {
		msg := w.scrub.clean(terr.err.Error())
		return failure{retry: true, token: true, reason: "token endpoint: " + msg, message: msg}
	}
	code := rerr.Response.StatusCode
	// Only the OAuth error code and description: the raw body could hold
	// anything. The JWT flow leaves them to be read from the body.
	ecode, desc := rerr.ErrorCode, rerr.ErrorDescription
	if ecode == "" {
		var v struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if json.Unmarshal(rerr.Body, &v) == nil {
			ecode, desc = v.Error, v.Description
		}
	}
	msg := ecode
	if desc != "" {
		msg += ": " + desc
	}
	msg = w.scrub.clean(strings.TrimPrefix(msg, ": "))
	return failure{retry: retryableStatus(code), token: true, status: code, message: msg,
		after: retryAfter(rerr.Response.Header), reason: fmt.Sprintf("token endpoint: HTTP %d %s", code, msg)}
}

func retryableStatus(code int) bool {
	return code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code >= 500
}

// googleStatus returns the "status" of Google's JSON error body, such as
// "RESOURCE_EXHAUSTED", or "".
func googleStatus(body string) string {
	var v struct {
		Error struct {
			Status string `json:"status"`
		} `json:"error"`
	}
	if json.Unmarshal([]byte(body), &v) != nil {
		return ""
	}
	return v.Error.Status
}

// maxRetryAfter bounds how long a Retry-After header can make the writer wait.
const maxRetryAfter = 5 * time.Minute

func retryAfter(h http.Header) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return min(time.Duration(s)*time.Second, maxRetryAfter)
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(time.Until(t), 0), maxRetryAfter)
	}
	return 0
}

// final turns a failure the writer gives up on into the user's error.
func (w *Writer) final(op string, f failure, attempts int) error {
	e := &Error{Op: op, StatusCode: f.status, Status: f.gstatus, Message: f.message, Attempts: attempts, err: f.err}
	who := w.account
	if who == "" {
		who = adcAccount
	}
	switch {
	case f.token && (f.status == 0 || f.retry):
		e.Op = op + ": fetch an access token"
		e.Hint = "could not reach the key's token_uri; check the network and try again"
	case f.token:
		e.Op = op + ": fetch an access token"
		e.Hint = "the token endpoint refused the service account key: check that the key (GOOGLE_APPLICATION_CREDENTIALS or GOOGLE_CREDENTIALS_JSON) is current and not deleted or disabled, and that this machine's clock is right"
	case f.status == http.StatusBadRequest:
		e.Hint = "Google refused the request as invalid"
		if strings.Contains(f.message, "cells") {
			e.Hint = "the spreadsheet is at its cell limit: lower DIGEST_KEEP_TABS, delete unused tabs or write to a new spreadsheet"
		}
	case f.status == http.StatusUnauthorized:
		e.Hint = "Google did not accept the credentials: check the service account key (GOOGLE_APPLICATION_CREDENTIALS or GOOGLE_CREDENTIALS_JSON)"
	case f.status == http.StatusForbidden:
		e.Hint = fmt.Sprintf("share the spreadsheet %s as an Editor with %s, and check that the Google Sheets API is enabled in the service account's Google Cloud project", w.id, who)
	case f.status == http.StatusNotFound:
		e.Hint = fmt.Sprintf("no spreadsheet with id %q: check SPREADSHEET_ID (the part of the spreadsheet's URL between /d/ and /edit)", w.id)
	case f.status == http.StatusTooManyRequests:
		e.Hint = "the Sheets quota (60 write requests a minute per service account) is still exhausted: run again in a minute, or ask for a higher quota"
	case f.status >= 500:
		e.Hint = "Google's service kept failing: run again later"
	case f.status == 0:
		e.Hint = "could not reach the Sheets API: check the network and SHEETS_ENDPOINT"
	}
	return e
}

// backoff returns the wait before retry number attempt (1-based): full
// jitter over a capped exponential, or the server's Retry-After if longer.
func (w *Writer) backoff(attempt int, after time.Duration) time.Duration {
	d := w.minBackoff
	for i := 1; i < attempt && d < w.maxBackoff; i++ {
		d *= 2
	}
	d = min(d, w.maxBackoff)
	wait := time.Duration(rand.Int64N(int64(d) + 1))
	return max(wait, after)
}

// sleep waits for d or until ctx ends.
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
