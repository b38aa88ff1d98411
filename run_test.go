package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/eflow-digest/eflow-digest/digest"
	"github.com/eflow-digest/eflow-digest/everflow/everflowtest"
	"github.com/eflow-digest/eflow-digest/sheets/sheetstest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

const (
	testKey     = "ef-test-key-7f3a9c2b51d04e86"
	testSheet   = "1TestSpreadsheet000000000000000000000000000"
	testAccount = "digest@test-project.iam.gserviceaccount.com"
)

// testNow is the clock of every run test: yesterday is 2026-11-24 in UTC.
var testNow = time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)

// harness is one job's world: the Everflow and Sheets stand-ins, a shared
// spreadsheet, and the configuration that points the job at them.
type harness struct {
	t          *testing.T
	ef         *everflowtest.Server
	sh         *sheetstest.Server
	cfg        Config
	privateKey string // the service account's private key, which must never show
}

func newHarness(t *testing.T, data []everflowtest.Conversion, opts everflowtest.Options) *harness {
	t.Helper()
	if opts.APIKey == "" {
		opts.APIKey = testKey
	}
	if opts.Now == nil {
		opts.Now = func() time.Time { return testNow }
	}
	if opts.RPS == 0 {
		opts.RPS = -1 // the client's own limiter is tested in everflow/
	}
	ef := everflowtest.NewServer(opts, data)
	t.Cleanup(ef.Close)
	sh := sheetstest.NewServer(sheetstest.Options{WritesPerMinute: -1, ReadsPerMinute: -1})
	t.Cleanup(sh.Close)
	key := sh.ServiceAccountKey(testAccount)
	sh.AddSpreadsheet(testSheet, "Revenue digest", testAccount)
	h := &harness{t: t, ef: ef, sh: sh, privateKey: privateKeyOf(t, key)}
	h.cfg = standInConfig(testKey, ef.URL, sh.URL, testSheet, key)
	h.cfg.EverflowMaxRPS = 50
	h.cfg.LogLevel = "debug"
	h.cfg.Now = func() time.Time { return testNow }
	h.cfg.tune = tuning{backoff: 2 * time.Millisecond, timeout: 5 * time.Second, writeInterval: -1}
	return h
}

// privateKeyOf returns the base64 body of a service-account key's private
// key, the part that must never appear in any output.
func privateKeyOf(t *testing.T, key []byte) string {
	t.Helper()
	var k struct {
		PrivateKey string `json:"private_key"`
	}
	if err := json.Unmarshal(key, &k); err != nil || !strings.Contains(k.PrivateKey, "PRIVATE KEY") {
		t.Fatalf("no private key in the service-account key: %v", err)
	}
	var body strings.Builder
	for _, line := range strings.Split(k.PrivateKey, "\n") {
		if !strings.HasPrefix(line, "-----") {
			body.WriteString(line)
		}
	}
	return body.String()
}

// run runs the job for dates with the harness's configuration, changed by
// edit, and checks that no secret reached its output.
func (h *harness) run(ctx context.Context, dates []string, edit func(*Config)) (stdout, stderr string, err error) {
	h.t.Helper()
	cfg := h.cfg
	cfg.Dates = nil
	for _, s := range dates {
		d, perr := digest.ParseDate(s)
		if perr != nil {
			h.t.Fatal(perr)
		}
		cfg.Dates = append(cfg.Dates, d)
	}
	if edit != nil {
		edit(&cfg)
	}
	if verr := cfg.validate(); verr != nil {
		h.t.Fatalf("test configuration: %v", verr)
	}
	var out, errOut bytes.Buffer
	err = run(ctx, cfg, &out, &errOut)
	h.noSecrets(out.String() + errOut.String())
	if err != nil {
		h.noSecrets(err.Error())
	}
	return out.String(), errOut.String(), err
}

// noSecrets fails the test when the API key or any piece of the private key
// appears in s.
func (h *harness) noSecrets(s string) {
	h.t.Helper()
	if strings.Contains(s, testKey) {
		h.t.Errorf("the Everflow API key appears in the output:\n%s", s)
	}
	compact := strings.ReplaceAll(s, "\\n", "")
	for i := 0; i+40 <= len(h.privateKey); i += 40 {
		if strings.Contains(compact, h.privateKey[i:i+40]) {
			h.t.Errorf("a piece of the private key appears in the output:\n%s", s)
			return
		}
	}
}

