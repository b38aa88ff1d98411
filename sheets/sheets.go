// Package sheets writes the digest into a Google Sheets spreadsheet through a
// service account, with the real google.golang.org/api/sheets/v4 client.
//
// A write reads what the spreadsheet holds (its tabs, then the Date column
// of the tabs that hold a block of rows per date) and sends everything in
// one spreadsheets.batchUpdate, which Google applies all or nothing: a date
// is either as it was or fully rewritten. Every cell is a typed value, never
// text parsed as if a user typed it, so "=HYPERLINK(…)" or "00123" stays text.
// A retried write re-reads the spreadsheet and plans again, so a write that
// was applied although its response was lost is not applied twice.
//
// The package knows nothing of Everflow or of how the digest is computed:
// it writes the typed rows it is given.
package sheets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/api/option"
	sheetsapi "google.golang.org/api/sheets/v4"
)

// Mode is how the Daily rows are written.
type Mode int

// The write modes of DIGEST_WRITE_MODE.
const (
	// Append keeps one log tab (Layout.DailyTab) with a block of rows per
	// date, in date order.
	Append Mode = iota
	// Rewrite writes one tab per date, titled YYYY-MM-DD, instead.
	Rewrite
)

// Layout is where and under which headers the digest goes.
type Layout struct {
	Mode       Mode
	DailyTab   string // append mode's log tab, e.g. "Daily"
	SummaryTab string // per-date totals, e.g. "Summary"
	// KeepTabs keeps only the newest KeepTabs day tabs in rewrite mode
	// (0 keeps all). Only tabs whose title is a YYYY-MM-DD date count.
	KeepTabs int
	// The first column of DailyHeader and SummaryHeader is the date: each
	// row of Day.Daily and Day.Summary starts with the day's Date cell,
	// which is how a later run finds the rows of a date again.
	DailyHeader, SummaryHeader, TabHeader []string
}

// Day is what one date contributes to the spreadsheet.
type Day struct {
	Date    time.Time // the report date; its calendar date is read from its wall clock
	Daily   [][]Cell  // append mode rows, each starting with the Date cell; none removes the date's block
	Summary [][]Cell  // Summary rows, each starting with the Date cell
	Tab     [][]Cell  // rewrite mode rows under TabHeader (Total rows included)
}

// Options configures a Writer. Only SpreadsheetID is required.
type Options struct {
	SpreadsheetID string
	// Endpoint is the Sheets API's base URL (SHEETS_ENDPOINT); "" is Google's.
	Endpoint string
	// CredentialsFile is a service-account key file
	// (GOOGLE_APPLICATION_CREDENTIALS); CredentialsJSON the same key inline
	// (GOOGLE_CREDENTIALS_JSON). With neither, Application Default
	// Credentials are used (on Cloud Run, the job's service account).
	CredentialsFile string
	CredentialsJSON string
	Logger          *slog.Logger // nil discards
	// MinBackoff and MaxBackoff bound the wait before a retry (0: 1 s and
	// 64 s); MaxAttempts bounds the requests made for one step (0: 6).
	// Google's quota refills each minute, so the defaults outlast it.
	MinBackoff, MaxBackoff time.Duration
	MaxAttempts            int
	// WriteInterval is the least time between two writes (0: 1 s, below
	// the 60 writes a minute a service account may make; negative: none).
	WriteInterval time.Duration
	// MaxBatchBytes is the request size above which a write is split into
	// several batches of whole dates (0: DefaultMaxBatchBytes, 2 MB).
	MaxBatchBytes int
	// HTTPClient supplies the transport and timeout of every request, token
	// requests included; nil uses http.DefaultTransport with a 200 s timeout.
	HTTPClient *http.Client
}

// Stats counts the requests a Writer made to the Sheets API. Requests that
// were retried count each time.
type Stats struct {
	Reads        int64 // spreadsheets.get and values.batchGet
	Writes       int64 // spreadsheets.batchUpdate
	Retries      int64 // requests repeated after a retryable failure
	PayloadBytes int64 // JSON bytes of the batchUpdate requests sent
}

