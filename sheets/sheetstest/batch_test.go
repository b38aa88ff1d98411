package sheetstest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/api/sheets/v4"

	"github.com/eflow-digest/eflow-digest/sheets/sheetstest"
)

func batch(t *testing.T, e *env, reqs ...*sheets.Request) (*sheets.BatchUpdateSpreadsheetResponse, error) {
	t.Helper()
	return e.svc.Spreadsheets.BatchUpdate(docID, &sheets.BatchUpdateSpreadsheetRequest{Requests: reqs}).Context(t.Context()).Do()
}

func mustBatch(t *testing.T, e *env, reqs ...*sheets.Request) *sheets.BatchUpdateSpreadsheetResponse {
	t.Helper()
	resp, err := batch(t, e, reqs...)
	if err != nil {
		t.Fatalf("batchUpdate: %v", err)
	}
	return resp
}

func addSheet(id int64, title string, rows, cols int64) *sheets.Request {
	return &sheets.Request{AddSheet: &sheets.AddSheetRequest{Properties: &sheets.SheetProperties{
		SheetId: id, Title: title, ForceSendFields: []string{"SheetId"},
		GridProperties: &sheets.GridProperties{RowCount: rows, ColumnCount: cols}}}}
}

func textRow(vals ...string) *sheets.RowData {
	rd := &sheets.RowData{}
	for _, v := range vals {
		rd.Values = append(rd.Values, &sheets.CellData{UserEnteredValue: &sheets.ExtendedValue{StringValue: ptr(v)}})
	}
	return rd
}

func updateCells(id, row, col int64, rows ...*sheets.RowData) *sheets.Request {
	return &sheets.Request{UpdateCells: &sheets.UpdateCellsRequest{Fields: "userEnteredValue",
		Start: &sheets.GridCoordinate{SheetId: id, RowIndex: row, ColumnIndex: col}, Rows: rows}}
}

func freeze(id, rows int64) *sheets.Request {
	return &sheets.Request{UpdateSheetProperties: &sheets.UpdateSheetPropertiesRequest{Fields: "gridProperties.frozenRowCount",
		Properties: &sheets.SheetProperties{SheetId: id, GridProperties: &sheets.GridProperties{FrozenRowCount: rows}, ForceSendFields: []string{"SheetId"}}}}
}

func dim(id int64, d string, start, end int64) *sheets.DimensionRange {
	return &sheets.DimensionRange{SheetId: id, Dimension: d, StartIndex: start, EndIndex: end, ForceSendFields: []string{"SheetId", "StartIndex"}}
}

// tab returns the snapshot of the tab title.
func tab(t *testing.T, e *env, title string) sheetstest.Tab {
	t.Helper()
	for _, tb := range e.srv.Tabs(docID) {
		if tb.Title == title {
			return tb
		}
	}
	t.Fatalf("no tab %q", title)
	return sheetstest.Tab{}
}

func texts(rows ...[]string) [][]sheetstest.Cell {
	var out [][]sheetstest.Cell
	for _, r := range rows {
		var cells []sheetstest.Cell
		for _, v := range r {
			if v == "" {
				cells = append(cells, sheetstest.Cell{})
			} else {
				cells = append(cells, str(v))
			}
		}
		out = append(out, cells)
	}
	return out
}

func TestBatchRoundTrip(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	money := &sheets.CellFormat{NumberFormat: &sheets.NumberFormat{Type: "NUMBER", Pattern: "#,##0.00"}, TextFormat: &sheets.TextFormat{Bold: true}}
	resp := mustBatch(t, e,
		&sheets.Request{AddSheet: &sheets.AddSheetRequest{Properties: &sheets.SheetProperties{Title: "Daily",
			GridProperties: &sheets.GridProperties{RowCount: 5, ColumnCount: 3, FrozenRowCount: 1}}}},
		&sheets.Request{AddSheet: &sheets.AddSheetRequest{}},
		&sheets.Request{AutoResizeDimensions: &sheets.AutoResizeDimensionsRequest{Dimensions: dim(0, "COLUMNS", 0, 3)}},
	)
	if len(resp.Replies) != 3 || resp.Replies[2].AddSheet != nil {
		t.Fatalf("replies %+v", resp.Replies)
	}
	p := resp.Replies[0].AddSheet.Properties
	if p.SheetId <= 0 || p.Title != "Daily" || p.Index != 1 || p.SheetType != "GRID" ||
		p.GridProperties.RowCount != 5 || p.GridProperties.ColumnCount != 3 || p.GridProperties.FrozenRowCount != 1 {
		t.Errorf("addSheet reply %+v %+v", p, p.GridProperties)
	}
	p2 := resp.Replies[1].AddSheet.Properties
	if p2.Title != "Sheet3" || p2.GridProperties.RowCount != 1000 || p2.GridProperties.ColumnCount != 26 {
		t.Errorf("default addSheet reply %+v %+v", p2, p2.GridProperties)
	}
	id := p.SheetId
	mustBatch(t, e, &sheets.Request{UpdateCells: &sheets.UpdateCellsRequest{
		Fields: "userEnteredValue,userEnteredFormat", Start: &sheets.GridCoordinate{SheetId: id, RowIndex: 1, ColumnIndex: 1},
		Rows: []*sheets.RowData{{Values: []*sheets.CellData{
			{UserEnteredValue: &sheets.ExtendedValue{NumberValue: ptr(1234.5)}, UserEnteredFormat: money},
			{UserEnteredValue: &sheets.ExtendedValue{BoolValue: ptr(false)}},
		}}, {Values: []*sheets.CellData{
			{UserEnteredValue: &sheets.ExtendedValue{FormulaValue: ptr("=2*21")}},
			{UserEnteredValue: &sheets.ExtendedValue{StringValue: ptr("=not a formula")}},
		}}},
	}})
	got := tab(t, e, "Daily")
	want := sheetstest.Tab{SheetID: id, Title: "Daily", Index: 1, RowCount: 5, ColumnCount: 3, FrozenRows: 1,
		Rows: [][]sheetstest.Cell{
			nil,
			{{}, {Number: ptr(1234.5), Type: "NUMBER", Pattern: "#,##0.00", Bold: true}, {Bool: ptr(false)}},
			{{}, {Formula: "=2*21", Number: ptr(42.0)}, str("=not a formula")},
		}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tab (-want +got):\n%s", diff)
	}
	ss, err := e.svc.Spreadsheets.Get(docID).Ranges("Daily!B2:C3").IncludeGridData(true).Context(t.Context()).Do()
	if err != nil {
		t.Fatal(err)
	}
	if len(ss.Sheets) != 1 || len(ss.Sheets[0].Data) != 1 {
		t.Fatalf("get with ranges returned %d sheets", len(ss.Sheets))
	}
	gd := ss.Sheets[0].Data[0]
	b, _ := json.Marshal(gd)
	const wantGD = `{"rowData":[{"values":[{"effectiveFormat":{"numberFormat":{"pattern":"#,##0.00","type":"NUMBER"},"textFormat":{"bold":true}},"effectiveValue":{"numberValue":1234.5},"formattedValue":"1,234.50","userEnteredFormat":{"numberFormat":{"pattern":"#,##0.00","type":"NUMBER"},"textFormat":{"bold":true}},"userEnteredValue":{"numberValue":1234.5}},{"effectiveValue":{"boolValue":false},"formattedValue":"FALSE","userEnteredValue":{"boolValue":false}}]},{"values":[{"effectiveValue":{"numberValue":42},"formattedValue":"42","userEnteredValue":{"formulaValue":"=2*21"}},{"effectiveValue":{"stringValue":"=not a formula"},"formattedValue":"=not a formula","userEnteredValue":{"stringValue":"=not a formula"}}]}],"startColumn":1,"startRow":1}`
	if string(b) != wantGD {
		t.Errorf("grid data\n got %s\nwant %s", b, wantGD)
	}
}

