package sheets_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	sheetsapi "google.golang.org/api/sheets/v4"

	"github.com/eflow-digest/eflow-digest/sheets"
	"github.com/eflow-digest/eflow-digest/sheets/sheetstest"
)

// These tests check the spreadsheet SPEC.md describes the way its reader
// sees it: through the API, with values.batchGet and spreadsheets.get, as
// well as through the stand-in's snapshots.

func serial(d string) float64 { return float64(sheets.DateSerial(date(d))) }

// TestWriteReadBack reads a fresh write back through the API with
// UNFORMATTED_VALUE, FORMATTED_VALUE and the cells' number formats: dates
// are serial numbers shown yyyy-mm-dd, revenue unrounded shown #,##0.00,
// counts numbers, text exactly as given even when it looks like a formula,
// a number, a boolean or a date, an empty sub an empty cell, and a date
// without conversions a Summary row with an empty currency and zeros.
func TestWriteReadBack(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	d1, d2 := date("2024-06-01"), date("2024-06-02")
	day1 := sheets.Day{Date: d1,
		Daily: [][]sheets.Cell{
			{sheets.DateCell(d1), sheets.IntCell(1000), sheets.TextCell("=SUM(A1:A9)"), sheets.TextCell("00123"), sheets.TextCell("USD"), sheets.IntCell(3), sheets.MoneyCell(1234.5678)},
			{sheets.DateCell(d1), sheets.IntCell(1001), sheets.TextCell("TRUE"), sheets.TextCell(""), sheets.TextCell("USD"), sheets.IntCell(1), sheets.MoneyCell(0.0001)},
			{sheets.DateCell(d1), sheets.IntCell(1002), sheets.TextCell("1e5"), sheets.TextCell("2024-06-01"), sheets.TextCell("EUR"), sheets.IntCell(2), sheets.MoneyCell(-5)},
		},
		Summary: [][]sheets.Cell{
			{sheets.DateCell(d1), sheets.TextCell("EUR"), sheets.IntCell(2), sheets.MoneyCell(-5), sheets.IntCell(1), sheets.DateTimeCell(refreshed)},
			{sheets.DateCell(d1), sheets.TextCell("USD"), sheets.IntCell(4), sheets.MoneyCell(1234.5679), sheets.IntCell(2), sheets.DateTimeCell(refreshed)},
		},
	}
	day2 := sheets.Day{Date: d2, Summary: [][]sheets.Cell{
		{sheets.DateCell(d2), sheets.TextCell(""), sheets.IntCell(0), sheets.MoneyCell(0), sheets.IntCell(0), sheets.DateTimeCell(refreshed)},
	}}
	if err := e.writer(t, layout).Write(t.Context(), []sheets.Day{day2, day1}); err != nil {
		t.Fatal(err)
	}
	user := e.userService(t)
	at := sheets.DateTimeSerial(refreshed)

	got, err := user.Spreadsheets.Values.BatchGet(sheetID).Ranges("Daily", "Summary", "Sheet1").
		ValueRenderOption("UNFORMATTED_VALUE").DateTimeRenderOption("SERIAL_NUMBER").Context(t.Context()).Do()
	if err != nil {
		t.Fatal(err)
	}
	header := func(h []string) []any {
		var out []any
		for _, s := range h {
			out = append(out, s)
		}
		return out
	}
	want := [][][]any{{
		header(layout.DailyHeader),
		{serial("2024-06-01"), 1000.0, "=SUM(A1:A9)", "00123", "USD", 3.0, 1234.5678},
		{serial("2024-06-01"), 1001.0, "TRUE", "", "USD", 1.0, 0.0001},
		{serial("2024-06-01"), 1002.0, "1e5", "2024-06-01", "EUR", 2.0, -5.0},
	}, {
		header(layout.SummaryHeader),
		{serial("2024-06-01"), "EUR", 2.0, -5.0, 1.0, at},
		{serial("2024-06-01"), "USD", 4.0, 1234.5679, 2.0, at},
		{serial("2024-06-02"), "", 0.0, 0.0, 0.0, at},
	}, nil}
	for i, vr := range got.ValueRanges {
		if diff := cmp.Diff(want[i], vr.Values); diff != "" {
			t.Errorf("UNFORMATTED_VALUE of %s (-want +got):\n%s", vr.Range, diff)
		}
	}

	shown, err := user.Spreadsheets.Values.BatchGet(sheetID).Ranges("'Daily'!A2:G2", "'Summary'!A4:F4").Context(t.Context()).Do()
	if err != nil {
		t.Fatal(err)
	}
	wantShown := [][][]any{
		{{"2024-06-01", "1000", "=SUM(A1:A9)", "00123", "USD", "3", "1,234.57"}},
		{{"2024-06-02", "", "0", "0.00", "0", "2024-06-10 06:30:15"}},
	}
	for i, vr := range shown.ValueRanges {
		if diff := cmp.Diff(wantShown[i], vr.Values); diff != "" {
			t.Errorf("FORMATTED_VALUE of %s (-want +got):\n%s", vr.Range, diff)
		}
	}

	// The cells as stored: typed values, and the number format of each.
	ss, err := user.Spreadsheets.Get(sheetID).Ranges("'Daily'!A2:G2", "'Summary'!A4:F4", "Sheet1!A1").
		Fields("sheets(properties(sheetId,title,index,gridProperties(rowCount,columnCount,frozenRowCount)),data.rowData.values(userEnteredValue,userEnteredFormat.numberFormat))").
		Context(t.Context()).Do()
	if err != nil {
		t.Fatal(err)
	}
	type stored struct {
		Kind, Type, Pattern string
	}
	kindOf := func(c *sheetsapi.CellData) stored {
		var s stored
		if v := c.UserEnteredValue; v != nil {
			switch {
			case v.StringValue != nil:
				s.Kind = "string"
			case v.NumberValue != nil:
				s.Kind = "number"
			case v.BoolValue != nil:
				s.Kind = "bool"
			case v.FormulaValue != nil:
				s.Kind = "formula"
			}
		}
		if f := c.UserEnteredFormat; f != nil && f.NumberFormat != nil {
			s.Type, s.Pattern = f.NumberFormat.Type, f.NumberFormat.Pattern
		}
		return s
	}
	var cells [][]stored
	for _, sh := range ss.Sheets {
		for _, gd := range sh.Data {
			for _, rd := range gd.RowData {
				var row []stored
				for _, c := range rd.Values {
					row = append(row, kindOf(c))
				}
				cells = append(cells, row)
			}
		}
	}
	var (
		dateCell  = stored{"number", "DATE", "yyyy-mm-dd"}
		intCell   = stored{"number", "NUMBER", "0"}
		moneyCell = stored{"number", "NUMBER", "#,##0.00"}
		textCell  = stored{Kind: "string"}
		timeCell  = stored{"number", "DATE_TIME", "yyyy-mm-dd hh:mm:ss"}
	)
	wantCells := [][]stored{
		{dateCell, intCell, textCell, textCell, textCell, intCell, moneyCell},
		{dateCell, {}, intCell, moneyCell, intCell, timeCell},
	}
	if diff := cmp.Diff(wantCells, cells); diff != "" {
		t.Errorf("stored cells (-want +got):\n%s", diff)
	}
	// Sheet1, the spreadsheet's first tab, is left as Google made it.
	first := ss.Sheets[0].Properties
	if first.Title != "Sheet1" || first.SheetId != 0 || first.Index != 0 || first.GridProperties.RowCount != 1000 ||
		first.GridProperties.ColumnCount != 26 || first.GridProperties.FrozenRowCount != 0 {
		t.Errorf("Sheet1 = %+v %+v, want sheetId 0 at index 0, 1000×26, nothing frozen", first, first.GridProperties)
	}
}