func (h *harness) render(tabs ...string) string {
	var b strings.Builder
	for _, tab := range tabs {
		b.WriteString(h.sh.RenderTab(testSheet, tab))
		b.WriteString("\n")
	}
	return b.String()
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

// at is a time on 2026-11-dd in UTC.
func at(dd, hh, mm int) time.Time { return time.Date(2026, 11, dd, hh, mm, 0, 0, time.UTC) }

// smallDay is two days of hand-made conversions that touch every rule of
// the digest: currencies, an event, a reversal, a renamed offer, 0.1-style
// amounts, and sub values that look like formulas, numbers and booleans.
func smallDay() []everflowtest.Conversion {
	c := func(id string, tm time.Time, offer int64, name, cur, rev, sub1 string) everflowtest.Conversion {
		return everflowtest.Conversion{ID: id, Time: tm, OfferID: offer, OfferName: name, Currency: cur, Revenue: rev, Subs: [5]string{sub1}}
	}
	ev := c("e1", at(24, 12, 0), 57, "Summer Sale", "USD", "5", "fb")
	ev.IsEvent, ev.Event = true, "Deposit"
	str := c("s1", at(24, 13, 0), 58, "Kasa Bank", "EUR", "5.25", "")
	str.RevenueAsString = true
	return []everflowtest.Conversion{
		c("a1", at(24, 1, 0), 57, "Summer Sale", "USD", "0.1", "fb"),
		c("a2", at(24, 2, 0), 57, "Summer Sale", "USD", "0.2", "fb"),
		c("a3", at(24, 23, 59), 57, "Summer Sale 2.0", "USD", "12.3456", `=HYPERLINK("http://x","y")`),
		c("a4", at(24, 3, 0), 58, "Kasa Bank", "EUR", "30", "00123"),
		c("a5", at(24, 4, 0), 58, "Kasa Bank", "EUR", "-3.5", "00123"),
		c("a6", at(24, 5, 0), 59, "Tea Club", "GBP", "7.77", "TRUE"),
		str, ev,
		c("b1", at(23, 10, 0), 59, "Tea Club", "GBP", "1", "+1"),
		c("z1", at(25, 0, 0), 57, "Summer Sale", "USD", "999", "today"), // today: not reported
		c("y1", at(22, 23, 59), 57, "Summer Sale", "USD", "888", "old"), // before the range
	}
}

func TestRunWritesDigest(t *testing.T) {
	t.Parallel()
	h := newHarness(t, smallDay(), everflowtest.Options{})
	_, stderr, err := h.run(t.Context(), []string{"2026-11-23", "2026-11-24"}, nil)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stderr)
	}
	golden(t, "run/append.txt", h.render("Daily", "Summary"))

	// The last log line sums the run up.
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	last := lines[len(lines)-1]
	for _, want := range []string{`"message":"digest complete"`, `"severity":"INFO"`, `"dates":2`, `"conversions":8`,
		`"revenue":{"EUR":"31.75","GBP":"8.77","USD":"12.6456"}`, `"sheets_writes":1`, `"everflow_requests":3`} {
		if !strings.Contains(last, want) {
			t.Errorf("summary line lacks %s:\n%s", want, last)
		}
	}

	// Running the same days again changes nothing.
	before := h.sh.Tabs(testSheet)
	if _, stderr, err := h.run(t.Context(), []string{"2026-11-23", "2026-11-24"}, nil); err != nil {
		t.Fatalf("second run: %v\n%s", err, stderr)
	}
	if diff := cmp.Diff(before, h.sh.Tabs(testSheet)); diff != "" {
		t.Errorf("a second run changed the spreadsheet (-first +second):\n%s", diff)
	}
}

func TestRunEventsAndSubs(t *testing.T) {
	t.Parallel()
	h := newHarness(t, smallDay(), everflowtest.Options{})
	_, stderr, err := h.run(t.Context(), []string{"2026-11-24"}, func(c *Config) {
		c.IncludeEvents = true
		c.SubIDs = ""
	})
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stderr)
	}
	golden(t, "run/events-by-offer.txt", h.render("Daily", "Summary"))
}

func TestRunRewriteMode(t *testing.T) {
	t.Parallel()
	h := newHarness(t, smallDay(), everflowtest.Options{})
	_, stderr, err := h.run(t.Context(), []string{"2026-11-23", "2026-11-24"}, func(c *Config) {
		c.WriteMode = "rewrite"
		c.KeepTabs = 1
	})
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stderr)
	}
	var titles []string
	for _, tab := range h.sh.Tabs(testSheet) {
		titles = append(titles, tab.Title)
	}
	if diff := cmp.Diff([]string{"Sheet1", "Summary", "2026-11-24"}, titles); diff != "" {
		t.Errorf("tabs (-want +got):\n%s", diff)
	}
	golden(t, "run/rewrite.txt", h.render("2026-11-24", "Summary"))
}

