package sheets

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	sheetsapi "google.golang.org/api/sheets/v4"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// The planner is tested by applying its requests to a small grid model that
// follows Google's documented rules (applyBatch below), then looking at the
// grid: the tests do not trust the planner's own idea of the result.

// grid is one tab of the test model: cells as short strings, "" for empty.
type grid struct {
	id                 int64
	title              string
	rows, cols, frozen int
	cells              [][]string // rows × cols
}

type book struct{ tabs []*grid }

func (b *book) tab(id int64) (*grid, int) {
	for i, t := range b.tabs {
		if t.id == id {
			return t, i
		}
	}
	return nil, -1
}

func (b *book) byTitle(title string) *grid {
	for _, t := range b.tabs {
		if t.title == title {
			return t
		}
	}
	return nil
}

func (b *book) cells() int64 {
	var n int64
	for _, t := range b.tabs {
		n += int64(t.rows) * int64(t.cols)
	}
	return n
}

func (b *book) clone() *book {
	c := &book{}
	for _, t := range b.tabs {
		g := *t
		g.cells = make([][]string, len(t.cells))
		for i := range t.cells {
			g.cells[i] = slices.Clone(t.cells[i])
		}
		c.tabs = append(c.tabs, &g)
	}
	return c
}

func newGrid(id int64, title string, rows, cols, frozen int) *grid {
	g := &grid{id: id, title: title, rows: rows, cols: cols, frozen: frozen, cells: make([][]string, rows)}
	for i := range g.cells {
		g.cells[i] = make([]string, cols)
	}
	return g
}

// cellText renders a CellData as the test model stores it: its value, then
// its format after a "|".
func cellText(c *sheetsapi.CellData) string {
	var s string
	if c == nil {
		return ""
	}
	if v := c.UserEnteredValue; v != nil {
		switch {
		case v.StringValue != nil:
			s = "s:" + *v.StringValue
		case v.NumberValue != nil:
			s = "n:" + strconv.FormatFloat(*v.NumberValue, 'f', -1, 64)
		case v.FormulaValue != nil:
			s = "f:" + *v.FormulaValue
		}
	}
	if f := c.UserEnteredFormat; f != nil {
		if f.NumberFormat != nil {
			s += "|" + f.NumberFormat.Type + " " + f.NumberFormat.Pattern
		}
		if f.TextFormat != nil && f.TextFormat.Bold {
			s += "|bold"
		}
	}
	return s
}

// maskCell returns the model cell old once c is written over it with the
// field mask fields: the value, the format, or both, replaced.
func maskCell(old string, c *sheetsapi.CellData, fields string) (string, error) {
	oldValue, oldFormat := splitCell(old)
	value, format := splitCell(cellText(c))
	switch fields {
	case cellFields:
		return value + format, nil
	case valueFields:
		return value + oldFormat, nil
	case formatFields:
		return oldValue + format, nil
	}
	return "", fmt.Errorf("unexpected field mask %q", fields)
}

func splitCell(s string) (value, format string) {
	if i := strings.Index(s, "|"); i >= 0 {
		return s[:i], s[i:]
	}
	return s, ""
}

// applyBatch applies requests as Google documents them, all or nothing,
// checking the cell limit after each request. It returns the most cells
// the book held at any step.
func applyBatch(b0 *book, reqs []*sheetsapi.Request) (*book, int64, error) {
	b := b0.clone()
	peak := b.cells()
	for i, r := range reqs {
		if err := applyOne(b, r); err != nil {
			return b0, 0, fmt.Errorf("requests[%d]: %w", i, err)
		}
		if n := b.cells(); n > CellLimit {
			return b0, 0, fmt.Errorf("requests[%d]: over the cell limit (%d)", i, n)
		} else {
			peak = max(peak, n)
		}
	}
	return b, peak, nil
}

