package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/eflow-digest/eflow-digest/digest"
	"github.com/eflow-digest/eflow-digest/everflow"
	"github.com/eflow-digest/eflow-digest/sheets"
)

// run is the whole job: fetch every report day from Everflow, aggregate it,
// and write it to the spreadsheet in one Sheets write (or print it as CSV,
// or only check access). It logs its own failure once, as the last line.
func run(ctx context.Context, cfg Config, stdout, stderr io.Writer) error {
	if cfg.Demo {
		return runDemo(ctx, stdout, stderr)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := newLogger(cfg, stderr, secretsOf(cfg)...)
	report, err := runJob(ctx, cfg, log, stdout)
	if err != nil {
		// The failure is the run's last line, so it sums up what the run
		// cost too: a failed run is the one whose requests and retries matter.
		log.Error("run failed", append([]any{"error", err, "exit_status", exitCode(err)}, report.failureAttrs()...)...)
	}
	return err
}

// runJob runs with the logger it is given; it is run without the logging of
// the outcome, and the demo's pipeline. On failure its report holds only what
// the run cost (requests, retries, duration), not what it fetched.
func runJob(ctx context.Context, cfg Config, log *slog.Logger, stdout io.Writer) (report runReport, err error) {
	started := time.Now()
	var (
		ef     *everflow.Client
		writer *sheets.Writer
	)
	defer func() {
		if err != nil {
			report = costReport(cfg, ef, writer, time.Since(started))
		}
	}()
	ef, err = everflow.NewClient(cfg.EverflowAPIKey, everflow.Options{
		BaseURL:    cfg.EverflowBaseURL,
		MaxRPS:     cfg.EverflowMaxRPS,
		Logger:     log.With("component", "everflow"),
		HTTPClient: cfg.tune.httpClient(),
		MinBackoff: cfg.tune.backoff,
		MaxBackoff: 8 * cfg.tune.backoff,
		PageSize:   cfg.tune.pageSize,
	})
	if err != nil {
		// validate made a client from the same settings already.
		return runReport{}, fmt.Errorf("set up the Everflow client: %w", err)
	}
	dcfg := digest.Config{Subs: cfg.subs, Events: cfg.IncludeEvents}

	// The writer comes first so that bad Google credentials stop the run
	// before anything is fetched; creating it calls nothing.
	if !cfg.DryRun {
		writer, err = sheets.NewWriter(ctx, sheets.Options{
			SpreadsheetID:   cfg.SpreadsheetID,
			Endpoint:        cfg.SheetsEndpoint,
			CredentialsFile: cfg.CredentialsFile,
			CredentialsJSON: cfg.CredentialsJSON,
			Logger:          log.With("component", "sheets"),
			HTTPClient:      cfg.tune.httpClient(),
			MinBackoff:      cfg.tune.backoff,
			MaxBackoff:      8 * cfg.tune.backoff,
			WriteInterval:   cfg.tune.writeInterval,
		}, sheetsLayout(cfg, dcfg))
		if err != nil {
			var cerr *sheets.ConfigError
			if errors.As(err, &cerr) {
				return runReport{}, &usageError{msg: cerr.Error()}
			}
			return runReport{}, fmt.Errorf("open the spreadsheet: %w", err)
		}
	}

	tz := int(cfg.EverflowTimezoneID)
	if tz == 0 {
		tz, err = ef.TimezoneID(ctx, cfg.Timezone)
		if err != nil {
			if errors.Is(err, everflow.ErrUnknownTimezone) {
				return runReport{}, &usageError{msg: fmt.Sprintf("DIGEST_TIMEZONE %q: %v", cfg.Timezone, err)}
			}
			return runReport{}, fmt.Errorf("find Everflow's timezone_id for %s: %w", cfg.Timezone, err)
		}
	}

	if cfg.Check {
		return runReport{}, runCheck(ctx, cfg, stdout, ef, writer, tz)
	}

	log.Info("run started", "dates", len(cfg.Dates), "from", cfg.Dates[0].String(), "to", cfg.Dates[len(cfg.Dates)-1].String(),
		"timezone", cfg.Timezone, "timezone_id", tz, "mode", mode(cfg))
	days, err := fetchDays(ctx, cfg, log, ef, dcfg, tz)
	if err != nil {
		return runReport{}, err
	}
	if cfg.CrossCheck {
		crossCheck(ctx, log, ef, days, tz, cfg.IncludeEvents)
	}
	refreshed := cfg.Now().UTC().Truncate(time.Second)
	if cfg.DryRun {
		if err := dcfg.WriteCSV(stdout, days); err != nil {
			return runReport{}, fmt.Errorf("print the digest: %w", err)
		}
	} else {
		// No write begins once the run has been told to stop.
		if err := ctx.Err(); err != nil {
			return runReport{}, fmt.Errorf("stopped before writing: %w", err)
		}
		if err := writer.Write(ctx, sheetDays(cfg, dcfg, days, refreshed)); err != nil {
			return runReport{}, fmt.Errorf("write the digest to spreadsheet %s: %w", cfg.SpreadsheetID, err)
		}
	}
	report = newReport(cfg, days, ef, writer, time.Since(started))
	report.log(log, cfg.IncludeEvents, writer != nil)
	return report, nil
}

func mode(cfg Config) string {
	if cfg.DryRun {
		return "dry-run"
	}
	return cfg.WriteMode
}

// fetchDays fetches and aggregates every report day. Days are fetched side by
// side, since a backfill of one-page days would otherwise wait a page's
// latency per day; the Everflow client's limiter keeps the total within
// EVERFLOW_MAX_RPS. The first failure stops the others: a run writes all of
// its days or none.
func fetchDays(ctx context.Context, cfg Config, log *slog.Logger, ef *everflow.Client, dcfg digest.Config, tz int) ([]digest.Day, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	workers := int(math.Ceil(cfg.EverflowMaxRPS * 2))
	workers = max(2, min(workers, 16, len(cfg.Dates)))
	jobs := make(chan int)
	results := make([][]digest.Day, len(cfg.Dates))
	var (
		mu       sync.Mutex
		firstErr error
		done     int
		total    int64
		last     = time.Now()
		started  = time.Now()
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = err
			cancel()
		}
	}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				day := cfg.Dates[i]
				agg := digest.NewAggregator(dcfg)
				agg.AddDate(day)
				stats, err := ef.Conversions(ctx, everflow.ConversionsQuery{
					Date: day.String(), TimezoneID: tz, Events: cfg.IncludeEvents,
				}, func(c everflow.Conversion) error {
					return addConversion(agg, day, c)
				})
				if err != nil {
					fail(fmt.Errorf("fetch conversions of %s: %w", day, err))
					continue
				}
				results[i] = agg.Days()
				mu.Lock()
				done++
				total += int64(stats.Conversions)
				if len(cfg.Dates) > 1 && (time.Since(last) >= 5*time.Second || done == len(cfg.Dates)) {
					last = time.Now()
					elapsed := time.Since(started).Seconds()
					log.Info("fetching days", "done", done, "of", len(cfg.Dates), "conversions", total,
						"days_per_second", round2(float64(done)/elapsed))
				}
				mu.Unlock()
				log.Debug("day fetched", "date", day.String(), "conversions", stats.Conversions, "pages", stats.Pages)
			}
		}()
	}