// TestWriteIntoHandMadeDailyTab: someone made the Daily tab by hand before
// the first run (1000×26, no header, nothing frozen) and typed a header of
// their own in column H. The writer takes that tab: its header goes in
// row 1, frozen, the rows unused are deleted, the 26 columns kept; a
// backfilled older date goes first without the header's bold spreading
// into the user's column, and a re-run replaces its block.
func TestWriteIntoHandMadeDailyTab(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	e.srv.AddSheet(sheetID, "Daily", 1000, 26)
	e.srv.SetValues(sheetID, "'Daily'!H1", [][]any{{sheetstest.Cell{String: ptr("Comment"), Bold: true}}})
	sheet1 := e.srv.Tabs(sheetID)[0]
	w := e.writer(t, layout)
	d3 := makeDay("2024-06-03", 2, 0)
	if err := w.Write(t.Context(), []sheets.Day{d3}); err != nil {
		t.Fatal(err)
	}
	daily := e.tab(t, "Daily")
	want := append([][]sheetstest.Cell{append(header(layout.DailyHeader), bold("Comment"))}, rowsOf(d3.Daily)...)
	if diff := cmp.Diff(want, daily.Rows, cellsCmp); diff != "" {
		t.Errorf("Daily (-want +got):\n%s", diff)
	}
	if daily.RowCount != 3 || daily.ColumnCount != 26 || daily.FrozenRows != 1 {
		t.Errorf("Daily grid %d×%d, %d frozen; want 3×26, 1 frozen", daily.RowCount, daily.ColumnCount, daily.FrozenRows)
	}
	if diff := cmp.Diff([]string{"Sheet1", "Daily", "Summary"}, titlesOf(e.srv.Tabs(sheetID))); diff != "" {
		t.Errorf("tabs (-want +got):\n%s", diff)
	}

	d1, d3b := makeDay("2024-06-01", 2, 0), makeDay("2024-06-03", 3, 1)
	if err := w.Write(t.Context(), []sheets.Day{d1}); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(t.Context(), []sheets.Day{d3b}); err != nil {
		t.Fatal(err)
	}
	daily = e.tab(t, "Daily")
	want = append([][]sheetstest.Cell{append(header(layout.DailyHeader), bold("Comment"))}, rowsOf(d1.Daily)...)
	want = append(want, rowsOf(d3b.Daily)...)
	if diff := cmp.Diff(want, daily.Rows, cellsCmp); diff != "" {
		t.Errorf("Daily after a backfill and a re-run (-want +got):\n%s", diff)
	}
	if daily.RowCount != 6 {
		t.Errorf("Daily has %d rows, want 6", daily.RowCount)
	}
	// Nothing in column H below the header: no cell there took its bold.
	user := e.userService(t)
	ss, err := user.Spreadsheets.Get(sheetID).Ranges("'Daily'!H2:H6").Fields("sheets.data.rowData.values.userEnteredFormat").
		Context(t.Context()).Do()
	if err != nil {
		t.Fatal(err)
	}
	for _, gd := range ss.Sheets[0].Data {
		for r, rd := range gd.RowData {
			for _, c := range rd.Values {
				if c.UserEnteredFormat != nil {
					t.Errorf("H%d has the format %+v", r+2, c.UserEnteredFormat)
				}
			}
		}
	}
	if diff := cmp.Diff(sheet1, e.srv.Tabs(sheetID)[0]); diff != "" {
		t.Errorf("Sheet1 changed (-before +after):\n%s", diff)
	}
}

