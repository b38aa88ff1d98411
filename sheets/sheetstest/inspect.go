package sheetstest

import (
	"fmt"
	"math"
	"strings"
	"unicode"

	sheets "google.golang.org/api/sheets/v4"
)

// Tab is a snapshot of one sheet of a spreadsheet, for assertions.
type Tab struct {
	SheetID     int64
	Title       string
	Index       int
	RowCount    int
	ColumnCount int
	FrozenRows  int
	FrozenCols  int
	// Rows holds the cells from A1 to the last row holding a value; each
	// row ends at its last cell holding a value. Cells inside that area
	// carry their format even without a value.
	Rows [][]Cell
}

// Cell is a typed cell of a snapshot. At most one of String, Number and
// Bool is set; for a formula they hold its computed value, if the
// stand-in could compute it.
type Cell struct {
	String  *string
	Number  *float64
	Bool    *bool
	Formula string // "=…" for a formula cell
	Error   string // the error a formula evaluates to, such as "#DIV/0!"
	// Type and Pattern are the cell's userEnteredFormat.numberFormat.
	Type, Pattern string
	Bold          bool // userEnteredFormat.textFormat.bold
	Note          string
}

// IsZero reports whether the cell is empty and unformatted.
func (c Cell) IsZero() bool { return c == Cell{} }

func snapshotCell(c *cell) Cell {
	var out Cell
	if c == nil {
		return out
	}
	v := c.val
	if v.kind == kindFormula {
		out.Formula = v.s
		v = c.effective()
	}
	switch v.kind {
	case kindString:
		s := v.s
		out.String = &s
	case kindNumber:
		n := v.n
		out.Number = &n
	case kindBool:
		b := v.b
		out.Bool = &b
	case kindError:
		out.Error = v.s
	}
	if f := c.format(); f != nil {
		if f.NumberFormat != nil {
			out.Type, out.Pattern = f.NumberFormat.Type, f.NumberFormat.Pattern
		}
		out.Bold = f.TextFormat != nil && f.TextFormat.Bold
	}
	out.Note = c.note
	return out
}

func snapshot(t *tab, index int) Tab {
	out := Tab{
		SheetID: t.id(), Title: t.title(), Index: index,
		RowCount: t.rowCount(), ColumnCount: t.colCount(),
		FrozenRows: t.frozenRows(), FrozenCols: t.frozenCols(),
	}
	last := lastValueRow(t)
	for r := 0; r < last; r++ {
		var cells []Cell
		if rw := t.rows[r]; rw != nil {
			end := len(rw.cells)
			for end > 0 && rw.cells[end-1].val.kind == kindNone {
				end--
			}
			for c := 0; c < end; c++ {
				cells = append(cells, snapshotCell(&rw.cells[c]))
			}
		}
		out.Rows = append(out.Rows, cells)
	}
	return out
}

// Tabs returns a snapshot of every tab of the spreadsheet id, in index
// order. It panics when there is no such spreadsheet.
func (s *Server) Tabs(id string) []Tab {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.mustBook(id)
	out := make([]Tab, len(b.tabs))
	for i, t := range b.tabs {
		out[i] = snapshot(t, i)
	}
	return out
}

// Title returns the title of the spreadsheet id.
func (s *Server) Title(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mustBook(id).title
}

// CellCount returns the cells of the spreadsheet id counted against the
// 10,000,000-cell limit: every tab's whole grid.
func (s *Server) CellCount(id string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mustBook(id).cellCount()
}

// AddSheet adds a tab of rows x columns at the end of the spreadsheet id
// for test set-up and returns its random sheetId. It panics on a taken
// title. The cell limit is not checked, so a test can build a spreadsheet
// at or past it.
func (s *Server) AddSheet(id, title string, rows, cols int) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.mustBook(id)
	if b.titleTaken(title, -1) || rows < 1 || cols < 1 {
		panic(fmt.Sprintf("sheetstest: AddSheet %q %dx%d: title taken or empty grid", title, rows, cols))
	}
	x := s.begin(b)
	var sid int64
	for {
		sid = s.randInt63n(math.MaxInt32) + 1
		if _, t := b.tabByID(sid); t == nil {
			break
		}
	}
	t := newTab(sheets.SheetProperties{SheetId: sid, Title: title, Index: int64(len(b.tabs)),
		GridProperties: &sheets.GridProperties{RowCount: int64(rows), ColumnCount: int64(cols)}})
	t.gen = x.gen
	x.b.tabs = append(x.b.tabs, t)
	x.commit()
	return sid
}

