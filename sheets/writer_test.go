package sheets_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"google.golang.org/api/option"
	sheetsapi "google.golang.org/api/sheets/v4"

	"github.com/eflow-digest/eflow-digest/sheets"
	"github.com/eflow-digest/eflow-digest/sheets/sheetstest"
)

// These tests drive the real *sheets.Service, with its OAuth flow, against
// the sheetstest stand-in.

const (
	testEmail = "digest@eflow-test.iam.gserviceaccount.com"
	sheetID   = "sheet-1"
)

var layout = sheets.Layout{
	Mode: sheets.Append, DailyTab: "Daily", SummaryTab: "Summary",
	DailyHeader:   []string{"Date", "Offer ID", "Offer", "Sub1", "Currency", "Conversions", "Revenue"},
	SummaryHeader: []string{"Date", "Currency", "Conversions", "Revenue", "Offers", "Refreshed At"},
	TabHeader:     []string{"Offer ID", "Offer", "Sub1", "Currency", "Conversions", "Revenue"},
}

var refreshed = time.Date(2024, 6, 10, 6, 30, 15, 0, time.UTC)

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// makeDay builds a day of n offers; version changes the figures so a
// re-run after the data changed can be told apart.
func makeDay(d string, n, version int) sheets.Day {
	t := date(d)
	day := sheets.Day{Date: t}
	var total float64
	for i := range n {
		offer := fmt.Sprintf("Offer %d v%d", i, version)
		sub := []string{"=HYPERLINK(\"http://evil\")", "00123", "TRUE", "+1", "-1", "@x", "", "1e5", "2024-06-01"}[i%9]
		rev := float64(100*(n-i)) + 0.1234 + float64(version)
		total += rev
		day.Daily = append(day.Daily, []sheets.Cell{
			sheets.DateCell(t), sheets.IntCell(int64(1000 + i)), sheets.TextCell(offer), sheets.TextCell(sub),
			sheets.TextCell("USD"), sheets.IntCell(int64(n - i + version)), sheets.MoneyCell(rev),
		})
		day.Tab = append(day.Tab, []sheets.Cell{
			sheets.IntCell(int64(1000 + i)), sheets.TextCell(offer), sheets.TextCell(sub),
			sheets.TextCell("USD"), sheets.IntCell(int64(n - i + version)), sheets.MoneyCell(rev),
		})
	}
	cur := "USD"
	if n == 0 {
		cur = ""
	}
	day.Summary = [][]sheets.Cell{{sheets.DateCell(t), sheets.TextCell(cur), sheets.IntCell(int64(n)), sheets.MoneyCell(total), sheets.IntCell(int64(n)), sheets.DateTimeCell(refreshed)}}
	day.Tab = append(day.Tab, []sheets.Cell{sheets.TextCell("Total"), {}, {}, sheets.TextCell(cur), sheets.IntCell(int64(n)), sheets.MoneyCell(total)})
	return day
}

type env struct {
	srv *sheetstest.Server
	key []byte
	log *bytes.Buffer
}

func newEnv(t testing.TB, opts sheetstest.Options) *env {
	t.Helper()
	if opts.WritesPerMinute == 0 {
		opts.WritesPerMinute = -1
	}
	srv := sheetstest.NewServer(opts)
	t.Cleanup(srv.Close)
	e := &env{srv: srv, key: srv.ServiceAccountKey(testEmail), log: &bytes.Buffer{}}
	srv.AddSpreadsheet(sheetID, "Finance digest", testEmail)
	return e
}

