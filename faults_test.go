package main

// The fault matrix of issue 6: the whole job, through run() and the real
// clients, against the everflowtest and sheetstest stand-ins. Every case ends
// in exactly one of these outcomes, asserted in full:
//
//	reference  exit 0, and the spreadsheet equals a clean run of the same
//	           days on a fresh harness with the same data (every tab, every
//	           typed cell, grid sizes; only random sheetIds are ignored)
//	unchanged  exit 1, and the spreadsheet equals its snapshot from before
//	           the run; for Everflow faults the job did not even call Google
//	old|new    exit 1, and every date holds either its previous rows or its
//	           complete new rows, in Daily and Summary together: never a
//	           mix, never a duplicate block, blocks in date order, every
//	           other row and tab as it was (checkOldOrNew)
//	usage      exit 2, the message names the variable, nothing was called
//
// and no case lets the Everflow API key or any piece of the service
// account's private key into stdout, stderr or the error (harness.run checks
// every run at LOG_LEVEL=debug). Cases run on two days of 120 conversions
// in pages of 20 (6 pages a day), with millisecond backoffs.
//
//	case                                                      outcome
//	everflow/429 storm with Retry-After                       reference (6 retries)
//	everflow/429 storm without Retry-After                    reference (6 retries)
//	everflow/429 storm outlasting the attempts                unchanged, no Sheets call
//	everflow/502 HTML pages on random pages                   reference
//	everflow/503 HTML page outlasting the attempts            unchanged, message without HTML
//	everflow/truncated bodies on random pages                 reference
//	everflow/connection resets on random pages                reference
//	everflow/latency spikes past the client timeout           reference
//	everflow/every attempt past the client timeout            unchanged
//	everflow/persistent 500                                   unchanged
//	everflow/401 wrong key                                    unchanged, 1 request, says check EVERFLOW_API_KEY
//	everflow/403 out of realm                                 unchanged, 1 request, says affiliate keys only
//	everflow/401 quoting the key                              unchanged, the key [REDACTED] in error and log
//	everflow/500 HTML pages quoting the key                   unchanged, the key [REDACTED] in every retry line
//	everflow/page parameter ignored                           unchanged, ErrPagingIgnored
//	everflow/conversion inserted mid-paging                   reference of the data with it, counted once
//	everflow/unknown envelope on page 1                       unchanged, ErrEnvelope
//	everflow/unknown envelope on a later page                 unchanged, ErrEnvelope
//	everflow/revenue as a string                              reference of the same data as numbers
//	everflow/revenue not a number                             unchanged, ErrInvalidDecimal
//	everflow/conversion without conversion_id                 unchanged, ErrMissingConversionID
//	everflow/backfill with one failing day over a digest      unchanged for every day, no Sheets call
//	sheets/429 on the write                                   reference (3 retries)
//	sheets/503 on the write                                   reference
//	sheets/502 HTML on the read                               reference
//	sheets/latency spike past the client timeout on the write reference (the timed-out write retried)
//	sheets/connection resets on the read                      reference
//	sheets/connection reset on the write                      reference
//	sheets/400 on the write over a digest                     unchanged, no retry
//	sheets/persistent 500 on the write over a digest          unchanged, says run again later
//	sheets/apply-then-drop on a fresh spreadsheet             reference, no duplicate
//	sheets/apply-then-drop over an older digest               reference, no duplicate
//	sheets/apply-then-drop in rewrite mode                    reference, no duplicate
//	sheets/token endpoint failing twice                       reference
//	sheets/token endpoint failing for good                    unchanged, says fetch an access token
//	sheets/token endpoint refusing the key                    unchanged, 1 token request, names the variables
//	sheets/spreadsheet not shared                             unchanged, 1 read, names the account's email
//	sheets/spreadsheet not found                              unchanged, names SPREADSHEET_ID
//	cell limit/one cell over                                  unchanged, ErrCellLimit, no write sent
//	cell limit/exactly at the limit                           reference (same spreadsheet set-up)
//	credentials/*: truncated, PEM pasted alone, garbled key,  usage: names GOOGLE_CREDENTIALS_JSON or
//	  \\n double-escaped, another type, truncated key file      GOOGLE_APPLICATION_CREDENTIALS, quotes no key
//	process/SIGTERM during fetch                              unchanged, no Sheets call
//	process/SIGTERM during the write                          old|new
//	process/SIGTERM after an applied, unacknowledged write    old|new, here new: equals the reference
//	process/two killed runs then a clean run (8 seeds)        old|new after each kill, then reference
//
// Cancellation is what SIGTERM does to a run: main's signal.NotifyContext
// cancels its context. The three process cases send a real SIGTERM to the
// test process (one at a time, under sigtermMu); the seeded kills cancel the
// context directly so that they can run side by side.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/eflow-digest/eflow-digest/digest"
	"github.com/eflow-digest/eflow-digest/everflow"
	"github.com/eflow-digest/eflow-digest/everflow/everflowtest"
	"github.com/eflow-digest/eflow-digest/sheets"
	"github.com/eflow-digest/eflow-digest/sheets/sheetstest"
)

// faultDates are the report days of the matrix: a short backfill ending
// yesterday; oneDay is yesterday alone.
var (
	faultDates = []string{"2026-11-23", "2026-11-24"}
	oneDay     = []string{"2026-11-24"}
)

// faultPageSize makes every day several pages, so faults can hit later pages.
const faultPageSize = 20

// faultData is the data Everflow serves in the matrix: 120 rows a day over
// faultDates (6 pages of base conversions), events and string revenue
// included.
func faultData() []everflowtest.Conversion {
	return everflowtest.Generate(everflowtest.GenerateOptions{
		Seed: 61, From: at(23, 0, 0), Days: 2, PerDay: 120, Location: time.UTC, EventsRatio: 0.05, StringRevenueRatio: 0.1,
	})
}

// priorData is what Everflow served when the older digest of faultDates was
// written: other conversions, fewer of them, so every date's rows differ
// from the new digest's.
func priorData() []everflowtest.Conversion {
	return everflowtest.Generate(everflowtest.GenerateOptions{
		Seed: 62, From: at(23, 0, 0), Days: 2, PerDay: 90, Location: time.UTC, EventsRatio: 0.05,
	})
}

// revenueAs returns a copy of data with every revenue sent as a JSON string
// (asString) or as a JSON number.
func revenueAs(data []everflowtest.Conversion, asString bool) []everflowtest.Conversion {
	out := make([]everflowtest.Conversion, len(data))
	for i, c := range data {
		c.RevenueAsString = asString && c.Revenue != ""
		out[i] = c
	}
	return out
}

