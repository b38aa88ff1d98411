package sheets_test

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/eflow-digest/eflow-digest/sheets"
	"github.com/eflow-digest/eflow-digest/sheets/sheetstest"
)

// benchDay is a day of rows offers in 8 columns (two sub IDs), as a busy
// affiliate's digest looks.
func benchDay(d time.Time, rows int) sheets.Day {
	day := sheets.Day{Date: d}
	for i := range rows {
		day.Daily = append(day.Daily, []sheets.Cell{
			sheets.DateCell(d), sheets.IntCell(int64(1000 + i)), sheets.TextCell(fmt.Sprintf("Offer number %d (US, mobile)", i)),
			sheets.TextCell(fmt.Sprintf("campaign-%d", i%7)), sheets.TextCell(fmt.Sprintf("00%d", i%13)),
			sheets.TextCell("USD"), sheets.IntCell(int64(rows - i)), sheets.MoneyCell(float64(rows-i)*12.3456 + 0.0001),
		})
	}
	day.Summary = [][]sheets.Cell{{sheets.DateCell(d), sheets.TextCell("USD"), sheets.IntCell(int64(rows)),
		sheets.MoneyCell(1234.5678), sheets.IntCell(int64(rows)), sheets.DateTimeCell(d.Add(30 * time.Hour))}}
	return day
}

var benchLayout = sheets.Layout{
	Mode: sheets.Append, DailyTab: "Daily", SummaryTab: "Summary",
	DailyHeader:   []string{"Date", "Offer ID", "Offer", "Sub1", "Sub2", "Currency", "Conversions", "Revenue"},
	SummaryHeader: []string{"Date", "Currency", "Conversions", "Revenue", "Offers", "Refreshed At"},
	TabHeader:     []string{"Offer ID", "Offer", "Sub1", "Sub2", "Currency", "Conversions", "Revenue"},
}

// BenchmarkWrite reports the Sheets requests of one run: a daily run into
// a spreadsheet holding a month of digests (1 write, 2 reads), and a
// 365-day backfill into a new one, whose writes are ceil(payload ÷ 2 MB).
func BenchmarkWrite(b *testing.B) {
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name     string
		existing int // days already in the spreadsheet
		days     int
	}{
		{"day", 30, 1},
		{"backfill365", 0, 365},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			var days, existing []sheets.Day
			for i := range bc.existing {
				existing = append(existing, benchDay(start.AddDate(0, 0, i), 30))
			}
			for i := range bc.days {
				days = append(days, benchDay(start.AddDate(0, 0, bc.existing+i), 30))
			}
			var total sheets.Stats
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				e := newEnv(b, sheetstest.Options{})
				if len(existing) > 0 {
					if err := e.writer(b, benchLayout).Write(b.Context(), existing); err != nil {
						b.Fatal(err)
					}
				}
				w := e.writer(b, benchLayout)
				b.StartTimer()
				if err := w.Write(b.Context(), days); err != nil {
					b.Fatal(err)
				}
				st := w.Stats()
				total.Reads += st.Reads
				total.Writes += st.Writes
				total.PayloadBytes += st.PayloadBytes
			}
			n := float64(b.N)
			b.ReportMetric(float64(total.Reads)/n, "reads/run")
			b.ReportMetric(float64(total.Writes)/n, "writes/run")
			b.ReportMetric(float64(total.PayloadBytes)/n, "payload-bytes/run")
			b.ReportMetric(math.Ceil(float64(total.PayloadBytes)/n/2_000_000), "ceil(payload/2e6)")
			b.ReportMetric(math.Ceil(float64(total.PayloadBytes)/n/sheets.DefaultMaxBatchBytes), "ceil(payload/2MiB)")
		})
	}
}