// lockedWriter makes a bytes.Buffer safe for a logger used by one writer.
type lockedWriter struct {
	mu sync.Mutex
	b  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (e *env) options(id string) sheets.Options {
	return sheets.Options{
		SpreadsheetID: id, Endpoint: e.srv.URL, CredentialsJSON: string(e.key),
		Logger:     slog.New(slog.NewTextHandler(&lockedWriter{b: e.log}, &slog.HandlerOptions{Level: slog.LevelDebug})),
		MinBackoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond, WriteInterval: -1,
		HTTPClient: &http.Client{Timeout: 5 * time.Second},
	}
}

func (e *env) writer(t testing.TB, l sheets.Layout, edit ...func(*sheets.Options)) *sheets.Writer {
	t.Helper()
	o := e.options(sheetID)
	for _, f := range edit {
		f(&o)
	}
	w, err := sheets.NewWriter(context.Background(), o, l)
	if err != nil {
		t.Fatalf("NewWriter: %v", err)
	}
	return w
}

func (e *env) tab(t *testing.T, title string) sheetstest.Tab {
	t.Helper()
	for _, tab := range e.srv.Tabs(sheetID) {
		if tab.Title == title {
			return tab
		}
	}
	t.Fatalf("no tab %q", title)
	return sheetstest.Tab{}
}

func titlesOf(tabs []sheetstest.Tab) []string {
	var out []string
	for _, t := range tabs {
		out = append(out, t.Title)
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func str(s string) sheetstest.Cell { return sheetstest.Cell{String: ptr(s)} }
func num(f float64, typ, pattern string) sheetstest.Cell {
	return sheetstest.Cell{Number: ptr(f), Type: typ, Pattern: pattern}
}
func bold(s string) sheetstest.Cell { return sheetstest.Cell{String: ptr(s), Bold: true} }

// cellOf is how a cell the writer wrote must read back.
func cellOf(c sheets.Cell) sheetstest.Cell {
	switch c.Kind {
	case sheets.Text:
		if c.Text == "" {
			return sheetstest.Cell{}
		}
		return str(c.Text)
	case sheets.Integer:
		return num(c.Number, "NUMBER", "0")
	case sheets.Money:
		return num(c.Number, "NUMBER", "#,##0.00")
	case sheets.Date:
		return num(c.Number, "DATE", "yyyy-mm-dd")
	case sheets.DateTime:
		return num(c.Number, "DATE_TIME", "yyyy-mm-dd hh:mm:ss")
	}
	panic("kind")
}

func header(names []string) []sheetstest.Cell {
	var out []sheetstest.Cell
	for _, n := range names {
		out = append(out, bold(n))
	}
	return out
}

func rowsOf(rows [][]sheets.Cell) [][]sheetstest.Cell {
	var out [][]sheetstest.Cell
	for _, r := range rows {
		var cells []sheetstest.Cell
		for _, c := range r {
			cells = append(cells, cellOf(c))
		}
		out = append(out, cells)
	}
	return out
}

// cellsCmp compares read-back cells, treating a missing trailing cell and
// an empty one alike.
var cellsCmp = cmp.Options{
	cmp.Transformer("trim", func(rows [][]sheetstest.Cell) [][]sheetstest.Cell {
		out := make([][]sheetstest.Cell, 0, len(rows))
		for _, r := range rows {
			r = append([]sheetstest.Cell(nil), r...)
			for len(r) > 0 && cmp.Equal(r[len(r)-1], sheetstest.Cell{}) {
				r = r[:len(r)-1]
			}
			out = append(out, r)
		}
		for len(out) > 0 && len(out[len(out)-1]) == 0 {
			out = out[:len(out)-1]
		}
		return out
	}),
	cmpopts.EquateEmpty(),
}

func TestWriteFreshSpreadsheet(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	w := e.writer(t, layout)
	day := makeDay("2024-06-01", 9, 0)
	if err := w.Write(t.Context(), []sheets.Day{day}); err != nil {
		t.Fatalf("Write: %v", err)
	}
	tabs := e.srv.Tabs(sheetID)
	if diff := cmp.Diff([]string{"Sheet1", "Daily", "Summary"}, titlesOf(tabs)); diff != "" {
		t.Errorf("tabs (-want +got):\n%s", diff)
	}
	daily := e.tab(t, "Daily")
	want := append([][]sheetstest.Cell{header(layout.DailyHeader)}, rowsOf(day.Daily)...)
	if diff := cmp.Diff(want, daily.Rows, cellsCmp); diff != "" {
		t.Errorf("Daily cells (-want +got):\n%s", diff)
	}
	if daily.FrozenRows != 1 || daily.RowCount != 10 || daily.ColumnCount != 7 {
		t.Errorf("Daily grid %d×%d, %d frozen; want 10×7, 1 frozen", daily.RowCount, daily.ColumnCount, daily.FrozenRows)
	}
	sum := e.tab(t, "Summary")
	want = append([][]sheetstest.Cell{header(layout.SummaryHeader)}, rowsOf(day.Summary)...)
	if diff := cmp.Diff(want, sum.Rows, cellsCmp); diff != "" {
		t.Errorf("Summary cells (-want +got):\n%s", diff)
	}
	if sum.FrozenRows != 1 || sum.RowCount != 2 || sum.ColumnCount != 6 {
		t.Errorf("Summary grid %d×%d, %d frozen; want 2×6, 1 frozen", sum.RowCount, sum.ColumnCount, sum.FrozenRows)
	}
	// Formula-, number-, boolean- and date-looking text is text.
	for i, r := range daily.Rows[1:] {
		c := r[3]
		if c.Formula != "" || c.Number != nil || c.Bool != nil {
			t.Errorf("Sub1 of row %d stored as %+v, want text", i+2, c)
		}
	}
	if got := w.Stats(); got.Writes != 1 || got.Reads > 2 || got.Retries != 0 {
		t.Errorf("Stats = %+v, want 1 write, at most 2 reads, no retries", got)
	}
}

func TestWriteRerunAndChanges(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	w := e.writer(t, layout)
	days := []sheets.Day{makeDay("2024-06-01", 3, 0), makeDay("2024-06-02", 2, 0), makeDay("2024-06-03", 4, 0)}
	if err := w.Write(t.Context(), days); err != nil {
		t.Fatal(err)
	}
	first := e.srv.Tabs(sheetID)

	// The same day again: nothing changes, in one write and two reads.
	w2 := e.writer(t, layout)
	if err := w2.Write(t.Context(), days[1:2]); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first, e.srv.Tabs(sheetID)); diff != "" {
		t.Errorf("re-running a day changed the spreadsheet (-before +after):\n%s", diff)
	}
	if got := w2.Stats(); got.Writes != 1 || got.Reads != 2 {
		t.Errorf("Stats of a re-run = %+v, want 1 write and 2 reads", got)
	}

	// The day's data changed (one more offer): exactly that day's block is replaced.
	changed := makeDay("2024-06-02", 3, 1)
	if err := w.Write(t.Context(), []sheets.Day{changed}); err != nil {
		t.Fatal(err)
	}
	want := [][]sheetstest.Cell{header(layout.DailyHeader)}
	want = append(want, rowsOf(days[0].Daily)...)
	want = append(want, rowsOf(changed.Daily)...)
	want = append(want, rowsOf(days[2].Daily)...)
	daily := e.tab(t, "Daily")
	if diff := cmp.Diff(want, daily.Rows, cellsCmp); diff != "" {
		t.Errorf("Daily after the change (-want +got):\n%s", diff)
	}
	if daily.RowCount != len(want) {
		t.Errorf("Daily rows = %d, want %d", daily.RowCount, len(want))
	}
	wantSum := [][]sheetstest.Cell{header(layout.SummaryHeader)}
	wantSum = append(wantSum, rowsOf(days[0].Summary)...)
	wantSum = append(wantSum, rowsOf(changed.Summary)...)
	wantSum = append(wantSum, rowsOf(days[2].Summary)...)
	if diff := cmp.Diff(wantSum, e.tab(t, "Summary").Rows, cellsCmp); diff != "" {
		t.Errorf("Summary after the change (-want +got):\n%s", diff)
	}

	// A day with no rows any more: its block goes, its summary row stays.
	empty := makeDay("2024-06-03", 0, 0)
	if err := w.Write(t.Context(), []sheets.Day{empty}); err != nil {
		t.Fatal(err)
	}
	want = want[:1+len(days[0].Daily)+len(changed.Daily)]
	if diff := cmp.Diff(want, e.tab(t, "Daily").Rows, cellsCmp); diff != "" {
		t.Errorf("Daily after emptying a day (-want +got):\n%s", diff)
	}
}

func TestWriteBackfillInOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	w := e.writer(t, layout)
	for _, d := range []string{"2024-06-05", "2024-06-01", "2024-06-03"} {
		if err := w.Write(t.Context(), []sheets.Day{makeDay(d, 2, 0)}); err != nil {
			t.Fatal(err)
		}
	}
	var got []float64
	for _, r := range e.tab(t, "Daily").Rows[1:] {
		got = append(got, *r[0].Number)
	}
	s := func(d string) float64 { return float64(sheets.DateSerial(date(d))) }
	want := []float64{s("2024-06-01"), s("2024-06-01"), s("2024-06-03"), s("2024-06-03"), s("2024-06-05"), s("2024-06-05")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Daily dates (-want +got):\n%s", diff)
	}
}

// userService is a client of the stand-in acting as a person editing the
// spreadsheet by hand.
func (e *env) userService(t *testing.T) *sheetsapi.Service {
	t.Helper()
	svc, err := sheetsapi.NewService(t.Context(), option.WithEndpoint(e.srv.URL+"/"),
		option.WithAuthCredentialsJSON(option.ServiceAccount, e.key))
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func TestWriteLeavesOthersAlone(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	w := e.writer(t, layout)
	days := []sheets.Day{makeDay("2024-06-01", 2, 0), makeDay("2024-06-02", 2, 0), makeDay("2024-06-03", 2, 0)}
	if err := w.Write(t.Context(), days); err != nil {
		t.Fatal(err)
	}
	// A person adds a column of comments after the digest's (H), a note
	// row, and a tab of their own.
	user := e.userService(t)
	daily := e.tab(t, "Daily")
	if _, err := user.Spreadsheets.BatchUpdate(sheetID, &sheetsapi.BatchUpdateSpreadsheetRequest{Requests: []*sheetsapi.Request{
		{UpdateSheetProperties: &sheetsapi.UpdateSheetPropertiesRequest{Fields: "gridProperties.columnCount",
			Properties: &sheetsapi.SheetProperties{SheetId: daily.SheetID, GridProperties: &sheetsapi.GridProperties{ColumnCount: 8}}}},
		{AddSheet: &sheetsapi.AddSheetRequest{Properties: &sheetsapi.SheetProperties{Title: "It's mine"}}},
	}}).Context(t.Context()).Do(); err != nil {
		t.Fatal(err)
	}
	comments := [][]any{{"Comment"}, {"ok"}, {"ok"}, {"check"}, {"check"}, {"late"}, {"late"}}
	if _, err := user.Spreadsheets.Values.Update(sheetID, "'Daily'!H1:H7", &sheetsapi.ValueRange{Values: comments}).
		ValueInputOption("RAW").Context(t.Context()).Do(); err != nil {
		t.Fatal(err)
	}
	if _, err := user.Spreadsheets.Values.Update(sheetID, "'It''s mine'!A1", &sheetsapi.ValueRange{Values: [][]any{{"=1+1", "keep"}}}).
		ValueInputOption("USER_ENTERED").Context(t.Context()).Do(); err != nil {
		t.Fatal(err)
	}
	before := e.srv.Tabs(sheetID)

	// The middle day changes: rows of the other days keep their comments,
	// the other tabs do not change at all.
	changed := makeDay("2024-06-02", 3, 1)
	if err := w.Write(t.Context(), []sheets.Day{changed}); err != nil {
		t.Fatal(err)
	}
	after := e.srv.Tabs(sheetID)
	var gotComments []string
	for _, r := range e.tab(t, "Daily").Rows {
		c := ""
		if len(r) > 7 && r[7].String != nil {
			c = *r[7].String
		}
		gotComments = append(gotComments, c)
	}
	// The changed day's first two rows were replaced in place (comments
	// kept); its third is new.
	if diff := cmp.Diff([]string{"Comment", "ok", "ok", "check", "check", "", "late", "late"}, gotComments); diff != "" {
		t.Errorf("user's column H (-want +got):\n%s", diff)
	}
	if d := e.tab(t, "Daily"); d.ColumnCount != 8 {
		t.Errorf("Daily has %d columns, want the user's 8 kept", d.ColumnCount)
	}
	for i, tab := range before {
		if tab.Title == "Daily" || tab.Title == "Summary" {
			continue
		}
		if diff := cmp.Diff(tab, after[i]); diff != "" {
			t.Errorf("tab %q changed (-before +after):\n%s", tab.Title, diff)
		}
	}
}

func TestWriteFailingBatchLeavesSheetUnchanged(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusBadRequest, http.StatusInternalServerError} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, sheetstest.Options{})
			w := e.writer(t, layout)
			if err := w.Write(t.Context(), []sheets.Day{makeDay("2024-06-01", 3, 0), makeDay("2024-06-02", 3, 0)}); err != nil {
				t.Fatal(err)
			}
			before := e.srv.Tabs(sheetID)
			e.srv.Inject(sheetstest.Fault{Op: "batchUpdate", Status: status, Times: -1})
			err := w.Write(t.Context(), []sheets.Day{makeDay("2024-06-02", 5, 1), makeDay("2024-05-30", 2, 1)})
			var serr *sheets.Error
			if !errors.As(err, &serr) || serr.StatusCode != status {
				t.Fatalf("Write error = %v, want a *sheets.Error with status %d", err, status)
			}
			if diff := cmp.Diff(before, e.srv.Tabs(sheetID)); diff != "" {
				t.Errorf("a failed write changed the spreadsheet (-before +after):\n%s", diff)
			}
		})
	}
}

