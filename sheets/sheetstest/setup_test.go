package sheetstest_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/api/sheets/v4"

	"github.com/eflow-digest/eflow-digest/sheets/sheetstest"
)

func TestSetupHelpers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	id := e.srv.AddSheet(docID, "Big", 10, 4)
	e.srv.SetValues(docID, "Big!A1", [][]any{{"a"}, {sheetstest.Cell{Formula: "=-(2^3)+1"}}})
	e.srv.SetValues(docID, "Sheet1!A1", [][]any{{"a", 1, int64(2), 2.5, true, nil, float32(0.5)}})
	vr, err := e.svc.Spreadsheets.Values.Get(docID, "Sheet1!1:1").ValueRenderOption("UNFORMATTED_VALUE").Context(t.Context()).Do()
	if err != nil || !cmp.Equal([][]any{{"a", 1.0, 2.0, 2.5, true, "", 0.5}}, vr.Values) {
		t.Errorf("SetValues types: %v %v", err, vr.Values)
	}
	e.srv.SetGrid(docID, "big", 5_000_000, 1)
	got := tab(t, e, "Big")
	want := sheetstest.Tab{SheetID: id, Title: "Big", Index: 1, RowCount: 5_000_000, ColumnCount: 1,
		Rows: [][]sheetstest.Cell{{str("a")}, {{Formula: "=-(2^3)+1", Number: ptr(-7.0)}}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if n := e.srv.CellCount(docID); n != 5_026_000 {
		t.Errorf("CellCount %d", n)
	}
	// A 5,000,000-cell tab is cheap to read and to change.
	vr, err = e.svc.Spreadsheets.Values.Get(docID, "Big!A:A").Context(t.Context()).Do()
	if err != nil || vr.Range != "Big!A1:A5000000" || len(vr.Values) != 2 {
		t.Fatalf("read: %v %v", err, vr)
	}
	mustBatch(t, e, &sheets.Request{InsertDimension: &sheets.InsertDimensionRequest{Range: dim(id, "ROWS", 0, 1)}},
		&sheets.Request{UpdateSpreadsheetProperties: &sheets.UpdateSpreadsheetPropertiesRequest{Fields: "title",
			Properties: &sheets.SpreadsheetProperties{Title: "Renamed"}}})
	if got := e.srv.Title(docID); got != "Renamed" {
		t.Errorf("title %q", got)
	}
	if got := tab(t, e, "Big"); got.RowCount != 5_000_001 || len(got.Rows) != 3 {
		t.Errorf("after insert: %d rows, %d used", got.RowCount, len(got.Rows))
	}
	if !(sheetstest.Cell{}).IsZero() || str("x").IsZero() {
		t.Error("IsZero")
	}
}

func TestExpireTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	if err := doGet(e, t); err != nil {
		t.Fatal(err)
	}
	e.srv.ExpireTokens()
	// The client still holds its token, which the server now refuses.
	err := doGet(e, t)
	if err == nil || apiErr(t, err).Code != 401 {
		t.Errorf("after ExpireTokens: %v, want 401", err)
	}
	if st := e.srv.Stats(); st.Unauthenticated != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestInsertColumnsInheritFormats(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	bold := sheetstest.Cell{String: ptr("h"), Bold: true}
	e.srv.SetValues(docID, "A1", [][]any{{bold, "x"}})
	mustBatch(t, e, &sheets.Request{InsertDimension: &sheets.InsertDimensionRequest{Range: dim(0, "COLUMNS", 1, 2), InheritFromBefore: true}},
		&sheets.Request{InsertDimension: &sheets.InsertDimensionRequest{Range: dim(0, "COLUMNS", 0, 1)}})
	mustBatch(t, e, updateCells(0, 0, 0, textRow("new", "", "mid")))
	// Writing "" empties a cell; its format stays.
	want := [][]sheetstest.Cell{{{String: ptr("new"), Bold: true}, {Bold: true}, {String: ptr("mid"), Bold: true}, str("x")}}
	if diff := cmp.Diff(want, tab(t, e, "Sheet1").Rows); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got := tab(t, e, "Sheet1").ColumnCount; got != 28 {
		t.Errorf("columns %d", got)
	}
}