feed:
	for i := range cfg.Dates {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("stopped while fetching: %w", err)
	}
	var days []digest.Day
	for _, r := range results {
		days = append(days, r...)
	}
	return days, nil
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

// addConversion hands one Everflow conversion to the day's aggregator.
func addConversion(agg *digest.Aggregator, day digest.Date, c everflow.Conversion) error {
	revenue, err := digest.ParseMoney(c.Revenue.String())
	if err != nil {
		return fmt.Errorf("conversion %s: revenue %q: %w", c.ConversionID, c.Revenue.String(), err)
	}
	return agg.Add(digest.Conversion{
		Date:     day,
		Time:     c.UnixTimestamp,
		OfferID:  c.OfferID(),
		Offer:    c.OfferName(),
		Subs:     c.Subs(),
		Currency: c.CurrencyID,
		Revenue:  revenue,
		IsEvent:  c.IsEvent,
	})
}

// sheetsLayout describes the spreadsheet the configuration asks for.
func sheetsLayout(cfg Config, dcfg digest.Config) sheets.Layout {
	m := sheets.Append
	if cfg.WriteMode == "rewrite" {
		m = sheets.Rewrite
	}
	return sheets.Layout{
		Mode:          m,
		DailyTab:      cfg.Tab,
		SummaryTab:    cfg.SummaryTab,
		KeepTabs:      cfg.KeepTabs,
		DailyHeader:   dcfg.DailyHeader(),
		SummaryHeader: dcfg.SummaryHeader(),
		TabHeader:     dcfg.TabHeader(),
	}
}