func TestWriteApplyThenDrop(t *testing.T) {
	t.Parallel()
	days := []sheets.Day{makeDay("2024-06-01", 3, 0), makeDay("2024-06-02", 3, 0)}
	rerun := []sheets.Day{makeDay("2024-06-02", 4, 1), makeDay("2024-05-31", 2, 1)}

	// The reference: the same writes with no fault.
	clean := newEnv(t, sheetstest.Options{})
	for _, d := range [][]sheets.Day{days, rerun} {
		if err := clean.writer(t, layout).Write(t.Context(), d); err != nil {
			t.Fatal(err)
		}
	}

	e := newEnv(t, sheetstest.Options{})
	if err := e.writer(t, layout).Write(t.Context(), days); err != nil {
		t.Fatal(err)
	}
	// Google applies the batch, and the connection drops before the answer.
	e.srv.Inject(sheetstest.Fault{Op: "batchUpdate", ApplyThenDrop: true, Times: 1})
	w := e.writer(t, layout)
	if err := w.Write(t.Context(), rerun); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if diff := cmp.Diff(clean.srv.Tabs(sheetID), e.srv.Tabs(sheetID)); diff != "" {
		t.Errorf("after apply-then-drop and a retry (-clean run +faulty run):\n%s", diff)
	}
	if got := w.Stats(); got.Writes != 2 || got.Retries != 1 || got.Reads != 4 {
		t.Errorf("Stats = %+v, want 2 writes, 1 retry and 4 reads (the state read again)", got)
	}
	if !strings.Contains(e.log.String(), "re-reading the spreadsheet") {
		t.Errorf("the retry was not logged:\n%s", e.log)
	}
}