func applyOne(b *book, r *sheetsapi.Request) error {
	switch {
	case r.AddSheet != nil:
		p := r.AddSheet.Properties
		for _, t := range b.tabs {
			if t.id == p.SheetId || strings.EqualFold(t.title, p.Title) {
				return fmt.Errorf("addSheet: id or title %q in use", p.Title)
			}
		}
		g := newGrid(p.SheetId, p.Title, 1000, 26, 0)
		if gp := p.GridProperties; gp != nil {
			g = newGrid(p.SheetId, p.Title, int(gp.RowCount), int(gp.ColumnCount), int(gp.FrozenRowCount))
		}
		if g.frozen >= g.rows {
			return errors.New("addSheet: can't freeze all rows")
		}
		if slices.Contains(p.ForceSendFields, "Index") || p.Index > 0 {
			if int(p.Index) > len(b.tabs) {
				return errors.New("addSheet: index out of range")
			}
			b.tabs = slices.Insert(b.tabs, int(p.Index), g)
		} else {
			b.tabs = append(b.tabs, g)
		}
	case r.DeleteSheet != nil:
		_, i := b.tab(r.DeleteSheet.SheetId)
		if i < 0 {
			return errors.New("deleteSheet: no such sheet")
		}
		if len(b.tabs) == 1 {
			return errors.New("deleteSheet: You can't remove all the sheets in a document.")
		}
		b.tabs = slices.Delete(b.tabs, i, i+1)
	case r.UpdateSheetProperties != nil:
		p := r.UpdateSheetProperties.Properties
		t, _ := b.tab(p.SheetId)
		if t == nil {
			return errors.New("updateSheetProperties: no such sheet")
		}
		for _, f := range strings.Split(r.UpdateSheetProperties.Fields, ",") {
			switch f {
			case "gridProperties.rowCount":
				n := int(p.GridProperties.RowCount)
				if n < 1 {
					return errors.New("rowCount < 1")
				}
				for len(t.cells) < n {
					t.cells = append(t.cells, make([]string, t.cols))
				}
				t.cells, t.rows = t.cells[:n], n
			case "gridProperties.columnCount":
				n := int(p.GridProperties.ColumnCount)
				if n < 1 {
					return errors.New("columnCount < 1")
				}
				for i := range t.cells {
					for len(t.cells[i]) < n {
						t.cells[i] = append(t.cells[i], "")
					}
					t.cells[i] = t.cells[i][:n]
				}
				t.cols = n
			case "gridProperties.frozenRowCount":
				t.frozen = int(p.GridProperties.FrozenRowCount)
			default:
				return fmt.Errorf("updateSheetProperties: unexpected field %q", f)
			}
		}
		if t.frozen >= t.rows {
			return errors.New("You can't freeze all visible rows on the sheet.")
		}
	case r.DeleteDimension != nil:
		d := r.DeleteDimension.Range
		t, _ := b.tab(d.SheetId)
		if t == nil || d.Dimension != "ROWS" || d.StartIndex < 0 || d.EndIndex > int64(t.rows) || d.StartIndex >= d.EndIndex {
			return fmt.Errorf("deleteDimension: bad range %+v", d)
		}
		if t.rows-int(d.EndIndex-d.StartIndex) <= t.frozen {
			return errors.New("Sorry, it is not possible to delete all non-frozen rows.")
		}
		t.cells = slices.Delete(t.cells, int(d.StartIndex), int(d.EndIndex))
		t.rows = len(t.cells)
	case r.InsertDimension != nil:
		d := r.InsertDimension.Range
		t, _ := b.tab(d.SheetId)
		if t == nil || d.Dimension != "ROWS" || d.StartIndex < 0 || d.StartIndex >= int64(t.rows) || d.StartIndex >= d.EndIndex {
			return fmt.Errorf("insertDimension: bad range %+v", d)
		}
		if r.InsertDimension.InheritFromBefore && d.StartIndex == 0 {
			return errors.New("insertDimension: inheritFromBefore at row 0")
		}
		add := make([][]string, d.EndIndex-d.StartIndex)
		for i := range add {
			add[i] = make([]string, t.cols)
		}
		t.cells = slices.Insert(t.cells, int(d.StartIndex), add...)
		t.rows = len(t.cells)
	case r.AppendDimension != nil:
		a := r.AppendDimension
		t, _ := b.tab(a.SheetId)
		if t == nil || a.Dimension != "ROWS" || a.Length < 1 {
			return fmt.Errorf("appendDimension: bad %+v", a)
		}
		for range a.Length {
			t.cells = append(t.cells, make([]string, t.cols))
		}
		t.rows = len(t.cells)
	case r.UpdateCells != nil:
		u := r.UpdateCells
		if u.Fields != cellFields && u.Fields != valueFields {
			return fmt.Errorf("updateCells: fields %q", u.Fields)
		}
		g := u.Range
		t, _ := b.tab(g.SheetId)
		if t == nil || g.EndRowIndex > int64(t.rows) || g.EndColumnIndex > int64(t.cols) {
			return fmt.Errorf("updateCells: range %+v exceeds grid limits", g)
		}
		for ri := g.StartRowIndex; ri < g.EndRowIndex; ri++ {
			for ci := g.StartColumnIndex; ci < g.EndColumnIndex; ci++ {
				var v *sheetsapi.CellData // not covered by the rows: cleared
				if k := int(ri - g.StartRowIndex); k < len(u.Rows) {
					if c := int(ci - g.StartColumnIndex); c < len(u.Rows[k].Values) {
						v = u.Rows[k].Values[c]
					}
				}
				var err error
				if t.cells[ri][ci], err = maskCell(t.cells[ri][ci], v, u.Fields); err != nil {
					return err
				}
			}
		}
	case r.RepeatCell != nil:
		rc := r.RepeatCell
		if rc.Fields != formatFields || rc.Cell == nil {
			return fmt.Errorf("repeatCell: fields %q, cell %v", rc.Fields, rc.Cell)
		}
		g := rc.Range
		t, _ := b.tab(g.SheetId)
		if t == nil || g.EndRowIndex > int64(t.rows) || g.EndColumnIndex > int64(t.cols) ||
			g.StartRowIndex >= g.EndRowIndex || g.StartColumnIndex >= g.EndColumnIndex {
			return fmt.Errorf("repeatCell: range %+v is not a bounded range within the grid", g)
		}
		for ri := g.StartRowIndex; ri < g.EndRowIndex; ri++ {
			for ci := g.StartColumnIndex; ci < g.EndColumnIndex; ci++ {
				var err error
				if t.cells[ri][ci], err = maskCell(t.cells[ri][ci], rc.Cell, rc.Fields); err != nil {
					return err
				}
			}
		}
	default:
		return errors.New("unexpected request")
	}
	return nil
}

// stateOf reads a book the way the writer reads a spreadsheet.
func stateOf(b *book, l Layout) *state {
	st := &state{Keys: map[string][]key{}}
	for _, t := range b.tabs {
		st.Tabs = append(st.Tabs, tab{ID: t.id, Title: t.title, Rows: t.rows, Cols: t.cols, Frozen: t.frozen, Grid: true})
	}
	for _, title := range blockTitles(l) {
		i := st.find(title)
		if i < 0 {
			continue
		}
		t := b.tabs[i]
		keys := make([]key, t.rows)
		for i, row := range t.cells {
			keys[i] = keyOf(valueOf(row[0]))
		}
		st.Keys[t.title] = keys
	}
	return st
}

// valueOf turns a model cell back into what values.batchGet returns.
func valueOf(s string) any {
	v, _, _ := strings.Cut(s, "|")
	switch {
	case strings.HasPrefix(v, "n:"):
		f, _ := strconv.ParseFloat(v[2:], 64)
		return f
	case strings.HasPrefix(v, "s:"):
		return v[2:]
	}
	return nil
}

