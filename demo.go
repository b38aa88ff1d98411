package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/eflow-digest/eflow-digest/digest"
	"github.com/eflow-digest/eflow-digest/everflow"
	"github.com/eflow-digest/eflow-digest/everflow/everflowtest"
	"github.com/eflow-digest/eflow-digest/sheets/sheetstest"
)

// The demo's stand-in account. Nothing here is a real credential: the
// Everflow stand-in accepts this key and the Sheets stand-in mints its own
// service-account key for the run.
const (
	demoAPIKey        = "demo-affiliate-key-0123456789"
	demoSpreadsheetID = "1DemoSpreadsheet0000000000000000000000000000"
	demoAccount       = "eflow-digest@demo-project.iam.gserviceaccount.com"
	demoDays          = 30
)

// runDemo runs the real pipeline (the Everflow client, the aggregation, the
// Sheets client with its OAuth flow) against in-process stand-ins of Everflow
// and Google Sheets on loopback, over a synthetic month, then prints the
// spreadsheet. Its clock is fixed to 06:00 UTC today, so two runs on the same
// day print the same tables.
func runDemo(ctx context.Context, stdout, stderr io.Writer) error {
	now := time.Now().UTC().Truncate(24 * time.Hour).Add(6 * time.Hour)
	clock := func() time.Time { return now }
	yesterday := digest.DateOf(now).AddDays(-1)
	first := yesterday.AddDays(-(demoDays - 1))

	ef := everflowtest.NewServer(everflowtest.Options{APIKey: demoAPIKey, Now: clock},
		everflowtest.Generate(everflowtest.GenerateOptions{
			Seed: 2026, From: first.Time(), Days: demoDays, PerDay: 400, Location: time.UTC,
		}))
	defer ef.Close()
	sh := sheetstest.NewServer(sheetstest.Options{})
	defer sh.Close()
	key := sh.ServiceAccountKey(demoAccount)
	sh.AddSpreadsheet(demoSpreadsheetID, "Everflow revenue (demo)", demoAccount)

	cfg := standInConfig(demoAPIKey, ef.URL, sh.URL, demoSpreadsheetID, key)
	cfg.EverflowMaxRPS = 5 // Everflow's real limit, which the stand-in enforces
	cfg.LogFormat = "text"
	cfg.Now = clock
	if err := cfg.validate(); err != nil {
		return fmt.Errorf("demo configuration: %w", err)
	}
	for d := first; d.Compare(yesterday) <= 0; d = d.AddDays(1) {
		cfg.Dates = append(cfg.Dates, d)
	}
	log := newLogger(cfg, stderr, secretsOf(cfg)...)
	fmt.Fprintf(stdout, "eflow-digest demo: %d days (%s to %s) of synthetic conversions from a local Everflow stand-in,\n", demoDays, first, yesterday)
	fmt.Fprintf(stdout, "written through the real Sheets client to a local Google Sheets stand-in. Logs go to stderr.\n\n")
	report, err := runJob(ctx, cfg, log, io.Discard)
	if err != nil {
		log.Error("demo failed", "error", err)
		return err
	}
	// The month fills thousands of rows: show the last day of Daily and the
	// last week of Summary, as they are in the spreadsheet.
	fmt.Fprintln(stdout, excerpt(sh.RenderTab(demoSpreadsheetID, cfg.Tab), cfg.Dates[len(cfg.Dates)-1:]))
	fmt.Fprintln(stdout, excerpt(sh.RenderTab(demoSpreadsheetID, cfg.SummaryTab), cfg.Dates[len(cfg.Dates)-7:]))
	fmt.Fprintf(stdout, "%d days, %d conversions, revenue %s\n", report.Days, report.Conversions, revenueText(report.Revenue))
	fmt.Fprintf(stdout, "requests: Everflow %d (%d retried), Sheets reads %d, writes %d (%d retried)\n",
		report.EverflowRequests, report.EverflowRetries, report.SheetsReads, report.SheetsWrites, report.SheetsRetries)
	fmt.Fprintf(stdout, "\nNext: set up a real run as README.md explains (go run . -check, then go run .).\n")
	return nil
}

// revenueText lists a run's revenue per currency, in currency order.
func revenueText(revenue map[string]string) string {
	currencies := slices.Sorted(maps.Keys(revenue))
	parts := make([]string, len(currencies))
	for i, c := range currencies {
		parts[i] = c + " " + revenue[c]
	}
	return strings.Join(parts, ", ")
}

// excerpt keeps the title and header lines of a rendered tab and the rows of
// the given dates, and says how much it left out.
func excerpt(rendered string, dates []digest.Date) string {
	lines := strings.Split(strings.TrimRight(rendered, "\n"), "\n")
	const head = 3 // title, column names, rule
	if len(lines) <= head {
		return rendered
	}
	var b strings.Builder
	for _, l := range lines[:head] {
		b.WriteString(l + "\n")
	}
	kept := 0
	for _, l := range lines[head:] {
		for _, d := range dates {
			if strings.HasPrefix(strings.TrimSpace(l), d.String()) {
				b.WriteString(l + "\n")
				kept++
				break
			}
		}
	}
	if left := len(lines) - head - kept; left > 0 {
		fmt.Fprintf(&b, "  … and %d rows of earlier days\n", left)
	}
	return b.String()
}

// standInConfig is the default configuration pointed at stand-ins of
// Everflow and Sheets, for the demo and the tests.
func standInConfig(apiKey, everflowURL, sheetsURL, spreadsheetID string, key []byte) Config {
	return Config{
		EverflowAPIKey:  apiKey,
		EverflowBaseURL: everflowURL,
		EverflowMaxRPS:  everflow.DefaultMaxRPS,
		Timezone:        "UTC",
		SpreadsheetID:   spreadsheetID,
		CredentialsJSON: string(key),
		SheetsEndpoint:  sheetsURL + "/",
		SubIDs:          "sub1",
		WriteMode:       "append",
		Tab:             "Daily",
		SummaryTab:      "Summary",
		LogLevel:        "info",
		LogFormat:       "json",
	}
}