// Writer writes digests into one spreadsheet. Write and Check are meant to
// be called one at a time; Stats may be called at any time.
type Writer struct {
	svc     *sheetsapi.Service
	id      string
	layout  Layout
	log     *slog.Logger
	account string
	scrub   *scrubber

	minBackoff, maxBackoff time.Duration
	maxAttempts            int
	writeInterval          time.Duration
	maxBatchBytes          int

	reads, writes, retries, payload atomic.Int64

	mu        sync.Mutex
	lastWrite time.Time
}

// DefaultMaxBatchBytes is the request size above which a write is split:
// Google recommends requests of at most 2 MB.
const DefaultMaxBatchBytes = 2 << 20

// maxRequestBytes is the largest request Google has been seen to accept.
const maxRequestBytes = 10 << 20

// NewWriter checks the options and the layout, loads the credentials and
// makes the Sheets client. It calls nothing: a bad key is a *ConfigError
// naming the variable that holds it, never quoting it.
func NewWriter(ctx context.Context, opts Options, layout Layout) (*Writer, error) {
	if strings.TrimSpace(opts.SpreadsheetID) == "" {
		return nil, &ConfigError{envSpreadsheetID, "required: the id of the spreadsheet to write, from its URL"}
	}
	if err := checkLayout(layout); err != nil {
		return nil, err
	}
	w := &Writer{
		id: strings.TrimSpace(opts.SpreadsheetID), layout: layout, log: opts.Logger, scrub: &scrubber{},
		minBackoff: opts.MinBackoff, maxBackoff: opts.MaxBackoff, maxAttempts: opts.MaxAttempts,
		writeInterval: opts.WriteInterval, maxBatchBytes: opts.MaxBatchBytes,
	}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	if w.minBackoff <= 0 {
		w.minBackoff = time.Second
	}
	if w.maxBackoff <= 0 {
		w.maxBackoff = 64 * time.Second
	}
	w.maxBackoff = max(w.maxBackoff, w.minBackoff)
	if w.maxAttempts <= 0 {
		w.maxAttempts = 6
	}
	if w.writeInterval == 0 {
		w.writeInterval = time.Second
	}
	if w.maxBatchBytes <= 0 {
		w.maxBatchBytes = DefaultMaxBatchBytes
	}
	w.maxBatchBytes = min(w.maxBatchBytes, maxRequestBytes)

	base := opts.HTTPClient
	if base == nil {
		base = &http.Client{Timeout: defaultHTTPTimeout}
	}
	transport := base.Transport
	if transport == nil {
		transport = http.DefaultTransport
	}
	tokenClient := &http.Client{Transport: transport, Timeout: tokenTimeout}
	if base.Timeout > 0 {
		tokenClient.Timeout = min(tokenClient.Timeout, base.Timeout)
	}
	creds, err := loadCredentials(opts, tokenClient, w.scrub)
	if err != nil {
		return nil, err
	}
	w.account = creds.account
	hc := &http.Client{Transport: &authTransport{base: transport, src: creds.src}, Timeout: base.Timeout, Jar: base.Jar, CheckRedirect: base.CheckRedirect}
	clientOpts := []option.ClientOption{option.WithHTTPClient(hc)}
	if ep := strings.TrimSpace(opts.Endpoint); ep != "" {
		u, err := url.Parse(ep)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, &ConfigError{envEndpoint, "not an http(s) URL"}
		}
		if !strings.HasSuffix(ep, "/") {
			ep += "/" // the client resolves "v4/…" against it
		}
		clientOpts = append(clientOpts, option.WithEndpoint(ep))
	}
	if w.svc, err = sheetsapi.NewService(ctx, clientOpts...); err != nil {
		return nil, fmt.Errorf("create sheets client: %w", err)
	}
	return w, nil
}