// TestWriteKeepsNotesBelowTheData: notes typed below the data, in column A
// or only in another column, stay, with the blank rows above them; new
// and backfilled dates go in date order above them, and a re-run of the
// same dates changes nothing.
func TestWriteKeepsNotesBelowTheData(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	if err := e.writer(t, layout).Write(t.Context(), []sheets.Day{makeDay("2024-06-01", 2, 0), makeDay("2024-06-03", 2, 0)}); err != nil {
		t.Fatal(err)
	}
	// Daily: header, 2 + 2 rows, two blank rows, a note in A8, a blank
	// row, a note in C10, two blank rows. Summary: header, 2 rows, a
	// blank row, a note in D5, a blank row.
	e.srv.SetGrid(sheetID, "Daily", 12, 7)
	e.srv.SetValues(sheetID, "'Daily'!A8", [][]any{{"Checked by finance"}})
	e.srv.SetValues(sheetID, "'Daily'!C10", [][]any{{"see the note in A8"}})
	e.srv.SetGrid(sheetID, "Summary", 6, 6)
	e.srv.SetValues(sheetID, "'Summary'!D5", [][]any{{"Totals reconciled"}})

	days := []sheets.Day{makeDay("2024-06-01", 0, 0), makeDay("2024-06-02", 2, 0), makeDay("2024-06-03", 3, 1), makeDay("2024-06-04", 2, 0)}
	w := e.writer(t, layout)
	if err := w.Write(t.Context(), days); err != nil {
		t.Fatal(err)
	}
	if st := w.Stats(); st.Writes != 1 || st.Reads != 3 {
		t.Errorf("Stats = %+v, want one write and three reads (the rows below the data read once)", st)
	}
	daily := e.tab(t, "Daily")
	want := [][]sheetstest.Cell{header(layout.DailyHeader)}
	want = append(want, rowsOf(days[1].Daily)...)
	want = append(want, rowsOf(days[2].Daily)...)
	want = append(want, rowsOf(days[3].Daily)...)
	want = append(want, nil, nil, []sheetstest.Cell{str("Checked by finance")}, nil, []sheetstest.Cell{{}, {}, str("see the note in A8")})
	if diff := cmp.Diff(want, daily.Rows, cellsCmp); diff != "" {
		t.Errorf("Daily (-want +got):\n%s", diff)
	}
	if daily.RowCount != len(want) {
		t.Errorf("Daily has %d rows, want %d: the blank rows after the last note deleted", daily.RowCount, len(want))
	}
	wantSum := [][]sheetstest.Cell{header(layout.SummaryHeader)}
	for _, d := range days {
		wantSum = append(wantSum, rowsOf(d.Summary)...)
	}
	wantSum = append(wantSum, nil, []sheetstest.Cell{{}, {}, {}, str("Totals reconciled")})
	if diff := cmp.Diff(wantSum, e.tab(t, "Summary").Rows, cellsCmp); diff != "" {
		t.Errorf("Summary (-want +got):\n%s", diff)
	}

	before := e.srv.Tabs(sheetID)
	if err := e.writer(t, layout).Write(t.Context(), days); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, e.srv.Tabs(sheetID)); diff != "" {
		t.Errorf("a re-run changed the spreadsheet (-before +after):\n%s", diff)
	}
}
