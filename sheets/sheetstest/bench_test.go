package sheetstest_test

import (
	"fmt"
	"testing"

	"google.golang.org/api/sheets/v4"

	"github.com/eflow-digest/eflow-digest/sheets/sheetstest"
)

// BenchmarkBatchUpdate measures the stand-in's cost of the writer's big
// request, a backfill-sized batch of typed cells through the real client,
// so benchmarks of the writer can tell it apart from their own.
func BenchmarkBatchUpdate(b *testing.B) {
	for _, rows := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			e := newEnv(b, sheetstest.Options{})
			money := &sheets.CellFormat{NumberFormat: &sheets.NumberFormat{Type: "NUMBER", Pattern: "#,##0.00"}}
			var data []*sheets.RowData
			for i := range rows {
				rd := &sheets.RowData{}
				for j := range 8 {
					if j%2 == 0 {
						rd.Values = append(rd.Values, &sheets.CellData{UserEnteredValue: &sheets.ExtendedValue{StringValue: ptr(fmt.Sprintf("offer %d", i))}})
					} else {
						rd.Values = append(rd.Values, &sheets.CellData{UserEnteredValue: &sheets.ExtendedValue{NumberValue: ptr(float64(i) + 0.25)}, UserEnteredFormat: money})
					}
				}
				data = append(data, rd)
			}
			req := &sheets.BatchUpdateSpreadsheetRequest{Requests: []*sheets.Request{
				{UpdateSheetProperties: &sheets.UpdateSheetPropertiesRequest{Fields: "gridProperties(rowCount,columnCount)",
					Properties: &sheets.SheetProperties{GridProperties: &sheets.GridProperties{RowCount: int64(rows), ColumnCount: 8}}}},
				{UpdateCells: &sheets.UpdateCellsRequest{Fields: "userEnteredValue,userEnteredFormat", Start: &sheets.GridCoordinate{}, Rows: data}},
			}}
			b.ResetTimer()
			for b.Loop() {
				if _, err := e.svc.Spreadsheets.BatchUpdate(docID, req).Context(b.Context()).Do(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(rows*8*b.N)/b.Elapsed().Seconds(), "cells/s")
		})
	}
}

// BenchmarkValuesGet reads one column of a tab of 100,000 rows, as the
// writer reads its Date column.
func BenchmarkValuesGet(b *testing.B) {
	e := newEnv(b, sheetstest.Options{})
	e.srv.AddSheet(docID, "Daily", 100_000, 8)
	vals := make([][]any, 100_000)
	for i := range vals {
		vals[i] = []any{float64(45000 + i/50), "x"}
	}
	e.srv.SetValues(docID, "Daily!A1", vals)
	b.ResetTimer()
	for b.Loop() {
		vr, err := e.svc.Spreadsheets.Values.Get(docID, "'Daily'!A1:A").ValueRenderOption("UNFORMATTED_VALUE").Context(b.Context()).Do()
		if err != nil || len(vr.Values) != 100_000 {
			b.Fatal(err)
		}
	}
}