// SetGrid resizes the tab title of the spreadsheet id to rows x columns,
// dropping cells outside the new grid, for test set-up. The cell limit is
// not checked.
func (s *Server) SetGrid(id, title string, rows, cols int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.mustBook(id)
	i, t := b.tabByTitle(title)
	if t == nil || rows < 1 || cols < 1 {
		panic(fmt.Sprintf("sheetstest: SetGrid %q %dx%d: no such tab or empty grid", title, rows, cols))
	}
	x := s.begin(b)
	mt := x.mut(i)
	x.setRowCount(mt, rows)
	x.setColCount(mt, cols)
	gp := mt.props.GridProperties
	gp.FrozenRowCount = min(gp.FrozenRowCount, int64(rows-1))
	gp.FrozenColumnCount = min(gp.FrozenColumnCount, int64(cols-1))
	x.commit()
}

// SetValues writes values into the spreadsheet id from the top-left cell
// of the A1 range a1 (such as "'Daily'!A2"), for test set-up. Values may
// be string (stored as text, never parsed), bool, any integer or float
// type (numbers), Cell (a typed cell with its format, replacing the cell)
// or nil (left as is). It panics when the range does not resolve or the
// values do not fit in the grid.
func (s *Server) SetValues(id, a1 string, rows [][]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.mustBook(id)
	g, err := b.resolve(a1)
	if err != nil {
		panic(fmt.Sprintf("sheetstest: SetValues %q: %s", a1, err.Message))
	}
	nr, nc := extent(rows)
	if err := gridError(g.t, g.r0, g.r0+nr, g.c0, g.c0+max(nc, 1)); nr > 0 && err != nil {
		panic(fmt.Sprintf("sheetstest: SetValues %q: %s", a1, err.Message))
	}
	x := s.begin(b)
	t := x.mut(g.ti)
	for i, r := range rows {
		for j, v := range r {
			rr, cc := g.r0+i, g.c0+j
			switch v := v.(type) {
			case nil:
			case Cell:
				x.set(t, rr, cc, s.fromSnapshot(v))
			case string, bool, float64:
				x.setValue(t, rr, cc, v, false)
			case float32:
				x.setValue(t, rr, cc, float64(v), false)
			case int:
				x.setValue(t, rr, cc, float64(v), false)
			case int32:
				x.setValue(t, rr, cc, float64(v), false)
			case int64:
				x.setValue(t, rr, cc, float64(v), false)
			case uint:
				x.setValue(t, rr, cc, float64(v), false)
			default:
				panic(fmt.Sprintf("sheetstest: SetValues %q: unsupported value %T", a1, v))
			}
		}
	}
	x.commit()
}

// fromSnapshot turns a snapshot cell back into a stored cell.
func (s *Server) fromSnapshot(c Cell) cell {
	var out cell
	switch {
	case c.Formula != "":
		out.val = value{kind: kindFormula, s: c.Formula}
		out.eff = evalFormula(c.Formula)
	case c.String != nil:
		out.val = textValue(*c.String)
	case c.Number != nil:
		out.val = value{kind: kindNumber, n: *c.Number}
	case c.Bool != nil:
		out.val = value{kind: kindBool, b: *c.Bool}
	}
	var f sheets.CellFormat
	if c.Type != "" || c.Pattern != "" {
		f.NumberFormat = &sheets.NumberFormat{Type: c.Type, Pattern: c.Pattern}
	}
	if c.Bold {
		f.TextFormat = &sheets.TextFormat{Bold: true}
	}
	out.fmt = s.intern(&f)
	out.note = c.Note
	return out
}

// Render returns every tab of the spreadsheet id as a text table (see
// RenderTab), in index order.
func (s *Server) Render(id string) string {
	s.mu.Lock()
	b := s.mustBook(id)
	s.mu.Unlock()
	var out strings.Builder
	for i, t := range b.tabs {
		if i > 0 {
			out.WriteString("\n")
		}
		out.WriteString(renderTab(t))
	}
	return out.String()
}