func checkLayout(l Layout) error {
	if l.Mode != Append && l.Mode != Rewrite {
		return &ConfigError{"DIGEST_WRITE_MODE", "must be append or rewrite"}
	}
	tabs := []struct{ variable, title string }{{"DIGEST_SUMMARY_TAB", l.SummaryTab}}
	if l.Mode == Append {
		tabs = append(tabs, struct{ variable, title string }{"DIGEST_TAB", l.DailyTab})
	}
	for _, t := range tabs {
		switch {
		case strings.TrimSpace(t.title) == "":
			return &ConfigError{t.variable, "a tab name is required"}
		case len([]rune(t.title)) > 100:
			return &ConfigError{t.variable, "a tab name is at most 100 characters"}
		}
		if _, ok := parseDayTitle(t.title); ok {
			return &ConfigError{t.variable, "a YYYY-MM-DD tab name would be taken for a day tab of rewrite mode"}
		}
	}
	if l.Mode == Append && strings.EqualFold(l.DailyTab, l.SummaryTab) {
		return &ConfigError{"DIGEST_SUMMARY_TAB", "must differ from DIGEST_TAB"}
	}
	if l.KeepTabs < 0 {
		return &ConfigError{"DIGEST_KEEP_TABS", "must be 0 (keep all) or more"}
	}
	if len(l.SummaryHeader) == 0 || (l.Mode == Append && len(l.DailyHeader) == 0) || (l.Mode == Rewrite && len(l.TabHeader) == 0) {
		return errors.New("sheets layout: a header is missing")
	}
	return nil
}

// Stats returns the requests made so far. Safe for concurrent use.
func (w *Writer) Stats() Stats {
	return Stats{Reads: w.reads.Load(), Writes: w.writes.Load(), Retries: w.retries.Load(), PayloadBytes: w.payload.Load()}
}

// Account returns the service account's email, or a phrase naming the
// account the job runs as when Application Default Credentials do not
// tell it.
func (w *Writer) Account() string {
	if w.account == "" {
		return "application default credentials (" + adcAccount + ")"
	}
	return w.account
}

// Write writes days into the spreadsheet: Daily blocks (append mode) or day
// tabs (rewrite mode), and Summary rows, replacing what the spreadsheet
// holds for those dates and nothing else. It reads the spreadsheet (two
// reads; a third, of the rows below the data, when a Daily or Summary tab
// has rows there, such as a note someone typed) and sends one batchUpdate,
// or several of whole dates when one would pass Options.MaxBatchBytes. A
// batch that fails with a retryable error is retried after reading the
// spreadsheet again, so a batch applied although its response was lost is
// not applied twice. No write starts once ctx is done.
func (w *Writer) Write(ctx context.Context, days []Day) error {
	r, err := w.prepare(days)
	if err != nil {
		return err
	}
	if len(r.days) == 0 {
		return nil
	}
	remaining := r.days
	failures := 0
	for len(remaining) > 0 {
		st, err := w.read(ctx, r.layout)
		if err != nil {
			return err
		}
		groups := groupDays(remaining, w.maxBatchBytes)
	batches:
		for i := 0; i < len(groups); i++ {
			group := groups[i]
			b, size, err := w.plan(st, r, group)
			if err != nil {
				return err
			}
			if size > w.maxBatchBytes && len(group) > 1 {
				// The estimate was short: the dates that do not fit, still
				// whole, go ahead of the next batch.
				keep := fitting(group, size, w.maxBatchBytes)
				w.log.Debug("sheets batch over its estimate; moving dates to the next batch",
					"dates", dateSpan(group), "bytes", size, "limit", w.maxBatchBytes, "moved", len(group)-keep)
				spill := slices.Clone(group[keep:])
				groups[i] = group[:keep]
				if i+1 < len(groups) {
					groups[i+1] = append(spill, groups[i+1]...)
				} else {
					groups = append(groups, spill)
				}
				i--
				continue
			}
			if size > maxRequestBytes {
				return &sizeError{dates: dateSpan(group), bytes: size}
			}
			err = w.send(ctx, b, size)
			if err == nil {
				st = b.next
				remaining = remaining[len(group):]
				failures = 0
				continue
			}
			if ctx.Err() != nil {
				return fmt.Errorf("write %s: %w", dateSpan(group), ctx.Err())
			}
			f := w.classify(err)
			failures++
			if !f.retry || failures >= w.maxAttempts {
				return w.final("write "+dateSpan(group), f, failures)
			}
			wait := w.backoff(failures, f.after)
			w.retries.Add(1)
			w.log.Warn("sheets write failed; re-reading the spreadsheet before retrying",
				"reason", f.reason, "attempt", failures, "wait", wait, "dates", dateSpan(group))
			if err := sleep(ctx, wait); err != nil {
				return fmt.Errorf("write %s: %w", dateSpan(group), err)
			}
			break batches
		}
	}
	return nil
}