// baseRow returns the index of the first base conversion (not an event,
// which the job does not fetch) of data at or after i.
func baseRow(data []everflowtest.Conversion, i int) int {
	for data[i].IsEvent {
		i++
	}
	return i
}

// pagesOf is how many pages of faultPageSize the base conversions of date
// fill.
func pagesOf(data []everflowtest.Conversion, date string) int {
	n := 0
	for _, c := range data {
		if !c.IsEvent && c.Time.UTC().Format(time.DateOnly) == date {
			n++
		}
	}
	return (n + faultPageSize - 1) / faultPageSize
}

// faultEdit is the configuration of every run of the matrix: small pages,
// then the case's own changes.
func faultEdit(edit func(*Config)) func(*Config) {
	return func(c *Config) {
		c.tune.pageSize = faultPageSize
		if edit != nil {
			edit(c)
		}
	}
}

// pickPages returns k distinct pages of 1..n, chosen by a seeded generator.
func pickPages(seed uint64, n, k int) []int {
	rng := rand.New(rand.NewPCG(seed, 0xfa017))
	return rng.Perm(n)[:k]
}

// ignoreSheetID drops the sheetId from comparisons between harnesses: tabs
// made by AddSheet get random ids.
var ignoreSheetID = cmpopts.IgnoreFields(sheetstest.Tab{}, "SheetID")

// tabsDiff is cmp.Diff(want, got, opts...) of two spreadsheets, with a
// quick reflect.DeepEqual first: cmp takes a good part of a second on a
// digest's thousand cells, and most comparisons are equal.
func tabsDiff(want, got []sheetstest.Tab, bySheetID bool) string {
	strip := func(tabs []sheetstest.Tab) []sheetstest.Tab {
		out := slices.Clone(tabs)
		for i := range out {
			if !bySheetID {
				out[i].SheetID = 0
			}
		}
		return out
	}
	if reflect.DeepEqual(strip(want), strip(got)) {
		return ""
	}
	if bySheetID {
		return cmp.Diff(want, got)
	}
	return tabsDiff(want, got, false)
}

// referenceTabs runs the job cleanly on a fresh harness holding data, with
// the spreadsheet shaped by setup, and returns the spreadsheet it wrote.
func referenceTabs(t *testing.T, data []everflowtest.Conversion, dates []string, setup func(*harness), edit func(*Config)) []sheetstest.Tab {
	t.Helper()
	ref := newHarness(t, data, everflowtest.Options{})
	if setup != nil {
		setup(ref)
	}
	if _, stderr, err := ref.run(t.Context(), dates, edit); err != nil {
		t.Fatalf("reference run: %v\n%s", err, stderr)
	}
	return ref.sh.Tabs(testSheet)
}

// wantReference checks a run that must have succeeded with the reference
// spreadsheet.
func wantReference(t *testing.T, h *harness, err error, stderr string, want []sheetstest.Tab) {
	t.Helper()
	if err != nil {
		t.Fatalf("run failed (exit %d): %v\n%s", exitCode(err), err, stderr)
	}
	if diff := tabsDiff(want, h.sh.Tabs(testSheet), false); diff != "" {
		t.Errorf("the spreadsheet differs from a clean run's (-clean +faulted):\n%s", diff)
	}
}

// wantFailure checks a run that must have failed with exit status 1 and
// logged its failure once, as the last line.
func wantFailure(t *testing.T, err error, stderr string) {
	t.Helper()
	if err == nil {
		t.Fatalf("run succeeded, want exit 1\n%s", stderr)
	}
	if code := exitCode(err); code != 1 {
		t.Fatalf("exit %d, want 1: %v", code, err)
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if last := lines[len(lines)-1]; !strings.Contains(last, `"message":"run failed"`) || !strings.Contains(last, `"exit_status":1`) {
		t.Errorf("the last log line is not the failure:\n%s", last)
	}
}

// summaryField returns the value of field in the run's summary line.
func summaryField(t *testing.T, stderr, field string) string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	last := lines[len(lines)-1]
	if !strings.Contains(last, `"message":"digest complete"`) {
		t.Fatalf("the last log line is not the summary:\n%s", last)
	}
	_, rest, ok := strings.Cut(last, `"`+field+`":`)
	if !ok {
		t.Fatalf("the summary has no %s:\n%s", field, last)
	}
	end := strings.IndexAny(rest, ",}")
	return rest[:end]
}

// dateState is what one date holds: its Daily block and its Summary rows.
type dateState struct {
	Daily, Summary [][]sheetstest.Cell
}

// blocks splits a block tab (Daily or Summary) into its header and its rows
// by date, and lists what is wrong with its shape: a row without a date, a
// date in two blocks (a duplicate), blocks out of date order.
func blocks(tab *sheetstest.Tab) (header []sheetstest.Cell, byDate map[float64][][]sheetstest.Cell, problems []string) {
	byDate = map[float64][][]sheetstest.Cell{}
	if tab == nil || len(tab.Rows) == 0 {
		return nil, byDate, nil
	}
	header = tab.Rows[0]
	last := -1.0
	for i, row := range tab.Rows[1:] {
		if len(row) == 0 || row[0].Number == nil {
			problems = append(problems, fmt.Sprintf("%s row %d has no date", tab.Title, i+2))
			continue
		}
		d := *row[0].Number
		switch {
		case d == last:
		case byDate[d] != nil:
			problems = append(problems, fmt.Sprintf("%s row %d: a second block of %s", tab.Title, i+2, serialDay(d)))
		case d < last:
			problems = append(problems, fmt.Sprintf("%s row %d: %s after %s", tab.Title, i+2, serialDay(d), serialDay(last)))
		}
		last = d
		byDate[d] = append(byDate[d], row)
	}
	return header, byDate, problems
}

func serialDay(serial float64) string { return sheets.SerialDate(int(serial)).Format(time.DateOnly) }

func tabOf(tabs []sheetstest.Tab, title string) *sheetstest.Tab {
	for i := range tabs {
		if tabs[i].Title == title {
			return &tabs[i]
		}
	}
	return nil
}

// checkOldOrNew checks SPEC.md's promise for a failed run (see oldOrNew)
// and returns the dates that hold their new digest.
func checkOldOrNew(t *testing.T, got, old, clean []sheetstest.Tab, dates []string) (newDates []string) {
	t.Helper()
	newDates, problems := oldOrNew(got, old, clean, dates)
	for _, p := range problems {
		t.Error(p)
	}
	return newDates
}