func TestWriteRetries(t *testing.T) {
	t.Parallel()
	body429 := `{"error":{"code":429,"message":"Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per user' of service 'sheets.googleapis.com' for consumer 'project_number:1'.","status":"RESOURCE_EXHAUSTED"}}`
	tests := []struct {
		name    string
		fault   sheetstest.Fault
		retries int64
	}{
		{"429 on the write", sheetstest.Fault{Op: "batchUpdate", Status: 429, Body: body429, Times: 2}, 2},
		{"503 on the write", sheetstest.Fault{Op: "batchUpdate", Status: 503, Times: 1}, 1},
		{"429 on the read", sheetstest.Fault{Op: "get", Status: 429, Times: 2}, 2},
		{"500 on the Date column", sheetstest.Fault{Op: "batchGet", Status: 500, Times: 1}, 1},
		{"500 from the token endpoint", sheetstest.Fault{Op: "token", Status: 500, Times: 1}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, sheetstest.Options{})
			if err := e.writer(t, layout).Write(t.Context(), []sheets.Day{makeDay("2024-06-01", 2, 0)}); err != nil {
				t.Fatal(err)
			}
			want := e.srv.Tabs(sheetID)
			e.srv.Inject(tt.fault)
			w := e.writer(t, layout)
			if err := w.Write(t.Context(), []sheets.Day{makeDay("2024-06-01", 2, 0)}); err != nil {
				t.Fatalf("Write: %v", err)
			}
			if got := w.Stats(); got.Retries != tt.retries {
				t.Errorf("Stats = %+v, want %d retries", got, tt.retries)
			}
			if diff := cmp.Diff(want, e.srv.Tabs(sheetID)); diff != "" {
				t.Errorf("spreadsheet (-want +got):\n%s", diff)
			}
			if !strings.Contains(e.log.String(), "level=WARN") || !strings.Contains(e.log.String(), "reason=") {
				t.Errorf("retry not logged at warn with a reason:\n%s", e.log)
			}
		})
	}
}

func TestWriteGivesUp(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	e.srv.Inject(sheetstest.Fault{Op: "batchUpdate", Status: 429, Times: -1})
	w := e.writer(t, layout, func(o *sheets.Options) { o.MaxAttempts = 3 })
	err := w.Write(t.Context(), []sheets.Day{makeDay("2024-06-01", 2, 0)})
	var serr *sheets.Error
	if !errors.As(err, &serr) || serr.StatusCode != 429 || serr.Attempts != 3 {
		t.Fatalf("Write error = %#v, want a 429 *sheets.Error after 3 attempts", err)
	}
	if got := w.Stats(); got.Writes != 3 || got.Retries != 2 {
		t.Errorf("Stats = %+v, want 3 writes and 2 retries", got)
	}
}

func TestWriteAccessErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	e.srv.AddSpreadsheet("not-shared", "Someone else's")
	tests := []struct {
		name   string
		id     string
		status int
		want   string
	}{
		{"not shared", "not-shared", 403, "share the spreadsheet not-shared as an Editor with " + testEmail},
		{"wrong id", "no-such-sheet", 404, `no spreadsheet with id "no-such-sheet": check SPREADSHEET_ID`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := e.writer(t, layout, func(o *sheets.Options) { o.SpreadsheetID = tt.id })
			for _, call := range []func() error{
				func() error { return w.Write(t.Context(), []sheets.Day{makeDay("2024-06-01", 1, 0)}) },
				func() error { _, err := w.Check(t.Context(), nil); return err },
			} {
				err := call()
				var serr *sheets.Error
				if !errors.As(err, &serr) || serr.StatusCode != tt.status {
					t.Fatalf("error = %v, want a *sheets.Error with status %d", err, tt.status)
				}
				if !strings.Contains(err.Error(), tt.want) {
					t.Errorf("error = %q, want it to say %q", err, tt.want)
				}
				if serr.Attempts != 1 {
					t.Errorf("%d attempts, want no retry", serr.Attempts)
				}
			}
		})
	}
}

func TestWriteTokenRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	e.srv.Inject(sheetstest.Fault{Op: "token", Status: 400, Body: `{"error":"invalid_grant","error_description":"Invalid JWT Signature."}`, Times: -1})
	w := e.writer(t, layout)
	err := w.Write(t.Context(), []sheets.Day{makeDay("2024-06-01", 1, 0)})
	if err == nil || !strings.Contains(err.Error(), "token endpoint refused the service account key") || !strings.Contains(err.Error(), "invalid_grant") {
		t.Fatalf("Write error = %v, want the token endpoint's refusal explained", err)
	}
}

func TestWriteCancelled(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	w := e.writer(t, layout)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := w.Write(ctx, []sheets.Day{makeDay("2024-06-01", 1, 0)})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Write error = %v, want context.Canceled", err)
	}
	if got := w.Stats(); got.Writes != 0 {
		t.Errorf("a write began after cancellation: %+v", got)
	}

	// Cancelled during the backoff after a 429: no further write.
	e.srv.Inject(sheetstest.Fault{Op: "batchUpdate", Status: 429, Times: -1})
	w = e.writer(t, layout, func(o *sheets.Options) { o.MinBackoff, o.MaxBackoff = time.Hour, time.Hour })
	ctx, cancel = context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- w.Write(ctx, []sheets.Day{makeDay("2024-06-01", 1, 0)}) }()
	for w.Stats().Writes == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Write error = %v, want context.Canceled", err)
	}
	if got := w.Stats(); got.Writes != 1 {
		t.Errorf("Stats = %+v, want the one write made before cancelling", got)
	}
}

func TestWriteRewrite(t *testing.T) {
	t.Parallel()
	l := layout
	l.Mode = sheets.Rewrite
	e := newEnv(t, sheetstest.Options{})
	w := e.writer(t, l)
	d1, d2 := makeDay("2024-06-02", 3, 0), makeDay("2024-06-01", 2, 0)
	if err := w.Write(t.Context(), []sheets.Day{d1, d2}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Sheet1", "Summary", "2024-06-01", "2024-06-02"}, titlesOf(e.srv.Tabs(sheetID))); diff != "" {
		t.Errorf("tabs (-want +got):\n%s", diff)
	}
	tab := e.tab(t, "2024-06-02")
	want := append([][]sheetstest.Cell{header(l.TabHeader)}, rowsOf(d1.Tab)...)
	if diff := cmp.Diff(want, tab.Rows, cellsCmp); diff != "" {
		t.Errorf("day tab (-want +got):\n%s", diff)
	}
	if tab.RowCount != 5 || tab.ColumnCount != 6 || tab.FrozenRows != 1 {
		t.Errorf("day tab grid %d×%d, %d frozen; want 5×6, 1 frozen", tab.RowCount, tab.ColumnCount, tab.FrozenRows)
	}
	// Rewritten whole when the day changes.
	d1b := makeDay("2024-06-02", 1, 1)
	if err := w.Write(t.Context(), []sheets.Day{d1b}); err != nil {
		t.Fatal(err)
	}
	tab = e.tab(t, "2024-06-02")
	want = append([][]sheetstest.Cell{header(l.TabHeader)}, rowsOf(d1b.Tab)...)
	if diff := cmp.Diff(want, tab.Rows, cellsCmp); diff != "" {
		t.Errorf("rewritten day tab (-want +got):\n%s", diff)
	}
	if tab.RowCount != 3 {
		t.Errorf("rewritten day tab has %d rows, want 3", tab.RowCount)
	}
}