// plan plans the batch of group over st and returns its size, as the
// client will send it. The planner counts it as it builds the requests:
// encoding the batch to measure it would make a second copy of a body of
// up to 2 MB, and the client encodes the request itself.
func (w *Writer) plan(st *state, r *run, group []*runDay) (*batch, int, error) {
	b, err := planBatch(st, r, group)
	if err != nil {
		return nil, 0, fmt.Errorf("plan the write of %s to %s: %w", dateSpan(group), w.id, err)
	}
	return b, b.size, nil
}

// fitting returns how many of the dates of group, whose batch is size
// bytes, fit in limit: the estimates of their sizes, scaled to what the
// batch measured, with a little room for the error. At least one.
func fitting(group []*runDay, size, limit int) int {
	est := batchOverhead
	for _, d := range group {
		est += d.size
	}
	scale := float64(size) / float64(est)
	sum, keep := float64(batchOverhead)*scale, 0
	for keep < len(group)-1 {
		sum += float64(group[keep].size) * scale
		if sum > 0.98*float64(limit) {
			break
		}
		keep++
	}
	return max(keep, 1)
}

// sizeError is a batch too large to send even on its own.
type sizeError struct {
	dates string
	bytes int
}

func (e *sizeError) Error() string {
	return fmt.Sprintf("write %s: the request would be %d bytes, more than the %d Google accepts in one request", e.dates, e.bytes, maxRequestBytes)
}

// send makes one batchUpdate attempt with b, whose JSON is size bytes.
func (w *Writer) send(ctx context.Context, b *batch, size int) error {
	if err := w.pace(ctx); err != nil {
		return err
	}
	// Checked last, right before the request: no write begins after cancellation.
	if err := ctx.Err(); err != nil {
		return err
	}
	w.writes.Add(1)
	w.payload.Add(int64(size))
	req := &sheetsapi.BatchUpdateSpreadsheetRequest{Requests: b.reqs}
	resp, err := w.svc.Spreadsheets.BatchUpdate(w.id, req).Context(ctx).Do()
	if err != nil {
		return err
	}
	// Google answers one reply per request; fewer means something other
	// than Google answered. The batch was applied all the same.
	if len(resp.Replies) != len(b.reqs) {
		w.log.Warn("sheets batch answered with an unexpected number of replies", "requests", len(b.reqs), "replies", len(resp.Replies))
	}
	attrs := []any{"dates", dateSpanTitles(b.dates), "requests", len(b.reqs), "bytes", size}
	if len(b.created) > 0 {
		attrs = append(attrs, "created", b.created)
	}
	if len(b.dropped) > 0 {
		attrs = append(attrs, "dropped", b.dropped)
	}
	w.log.Info("sheets batch written", attrs...)
	return nil
}

// pace keeps writes at least WriteInterval apart.
func (w *Writer) pace(ctx context.Context) error {
	if w.writeInterval < 0 {
		return nil
	}
	w.mu.Lock()
	now := time.Now()
	next := w.lastWrite.Add(w.writeInterval)
	wait := next.Sub(now)
	w.lastWrite = now
	if wait > 0 {
		w.lastWrite = next
	}
	w.mu.Unlock()
	return sleep(ctx, wait)
}

