package sheetstest_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/api/sheets/v4"

	"github.com/eflow-digest/eflow-digest/sheets/sheetstest"
)

func TestSmokeRoundTrip(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	ctx := t.Context()
	resp, err := e.svc.Spreadsheets.BatchUpdate(docID, &sheets.BatchUpdateSpreadsheetRequest{Requests: []*sheets.Request{
		{AddSheet: &sheets.AddSheetRequest{Properties: &sheets.SheetProperties{SheetId: 7, Title: "Daily",
			GridProperties: &sheets.GridProperties{RowCount: 10, ColumnCount: 3, FrozenRowCount: 1}}}},
		{UpdateCells: &sheets.UpdateCellsRequest{Fields: "userEnteredValue,userEnteredFormat", Start: &sheets.GridCoordinate{SheetId: 7},
			Rows: []*sheets.RowData{{Values: []*sheets.CellData{
				{UserEnteredValue: &sheets.ExtendedValue{StringValue: ptr("Date")}, UserEnteredFormat: &sheets.CellFormat{TextFormat: &sheets.TextFormat{Bold: true}}},
				{UserEnteredValue: &sheets.ExtendedValue{StringValue: ptr("Revenue")}},
			}}, {Values: []*sheets.CellData{
				{UserEnteredValue: &sheets.ExtendedValue{NumberValue: ptr(45444.0)}, UserEnteredFormat: &sheets.CellFormat{NumberFormat: &sheets.NumberFormat{Type: "DATE", Pattern: "yyyy-mm-dd"}}},
				{UserEnteredValue: &sheets.ExtendedValue{NumberValue: ptr(1234.5)}, UserEnteredFormat: &sheets.CellFormat{NumberFormat: &sheets.NumberFormat{Type: "NUMBER", Pattern: "#,##0.00"}}},
			}}}}},
	}}).Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", resp.Replies[0].AddSheet.Properties)
	ss, err := e.svc.Spreadsheets.Get(docID).Fields("properties.title,sheets.properties(sheetId,title,index,gridProperties(rowCount,columnCount,frozenRowCount))").Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := ss.MarshalJSON()
	t.Logf("%s", b)
	vr, err := e.svc.Spreadsheets.Values.Get(docID, "Daily!A:B").Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([][]any{{"Date", "Revenue"}, {"2024-06-01", "1,234.50"}}, vr.Values); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
	t.Log(vr.Range)
	t.Log("\n" + e.srv.Render(docID))
}