var testLayout = Layout{
	Mode: Append, DailyTab: "Daily", SummaryTab: "Summary",
	DailyHeader:   []string{"Date", "Offer", "Revenue"},
	SummaryHeader: []string{"Date", "Revenue"},
	TabHeader:     []string{"Offer", "Revenue"},
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// testDay makes a day with n Daily rows, one Summary row and n Tab rows.
func testDay(date string, n int, tag string) Day {
	d := Day{Date: day(date)}
	for i := range n {
		rev := float64(n-i) + 0.5
		d.Daily = append(d.Daily, []Cell{DateCell(d.Date), TextCell(fmt.Sprintf("%s%d", tag, i)), MoneyCell(rev)})
		d.Tab = append(d.Tab, []Cell{TextCell(fmt.Sprintf("%s%d", tag, i)), MoneyCell(rev)})
	}
	d.Summary = [][]Cell{{DateCell(d.Date), MoneyCell(float64(n))}}
	return d
}

func testWriter(l Layout) *Writer {
	return &Writer{layout: l, maxBatchBytes: DefaultMaxBatchBytes, scrub: &scrubber{}}
}

// writeAll plans and applies every batch of days over b, as Write does
// without a server, checking the planner's model against the result.
func writeAll(t *testing.T, b *book, l Layout, days ...Day) (*book, int) {
	t.Helper()
	w := testWriter(l)
	r, err := w.prepare(days)
	if err != nil {
		t.Fatalf("prepare: %v", err)
	}
	st := stateOf(b, l)
	n := 0
	for _, g := range groupDays(r.days, w.maxBatchBytes) {
		bt, err := planBatch(st, r, g)
		if err != nil {
			t.Fatalf("planBatch: %v", err)
		}
		var peak int64
		b, peak, err = applyBatch(b, bt.reqs)
		if err != nil {
			t.Fatalf("apply batch %d: %v", n, err)
		}
		if body, _ := json.Marshal(&sheetsapi.BatchUpdateSpreadsheetRequest{Requests: bt.reqs}); len(body) != bt.size {
			t.Errorf("batch %d: planner's size %d bytes, encoded %d", n, bt.size, len(body))
		}
		if peak != bt.peak {
			t.Errorf("batch %d: planner's peak %d cells, applied peak %d", n, bt.peak, peak)
		}
		if diff := cmp.Diff(stateOf(b, l), bt.next, cmp.AllowUnexported(state{}, tab{}, key{})); diff != "" {
			t.Fatalf("batch %d: planner's model differs from the applied batch (-applied +model):\n%s", n, diff)
		}
		st = bt.next
		n++
	}
	return b, n
}

// column renders column c of a tab, row by row, for compact comparisons.
func column(g *grid, c int) []string {
	var out []string
	for _, row := range g.cells {
		out = append(out, row[c])
	}
	return out
}

const (
	dateFmt  = "|DATE yyyy-mm-dd"
	moneyFmt = "|NUMBER #,##0.00"
)

func dcell(date string) string { return fmt.Sprintf("n:%d%s", DateSerial(day(date)), dateFmt) }

func freshBook() *book { return &book{tabs: []*grid{newGrid(0, "Sheet1", 1000, 26, 0)}} }

func TestPlanFreshSpreadsheet(t *testing.T) {
	t.Parallel()
	b, n := writeAll(t, freshBook(), testLayout, testDay("2024-06-02", 2, "b"), testDay("2024-06-01", 1, "a"))
	if n != 1 {
		t.Errorf("batches = %d, want 1", n)
	}
	daily := b.byTitle("Daily")
	want := [][]string{
		{"s:Date|bold", "s:Offer|bold", "s:Revenue|bold"},
		{dcell("2024-06-01"), "s:a0", "n:1.5" + moneyFmt},
		{dcell("2024-06-02"), "s:b0", "n:2.5" + moneyFmt},
		{dcell("2024-06-02"), "s:b1", "n:1.5" + moneyFmt},
	}
	if diff := cmp.Diff(want, daily.cells); diff != "" {
		t.Errorf("Daily (-want +got):\n%s", diff)
	}
	if daily.rows != 4 || daily.cols != 3 || daily.frozen != 1 {
		t.Errorf("Daily grid = %d×%d frozen %d, want 4×3 frozen 1", daily.rows, daily.cols, daily.frozen)
	}
	sum := b.byTitle("Summary")
	if diff := cmp.Diff([]string{"s:Date|bold", dcell("2024-06-01"), dcell("2024-06-02")}, column(sum, 0)); diff != "" {
		t.Errorf("Summary dates (-want +got):\n%s", diff)
	}
	if got := b.byTitle("Sheet1"); got == nil || got.rows != 1000 {
		t.Errorf("Sheet1 changed: %+v", got)
	}
}

func TestPlanGolden(t *testing.T) {
	t.Parallel()
	w := testWriter(testLayout)
	d := testDay("2024-06-01", 2, "offer")
	d.Daily[1][1] = TextCell("=HYPERLINK(\"x\")")
	d.Daily[0] = append(d.Daily[0], TextCell("")) // shorter rows are padded
	r, err := w.prepare([]Day{d})
	if err != nil {
		t.Fatal(err)
	}
	bt, err := planBatch(stateOf(freshBook(), testLayout), r, r.days)
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(&sheetsapi.BatchUpdateSpreadsheetRequest{Requests: bt.reqs}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "fresh_batch.json")
	if *update {
		if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)+"\n"); diff != "" {
		t.Errorf("batch for a fresh spreadsheet (-want +got):\n%s", diff)
	}
}

func TestPlanRerunChangesNothing(t *testing.T) {
	t.Parallel()
	days := []Day{testDay("2024-06-01", 3, "a"), testDay("2024-06-02", 2, "b")}
	b1, _ := writeAll(t, freshBook(), testLayout, days...)
	b2, _ := writeAll(t, b1, testLayout, days...)
	if diff := cmp.Diff(b1, b2, cmp.AllowUnexported(book{}, grid{})); diff != "" {
		t.Errorf("second run changed the spreadsheet (-first +second):\n%s", diff)
	}
	// And the rerun of one day plans no structural change at all.
	w := testWriter(testLayout)
	r, _ := w.prepare(days[:1])
	bt, err := planBatch(stateOf(b1, testLayout), r, r.days)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range bt.reqs {
		if q.UpdateCells == nil && q.RepeatCell == nil {
			j, _ := json.Marshal(q)
			t.Errorf("rerun plans %s", j)
		}
	}
}

// userBook is a spreadsheet a user has touched: notes in column A, a
// column of their own, rows of several dates, and an extra tab.
func userBook(t *testing.T) *book {
	b, _ := writeAll(t, freshBook(), testLayout,
		testDay("2024-06-01", 2, "a"), testDay("2024-06-03", 2, "c"), testDay("2024-06-05", 1, "e"))
	daily := b.byTitle("Daily")
	// A user column E beside the digest, filled on every row.
	applyOrFail(t, b, &sheetsapi.Request{UpdateSheetProperties: &sheetsapi.UpdateSheetPropertiesRequest{
		Properties: &sheetsapi.SheetProperties{SheetId: daily.id, GridProperties: &sheetsapi.GridProperties{ColumnCount: 5}},
		Fields:     "gridProperties.columnCount"}})
	for i := range daily.cells {
		daily.cells[i][4] = fmt.Sprintf("s:note%d", i)
	}
	// A note row (text in column A) between the blocks of 06-03 and 06-05.
	applyOrFail(t, b, &sheetsapi.Request{InsertDimension: &sheetsapi.InsertDimensionRequest{
		Range: &sheetsapi.DimensionRange{SheetId: daily.id, Dimension: "ROWS", StartIndex: 5, EndIndex: 6}, InheritFromBefore: true}})
	daily.cells[5][0] = "s:checked by finance"
	b.tabs = append(b.tabs, newGrid(99, "Notes", 10, 3, 0))
	b.tabs[len(b.tabs)-1].cells[0][0] = "s:keep me"
	return b
}

func applyOrFail(t *testing.T, b *book, r *sheetsapi.Request) {
	t.Helper()
	if err := applyOne(b, r); err != nil {
		t.Fatal(err)
	}
}

