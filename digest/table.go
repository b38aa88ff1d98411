package digest

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"
)

// Kind is the type of a cell, which decides how the writer stores it.
type Kind uint8

const (
	// KindText is text stored as text, exactly as received: a value that
	// looks like a formula, a number, a date or a boolean stays text.
	KindText Kind = iota
	// KindInt is a whole number (offer IDs and counts).
	KindInt
	// KindMoney is an amount, stored as a number unrounded to the 4th
	// decimal and shown with two.
	KindMoney
	// KindDate is a report date, stored as a date serial.
	KindDate
	// KindTime is an instant (the Summary's Refreshed At), in UTC.
	KindTime
)

// String names the kind, for tests and debugging.
func (k Kind) String() string {
	switch k {
	case KindText:
		return "text"
	case KindInt:
		return "int"
	case KindMoney:
		return "money"
	case KindDate:
		return "date"
	case KindTime:
		return "time"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Cell is one typed cell of a table. Only the field of its Kind is set.
// Cells are typed rather than strings so that the writer can store text as
// text (=HYPERLINK(...), 00123 and TRUE stay what Everflow sent) and
// dates, counts and money as numbers, whatever the spreadsheet's locale.
type Cell struct {
	Kind  Kind
	Text  string
	Int   int64
	Money Money
	Date  Date
	Time  time.Time
}

// String renders the cell's value as the CSV does: text as it is, integers
// in decimal, money exact (Money.String), dates as YYYY-MM-DD and times as
// RFC 3339 in UTC.
func (c Cell) String() string {
	switch c.Kind {
	case KindInt:
		return strconv.FormatInt(c.Int, 10)
	case KindMoney:
		return c.Money.String()
	case KindDate:
		return c.Date.String()
	case KindTime:
		return c.Time.UTC().Format(time.RFC3339)
	}
	return c.Text
}

func textCell(s string) Cell    { return Cell{Kind: KindText, Text: s} }
func intCell(n int64) Cell      { return Cell{Kind: KindInt, Int: n} }
func moneyCell(m Money) Cell    { return Cell{Kind: KindMoney, Money: m} }
func dateCell(d Date) Cell      { return Cell{Kind: KindDate, Date: d} }
func timeCell(t time.Time) Cell { return Cell{Kind: KindTime, Time: t.UTC()} }

// tabCols is the number of columns of TabHeader.
func (c Config) tabCols() int {
	n := len(c.Subs) + 5
	if c.Events {
		n++
	}
	return n
}

// tabHeader is the header shared by the Daily tab (after Date) and the
// rewrite-mode day tabs.
func (c Config) tabHeader() []string {
	h := make([]string, 0, c.tabCols())
	h = append(h, "Offer ID", "Offer")
	for _, n := range c.Subs {
		h = append(h, "Sub"+strconv.Itoa(n))
	}
	h = append(h, "Currency", "Conversions")
	if c.Events {
		h = append(h, "Events")
	}
	return append(h, "Revenue")
}

// DailyHeader returns the header of the Daily tab: Date, Offer ID, Offer,
// one SubN column per configured sub ID in configured order, Currency,
// Conversions, Events (only with events on) and Revenue.
func (c Config) DailyHeader() []string {
	return append([]string{"Date"}, c.tabHeader()...)
}

// DailyRows returns the Daily block of d, one row per Row under
// DailyHeader; a day with no conversions has none.
func (c Config) DailyRows(d Day) [][]Cell {
	if len(d.Rows) == 0 {
		return nil
	}
	cols := c.tabCols() + 1
	cells := make([]Cell, 0, len(d.Rows)*cols) // one allocation for the block
	out := make([][]Cell, len(d.Rows))
	for i, r := range d.Rows {
		row := cells[len(cells) : len(cells) : len(cells)+cols]
		row = c.appendRow(append(row, dateCell(d.Date)), r)
		cells = cells[:len(cells)+cols]
		out[i] = row
	}
	return out
}

// appendRow appends the columns of r under tabHeader to row.
func (c Config) appendRow(row []Cell, r Row) []Cell {
	row = append(row, intCell(r.OfferID), textCell(r.Offer))
	for i := range c.Subs {
		s := ""
		if i < len(r.Subs) {
			s = r.Subs[i]
		}
		row = append(row, textCell(s))
	}
	row = append(row, textCell(r.Currency), intCell(r.Conversions))
	if c.Events {
		row = append(row, intCell(r.Events))
	}
	return append(row, moneyCell(r.Revenue))
}

// SummaryHeader returns the header of the Summary tab: Date, Currency,
// Conversions, Events (only with events on), Revenue, Offers and
// Refreshed At.
func (c Config) SummaryHeader() []string {
	h := []string{"Date", "Currency", "Conversions"}
	if c.Events {
		h = append(h, "Events")
	}
	return append(h, "Revenue", "Offers", "Refreshed At")
}

// SummaryRows returns d's Summary rows, one per currency in currency order,
// each stamped with refreshedAt (in UTC) as Refreshed At. A day with no
// conversions gets one row with an empty currency and zeros, so the sheet
// shows the day was reported rather than missed.
func (c Config) SummaryRows(d Day, refreshedAt time.Time) [][]Cell {
	totals := d.Totals
	if len(totals) == 0 {
		totals = []Total{{}}
	}
	out := make([][]Cell, len(totals))
	for i, t := range totals {
		row := make([]Cell, 0, 7)
		row = append(row, dateCell(d.Date), textCell(t.Currency), intCell(t.Conversions))
		if c.Events {
			row = append(row, intCell(t.Events))
		}
		out[i] = append(row, moneyCell(t.Revenue), intCell(int64(t.Offers)), timeCell(refreshedAt))
	}
	return out
}

// TabHeader returns the header of a rewrite-mode day tab: the Daily columns
// without Date.
func (c Config) TabHeader() []string {
	return c.tabHeader()
}

// TabRows returns the rows of d's day tab in rewrite mode: d's rows, then
// one Total row per currency in currency order, with "Total" in the Offer
// ID column, empty Offer and sub cells, and the currency's sums. A day with
// no conversions gets a single Total row with an empty currency and zeros.
func (c Config) TabRows(d Day) [][]Cell {
	totals := d.Totals
	if len(totals) == 0 {
		totals = []Total{{}}
	}
	cols := c.tabCols()
	cells := make([]Cell, 0, (len(d.Rows)+len(totals))*cols) // one allocation for the tab
	next := func() []Cell {
		row := cells[len(cells) : len(cells) : len(cells)+cols]
		cells = cells[:len(cells)+cols]
		return row
	}
	out := make([][]Cell, 0, len(d.Rows)+len(totals))
	for _, r := range d.Rows {
		out = append(out, c.appendRow(next(), r))
	}
	for _, t := range totals {
		row := next()
		row = append(row, textCell("Total"), textCell(""))
		for range c.Subs {
			row = append(row, textCell(""))
		}
		row = append(row, textCell(t.Currency), intCell(t.Conversions))
		if c.Events {
			row = append(row, intCell(t.Events))
		}
		out = append(out, append(row, moneyCell(t.Revenue)))
	}
	return out
}

// WriteCSV writes the digest for -dry-run: DailyHeader, then the Daily rows
// of every day in date order (a day with no conversions adds none). Cells
// are written as Cell.String renders them, so money is exact (12.3456,
// 0.30) and dates are YYYY-MM-DD. Quoting of commas, quotes and newlines is
// encoding/csv's. Text that looks like a formula (=…, +…, -…, @…) is
// written as received, not mangled: the CSV is data, and a consumer that
// opens it in a spreadsheet application must import it as text rather than
// evaluate it.
func (c Config) WriteCSV(w io.Writer, days []Day) error {
	days = slices.Clone(days)
	slices.SortStableFunc(days, func(x, y Day) int { return x.Date.Compare(y.Date) })

	cw := csv.NewWriter(w)
	if err := cw.Write(c.DailyHeader()); err != nil {
		return fmt.Errorf("write csv header: %w", err)
	}
	record := make([]string, 0, c.tabCols()+1)
	for _, d := range days {
		for _, row := range c.DailyRows(d) {
			record = record[:0]
			for _, cell := range row {
				record = append(record, cell.String())
			}
			if err := cw.Write(record); err != nil {
				return fmt.Errorf("write csv rows of %s: %w", d.Date, err)
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}