// call makes a read, retried per the retry policy.
func (w *Writer) readCall(ctx context.Context, op string, fn func(context.Context) error) error {
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		w.reads.Add(1)
		err := fn(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", op, ctx.Err())
		}
		f := w.classify(err)
		if !f.retry || attempt >= w.maxAttempts {
			return w.final(op, f, attempt)
		}
		wait := w.backoff(attempt, f.after)
		w.retries.Add(1)
		w.log.Warn("sheets read failed; retrying", "op", op, "reason", f.reason, "attempt", attempt, "wait", wait)
		if err := sleep(ctx, wait); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
	}
}

// propertyFields is the field mask of the first read: the tabs, no cells.
const propertyFields = "properties.title,sheets.properties(sheetId,title,index,sheetType,gridProperties(rowCount,columnCount,frozenRowCount))"

// getState reads the spreadsheet's title and tabs.
func (w *Writer) getState(ctx context.Context) (*state, error) {
	var ss *sheetsapi.Spreadsheet
	err := w.readCall(ctx, "read spreadsheet "+w.id, func(ctx context.Context) error {
		var err error
		ss, err = w.svc.Spreadsheets.Get(w.id).Fields(propertyFields).Context(ctx).Do()
		return err
	})
	if err != nil {
		return nil, err
	}
	st := &state{Keys: make(map[string][]key)}
	if ss.Properties != nil {
		st.Title = ss.Properties.Title
	}
	for _, s := range ss.Sheets {
		p := s.Properties
		if p == nil {
			continue
		}
		t := tab{ID: p.SheetId, Title: p.Title, Grid: p.SheetType == "" || p.SheetType == "GRID"}
		if g := p.GridProperties; g != nil {
			t.Rows, t.Cols, t.Frozen = int(g.RowCount), int(g.ColumnCount), int(g.FrozenRowCount)
		}
		st.Tabs = append(st.Tabs, t)
	}
	// Sheets come in index order, but the order is what matters: make sure.
	idx := make(map[int64]int64, len(ss.Sheets))
	for _, s := range ss.Sheets {
		if s.Properties != nil {
			idx[s.Properties.SheetId] = s.Properties.Index
		}
	}
	slices.SortStableFunc(st.Tabs, func(a, b tab) int { return int(idx[a.ID] - idx[b.ID]) })
	return st, nil
}

// read reads what a write plans from: the tabs, then column A of the block
// tabs that exist (Daily in append mode, Summary), in one values.batchGet.
func (w *Writer) read(ctx context.Context, l Layout) (*state, error) {
	st, err := w.getState(ctx)
	if err != nil {
		return nil, err
	}
	var titles, ranges []string
	for _, title := range blockTitles(l) {
		if i := st.find(title); i >= 0 && st.Tabs[i].Grid {
			t := st.Tabs[i].Title
			titles = append(titles, t)
			ranges = append(ranges, quoteTitle(t)+"!A:A")
		}
	}
	if len(ranges) == 0 {
		return st, nil
	}
	values, err := w.batchGet(ctx, "read the Date column of "+strings.Join(titles, " and "), ranges)
	if err != nil {
		return nil, err
	}
	for i, title := range titles {
		t := st.Tabs[st.find(title)]
		keys := make([]key, t.Rows)
		for r, row := range values[i].Values {
			if r < len(keys) && len(row) > 0 {
				keys[r] = keyOf(row[0])
			}
		}
		st.Keys[t.Title] = keys
	}
	if err := w.readTails(ctx, st, titles); err != nil {
		return nil, err
	}
	return st, nil
}