// sheetDays turns the digest's typed tables into the writer's cells.
func sheetDays(cfg Config, dcfg digest.Config, days []digest.Day, refreshed time.Time) []sheets.Day {
	out := make([]sheets.Day, 0, len(days))
	for _, d := range days {
		sd := sheets.Day{
			Date:    d.Date.Time(),
			Summary: sheetRows(dcfg.SummaryRows(d, refreshed)),
		}
		if cfg.WriteMode == "rewrite" {
			sd.Tab = sheetRows(dcfg.TabRows(d))
		} else {
			sd.Daily = sheetRows(dcfg.DailyRows(d))
		}
		out = append(out, sd)
	}
	return out
}

func sheetRows(rows [][]digest.Cell) [][]sheets.Cell {
	out := make([][]sheets.Cell, len(rows))
	for i, row := range rows {
		out[i] = make([]sheets.Cell, len(row))
		for j, c := range row {
			out[i][j] = sheetCell(c)
		}
	}
	return out
}

// sheetCell maps a digest cell to a Sheets cell. Money becomes a float only
// here, for the cell: the float nearest to the exact 4-decimal amount.
func sheetCell(c digest.Cell) sheets.Cell {
	switch c.Kind {
	case digest.KindInt:
		return sheets.Cell{Kind: sheets.Integer, Number: float64(c.Int)}
	case digest.KindMoney:
		return sheets.Cell{Kind: sheets.Money, Number: c.Money.Float64()}
	case digest.KindDate:
		return sheets.Cell{Kind: sheets.Date, Number: float64(c.Date.Serial())}
	case digest.KindTime:
		return sheets.Cell{Kind: sheets.DateTime, Number: serialTime(c.Time)}
	}
	return sheets.Cell{Kind: sheets.Text, Text: c.Text}
}

// serialTime is t as a Sheets date-time serial: days since 1899-12-30, with
// the time of day as the fraction.
func serialTime(t time.Time) float64 {
	t = t.UTC()
	d := digest.DateOf(t)
	secs := t.Sub(d.Time()).Seconds()
	return float64(d.Serial()) + secs/86400
}

// runReport sums a run up: what was reported and what it cost.
type runReport struct {
	Days             int
	From, To         string
	Conversions      int64
	Events           int64
	Revenue          map[string]string // exact total per currency; "(none)" for a missing currency
	EverflowRequests int64
	EverflowRetries  int64
	SheetsReads      int64
	SheetsWrites     int64
	SheetsRetries    int64
	SheetsUsed       bool // the run had a Sheets writer (not -dry-run)
	Duration         time.Duration
}

func newReport(cfg Config, days []digest.Day, ef *everflow.Client, writer *sheets.Writer, took time.Duration) runReport {
	r := costReport(cfg, ef, writer, took)
	r.Days = len(days)
	r.Revenue = map[string]string{}
	sums := map[string]digest.Money{}
	for _, d := range days {
		for _, t := range d.Totals {
			r.Conversions += t.Conversions
			r.Events += t.Events
			// Each day's totals were summed with overflow checks; a year of
			// them cannot overflow where no single day did in a real account,
			// and the summary line is not where money is written.
			if s, err := sums[t.Currency].Add(t.Revenue); err == nil {
				sums[t.Currency] = s
			}
		}
	}
	for cur, m := range sums {
		if cur == "" {
			cur = "(none)"
		}
		r.Revenue[cur] = m.String()
	}
	return r
}

// costReport is what a run cost: its dates, requests, retries and duration.
// It is the whole report of a failed run, since nothing it fetched was
// reported; newReport adds the totals of a run that succeeded.
func costReport(cfg Config, ef *everflow.Client, writer *sheets.Writer, took time.Duration) runReport {
	r := runReport{Days: len(cfg.Dates), Duration: took, SheetsUsed: writer != nil}
	if len(cfg.Dates) > 0 {
		r.From, r.To = cfg.Dates[0].String(), cfg.Dates[len(cfg.Dates)-1].String()
	}
	if ef != nil {
		efs := ef.Stats()
		r.EverflowRequests, r.EverflowRetries = int64(efs.Requests), int64(efs.Retries)
	}
	if writer != nil {
		ss := writer.Stats()
		r.SheetsReads, r.SheetsWrites, r.SheetsRetries = int64(ss.Reads), int64(ss.Writes), int64(ss.Retries)
	}
	return r
}

// log writes the run's last line.
func (r runReport) log(log *slog.Logger, events, sheetsUsed bool) {
	attrs := []any{"dates", r.Days, "from", r.From, "to", r.To, "conversions", r.Conversions}
	if events {
		attrs = append(attrs, "events", r.Events)
	}
	attrs = append(attrs, revenueAttr(r.Revenue), "everflow_requests", r.EverflowRequests, "everflow_retries", r.EverflowRetries)
	if sheetsUsed {
		attrs = append(attrs, "sheets_reads", r.SheetsReads, "sheets_writes", r.SheetsWrites, "sheets_retries", r.SheetsRetries)
	}
	attrs = append(attrs, "duration_ms", r.Duration.Milliseconds())
	log.Info("digest complete", attrs...)
}

