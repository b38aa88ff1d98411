package digest

import (
	"errors"
	"fmt"
	"time"
)

// Date is a report day: a calendar date with no time of day and no zone,
// since Everflow buckets conversions into days of the configured timezone
// before they reach the digest. It is comparable and usable as a map key.
// Values made by ParseDate, DateOf and AddDays are always valid dates.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ErrDate is returned by ParseDate for text that is not a valid
// YYYY-MM-DD date.
var ErrDate = errors.New("not a date in the form YYYY-MM-DD")

// ParseDate parses a date written exactly as YYYY-MM-DD, with a year from
// 0001 to 9999. Other forms ("2026-2-3", "2026/02/03", surrounding spaces)
// and days that do not exist ("2026-02-30") are refused rather than
// normalized, so a typo in -date never reports some other day.
func ParseDate(s string) (Date, error) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return Date{}, fmt.Errorf("parse date %q: %w", clip(s), ErrDate)
	}
	num := func(part string) int {
		n := 0
		for i := range len(part) {
			if !isDigit(part[i]) {
				return -1
			}
			n = n*10 + int(part[i]-'0')
		}
		return n
	}
	y, m, d := num(s[:4]), num(s[5:7]), num(s[8:])
	if y < 1 || m < 1 || m > 12 || d < 1 || d > daysIn(y, time.Month(m)) {
		return Date{}, fmt.Errorf("parse date %q: %w", s, ErrDate)
	}
	return Date{Year: y, Month: time.Month(m), Day: d}, nil
}

// daysIn is the number of days of month m of year y (proleptic Gregorian).
func daysIn(y int, m time.Month) int {
	switch m {
	case time.February:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// DateOf returns the calendar date of t in t's own location: callers pick
// the zone (the report timezone) by calling t.In first.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// String returns the date as YYYY-MM-DD, the form of the spreadsheet's day
// tabs, the CSV and Everflow's from/to.
func (d Date) String() string {
	var b [10]byte
	put := func(at, width, n int) {
		for i := at + width - 1; i >= at; i-- {
			b[i] = byte('0' + n%10)
			n /= 10
		}
	}
	if d.Year < 0 || d.Year > 9999 || d.Month < 1 || d.Month > 12 || d.Day < 0 || d.Day > 99 {
		// Not a date ParseDate or DateOf could make; say what it holds.
		return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
	}
	put(0, 4, d.Year)
	b[4] = '-'
	put(5, 2, int(d.Month))
	b[7] = '-'
	put(8, 2, d.Day)
	return string(b[:])
}

// AddDays returns the date n days after d (before it when n < 0).
func (d Date) AddDays(n int) Date {
	return DateOf(time.Date(d.Year, d.Month, d.Day+n, 0, 0, 0, 0, time.UTC))
}

// Compare returns -1 if d is before e, 0 if they are the same day and +1 if
// d is after e, for slices.SortFunc and friends.
func (d Date) Compare(e Date) int {
	switch {
	case d.Year != e.Year:
		return cmpInt(d.Year, e.Year)
	case d.Month != e.Month:
		return cmpInt(int(d.Month), int(e.Month))
	}
	return cmpInt(d.Day, e.Day)
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Time returns midnight UTC at the start of d, the form the Sheets writer
// takes a report date in.
func (d Date) Time() time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
}

// Serial returns d as a spreadsheet date serial: days since 1899-12-30
// (Google Sheets' and Excel's day zero), so 2024-06-01 is 45444. It is
// computed on the calendar, not through time.Duration, which would
// overflow past about 292 years.
func (d Date) Serial() int {
	return daysFromCivil(d.Year, int(d.Month), d.Day) - daysFromCivil(1899, 12, 30)
}

// daysFromCivil counts days from 1970-01-01 to y-m-d in the proleptic
// Gregorian calendar (H. Hinnant's algorithm), exact for every year.
func daysFromCivil(y, m, d int) int {
	if m <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	mp := (m + 9) % 12 // March is 0
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}