// readTails reads, over every column, the rows of the block tabs titles
// that column A shows blank from the last row it holds something in to
// the end of the grid: the planner deletes those rows (see trim), so a note
// someone typed there, in column C say, must be known to be kept. Tabs the
// writer sized itself have no such rows, so this read is only made for a
// tab made or resized by hand, or with a note below the data.
func (w *Writer) readTails(ctx context.Context, st *state, titles []string) error {
	var tails []string
	var starts []int
	var ranges []string
	for _, title := range titles {
		t := st.Tabs[st.find(title)]
		start := tailStart(st.Keys[t.Title])
		if start >= t.Rows {
			continue
		}
		tails, starts = append(tails, t.Title), append(starts, start)
		ranges = append(ranges, fmt.Sprintf("%s!%d:%d", quoteTitle(t.Title), start+1, t.Rows))
	}
	if len(ranges) == 0 {
		return nil
	}
	values, err := w.batchGet(ctx, "read the rows below the data of "+strings.Join(tails, " and "), ranges)
	if err != nil {
		return err
	}
	for i, title := range tails {
		keys := st.Keys[title]
		for r, row := range values[i].Values {
			if j := starts[i] + r; j < len(keys) && slices.ContainsFunc(row, func(v any) bool { return keyOf(v).kind != keyBlank }) {
				keys[j] = key{kind: keyOther} // not a date of ours, whatever column A says
			}
		}
	}
	return nil
}

// tailStart is the first row trim would delete from a block tab whose
// column A holds keys: the row after the last one with something in
// column A, but never the header or the row below it.
func tailStart(keys []key) int {
	last := 0
	for j := len(keys) - 1; j > 0; j-- {
		if keys[j].kind != keyBlank {
			last = j
			break
		}
	}
	return max(last+1, 2)
}