func TestGetFieldMasks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	mustBatch(t, e, addSheet(42, "Daily", 10, 4), updateCells(42, 0, 0, textRow("a", "b")))
	tests := []struct {
		fields  string
		include bool
		ranges  []string
		want    string
		status  int
	}{
		{fields: "spreadsheetId", want: `{"spreadsheetId":"doc-1"}`},
		{fields: "properties(title,locale,timeZone)", want: `{"properties":{"locale":"en_US","timeZone":"Etc/GMT","title":"Digest"}}`},
		{fields: "properties.title,sheets.properties(sheetId,title,index,sheetType,gridProperties(rowCount,columnCount,frozenRowCount))",
			want: `{"properties":{"title":"Digest"},"sheets":[{"properties":{"gridProperties":{"columnCount":26,"rowCount":1000},"sheetType":"GRID","title":"Sheet1"}},{"properties":{"gridProperties":{"columnCount":4,"rowCount":10},"index":1,"sheetId":42,"sheetType":"GRID","title":"Daily"}}]}`},
		{fields: "sheets/properties/title", want: `{"sheets":[{"properties":{"title":"Sheet1"}},{"properties":{"title":"Daily"}}]}`},
		// includeGridData is ignored once a mask is set.
		{fields: "sheets.properties.title", include: true, want: `{"sheets":[{"properties":{"title":"Sheet1"}},{"properties":{"title":"Daily"}}]}`},
		{fields: "sheets(properties.title,data.rowData.values.formattedValue)", ranges: []string{"Daily!A1:B1"},
			want: `{"sheets":[{"data":[{"rowData":[{"values":[{"formattedValue":"a"},{"formattedValue":"b"}]}]}],"properties":{"title":"Daily"}}]}`},
		{fields: "sheets.properties.nope", status: 400},
		{fields: "sheets(properties", status: 400},
	}
	for _, tt := range tests {
		t.Run(tt.fields, func(t *testing.T) {
			t.Parallel()
			call := e.svc.Spreadsheets.Get(docID).Fields(googleField(tt.fields)).IncludeGridData(tt.include)
			if len(tt.ranges) > 0 {
				call = call.Ranges(tt.ranges...)
			}
			ss, err := call.Context(t.Context()).Do()
			if tt.status != 0 {
				if err == nil || apiErr(t, err).Code != tt.status {
					t.Fatalf("got %v, want status %d", err, tt.status)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(ss)
			if string(b) != tt.want {
				t.Errorf("got  %s\nwant %s", b, tt.want)
			}
		})
	}
}

func TestBatchIsAtomic(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	mustBatch(t, e, addSheet(1, "Daily", 10, 3), updateCells(1, 0, 0, textRow("Date", "Revenue")))
	before := e.srv.Tabs(docID)
	// Each batch is valid up to its last request, which fails.
	failing := [][]*sheets.Request{
		{updateCells(1, 1, 0, textRow("x")), addSheet(2, "Other", 5, 5), addSheet(3, "daily", 5, 5)},
		{addSheet(2, "Other", 5, 5), {DeleteSheet: &sheets.DeleteSheetRequest{SheetId: 1, ForceSendFields: []string{"SheetId"}}},
			{DeleteSheet: &sheets.DeleteSheetRequest{SheetId: 99}}},
		{{InsertDimension: &sheets.InsertDimensionRequest{Range: dim(1, "ROWS", 0, 3)}}, updateCells(1, 20, 0, textRow("too far"))},
		{{UpdateSheetProperties: &sheets.UpdateSheetPropertiesRequest{Fields: "title", Properties: &sheets.SheetProperties{SheetId: 1, Title: "Renamed"}}},
			{RepeatCell: &sheets.RepeatCellRequest{Range: &sheets.GridRange{SheetId: 1}, Cell: &sheets.CellData{}}}},
	}
	for i, reqs := range failing {
		if _, err := batch(t, e, reqs...); err == nil || apiErr(t, err).Code != 400 {
			t.Fatalf("batch %d: got %v, want a 400", i, err)
		}
		if diff := cmp.Diff(before, e.srv.Tabs(docID)); diff != "" {
			t.Errorf("batch %d changed the spreadsheet (-before +after):\n%s", i, diff)
		}
	}
}

func TestBatchErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		reqs []*sheets.Request
		msg  string
	}{
		{"duplicate title", []*sheets.Request{addSheet(5, "Daily", 10, 3), addSheet(6, "DAILY", 10, 3)},
			`Invalid requests[1].addSheet: A sheet with the name "DAILY" already exists. Please enter another name.`},
		{"duplicate sheetId", []*sheets.Request{addSheet(0, "Zero", 10, 3)},
			`Invalid requests[0].addSheet: A sheet with id 0 already exists.`},
		{"rename onto a taken title", []*sheets.Request{addSheet(5, "Daily", 10, 3),
			{UpdateSheetProperties: &sheets.UpdateSheetPropertiesRequest{Fields: "title", Properties: &sheets.SheetProperties{SheetId: 5, Title: "sheet1"}}}},
			`Invalid requests[1].updateSheetProperties: A sheet with the name "sheet1" already exists. Please enter another name.`},
		// {"deleteSheet": {}} is sheet 0, the only tab.
		{"delete the last tab", []*sheets.Request{{DeleteSheet: &sheets.DeleteSheetRequest{}}},
			"Invalid requests[0].deleteSheet: You can't remove all the sheets in a document."},
		{"delete a missing tab", []*sheets.Request{{DeleteSheet: &sheets.DeleteSheetRequest{SheetId: 77}}},
			"Invalid requests[0].deleteSheet: No grid with id: 77"},
		{"updateSheetProperties without fields", []*sheets.Request{{UpdateSheetProperties: &sheets.UpdateSheetPropertiesRequest{
			Properties: &sheets.SheetProperties{GridProperties: &sheets.GridProperties{FrozenRowCount: 1}}}}},
			"Invalid requests[0].updateSheetProperties: At least one field must be specified in 'fields'."},
		{"updateCells without fields", []*sheets.Request{{UpdateCells: &sheets.UpdateCellsRequest{Start: &sheets.GridCoordinate{}, Rows: []*sheets.RowData{textRow("a")}}}},
			"Invalid requests[0].updateCells: At least one field must be specified in 'fields'."},
		{"repeatCell without fields", []*sheets.Request{{RepeatCell: &sheets.RepeatCellRequest{Range: &sheets.GridRange{}, Cell: &sheets.CellData{}}}},
			"Invalid requests[0].repeatCell: At least one field must be specified in 'fields'."},
		{"appendCells without fields", []*sheets.Request{{AppendCells: &sheets.AppendCellsRequest{Rows: []*sheets.RowData{textRow("a")}}}},
			"Invalid requests[0].appendCells: At least one field must be specified in 'fields'."},
		{"mask naming a missing field", []*sheets.Request{{UpdateSheetProperties: &sheets.UpdateSheetPropertiesRequest{Fields: "gridProperties.frozenRows",
			Properties: &sheets.SheetProperties{}}}},
			"Invalid requests[0].updateSheetProperties: Invalid field mask path: gridProperties.frozenRows is not a field of SheetProperties"},
		{"cell mask with the row prefix", []*sheets.Request{{UpdateCells: &sheets.UpdateCellsRequest{Fields: "rows.values.userEnteredValue",
			Start: &sheets.GridCoordinate{}, Rows: []*sheets.RowData{textRow("a")}}}},
			"Invalid requests[0].updateCells: Invalid field mask path: rows is not a field of CellData"},
		{"repeatCell mask rooted at cell", []*sheets.Request{{RepeatCell: &sheets.RepeatCellRequest{Fields: "cell.userEnteredFormat",
			Range: &sheets.GridRange{}, Cell: &sheets.CellData{}}}},
			"Invalid requests[0].repeatCell: Invalid field mask path: cell is not a field of CellData"},
		{"updateCells past the grid", []*sheets.Request{updateCells(0, 999, 25, textRow("a", "b"))},
			"Invalid requests[0].updateCells: Range (Sheet1!AA1000) exceeds grid limits. Max rows: 1000, max columns: 26"},
		{"updateCells below the grid", []*sheets.Request{updateCells(0, 1000, 0, textRow("a"))},
			"Invalid requests[0].updateCells: Range (Sheet1!A1001) exceeds grid limits. Max rows: 1000, max columns: 26"},
		{"repeatCell past the grid", []*sheets.Request{{RepeatCell: &sheets.RepeatCellRequest{Fields: "note",
			Range: &sheets.GridRange{StartRowIndex: 5, EndRowIndex: 1001}, Cell: &sheets.CellData{Note: "x"}}}},
			"Invalid requests[0].repeatCell: Range (Sheet1!A1001) exceeds grid limits. Max rows: 1000, max columns: 26"},
		{"frozen all rows", []*sheets.Request{addSheet(5, "Tiny", 2, 2),
			{UpdateSheetProperties: &sheets.UpdateSheetPropertiesRequest{Fields: "gridProperties.frozenRowCount",
				Properties: &sheets.SheetProperties{SheetId: 5, GridProperties: &sheets.GridProperties{FrozenRowCount: 2}}}}},
			"Invalid requests[1].updateSheetProperties: You can't freeze all visible rows on the sheet."},
		{"delete every row", []*sheets.Request{{DeleteDimension: &sheets.DeleteDimensionRequest{Range: dim(0, "ROWS", 0, 1000)}}},
			"Invalid requests[0].deleteDimension: You can't delete all the rows on the sheet."},
		{"delete past the grid", []*sheets.Request{{DeleteDimension: &sheets.DeleteDimensionRequest{Range: dim(0, "COLUMNS", 20, 30)}}},
			"Invalid requests[0].deleteDimension: Invalid dimension range: endIndex 30 is past the 26 columns of the grid."},
		{"insert past the grid", []*sheets.Request{{InsertDimension: &sheets.InsertDimensionRequest{Range: dim(0, "ROWS", 1001, 1002)}}},
			"Invalid requests[0].insertDimension: Invalid dimension range: startIndex 1001 is past the end of the grid (1000)."},
		{"dimension unset", []*sheets.Request{{AppendDimension: &sheets.AppendDimensionRequest{Length: 3}}},
			"Invalid requests[0].appendDimension: dimension must be ROWS or COLUMNS"},
		{"unsupported request", []*sheets.Request{{MergeCells: &sheets.MergeCellsRequest{Range: &sheets.GridRange{}, MergeType: "MERGE_ALL"}}},
			"Invalid requests[0].mergeCells: sheetstest does not support the mergeCells request"},
		{"no requests", nil, "Must specify at least one request."},
		{"empty request", []*sheets.Request{{}}, "Invalid requests[0]: No request set."},
		{"two kinds in one request", []*sheets.Request{{DeleteSheet: &sheets.DeleteSheetRequest{}, AddSheet: &sheets.AddSheetRequest{}}},
			"Invalid requests[0]: Only one request kind may be set per request, found addSheet, deleteSheet."},
		{"two values in a cell", []*sheets.Request{{UpdateCells: &sheets.UpdateCellsRequest{Fields: "userEnteredValue", Start: &sheets.GridCoordinate{},
			Rows: []*sheets.RowData{{Values: []*sheets.CellData{{UserEnteredValue: &sheets.ExtendedValue{StringValue: ptr("a"), NumberValue: ptr(1.0)}}}}}}}},
			"Invalid requests[0].updateCells: Only one of stringValue, numberValue, boolValue and formulaValue may be set in userEnteredValue"},
		{"a too long cell", []*sheets.Request{updateCells(0, 0, 0, textRow(strings.Repeat("x", 50001)))},
			"Invalid requests[0].updateCells: Your input contains more than the maximum of 50000 characters in a single cell."},
		// Characters are counted in UTF-16 code units: an emoji is 2.
		{"a cell of 25,001 emoji", []*sheets.Request{updateCells(0, 0, 0, textRow(strings.Repeat("😀", 25001)))},
			"Invalid requests[0].updateCells: Your input contains more than the maximum of 50000 characters in a single cell."},
		{"inherit from before at index 0", []*sheets.Request{{InsertDimension: &sheets.InsertDimensionRequest{Range: dim(0, "ROWS", 0, 2), InheritFromBefore: true}}},
			"Invalid requests[0].insertDimension: Cannot inherit properties from before when inserting at index 0."},
		{"delete every non-frozen row", []*sheets.Request{freeze(0, 1), {DeleteDimension: &sheets.DeleteDimensionRequest{Range: dim(0, "ROWS", 1, 1000)}}},
			"Invalid requests[1].deleteDimension: Sorry, it is not possible to delete all non-frozen rows."},
		{"a new tab of frozen rows only", []*sheets.Request{{AddSheet: &sheets.AddSheetRequest{Properties: &sheets.SheetProperties{Title: "Header",
			GridProperties: &sheets.GridProperties{RowCount: 1, ColumnCount: 3, FrozenRowCount: 1}}}}},
			"Invalid requests[0].addSheet: You can't freeze all visible rows on the sheet."},
		{"shrink the rows onto the frozen ones", []*sheets.Request{freeze(0, 2),
			{UpdateSheetProperties: &sheets.UpdateSheetPropertiesRequest{Fields: "gridProperties.rowCount",
				Properties: &sheets.SheetProperties{SheetId: 0, GridProperties: &sheets.GridProperties{RowCount: 2}, ForceSendFields: []string{"SheetId"}}}}},
			"Invalid requests[1].updateSheetProperties: You can't freeze all visible rows on the sheet."},
		{"a title of 101 characters", []*sheets.Request{addSheet(5, strings.Repeat("é", 101), 10, 3)},
			"Invalid requests[0].addSheet: Sheet name is too long: at most 100 characters."},
		{"a blank title", []*sheets.Request{{UpdateSheetProperties: &sheets.UpdateSheetPropertiesRequest{Fields: "title",
			Properties: &sheets.SheetProperties{SheetId: 0, Title: " "}}}},
			"Invalid requests[0].updateSheetProperties: Sheet name cannot be empty."},
		{"a negative sheetId", []*sheets.Request{addSheet(-1, "Neg", 10, 3)},
			"Invalid requests[0].addSheet: Invalid sheetId -1: it must be a non-negative 32-bit integer."},
		{"a sheetId past int32", []*sheets.Request{addSheet(1<<31, "Big", 10, 3)},
			"Invalid requests[0].addSheet: Invalid sheetId 2147483648: it must be a non-negative 32-bit integer."},
		{"updateCells with start and range", []*sheets.Request{{UpdateCells: &sheets.UpdateCellsRequest{Fields: "userEnteredValue",
			Start: &sheets.GridCoordinate{}, Range: &sheets.GridRange{EndRowIndex: 1, EndColumnIndex: 1}, Rows: []*sheets.RowData{textRow("a")}}}},
			"Invalid requests[0].updateCells: Exactly one of start or range must be set."},
		{"a number format without its type", []*sheets.Request{{RepeatCell: &sheets.RepeatCellRequest{Fields: "userEnteredFormat.numberFormat",
			Range: &sheets.GridRange{EndRowIndex: 1, EndColumnIndex: 1}, Cell: &sheets.CellData{UserEnteredFormat: &sheets.CellFormat{NumberFormat: &sheets.NumberFormat{Pattern: "0.00"}}}}}},
			"Invalid requests[0].repeatCell: Invalid userEnteredFormat.numberFormat: type is required when writing a number format."},
		// An unknown enum value fails the parse of the whole batch, before
		// any request is looked at.
		{"an unknown number format type", []*sheets.Request{{DeleteSheet: &sheets.DeleteSheetRequest{SheetId: 77}},
			{UpdateCells: &sheets.UpdateCellsRequest{Fields: "userEnteredFormat", Start: &sheets.GridCoordinate{}, Rows: []*sheets.RowData{{Values: []*sheets.CellData{{},
				{UserEnteredFormat: &sheets.CellFormat{NumberFormat: &sheets.NumberFormat{Type: "NUMBERS", Pattern: "0"}}}}}}}}},
			`Invalid value at 'requests[1].update_cells.rows[0].values[1].user_entered_format.number_format.type' (type.googleapis.com/google.apps.sheets.v4.NumberFormatType), "NUMBERS"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, sheetstest.Options{})
			_, err := batch(t, e, tt.reqs...)
			wantErr(t, err, 400, tt.msg)
		})
	}
}

// TestLimitsAtTheBoundary: what Google accepts right at its limits is
// accepted, so the stand-in is not stricter than Google there.
func TestLimitsAtTheBoundary(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	title := strings.Repeat("é", 100)
	full := strings.Repeat("😀", 24_999) + "ab" // 50,000 UTF-16 code units
	mustBatch(t, e,
		addSheet(2147483647, title, 2, 3),
		freeze(2147483647, 1),
		&sheets.Request{InsertDimension: &sheets.InsertDimensionRequest{Range: dim(2147483647, "ROWS", 1, 2), InheritFromBefore: true}},
		&sheets.Request{DeleteDimension: &sheets.DeleteDimensionRequest{Range: dim(2147483647, "ROWS", 2, 3)}},
		updateCells(2147483647, 1, 0, textRow(full)))
	got := tab(t, e, title)
	if got.RowCount != 2 || got.FrozenRows != 1 || len(got.Rows) != 2 || *got.Rows[1][0].String != full {
		t.Errorf("tab %dx%d, %d frozen, %d rows of values; want 2 rows, 1 frozen, the long cell kept", got.RowCount, got.ColumnCount, got.FrozenRows, len(got.Rows))
	}
}

func TestCellLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	// 26,000 cells in Sheet1, plus 9,970,000 = 9,996,000.
	e.srv.AddSheet(docID, "Big", 997_000, 10)
	if n := e.srv.CellCount(docID); n != 9_996_000 {
		t.Fatalf("CellCount = %d", n)
	}
	const over = "This action would increase the number of cells in the workbook above the limit of 10000000 cells."
	tests := []struct {
		name string
		reqs []*sheets.Request
		msg  string // "" succeeds
	}{
		{"a tab that fits", []*sheets.Request{addSheet(5, "Fits", 400, 10)}, ""},
		{"a default tab does not", []*sheets.Request{{AddSheet: &sheets.AddSheetRequest{}}}, "Invalid requests[0].addSheet: " + over},
		{"growing rows", []*sheets.Request{{AppendDimension: &sheets.AppendDimensionRequest{SheetId: 0, Dimension: "ROWS", Length: 200}}},
			"Invalid requests[0].appendDimension: " + over},
		{"inserting columns", []*sheets.Request{{InsertDimension: &sheets.InsertDimensionRequest{Range: dim(0, "COLUMNS", 0, 5)}}},
			"Invalid requests[0].insertDimension: " + over},
		{"the limit is checked after each request", []*sheets.Request{addSheet(5, "Over", 1000, 26),
			{DeleteSheet: &sheets.DeleteSheetRequest{SheetId: 5, ForceSendFields: []string{"SheetId"}}}}, "Invalid requests[0].addSheet: " + over},
		{"shrinking first makes room", []*sheets.Request{
			{UpdateSheetProperties: &sheets.UpdateSheetPropertiesRequest{Fields: "gridProperties.rowCount",
				Properties: &sheets.SheetProperties{SheetId: 0, GridProperties: &sheets.GridProperties{RowCount: 10}}}},
			addSheet(5, "Now fits", 1000, 26)}, ""},
		// Rows are applied (and checked) before columns within one request.
		{"rows before columns", []*sheets.Request{{UpdateSheetProperties: &sheets.UpdateSheetPropertiesRequest{Fields: "gridProperties(rowCount,columnCount)",
			Properties: &sheets.SheetProperties{SheetId: 0, GridProperties: &sheets.GridProperties{RowCount: 2000, ColumnCount: 1}}}}},
			"Invalid requests[0].updateSheetProperties: " + over},
		{"columns then rows in two requests", []*sheets.Request{
			{UpdateSheetProperties: &sheets.UpdateSheetPropertiesRequest{Fields: "gridProperties.columnCount",
				Properties: &sheets.SheetProperties{SheetId: 0, GridProperties: &sheets.GridProperties{ColumnCount: 1}}}},
			{UpdateSheetProperties: &sheets.UpdateSheetPropertiesRequest{Fields: "gridProperties.rowCount",
				Properties: &sheets.SheetProperties{SheetId: 0, GridProperties: &sheets.GridProperties{RowCount: 2000}}}}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.srv.Tabs(docID)
			_, err := batch(t, e, tt.reqs...)
			if tt.msg == "" {
				if err != nil {
					t.Fatal(err)
				}
				// Put the spreadsheet back for the next case.
				e.srv.AddSpreadsheet(docID, "Digest", email)
				e.srv.AddSheet(docID, "Big", 997_000, 10)
				return
			}
			wantErr(t, err, 400, tt.msg)
			if diff := cmp.Diff(before, e.srv.Tabs(docID)); diff != "" {
				t.Errorf("changed (-before +after):\n%s", diff)
			}
		})
	}
	// values.append grows the grid too, and is refused past the limit.
	e.srv.AddSpreadsheet(docID, "Digest", email)
	e.srv.AddSheet(docID, "Big", 998_999, 10)
	_, err := e.svc.Spreadsheets.Values.Append(docID, "Sheet1!A1", &sheets.ValueRange{Values: [][]any{{"a"}}}).
		ValueInputOption("RAW").InsertDataOption("INSERT_ROWS").Context(t.Context()).Do()
	wantErr(t, err, 400, over)
}

func TestDimensions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	mustBatch(t, e, addSheet(1, "T", 6, 4),
		updateCells(1, 0, 0, textRow("a1", "b1", "c1"), textRow("a2", "b2", "c2"), textRow("a3", "b3", "c3")),
		&sheets.Request{UpdateSheetProperties: &sheets.UpdateSheetPropertiesRequest{Fields: "gridProperties.frozenRowCount",
			Properties: &sheets.SheetProperties{SheetId: 1, GridProperties: &sheets.GridProperties{FrozenRowCount: 1}}}})
	steps := []struct {
		req        *sheets.Request
		rows, cols int
		frozen     int
		want       [][]sheetstest.Cell
	}{
		{&sheets.Request{InsertDimension: &sheets.InsertDimensionRequest{Range: dim(1, "ROWS", 1, 3)}}, 8, 4, 1,
			texts([]string{"a1", "b1", "c1"}, nil, nil, []string{"a2", "b2", "c2"}, []string{"a3", "b3", "c3"})},
		{&sheets.Request{DeleteDimension: &sheets.DeleteDimensionRequest{Range: dim(1, "ROWS", 1, 4)}}, 5, 4, 1,
			texts([]string{"a1", "b1", "c1"}, []string{"a3", "b3", "c3"})},
		{&sheets.Request{InsertDimension: &sheets.InsertDimensionRequest{Range: dim(1, "COLUMNS", 0, 1)}}, 5, 5, 1,
			texts([]string{"", "a1", "b1", "c1"}, []string{"", "a3", "b3", "c3"})},
		{&sheets.Request{DeleteDimension: &sheets.DeleteDimensionRequest{Range: dim(1, "COLUMNS", 2, 3)}}, 5, 4, 1,
			texts([]string{"", "a1", "c1"}, []string{"", "a3", "c3"})},
		{&sheets.Request{AppendDimension: &sheets.AppendDimensionRequest{SheetId: 1, Dimension: "ROWS", Length: 10}}, 15, 4, 1,
			texts([]string{"", "a1", "c1"}, []string{"", "a3", "c3"})},
		// Inserting above the frozen row grows the frozen area.
		{&sheets.Request{InsertDimension: &sheets.InsertDimensionRequest{Range: dim(1, "ROWS", 0, 1)}}, 16, 4, 2,
			texts(nil, []string{"", "a1", "c1"}, []string{"", "a3", "c3"})},
		// Shrinking the grid drops what lies outside it.
		{&sheets.Request{UpdateSheetProperties: &sheets.UpdateSheetPropertiesRequest{Fields: "gridProperties(rowCount,columnCount)",
			Properties: &sheets.SheetProperties{SheetId: 1, GridProperties: &sheets.GridProperties{RowCount: 3, ColumnCount: 2}}}}, 3, 2, 2,
			texts(nil, []string{"", "a1"}, []string{"", "a3"})},
		{&sheets.Request{UpdateSheetProperties: &sheets.UpdateSheetPropertiesRequest{Fields: "gridProperties(rowCount,columnCount)",
			Properties: &sheets.SheetProperties{SheetId: 1, GridProperties: &sheets.GridProperties{RowCount: 30, ColumnCount: 5}}}}, 30, 5, 2,
			texts(nil, []string{"", "a1"}, []string{"", "a3"})},
	}
	for i, st := range steps {
		mustBatch(t, e, st.req)
		got := tab(t, e, "T")
		if got.RowCount != st.rows || got.ColumnCount != st.cols || got.FrozenRows != st.frozen {
			t.Errorf("step %d: grid %dx%d frozen %d, want %dx%d frozen %d", i, got.RowCount, got.ColumnCount, got.FrozenRows, st.rows, st.cols, st.frozen)
		}
		if diff := cmp.Diff(st.want, got.Rows); diff != "" {
			t.Errorf("step %d rows (-want +got):\n%s", i, diff)
		}
	}
}

func TestInsertInheritsFormats(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	date := &sheets.CellFormat{NumberFormat: &sheets.NumberFormat{Type: "DATE", Pattern: "yyyy-mm-dd"}}
	mustBatch(t, e, &sheets.Request{RepeatCell: &sheets.RepeatCellRequest{Fields: "userEnteredFormat.numberFormat",
		Range: &sheets.GridRange{SheetId: 0, StartRowIndex: 1, EndRowIndex: 3, EndColumnIndex: 1}, Cell: &sheets.CellData{UserEnteredFormat: date}}})
	mustBatch(t, e, &sheets.Request{InsertDimension: &sheets.InsertDimensionRequest{Range: dim(0, "ROWS", 3, 5), InheritFromBefore: true}},
		&sheets.Request{UpdateCells: &sheets.UpdateCellsRequest{Fields: "userEnteredValue", Start: &sheets.GridCoordinate{RowIndex: 1},
			Rows: []*sheets.RowData{numRow(45444), numRow(45445), numRow(45446), numRow(45447), numRow(45448)}}})
	vr, err := e.svc.Spreadsheets.Values.Get(docID, "A1:A").Context(t.Context()).Do()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]any{{}, {"2024-06-01"}, {"2024-06-02"}, {"2024-06-03"}, {"2024-06-04"}, {"45448"}}
	if diff := cmp.Diff(want, vr.Values); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
}

func numRow(vals ...float64) *sheets.RowData {
	rd := &sheets.RowData{}
	for _, v := range vals {
		rd.Values = append(rd.Values, &sheets.CellData{UserEnteredValue: &sheets.ExtendedValue{NumberValue: ptr(v)}})
	}
	return rd
}

func TestCellMasks(t *testing.T) {
	t.Parallel()
	bold := &sheets.CellFormat{TextFormat: &sheets.TextFormat{Bold: true}}
	money := &sheets.CellFormat{NumberFormat: &sheets.NumberFormat{Type: "NUMBER", Pattern: "#,##0.00"}}
	both := &sheets.CellFormat{TextFormat: &sheets.TextFormat{Bold: true}, NumberFormat: &sheets.NumberFormat{Type: "NUMBER", Pattern: "#,##0.00"}}
	start := &sheets.CellData{UserEnteredValue: &sheets.ExtendedValue{NumberValue: ptr(5.0)}, UserEnteredFormat: both, Note: "n"}
	tests := []struct {
		fields string
		cell   *sheets.CellData
		want   sheetstest.Cell
	}{
		{"userEnteredValue", &sheets.CellData{UserEnteredValue: &sheets.ExtendedValue{StringValue: ptr("x")}, UserEnteredFormat: money},
			sheetstest.Cell{String: ptr("x"), Type: "NUMBER", Pattern: "#,##0.00", Bold: true, Note: "n"}},
		{"userEnteredValue", &sheets.CellData{},
			sheetstest.Cell{Type: "NUMBER", Pattern: "#,##0.00", Bold: true, Note: "n"}},
		// A whole userEnteredFormat replaces the format.
		{"userEnteredFormat", &sheets.CellData{UserEnteredFormat: bold},
			sheetstest.Cell{Number: ptr(5.0), Bold: true, Note: "n"}},
		// A path merges into it.
		{"userEnteredFormat.numberFormat", &sheets.CellData{UserEnteredFormat: &sheets.CellFormat{NumberFormat: &sheets.NumberFormat{Type: "DATE", Pattern: "yyyy-mm-dd"}}},
			sheetstest.Cell{Number: ptr(5.0), Type: "DATE", Pattern: "yyyy-mm-dd", Bold: true, Note: "n"}},
		{"userEnteredFormat.textFormat.bold", &sheets.CellData{},
			sheetstest.Cell{Number: ptr(5.0), Type: "NUMBER", Pattern: "#,##0.00", Note: "n"}},
		{"userEnteredFormat(textFormat.bold,numberFormat)", &sheets.CellData{UserEnteredFormat: bold},
			sheetstest.Cell{Number: ptr(5.0), Bold: true, Note: "n"}},
		{"*", &sheets.CellData{UserEnteredValue: &sheets.ExtendedValue{BoolValue: ptr(true)}},
			sheetstest.Cell{Bool: ptr(true)}},
		{"note,effectiveValue", &sheets.CellData{Note: "m"},
			sheetstest.Cell{Number: ptr(5.0), Type: "NUMBER", Pattern: "#,##0.00", Bold: true, Note: "m"}},
	}
	for _, tt := range tests {
		t.Run(tt.fields, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, sheetstest.Options{})
			mustBatch(t, e, &sheets.Request{UpdateCells: &sheets.UpdateCellsRequest{Fields: "*", Start: &sheets.GridCoordinate{},
				Rows: []*sheets.RowData{{Values: []*sheets.CellData{start, {UserEnteredValue: &sheets.ExtendedValue{StringValue: ptr("keep")}}}}}}})
			mustBatch(t, e, &sheets.Request{RepeatCell: &sheets.RepeatCellRequest{Fields: tt.fields,
				Range: &sheets.GridRange{EndRowIndex: 1, EndColumnIndex: 1}, Cell: tt.cell}})
			got := tab(t, e, "Sheet1").Rows
			want := [][]sheetstest.Cell{{tt.want, str("keep")}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestUpdateCellsRangeClears(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	mustBatch(t, e, updateCells(0, 0, 0, textRow("a", "b", "c"), textRow("d", "e", "f"), textRow("g", "h", "i")))
	// The range is 2x3 but the rows cover 1x2: the rest of the range is
	// cleared, what lies outside it is kept.
	mustBatch(t, e, &sheets.Request{UpdateCells: &sheets.UpdateCellsRequest{Fields: "userEnteredValue",
		Range: &sheets.GridRange{StartRowIndex: 0, EndRowIndex: 2, StartColumnIndex: 0, EndColumnIndex: 3},
		Rows:  []*sheets.RowData{textRow("x", "y")}}})
	want := texts([]string{"x", "y"}, nil, []string{"g", "h", "i"})
	if diff := cmp.Diff(want, tab(t, e, "Sheet1").Rows); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	_, err := batch(t, e, &sheets.Request{UpdateCells: &sheets.UpdateCellsRequest{Fields: "userEnteredValue",
		Range: &sheets.GridRange{EndRowIndex: 1, EndColumnIndex: 1}, Rows: []*sheets.RowData{textRow("x", "y")}}})
	wantErr(t, err, 400, "Invalid requests[0].updateCells: The rows (1 x 2) do not fit in the range Sheet1!A1.")
}

func TestAppendCells(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	mustBatch(t, e, addSheet(3, "Log", 2, 2), updateCells(3, 0, 0, textRow("h1", "h2")))
	app := &sheets.Request{AppendCells: &sheets.AppendCellsRequest{SheetId: 3, Fields: "userEnteredValue", Rows: []*sheets.RowData{textRow("a", "b"), textRow("c")}}}
	mustBatch(t, e, app)
	mustBatch(t, e, app) // not idempotent, by design
	got := tab(t, e, "Log")
	if got.RowCount != 5 {
		t.Errorf("rowCount %d, want the grid grown to 5", got.RowCount)
	}
	want := texts([]string{"h1", "h2"}, []string{"a", "b"}, []string{"c"}, []string{"a", "b"}, []string{"c"})
	if diff := cmp.Diff(want, got.Rows); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestSortRange(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	mustBatch(t, e, updateCells(0, 0, 0, textRow("h"), numRow(3), textRow("b"), numRow(1), textRow(""), textRow("a")))
	mustBatch(t, e, &sheets.Request{SortRange: &sheets.SortRangeRequest{Range: &sheets.GridRange{StartRowIndex: 1, EndRowIndex: 6, EndColumnIndex: 1},
		SortSpecs: []*sheets.SortSpec{{DimensionIndex: 0, SortOrder: "ASCENDING"}}}})
	want := [][]sheetstest.Cell{{str("h")}, {num(1)}, {num(3)}, {str("a")}, {str("b")}}
	if diff := cmp.Diff(want, tab(t, e, "Sheet1").Rows); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestBatchLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	one := `{"autoResizeDimensions":{"dimensions":{"dimension":"COLUMNS","endIndex":1}}}`
	body := `{"requests":[` + strings.Repeat(one+",", sheetstest.MaxRequestsPerBatch) + one + `]}`
	req, _ := http.NewRequestWithContext(t.Context(), "POST", e.srv.URL+"/v4/spreadsheets/"+docID+":batchUpdate", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token(t, e))
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var got struct{ Error struct{ Message string } }
	_ = json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if resp.StatusCode != 400 || got.Error.Message != "Cannot exceed 100000 requests in a single batch." {
		t.Errorf("got %d %q", resp.StatusCode, got.Error.Message)
	}

	big := strings.Repeat("x", 40000)
	var rows []*sheets.RowData
	for range 300 {
		rows = append(rows, textRow(big))
	}
	_, err = batch(t, e, &sheets.Request{UpdateCells: &sheets.UpdateCellsRequest{Fields: "userEnteredValue", Start: &sheets.GridCoordinate{}, Rows: rows}})
	wantErr(t, err, 413, "Request payload size exceeds the limit: 10485760 bytes.")
}

func TestUnknownJSONFields(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	tok := token(t, e)
	body := `{"requests":[{"addSheet":{"properties":{"title":"X","gridProperties":{"rows":5}}}}]}`
	req, _ := http.NewRequestWithContext(t.Context(), "POST", e.srv.URL+"/v4/spreadsheets/"+docID+":batchUpdate", bytes.NewBufferString(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct{ Error struct{ Message string } }
	_ = json.NewDecoder(resp.Body).Decode(&got)
	if resp.StatusCode != 400 || !strings.Contains(got.Error.Message, `Unknown name "rows"`) {
		t.Errorf("got %d %q", resp.StatusCode, got.Error.Message)
	}
}

func TestTabIndexAndTitleChanges(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	mustBatch(t, e, addSheet(1, "A", 5, 5), addSheet(2, "B", 5, 5),
		&sheets.Request{AddSheet: &sheets.AddSheetRequest{Properties: &sheets.SheetProperties{SheetId: 3, Title: "First", Index: 0,
			ForceSendFields: []string{"Index"}}}},
		&sheets.Request{UpdateSheetProperties: &sheets.UpdateSheetPropertiesRequest{Fields: "index,title",
			Properties: &sheets.SheetProperties{SheetId: 2, Index: 1, Title: "B2"}}},
		&sheets.Request{DeleteSheet: &sheets.DeleteSheetRequest{SheetId: 0, ForceSendFields: []string{"SheetId"}}},
	)
	var got []string
	for _, tb := range e.srv.Tabs(docID) {
		got = append(got, fmt.Sprintf("%d:%s:%d", tb.Index, tb.Title, tb.SheetID))
	}
	if diff := cmp.Diff([]string{"0:First:3", "1:B2:2", "2:A:1"}, got); diff != "" {
		t.Errorf("tabs (-want +got):\n%s", diff)
	}
}

func TestIncludeSpreadsheetInResponse(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	resp, err := e.svc.Spreadsheets.BatchUpdate(docID, &sheets.BatchUpdateSpreadsheetRequest{
		Requests:                     []*sheets.Request{addSheet(3, "New", 5, 2), updateCells(3, 0, 0, textRow("v"))},
		IncludeSpreadsheetInResponse: true, ResponseRanges: []string{"New!A1:B2"}, ResponseIncludeGridData: true,
	}).Context(t.Context()).Do()
	if err != nil {
		t.Fatal(err)
	}
	us := resp.UpdatedSpreadsheet
	if us == nil || len(us.Sheets) != 1 || us.Sheets[0].Properties.Title != "New" || len(us.Sheets[0].Data) != 1 ||
		us.Sheets[0].Data[0].RowData[0].Values[0].FormattedValue != "v" {
		b, _ := json.Marshal(us)
		t.Errorf("updatedSpreadsheet %s", b)
	}
}

func TestGetWholeGridData(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	e.srv.SetValues(docID, "B2", [][]any{{"x", nil, 3}})
	ss, err := e.svc.Spreadsheets.Get(docID).IncludeGridData(true).Context(t.Context()).Do()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(ss.Sheets[0].Data)
	const want = `[{"rowData":[{},{"values":[{},{"effectiveValue":{"stringValue":"x"},"formattedValue":"x","userEnteredValue":{"stringValue":"x"}},{},{"effectiveValue":{"numberValue":3},"formattedValue":"3","userEnteredValue":{"numberValue":3}}]}]}]`
	if string(b) != want {
		t.Errorf("data\n got %s\nwant %s", b, want)
	}
	ss, err = e.svc.Spreadsheets.Get(docID).Context(t.Context()).Do()
	if err != nil {
		t.Fatal(err)
	}
	if ss.Sheets[0].Data != nil || ss.SpreadsheetUrl == "" || ss.Properties.Locale != "en_US" {
		t.Errorf("get without grid data: %+v", ss)
	}
}

func TestCreateRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	_, err := e.svc.Spreadsheets.Create(&sheets.Spreadsheet{Properties: &sheets.SpreadsheetProperties{Title: "New"}}).Context(t.Context()).Do()
	wantErr(t, err, 403, "The user's Drive storage quota has been exceeded.")
}

func TestUpdateSheetPropertiesStar(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	mustBatch(t, e, addSheet(1, "A", 5, 5), addSheet(2, "B", 5, 5),
		&sheets.Request{UpdateSheetProperties: &sheets.UpdateSheetPropertiesRequest{Fields: "*",
			Properties: &sheets.SheetProperties{SheetId: 2, Title: "B2", Index: 0,
				GridProperties: &sheets.GridProperties{RowCount: 3, ColumnCount: 2, FrozenRowCount: 1}}}})
	got := e.srv.Tabs(docID)
	if got[0].Title != "B2" || got[0].RowCount != 3 || got[0].ColumnCount != 2 || got[0].FrozenRows != 1 || got[0].SheetID != 2 {
		t.Errorf("tabs %+v", got)
	}
	// "*" replaces every field: without gridProperties the grid would be 0x0.
	_, err := batch(t, e, &sheets.Request{UpdateSheetProperties: &sheets.UpdateSheetPropertiesRequest{Fields: "*",
		Properties: &sheets.SheetProperties{SheetId: 2, Title: "B3"}}})
	wantErr(t, err, 400, "Invalid requests[0].updateSheetProperties: Grid row count must be at least 1.")
}