func TestPlanBlocks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		days    []Day
		col0    []string // column A of Daily
		offers  []string // column B of Daily
		user    []string // column E of Daily (the user's)
		summary []string // column A of Summary
	}{{
		name:   "rerun of a day with the same rows",
		days:   []Day{testDay("2024-06-03", 2, "c")},
		col0:   []string{"s:Date|bold", dcell("2024-06-01"), dcell("2024-06-01"), dcell("2024-06-03"), dcell("2024-06-03"), "s:checked by finance", dcell("2024-06-05")},
		offers: []string{"s:Offer|bold", "s:a0", "s:a1", "s:c0", "s:c1", "", "s:e0"},
		user:   []string{"s:note0", "s:note1", "s:note2", "s:note3", "s:note4", "", "s:note5"},
	}, {
		name:   "changed day grows in place",
		days:   []Day{testDay("2024-06-03", 4, "C")},
		col0:   []string{"s:Date|bold", dcell("2024-06-01"), dcell("2024-06-01"), dcell("2024-06-03"), dcell("2024-06-03"), dcell("2024-06-03"), dcell("2024-06-03"), "s:checked by finance", dcell("2024-06-05")},
		offers: []string{"s:Offer|bold", "s:a0", "s:a1", "s:C0", "s:C1", "s:C2", "s:C3", "", "s:e0"},
		user:   []string{"s:note0", "s:note1", "s:note2", "s:note3", "s:note4", "", "", "", "s:note5"},
	}, {
		name:   "changed day shrinks in place",
		days:   []Day{testDay("2024-06-01", 1, "A")},
		col0:   []string{"s:Date|bold", dcell("2024-06-01"), dcell("2024-06-03"), dcell("2024-06-03"), "s:checked by finance", dcell("2024-06-05")},
		offers: []string{"s:Offer|bold", "s:A0", "s:c0", "s:c1", "", "s:e0"},
		user:   []string{"s:note0", "s:note1", "s:note3", "s:note4", "", "s:note5"},
	}, {
		name:   "backfilled older day goes first",
		days:   []Day{testDay("2024-05-30", 1, "z")},
		col0:   []string{"s:Date|bold", dcell("2024-05-30"), dcell("2024-06-01"), dcell("2024-06-01"), dcell("2024-06-03"), dcell("2024-06-03"), "s:checked by finance", dcell("2024-06-05")},
		offers: []string{"s:Offer|bold", "s:z0", "s:a0", "s:a1", "s:c0", "s:c1", "", "s:e0"},
		user:   []string{"s:note0", "", "s:note1", "s:note2", "s:note3", "s:note4", "", "s:note5"},
	}, {
		name:   "day between two blocks",
		days:   []Day{testDay("2024-06-04", 1, "d")},
		col0:   []string{"s:Date|bold", dcell("2024-06-01"), dcell("2024-06-01"), dcell("2024-06-03"), dcell("2024-06-03"), "s:checked by finance", dcell("2024-06-04"), dcell("2024-06-05")},
		offers: []string{"s:Offer|bold", "s:a0", "s:a1", "s:c0", "s:c1", "", "s:d0", "s:e0"},
		user:   []string{"s:note0", "s:note1", "s:note2", "s:note3", "s:note4", "", "", "s:note5"},
	}, {
		name:   "new last day",
		days:   []Day{testDay("2024-06-09", 1, "i")},
		col0:   []string{"s:Date|bold", dcell("2024-06-01"), dcell("2024-06-01"), dcell("2024-06-03"), dcell("2024-06-03"), "s:checked by finance", dcell("2024-06-05"), dcell("2024-06-09")},
		offers: []string{"s:Offer|bold", "s:a0", "s:a1", "s:c0", "s:c1", "", "s:e0", "s:i0"},
		user:   []string{"s:note0", "s:note1", "s:note2", "s:note3", "s:note4", "", "s:note5", ""},
	}, {
		name:   "day without rows loses its block",
		days:   []Day{testDay("2024-06-03", 0, "c")},
		col0:   []string{"s:Date|bold", dcell("2024-06-01"), dcell("2024-06-01"), "s:checked by finance", dcell("2024-06-05")},
		offers: []string{"s:Offer|bold", "s:a0", "s:a1", "", "s:e0"},
		user:   []string{"s:note0", "s:note1", "s:note2", "", "s:note5"},
	}, {
		name:    "several days at once",
		days:    []Day{testDay("2024-06-05", 0, "e"), testDay("2024-05-01", 1, "x"), testDay("2024-06-02", 1, "b")},
		col0:    []string{"s:Date|bold", dcell("2024-05-01"), dcell("2024-06-01"), dcell("2024-06-01"), dcell("2024-06-02"), dcell("2024-06-03"), dcell("2024-06-03"), "s:checked by finance"},
		offers:  []string{"s:Offer|bold", "s:x0", "s:a0", "s:a1", "s:b0", "s:c0", "s:c1", ""},
		user:    []string{"s:note0", "", "s:note1", "s:note2", "", "s:note3", "s:note4", ""},
		summary: []string{"s:Date|bold", dcell("2024-05-01"), dcell("2024-06-01"), dcell("2024-06-02"), dcell("2024-06-03"), dcell("2024-06-05")},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, _ := writeAll(t, userBook(t), testLayout, tt.days...)
			daily := b.byTitle("Daily")
			if diff := cmp.Diff(tt.col0, column(daily, 0)); diff != "" {
				t.Errorf("Daily column A (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.offers, column(daily, 1)); diff != "" {
				t.Errorf("Daily column B (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.user, column(daily, 4)); diff != "" {
				t.Errorf("user's column E (-want +got):\n%s", diff)
			}
			if daily.cols != 5 || daily.rows != len(tt.col0) || daily.frozen != 1 {
				t.Errorf("Daily grid %d×%d frozen %d, want %d×5 frozen 1", daily.rows, daily.cols, daily.frozen, len(tt.col0))
			}
			if tt.summary != nil {
				if diff := cmp.Diff(tt.summary, column(b.byTitle("Summary"), 0)); diff != "" {
					t.Errorf("Summary column A (-want +got):\n%s", diff)
				}
			}
			if notes := b.byTitle("Notes"); notes == nil || notes.cells[0][0] != "s:keep me" {
				t.Errorf("Notes tab changed")
			}
		})
	}
}

func TestPlanLastDateRemoved(t *testing.T) {
	t.Parallel()
	b, _ := writeAll(t, freshBook(), testLayout, testDay("2024-06-01", 3, "a"))
	b, _ = writeAll(t, b, testLayout, testDay("2024-06-01", 0, "a"))
	daily := b.byTitle("Daily")
	want := [][]string{{"s:Date|bold", "s:Offer|bold", "s:Revenue|bold"}, {"", "", ""}}
	if diff := cmp.Diff(want, daily.cells); diff != "" {
		t.Errorf("Daily (-want +got):\n%s", diff)
	}
	b, _ = writeAll(t, b, testLayout, testDay("2024-06-02", 1, "b"))
	if diff := cmp.Diff([]string{"s:Date|bold", dcell("2024-06-02")}, column(b.byTitle("Daily"), 0)); diff != "" {
		t.Errorf("Daily after a new day (-want +got):\n%s", diff)
	}
}