// RenderTab returns one tab as a text table: a title line with the grid
// size, then its rows as the spreadsheet shows them (numbers and dates in
// their number format, formulas by their value), columns aligned, numbers
// to the right, a rule under the frozen header rows, and no trailing empty
// rows. Line breaks and tabs in a cell show as ↵ and →, and a cell wider
// than 40 columns is cut with …, so every row stays one line. It panics
// when there is no such tab.
func (s *Server) RenderTab(id, title string) string {
	s.mu.Lock()
	b := s.mustBook(id)
	s.mu.Unlock()
	_, t := b.tabByTitle(title)
	if t == nil {
		panic(fmt.Sprintf("sheetstest: no tab %q in %q", title, id))
	}
	return renderTab(t)
}

func renderTab(t *tab) string {
	var out strings.Builder
	fmt.Fprintf(&out, "%s (%d x %d", t.title(), t.rowCount(), t.colCount())
	if n := t.frozenRows(); n > 0 {
		fmt.Fprintf(&out, ", %d frozen", n)
	}
	out.WriteString(")\n")
	last := lastValueRow(t)
	if last == 0 {
		out.WriteString("  (empty)\n")
		return out.String()
	}
	type shown struct {
		text  string
		right bool
	}
	var rows [][]shown
	var widths []int
	for r := 0; r < last; r++ {
		var line []shown
		if rw := t.rows[r]; rw != nil {
			end := len(rw.cells)
			for end > 0 && rw.cells[end-1].val.kind == kindNone {
				end--
			}
			for c := 0; c < end; c++ {
				cl := &rw.cells[c]
				ev := cl.effective()
				text := formatted(ev, cl.format())
				if cl.val.kind == kindFormula && cl.eff == nil {
					text = cl.val.s
				}
				line = append(line, shown{text: cellText(text), right: ev.kind == kindNumber})
			}
		}
		for c, sh := range line {
			if c >= len(widths) {
				widths = append(widths, 0)
			}
			widths[c] = max(widths[c], width(sh.text))
		}
		rows = append(rows, line)
	}
	for r, line := range rows {
		var b strings.Builder
		for c, sh := range line {
			if c > 0 {
				b.WriteString("  ")
			}
			padding := strings.Repeat(" ", widths[c]-width(sh.text))
			if sh.right {
				b.WriteString(padding + sh.text)
			} else {
				b.WriteString(sh.text + padding)
			}
		}
		out.WriteString("  " + strings.TrimRight(b.String(), " ") + "\n")
		if r+1 == t.frozenRows() && r+1 < len(rows) {
			parts := make([]string, len(widths))
			for c, w := range widths {
				parts[c] = strings.Repeat("-", w)
			}
			out.WriteString("  " + strings.Join(parts, "  ") + "\n")
		}
	}
	return out.String()
}

// maxCellWidth is the widest a rendered cell gets, in terminal columns.
const maxCellWidth = 40

// cellText makes a cell's text fit one line of a table.
func cellText(s string) string {
	s = strings.NewReplacer("\r\n", "↵", "\n", "↵", "\r", "↵", "\t", "→").Replace(s)
	if width(s) <= maxCellWidth {
		return s
	}
	var b strings.Builder
	w := 0
	for _, r := range s {
		rw := runeWidth(r)
		if w+rw > maxCellWidth-1 {
			break
		}
		b.WriteRune(r)
		w += rw
	}
	return b.String() + "…"
}

// width is the number of terminal columns s takes.
func width(s string) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

// runeWidth approximates the columns a rune takes in a terminal: 0 for
// combining marks and other invisible runes, 2 for East Asian wide and
// fullwidth ones, 1 otherwise.
func runeWidth(r rune) int {
	switch {
	case unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r) || unicode.Is(unicode.Cf, r):
		return 0
	case r >= 0x1100 && r <= 0x115F, r >= 0x2E80 && r <= 0xA4CF && r != 0x303F,
		r >= 0xAC00 && r <= 0xD7A3, r >= 0xF900 && r <= 0xFAFF, r >= 0xFE30 && r <= 0xFE4F,
		r >= 0xFF00 && r <= 0xFF60, r >= 0xFFE0 && r <= 0xFFE6, r >= 0x1F300 && r <= 0x1FAFF,
		r >= 0x20000 && r <= 0x3FFFD:
		return 2
	}
	return 1
}
