package sheets

import (
	"fmt"
	"math"
	"time"

	sheetsapi "google.golang.org/api/sheets/v4"
)

// Kind says how a cell is stored and shown. Every kind is written as a typed
// value (never parsed as if typed by a user), so the spreadsheet's locale
// never changes what a cell holds.
type Kind uint8

// The kinds of cell the digest writes.
const (
	// Text is stored exactly as given: "=SUM(A1)", "00123", "TRUE" and "1e5"
	// stay text. An empty Text cell is written as an empty cell.
	Text Kind = iota
	// Integer is a number shown with the pattern "0".
	Integer
	// Money is a number shown with two decimals ("#,##0.00") and stored
	// unrounded.
	Money
	// Date is a serial day number (days since 1899-12-30) shown as "yyyy-mm-dd".
	Date
	// DateTime is a serial day number with the time of day as its fraction,
	// shown as "yyyy-mm-dd hh:mm:ss".
	DateTime
)

// String returns the name of the kind, for test failures and logs.
func (k Kind) String() string {
	switch k {
	case Text:
		return "Text"
	case Integer:
		return "Integer"
	case Money:
		return "Money"
	case Date:
		return "Date"
	case DateTime:
		return "DateTime"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Cell is one typed cell. Text uses Text; every other kind uses Number (for
// Date and DateTime, the serial number; see DateSerial and DateTimeSerial).
type Cell struct {
	Kind   Kind
	Text   string
	Number float64
}

// TextCell returns a Text cell holding s exactly.
func TextCell(s string) Cell { return Cell{Kind: Text, Text: s} }

// IntCell returns an Integer cell.
func IntCell(n int64) Cell { return Cell{Kind: Integer, Number: float64(n)} }

// MoneyCell returns a Money cell. The caller converts its exact amount to
// the nearest float64 only here, for the cell.
func MoneyCell(f float64) Cell { return Cell{Kind: Money, Number: f} }

// DateCell returns a Date cell for the calendar date of t (its wall clock,
// in t's location).
func DateCell(t time.Time) Cell { return Cell{Kind: Date, Number: float64(DateSerial(t))} }

// DateTimeCell returns a DateTime cell for the wall clock of t, in t's
// location (pass t.UTC() for a UTC time).
func DateTimeCell(t time.Time) Cell { return Cell{Kind: DateTime, Number: DateTimeSerial(t)} }

// epoch is day 0 of the serial numbers Sheets uses for dates.
var epoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// DateSerial returns the Sheets serial number of the calendar date of t
// (days since 1899-12-30), read from t's wall clock in t's location.
func DateSerial(t time.Time) int {
	y, m, d := t.Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	// Dates are whole days in UTC, so the division is exact.
	return int(day.Sub(epoch).Hours() / 24)
}

// DateTimeSerial returns the Sheets serial number of t's wall clock in t's
// location: the date's serial plus the time of day as a fraction.
func DateTimeSerial(t time.Time) float64 {
	sinceMidnight := time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute +
		time.Duration(t.Second())*time.Second + time.Duration(t.Nanosecond())
	return float64(DateSerial(t)) + sinceMidnight.Seconds()/86400
}

// SerialDate returns midnight UTC of the calendar date a serial number stands for.
func SerialDate(serial int) time.Time { return epoch.AddDate(0, 0, serial) }

// Number formats, shared by every cell of a kind so a batch of many cells
// allocates them once.
var (
	formatInteger  = &sheetsapi.CellFormat{NumberFormat: &sheetsapi.NumberFormat{Type: "NUMBER", Pattern: "0"}}
	formatMoney    = &sheetsapi.CellFormat{NumberFormat: &sheetsapi.NumberFormat{Type: "NUMBER", Pattern: "#,##0.00"}}
	formatDate     = &sheetsapi.CellFormat{NumberFormat: &sheetsapi.NumberFormat{Type: "DATE", Pattern: "yyyy-mm-dd"}}
	formatDateTime = &sheetsapi.CellFormat{NumberFormat: &sheetsapi.NumberFormat{Type: "DATE_TIME", Pattern: "yyyy-mm-dd hh:mm:ss"}}
	formatHeader   = &sheetsapi.CellFormat{TextFormat: &sheetsapi.TextFormat{Bold: true}}
)

// cellFields is the mask of every updateCells request: the value and the
// format of each cell in range. A cell without a value or format in the
// request is cleared, which is how empty cells and stale formats go away.
const cellFields = "userEnteredValue,userEnteredFormat"

// maxCellChars is Google's limit on the characters of one cell.
const maxCellChars = 50000

// checkCell reports a cell Google would refuse, before anything is sent.
func checkCell(c Cell) error {
	switch c.Kind {
	case Text:
		if n := len([]rune(c.Text)); n > maxCellChars {
			return fmt.Errorf("text of %d characters is longer than the %d a cell can hold", n, maxCellChars)
		}
		return nil
	case Integer, Money, Date, DateTime:
		if math.IsNaN(c.Number) || math.IsInf(c.Number, 0) {
			return fmt.Errorf("%v cell holds %v, which a spreadsheet cannot store", c.Kind, c.Number)
		}
		return nil
	}
	return fmt.Errorf("unknown cell kind %v", c.Kind)
}

// cellData turns a cell into the CellData written with cellFields: text as
// stringValue (never parsed), numbers as numberValue with their format.
func cellData(c Cell) *sheetsapi.CellData {
	var f *sheetsapi.CellFormat
	switch c.Kind {
	case Text:
		if c.Text == "" {
			return &sheetsapi.CellData{}
		}
		s := c.Text
		return &sheetsapi.CellData{UserEnteredValue: &sheetsapi.ExtendedValue{StringValue: &s}}
	case Integer:
		f = formatInteger
	case Money:
		f = formatMoney
	case Date:
		f = formatDate
	case DateTime:
		f = formatDateTime
	}
	n := c.Number
	// NumberValue is a pointer, so a 0 is sent rather than dropped.
	return &sheetsapi.CellData{UserEnteredValue: &sheetsapi.ExtendedValue{NumberValue: &n}, UserEnteredFormat: f}
}

// headerRow returns the bold header row, padded with empty cells to width.
func headerRow(names []string, width int) *sheetsapi.RowData {
	vals := make([]*sheetsapi.CellData, width)
	for i := range vals {
		if i < len(names) && names[i] != "" {
			s := names[i]
			vals[i] = &sheetsapi.CellData{UserEnteredValue: &sheetsapi.ExtendedValue{StringValue: &s}, UserEnteredFormat: formatHeader}
		} else {
			vals[i] = &sheetsapi.CellData{}
		}
	}
	return &sheetsapi.RowData{Values: vals}
}

// rowData returns one row of cells, padded with empty cells to width so a
// shorter row clears what a wider one left behind.
func rowData(cells []Cell, width int) *sheetsapi.RowData {
	vals := make([]*sheetsapi.CellData, width)
	for i := range vals {
		if i < len(cells) {
			vals[i] = cellData(cells[i])
		} else {
			vals[i] = &sheetsapi.CellData{}
		}
	}
	return &sheetsapi.RowData{Values: vals}
}

// emptyRow returns a row of width empty cells, which clears a row.
func emptyRow(width int) *sheetsapi.RowData { return rowData(nil, width) }