// TestRunMatchesRawData checks the digest of a generated month against sums
// computed here, independently, from the stand-in's raw conversions.
func TestRunMatchesRawData(t *testing.T) {
	t.Parallel()
	data := everflowtest.Generate(everflowtest.GenerateOptions{
		Seed: 7, From: at(18, 0, 0), Days: 7, PerDay: 700, Location: time.UTC, EventsRatio: 0.1, StringRevenueRatio: 0.1,
	})
	h := newHarness(t, data, everflowtest.Options{})
	dates := []string{"2026-11-18", "2026-11-19", "2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23", "2026-11-24"}
	if _, stderr, err := h.run(t.Context(), dates, func(c *Config) { c.tune.pageSize = 250 }); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr)
	}
	type key struct{ date, currency string }
	want := map[key]*big.Rat{}
	count := map[key]int{}
	for _, c := range data {
		if c.IsEvent {
			continue
		}
		k := key{c.Time.UTC().Format("2006-01-02"), c.Currency}
		if want[k] == nil {
			want[k] = new(big.Rat)
		}
		if c.Revenue != "" {
			r, ok := new(big.Rat).SetString(c.Revenue)
			if !ok {
				t.Fatalf("revenue %q", c.Revenue)
			}
			want[k].Add(want[k], r)
		}
		count[k]++
	}
	got := map[key]string{}
	gotCount := map[key]int{}
	for _, tab := range h.sh.Tabs(testSheet) {
		if tab.Title != "Summary" {
			continue
		}
		for _, row := range tab.Rows[1:] {
			d := sheetstest.SerialTime(*row[0].Number).Format("2006-01-02")
			k := key{d, *row[1].String}
			gotCount[k] = int(*row[2].Number)
			got[k] = new(big.Rat).SetFloat64(*row[3].Number).FloatString(4)
		}
	}
	wantText := map[key]string{}
	for k, r := range want {
		wantText[k] = r.FloatString(4)
	}
	if diff := cmp.Diff(wantText, got); diff != "" {
		t.Errorf("Summary revenue per date and currency (-raw +digest):\n%s", diff)
	}
	if diff := cmp.Diff(count, gotCount); diff != "" {
		t.Errorf("Summary conversions (-raw +digest):\n%s", diff)
	}
}

func TestRunDryRun(t *testing.T) {
	t.Parallel()
	h := newHarness(t, smallDay(), everflowtest.Options{})
	before := h.sh.Tabs(testSheet)
	stdout, stderr, err := h.run(t.Context(), []string{"2026-11-23", "2026-11-24"}, func(c *Config) {
		c.DryRun = true
		c.SpreadsheetID, c.CredentialsJSON = "", ""
	})
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stderr)
	}
	golden(t, "run/dry-run.csv", stdout)
	records, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not parse: %v", err)
	}
	if diff := cmp.Diff([]string{"Date", "Offer ID", "Offer", "Sub1", "Currency", "Conversions", "Revenue"}, records[0]); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	if got := h.sh.Stats(); got.Reads+got.Writes+got.Tokens != 0 {
		t.Errorf("a dry run called Google: %+v", got)
	}
	if diff := cmp.Diff(before, h.sh.Tabs(testSheet)); diff != "" {
		t.Errorf("a dry run changed the spreadsheet:\n%s", diff)
	}
}

func TestRunCheck(t *testing.T) {
	t.Parallel()
	h := newHarness(t, smallDay(), everflowtest.Options{})
	before := h.sh.Tabs(testSheet)
	stdout, stderr, err := h.run(t.Context(), []string{"2026-11-24"}, func(c *Config) { c.Check = true })
	if err != nil {
		t.Fatalf("check: %v\n%s", err, stderr)
	}
	for _, want := range []string{"ok  configuration: timezone UTC (Everflow timezone_id 67)", "ok  everflow", `"Revenue digest"`, testAccount, "Daily, Summary", "creating: Daily, Summary"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("-check output lacks %q:\n%s", want, stdout)
		}
	}
	if diff := cmp.Diff(before, h.sh.Tabs(testSheet)); diff != "" {
		t.Errorf("-check changed the spreadsheet:\n%s", diff)
	}
	if got := h.sh.Stats().Writes; got != 0 {
		t.Errorf("-check made %d writes", got)
	}
	if got := h.ef.Stats().PerPath[everflowtest.PathConversions]; got != 0 {
		t.Errorf("-check fetched %d conversion pages", got)
	}
}

func TestRunCancelledWritesNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, smallDay(), everflowtest.Options{Latency: 300 * time.Millisecond})
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, stderr, err := h.run(ctx, []string{"2026-11-23", "2026-11-24"}, nil)
	if err == nil {
		t.Fatal("a cancelled run succeeded")
	}
	if code := exitCode(err); code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	if got := h.sh.Stats().Writes; got != 0 {
		t.Errorf("a cancelled run wrote %d times", got)
	}
	if !strings.Contains(stderr, `"message":"run failed"`) {
		t.Errorf("no failure line:\n%s", stderr)
	}
}

func TestDemoIsRepeatable(t *testing.T) {
	t.Parallel()
	var first, second, logs bytes.Buffer
	if err := runDemo(t.Context(), &first, &logs); err != nil {
		t.Fatalf("demo: %v\n%s", err, logs.String())
	}
	if err := runDemo(t.Context(), &second, &logs); err != nil {
		t.Fatalf("second demo: %v\n%s", err, logs.String())
	}
	if diff := cmp.Diff(first.String(), second.String()); diff != "" {
		t.Errorf("two demos differ (-first +second):\n%s", diff)
	}
	for _, want := range []string{"Daily (", "Summary (", "Date        Offer ID", "30 days, 12000 conversions", "requests: Everflow 31"} {
		if !strings.Contains(first.String(), want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if strings.Contains(first.String()+logs.String(), demoAPIKey) {
		t.Error("the demo printed its API key")
	}
}