func TestPlanUserSizedTabs(t *testing.T) {
	t.Parallel()
	// Tabs the user made by hand: default 1000×26, nothing frozen, or 1 row with 3 frozen columns' worth.
	b := &book{tabs: []*grid{newGrid(0, "Daily", 1000, 26, 0), newGrid(7, "summary", 1, 1, 0)}}
	b.tabs[0].cells[0][25] = "s:user header"
	b, _ = writeAll(t, b, testLayout, testDay("2024-06-01", 2, "a"))
	daily := b.byTitle("Daily")
	if daily.rows != 3 || daily.cols != 26 || daily.frozen != 1 {
		t.Errorf("Daily grid %d×%d frozen %d, want 3×26 frozen 1", daily.rows, daily.cols, daily.frozen)
	}
	if daily.cells[0][25] != "s:user header" {
		t.Errorf("user's header cell Z1 = %q", daily.cells[0][25])
	}
	sum := b.byTitle("summary") // matched without regard to case, not duplicated
	if sum == nil || len(b.tabs) != 2 || sum.rows != 2 || sum.cols != 2 || sum.frozen != 1 {
		t.Fatalf("summary tab = %+v, tabs %d", sum, len(b.tabs))
	}
}

var rewriteLayout = func() Layout { l := testLayout; l.Mode = Rewrite; return l }()

func titles(b *book) []string {
	var out []string
	for _, t := range b.tabs {
		out = append(out, t.title)
	}
	return out
}

func TestPlanRewrite(t *testing.T) {
	t.Parallel()
	b, _ := writeAll(t, freshBook(), rewriteLayout, testDay("2024-06-03", 2, "c"), testDay("2024-06-01", 1, "a"))
	if diff := cmp.Diff([]string{"Sheet1", "Summary", "2024-06-01", "2024-06-03"}, titles(b)); diff != "" {
		t.Errorf("tabs (-want +got):\n%s", diff)
	}
	tab := b.byTitle("2024-06-03")
	want := [][]string{{"s:Offer|bold", "s:Revenue|bold"}, {"s:c0", "n:2.5" + moneyFmt}, {"s:c1", "n:1.5" + moneyFmt}}
	if diff := cmp.Diff(want, tab.cells); diff != "" {
		t.Errorf("day tab (-want +got):\n%s", diff)
	}
	if tab.frozen != 1 {
		t.Errorf("day tab frozen rows = %d", tab.frozen)
	}
	// Rewritten whole, shrinking, and a backfilled day placed in order.
	b, _ = writeAll(t, b, rewriteLayout, testDay("2024-06-03", 0, "c"), testDay("2024-06-02", 1, "b"))
	if diff := cmp.Diff([]string{"Sheet1", "Summary", "2024-06-01", "2024-06-02", "2024-06-03"}, titles(b)); diff != "" {
		t.Errorf("tabs (-want +got):\n%s", diff)
	}
	tab = b.byTitle("2024-06-03")
	want = [][]string{{"s:Offer|bold", "s:Revenue|bold"}, {"", ""}}
	if diff := cmp.Diff(want, tab.cells); diff != "" {
		t.Errorf("emptied day tab (-want +got):\n%s", diff)
	}
	if b.byTitle("Daily") != nil {
		t.Errorf("rewrite mode created Daily")
	}
}

func TestPlanKeepTabs(t *testing.T) {
	t.Parallel()
	l := rewriteLayout
	l.KeepTabs = 2
	b := &book{tabs: []*grid{newGrid(5, "2024-05-01", 1000, 26, 0), newGrid(6, "2024-5-2", 10, 2, 0)}}
	b, _ = writeAll(t, b, l, testDay("2024-06-01", 1, "a"), testDay("2024-06-02", 1, "b"), testDay("2024-05-20", 1, "x"))
	// The newest two date tabs remain; "2024-5-2" is not a day tab's title.
	if diff := cmp.Diff([]string{"2024-5-2", "Summary", "2024-06-01", "2024-06-02"}, titles(b)); diff != "" {
		t.Errorf("tabs (-want +got):\n%s", diff)
	}
	// The Summary still has every date written.
	if got := len(column(b.byTitle("Summary"), 0)); got != 4 {
		t.Errorf("Summary rows = %d, want 4", got)
	}
}

func TestPlanDropsEveryTab(t *testing.T) {
	t.Parallel()
	l := rewriteLayout
	l.KeepTabs = 1
	// Only old day tabs: deleting them all first would leave no tab.
	b := &book{tabs: []*grid{newGrid(5, "2024-05-01", 3, 2, 1), newGrid(6, "2024-05-02", 3, 2, 1)}}
	b, _ = writeAll(t, b, l, testDay("2024-06-01", 1, "a"))
	if diff := cmp.Diff([]string{"2024-06-01", "Summary"}, titles(b)); diff != "" {
		t.Errorf("tabs (-want +got):\n%s", diff)
	}
}

