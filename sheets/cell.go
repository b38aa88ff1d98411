package sheets

import (
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

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

// Number formats, shared by every range of a kind so a batch allocates
// them once.
var (
	formatInteger  = &sheetsapi.CellFormat{NumberFormat: &sheetsapi.NumberFormat{Type: "NUMBER", Pattern: "0"}}
	formatMoney    = &sheetsapi.CellFormat{NumberFormat: &sheetsapi.NumberFormat{Type: "NUMBER", Pattern: "#,##0.00"}}
	formatDate     = &sheetsapi.CellFormat{NumberFormat: &sheetsapi.NumberFormat{Type: "DATE", Pattern: "yyyy-mm-dd"}}
	formatDateTime = &sheetsapi.CellFormat{NumberFormat: &sheetsapi.NumberFormat{Type: "DATE_TIME", Pattern: "yyyy-mm-dd hh:mm:ss"}}
	formatHeader   = &sheetsapi.CellFormat{TextFormat: &sheetsapi.TextFormat{Bold: true}}
)

// formatOf returns the userEnteredFormat a cell of kind k carries: nil, no
// format at all, for text, so a stale number format cannot linger on it.
func formatOf(k Kind) *sheetsapi.CellFormat {
	switch k {
	case Integer:
		return formatInteger
	case Money:
		return formatMoney
	case Date:
		return formatDate
	case DateTime:
		return formatDateTime
	}
	return nil
}

// Field masks. Header rows and emptied rows are written with cellFields,
// value and format at once. Data rows are written with valueFields, and
// their formats set by repeatCell requests (formatFields) over the runs of
// cells sharing one, so a number format is sent once per run instead of
// once per cell. Together the two cover every cell of the rows written, so
// the result is the same: a cell without a value or format in the request
// is cleared, which is how empty cells and stale formats go away.
const (
	cellFields   = "userEnteredValue,userEnteredFormat"
	valueFields  = "userEnteredValue"
	formatFields = "userEnteredFormat"
)

// maxCellChars is Google's limit on the characters of one cell.
const maxCellChars = 50000

// cellChars counts the characters of s as Sheets does (its LEN counts an
// emoji as 2): in UTF-16 code units. This is never fewer than the runes, so
// no cell within it is one Google refuses whichever way it counts.
// sheetstest counts the same way on its own: the stand-in models Google and
// must not take its rules from the writer it tests.
func cellChars(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r > 0xFFFF {
			n++ // a surrogate pair
		}
	}
	return n
}

