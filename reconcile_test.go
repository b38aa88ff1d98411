package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/eflow-digest/eflow-digest/everflow/everflowtest"
	"github.com/eflow-digest/eflow-digest/sheets/sheetstest"
)

// summaryRow is one Summary row as finance reads it.
type summaryRow struct {
	Date, Currency string
	Conversions    int
	Revenue        string
	RefreshedAt    string
}

func summaryRows(t *testing.T, sh *sheetstest.Server) []summaryRow {
	t.Helper()
	var rows []summaryRow
	for _, tab := range sh.Tabs(testSheet) {
		if tab.Title != "Summary" {
			continue
		}
		for _, r := range tab.Rows[1:] {
			rows = append(rows, summaryRow{
				Date:        sheetstest.SerialTime(*r[0].Number).Format("2006-01-02"),
				Currency:    *r[1].String,
				Conversions: int(*r[2].Number),
				Revenue:     fmt.Sprintf("%.4f", *r[3].Number),
				RefreshedAt: sheetstest.SerialTime(*r[5].Number).Format("2006-01-02 15:04"),
			})
		}
	}
	return rows
}

// TestLookbackReconciles runs two scheduled runs a day apart with
// DIGEST_LOOKBACK_DAYS=1. Between them a conversion of the first run's
// yesterday is reversed (it drops out of the report) and a late approval
// arrives for it. The second run corrects that day, moves its Refreshed At,
// adds the new yesterday, and leaves the day outside its window as it was.
func TestLookbackReconciles(t *testing.T) {
	t.Parallel()
	c := func(id string, tm time.Time, rev string) everflowtest.Conversion {
		return everflowtest.Conversion{ID: id, Time: tm, OfferID: 57, OfferName: "Summer Sale", Currency: "USD", Revenue: rev, Subs: [5]string{"fb"}}
	}
	h := newHarness(t, []everflowtest.Conversion{
		c("d1", at(23, 9, 0), "10"),
		c("e1", at(24, 9, 0), "20"),
		c("e2", at(24, 10, 0), "5.5"),
		c("f1", at(25, 9, 0), "7"),
	}, everflowtest.Options{Now: func() time.Time { return testNow.Add(24 * time.Hour) }})

	scheduled := func(now time.Time) {
		t.Helper()
		cfg := h.cfg
		cfg.LookbackDays = 1
		cfg.Now = func() time.Time { return now }
		if err := cfg.validate(); err != nil {
			t.Fatal(err)
		}
		dates, err := cfg.reportDates("", "", "")
		if err != nil {
			t.Fatal(err)
		}
		var ds []string
		for _, d := range dates {
			ds = append(ds, d.String())
		}
		if _, stderr, err := h.run(t.Context(), ds, func(c *Config) { c.LookbackDays, c.Now = 1, cfg.Now }); err != nil {
			t.Fatalf("scheduled run at %v: %v\n%s", now, err, stderr)
		}
	}

	first := testNow // yesterday 2026-11-24, lookback 2026-11-23
	scheduled(first)
	if diff := cmp.Diff([]summaryRow{
		{"2026-11-23", "USD", 1, "10.0000", "2026-11-25 08:00"},
		{"2026-11-24", "USD", 2, "25.5000", "2026-11-25 08:00"},
	}, summaryRows(t, h.sh)); diff != "" {
		t.Fatalf("after the first run (-want +got):\n%s", diff)
	}

	// A reversal removes e2; a late approval adds e3 to the same day.
	h.ef.Delete("e2")
	h.ef.Upsert(c("e3", at(24, 23, 30), "3.25"))
	// Also a change outside the next run's window, which it must not touch.
	h.ef.Upsert(c("d2", at(23, 11, 0), "100"))

	second := testNow.Add(24 * time.Hour) // yesterday 2026-11-25, lookback 2026-11-24
	scheduled(second)
	if diff := cmp.Diff([]summaryRow{
		{"2026-11-23", "USD", 1, "10.0000", "2026-11-25 08:00"},
		{"2026-11-24", "USD", 2, "23.2500", "2026-11-26 08:00"},
		{"2026-11-25", "USD", 1, "7.0000", "2026-11-26 08:00"},
	}, summaryRows(t, h.sh)); diff != "" {
		t.Errorf("after the second run (-want +got):\n%s", diff)
	}
	daily := h.sh.RenderTab(testSheet, "Daily")
	if got := strings.Count(daily, "2026-11-24"); got != 1 {
		t.Errorf("2026-11-24 has %d Daily rows, want 1 (one offer and sub ID):\n%s", got, daily)
	}
}

// TestCrossCheck compares the digest with Everflow's own per-offer report:
// silent when they agree, a warning (not a failure) when they do not.
func TestCrossCheck(t *testing.T) {
	t.Parallel()
	h := newHarness(t, smallDay(), everflowtest.Options{})
	for _, events := range []bool{false, true} {
		_, stderr, err := h.run(t.Context(), []string{"2026-11-24"}, func(c *Config) { c.CrossCheck, c.IncludeEvents = true, events })
		if err != nil {
			t.Fatalf("run: %v\n%s", err, stderr)
		}
		if strings.Contains(stderr, "cross-check") {
			t.Errorf("events %t: the cross-check complained about matching data:\n%s", events, stderr)
		}
	}
	if got := h.ef.Stats().PerPath[everflowtest.PathEntityTable]; got != 6 {
		t.Errorf("entity/table requests = %d, want 6 (one per currency of the day and run)", got)
	}

	// Everflow's report disagrees for offer 57 in USD.
	h.ef.Inject(everflowtest.Fault{Path: everflowtest.PathEntityTable, Times: -1, Status: 200, ContentType: "application/json",
		Body: `{"table":[{"columns":[{"column_type":"offer","id":"57","label":"Summer Sale"}],"reporting":{"cv":4,"event":0,"revenue":99.5}}]}`})
	_, stderr, err := h.run(t.Context(), []string{"2026-11-24"}, func(c *Config) { c.CrossCheck = true })
	if err != nil {
		t.Fatalf("a cross-check mismatch failed the run: %v", err)
	}
	for _, want := range []string{`"message":"cross-check mismatch"`, `"offer_id":57`, `"revenue":"12.6456"`, `"everflow_revenue":"99.50"`, `"conversions":3`, `"everflow_conversions":4`} {
		if !strings.Contains(stderr, want) {
			t.Errorf("no %s in the log:\n%s", want, stderr)
		}
	}
}