// oldOrNew lists where got breaks SPEC.md's promise for a failed run: every
// date of dates holds, in Daily and Summary together, either exactly what it
// held in old or exactly what it holds in clean (a clean run's
// spreadsheet); never a mix, never a duplicate block, blocks in date order;
// every other date and every other tab is as in old. It also returns the
// dates that hold their new digest.
func oldOrNew(got, old, clean []sheetstest.Tab, dates []string) (newDates, problems []string) {
	inRun := map[float64]bool{}
	for _, s := range dates {
		d, err := digest.ParseDate(s)
		if err != nil {
			panic(err)
		}
		inRun[float64(d.Serial())] = true
	}
	states := func(tabs []sheetstest.Tab, which string) (map[float64]dateState, [2][]sheetstest.Cell) {
		m := map[float64]dateState{}
		var headers [2][]sheetstest.Cell
		for i, title := range []string{"Daily", "Summary"} {
			header, by, shape := blocks(tabOf(tabs, title))
			for _, p := range shape {
				problems = append(problems, which+" spreadsheet: "+p)
			}
			headers[i] = header
			for d, rows := range by {
				st := m[d]
				if i == 0 {
					st.Daily = rows
				} else {
					st.Summary = rows
				}
				m[d] = st
			}
		}
		return m, headers
	}
	gotStates, gotHeaders := states(got, "the failed run's")
	oldStates, oldHeaders := states(old, "the old")
	newStates, newHeaders := states(clean, "the clean run's")
	for i, title := range []string{"Daily", "Summary"} {
		if gotHeaders[i] != nil && !cmp.Equal(gotHeaders[i], oldHeaders[i]) && !cmp.Equal(gotHeaders[i], newHeaders[i]) {
			problems = append(problems, fmt.Sprintf("%s header is neither the old nor the new one: %v", title, gotHeaders[i]))
		}
	}
	all := map[float64]bool{}
	for _, m := range []map[float64]dateState{gotStates, oldStates, newStates} {
		for d := range m {
			all[d] = true
		}
	}
	// reflect.DeepEqual, not cmp.Equal: hundreds of rows of cells with
	// pointer fields are compared for every date of every killed run.
	equal := func(a, b dateState) bool { return reflect.DeepEqual(a, b) }
	for d := range all {
		g, o, n := gotStates[d], oldStates[d], newStates[d]
		if inRun[d] && equal(o, n) && len(o.Summary) > 0 {
			// Then old-or-new proves nothing about this date.
			problems = append(problems, fmt.Sprintf("test data: the old and new digests of %s are the same", serialDay(d)))
		}
		switch {
		case equal(g, o):
		case inRun[d] && equal(g, n):
			newDates = append(newDates, serialDay(d))
		case inRun[d]:
			problems = append(problems, fmt.Sprintf("%s is neither its old digest nor its new one: %s", serialDay(d), describe(g, o, n)))
		default:
			problems = append(problems, fmt.Sprintf("%s, not a date of the run, changed: %s", serialDay(d), describe(g, o, o)))
		}
	}
	// Tabs other than the digest's own are left alone.
	for _, tab := range got {
		if tab.Title == "Daily" || tab.Title == "Summary" {
			continue
		}
		o, n := tabOf(old, tab.Title), tabOf(clean, tab.Title)
		switch {
		case o != nil && cmp.Equal(*o, tab):
		case o == nil && n != nil && cmp.Equal(*n, tab, ignoreSheetID):
		default:
			problems = append(problems, fmt.Sprintf("tab %q is neither as it was nor as a clean run leaves it", tab.Title))
		}
	}
	for _, tab := range old {
		if tabOf(got, tab.Title) == nil {
			problems = append(problems, fmt.Sprintf("tab %q is gone", tab.Title))
		}
	}
	slices.Sort(newDates)
	slices.Sort(problems)
	return newDates, problems
}

// describe says how got differs from old and new, briefly: a whole diff of
// hundreds of rows would bury the point.
func describe(got, old, clean dateState) string {
	count := func(s dateState) string {
		return fmt.Sprintf("%d Daily and %d Summary rows", len(s.Daily), len(s.Summary))
	}
	firstDiff := func(a, b [][]sheetstest.Cell) string {
		for i := range max(len(a), len(b)) {
			if i >= len(a) || i >= len(b) || !reflect.DeepEqual(a[i], b[i]) {
				return fmt.Sprintf("row %d of the block", i+1)
			}
		}
		return "none"
	}
	return fmt.Sprintf("it has %s (old %s, new %s); first difference from old in Daily: %s, in Summary: %s; from new in Daily: %s, in Summary: %s",
		count(got), count(old), count(clean),
		firstDiff(got.Daily, old.Daily), firstDiff(got.Summary, old.Summary),
		firstDiff(got.Daily, clean.Daily), firstDiff(got.Summary, clean.Summary))
}

