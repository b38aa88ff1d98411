package digest

import (
	"bytes"
	"encoding/csv"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestHeaders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     Config
		daily   []string
		summary []string
		tab     []string
	}{
		{
			name:    "default sub1",
			cfg:     Config{Subs: []int{1}},
			daily:   []string{"Date", "Offer ID", "Offer", "Sub1", "Currency", "Conversions", "Revenue"},
			summary: []string{"Date", "Currency", "Conversions", "Revenue", "Offers", "Refreshed At"},
			tab:     []string{"Offer ID", "Offer", "Sub1", "Currency", "Conversions", "Revenue"},
		},
		{
			name:    "offer only with events",
			cfg:     Config{Events: true},
			daily:   []string{"Date", "Offer ID", "Offer", "Currency", "Conversions", "Events", "Revenue"},
			summary: []string{"Date", "Currency", "Conversions", "Events", "Revenue", "Offers", "Refreshed At"},
			tab:     []string{"Offer ID", "Offer", "Currency", "Conversions", "Events", "Revenue"},
		},
		{
			name:    "subs in configured order",
			cfg:     Config{Subs: []int{5, 2, 3}},
			daily:   []string{"Date", "Offer ID", "Offer", "Sub5", "Sub2", "Sub3", "Currency", "Conversions", "Revenue"},
			summary: []string{"Date", "Currency", "Conversions", "Revenue", "Offers", "Refreshed At"},
			tab:     []string{"Offer ID", "Offer", "Sub5", "Sub2", "Sub3", "Currency", "Conversions", "Revenue"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.daily, tt.cfg.DailyHeader()); diff != "" {
				t.Errorf("DailyHeader mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.summary, tt.cfg.SummaryHeader()); diff != "" {
				t.Errorf("SummaryHeader mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.tab, tt.cfg.TabHeader()); diff != "" {
				t.Errorf("TabHeader mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRows(t *testing.T) {
	t.Parallel()
	refreshed := time.Date(2024, time.June, 2, 8, 30, 0, 0, time.FixedZone("CEST", 2*3600))
	refreshedUTC := time.Date(2024, time.June, 2, 6, 30, 0, 0, time.UTC)
	full := Day{
		Date: jun1,
		Rows: []Row{
			{OfferID: 7, Offer: "=HYPERLINK(\"http://x\")", Subs: []string{"00123", ""}, Currency: "USD", Conversions: 3, Events: 2, Revenue: 123456},
		},
		Totals: []Total{{Currency: "USD", Conversions: 3, Events: 2, Revenue: 123456, Offers: 1}},
		Offers: 1,
	}
	empty := Day{Date: jun2}
	var (
		T = textCell
		I = intCell
		M = moneyCell
		D = dateCell
	)
	R := timeCell(refreshedUTC)
	tests := []struct {
		name    string
		cfg     Config
		day     Day
		daily   [][]Cell
		summary [][]Cell
		tab     [][]Cell
	}{
		{
			name:    "events off",
			cfg:     Config{Subs: []int{1, 2}},
			day:     full,
			daily:   [][]Cell{{D(jun1), I(7), T("=HYPERLINK(\"http://x\")"), T("00123"), T(""), T("USD"), I(3), M(123456)}},
			summary: [][]Cell{{D(jun1), T("USD"), I(3), M(123456), I(1), R}},
			tab: [][]Cell{
				{I(7), T("=HYPERLINK(\"http://x\")"), T("00123"), T(""), T("USD"), I(3), M(123456)},
				{T("Total"), T(""), T(""), T(""), T("USD"), I(3), M(123456)},
			},
		},
		{
			name:    "events on",
			cfg:     Config{Subs: []int{1, 2}, Events: true},
			day:     full,
			daily:   [][]Cell{{D(jun1), I(7), T("=HYPERLINK(\"http://x\")"), T("00123"), T(""), T("USD"), I(3), I(2), M(123456)}},
			summary: [][]Cell{{D(jun1), T("USD"), I(3), I(2), M(123456), I(1), R}},
			tab: [][]Cell{
				{I(7), T("=HYPERLINK(\"http://x\")"), T("00123"), T(""), T("USD"), I(3), I(2), M(123456)},
				{T("Total"), T(""), T(""), T(""), T("USD"), I(3), I(2), M(123456)},
			},
		},
		{
			name:    "empty day",
			cfg:     Config{Subs: []int{1}},
			day:     empty,
			daily:   nil,
			summary: [][]Cell{{D(jun2), T(""), I(0), M(0), I(0), R}},
			tab:     [][]Cell{{T("Total"), T(""), T(""), T(""), I(0), M(0)}},
		},
		{
			name:    "empty day with events, offer only",
			cfg:     Config{Events: true},
			day:     empty,
			daily:   nil,
			summary: [][]Cell{{D(jun2), T(""), I(0), I(0), M(0), I(0), R}},
			tab:     [][]Cell{{T("Total"), T(""), T(""), I(0), I(0), M(0)}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.daily, tt.cfg.DailyRows(tt.day)); diff != "" {
				t.Errorf("DailyRows mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.summary, tt.cfg.SummaryRows(tt.day, refreshed)); diff != "" {
				t.Errorf("SummaryRows mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.tab, tt.cfg.TabRows(tt.day)); diff != "" {
				t.Errorf("TabRows mismatch (-want +got):\n%s", diff)
			}
			for _, rows := range [][][]Cell{tt.cfg.DailyRows(tt.day), tt.cfg.SummaryRows(tt.day, refreshed), tt.cfg.TabRows(tt.day)} {
				for _, row := range rows {
					if n := len(row); n != len(tt.cfg.DailyHeader()) && n != len(tt.cfg.SummaryHeader()) && n != len(tt.cfg.TabHeader()) {
						t.Errorf("row of %d cells fits no header: %v", n, row)
					}
				}
			}
		})
	}
}

func TestCellString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cell Cell
		want string
	}{
		{textCell("=1+1"), "=1+1"},
		{textCell(""), ""},
		{intCell(-42), "-42"},
		{moneyCell(3000), "0.30"},
		{moneyCell(123456), "12.3456"},
		{dateCell(jun1), "2024-06-01"},
		{timeCell(time.Date(2024, 6, 2, 8, 30, 0, 0, time.FixedZone("", 7200))), "2024-06-02T06:30:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.cell.Kind.String()+" "+tt.want, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, tt.cell.String()); diff != "" {
				t.Errorf("String mismatch (-want +got):\n%s", diff)
			}
		})
	}
	if got := Kind(9).String(); got != "kind(9)" {
		t.Errorf("Kind(9).String() = %q", got)
	}
}

// TestWriteCSVRoundTrip writes awkward text and reads it back with
// encoding/csv: quoting must keep every value whole.
func TestWriteCSVRoundTrip(t *testing.T) {
	t.Parallel()
	awkward := []string{
		"a,b", `say "hi"`, "line1\nline2", "cr\r\nlf", " lead", "trail ", `"`, ",", "",
		"=HYPERLINK(\"http://evil\",\"x\")", "+1", "-1", "@SUM(A1)", "00123", "TRUE", "1e5", "Ωmega ✓",
	}
	cfg := Config{Subs: []int{1}}
	var days []Day
	var want [][]string
	want = append(want, cfg.DailyHeader())
	// Days given out of order: the CSV is in date order.
	for i := len(awkward) - 1; i >= 0; i-- {
		d := jun1.AddDays(i)
		days = append(days, Day{Date: d, Rows: []Row{{
			OfferID: int64(i), Offer: awkward[i], Subs: []string{awkward[i]}, Currency: awkward[i], Conversions: 1, Revenue: 1000,
		}}})
	}
	days = append(days, Day{Date: jun1.AddDays(-1)}) // empty: no rows
	for i, s := range awkward {
		// encoding/csv reads \r\n inside a quoted field back as \n.
		s = strings.ReplaceAll(s, "\r\n", "\n")
		want = append(want, []string{jun1.AddDays(i).String(), itoa(i), s, s, s, "1", "0.10"})
	}
	var buf bytes.Buffer
	if err := cfg.WriteCSV(&buf, days); err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(&buf)
	got, err := r.ReadAll()
	if err != nil {
		t.Fatalf("read back: %v\n%s", err, buf.String())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CSV read back mismatch (-want +got):\n%s", diff)
	}
}

type failingWriter struct{}

var errDiskFull = errors.New("disk full")

func (failingWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestWriteCSVError(t *testing.T) {
	t.Parallel()
	err := Config{}.WriteCSV(failingWriter{}, []Day{{Date: jun1, Rows: []Row{{OfferID: 1}}}})
	if !errors.Is(err, errDiskFull) {
		t.Errorf("WriteCSV error = %v, want %v wrapped", err, errDiskFull)
	}
}

func itoa(i int) string { return intCell(int64(i)).String() }
