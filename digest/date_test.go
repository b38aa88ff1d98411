package digest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseDate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Date
		wantErr bool
	}{
		{"2024-06-01", Date{2024, time.June, 1}, false},
		{"2026-12-31", Date{2026, time.December, 31}, false},
		{"2024-02-29", Date{2024, time.February, 29}, false},
		{"2000-02-29", Date{2000, time.February, 29}, false},
		{"0001-01-01", Date{1, time.January, 1}, false},
		{"9999-12-31", Date{9999, time.December, 31}, false},

		{"2026-2-3", Date{}, true},
		{"2026-02-3", Date{}, true},
		{"2026-02-30", Date{}, true},
		{"2025-02-29", Date{}, true},
		{"1900-02-29", Date{}, true},
		{"2026-04-31", Date{}, true},
		{"2026-13-01", Date{}, true},
		{"2026-00-10", Date{}, true},
		{"2026-01-00", Date{}, true},
		{"0000-01-01", Date{}, true},
		{"2026/02/03", Date{}, true},
		{"20260203", Date{}, true},
		{" 2026-02-03", Date{}, true},
		{"2026-02-03 ", Date{}, true},
		{"2026-02-03T00:00:00Z", Date{}, true},
		{"+026-02-03", Date{}, true},
		{"2026-+2-03", Date{}, true},
		{"2026-02--3", Date{}, true},
		{"yesterday", Date{}, true},
		{"", Date{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseDate(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseDate(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrDate) {
				t.Errorf("ParseDate(%q) error = %v, want ErrDate", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseDate(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
			if err == nil && got.String() != tt.in {
				t.Errorf("ParseDate(%q).String() = %q", tt.in, got.String())
			}
		})
	}
}

func TestDateSerial(t *testing.T) {
	t.Parallel()
	tests := []struct {
		date Date
		want int
	}{
		{Date{1899, time.December, 30}, 0},
		{Date{1899, time.December, 31}, 1},
		{Date{1900, time.January, 1}, 2},
		{Date{1900, time.March, 1}, 61}, // Sheets has no 1900-02-29, unlike Excel's bug
		{Date{1970, time.January, 1}, 25569},
		{Date{2024, time.June, 1}, 45444},
		{Date{2026, time.November, 20}, 46346},
		{Date{1899, time.December, 29}, -1},
		{Date{1, time.January, 1}, -693593},
		{Date{9999, time.December, 31}, 2958465},
	}
	for _, tt := range tests {
		t.Run(tt.date.String(), func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, tt.date.Serial()); diff != "" {
				t.Errorf("Serial() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDateSerialMatchesTime checks Serial against the time package over
// every day of several centuries.
func TestDateSerialMatchesTime(t *testing.T) {
	t.Parallel()
	// Through Unix seconds: a time.Duration from 1899 overflows in 2192.
	epoch := time.Date(1899, time.December, 30, 0, 0, 0, 0, time.UTC).Unix()
	for d := (Date{1600, time.January, 1}); d.Year < 2400; d = d.AddDays(1) {
		want := int((d.Time().Unix() - epoch) / 86400)
		if got := d.Serial(); got != want {
			t.Fatalf("%s.Serial() = %d, want %d", d, got, want)
		}
	}
}

func TestDateMethods(t *testing.T) {
	t.Parallel()
	d := Date{2024, time.February, 28}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skipf("no tzdata: %v", err)
	}
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"AddDays 1", d.AddDays(1), Date{2024, time.February, 29}},
		{"AddDays 2", d.AddDays(2), Date{2024, time.March, 1}},
		{"AddDays -59", d.AddDays(-59), Date{2023, time.December, 31}},
		{"AddDays 366", d.AddDays(366), Date{2025, time.February, 28}},
		{"AddDays 0", d.AddDays(0), d},
		{"Compare before", d.Compare(Date{2024, time.March, 1}), -1},
		{"Compare after", d.Compare(Date{2023, time.December, 31}), 1},
		{"Compare same", d.Compare(Date{2024, time.February, 28}), 0},
		{"Compare month first", Date{2024, time.January, 31}.Compare(Date{2024, time.February, 1}), -1},
		{"Time", d.Time(), time.Date(2024, time.February, 28, 0, 0, 0, 0, time.UTC)},
		{"String", d.String(), "2024-02-28"},
		{"String zero", Date{}.String(), "0000-00-00"},
		{"String invalid", Date{12345, 13, 1}.String(), "12345-13-01"},
		// 02:30 UTC on 1 June is still 31 May in New York.
		{"DateOf zone", DateOf(time.Date(2024, time.June, 1, 2, 30, 0, 0, time.UTC).In(ny)), Date{2024, time.May, 31}},
		{"DateOf UTC", DateOf(time.Date(2024, time.June, 1, 2, 30, 0, 0, time.UTC)), Date{2024, time.June, 1}},
		{"comparable", map[Date]int{{2024, time.June, 1}: 1}[Date{2024, time.June, 1}], 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, tt.got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
