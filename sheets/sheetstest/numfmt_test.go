package sheetstest

import (
	"testing"
	"time"
)

func TestFormatNumber(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n       float64
		pattern string
		want    string
	}{
		{1234.5, "#,##0.00", "1,234.50"},
		{-1234.5, "#,##0.00", "-1,234.50"},
		{0.005, "#,##0.00", "0.01"},
		{1.005, "0.00", "1.01"},
		{-0.001, "0.00", "0.00"},
		{1234567.891, "#,##0", "1,234,568"},
		{12, "0", "12"},
		{12.5, "0", "13"},
		{7, "000", "007"},
		{0.5, "0%", "50%"},
		{0.1234, "0.00%", "12.34%"},
		{1.5, `"$"#,##0.00`, "$1.50"},
		{-1.5, `"$"#,##0.00;("$"#,##0.00)`, "($1.50)"},
		{0, `0.00;-0.00;"zero"`, "zero"},
		{1.5, "#,##0.0#", "1.5"},
		{1.25, "#,##0.0#", "1.25"},
		{123456, "0.00E+00", "1.23E+05"},
		{0.000123, "0.00E+00", "1.23E-04"},
		{45444, "yyyy-mm-dd", "2024-06-01"},
		{45444, "M/d/yyyy", "6/1/2024"},
		{45444, "dd/mm/yy", "01/06/24"},
		{45444, "mmmm d, yyyy", "June 1, 2024"},
		{45444, "ddd mmm d", "Sat Jun 1"},
		{45444.75, "yyyy-mm-dd hh:mm:ss", "2024-06-01 18:00:00"},
		{45444.75, "h:mm am/pm", "6:00 PM"},
		{0.5, "hh:mm", "12:00"},
		{45453.2710069444, "yyyy-mm-dd hh:mm:ss", "2024-06-10 06:30:15"},
		{1.5, "@", "1.5"},
	}
	for _, tt := range tests {
		if got := formatNumber(tt.n, tt.pattern); got != tt.want {
			t.Errorf("formatNumber(%v, %q) = %q, want %q", tt.n, tt.pattern, got, tt.want)
		}
	}
}

func TestGeneral(t *testing.T) {
	t.Parallel()
	tests := map[float64]string{0: "0", 42: "42", 0.1 + 0.2: "0.3", 1234.1234: "1234.1234", -7.5: "-7.5", 1e21: "1.00E+21"}
	for n, want := range tests {
		if got := general(n); got != want {
			t.Errorf("general(%v) = %q, want %q", n, got, want)
		}
	}
}

func TestSerial(t *testing.T) {
	t.Parallel()
	tests := []struct {
		t time.Time
		n float64
	}{
		{time.Date(1900, 1, 1, 12, 0, 0, 0, time.UTC), 2.5},
		{time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC), 45444},
		{time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC), 0},
	}
	for _, tt := range tests {
		if got := Serial(tt.t); got != tt.n {
			t.Errorf("Serial(%v) = %v, want %v", tt.t, got, tt.n)
		}
		if got := SerialTime(tt.n); !got.Equal(tt.t) {
			t.Errorf("SerialTime(%v) = %v, want %v", tt.n, got, tt.t)
		}
	}
}

func TestParseA1(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in             string
		ok             bool
		title          string
		whole, single  bool
		r0, r1, c0, c1 int
	}{
		{"A1", true, "", false, true, 0, 1, 0, 1},
		{"Sheet1!A1:B2", true, "Sheet1", false, false, 0, 2, 0, 2},
		{"Sheet1!A:A", true, "Sheet1", false, false, 0, -1, 0, 1},
		{"Sheet1!1:2", true, "Sheet1", false, false, 0, 2, 0, -1},
		{"Sheet1!A5:A", true, "Sheet1", false, false, 4, -1, 0, 1},
		{"'My Custom Sheet'!A:A", true, "My Custom Sheet", false, false, 0, -1, 0, 1},
		{"'It''s'!ZZZ10", true, "It's", false, true, 9, 10, 18277, 18278},
		{"'It''s'", true, "It's", true, false, 0, 0, 0, 0},
		{"Sheet1", true, "Sheet1", true, false, 0, 0, 0, 0},
		{"'A1'!B2", true, "A1", false, true, 1, 2, 1, 2},
		{"AAAA1", true, "AAAA1", true, false, 0, 0, 0, 0}, // a title: columns end at ZZZ
		{"A1!B2", false, "", false, false, 0, 0, 0, 0},
		{"'unterminated!A1", false, "", false, false, 0, 0, 0, 0},
		{"Sheet1!", false, "", false, false, 0, 0, 0, 0},
		{"Sheet1!A", false, "", false, false, 0, 0, 0, 0},
		{"Sheet1!A:B5", false, "", false, false, 0, 0, 0, 0},
		{"", false, "", false, false, 0, 0, 0, 0},
	}
	for _, tt := range tests {
		got, ok := parseA1(tt.in)
		if ok != tt.ok {
			t.Errorf("parseA1(%q) ok = %v, want %v", tt.in, ok, tt.ok)
			continue
		}
		if !ok {
			continue
		}
		if got.title != tt.title || got.whole != tt.whole || got.single != tt.single ||
			(!tt.whole && (got.r0 != tt.r0 || got.r1 != tt.r1 || got.c0 != tt.c0 || got.c1 != tt.c1)) {
			t.Errorf("parseA1(%q) = %+v", tt.in, got)
		}
	}
}

func TestQuoteTitle(t *testing.T) {
	t.Parallel()
	tests := map[string]string{"Sheet1": "Sheet1", "Daily": "Daily", "It's": "'It''s'", "Daily Revenue": "'Daily Revenue'",
		"2024-06-01": "'2024-06-01'", "A1": "'A1'", "ABC123": "'ABC123'", "Ünï": "'Ünï'"}
	for in, want := range tests {
		if got := quoteTitle(in); got != want {
			t.Errorf("quoteTitle(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFieldMaskParse(t *testing.T) {
	t.Parallel()
	m, ok := parseMask("properties.title, sheets(properties(sheetId,gridProperties/rowCount),data)")
	if !ok {
		t.Fatal("parse failed")
	}
	var got []string
	for _, p := range m.paths() {
		s := ""
		for i, part := range p {
			if i > 0 {
				s += "."
			}
			s += part
		}
		got = append(got, s)
	}
	want := []string{"properties.title", "sheets.data", "sheets.properties.gridProperties.rowCount", "sheets.properties.sheetId"}
	if len(got) != len(want) {
		t.Fatalf("paths %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("paths %v, want %v", got, want)
			break
		}
	}
	for _, bad := range []string{"", "a(", "a(b", "a..b", "a,", "(a)"} {
		if _, ok := parseMask(bad); ok {
			t.Errorf("parseMask(%q) accepted", bad)
		}
	}
}
