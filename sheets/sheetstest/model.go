package sheetstest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	sheets "google.golang.org/api/sheets/v4"
)

// The model is copy-on-write: a request works on a transaction that clones
// the spreadsheet shallowly, a tab when it first changes it and a row when
// it first changes that row, so a failed batch is dropped whole and a
// committed one costs the rows it touched, not the size of the sheet. Cells
// are stored sparsely: a tab holds rows only up to its last used row and a
// row cells only up to its last used column, whatever the grid size.

// book is a spreadsheet.
type book struct {
	id       string
	title    string
	locale   string
	timeZone string
	editors  map[string]bool // lower-case emails
	tabs     []*tab          // in index order
}

// tab is one sheet of a spreadsheet.
type tab struct {
	props sheets.SheetProperties // GridProperties never nil; Index kept in sync
	rows  []*row
	gen   uint64
}

type row struct {
	cells []cell
	gen   uint64
}

// cell is a stored cell. The zero value is an empty cell.
type cell struct {
	val  value   // userEnteredValue
	eff  *value  // effective value of a formula; nil when not computed
	fmt  *format // interned userEnteredFormat; nil for none
	note string
}

func (c *cell) empty() bool { return c.val.kind == kindNone && c.fmt == nil && c.note == "" }

// kind is the type of a cell value.
type kind uint8

const (
	kindNone kind = iota
	kindString
	kindNumber
	kindBool
	kindFormula
	kindError
)

type value struct {
	kind kind
	s    string // string, formula text or error type
	n    float64
	b    bool
}

// format is an immutable interned CellFormat, shared by every cell with
// the same format.
type format struct {
	key string
	f   *sheets.CellFormat
}

// intern returns the shared format equal to f (nil for an empty one).
func (s *Server) intern(f *sheets.CellFormat) *format {
	if f == nil {
		return nil
	}
	b, err := json.Marshal(f)
	if err != nil || string(b) == "{}" {
		return nil
	}
	key := string(b)
	if ff := s.formats[key]; ff != nil {
		return ff
	}
	// Re-decode so the stored struct shares nothing with the request.
	var c sheets.CellFormat
	_ = json.Unmarshal(b, &c)
	ff := &format{key: key, f: &c}
	s.formats[key] = ff
	return ff
}

func (t *tab) id() int64        { return t.props.SheetId }
func (t *tab) title() string    { return t.props.Title }
func (t *tab) rowCount() int    { return int(t.props.GridProperties.RowCount) }
func (t *tab) colCount() int    { return int(t.props.GridProperties.ColumnCount) }
func (t *tab) frozenRows() int  { return int(t.props.GridProperties.FrozenRowCount) }
func (t *tab) frozenCols() int  { return int(t.props.GridProperties.FrozenColumnCount) }
func (t *tab) cellCount() int64 { return int64(t.rowCount()) * int64(t.colCount()) }

// at returns the cell at (r, c) for reading; nil when empty.
func (t *tab) at(r, c int) *cell {
	if r < 0 || r >= len(t.rows) || t.rows[r] == nil {
		return nil
	}
	cells := t.rows[r].cells
	if c < 0 || c >= len(cells) {
		return nil
	}
	return &cells[c]
}

func rowEmpty(r *row, empty func(*cell) bool) bool {
	for i := range r.cells {
		if !empty(&r.cells[i]) {
			return false
		}
	}
	return true
}

func (b *book) cellCount() int64 {
	var n int64
	for _, t := range b.tabs {
		n += t.cellCount()
	}
	return n
}

func (b *book) tabByID(id int64) (int, *tab) {
	for i, t := range b.tabs {
		if t.id() == id {
			return i, t
		}
	}
	return -1, nil
}

func (b *book) tabByTitle(title string) (int, *tab) {
	for i, t := range b.tabs {
		if strings.EqualFold(t.title(), title) {
			return i, t
		}
	}
	return -1, nil
}

// firstVisible is the tab an A1 range without a title refers to.
func (b *book) firstVisible() *tab {
	for _, t := range b.tabs {
		if !t.props.Hidden {
			return t
		}
	}
	return b.tabs[0]
}

// txn is a copy-on-write change to a book.
type txn struct {
	s   *Server
	b   *book
	gen uint64
}

