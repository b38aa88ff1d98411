package sheetstest_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/api/sheets/v4"

	"github.com/eflow-digest/eflow-digest/sheets/sheetstest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", name, diff)
	}
}

func TestRender(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sheetstest.Options{})
	hdr := func(s string) sheetstest.Cell { return sheetstest.Cell{String: &s, Bold: true} }
	date := func(n float64) sheetstest.Cell {
		return sheetstest.Cell{Number: &n, Type: "DATE", Pattern: "yyyy-mm-dd"}
	}
	integer := func(n float64) sheetstest.Cell { return sheetstest.Cell{Number: &n, Type: "NUMBER", Pattern: "0"} }
	money := func(n float64) sheetstest.Cell {
		return sheetstest.Cell{Number: &n, Type: "NUMBER", Pattern: "#,##0.00"}
	}
	stamp := func(n float64) sheetstest.Cell {
		return sheetstest.Cell{Number: &n, Type: "DATE_TIME", Pattern: "yyyy-mm-dd hh:mm:ss"}
	}
	mustBatch(t, e, addSheet(1, "Daily", 100, 6), addSheet(2, "Summary", 50, 4),
		&sheets.Request{UpdateSheetProperties: &sheets.UpdateSheetPropertiesRequest{Fields: "gridProperties.frozenRowCount",
			Properties: &sheets.SheetProperties{SheetId: 1, GridProperties: &sheets.GridProperties{FrozenRowCount: 1}}}})
	e.srv.SetValues(docID, "Daily!A1", [][]any{
		{hdr("Date"), hdr("Offer ID"), hdr("Offer"), hdr("Sub1"), hdr("Conversions"), hdr("Revenue")},
		{date(45444), integer(1001), "Summer Sale – EU", "=HYPERLINK(\"x\")", integer(1200), money(1234.5)},
		{date(45444), integer(1002), "旅行 Ünïcode offer", "line1\nline2", integer(3), money(-0.1)},
		{date(45444), integer(1003), "00123", "IwAR" + strings.Repeat("x", 60), integer(2), money(0)},
		{date(45445), integer(1001), "Summer Sale – EU", "", integer(0), money(1234567.891)},
	})
	e.srv.SetValues(docID, "Summary!A1", [][]any{
		{hdr("Date"), hdr("Revenue"), hdr("Refreshed At")},
		{date(45444), money(1234.4), stamp(45453.2710069444)},
		{date(45445), sheetstest.Cell{Formula: "=1+2*3"}, true},
	})
	golden(t, "render.golden", e.srv.Render(docID))
	golden(t, "render_summary.golden", e.srv.RenderTab(docID, "summary"))
}
