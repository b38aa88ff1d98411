package sheetstest_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/api/sheets/v4"

	"github.com/eflow-digest/eflow-digest/sheets/sheetstest"
)

func TestValueInputOptions(t *testing.T) {
	t.Parallel()
	date := func(n float64, typ, p string) sheetstest.Cell {
		return sheetstest.Cell{Number: ptr(n), Type: typ, Pattern: p}
	}
	tests := []struct {
		in       any
		raw, usr sheetstest.Cell
	}{
		{"=1+1", str("=1+1"), sheetstest.Cell{Formula: "=1+1", Number: ptr(2.0)}},
		{"=SUM(A1:A3)", str("=SUM(A1:A3)"), sheetstest.Cell{Formula: "=SUM(A1:A3)"}},
		{"=1/0", str("=1/0"), sheetstest.Cell{Formula: "=1/0", Error: "#DIV/0!"}},
		{"00123", str("00123"), num(123)},
		{"1e5", str("1e5"), num(100000)},
		{"1,234.5", str("1,234.5"), num(1234.5)},
		{"-3.25", str("-3.25"), num(-3.25)},
		{"TRUE", str("TRUE"), sheetstest.Cell{Bool: ptr(true)}},
		{"false", str("false"), sheetstest.Cell{Bool: ptr(false)}},
		{"2024-01-02", str("2024-01-02"), date(45293, "DATE", "yyyy-mm-dd")},
		{"1/2/2024", str("1/2/2024"), date(45293, "DATE", "M/d/yyyy")},
		{"2024-01-02 12:00:00", str("2024-01-02 12:00:00"), date(45293.5, "DATE_TIME", "yyyy-mm-dd hh:mm:ss")},
		{"50%", str("50%"), date(0.5, "PERCENT", "0%")},
		{"$1.50", str("$1.50"), date(1.5, "CURRENCY", `"$"#,##0.00`)},
		{"'abc", str("'abc"), str("abc")},
		{"'00123", str("'00123"), str("00123")},
		{"+1", str("+1"), num(1)},
		{"@x", str("@x"), str("@x")},
		{"1940 10 5", str("1940 10 5"), str("1940 10 5")},
		{"Offer 7", str("Offer 7"), str("Offer 7")},
		{42.5, num(42.5), num(42.5)},
		{true, sheetstest.Cell{Bool: ptr(true)}, sheetstest.Cell{Bool: ptr(true)}},
	}
	e := newEnv(t, sheetstest.Options{})
	var vals [][]any
	for _, tt := range tests {
		vals = append(vals, []any{tt.in})
	}
	ctx := t.Context()
	if _, err := e.svc.Spreadsheets.Values.Update(docID, "Sheet1!A1", &sheets.ValueRange{Values: vals}).ValueInputOption("RAW").Context(ctx).Do(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Spreadsheets.Values.Update(docID, "B1", &sheets.ValueRange{Values: vals}).ValueInputOption("USER_ENTERED").Context(ctx).Do(); err != nil {
		t.Fatal(err)
	}
	rows := tab(t, e, "Sheet1").Rows
	for i, tt := range tests {
		if diff := cmp.Diff([]sheetstest.Cell{tt.raw, tt.usr}, rows[i]); diff != "" {
			t.Errorf("%v: RAW, USER_ENTERED (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestValueInputOptionRequired(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	ctx := t.Context()
	vr := &sheets.ValueRange{Values: [][]any{{"a"}}}
	_, err := e.svc.Spreadsheets.Values.Update(docID, "A1", vr).Context(ctx).Do()
	wantErr(t, err, 400, "Invalid valueInputOption: INPUT_VALUE_OPTION_UNSPECIFIED")
	_, err = e.svc.Spreadsheets.Values.Update(docID, "A1", vr).ValueInputOption("INPUT_VALUE_OPTION_UNSPECIFIED").Context(ctx).Do()
	wantErr(t, err, 400, "Invalid valueInputOption: INPUT_VALUE_OPTION_UNSPECIFIED")
	_, err = e.svc.Spreadsheets.Values.Append(docID, "A1", vr).Context(ctx).Do()
	wantErr(t, err, 400, "Invalid valueInputOption: INPUT_VALUE_OPTION_UNSPECIFIED")
	_, err = e.svc.Spreadsheets.Values.BatchUpdate(docID, &sheets.BatchUpdateValuesRequest{Data: []*sheets.ValueRange{{Range: "A1", Values: vr.Values}}}).Context(ctx).Do()
	wantErr(t, err, 400, "Invalid valueInputOption: INPUT_VALUE_OPTION_UNSPECIFIED")
	_, err = e.svc.Spreadsheets.Values.Update(docID, "A1", vr).ValueInputOption("raw").Context(ctx).Do()
	wantErr(t, err, 400, `Invalid value at 'value_input_option' (type.googleapis.com/google.apps.sheets.v4.ValueInputOption), "raw"`)
}

func TestA1Ranges(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	mustBatch(t, e, addSheet(1, "It's", 20, 5), addSheet(2, "Daily Revenue", 20, 5), addSheet(3, "2024-06-01", 20, 5), addSheet(4, "A1", 20, 5))
	e.srv.SetValues(docID, "'It''s'!A1", [][]any{{"a1", "b1", "c1"}, {"a2", "b2"}, {}, {"a4"}})
	e.srv.SetValues(docID, "Sheet1!A1", [][]any{{"s1"}})
	e.srv.SetValues(docID, "'A1'!B2", [][]any{{"in A1 tab"}})
	tests := []struct {
		rng, gotRange string
		want          [][]any
		err           string
	}{
		{"'It''s'!A1", "'It''s'!A1", [][]any{{"a1"}}, ""},
		{"'It''s'!A1:B2", "'It''s'!A1:B2", [][]any{{"a1", "b1"}, {"a2", "b2"}}, ""},
		{"'It''s'!A:A", "'It''s'!A1:A20", [][]any{{"a1"}, {"a2"}, {}, {"a4"}}, ""},
		{"'it''S'!B:B", "'It''s'!B1:B20", [][]any{{"b1"}, {"b2"}}, ""},
		{"'It''s'!A2:Z", "", nil, "Range ('It''s'!F2) exceeds grid limits. Max rows: 20, max columns: 5"},
		{"'It''s'!A2:E", "'It''s'!A2:E20", [][]any{{"a2", "b2"}, {}, {"a4"}}, ""},
		{"'It''s'!2:2", "'It''s'!A2:E2", [][]any{{"a2", "b2"}}, ""},
		{"'It''s'!3:20", "'It''s'!A3:E20", [][]any{{}, {"a4"}}, ""},
		{"'It''s'!3:21", "", nil, "Range ('It''s'!A21) exceeds grid limits. Max rows: 20, max columns: 5"},
		{"'It''s'", "'It''s'!A1:E20", [][]any{{"a1", "b1", "c1"}, {"a2", "b2"}, {}, {"a4"}}, ""},
		{"'It''s'!c1:a2", "'It''s'!A1:C2", [][]any{{"a1", "b1", "c1"}, {"a2", "b2"}}, ""},
		{"Sheet1", "Sheet1!A1:Z1000", [][]any{{"s1"}}, ""},
		{"A1:B2", "Sheet1!A1:B2", [][]any{{"s1"}}, ""},
		{"sheet1!A1", "Sheet1!A1", [][]any{{"s1"}}, ""},
		{"'A1'!B2", "'A1'!B2", [][]any{{"in A1 tab"}}, ""},
		{"A1!B2", "", nil, "Unable to parse range: A1!B2"},
		{"'Daily Revenue'!A1", "'Daily Revenue'!A1", nil, ""},
		{"Daily Revenue!A1", "'Daily Revenue'!A1", nil, ""},
		{"'2024-06-01'!A1:B", "'2024-06-01'!A1:B20", nil, ""},
		{"It's!A1", "", nil, "Unable to parse range: It's!A1"},
		{"Testing123", "", nil, "Unable to parse range: Testing123"},
		{"Nope!A1", "", nil, "Unable to parse range: Nope!A1"},
		{"'It''s'!A0", "", nil, "Unable to parse range: 'It''s'!A0"},
		{"'It''s'!A21", "", nil, "Range ('It''s'!A21) exceeds grid limits. Max rows: 20, max columns: 5"},
		{"R1C1:R2C2", "", nil, "Unable to parse range: R1C1:R2C2"},
	}
	for _, tt := range tests {
		t.Run(tt.rng, func(t *testing.T) {
			t.Parallel()
			vr, err := e.svc.Spreadsheets.Values.Get(docID, tt.rng).Context(t.Context()).Do()
			if tt.err != "" {
				wantErr(t, err, 400, tt.err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if vr.Range != tt.gotRange || vr.MajorDimension != "ROWS" {
				t.Errorf("range %q %s, want %q ROWS", vr.Range, vr.MajorDimension, tt.gotRange)
			}
			if diff := cmp.Diff(tt.want, vr.Values); diff != "" {
				t.Errorf("values (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRenderOptions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	e.srv.SetValues(docID, "A1", [][]any{{
		sheetstest.Cell{Number: ptr(45444.0), Type: "DATE", Pattern: "yyyy-mm-dd"},
		sheetstest.Cell{Number: ptr(1234.5), Type: "NUMBER", Pattern: "#,##0.00"},
		sheetstest.Cell{Formula: "=3*4", Type: "NUMBER", Pattern: "0.0"},
		sheetstest.Cell{Number: ptr(45444.75), Type: "DATE_TIME", Pattern: "yyyy-mm-dd hh:mm:ss"},
		true, "text", 7,
	}})
	tests := []struct {
		value, date string
		want        []any
	}{
		{"", "", []any{"2024-06-01", "1,234.50", "12.0", "2024-06-01 18:00:00", "TRUE", "text", "7"}},
		{"FORMATTED_VALUE", "FORMATTED_STRING", []any{"2024-06-01", "1,234.50", "12.0", "2024-06-01 18:00:00", "TRUE", "text", "7"}},
		{"UNFORMATTED_VALUE", "", []any{45444.0, 1234.5, 12.0, 45444.75, true, "text", 7.0}},
		{"UNFORMATTED_VALUE", "FORMATTED_STRING", []any{"2024-06-01", 1234.5, 12.0, "2024-06-01 18:00:00", true, "text", 7.0}},
		{"FORMULA", "SERIAL_NUMBER", []any{45444.0, 1234.5, "=3*4", 45444.75, true, "text", 7.0}},
	}
	for _, tt := range tests {
		t.Run(tt.value+"/"+tt.date, func(t *testing.T) {
			t.Parallel()
			call := e.svc.Spreadsheets.Values.Get(docID, "Sheet1!1:1")
			if tt.value != "" {
				call = call.ValueRenderOption(tt.value)
			}
			if tt.date != "" {
				call = call.DateTimeRenderOption(tt.date)
			}
			vr, err := call.Context(t.Context()).Do()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([][]any{tt.want}, vr.Values); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	_, err := e.svc.Spreadsheets.Values.Get(docID, "A1").ValueRenderOption("PRETTY").Context(t.Context()).Do()
	wantErr(t, err, 400, `Invalid value at 'value_render_option' (type.googleapis.com/google.apps.sheets.v4.ValueRenderOption), "PRETTY"`)
}

func TestValuesWriteShapes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	ctx := t.Context()
	raw := func(rng string, vr *sheets.ValueRange) (*sheets.UpdateValuesResponse, error) {
		return e.svc.Spreadsheets.Values.Update(docID, rng, vr).ValueInputOption("RAW").Context(ctx).Do()
	}
	// A single cell is an anchor for any amount of data.
	resp, err := raw("'Sheet1'!B2", &sheets.ValueRange{Values: [][]any{{"a", "b", "c"}, {"d"}, {nil, nil, "e"}}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.UpdatedRange != "Sheet1!B2:D4" || resp.UpdatedRows != 3 || resp.UpdatedColumns != 3 || resp.UpdatedCells != 5 {
		t.Errorf("update response %+v", resp)
	}
	// nil leaves a cell alone; "" clears it.
	if _, err := raw("Sheet1!B2:D2", &sheets.ValueRange{Values: [][]any{{nil, "", "C"}}}); err != nil {
		t.Fatal(err)
	}
	want := texts(nil, []string{"", "a", "", "C"}, []string{"", "d"}, []string{"", "", "", "e"})
	if diff := cmp.Diff(want, tab(t, e, "Sheet1").Rows); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	_, err = raw("Sheet1!A1:B2", &sheets.ValueRange{Values: [][]any{{"a", "b", "c"}}})
	wantErr(t, err, 400, "Requested writing within range [Sheet1!A1:B2], but tried writing to column [C]")
	_, err = raw("Sheet1!A1:B2", &sheets.ValueRange{Values: [][]any{{"a"}, {"b"}, {"c"}}})
	wantErr(t, err, 400, "Requested writing within range [Sheet1!A1:B2], but tried writing to row [3]")
	_, err = raw("Sheet1!A1000", &sheets.ValueRange{Values: [][]any{{"a"}, {"b"}}})
	wantErr(t, err, 400, "Range (Sheet1!A1001) exceeds grid limits. Max rows: 1000, max columns: 26")
	_, err = raw("Sheet1!Z1", &sheets.ValueRange{Values: [][]any{{"a", "b"}}})
	wantErr(t, err, 400, "Range (Sheet1!AA1) exceeds grid limits. Max rows: 1000, max columns: 26")
	_, err = raw("Sheet1!A1", &sheets.ValueRange{Range: "Sheet1!B1", Values: [][]any{{"a"}}})
	wantErr(t, err, 400, "Requested update range [Sheet1!A1] does not match ValueRange range [Sheet1!B1].")
	_, err = raw("Sheet1!A1", &sheets.ValueRange{Values: [][]any{{map[string]any{"x": 1}}}})
	wantErr(t, err, 400, `Invalid values[0][0]: struct_value {"x":1}`)

	// majorDimension COLUMNS, on write and on read.
	if _, err := raw("Sheet1!F1", &sheets.ValueRange{MajorDimension: "COLUMNS", Values: [][]any{{"f1", "f2"}, {"g1"}}}); err != nil {
		t.Fatal(err)
	}
	vr, err := e.svc.Spreadsheets.Values.Get(docID, "Sheet1!F1:G3").MajorDimension("COLUMNS").Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([][]any{{"f1", "f2"}, {"g1"}}, vr.Values); diff != "" {
		t.Errorf("columns (-want +got):\n%s", diff)
	}
	// includeValuesInResponse.
	resp, err = e.svc.Spreadsheets.Values.Update(docID, "Sheet1!H1", &sheets.ValueRange{Values: [][]any{{"00123", "=1+1"}}}).
		ValueInputOption("USER_ENTERED").IncludeValuesInResponse(true).ResponseValueRenderOption("UNFORMATTED_VALUE").Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	if resp.UpdatedData == nil || resp.UpdatedData.Range != "Sheet1!H1:I1" || !cmp.Equal([][]any{{123.0, 2.0}}, resp.UpdatedData.Values) {
		t.Errorf("updatedData %+v", resp.UpdatedData)
	}
}

func TestValuesBatchUpdateAndGet(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	ctx := t.Context()
	mustBatch(t, e, addSheet(9, "Daily", 10, 4))
	resp, err := e.svc.Spreadsheets.Values.BatchUpdate(docID, &sheets.BatchUpdateValuesRequest{ValueInputOption: "RAW", Data: []*sheets.ValueRange{
		{Range: "'Daily'!A1:C1", Values: [][]any{{"Date", "Region", "Revenue"}}},
		{Range: "'Daily'!A2", Values: [][]any{{45444, "EU", 1234.5}}},
		{Range: "Sheet1!A1", Values: [][]any{{"x"}}},
	}}).Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	if resp.TotalUpdatedCells != 7 || resp.TotalUpdatedRows != 3 || resp.TotalUpdatedSheets != 2 || len(resp.Responses) != 3 ||
		resp.Responses[1].UpdatedRange != "Daily!A2:C2" {
		t.Errorf("response %+v", resp)
	}
	before := e.srv.Tabs(docID)
	_, err = e.svc.Spreadsheets.Values.BatchUpdate(docID, &sheets.BatchUpdateValuesRequest{ValueInputOption: "RAW", Data: []*sheets.ValueRange{
		{Range: "'Daily'!A3", Values: [][]any{{"changed"}}},
		{Range: "'Missing'!A1", Values: [][]any{{"x"}}},
	}}).Context(ctx).Do()
	wantErr(t, err, 400, "Invalid data[1]: Unable to parse range: 'Missing'!A1")
	if diff := cmp.Diff(before, e.srv.Tabs(docID)); diff != "" {
		t.Errorf("failed values.batchUpdate changed the sheet:\n%s", diff)
	}
	got, err := e.svc.Spreadsheets.Values.BatchGet(docID).Ranges("'Daily'!A2:A", "Sheet1!A1:B2").
		ValueRenderOption("UNFORMATTED_VALUE").Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	if len(got.ValueRanges) != 2 || got.ValueRanges[0].Range != "Daily!A2:A10" || got.ValueRanges[1].Range != "Sheet1!A1:B2" ||
		!cmp.Equal([][]any{{45444.0}}, got.ValueRanges[0].Values) || !cmp.Equal([][]any{{"x"}}, got.ValueRanges[1].Values) {
		t.Errorf("batchGet %+v %+v", got.ValueRanges[0], got.ValueRanges[1])
	}
	_, err = e.svc.Spreadsheets.Values.BatchGet(docID).Ranges("'Daily'!A2:A", "Nope").Context(ctx).Do()
	wantErr(t, err, 400, "Unable to parse range: Nope")
}

func TestValuesClear(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	ctx := t.Context()
	e.srv.SetValues(docID, "A1", [][]any{{"h1", "h2"}, {sheetstest.Cell{Number: ptr(1.0), Type: "NUMBER", Pattern: "0"}, "x"}, {"y", "z"}})
	resp, err := e.svc.Spreadsheets.Values.Clear(docID, "Sheet1!A2:Z", &sheets.ClearValuesRequest{}).Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	if resp.ClearedRange != "Sheet1!A2:Z1000" {
		t.Errorf("clearedRange %q", resp.ClearedRange)
	}
	// Values go; formats stay.
	e.srv.SetValues(docID, "A2", [][]any{{nil}})
	if _, err := e.svc.Spreadsheets.Values.Update(docID, "A2", &sheets.ValueRange{Values: [][]any{{5}}}).ValueInputOption("RAW").Context(ctx).Do(); err != nil {
		t.Fatal(err)
	}
	want := [][]sheetstest.Cell{{str("h1"), str("h2")}, {{Number: ptr(5.0), Type: "NUMBER", Pattern: "0"}}}
	if diff := cmp.Diff(want, tab(t, e, "Sheet1").Rows); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	bc, err := e.svc.Spreadsheets.Values.BatchClear(docID, &sheets.BatchClearValuesRequest{Ranges: []string{"A1", "Sheet1!B:B"}}).Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Sheet1!A1", "Sheet1!B1:B1000"}, bc.ClearedRanges); diff != "" {
		t.Errorf("clearedRanges (-want +got):\n%s", diff)
	}
}

func TestValuesAppend(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	type step struct {
		rng, option string
		values      [][]any
		table       string
		updated     string
	}
	tests := []struct {
		name     string
		setup    [][]any
		steps    []step
		want     [][]sheetstest.Cell
		rowCount int
	}{
		{"empty sheet", nil, []step{
			{"Sheet1!A1", "INSERT_ROWS", [][]any{{"a", "b"}}, "", "Sheet1!A1:B1"},
			{"Sheet1!A1", "INSERT_ROWS", [][]any{{"c", "d"}}, "Sheet1!A1:B1", "Sheet1!A2:B2"},
		}, texts([]string{"a", "b"}, []string{"c", "d"}), 1002},
		{"after the table, from its first column", [][]any{{nil, "h1", "h2"}, {nil, "x", "y"}}, []step{
			{"Sheet1!A:Z", "OVERWRITE", [][]any{{"n1", "n2"}}, "Sheet1!B1:C2", "Sheet1!B3:C3"},
		}, texts([]string{"", "h1", "h2"}, []string{"", "x", "y"}, []string{"", "n1", "n2"}), 1000},
		// Appending twice the same rows writes them twice: append is not
		// idempotent.
		{"not idempotent", [][]any{{"h"}}, []step{
			{"Sheet1!A1", "OVERWRITE", [][]any{{"r"}}, "Sheet1!A1", "Sheet1!A2"},
			{"Sheet1!A1", "OVERWRITE", [][]any{{"r"}}, "Sheet1!A1:A2", "Sheet1!A3"},
		}, texts([]string{"h"}, []string{"r"}, []string{"r"}), 1000},
		// INSERT_ROWS shifts what lies below the table down.
		{"insert rows", [][]any{{"h"}, {"t"}, {nil}, {"below"}}, []step{
			{"Sheet1!A1", "INSERT_ROWS", [][]any{{"n"}}, "Sheet1!A1:A2", "Sheet1!A3"},
		}, texts([]string{"h"}, []string{"t"}, []string{"n"}, nil, []string{"below"}), 1001},
		// OVERWRITE writes over it.
		{"overwrite", [][]any{{"h"}, {"t"}, {nil}, {"below"}}, []step{
			{"Sheet1!A1", "OVERWRITE", [][]any{{"n"}, {"m"}}, "Sheet1!A1:A2", "Sheet1!A3:A4"},
		}, texts([]string{"h"}, []string{"t"}, []string{"n"}, []string{"m"}), 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, sheetstest.Options{})
			if tt.setup != nil {
				e.srv.SetValues(docID, "A1", tt.setup)
			}
			for i, st := range tt.steps {
				resp, err := e.svc.Spreadsheets.Values.Append(docID, st.rng, &sheets.ValueRange{Values: st.values}).
					ValueInputOption("RAW").InsertDataOption(st.option).Context(ctx).Do()
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				if resp.TableRange != st.table || resp.Updates.UpdatedRange != st.updated {
					t.Errorf("step %d: tableRange %q updatedRange %q, want %q %q", i, resp.TableRange, resp.Updates.UpdatedRange, st.table, st.updated)
				}
			}
			got := tab(t, e, "Sheet1")
			if diff := cmp.Diff(tt.want, got.Rows); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if got.RowCount != tt.rowCount {
				t.Errorf("rowCount %d, want %d", got.RowCount, tt.rowCount)
			}
		})
	}
	t.Run("grows rows, never columns", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, sheetstest.Options{})
		mustBatch(t, e, addSheet(4, "Solar", 2, 3))
		e.srv.SetValues(docID, "Solar!A1", [][]any{{"h"}, {"r"}})
		_, err := e.svc.Spreadsheets.Values.Append(docID, "Solar!A1", &sheets.ValueRange{Values: [][]any{{1, 2, 3}, {4}}}).
			ValueInputOption("RAW").InsertDataOption("OVERWRITE").Context(ctx).Do()
		if err != nil {
			t.Fatal(err)
		}
		if got := tab(t, e, "Solar"); got.RowCount != 4 {
			t.Errorf("rowCount %d, want 4", got.RowCount)
		}
		_, err = e.svc.Spreadsheets.Values.Append(docID, "Solar!A1", &sheets.ValueRange{Values: [][]any{{1, 2, 3, 4}}}).
			ValueInputOption("RAW").Context(ctx).Do()
		wantErr(t, err, 400, "Range (Solar!D5) exceeds grid limits. Max rows: 4, max columns: 3")
	})
}