func TestWriteKeepTabs(t *testing.T) {
	t.Parallel()
	l := layout
	l.Mode, l.KeepTabs = sheets.Rewrite, 3
	e := newEnv(t, sheetstest.Options{})
	w := e.writer(t, l)
	for _, d := range []string{"2024-06-01", "2024-06-02", "2024-06-03", "2024-06-04", "2024-06-05"} {
		if err := w.Write(t.Context(), []sheets.Day{makeDay(d, 1, 0)}); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff([]string{"Sheet1", "Summary", "2024-06-03", "2024-06-04", "2024-06-05"}, titlesOf(e.srv.Tabs(sheetID))); diff != "" {
		t.Errorf("tabs (-want +got):\n%s", diff)
	}
	// A backfill of an older day writes its summary but no tab.
	if err := w.Write(t.Context(), []sheets.Day{makeDay("2024-05-01", 1, 0)}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Sheet1", "Summary", "2024-06-03", "2024-06-04", "2024-06-05"}, titlesOf(e.srv.Tabs(sheetID))); diff != "" {
		t.Errorf("tabs after backfilling an old day (-want +got):\n%s", diff)
	}
	if got := len(e.tab(t, "Summary").Rows); got != 7 {
		t.Errorf("Summary has %d rows, want header and 6 dates", got)
	}
}

func TestWriteRewrite400Days(t *testing.T) {
	t.Parallel()
	l := layout
	l.Mode, l.KeepTabs = sheets.Rewrite, 0
	e := newEnv(t, sheetstest.Options{})
	w := e.writer(t, l)
	var days []sheets.Day
	for i := range 400 {
		days = append(days, makeDay(date("2023-01-01").AddDate(0, 0, i).Format(time.DateOnly), 20, 0))
	}
	if err := w.Write(t.Context(), days); err != nil {
		t.Fatalf("Write: %v", err)
	}
	var cells int
	tabs := e.srv.Tabs(sheetID)
	for _, tab := range tabs {
		cells += tab.RowCount * tab.ColumnCount
	}
	if len(tabs) != 402 || cells > sheets.CellLimit {
		t.Errorf("%d tabs, %d cells; want 402 tabs within the cell limit", len(tabs), cells)
	}
	if st := w.Stats(); st.Writes > 3 {
		t.Errorf("Stats = %+v, want a few writes", st)
	}
}

func TestWriteSplitsLargePayloads(t *testing.T) {
	t.Parallel()
	var days []sheets.Day
	for i := range 30 {
		days = append(days, makeDay(date("2024-01-01").AddDate(0, 0, i).Format(time.DateOnly), 10, 0))
	}
	one := newEnv(t, sheetstest.Options{})
	if err := one.writer(t, layout).Write(t.Context(), days); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, sheetstest.Options{})
	w := e.writer(t, layout, func(o *sheets.Options) { o.MaxBatchBytes = 40_000 })
	if err := w.Write(t.Context(), days); err != nil {
		t.Fatal(err)
	}
	st := w.Stats()
	if st.Writes < 3 || st.Reads != 1 {
		t.Errorf("Stats = %+v, want several writes and one read", st)
	}
	if limit := int64(40_000) * st.Writes; st.PayloadBytes > limit {
		t.Errorf("payload %d bytes in %d writes, more than %d each", st.PayloadBytes, st.Writes, 40_000)
	}
	if diff := cmp.Diff(one.srv.Tabs(sheetID), e.srv.Tabs(sheetID)); diff != "" {
		t.Errorf("split write differs from one batch (-one +split):\n%s", diff)
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	l := layout
	l.Mode, l.KeepTabs = sheets.Rewrite, 1
	if err := e.writer(t, l).Write(t.Context(), []sheets.Day{makeDay("2024-06-01", 1, 0)}); err != nil {
		t.Fatal(err)
	}
	before := e.srv.Tabs(sheetID)
	w := e.writer(t, l)
	rep, err := w.Check(t.Context(), []sheets.Day{{Date: date("2024-06-02")}})
	if err != nil {
		t.Fatal(err)
	}
	want := sheets.CheckReport{
		Account: testEmail, SpreadsheetID: sheetID, Title: "Finance digest",
		Tabs:  []string{"Sheet1", "Summary", "2024-06-01"},
		Write: []string{"Summary", "2024-06-02"}, Create: []string{"2024-06-02"}, Drop: []string{"2024-06-01"},
		Cells: 1000*26 + 2*6 + 3*6,
	}
	if diff := cmp.Diff(want, rep); diff != "" {
		t.Errorf("Check report (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(before, e.srv.Tabs(sheetID)); diff != "" {
		t.Errorf("Check changed the spreadsheet (-before +after):\n%s", diff)
	}
	if st := w.Stats(); st.Reads != 1 || st.Writes != 0 {
		t.Errorf("Stats = %+v, want one read and no write", st)
	}
	for _, s := range []string{testEmail, `"Finance digest"`, `a run would write: "Summary", "2024-06-02"`} {
		if !strings.Contains(rep.String(), s) {
			t.Errorf("report text lacks %q:\n%s", s, rep)
		}
	}
}

func TestWriteUsesTheKeysTokenURI(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	w := e.writer(t, layout)
	if err := w.Write(t.Context(), []sheets.Day{makeDay("2024-06-01", 1, 0)}); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(t.Context(), []sheets.Day{makeDay("2024-06-02", 1, 0)}); err != nil {
		t.Fatal(err)
	}
	st := e.srv.Stats()
	// One token for the writer's lifetime, exchanged at the key's token_uri,
	// and the server saw exactly the requests the writer counted.
	if st.Tokens != 1 || st.TokensIssued != 1 || st.Unauthenticated != 0 {
		t.Errorf("server stats %+v, want one token request", st)
	}
	ws := w.Stats()
	if st.Reads != ws.Reads || st.Writes != ws.Writes || ws.Reads != 3 || ws.Writes != 2 {
		t.Errorf("server saw %d reads and %d writes, writer counted %+v; want 3 and 2", st.Reads, st.Writes, ws)
	}

	// An expired token is replaced, and the write goes through.
	e.srv.ExpireTokens()
	w2 := e.writer(t, layout)
	if err := w2.Write(t.Context(), []sheets.Day{makeDay("2024-06-03", 1, 0)}); err != nil {
		t.Fatal(err)
	}
}

// TestNoSecretsInOutput fails every way it can and checks that no error
// and no log line, at debug level, holds the private key or a token.
func TestNoSecretsInOutput(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	e.srv.AddSpreadsheet("not-shared", "x")
	var k struct {
		PrivateKey string `json:"private_key"`
		KeyID      string `json:"private_key_id"`
	}
	if err := json.Unmarshal(e.key, &k); err != nil {
		t.Fatal(err)
	}
	secrets := []string{k.KeyID, "Bearer ", "eyJ", "access_token"}
	for _, line := range strings.Split(k.PrivateKey, "\n") {
		if len(line) > 20 && !strings.HasPrefix(line, "-----") {
			secrets = append(secrets, line[:20])
		}
	}
	var out []string
	run := func(edit func(*sheets.Options), faults ...sheetstest.Fault) {
		for _, f := range faults {
			e.srv.Inject(f)
		}
		o := e.options(sheetID)
		o.MaxAttempts = 2
		if edit != nil {
			edit(&o)
		}
		w, err := sheets.NewWriter(t.Context(), o, layout)
		if err != nil {
			out = append(out, err.Error())
			return
		}
		if err := w.Write(t.Context(), []sheets.Day{makeDay("2024-06-01", 2, 0)}); err != nil {
			out = append(out, err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err))
		}
		e.srv.ClearFaults()
	}
	run(nil, sheetstest.Fault{Op: "token", Status: 400, Times: -1})
	run(nil, sheetstest.Fault{Op: "token", Status: 401, Body: `{"error":"invalid_client","error_description":"bad"}`, Times: -1})
	run(nil, sheetstest.Fault{Op: "token", Reset: true, Times: -1})
	run(nil, sheetstest.Fault{Op: "batchUpdate", Status: 429, Times: -1})
	run(nil, sheetstest.Fault{Op: "batchUpdate", Status: 502, Times: -1})
	run(nil, sheetstest.Fault{Op: "get", Reset: true, Times: -1})
	run(nil, sheetstest.Fault{Op: "batchUpdate", ApplyThenDrop: true, Times: -1})
	run(func(o *sheets.Options) { o.SpreadsheetID = "not-shared" })
	run(func(o *sheets.Options) { o.SpreadsheetID = "missing" })
	run(func(o *sheets.Options) { o.CredentialsJSON = strings.Replace(string(e.key), "MII", "M!I", 1) })
	run(func(o *sheets.Options) { o.CredentialsJSON = string(e.key[:len(e.key)-3]) + "x}" })
	run(func(o *sheets.Options) { o.CredentialsJSON = string(e.key[:len(e.key)/2]) })
	if len(out) < 10 {
		t.Fatalf("only %d errors collected", len(out))
	}
	all := strings.Join(out, "\n") + "\n" + e.log.String()
	for _, s := range secrets {
		if strings.Contains(all, s) {
			t.Errorf("output holds %q:\n%s", s, all)
		}
	}
}

// TestApplicationDefaultCredentials finds the key where gcloud keeps it.
// Not parallel: it sets HOME for the whole process.
func TestApplicationDefaultCredentials(t *testing.T) {
	e := newEnv(t, sheetstest.Options{})
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", "")
	dir := filepath.Join(home, ".config", "gcloud")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "application_default_credentials.json"), e.key, 0o600); err != nil {
		t.Fatal(err)
	}
	o := e.options(sheetID)
	o.CredentialsJSON = ""
	w, err := sheets.NewWriter(t.Context(), o, layout)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(t.Context(), []sheets.Day{makeDay("2024-06-01", 1, 0)}); err != nil {
		t.Fatalf("Write with ADC: %v", err)
	}
	rep, err := w.Check(t.Context(), nil)
	if err != nil || rep.Account != testEmail {
		t.Errorf("Check = %+v, %v; want the key's email", rep, err)
	}
}