// begin starts a change of b; the caller holds s.mu.
func (s *Server) begin(b *book) *txn {
	s.gen++
	nb := *b
	nb.tabs = slices.Clone(b.tabs)
	return &txn{s: s, b: &nb, gen: s.gen}
}

func (x *txn) commit() { x.s.books[x.b.id] = x.b }

// mut makes the tab at position i writable and returns it.
func (x *txn) mut(i int) *tab {
	t := x.b.tabs[i]
	if t.gen == x.gen {
		return t
	}
	nt := *t
	nt.rows = slices.Clone(t.rows)
	gp := *t.props.GridProperties
	nt.props.GridProperties = &gp
	nt.gen = x.gen
	x.b.tabs[i] = &nt
	return &nt
}

// reindex brings every tab's Index in line with its position.
func (x *txn) reindex() {
	for i, t := range x.b.tabs {
		if int(t.props.Index) != i {
			x.mut(i).props.Index = int64(i)
		}
	}
}

// mrow returns row r of a writable tab, writable, creating it.
func (x *txn) mrow(t *tab, r int) *row {
	if r >= len(t.rows) {
		t.rows = append(t.rows, make([]*row, r+1-len(t.rows))...)
	}
	rw := t.rows[r]
	switch {
	case rw == nil:
		rw = &row{gen: x.gen}
		t.rows[r] = rw
	case rw.gen != x.gen:
		rw = &row{cells: slices.Clone(rw.cells), gen: x.gen}
		t.rows[r] = rw
	}
	return rw
}

// mcell returns cell (r, c) of a writable tab, writable.
func (x *txn) mcell(t *tab, r, c int) *cell {
	rw := x.mrow(t, r)
	if c >= len(rw.cells) {
		rw.cells = append(rw.cells, make([]cell, c+1-len(rw.cells))...)
	}
	return &rw.cells[c]
}

// set replaces cell (r, c) of a writable tab.
func (x *txn) set(t *tab, r, c int, v cell) {
	if v.empty() && t.at(r, c) == nil {
		return
	}
	*x.mcell(t, r, c) = v
}

// eachCell calls f for every stored cell of t within rows [r0, r1) and
// columns [c0, c1), in row-major order.
func (t *tab) eachCell(r0, r1, c0, c1 int, f func(r, c int, cl *cell)) {
	for r := r0; r < min(r1, len(t.rows)); r++ {
		rw := t.rows[r]
		if rw == nil {
			continue
		}
		for c := c0; c < min(c1, len(rw.cells)); c++ {
			f(r, c, &rw.cells[c])
		}
	}
}

// insertRows inserts n empty rows before row at of a writable tab; the new
// rows take the formats of the row before (or after) them when inherit is
// set, as Google's insertDimension does.
func (x *txn) insertRows(t *tab, at, n int, fromBefore bool) {
	t.props.GridProperties.RowCount += int64(n)
	if at < t.frozenRows() {
		t.props.GridProperties.FrozenRowCount += int64(n)
	}
	if at < len(t.rows) {
		t.rows = slices.Insert(t.rows, at, make([]*row, n)...)
	}
	src := at + n // the row after, now shifted
	if fromBefore {
		src = at - 1
	}
	if src < 0 || src >= len(t.rows) || t.rows[src] == nil {
		return
	}
	from := t.rows[src]
	for i := range from.cells {
		if f := from.cells[i].fmt; f != nil {
			for r := at; r < at+n; r++ {
				x.mcell(t, r, i).fmt = f
			}
		}
	}
}

// deleteRows removes rows [a, b) of a writable tab.
func (x *txn) deleteRows(t *tab, a, b int) {
	t.props.GridProperties.RowCount -= int64(b - a)
	if fr := t.frozenRows(); a < fr {
		t.props.GridProperties.FrozenRowCount -= int64(min(b, fr) - a)
	}
	if a < len(t.rows) {
		t.rows = slices.Delete(t.rows, a, min(b, len(t.rows)))
	}
}