// TestFaultOldOrNew checks the checker: spreadsheets a failed run must
// never leave are caught.
func TestFaultOldOrNew(t *testing.T) {
	t.Parallel()
	_, old, clean := priorHarness(t, everflowtest.Options{})
	// with returns clean with tab title replaced by the same tab of from,
	// or changed by edit.
	with := func(from []sheetstest.Tab, title string, edit func(rows [][]sheetstest.Cell) [][]sheetstest.Cell) []sheetstest.Tab {
		out := slices.Clone(clean)
		for i := range out {
			if out[i].Title != title {
				continue
			}
			if src := tabOf(from, title); src != nil {
				out[i] = *src
			}
			out[i].Rows = edit(slices.Clone(out[i].Rows))
		}
		return out
	}
	same := func(rows [][]sheetstest.Cell) [][]sheetstest.Cell { return rows }
	// blockOf returns the rows of date in a block tab.
	blockOf := func(rows [][]sheetstest.Cell, date string) (first, last int) {
		d, _ := digest.ParseDate(date)
		first = -1
		for i, r := range rows[1:] {
			if *r[0].Number == float64(d.Serial()) {
				if first < 0 {
					first = i + 1
				}
				last = i + 1
			}
		}
		return first, last
	}
	for _, c := range []struct {
		name     string
		got      []sheetstest.Tab
		newDates []string
		problem  string // "" when got keeps the promise
	}{
		{"all old", old, nil, ""},
		{"all new", clean, faultDates, ""},
		{"new Daily, old Summary", with(old, "Summary", same), nil, "neither its old digest nor its new one"},
		{"one date new, one old", func() []sheetstest.Tab {
			// 2026-11-23 as in old, 2026-11-24 as in clean, in both tabs.
			got := slices.Clone(clean)
			for i := range got {
				if got[i].Title != "Daily" && got[i].Title != "Summary" {
					continue
				}
				o := tabOf(old, got[i].Title)
				of, ol := blockOf(o.Rows, "2026-11-23")
				nf, nl := blockOf(got[i].Rows, "2026-11-23")
				rows := slices.Clone(got[i].Rows[:nf])
				rows = append(rows, o.Rows[of:ol+1]...)
				got[i].Rows = append(rows, got[i].Rows[nl+1:]...)
			}
			return got
		}(), []string{"2026-11-24"}, ""},
		{"a date's block twice", with(nil, "Daily", func(rows [][]sheetstest.Cell) [][]sheetstest.Cell {
			f, l := blockOf(rows, "2026-11-23")
			return append(rows, rows[f:l+1]...)
		}), nil, "a second block of 2026-11-23"},
		{"a block with a row lost", with(nil, "Daily", func(rows [][]sheetstest.Cell) [][]sheetstest.Cell {
			_, l := blockOf(rows, "2026-11-24")
			return slices.Delete(rows, l, l+1)
		}), nil, "2026-11-24 is neither"},
		{"blocks out of order", with(nil, "Summary", func(rows [][]sheetstest.Cell) [][]sheetstest.Cell {
			rows[1], rows[len(rows)-1] = rows[len(rows)-1], rows[1]
			return rows
		}), nil, "after 2026-11-24"},
		{"another tab changed", func() []sheetstest.Tab {
			got := slices.Clone(old)
			got[0].RowCount++
			return got
		}(), nil, `tab "Sheet1"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			newDates, problems := oldOrNew(c.got, old, clean, faultDates)
			if c.problem == "" {
				if len(problems) > 0 {
					t.Errorf("problems found in a spreadsheet that keeps the promise:\n%s", strings.Join(problems, "\n"))
				}
				if diff := cmp.Diff(c.newDates, newDates, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("new dates (-want +got):\n%s", diff)
				}
				return
			}
			if !strings.Contains(strings.Join(problems, "\n"), c.problem) {
				t.Errorf("no problem says %q; found:\n%s", c.problem, strings.Join(problems, "\n"))
			}
		})
	}
}

// outcome is how a case of the matrix must end.
type outcome int

const (
	reference outcome = iota // exit 0, the spreadsheet of a clean run
	unchanged                // exit 1, the spreadsheet as before the run
)

// faultCase is one row of the matrix.
type faultCase struct {
	name string
	want outcome
	// data is what Everflow serves (nil: faultData); refData what the
	// spreadsheet must show when that is not data itself.
	data, refData []everflowtest.Conversion
	// prior writes an older digest of the dates (from priorData) before
	// the faulted run, so "unchanged" means "still the old digest".
	prior bool
	dates []string // nil: faultDates
	opts  everflowtest.Options
	edit  func(*Config)
	// fault misbehaves on the faulted harness only.
	fault func(t *testing.T, h *harness)
	// noGoogle: the job must fail before calling Google at all.
	noGoogle bool
	errIs    []error
	msg      []string // the error must say these
	// check adds assertions on the run.
	check func(t *testing.T, h *harness, stderr string)
}

func (c faultCase) run(t *testing.T) {
	t.Helper()
	data, dates, edit := c.data, c.dates, faultEdit(c.edit)
	if data == nil {
		data = faultData()
	}
	if dates == nil {
		dates = faultDates
	}
	first := data
	if c.prior {
		first = priorData()
	}
	h := newHarness(t, first, c.opts)
	if c.prior {
		if _, stderr, err := h.run(t.Context(), dates, edit); err != nil {
			t.Fatalf("writing the older digest: %v\n%s", err, stderr)
		}
		h.ef.Set(data)
	}
	before, sheetsBefore := h.sh.Tabs(testSheet), h.sh.Stats()
	if c.fault != nil {
		c.fault(t, h)
	}
	_, stderr, err := h.run(t.Context(), dates, edit)

	switch c.want {
	case reference:
		refData := c.refData
		if refData == nil {
			refData = data
		}
		wantReference(t, h, err, stderr, referenceTabs(t, refData, dates, nil, edit))
	case unchanged:
		wantFailure(t, err, stderr)
		if diff := tabsDiff(before, h.sh.Tabs(testSheet), true); diff != "" {
			t.Errorf("a failed run changed the spreadsheet (-before +after):\n%s", diff)
		}
		for _, target := range c.errIs {
			if !errors.Is(err, target) {
				t.Errorf("the error is not %v: %v", target, err)
			}
		}
		for _, m := range c.msg {
			if !strings.Contains(err.Error(), m) {
				t.Errorf("the error does not say %q:\n%v", m, err)
			}
		}
	}
	if after := h.sh.Stats(); c.noGoogle && (after.Tokens != sheetsBefore.Tokens || after.Reads != sheetsBefore.Reads || after.Writes != sheetsBefore.Writes) {
		t.Errorf("the job called Google although Everflow failed: before %+v, after %+v", sheetsBefore, after)
	}
	if c.check != nil {
		c.check(t, h, stderr)
	}
}

func TestFaultEverflow(t *testing.T) {
	t.Parallel()
	// A day of several pages, a bigger day 24 for the one-day-fails case.
	backfill := append(everflowtest.Generate(everflowtest.GenerateOptions{
		Seed: 63, From: at(22, 0, 0), Days: 2, PerDay: 60, Location: time.UTC,
	}), everflowtest.Generate(everflowtest.GenerateOptions{
		Seed: 64, From: at(24, 0, 0), Days: 1, PerDay: 300, Location: time.UTC,
	})...)
	inserted := everflowtest.Conversion{ID: "feedfacefeedfacefeedfacefeedface", Time: at(24, 23, 59).Add(59 * time.Second),
		OfferID: 57, OfferName: "Late Sale", Currency: "USD", Revenue: "41.5", Subs: [5]string{"late"}}
	withInserted := append(faultData(), inserted)
	badRevenue := faultData()
	i := baseRow(badRevenue, 100)
	badRevenue[i].Revenue, badRevenue[i].RevenueAsString = "12,50", true
	noID := faultData()
	noID[baseRow(noID, 180)].Omit = []string{"conversion_id"}
	lastPage := pagesOf(faultData(), "2026-11-24")
	// Pages every day of faultDates has, for faults on random pages.
	pages := min(pagesOf(faultData(), "2026-11-23"), lastPage)

	retries := func(n string) func(t *testing.T, h *harness, stderr string) {
		return func(t *testing.T, h *harness, stderr string) {
			if got := summaryField(t, stderr, "everflow_retries"); got != n {
				t.Errorf("everflow_retries %s, want %s", got, n)
			}
		}
	}
	conversionRequests := func(n int64) func(t *testing.T, h *harness, stderr string) {
		return func(t *testing.T, h *harness, stderr string) {
			if got := h.ef.Stats().PerPath[everflowtest.PathConversions]; got != n {
				t.Errorf("%d conversions requests, want %d (no retry)", got, n)
			}
		}
	}
	onPages := func(seed uint64, k int, f everflowtest.Fault) func(t *testing.T, h *harness) {
		return func(t *testing.T, h *harness) {
			for _, p := range pickPages(seed, pages, k) {
				f.Path, f.Page = everflowtest.PathConversions, p+1
				h.ef.Inject(f)
			}
		}
	}
	conversions := func(f everflowtest.Fault) func(t *testing.T, h *harness) {
		return func(t *testing.T, h *harness) {
			f.Path = everflowtest.PathConversions
			h.ef.Inject(f)
		}
	}

	for _, c := range []faultCase{
		{name: "429 storm with Retry-After", want: reference,
			fault: conversions(everflowtest.Fault{Status: 429, RetryAfter: "1", Times: 6}), check: retries("6")},
		{name: "429 storm without Retry-After", want: reference,
			fault: conversions(everflowtest.Fault{Status: 429, Times: 6}), check: retries("6")},
		{name: "429 storm outlasting the attempts", want: unchanged, noGoogle: true,
			fault: conversions(everflowtest.Fault{Status: 429, Times: -1}), msg: []string{"429", "giving up after 8 attempts", "EVERFLOW_MAX_RPS"}},
		{name: "502 HTML pages on random pages", want: reference,
			fault: onPages(1, 3, everflowtest.Fault{Status: 502, Body: everflowtest.BadGatewayHTML, ContentType: "text/html"}), check: retries("3")},
		{name: "503 HTML page outlasting the attempts", want: unchanged, noGoogle: true,
			fault: conversions(everflowtest.Fault{Status: 503, Body: "<html><body><h1>503 Service Unavailable</h1>No server is available</body></html>", Times: -1}),
			msg:   []string{"503", "Service Unavailable", "retry later"},
			check: func(t *testing.T, h *harness, stderr string) {
				if strings.Contains(stderr, "<h1>") || strings.Contains(stderr, "<html>") {
					t.Error("the HTML page reached the log")
				}
			}},
		{name: "truncated bodies on random pages", want: reference,
			fault: onPages(2, 4, everflowtest.Fault{Truncate: true}), check: retries("4")},
		{name: "connection resets on random pages", want: reference,
			fault: onPages(3, 4, everflowtest.Fault{Reset: true}), check: retries("4")},
		{name: "latency spikes past the client timeout", want: reference,
			// A second is far above a normal request's time on a loaded
			// machine, so only the spikes time out; at least these two
			// attempts were retried.
			edit:  func(c *Config) { c.tune.timeout = time.Second },
			fault: onPages(4, 2, everflowtest.Fault{Delay: 10 * time.Second}),
			check: func(t *testing.T, h *harness, stderr string) {
				if got, _ := strconv.Atoi(summaryField(t, stderr, "everflow_retries")); got < 2 {
					t.Errorf("everflow_retries %d, want at least the 2 spikes", got)
				}
			}},
		{name: "every attempt past the client timeout", want: unchanged, noGoogle: true, dates: oneDay,
			edit:  func(c *Config) { c.tune.timeout = 150 * time.Millisecond },
			fault: conversions(everflowtest.Fault{Delay: 5 * time.Second, Times: -1}), msg: []string{"giving up after 8 attempts", "Timeout"}},
		{name: "persistent 500", want: unchanged, noGoogle: true,
			fault: conversions(everflowtest.Fault{Status: 500, Times: -1}), msg: []string{"500 Internal Server Error", "giving up after 8 attempts"}},
		{name: "401 wrong key", want: unchanged, noGoogle: true, dates: oneDay,
			opts: everflowtest.Options{APIKey: "ef-another-key-0000000000000000"},
			msg:  []string{"401", "check EVERFLOW_API_KEY"}, check: conversionRequests(1)},
		{name: "403 out of realm", want: unchanged, noGoogle: true, dates: oneDay,
			fault: conversions(everflowtest.Fault{Status: 403, Body: `{"error":"Out of realm"}`, Times: -1}),
			msg:   []string{"403", "affiliate keys only work on /v1/affiliates/"}, check: conversionRequests(1)},
		{name: "401 quoting the key", want: unchanged, noGoogle: true, dates: oneDay,
			fault: conversions(everflowtest.Fault{Status: 401, Body: `{"error":"invalid API key ` + testKey + `"}`, Times: -1}),
			msg:   []string{"401", "[REDACTED]"}, check: conversionRequests(1)},
		{name: "500 HTML pages quoting the key", want: unchanged, noGoogle: true, dates: oneDay,
			fault: conversions(everflowtest.Fault{Status: 500, Body: "<html><body>upstream rejected X-Eflow-API-Key: " + testKey + "</body></html>", Times: -1}),
			msg:   []string{"500", "[REDACTED]", "giving up after 8 attempts"}},
		{name: "page parameter ignored", want: unchanged, noGoogle: true,
			fault: func(t *testing.T, h *harness) { h.ef.SetIgnorePaging(true) }, errIs: []error{everflow.ErrPagingIgnored}},
		{name: "conversion inserted mid-paging", want: reference, dates: oneDay, refData: withInserted,
			fault: func(t *testing.T, h *harness) {
				// Newer than every row of the day, so it shifts every page
				// after page 1 by one row. The last page waits a little so
				// that at least it is served after the insert.
				h.ef.InsertDuringPaging(1, inserted)
				h.ef.Inject(everflowtest.Fault{Path: everflowtest.PathConversions, Page: lastPage, Delay: 100 * time.Millisecond})
			},
			check: func(t *testing.T, h *harness, stderr string) {
				if !strings.Contains(stderr, "walking the pages once more") {
					t.Error("the client did not notice the shifted pages")
				}
			}},
		{name: "unknown envelope on page 1", want: unchanged, noGoogle: true,
			fault: conversions(everflowtest.Fault{Status: 200, Body: `{"data": []}`, Times: -1}), errIs: []error{everflow.ErrEnvelope}},
		{name: "unknown envelope on a later page", want: unchanged, noGoogle: true,
			fault: func(t *testing.T, h *harness) {
				h.ef.Inject(everflowtest.Fault{Path: everflowtest.PathConversions, Page: 5, Status: 200, Body: `{"data": []}`, Times: -1})
			}, errIs: []error{everflow.ErrEnvelope}},
		{name: "revenue as a string", want: reference, data: revenueAs(faultData(), true), refData: revenueAs(faultData(), false)},
		{name: "revenue not a number", want: unchanged, noGoogle: true, data: badRevenue,
			errIs: []error{everflow.ErrInvalidDecimal}},
		{name: "conversion without conversion_id", want: unchanged, noGoogle: true, data: noID,
			errIs: []error{everflow.ErrMissingConversionID}},
		{name: "backfill with one failing day over a digest", want: unchanged, noGoogle: true, prior: true, data: backfill,
			dates: []string{"2026-11-22", "2026-11-23", "2026-11-24"},
			// Only day 24 has a page 12.
			fault: conversions(everflowtest.Fault{Page: 12, Status: 500, Times: -1}), msg: []string{"2026-11-24", "page 12"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t)
		})
	}
}

func TestFaultSheets(t *testing.T) {
	t.Parallel()
	sheetsFault := func(f sheetstest.Fault) func(t *testing.T, h *harness) {
		return func(t *testing.T, h *harness) { h.sh.Inject(f) }
	}
	sheetsRetries := func(n string) func(t *testing.T, h *harness, stderr string) {
		return func(t *testing.T, h *harness, stderr string) {
			if got := summaryField(t, stderr, "sheets_retries"); got != n {
				t.Errorf("sheets_retries %s, want %s", got, n)
			}
		}
	}
	// byOp checks how many requests of op the run made, counted from the
	// start of the harness.
	byOp := func(op string, n int64) func(t *testing.T, h *harness, stderr string) {
		return func(t *testing.T, h *harness, stderr string) {
			if got := h.sh.Stats().ByOp[op]; got != n {
				t.Errorf("%d %s requests, want %d", got, op, n)
			}
		}
	}
	for _, c := range []faultCase{
		{name: "429 on the write", want: reference,
			fault: sheetsFault(sheetstest.Fault{Op: "batchUpdate", Status: 429, Times: 3}), check: sheetsRetries("3")},
		{name: "503 on the write", want: reference,
			fault: sheetsFault(sheetstest.Fault{Op: "batchUpdate", Status: 503, Times: 2}), check: sheetsRetries("2")},
		{name: "502 HTML on the read", want: reference,
			fault: sheetsFault(sheetstest.Fault{Op: "get", Status: 502, Times: 2}), check: sheetsRetries("2")},
		{name: "latency spike past the client timeout on the write", want: reference,
			edit:  func(c *Config) { c.tune.timeout = time.Second },
			fault: sheetsFault(sheetstest.Fault{Op: "batchUpdate", Delay: 10 * time.Second}),
			check: func(t *testing.T, h *harness, stderr string) {
				if got := h.sh.Stats().ByOp["batchUpdate"]; got < 2 {
					t.Errorf("%d batchUpdate requests, want the timed-out one and its retry", got)
				}
			}},
		{name: "connection resets on the read", want: reference,
			// A GET that failed on a reused connection is resent by Go's
			// transport once; the second reset reaches the writer.
			fault: sheetsFault(sheetstest.Fault{Op: "get", Reset: true, Times: 2})},
		{name: "connection reset on the write", want: reference,
			fault: sheetsFault(sheetstest.Fault{Op: "batchUpdate", Reset: true}), check: byOp("batchUpdate", 2)},
		{name: "400 on the write over a digest", want: unchanged, prior: true,
			fault: sheetsFault(sheetstest.Fault{Op: "batchUpdate", Status: 400, Times: -1}),
			msg:   []string{"HTTP 400", "refused the request as invalid"}, check: byOp("batchUpdate", 2)},
		{name: "persistent 500 on the write over a digest", want: unchanged, prior: true,
			fault: sheetsFault(sheetstest.Fault{Op: "batchUpdate", Status: 500, Times: -1}),
			msg:   []string{"HTTP 500", "after 6 attempts", "run again later"}},
		{name: "apply-then-drop on a fresh spreadsheet", want: reference,
			fault: sheetsFault(sheetstest.Fault{Op: "batchUpdate", ApplyThenDrop: true}), check: byOp("batchUpdate", 2)},
		{name: "apply-then-drop over an older digest", want: reference, prior: true,
			fault: sheetsFault(sheetstest.Fault{Op: "batchUpdate", ApplyThenDrop: true}), check: byOp("batchUpdate", 3)},
		{name: "apply-then-drop in rewrite mode", want: reference, prior: true,
			edit:  func(c *Config) { c.WriteMode = "rewrite"; c.KeepTabs = 2 },
			fault: sheetsFault(sheetstest.Fault{Op: "batchUpdate", ApplyThenDrop: true}), check: byOp("batchUpdate", 3)},
		{name: "token endpoint failing twice", want: reference,
			fault: sheetsFault(sheetstest.Fault{Op: "token", Status: 503, Times: 2})},
		{name: "token endpoint failing for good", want: unchanged, prior: true,
			fault: func(t *testing.T, h *harness) {
				h.sh.ExpireTokens()
				h.sh.Inject(sheetstest.Fault{Op: "token", Status: 500, Times: -1})
			},
			msg: []string{"fetch an access token", "token_uri"}},
		{name: "token endpoint refusing the key", want: unchanged,
			fault: sheetsFault(sheetstest.Fault{Op: "token", Status: 400, Times: -1}),
			msg:   []string{"fetch an access token", "GOOGLE_CREDENTIALS_JSON"},
			check: func(t *testing.T, h *harness, stderr string) {
				if got := h.sh.Stats().Tokens; got != 1 {
					t.Errorf("%d token requests, want 1 (no retry)", got)
				}
			}},
		{name: "spreadsheet not shared", want: unchanged,
			fault: func(t *testing.T, h *harness) { h.sh.Unshare(testSheet, testAccount) },
			msg:   []string{"403", "share the spreadsheet " + testSheet + " as an Editor with " + testAccount},
			check: byOp("get", 1)},
		{name: "spreadsheet not found", want: unchanged,
			edit: func(c *Config) { c.SpreadsheetID = "1NoSuchSpreadsheet0000000000000000000000000" },
			msg:  []string{"404", "check SPREADSHEET_ID"}, check: byOp("get", 1)},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t)
		})
	}
}

// TestFaultCellLimit fills the spreadsheet with a tab sized so that the
// digest misses Google's 10,000,000-cell limit by one cell, or meets it
// exactly.
func TestFaultCellLimit(t *testing.T) {
	t.Parallel()
	data, edit := faultData(), faultEdit(nil)
	// What the digest adds to a spreadsheet, counted on a clean run.
	probe := newHarness(t, data, everflowtest.Options{})
	empty := probe.sh.CellCount(testSheet)
	if _, stderr, err := probe.run(t.Context(), faultDates, edit); err != nil {
		t.Fatalf("probe run: %v\n%s", err, stderr)
	}
	added := probe.sh.CellCount(testSheet) - empty
	// fill adds a tab that leaves the digest over cells too few.
	fill := func(over int64) func(*harness) {
		return func(h *harness) {
			h.sh.AddSheet(testSheet, "Archive", int(sheets.CellLimit-empty-added+over), 1)
		}
	}
	t.Run("one cell over", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, data, everflowtest.Options{})
		fill(1)(h)
		before := h.sh.Tabs(testSheet)
		_, stderr, err := h.run(t.Context(), faultDates, edit)
		wantFailure(t, err, stderr)
		if !errors.Is(err, sheets.ErrCellLimit) || !strings.Contains(err.Error(), "DIGEST_KEEP_TABS") {
			t.Errorf("the error does not explain the cell limit: %v", err)
		}
		if diff := tabsDiff(before, h.sh.Tabs(testSheet), true); diff != "" {
			t.Errorf("the spreadsheet changed (-before +after):\n%s", diff)
		}
		if got := h.sh.Stats().Writes; got != 0 {
			t.Errorf("%d writes sent, want none", got)
		}
	})
	t.Run("exactly at the limit", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, data, everflowtest.Options{})
		fill(0)(h)
		_, stderr, err := h.run(t.Context(), faultDates, edit)
		wantReference(t, h, err, stderr, referenceTabs(t, data, faultDates, fill(0), edit))
		if got := h.sh.CellCount(testSheet); got != sheets.CellLimit {
			t.Errorf("%d cells, want exactly %d", got, sheets.CellLimit)
		}
	})
}

// TestFaultCredentials: a service-account key that cannot be used is a
// usage error naming its variable, found before anything is called, and
// never quoted.
func TestFaultCredentials(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name     string
		variable string
		mangle   func(key string) string
	}{
		{"truncated", "GOOGLE_CREDENTIALS_JSON", func(k string) string { return k[:len(k)/2] }},
		{"PEM pasted alone", "GOOGLE_CREDENTIALS_JSON", func(k string) string {
			return keyField(t, k, "private_key").(string)
		}},
		{"garbled private key", "GOOGLE_CREDENTIALS_JSON", func(k string) string {
			// 40 characters in the middle of the fifth base64 line.
			pem := keyField(t, k, "private_key").(string)
			lines := strings.Split(pem, "\n")
			lines[5] = lines[5][:10] + strings.Repeat("A", 40) + lines[5][50:]
			return withKeyField(t, k, "private_key", strings.Join(lines, "\n"))
		}},
		{"newlines escaped twice", "GOOGLE_CREDENTIALS_JSON", func(k string) string { return strings.ReplaceAll(k, `\n`, `\\n`) }},
		{"another credential type", "GOOGLE_CREDENTIALS_JSON", func(k string) string {
			return withKeyField(t, k, "type", "authorized_user")
		}},
		{"truncated key file", "GOOGLE_APPLICATION_CREDENTIALS", func(k string) string { return k[:len(k)-30] }},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, faultData(), everflowtest.Options{})
			key := c.mangle(h.cfg.CredentialsJSON)
			if key == h.cfg.CredentialsJSON {
				t.Fatal("the key was not mangled")
			}
			before := h.sh.Tabs(testSheet)
			_, stderr, err := h.run(t.Context(), faultDates, faultEdit(func(cfg *Config) {
				cfg.CredentialsJSON = key
				if c.variable == "GOOGLE_APPLICATION_CREDENTIALS" {
					path := filepath.Join(t.TempDir(), "key.json")
					if err := os.WriteFile(path, []byte(key), 0o600); err != nil {
						t.Fatal(err)
					}
					cfg.CredentialsJSON, cfg.CredentialsFile = "", path
				}
			}))
			if code := exitCode(err); code != 2 {
				t.Fatalf("exit %d, want 2: %v\n%s", code, err, stderr)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, c.variable+": ") || strings.Contains(msg, "PRIVATE KEY") || strings.Contains(msg, "MII") {
				t.Errorf("the error does not name %s, or quotes the key: %v", c.variable, err)
			}
			if st := h.ef.Stats(); st.Requests != 0 {
				t.Errorf("Everflow was called %d times", st.Requests)
			}
			if st := h.sh.Stats(); st.Tokens+st.Reads+st.Writes != 0 {
				t.Errorf("Google was called: %+v", st)
			}
			if diff := tabsDiff(before, h.sh.Tabs(testSheet), true); diff != "" {
				t.Errorf("the spreadsheet changed:\n%s", diff)
			}
		})
	}
}

// keyField returns a field of a service-account key file.
func keyField(t *testing.T, key, field string) any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(key), &m); err != nil {
		t.Fatal(err)
	}
	return m[field]
}

// withKeyField returns the key file with field set to v.
func withKeyField(t *testing.T, key, field string, v any) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(key), &m); err != nil {
		t.Fatal(err)
	}
	m[field] = v
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sigtermMu makes the cases that signal this process take turns: a SIGTERM
// reaches every NotifyContext registered at the time.
var sigtermMu sync.Mutex

// sigtermContext returns a context that SIGTERM cancels, made as main makes
// it, and a function that sends SIGTERM to this process and waits until the
// context has seen it.
func sigtermContext(t *testing.T) (context.Context, func()) {
	sigtermMu.Lock()
	ctx, stop := signal.NotifyContext(t.Context(), syscall.SIGTERM)
	t.Cleanup(func() {
		stop()
		sigtermMu.Unlock()
	})
	return ctx, func() {
		if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
			panic(err) // unreachable: a process may always signal itself
		}
		// Unregistering before the signal arrived would let it kill the
		// test binary.
		<-ctx.Done()
	}
}

// when runs do once cond holds (polled every millisecond) and returns a
// function that stops polling and waits for do to be done.
func when(cond func() bool, do func()) (stop func()) {
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for !cond() {
			select {
			case <-quit:
				return
			case <-tick.C:
			}
		}
		do()
	}()
	return func() {
		close(quit)
		<-done
	}
}

// priorHarness is a harness whose spreadsheet holds an older digest of
// faultDates, serving faultData from now on, with the snapshot of that
// spreadsheet and the clean run's spreadsheet of faultData.
func priorHarness(t *testing.T, opts everflowtest.Options) (h *harness, old, want []sheetstest.Tab) {
	t.Helper()
	h = newHarness(t, priorData(), opts)
	if _, stderr, err := h.run(t.Context(), faultDates, faultEdit(nil)); err != nil {
		t.Fatalf("writing the older digest: %v\n%s", err, stderr)
	}
	h.ef.Set(faultData())
	return h, h.sh.Tabs(testSheet), referenceTabs(t, faultData(), faultDates, nil, faultEdit(nil))
}

func TestFaultSigtermDuringFetch(t *testing.T) {
	t.Parallel()
	h, old, _ := priorHarness(t, everflowtest.Options{})
	sheetsBefore := h.sh.Stats()
	h.ef.Inject(everflowtest.Fault{Path: everflowtest.PathConversions, Page: 3, Delay: time.Minute, Times: -1})
	ctx, term := sigtermContext(t)
	stop := when(func() bool { return h.ef.Stats().PageRequests[3] > 0 }, term)
	_, stderr, err := h.run(ctx, faultDates, faultEdit(nil))
	stop()
	wantFailure(t, err, stderr)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("the error is not the cancellation: %v", err)
	}
	if diff := tabsDiff(old, h.sh.Tabs(testSheet), true); diff != "" {
		t.Errorf("the spreadsheet changed (-before +after):\n%s", diff)
	}
	if after := h.sh.Stats(); after.Tokens != sheetsBefore.Tokens || after.Reads != sheetsBefore.Reads || after.Writes != sheetsBefore.Writes {
		t.Errorf("a run stopped while fetching called Google: before %+v, after %+v", sheetsBefore, after)
	}
}

func TestFaultSigtermDuringWrite(t *testing.T) {
	t.Parallel()
	h, old, want := priorHarness(t, everflowtest.Options{})
	writes := h.sh.Stats().ByOp["batchUpdate"]
	h.sh.Inject(sheetstest.Fault{Op: "batchUpdate", Delay: time.Minute})
	ctx, term := sigtermContext(t)
	stop := when(func() bool { return h.sh.Stats().ByOp["batchUpdate"] > writes }, term)
	_, stderr, err := h.run(ctx, faultDates, faultEdit(nil))
	stop()
	wantFailure(t, err, stderr)
	if got := h.sh.Stats().ByOp["batchUpdate"]; got != writes+1 {
		t.Errorf("%d writes after SIGTERM, want none (only the one in flight)", got-writes-1)
	}
	// The stand-in gives up on the write with its client: its Delay must
	// not keep the request (and Close) waiting for the minute.
	closed := make(chan struct{})
	go func() {
		h.sh.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(30 * time.Second):
		t.Error("the Sheets stand-in still serves the write the job gave up on: Fault.Delay did not end with its client")
	}
	newDates := checkOldOrNew(t, h.sh.Tabs(testSheet), old, want, faultDates)
	t.Logf("dates holding the new digest: %v", newDates)
}

// TestFaultSigtermAfterAppliedWrite stops the job while it re-reads the
// spreadsheet after a write that Google applied but never acknowledged: the
// run fails, and the dates hold their complete new digest.
func TestFaultSigtermAfterAppliedWrite(t *testing.T) {
	t.Parallel()
	h, old, want := priorHarness(t, everflowtest.Options{})
	gets := h.sh.Stats().ByOp["get"]
	h.sh.Inject(sheetstest.Fault{Op: "get"}) // the first read goes through
	h.sh.Inject(sheetstest.Fault{Op: "batchUpdate", ApplyThenDrop: true})
	h.sh.Inject(sheetstest.Fault{Op: "get", Delay: time.Minute}) // the re-read hangs
	ctx, term := sigtermContext(t)
	stop := when(func() bool { return h.sh.Stats().ByOp["get"] >= gets+2 }, term)
	_, stderr, err := h.run(ctx, faultDates, faultEdit(nil))
	stop()
	wantFailure(t, err, stderr)
	checkOldOrNew(t, h.sh.Tabs(testSheet), old, want, faultDates)
	if diff := tabsDiff(want, h.sh.Tabs(testSheet), false); diff != "" {
		t.Errorf("the applied write is not the clean run's spreadsheet (-clean +got):\n%s", diff)
	}
}

// TestFaultKilledRunsThenClean: over an older digest, a run killed at a
// random point, then another killed at a random point of its write, then a
// clean run. After each kill every date is old or new; the clean run ends
// with the clean spreadsheet.
func TestFaultKilledRunsThenClean(t *testing.T) {
	t.Parallel()
	for seed := uint64(1); seed <= 8; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(seed, 0xdead))
			h := newHarness(t, priorData(), everflowtest.Options{Latency: 2 * time.Millisecond})
			// Every Sheets call takes a while too, so a kill can land
			// inside the write.
			h.sh.Inject(sheetstest.Fault{Delay: 4 * time.Millisecond, Times: -1})
			edit := faultEdit(nil)
			started := time.Now()
			if _, stderr, err := h.run(t.Context(), faultDates, edit); err != nil {
				t.Fatalf("writing the older digest: %v\n%s", err, stderr)
			}
			clean := time.Since(started)
			old := h.sh.Tabs(testSheet)
			h.ef.Set(faultData())
			want := referenceTabs(t, faultData(), faultDates, nil, edit)

			killed := func(name string, ctx context.Context) {
				t.Helper()
				writes := h.sh.Stats().Writes
				_, stderr, err := h.run(ctx, faultDates, edit)
				got := h.sh.Tabs(testSheet)
				if err == nil {
					t.Logf("%s finished before the kill", name)
					if diff := tabsDiff(want, got, false); diff != "" {
						t.Errorf("%s succeeded with another spreadsheet than a clean run's (-clean +got):\n%s", name, diff)
					}
					return
				}
				wantFailure(t, err, stderr)
				newDates := checkOldOrNew(t, got, old, want, faultDates)
				t.Logf("%s killed after %d writes: new dates %v: %v", name, h.sh.Stats().Writes-writes, newDates, err)
			}

			// Run A: killed anywhere in a run's span.
			ctx, cancel := context.WithCancel(t.Context())
			timer := time.AfterFunc(time.Duration(rng.Int64N(int64(clean)*3/2+1)), cancel)
			killed("run A", ctx)
			timer.Stop()
			cancel()

			// Run B: killed once it has begun talking to Google (three
			// calls of ~4 ms each: read, read, write), or just after.
			ctx, cancel = context.WithCancel(t.Context())
			reads := h.sh.Stats().Reads
			extra := time.Duration(rng.Int64N(int64(40 * time.Millisecond)))
			stop := when(func() bool { return h.sh.Stats().Reads > reads }, func() { time.AfterFunc(extra, cancel) })
			killed("run B", ctx)
			stop()
			cancel()

			// The clean run.
			_, stderr, err := h.run(t.Context(), faultDates, edit)
			wantReference(t, h, err, stderr, want)
		})
	}
}