func TestWriteQuotedTitles(t *testing.T) {
	t.Parallel()
	l := layout
	l.DailyTab, l.SummaryTab = "It's daily", "Sum: by day!A1"
	e := newEnv(t, sheetstest.Options{})
	w := e.writer(t, l)
	for range 2 { // the second run reads the Date columns through quoted ranges
		if err := w.Write(t.Context(), []sheets.Day{makeDay("2024-06-01", 2, 0)}); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(e.tab(t, "It's daily").Rows); got != 3 {
		t.Errorf("%q has %d rows, want 3", "It's daily", got)
	}
	if got := len(e.tab(t, "Sum: by day!A1").Rows); got != 2 {
		t.Errorf("summary tab has %d rows, want 2", got)
	}
}

func TestWriteCellLimit(t *testing.T) {
	t.Parallel()
	l := layout
	l.Mode = sheets.Rewrite
	e := newEnv(t, sheetstest.Options{})
	e.srv.AddSheet(sheetID, "Archive", 9_973_000/26, 26) // with Sheet1's 26,000, 1,000 cells left
	before := e.srv.Tabs(sheetID)
	w := e.writer(t, l)
	err := w.Write(t.Context(), []sheets.Day{makeDay("2024-06-01", 200, 0)})
	if !errors.Is(err, sheets.ErrCellLimit) || !strings.Contains(err.Error(), "DIGEST_KEEP_TABS") {
		t.Fatalf("Write error = %v, want ErrCellLimit saying what to do", err)
	}
	if st := w.Stats(); st.Writes != 0 {
		t.Errorf("Stats = %+v: a batch past the limit was sent", st)
	}
	if diff := cmp.Diff(before, e.srv.Tabs(sheetID)); diff != "" {
		t.Errorf("spreadsheet changed (-before +after):\n%s", diff)
	}

	// Rotation frees room: the old day tab goes before the new one comes.
	l.KeepTabs = 1
	e2 := newEnv(t, sheetstest.Options{})
	e2.srv.AddSheet(sheetID, "Archive", 383_211, 26) // 514 cells left: the new tab fits only once the old one is gone
	e2.srv.AddSheet(sheetID, "2024-05-01", 500, 20)  // 10,000 cells
	w2 := e2.writer(t, l)
	if err := w2.Write(t.Context(), []sheets.Day{makeDay("2024-06-01", 200, 0)}); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if diff := cmp.Diff([]string{"Sheet1", "Archive", "Summary", "2024-06-01"}, titlesOf(e2.srv.Tabs(sheetID))); diff != "" {
		t.Errorf("tabs (-want +got):\n%s", diff)
	}
	if n := e2.srv.CellCount(sheetID); n > sheets.CellLimit {
		t.Errorf("%d cells", n)
	}
}

// TestWriteClearsStaleFormats: formats someone put on the digest's cells
// of a date's rows do not survive a re-run of that date (the cells read
// back as a fresh write makes them), while formats in a column of their own
// (with comments in it) and on other dates' rows stay.
func TestWriteClearsStaleFormats(t *testing.T) {
	t.Parallel()
	days := []sheets.Day{makeDay("2024-06-01", 3, 0), makeDay("2024-06-02", 3, 0)}
	clean := newEnv(t, sheetstest.Options{})
	if err := clean.writer(t, layout).Write(t.Context(), days); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, sheetstest.Options{})
	if err := e.writer(t, layout).Write(t.Context(), days); err != nil {
		t.Fatal(err)
	}
	daily := e.tab(t, "Daily")
	user := e.userService(t)
	stale := &sheetsapi.CellData{UserEnteredFormat: &sheetsapi.CellFormat{
		NumberFormat: &sheetsapi.NumberFormat{Type: "NUMBER", Pattern: "0.0"}, TextFormat: &sheetsapi.TextFormat{Bold: true}}}
	rng := func(r0, r1, c0, c1 int64) *sheetsapi.GridRange {
		return &sheetsapi.GridRange{SheetId: daily.SheetID, StartRowIndex: r0, EndRowIndex: r1, StartColumnIndex: c0, EndColumnIndex: c1}
	}
	if _, err := user.Spreadsheets.BatchUpdate(sheetID, &sheetsapi.BatchUpdateSpreadsheetRequest{Requests: []*sheetsapi.Request{
		{UpdateSheetProperties: &sheetsapi.UpdateSheetPropertiesRequest{Fields: "gridProperties.columnCount",
			Properties: &sheetsapi.SheetProperties{SheetId: daily.SheetID, GridProperties: &sheetsapi.GridProperties{ColumnCount: 8}}}},
		// Every cell of the rows of 2024-06-02, the user's column H included.
		{RepeatCell: &sheetsapi.RepeatCellRequest{Range: rng(4, 7, 0, 8), Cell: stale, Fields: "userEnteredFormat"}},
		// One row of 2024-06-01.
		{RepeatCell: &sheetsapi.RepeatCellRequest{Range: rng(1, 2, 0, 7), Cell: stale, Fields: "userEnteredFormat"}},
	}}).Context(t.Context()).Do(); err != nil {
		t.Fatal(err)
	}
	if _, err := user.Spreadsheets.Values.Update(sheetID, "'Daily'!H5", &sheetsapi.ValueRange{Values: [][]any{{"c"}, {"c"}, {"c"}}}).
		ValueInputOption("RAW").Context(t.Context()).Do(); err != nil {
		t.Fatal(err)
	}
	if err := e.writer(t, layout).Write(t.Context(), days[1:]); err != nil {
		t.Fatal(err)
	}
	got, want := e.tab(t, "Daily").Rows, clean.tab(t, "Daily").Rows
	staleCell := func(c sheetstest.Cell) sheetstest.Cell {
		c.Type, c.Pattern, c.Bold = "NUMBER", "0.0", true
		return c
	}
	// 2024-06-01 was not written: its stale formats stay.
	for c := range 7 {
		want[1][c] = staleCell(want[1][c])
	}
	for r := 4; r < 7; r++ {
		want[r] = append(want[r], staleCell(str("c")))
	}
	if diff := cmp.Diff(want, got, cellsCmp); diff != "" {
		t.Errorf("Daily after re-running 2024-06-02 (-want +got):\n%s", diff)
	}
}