func TestPlanCellLimit(t *testing.T) {
	t.Parallel()
	// A spreadsheet nearly full: one more day tab does not fit.
	b := &book{tabs: []*grid{newGrid(1, "Big", CellLimit/10, 10, 0)}}
	b.tabs[0].cells = nil // not needed for planning
	w := testWriter(rewriteLayout)
	r, err := w.prepare([]Day{testDay("2024-06-01", 1, "a")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = planBatch(stateOf(b, rewriteLayout), r, r.days)
	if !errors.Is(err, ErrCellLimit) {
		t.Fatalf("planBatch error = %v, want ErrCellLimit", err)
	}
	if !strings.Contains(err.Error(), "DIGEST_KEEP_TABS") {
		t.Errorf("error does not say what to do: %v", err)
	}
}

func TestPlanShrinkBeforeGrow(t *testing.T) {
	t.Parallel()
	// Rotation frees the room the new tabs need: it must come first.
	l := rewriteLayout
	l.KeepTabs = 1
	b := &book{tabs: []*grid{newGrid(1, "Big", CellLimit/10-1, 10, 0), newGrid(2, "2024-05-01", 1, 10, 0)}}
	b.tabs[0].cells, b.tabs[1].cells = nil, [][]string{make([]string, 10)}
	w := testWriter(l)
	r, _ := w.prepare([]Day{testDay("2024-06-01", 1, "a")})
	bt, err := planBatch(stateOf(b, l), r, r.days)
	if err != nil {
		t.Fatalf("planBatch: %v", err)
	}
	if bt.reqs[0].DeleteSheet == nil {
		t.Errorf("first request is not the deletion of the old day tab")
	}
	if bt.peak > CellLimit {
		t.Errorf("peak %d > limit", bt.peak)
	}
}

func TestPlan400Days(t *testing.T) {
	t.Parallel()
	// KeepTabs=0: 400 day tabs sized to their content stay far below the
	// limit, where default-sized ones (1000×26) would pass it.
	var days []Day
	start := day("2023-01-01")
	for i := range 400 {
		days = append(days, testDay(start.AddDate(0, 0, i).Format(time.DateOnly), 30, "o"))
	}
	b, _ := writeAll(t, freshBook(), rewriteLayout, days...)
	if len(b.tabs) != 402 {
		t.Fatalf("tabs = %d, want 402", len(b.tabs))
	}
	if n := b.cells(); n > 100_000 {
		t.Errorf("cells = %d, want tabs sized to content", n)
	}
	if tab := b.byTitle("2023-01-01"); tab.rows != 31 || tab.cols != 2 {
		t.Errorf("day tab %d×%d, want 31×2", tab.rows, tab.cols)
	}
}

func TestPlanSplitsLargeWrites(t *testing.T) {
	t.Parallel()
	var days []Day
	start := day("2024-01-01")
	for i := range 40 {
		days = append(days, testDay(start.AddDate(0, 0, i).Format(time.DateOnly), 20, "offer"))
	}
	w := testWriter(testLayout)
	w.maxBatchBytes = 60_000
	r, err := w.prepare(days)
	if err != nil {
		t.Fatal(err)
	}
	groups := groupDays(r.days, w.maxBatchBytes)
	if len(groups) < 3 {
		t.Fatalf("groups = %d, want the write split", len(groups))
	}
	// Applying the batches one after the other, each planned on the model
	// left by the one before, gives the same sheet as one batch.
	st, b := stateOf(freshBook(), testLayout), freshBook()
	total := 0
	for _, g := range groups {
		total += len(g)
		bt, err := planBatch(st, r, g)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := json.Marshal(&sheetsapi.BatchUpdateSpreadsheetRequest{Requests: bt.reqs})
		if len(body) > w.maxBatchBytes {
			t.Errorf("batch of %d dates is %d bytes, over %d", len(g), len(body), w.maxBatchBytes)
		}
		if b, _, err = applyBatch(b, bt.reqs); err != nil {
			t.Fatal(err)
		}
		st = bt.next
	}
	if total != 40 {
		t.Errorf("dates in batches = %d", total)
	}
	one, _ := writeAll(t, freshBook(), testLayout, days...)
	if diff := cmp.Diff(one, b, cmp.AllowUnexported(book{}, grid{})); diff != "" {
		t.Errorf("split write differs from one batch (-one +split):\n%s", diff)
	}
}

// TestPlanRandom writes random sets of dates over random user edits and
// checks what must always hold: blocks in date order, each date once with
// its rows, rows that are not ours kept in order, the tab sized to content.
func TestPlanRandom(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	base := day("2024-01-01")
	for iter := range 200 {
		b := freshBook()
		want := map[string][]string{} // date → offers in Daily
		var notes []string
		for run := range 4 {
			var days []Day
			for _, k := range rng.Perm(8)[:1+rng.IntN(4)] {
				date := base.AddDate(0, 0, k).Format(time.DateOnly)
				n := rng.IntN(4)
				tag := fmt.Sprintf("%s/%d/", date, run)
				days = append(days, testDay(date, n, tag))
				want[date] = nil
				for i := range n {
					want[date] = append(want[date], fmt.Sprintf("s:%s%d", tag, i))
				}
			}
			b, _ = writeAll(t, b, testLayout, days...)
			if rng.IntN(2) == 0 {
				// The user adds a note row somewhere below the header.
				daily := b.byTitle("Daily")
				at := 1 + rng.IntN(daily.rows-1)
				applyOrFail(t, b, &sheetsapi.Request{InsertDimension: &sheetsapi.InsertDimensionRequest{
					Range: &sheetsapi.DimensionRange{SheetId: daily.id, Dimension: "ROWS", StartIndex: int64(at), EndIndex: int64(at + 1)}, InheritFromBefore: true}})
				note := fmt.Sprintf("s:note %d", len(notes))
				daily.cells[at][0] = note
				notes = append(notes, note)
			}
		}
		daily := b.byTitle("Daily")
		got := map[string][]string{}
		var gotNotes []string
		last := -1
		for i, row := range daily.cells[1:] {
			switch v := valueOf(row[0]).(type) {
			case float64:
				date := SerialDate(int(v)).Format(time.DateOnly)
				if int(v) < last {
					t.Fatalf("iter %d: row %d: %s after a later date", iter, i+1, date)
				}
				if int(v) != last && got[date] != nil {
					t.Fatalf("iter %d: row %d: second block of %s", iter, i+1, date)
				}
				last = int(v)
				got[date] = append(got[date], row[1])
			case string:
				gotNotes = append(gotNotes, row[0])
			default:
				if i+1 != daily.rows-1 || daily.rows != 2 {
					t.Fatalf("iter %d: blank row %d of %d", iter, i+1, daily.rows)
				}
			}
		}
		for d, offers := range want {
			if len(offers) == 0 {
				delete(want, d)
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("iter %d: Daily blocks (-want +got):\n%s", iter, diff)
		}
		if diff := cmp.Diff(notes, gotNotes, cmp.Comparer(func(a, b []string) bool {
			return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
		})); diff != "" {
			t.Fatalf("iter %d: notes (-want +got):\n%s", iter, diff)
		}
	}
}

func TestKeyOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   any
		want key
	}{
		{nil, key{}},
		{"", key{}},
		{"Date", key{kind: keyOther}},
		{"2024-06-01", key{kind: keyOther}},
		{45444.0, dateKey(45444)},
		{45444.5, key{kind: keyOther}},
		{-3.0, key{kind: keyOther}},
		{true, key{kind: keyOther}},
	}
	for _, tt := range tests {
		if got := keyOf(tt.in); got != tt.want {
			t.Errorf("keyOf(%#v) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestSerials(t *testing.T) {
	t.Parallel()
	if got := DateSerial(day("2024-06-01")); got != 45444 {
		t.Errorf("DateSerial(2024-06-01) = %d, want 45444", got)
	}
	if got := DateSerial(day("1900-01-01")); got != 2 {
		t.Errorf("DateSerial(1900-01-01) = %d, want 2", got)
	}
	ny, _ := time.LoadLocation("America/New_York")
	if got := DateSerial(time.Date(2024, 6, 1, 23, 30, 0, 0, ny)); got != 45444 {
		t.Errorf("DateSerial of a late evening in New York = %d, want its own date 45444", got)
	}
	if got := DateTimeSerial(time.Date(1900, 1, 1, 12, 0, 0, 0, time.UTC)); got != 2.5 {
		t.Errorf("DateTimeSerial(1900-01-01 12:00) = %v, want 2.5", got)
	}
	if got := SerialDate(45444); !got.Equal(day("2024-06-01")) {
		t.Errorf("SerialDate(45444) = %v", got)
	}
	for _, tt := range []struct {
		title string
		ok    bool
	}{{"2024-06-01", true}, {"2024-6-01", false}, {"2024-02-30", false}, {"Daily", false}, {" 2024-06-01", false}} {
		if _, ok := parseDayTitle(tt.title); ok != tt.ok {
			t.Errorf("parseDayTitle(%q) = %v, want %v", tt.title, ok, tt.ok)
		}
	}
	if got := quoteTitle("It's"); got != "'It''s'" {
		t.Errorf("quoteTitle = %s", got)
	}
}

func TestCellData(t *testing.T) {
	t.Parallel()
	// Values only: the formats are set per rectangle (TestFormatRuns).
	tests := []struct {
		cell Cell
		want string
	}{
		{TextCell("=HYPERLINK(\"http://x\")"), `{"userEnteredValue":{"stringValue":"=HYPERLINK(\"http://x\")"}}`},
		{TextCell("00123"), `{"userEnteredValue":{"stringValue":"00123"}}`},
		{TextCell("TRUE"), `{"userEnteredValue":{"stringValue":"TRUE"}}`},
		{TextCell("+1"), `{"userEnteredValue":{"stringValue":"+1"}}`},
		{TextCell(""), `{}`},
		{IntCell(0), `{"userEnteredValue":{"numberValue":0}}`},
		{MoneyCell(12.3456), `{"userEnteredValue":{"numberValue":12.3456}}`},
		{DateCell(day("2024-06-01")), `{"userEnteredValue":{"numberValue":45444}}`},
		{DateTimeCell(time.Date(2024, 6, 1, 6, 0, 0, 0, time.UTC)), `{"userEnteredValue":{"numberValue":45444.25}}`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(cellData(tt.cell))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, string(b)); diff != "" {
			t.Errorf("cellData(%+v) (-want +got):\n%s", tt.cell, diff)
		}
		if n := cellJSONSize(tt.cell); n != len(b) {
			t.Errorf("cellJSONSize(%+v) = %d, want %d", tt.cell, n, len(b))
		}
	}
	formats := map[Kind]string{
		Text:     `null`,
		Integer:  `{"numberFormat":{"pattern":"0","type":"NUMBER"}}`,
		Money:    `{"numberFormat":{"pattern":"#,##0.00","type":"NUMBER"}}`,
		Date:     `{"numberFormat":{"pattern":"yyyy-mm-dd","type":"DATE"}}`,
		DateTime: `{"numberFormat":{"pattern":"yyyy-mm-dd hh:mm:ss","type":"DATE_TIME"}}`,
	}
	for k, want := range formats {
		b, _ := json.Marshal(formatOf(k))
		if string(b) != want {
			t.Errorf("formatOf(%v) = %s, want %s", k, b, want)
		}
	}
}

// sizeCells are cells whose JSON is easy to get wrong.
var sizeCells = []Cell{
	TextCell(""), TextCell("a"), TextCell(`"quoted" \ back`), TextCell("<a href=x>&amp;</a>"),
	TextCell("tab\tnew\nline\rcr\bbs\fff\x00\x01\x1f\x7f"), TextCell("bad \xff\xfe utf-8"), TextCell("sep \u2028 \u2029"),
	TextCell("日本語 and 🎉"), TextCell(strings.Repeat("x", 1000)),
	IntCell(0), IntCell(-1), IntCell(1 << 53), MoneyCell(0.1), MoneyCell(-3.5), MoneyCell(12.3456), MoneyCell(1e-7),
	MoneyCell(-1e-6), MoneyCell(1e21), MoneyCell(123456789012345678), MoneyCell(1e300), MoneyCell(5e-324), MoneyCell(math.Copysign(0, -1)),
	DateCell(day("2024-06-01")), DateTimeCell(time.Date(2024, 6, 1, 6, 0, 1, 0, time.UTC)),
}

func TestValueRowsSize(t *testing.T) {
	t.Parallel()
	rows := [][]Cell{sizeCells, nil, sizeCells[:3], {DateCell(day("2024-06-01"))}}
	for _, width := range []int{len(sizeCells), len(sizeCells) + 3} {
		var pool valuePool
		b, err := json.Marshal(pool.valueRows(rows, width))
		if err != nil {
			t.Fatal(err)
		}
		if got := valueRowsSize(rows, width); got != len(b) {
			t.Errorf("width %d: valueRowsSize = %d, json.Marshal wrote %d bytes", width, got, len(b))
		}
		// The client sends the request through an Encoder: the same bytes.
		var enc bytes.Buffer
		if err := json.NewEncoder(&enc).Encode(pool.valueRows(rows, width)); err != nil || enc.Len() != len(b)+1 {
			t.Errorf("width %d: an Encoder wrote %d bytes, %v; want %d and a newline", width, enc.Len(), err, len(b))
		}
	}
	if got := valueRowsSize(nil, 3); got != 0 {
		t.Errorf("valueRowsSize of no rows = %d, want 0", got)
	}
}

func FuzzCellJSONSize(f *testing.F) {
	for _, c := range sizeCells {
		f.Add(c.Text, c.Number)
	}
	f.Fuzz(func(t *testing.T, s string, n float64) {
		for _, c := range []Cell{TextCell(s), MoneyCell(n)} {
			if checkCell(c) != nil {
				continue
			}
			b, err := json.Marshal(cellData(c))
			if err != nil {
				t.Fatal(err)
			}
			if got := cellJSONSize(c); got != len(b) {
				t.Errorf("cellJSONSize(%+v) = %d, json.Marshal wrote %d bytes: %s", c, got, len(b), b)
			}
		}
	})
}

func TestFormatRuns(t *testing.T) {
	t.Parallel()
	d := DateCell(day("2024-06-01"))
	tests := []struct {
		name  string
		rows  [][]Cell
		width int
		want  []formatRun
	}{{
		name: "a Daily block: one rectangle per run of columns of one kind",
		rows: [][]Cell{
			{d, IntCell(1), TextCell("a"), TextCell(""), TextCell("USD"), IntCell(3), IntCell(0), MoneyCell(1)},
			{d, IntCell(2), TextCell("b"), TextCell("x"), TextCell("USD"), IntCell(3), IntCell(1), MoneyCell(2)},
		},
		width: 8,
		want: []formatRun{
			{0, 2, 0, 1, Date}, {0, 2, 1, 2, Integer}, {0, 2, 2, 5, Text}, {0, 2, 5, 7, Integer}, {0, 2, 7, 8, Money},
		},
	}, {
		name: "a day tab with its Total row, a short row and padding",
		rows: [][]Cell{
			{IntCell(1), TextCell("a"), MoneyCell(1)},
			{IntCell(2), TextCell("b")},
			{TextCell("Total"), {}, MoneyCell(1)},
			nil,
		},
		width: 4,
		want: []formatRun{
			{0, 2, 0, 1, Integer}, {2, 4, 0, 1, Text}, {0, 4, 1, 2, Text}, {0, 1, 2, 3, Money},
			{1, 2, 2, 3, Text}, {2, 3, 2, 3, Money}, {3, 4, 2, 3, Text}, {0, 4, 3, 4, Text},
		},
	}, {
		name:  "one empty row",
		rows:  [][]Cell{nil},
		width: 2,
		want:  []formatRun{{0, 1, 0, 2, Text}},
	}}
	for _, tt := range tests {
		got := formatRuns(tt.rows, tt.width)
		if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(formatRun{})); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
		// The rectangles cover every cell exactly once, with its format.
		seen := make(map[[2]int]bool)
		for _, f := range got {
			for r := f.r0; r < f.r1; r++ {
				for c := f.c0; c < f.c1; c++ {
					if seen[[2]int{r, c}] {
						t.Errorf("%s: cell %d,%d covered twice", tt.name, r, c)
					}
					seen[[2]int{r, c}] = true
					if k := formatKind(tt.rows[r], c); k != f.kind {
						t.Errorf("%s: cell %d,%d of kind %v in a %v rectangle", tt.name, r, c, k, f.kind)
					}
				}
			}
		}
		if len(seen) != len(tt.rows)*tt.width {
			t.Errorf("%s: %d cells covered, want %d", tt.name, len(seen), len(tt.rows)*tt.width)
		}
	}
}

// TestPlanFormats: formats go with the data, per rectangle, and a re-run
// wipes what someone left on the digest's cells of its rows, but nothing
// on other rows or in other columns.
func TestPlanFormats(t *testing.T) {
	t.Parallel()
	b := userBook(t)
	daily := b.byTitle("Daily")
	// Stale formats on the rows of 2024-06-03 (rows 3 and 4): a number
	// format on the text of Offer, bold on a date; on the note row and in
	// the user's column E too.
	daily.cells[3][1] = "s:c0|NUMBER 0"
	daily.cells[4][0] += "|bold"
	daily.cells[5][0] += "|NUMBER 0.0"
	daily.cells[3][4] += "|DATE yyyy"
	b, _ = writeAll(t, b, testLayout, testDay("2024-06-03", 2, "c"))
	daily = b.byTitle("Daily")
	want := [][]string{
		{dcell("2024-06-03"), "s:c0", "n:2.5" + moneyFmt, "", "s:note3|DATE yyyy"},
		{dcell("2024-06-03"), "s:c1", "n:1.5" + moneyFmt, "", "s:note4"},
		{"s:checked by finance|NUMBER 0.0", "", "", "", ""},
	}
	if diff := cmp.Diff(want, daily.cells[3:6]); diff != "" {
		t.Errorf("Daily rows 4-6 (-want +got):\n%s", diff)
	}
	// A fresh write of a day sends each number format once per column,
	// not once per cell.
	w := testWriter(testLayout)
	r, err := w.prepare([]Day{testDay("2024-06-01", 50, "a")})
	if err != nil {
		t.Fatal(err)
	}
	bt, err := planBatch(stateOf(freshBook(), testLayout), r, r.days)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(&sheetsapi.BatchUpdateSpreadsheetRequest{Requests: bt.reqs})
	if n := strings.Count(string(body), "#,##0.00"); n != 2 {
		t.Errorf("the Revenue format appears %d times, want 2 (Daily and Summary)", n)
	}
}

func TestPrepareRefuses(t *testing.T) {
	t.Parallel()
	good := testDay("2024-06-01", 1, "a")
	undated := testDay("2024-06-02", 1, "b")
	undated.Daily[0][0] = TextCell("2024-06-02")
	wrongDate := testDay("2024-06-03", 1, "c")
	wrongDate.Summary[0][0] = DateCell(day("2024-06-04"))
	nan := testDay("2024-06-05", 1, "d")
	nan.Daily[0][2] = MoneyCell(mathNaN())
	long := testDay("2024-06-06", 1, "e")
	long.Daily[0][1] = TextCell(strings.Repeat("x", 50001))
	// 25,001 runes, but 50,002 characters as Sheets counts them.
	emoji := testDay("2024-06-07", 1, "f")
	emoji.Summary[0][1] = TextCell(strings.Repeat("😀", 25001))
	tests := []struct {
		name string
		days []Day
		want string
	}{
		{"duplicate date", []Day{good, good}, "date 2024-06-01 given twice"},
		{"row without its date", []Day{undated}, "Daily row 1 of 2024-06-02 does not start with its date"},
		{"row of another date", []Day{wrongDate}, "Summary row 1 of 2024-06-03 does not start with its date"},
		{"NaN", []Day{nan}, "cannot store"},
		{"long text", []Day{long}, "longer than the 50000"},
		{"long text of emoji", []Day{emoji}, "text of 50002 characters is longer than the 50000"},
	}
	for _, tt := range tests {
		_, err := testWriter(testLayout).prepare(tt.days)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error = %v, want it to contain %q", tt.name, err, tt.want)
		}
	}
}

func mathNaN() float64 { return math.NaN() }

func TestGroupDays(t *testing.T) {
	t.Parallel()
	mk := func(sizes ...int) []*runDay {
		var out []*runDay
		for i, s := range sizes {
			out = append(out, &runDay{serial: i, size: s})
		}
		return out
	}
	uniform := make([]int, 365)
	for i := range uniform {
		uniform[i] = 21_600
	}
	tests := []struct {
		name   string
		sizes  []int
		limit  int
		groups int
	}{
		{"one day", []int{500}, 2 << 20, 1},
		{"a year of busy days", uniform, 2 << 20, 4}, // 7.9 MB in ceil(7.9 / 2.1) batches
		{"a year at 1 MB", uniform, 1 << 20, 8},
		{"a huge day alone", []int{100, 5 << 20, 100}, 2 << 20, 3},
		{"uneven days", []int{900_000, 900_000, 100, 100, 900_000, 900_000}, 2 << 20, 2},
		{"uneven days that need a third", []int{1_500_000, 100, 1_500_000, 100, 1_000_000}, 2 << 20, 3},
	}
	for _, tt := range tests {
		days := mk(tt.sizes...)
		groups := groupDays(days, tt.limit)
		if len(groups) != tt.groups {
			t.Errorf("%s: %d groups, want %d", tt.name, len(groups), tt.groups)
		}
		var flat []*runDay
		for _, g := range groups {
			size := batchOverhead
			for _, d := range g {
				size += d.size
			}
			if size > tt.limit && len(g) > 1 {
				t.Errorf("%s: a group of %d days holds %d bytes, over %d", tt.name, len(g), size, tt.limit)
			}
			flat = append(flat, g...)
		}
		if !slices.Equal(flat, days) {
			t.Errorf("%s: groups do not hold every day once, in order", tt.name)
		}
	}
}