// failureAttrs are the attributes of a failed run's last line: its dates and
// what it cost. A run that failed before its configuration was whole has none.
func (r runReport) failureAttrs() []any {
	if r.Days == 0 {
		return nil
	}
	attrs := []any{"dates", r.Days, "from", r.From, "to", r.To,
		"everflow_requests", r.EverflowRequests, "everflow_retries", r.EverflowRetries}
	if r.SheetsUsed {
		attrs = append(attrs, "sheets_reads", r.SheetsReads, "sheets_writes", r.SheetsWrites, "sheets_retries", r.SheetsRetries)
	}
	return append(attrs, "duration_ms", r.Duration.Milliseconds())
}

// revenueAttr is the revenue per currency as a group, so that JSON shows an
// object and text shows revenue.USD=… rather than Go's map syntax. With no
// currency it is an empty object: an empty group would drop the key.
func revenueAttr(revenue map[string]string) slog.Attr {
	if len(revenue) == 0 {
		return slog.Any("revenue", map[string]string{})
	}
	currencies := slices.Sorted(maps.Keys(revenue))
	attrs := make([]any, len(currencies))
	for i, c := range currencies {
		attrs[i] = slog.String(c, revenue[c])
	}
	return slog.Group("revenue", attrs...)
}

// crossCheck compares each day's per-offer totals with Everflow's own
// aggregate report and warns on a mismatch. It costs one request per day and
// currency, so it is off unless DIGEST_CROSS_CHECK is set; a failure of the
// check itself is a warning, not a failed run. Everflow's report counts
// event revenue in revenue, so revenue is compared only with events on;
// conversions always.
func crossCheck(ctx context.Context, log *slog.Logger, ef *everflow.Client, days []digest.Day, tz int, events bool) {
	type totals struct {
		revenue             digest.Money
		conversions, events int64
	}
	for _, d := range days {
		for _, total := range d.Totals {
			if total.Currency == "" {
				continue
			}
			report, err := ef.OfferTotals(ctx, d.Date.String(), tz, total.Currency)
			if err != nil {
				log.Warn("cross-check skipped", "date", d.Date.String(), "currency", total.Currency, "error", err)
				continue
			}
			ours := map[int64]totals{}
			for _, r := range d.Rows {
				if r.Currency != total.Currency {
					continue
				}
				o := ours[r.OfferID]
				o.revenue, _ = o.revenue.Add(r.Revenue)
				o.conversions += r.Conversions
				o.events += r.Events
				ours[r.OfferID] = o
			}
			for _, o := range report {
				mine, ok := ours[o.OfferID]
				if !ok {
					// Everflow converts other currencies into this one: only
					// offers we saw in this currency compare like for like.
					continue
				}
				theirs, err := digest.ParseMoney(o.Revenue.String())
				if err != nil {
					log.Warn("cross-check skipped", "date", d.Date.String(), "offer_id", o.OfferID, "error", err)
					continue
				}
				if mine.conversions != o.Conversions || (events && (mine.revenue != theirs || mine.events != o.Events)) {
					log.Warn("cross-check mismatch", "date", d.Date.String(), "offer_id", o.OfferID, "currency", total.Currency,
						"revenue", mine.revenue.String(), "everflow_revenue", theirs.String(),
						"conversions", mine.conversions, "everflow_conversions", o.Conversions)
				}
			}
		}
	}
}

// secretsOf lists the values no output may contain: the Everflow key and the
// Google key, whole and line by line.
func secretsOf(cfg Config) []string {
	secrets := []string{cfg.EverflowAPIKey}
	raw := []byte(cfg.CredentialsJSON)
	if len(raw) == 0 && cfg.CredentialsFile != "" {
		raw, _ = os.ReadFile(cfg.CredentialsFile)
	}
	if len(raw) > 0 {
		secrets = append(secrets, strings.TrimSpace(string(raw)))
		var key struct {
			PrivateKey   string `json:"private_key"`
			PrivateKeyID string `json:"private_key_id"`
		}
		if json.Unmarshal(raw, &key) == nil {
			secrets = append(secrets, key.PrivateKey, key.PrivateKeyID)
			for _, line := range strings.Split(key.PrivateKey, "\n") {
				if !strings.HasPrefix(line, "-----") {
					secrets = append(secrets, line)
				}
			}
		}
	}
	sort.Slice(secrets, func(i, j int) bool { return len(secrets[i]) > len(secrets[j]) })
	return secrets
}