// checkCell reports a cell Google would refuse, before anything is sent.
func checkCell(c Cell) error {
	switch c.Kind {
	case Text:
		if n := cellChars(c.Text); n > maxCellChars {
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

// cellData returns the CellData of a cell written with valueFields: text as
// stringValue (never parsed), numbers as numberValue. Its format is set by
// a repeatCell (see formatRuns).
func cellData(c Cell) *sheetsapi.CellData {
	cd := &sheetsapi.CellData{}
	setValue(cd, &sheetsapi.ExtendedValue{}, &c)
	return cd
}

// setValue fills cd with the value of c, using ev for it. The value points
// into c: request rows alias the caller's cells rather than copy them.
func setValue(cd *sheetsapi.CellData, ev *sheetsapi.ExtendedValue, c *Cell) bool {
	switch {
	case c.Kind == Text && c.Text == "":
		return false
	case c.Kind == Text:
		ev.StringValue = &c.Text
	default:
		// NumberValue is a pointer, so a 0 is sent rather than dropped.
		ev.NumberValue = &c.Number
	}
	cd.UserEnteredValue = ev
	return true
}

// emptyCell is every empty cell of a request: it marshals as {} and is
// never modified.
var emptyCell = &sheetsapi.CellData{}

// headerRow returns the bold header row, padded with empty cells to width,
// to be written with cellFields.
func headerRow(names []string, width int) *sheetsapi.RowData {
	vals := make([]*sheetsapi.CellData, width)
	for i := range vals {
		if i < len(names) && names[i] != "" {
			s := names[i]
			vals[i] = &sheetsapi.CellData{UserEnteredValue: &sheetsapi.ExtendedValue{StringValue: &s}, UserEnteredFormat: formatHeader}
		} else {
			vals[i] = emptyCell
		}
	}
	return &sheetsapi.RowData{Values: vals}
}

// emptyRow returns a row of width empty cells, which clears a row.
func emptyRow(width int) *sheetsapi.RowData {
	vals := make([]*sheetsapi.CellData, width)
	for i := range vals {
		vals[i] = emptyCell
	}
	return &sheetsapi.RowData{Values: vals}
}

// valuePool hands out the CellData of the values of one batch: one per
// distinct value, shared by every cell that holds it (a block repeats its
// date, currency, sub values and offers on many rows), taken from slabs
// rather than allocated one by one. A batch holds tens of thousands of
// cells; this keeps its request structures a fraction of that.
type valuePool struct {
	byValue map[valueKey]*sheetsapi.CellData
	cds     []sheetsapi.CellData
	evs     []sheetsapi.ExtendedValue
}

// valueKey tells apart what encodes differently: text from numbers, and
// numbers by their bits (0 and -0 are == but are sent as "0" and "-0").
type valueKey struct {
	text   string
	bits   uint64
	isText bool
}

const valueSlab = 512

// get returns the CellData of c's value. It points into c: request rows
// alias the caller's cells rather than copy them.
func (p *valuePool) get(c *Cell) *sheetsapi.CellData {
	if c.Kind == Text && c.Text == "" {
		return emptyCell
	}
	k := valueKey{bits: math.Float64bits(c.Number)}
	if c.Kind == Text {
		k = valueKey{text: c.Text, isText: true}
	}
	if cd, ok := p.byValue[k]; ok {
		return cd
	}
	if p.byValue == nil {
		p.byValue = make(map[valueKey]*sheetsapi.CellData)
	}
	if len(p.cds) == 0 {
		p.cds, p.evs = make([]sheetsapi.CellData, valueSlab), make([]sheetsapi.ExtendedValue, valueSlab)
	}
	cd := &p.cds[0]
	setValue(cd, &p.evs[0], c)
	p.cds, p.evs = p.cds[1:], p.evs[1:]
	p.byValue[k] = cd
	return cd
}

// valueRows returns rows of cells for valueFields, each padded with empty
// cells to width so a shorter row clears what a wider one left behind. A
// nil row is a row of empty cells.
func (p *valuePool) valueRows(cells [][]Cell, width int) []*sheetsapi.RowData {
	rows := make([]sheetsapi.RowData, len(cells))
	out := make([]*sheetsapi.RowData, len(cells))
	ptrs := make([]*sheetsapi.CellData, len(cells)*width)
	for r, row := range cells {
		vals := ptrs[r*width : (r+1)*width : (r+1)*width]
		for i := range vals {
			vals[i] = emptyCell
			if i < len(row) {
				vals[i] = p.get(&row[i])
			}
		}
		rows[r].Values = vals
		out[r] = &rows[r]
	}
	return out
}

// formatRun is a rectangle of cells, relative to the first row and column
// written, that share one format: [r0, r1) × [c0, c1).
type formatRun struct {
	r0, r1, c0, c1 int
	kind           Kind // Text for no format
}

// formatKind is the kind whose format the cell in column c of row holds;
// padding and empty cells are text, without a format.
func formatKind(row []Cell, c int) Kind {
	if c < len(row) {
		return row[c].Kind
	}
	return Text
}

// formatRuns partitions rows × [0, width) into rectangles of cells sharing
// a format: each column's runs of equal formats, merged with the same run
// of the column before. A block of digest rows, whose columns each hold
// one kind, takes one rectangle per run of columns of one kind.
func formatRuns(rows [][]Cell, width int) []formatRun {
	var out []formatRun
	type span struct {
		r0, r1 int
		kind   Kind
	}
	open := make(map[span]int) // runs of the previous column, by position in out
	next := make(map[span]int)
	for c := range width {
		for r := 0; r < len(rows); {
			k := formatKind(rows[r], c)
			e := r + 1
			for e < len(rows) && formatKind(rows[e], c) == k {
				e++
			}
			s := span{r, e, k}
			if i, ok := open[s]; ok {
				out[i].c1 = c + 1
				next[s] = i
			} else {
				out = append(out, formatRun{r0: r, r1: e, c0: c, c1: c + 1, kind: k})
				next[s] = len(out) - 1
			}
			r = e
		}
		open, next = next, open
		clear(next)
	}
	return out
}

// The JSON sizes of the parts of value rows, as encoding/json writes them
// (keys in field order, no spaces).
const (
	emptyCellJSON  = len(`{}`)
	stringCellJSON = len(`{"userEnteredValue":{"stringValue":}}`) // plus the quoted string
	numberCellJSON = len(`{"userEnteredValue":{"numberValue":}}`) // plus the number
	rowJSON        = len(`{"values":[]}`)                         // plus the cells and commas
)

// valueRowsSize returns the exact length of the JSON encoding of
// valueRows(cells, width), without building it: a run is split into
// batches by size before any request of it exists.
func valueRowsSize(cells [][]Cell, width int) int {
	if len(cells) == 0 {
		return 0 // no request is made
	}
	n := 2 + len(cells) - 1 // brackets and commas
	for _, row := range cells {
		n += rowJSON
		if width > 0 {
			n += width - 1
		}
		for i := range width {
			if i >= len(row) {
				n += emptyCellJSON
				continue
			}
			n += cellJSONSize(row[i])
		}
	}
	return n
}

// cellJSONSize is the length of the JSON encoding of cellData(c).
func cellJSONSize(c Cell) int {
	switch {
	case c.Kind == Text && c.Text == "":
		return emptyCellJSON
	case c.Kind == Text:
		return stringCellJSON + jsonStringSize(c.Text)
	}
	return numberCellJSON + jsonFloatSize(c.Number)
}

// jsonStringSize is the length of s quoted as encoding/json quotes it,
// escaping <, > and & as the client's encoder does.
func jsonStringSize(s string) int {
	n := 2
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			switch {
			case b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&':
				n++
			case b == '"' || b == '\\' || b == '\b' || b == '\f' || b == '\n' || b == '\r' || b == '\t':
				n += 2
			default:
				n += len(`\u0000`)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1, r == '\u2028', r == '\u2029':
			n += len(`\ufffd`)
		default:
			n += size
		}
		i += size
	}
	return n
}

// jsonFloatSize is the length of f as encoding/json writes a float64: like
// ES6, exponents only below 1e-6 and from 1e21, without leading zeros.
func jsonFloatSize(f float64) int {
	var buf [32]byte
	format := byte('f')
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		format = 'e'
	}
	b := strconv.AppendFloat(buf[:0], f, format, -1, 64)
	n := len(b)
	if format == 'e' && n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
		n-- // e-07 is written e-7
	}
	return n
}