// insertCols inserts n empty columns before column at of a writable tab,
// inheriting formats like insertRows.
func (x *txn) insertCols(t *tab, at, n int, fromBefore bool) {
	t.props.GridProperties.ColumnCount += int64(n)
	if at < t.frozenCols() {
		t.props.GridProperties.FrozenColumnCount += int64(n)
	}
	for r, rw := range t.rows {
		if rw == nil {
			continue
		}
		var inherit *format
		src := at + n
		if fromBefore {
			src = at - 1
		}
		if src >= 0 {
			if fromBefore && src < len(rw.cells) {
				inherit = rw.cells[src].fmt
			} else if !fromBefore && at < len(rw.cells) {
				inherit = rw.cells[at].fmt
			}
		}
		if at >= len(rw.cells) && inherit == nil {
			continue
		}
		mr := x.mrow(t, r)
		if at < len(mr.cells) {
			mr.cells = slices.Insert(mr.cells, at, make([]cell, n)...)
		}
		if inherit != nil {
			for c := at; c < at+n; c++ {
				if c >= len(mr.cells) {
					mr.cells = append(mr.cells, make([]cell, c+1-len(mr.cells))...)
				}
				mr.cells[c].fmt = inherit
			}
		}
	}
}

// deleteCols removes columns [a, b) of a writable tab.
func (x *txn) deleteCols(t *tab, a, b int) {
	t.props.GridProperties.ColumnCount -= int64(b - a)
	if fc := t.frozenCols(); a < fc {
		t.props.GridProperties.FrozenColumnCount -= int64(min(b, fc) - a)
	}
	for r, rw := range t.rows {
		if rw == nil || a >= len(rw.cells) {
			continue
		}
		mr := x.mrow(t, r)
		mr.cells = slices.Delete(mr.cells, a, min(b, len(mr.cells)))
	}
}

// setRowCount resizes the grid of a writable tab, dropping the cells of
// removed rows.
func (x *txn) setRowCount(t *tab, n int) {
	t.props.GridProperties.RowCount = int64(n)
	if n < len(t.rows) {
		clear(t.rows[n:])
		t.rows = t.rows[:n]
	}
}

// setColCount resizes the grid of a writable tab, dropping the cells of
// removed columns.
func (x *txn) setColCount(t *tab, n int) {
	t.props.GridProperties.ColumnCount = int64(n)
	for r, rw := range t.rows {
		if rw == nil || len(rw.cells) <= n {
			continue
		}
		mr := x.mrow(t, r)
		mr.cells = mr.cells[:n:n]
	}
}

// newTab makes a tab with Google's defaults for what props leaves out.
func newTab(props sheets.SheetProperties) *tab {
	gp := sheets.GridProperties{}
	if props.GridProperties != nil {
		gp = *props.GridProperties
	}
	if gp.RowCount == 0 {
		gp.RowCount = DefaultRows
	}
	if gp.ColumnCount == 0 {
		gp.ColumnCount = DefaultColumns
	}
	props.GridProperties = &gp
	props.SheetType = "GRID"
	props.ForceSendFields, props.NullFields = nil, nil
	return &tab{props: props}
}

// AddSpreadsheet creates a spreadsheet with one tab "Sheet1" (sheetId 0,
// 1000 x 26, as Google makes them) shared with editors. It replaces any
// spreadsheet with the same id.
func (s *Server) AddSpreadsheet(id, title string, editors ...string) {
	b := &book{id: id, title: title, locale: "en_US", timeZone: "Etc/GMT", editors: make(map[string]bool)}
	for _, e := range editors {
		b.editors[strings.ToLower(e)] = true
	}
	b.tabs = []*tab{newTab(sheets.SheetProperties{Title: "Sheet1"})}
	s.mu.Lock()
	s.books[id] = b
	s.mu.Unlock()
}

// Share gives email editor access to the spreadsheet id.
func (s *Server) Share(id, email string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.mustBook(id)
	nb := *b
	nb.editors = make(map[string]bool, len(b.editors)+1)
	for k := range b.editors {
		nb.editors[k] = true
	}
	nb.editors[strings.ToLower(email)] = true
	s.books[id] = &nb
}

// Unshare removes the access of email to the spreadsheet id.
func (s *Server) Unshare(id, email string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.mustBook(id)
	nb := *b
	nb.editors = make(map[string]bool, len(b.editors))
	for k := range b.editors {
		if k != strings.ToLower(email) {
			nb.editors[k] = true
		}
	}
	s.books[id] = &nb
}

// mustBook returns the spreadsheet id or panics: a test set-up mistake.
func (s *Server) mustBook(id string) *book {
	b := s.books[id]
	if b == nil {
		panic(fmt.Sprintf("sheetstest: no spreadsheet %q", id))
	}
	return b
}
