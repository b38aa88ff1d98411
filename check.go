package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/eflow-digest/eflow-digest/everflow"
	"github.com/eflow-digest/eflow-digest/sheets"
)

// runCheck proves the configuration works end to end without changing
// anything: one cheap Everflow call with the key, and one read of the
// spreadsheet through the service account. It says what it checked on stdout.
func runCheck(ctx context.Context, cfg Config, stdout io.Writer, ef *everflow.Client, writer *sheets.Writer, tz int) error {
	subs := cfg.SubIDs
	if strings.TrimSpace(subs) == "" {
		subs = "(none: by offer only)"
	}
	fmt.Fprintf(stdout, "ok  configuration: timezone %s (Everflow timezone_id %d), sub IDs %s, write mode %s, events %t\n",
		cfg.Timezone, tz, subs, cfg.WriteMode, cfg.IncludeEvents)
	if err := ef.Check(ctx, tz); err != nil {
		return fmt.Errorf("check the Everflow API key at %s: %w", cfg.EverflowBaseURL, err)
	}
	fmt.Fprintf(stdout, "ok  everflow: the API key is accepted by %s\n", cfg.EverflowBaseURL)
	// The days a scheduled run would write: their dates decide which tabs
	// it touches (rewrite mode) and which it would drop.
	days := make([]sheets.Day, len(cfg.Dates))
	for i, d := range cfg.Dates {
		days[i] = sheets.Day{Date: d.Time()}
	}
	report, err := writer.Check(ctx, days)
	if err != nil {
		return fmt.Errorf("check spreadsheet %s: %w", cfg.SpreadsheetID, err)
	}
	fmt.Fprintf(stdout, "ok  sheets: spreadsheet %q (%s) opened as %s\n", report.Title, cfg.SpreadsheetID, report.Account)
	fmt.Fprintf(stdout, "    tabs it has: %s (%d cells of Google's 10,000,000)\n", strings.Join(report.Tabs, ", "), report.Cells)
	fmt.Fprintf(stdout, "    a run of %s writes: %s\n", dateSpan(cfg), strings.Join(report.Write, ", "))
	if len(report.Create) > 0 {
		fmt.Fprintf(stdout, "    creating: %s\n", strings.Join(report.Create, ", "))
	}
	if len(report.Drop) > 0 {
		fmt.Fprintf(stdout, "    dropping (DIGEST_KEEP_TABS=%d): %s\n", cfg.KeepTabs, strings.Join(report.Drop, ", "))
	}
	fmt.Fprintln(stdout, "    edit access is proven by the first real write; make sure the account is an Editor")
	fmt.Fprintln(stdout, "nothing was changed")
	return nil
}

// dateSpan names the run's dates for a person.
func dateSpan(cfg Config) string {
	if len(cfg.Dates) == 1 {
		return cfg.Dates[0].String()
	}
	return cfg.Dates[0].String() + " to " + cfg.Dates[len(cfg.Dates)-1].String()
}
