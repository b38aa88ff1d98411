package everflow

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eflow-digest/eflow-digest/everflow/everflowtest"
)

// testKey is distinctive so that a leak is easy to spot in any text.
const testKey = "sk-LEAKCHECK-7f3a9c2e4b1d"

// testNow is the stand-in's "today": every report day of the tests lies in
// its 365-day window.
var testNow = time.Date(2026, 11, 21, 15, 0, 0, 0, time.UTC)

// testDay is the usual report day, "yesterday" of testNow.
const testDay = "2026-11-20"

// fastOptions are client options for tests: ms backoffs, no practical rate
// limit, small pages so a day has several.
func fastOptions(baseURL string, log *slog.Logger) Options {
	return Options{
		BaseURL:     baseURL,
		MaxRPS:      10000,
		MinBackoff:  time.Millisecond,
		MaxBackoff:  5 * time.Millisecond,
		MaxAttempts: 4,
		PageSize:    10,
		Logger:      log,
	}
}

// logBuffer collects a client's log output at debug level, safe for the
// concurrent page workers.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newLogger() (*slog.Logger, *logBuffer) {
	b := &logBuffer{}
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}

// setup starts a bare mux server (go-github style) for narrow edge cases
// and a client pointed at it.
func setup(t *testing.T) (*Client, *http.ServeMux, *logBuffer) {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	log, buf := newLogger()
	c, err := NewClient(testKey, fastOptions(srv.URL, log))
	if err != nil {
		t.Fatal(err)
	}
	return c, mux, buf
}

// standIn starts the Everflow stand-in with data, rate limiting off unless
// opts sets it, and a client pointed at it.
func standIn(t *testing.T, opts everflowtest.Options, data []everflowtest.Conversion) (*Client, *everflowtest.Server, *logBuffer) {
	t.Helper()
	if opts.RPS == 0 {
		opts.RPS = -1
	}
	if opts.Now == nil {
		opts.Now = func() time.Time { return testNow }
	}
	if opts.APIKey == "" {
		opts.APIKey = testKey
	}
	srv := everflowtest.NewServer(opts, data)
	t.Cleanup(srv.Close)
	log, buf := newLogger()
	c, err := NewClient(testKey, fastOptions(srv.URL, log))
	if err != nil {
		t.Fatal(err)
	}
	return c, srv, buf
}

// assertNoKey fails if the key appears in any of texts.
func assertNoKey(t *testing.T, texts ...string) {
	t.Helper()
	for _, s := range texts {
		// Fragments too: a summary cut in the middle of the key leaks part.
		for _, k := range []string{testKey, "LEAKCH", "7f3a9c", "c2e4b1d"} {
			if strings.Contains(s, k) {
				t.Errorf("key fragment %q leaked into:\n%s", k, s)
			}
		}
	}
}

// collect runs Conversions and returns the conversions handed over.
func collect(t *testing.T, c *Client, q ConversionsQuery) ([]Conversion, PageStats, error) {
	t.Helper()
	var got []Conversion
	st, err := c.Conversions(t.Context(), q, func(cv Conversion) error {
		got = append(got, cv)
		return nil
	})
	return got, st, err
}

// dayQuery is the usual query: testDay in UTC (timezone_id 67).
func dayQuery() ConversionsQuery {
	return ConversionsQuery{Date: testDay, TimezoneID: 67, Events: true}
}

// generateDay returns n synthetic rows of date in loc.
func generateDay(seed int64, date string, loc *time.Location, n int, events float64) []everflowtest.Conversion {
	d, err := time.ParseInLocation(time.DateOnly, date, loc)
	if err != nil {
		panic(err)
	}
	return everflowtest.Generate(everflowtest.GenerateOptions{
		Seed: seed, From: d, Days: 1, PerDay: n, Location: loc, EventsRatio: events,
	})
}