// TestWriteSpillsWhenTheEstimateIsShort: dates written between existing
// ones each need format ranges of their own, which the size estimate of a
// date does not count; a batch found too large once planned sends the dates
// that fit and moves the others, whole, to the next batch. Over a range of
// limits, some of which must make a batch spill: every batch stays within
// its limit and the spreadsheet ends as one unlimited write leaves it.
func TestWriteSpillsWhenTheEstimateIsShort(t *testing.T) {
	t.Parallel()
	var even, odd []sheets.Day
	for i := range 30 {
		d := makeDay(date("2024-01-01").AddDate(0, 0, i).Format(time.DateOnly), 10, 0)
		if i%2 == 0 {
			even = append(even, d)
		} else {
			odd = append(odd, d)
		}
	}
	one := newEnv(t, sheetstest.Options{})
	for _, days := range [][]sheets.Day{even, odd} {
		if err := one.writer(t, layout).Write(t.Context(), days); err != nil {
			t.Fatal(err)
		}
	}
	want := one.srv.Tabs(sheetID)
	spilled := 0
	for limit := 24_000; limit <= 48_000; limit += 2_000 {
		e := newEnv(t, sheetstest.Options{})
		if err := e.writer(t, layout).Write(t.Context(), even); err != nil {
			t.Fatal(err)
		}
		e.log.Reset()
		w := e.writer(t, layout, func(o *sheets.Options) { o.MaxBatchBytes = limit })
		if err := w.Write(t.Context(), odd); err != nil {
			t.Fatalf("limit %d: %v", limit, err)
		}
		if strings.Contains(e.log.String(), "moving dates to the next batch") {
			spilled++
		}
		var sizes []int
		for _, line := range strings.Split(e.log.String(), "\n") {
			if !strings.Contains(line, "sheets batch written") {
				continue
			}
			_, after, _ := strings.Cut(line, " bytes=")
			n, err := strconv.Atoi(strings.Fields(after)[0])
			if err != nil {
				t.Fatalf("log line without its size: %s", line)
			}
			sizes = append(sizes, n)
		}
		st := w.Stats()
		if len(sizes) != int(st.Writes) || st.Reads != 2 {
			t.Errorf("limit %d: Stats = %+v, logged batches %v; want one per write, and the spreadsheet read once", limit, st, sizes)
		}
		total := 0
		for _, n := range sizes {
			total += n
			if n > limit {
				t.Errorf("limit %d: a batch of %d bytes", limit, n)
			}
		}
		if int64(total) != st.PayloadBytes {
			t.Errorf("limit %d: logged batches hold %d bytes, Stats %d", limit, total, st.PayloadBytes)
		}
		if diff := cmp.Diff(want, e.srv.Tabs(sheetID)); diff != "" {
			t.Errorf("limit %d: spilled writes differ from one batch (-one +spilled):\n%s", limit, diff)
		}
	}
	if spilled == 0 {
		t.Errorf("no batch was over its estimate at any limit: the test no longer tests the spill")
	}
}