// batchGet reads ranges in one values.batchGet, as stored: numbers and
// dates as numbers (serials), whatever the spreadsheet's locale. It returns
// one ValueRange per range, in order.
func (w *Writer) batchGet(ctx context.Context, op string, ranges []string) ([]*sheetsapi.ValueRange, error) {
	var resp *sheetsapi.BatchGetValuesResponse
	err := w.readCall(ctx, op, func(ctx context.Context) error {
		var err error
		resp, err = w.svc.Spreadsheets.Values.BatchGet(w.id).Ranges(ranges...).
			MajorDimension("ROWS").ValueRenderOption("UNFORMATTED_VALUE").DateTimeRenderOption("SERIAL_NUMBER").
			Context(ctx).Do()
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(resp.ValueRanges) != len(ranges) {
		return nil, fmt.Errorf("%s: asked for %d ranges, got %d", op, len(ranges), len(resp.ValueRanges))
	}
	return resp.ValueRanges, nil
}

func blockTitles(l Layout) []string {
	if l.Mode == Append {
		return []string{l.DailyTab, l.SummaryTab}
	}
	return []string{l.SummaryTab}
}

// quoteTitle quotes a tab title for an A1 range: 'It”s'!A1.
func quoteTitle(t string) string { return "'" + strings.ReplaceAll(t, "'", "''") + "'" }

// prepare validates days and turns their rows into request rows once.
func (w *Writer) prepare(days []Day) (*run, error) {
	r := &run{layout: w.layout, dailyWidth: len(w.layout.DailyHeader), summaryWidth: len(w.layout.SummaryHeader)}
	seen := make(map[int]bool, len(days))
	for _, d := range days {
		s := DateSerial(d.Date)
		if seen[s] {
			return nil, fmt.Errorf("write: date %s given twice", dayTitle(s))
		}
		seen[s] = true
		if err := checkRows(s, "Summary", d.Summary, true); err != nil {
			return nil, err
		}
		for _, row := range d.Summary {
			r.summaryWidth = max(r.summaryWidth, len(row))
		}
		if w.layout.Mode == Append {
			if err := checkRows(s, "Daily", d.Daily, true); err != nil {
				return nil, err
			}
			for _, row := range d.Daily {
				r.dailyWidth = max(r.dailyWidth, len(row))
			}
		} else if err := checkRows(s, "Tab", d.Tab, false); err != nil {
			return nil, err
		}
	}
	for _, d := range days {
		// The rows stay the caller's cells: request structures are built
		// per batch, so a long backfill never holds them all at once.
		rd := &runDay{serial: DateSerial(d.Date), tabWidth: len(w.layout.TabHeader), summary: d.Summary}
		rd.size = blockOverhead + valueRowsSize(d.Summary, r.summaryWidth)
		if w.layout.Mode == Append {
			rd.daily = d.Daily
			rd.size += blockOverhead + valueRowsSize(d.Daily, r.dailyWidth)
		} else {
			for _, row := range d.Tab {
				rd.tabWidth = max(rd.tabWidth, len(row))
			}
			rd.tab = d.Tab
			content := d.Tab
			if len(content) == 0 {
				content = [][]Cell{nil} // the empty row under the header
			}
			// A day tab is a block of its own: its formats are not shared
			// with another date's.
			rd.size += 2*blockOverhead + valueRowsSize(content, rd.tabWidth) + headerSize(w.layout.TabHeader, rd.tabWidth) +
				formatRunJSON*len(formatRuns(content, rd.tabWidth))
		}
		r.days = append(r.days, rd)
	}
	slices.SortFunc(r.days, func(a, b *runDay) int { return a.serial - b.serial })
	return r, nil
}

// checkRows refuses rows a later run could not find again (Daily and
// Summary rows must start with their date) and cells Google would refuse.
func checkRows(serial int, what string, rows [][]Cell, dated bool) error {
	for i, row := range rows {
		if dated && (len(row) == 0 || row[0].Kind != Date || row[0].Number != float64(serial)) {
			return fmt.Errorf("write: %s row %d of %s does not start with its date", what, i+1, dayTitle(serial))
		}
		for j, c := range row {
			if err := checkCell(c); err != nil {
				return fmt.Errorf("write: %s row %d column %d of %s: %w", what, i+1, j+1, dayTitle(serial), err)
			}
		}
	}
	return nil
}

// headerSize is the JSON size of a header row padded to width.
func headerSize(names []string, width int) int {
	b, err := json.Marshal(headerRow(names, width))
	if err != nil {
		return 0 // plain strings always encode
	}
	return len(b)
}

// blockOverhead is the estimated size of the requests around one date's
// rows in one tab: its updateCells, and an insertDimension or addSheet.
const blockOverhead = 300

// formatRunJSON is the estimated size of one repeatCell setting the format
// of a rectangle of cells.
const formatRunJSON = 240

// batchOverhead is the estimated size of what every batch carries besides
// the dates' rows: headers, tab properties, new tabs, and the repeatCells of
// the formats of the blocks of adjacent dates, a handful per tab.
const batchOverhead = 8 << 10

// groupDays splits days (ascending) into as few batches of whole dates as
// their estimated sizes allow under limit bytes, balanced so that no batch
// is left nearly empty: a 365-day backfill takes ceil(payload ÷ limit)
// writes. A date larger than limit goes alone.
func groupDays(days []*runDay, limit int) [][]*runDay {
	total := 0
	for _, d := range days {
		total += d.size
	}
	room := max(limit-batchOverhead, 1)
	for k := max(1, (total+room-1)/room); ; k++ {
		groups := splitDays(days, k, total)
		fits := true
		for _, g := range groups {
			size := 0
			for _, d := range g {
				size += d.size
			}
			if size > room && len(g) > 1 {
				fits = false
				break
			}
		}
		if fits || k >= len(days) {
			return groups
		}
	}
}

// splitDays cuts days into at most k runs of about total/k bytes each: a
// date goes to the run its middle byte falls in.
func splitDays(days []*runDay, k, total int) [][]*runDay {
	target := float64(total) / float64(k)
	var groups [][]*runDay
	cur, prefix := -1, 0
	for _, d := range days {
		g := int((float64(prefix) + float64(d.size)/2) / target)
		g = min(g, k-1)
		if g > cur || len(groups) == 0 {
			groups = append(groups, nil)
			cur = g
		}
		groups[len(groups)-1] = append(groups[len(groups)-1], d)
		prefix += d.size
	}
	return groups
}

func dateSpan(group []*runDay) string {
	if len(group) == 1 {
		return dayTitle(group[0].serial)
	}
	return dayTitle(group[0].serial) + ".." + dayTitle(group[len(group)-1].serial)
}

func dateSpanTitles(d []string) string {
	switch len(d) {
	case 0:
		return ""
	case 1:
		return d[0]
	}
	return d[0] + ".." + d[len(d)-1]
}

// CheckReport is what Check found.
type CheckReport struct {
	Account       string   // the service account's email, or how the job's account is named under ADC
	SpreadsheetID string   // the spreadsheet opened
	Title         string   // the spreadsheet's title
	Tabs          []string // existing tabs, in order
	Write         []string // tabs a run of the given days would write
	Create        []string // of those, the tabs that do not exist yet
	Drop          []string // day tabs a run would delete to keep DIGEST_KEEP_TABS
	Cells         int64    // cells the spreadsheet holds now, empty grid included
}

// String renders the report for -check.
func (r CheckReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Google credentials: %s\n", r.Account)
	fmt.Fprintf(&b, "spreadsheet %s: %q, opened\n", r.SpreadsheetID, r.Title)
	fmt.Fprintf(&b, "tabs: %s\n", strings.Join(quoteAll(r.Tabs), ", "))
	fmt.Fprintf(&b, "cells in use: %d of %d\n", r.Cells, CellLimit)
	fmt.Fprintf(&b, "a run would write: %s\n", strings.Join(quoteAll(r.Write), ", "))
	if len(r.Create) > 0 {
		fmt.Fprintf(&b, "  creating: %s\n", strings.Join(quoteAll(r.Create), ", "))
	}
	if len(r.Drop) > 0 {
		fmt.Fprintf(&b, "  deleting old day tabs: %s\n", strings.Join(quoteAll(r.Drop), ", "))
	}
	return b.String()
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = fmt.Sprintf("%q", x)
	}
	return out
}

// Check opens the spreadsheet (one read) and reports what a run would
// write, changing nothing. Only the dates of days are used (their rows may
// be empty); with no days it lists the Daily and Summary tabs, and in
// rewrite mode no day tab. Edit access is only proven by a write: Check
// proves the credentials work and the spreadsheet can be read.
func (w *Writer) Check(ctx context.Context, days []Day) (CheckReport, error) {
	rep := CheckReport{Account: w.Account(), SpreadsheetID: w.id}
	st, err := w.getState(ctx)
	if err != nil {
		return rep, err
	}
	rep.Title = st.Title
	rep.Cells = st.cells()
	for _, t := range st.Tabs {
		rep.Tabs = append(rep.Tabs, t.Title)
	}
	r := &run{layout: w.layout}
	for _, d := range days {
		r.days = append(r.days, &runDay{serial: DateSerial(d.Date)})
	}
	slices.SortFunc(r.days, func(a, b *runDay) int { return a.serial - b.serial })
	r.days = slices.CompactFunc(r.days, func(a, b *runDay) bool { return a.serial == b.serial })
	want := blockTitles(w.layout)
	keep, drop := rotation(st, r)
	if w.layout.Mode == Rewrite {
		for _, d := range r.days {
			if keep[d.serial] {
				want = append(want, dayTitle(d.serial))
			}
		}
	}
	for _, title := range want {
		if i := st.find(title); i >= 0 {
			rep.Write = append(rep.Write, st.Tabs[i].Title)
		} else {
			rep.Write = append(rep.Write, title)
			rep.Create = append(rep.Create, title)
		}
	}
	for _, t := range drop {
		rep.Drop = append(rep.Drop, t.Title)
	}
	return rep, nil
}
