package sheetstest

import (
	"strconv"
	"strings"
)

// maxColumns is the widest a sheet gets (ZZZ).
const maxColumns = 18278

// a1 is a parsed A1 range. Rows and columns are zero-based and half-open;
// an end of -1 is unbounded (the end of the grid).
type a1 struct {
	input    string
	title    string // "" with hasTitle false: the first visible tab
	hasTitle bool
	whole    bool // no cell part: the whole tab
	single   bool // one cell, such as A1: an anchor for writes
	r0, r1   int
	c0, c1   int
}

// parseA1 parses the forms Google accepts: Sheet1!A1:B2, Sheet1!A:A,
// Sheet1!1:2, Sheet1!A5:A, A1:B2 (first visible tab), Sheet1 (whole tab),
// 'My Sheet'!A:A, where a quote inside a quoted title is doubled. R1C1
// is not accepted.
func parseA1(s string) (a1, bool) {
	r := a1{input: s}
	var cells string
	switch {
	case strings.HasPrefix(s, "'"):
		title, rest, ok := cutQuoted(s)
		if !ok || title == "" {
			return r, false
		}
		r.title, r.hasTitle = title, true
		switch {
		case rest == "":
			r.whole = true
			return r, true
		case strings.HasPrefix(rest, "!") && len(rest) > 1:
			cells = rest[1:]
		default:
			return r, false
		}
	case strings.Contains(s, "!"):
		i := strings.LastIndex(s, "!")
		title := s[:i]
		if title == "" || strings.Contains(title, "'") {
			return r, false
		}
		// An unquoted title that reads as a cell reference is refused, as
		// Google does (quote it: 'A1'!B2).
		if _, ok := parseCells(title); ok {
			return r, false
		}
		r.title, r.hasTitle, cells = title, true, s[i+1:]
	default:
		if g, ok := parseCells(s); ok {
			g.input = s
			return g, true
		}
		if s == "" || strings.ContainsAny(s, "':") {
			return r, false
		}
		r.title, r.hasTitle, r.whole = s, true, true
		return r, true
	}
	g, ok := parseCells(cells)
	if !ok {
		return r, false
	}
	g.input, g.title, g.hasTitle = s, r.title, true
	return g, true
}

// cutQuoted reads a quoted title at the start of s.
func cutQuoted(s string) (title, rest string, ok bool) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] != '\'' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '\'' {
			b.WriteByte('\'')
			i++
			continue
		}
		return b.String(), s[i+1:], true
	}
	return "", "", false
}

// parseCells parses the cell part of a range: A1, A1:B2, A:B, 1:2, A5:A,
// A:A5 is refused.
func parseCells(s string) (a1, bool) {
	r := a1{r1: -1, c1: -1}
	from, to, isRange := strings.Cut(s, ":")
	c0, r0, ok := parseRef(from)
	if !ok || (c0 < 0 && r0 < 0) {
		return r, false
	}
	if !isRange {
		if c0 < 0 || r0 < 0 {
			return r, false
		}
		r.r0, r.r1, r.c0, r.c1, r.single = r0, r0+1, c0, c0+1, true
		return r, true
	}
	c1, r1, ok := parseRef(to)
	if !ok || (c1 < 0 && r1 < 0) {
		return r, false
	}
	switch {
	case c0 >= 0 && r0 >= 0 && c1 >= 0 && r1 >= 0: // A1:B2
		r.r0, r.r1 = min(r0, r1), max(r0, r1)+1
		r.c0, r.c1 = min(c0, c1), max(c0, c1)+1
	case c0 >= 0 && c1 >= 0 && r1 < 0: // A:B or A5:B
		r.c0, r.c1 = min(c0, c1), max(c0, c1)+1
		r.r0 = max(r0, 0)
	case c0 < 0 && c1 < 0: // 1:2
		if r1 < 0 {
			return r, false
		}
		r.r0, r.r1 = min(r0, r1), max(r0, r1)+1
		r.c0 = 0
	case c0 >= 0 && r0 >= 0 && c1 < 0 && r1 >= 0: // A5:7 (row-bounded, columns open)
		r.r0, r.r1 = min(r0, r1), max(r0, r1)+1
		r.c0 = c0
	default:
		return r, false
	}
	return r, true
}

// parseRef parses A1, A, or 1 into zero-based column and row; -1 for a
// missing part.
func parseRef(s string) (col, row int, ok bool) {
	i := 0
	for i < len(s) && isLetter(s[i]) {
		i++
	}
	letters, digits := s[:i], s[i:]
	col, row = -1, -1
	if letters == "" && digits == "" {
		return 0, 0, false
	}
	if letters != "" {
		if len(letters) > 3 {
			return 0, 0, false
		}
		n := 0
		for j := 0; j < len(letters); j++ {
			n = n*26 + int(upper(letters[j])-'A'+1)
		}
		if n > maxColumns {
			return 0, 0, false
		}
		col = n - 1
	}
	if digits != "" {
		if digits[0] == '0' {
			return 0, 0, false
		}
		n, err := strconv.Atoi(digits)
		if err != nil || n < 1 {
			return 0, 0, false
		}
		row = n - 1
	}
	return col, row, true
}

func isLetter(b byte) bool { return b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' }

func upper(b byte) byte {
	if b >= 'a' && b <= 'z' {
		return b - 'a' + 'A'
	}
	return b
}

// colName is the letters of a zero-based column: 0 A, 25 Z, 26 AA.
func colName(c int) string {
	var b []byte
	for c++; c > 0; c = (c - 1) / 26 {
		b = append([]byte{byte('A' + (c-1)%26)}, b...)
	}
	return string(b)
}

// cellName is the A1 name of a zero-based cell.
func cellName(r, c int) string { return colName(c) + strconv.Itoa(r+1) }

// quoteTitle quotes a title for an A1 range the way Google writes ranges
// back: plain identifiers that cannot be read as a cell stay bare.
func quoteTitle(t string) string {
	plain := t != ""
	for i := 0; i < len(t); i++ {
		b := t[i]
		if !(isLetter(b) || b == '_' || (i > 0 && b >= '0' && b <= '9')) {
			plain = false
			break
		}
	}
	if plain {
		if _, ok := parseCells(t); ok {
			plain = false
		}
	}
	if plain {
		return t
	}
	return "'" + strings.ReplaceAll(t, "'", "''") + "'"
}

// rangeName is the A1 range Google reports for rows [r0, r1) and columns
// [c0, c1) of a tab.
func rangeName(title string, r0, r1, c0, c1 int) string {
	s := quoteTitle(title) + "!" + cellName(r0, c0)
	if r1-r0 != 1 || c1-c0 != 1 {
		s += ":" + cellName(r1-1, c1-1)
	}
	return s
}

// bounded is a range resolved against a tab: every end is set.
type bounded struct {
	t      *tab
	ti     int // position of t in the book
	r0, r1 int
	c0, c1 int
	single bool
}

func (g bounded) name() string { return rangeName(g.t.title(), g.r0, g.r1, g.c0, g.c1) }

// resolve finds the tab of a parsed range and bounds the range by its
// grid; a range reaching past the grid is refused with Google's
// "exceeds grid limits" error.
func (b *book) resolve(input string) (bounded, *apiError) {
	p, ok := parseA1(input)
	if !ok {
		return bounded{}, badRequest("Unable to parse range: %s", input)
	}
	var t *tab
	ti := -1
	if p.hasTitle {
		ti, t = b.tabByTitle(p.title)
		if t == nil {
			return bounded{}, badRequest("Unable to parse range: %s", input)
		}
	} else {
		t = b.firstVisible()
		ti, _ = b.tabByID(t.id())
	}
	g := bounded{t: t, ti: ti, r0: p.r0, r1: p.r1, c0: p.c0, c1: p.c1, single: p.single}
	if p.whole {
		g.r0, g.c0, g.r1, g.c1 = 0, 0, -1, -1
	}
	if g.r1 < 0 {
		g.r1 = t.rowCount()
	}
	if g.c1 < 0 {
		g.c1 = t.colCount()
	}
	if err := g.checkGrid(g.r0, g.r1, g.c0, g.c1); err != nil {
		return g, err
	}
	return g, nil
}

// checkGrid refuses rows [r0, r1) and columns [c0, c1) of g's tab when they
// reach past its grid, naming the first cell outside it.
func (g bounded) checkGrid(r0, r1, c0, c1 int) *apiError {
	return gridError(g.t, r0, r1, c0, c1)
}

func gridError(t *tab, r0, r1, c0, c1 int) *apiError {
	rows, cols := t.rowCount(), t.colCount()
	if r1 <= rows && c1 <= cols && r0 < max(r1, 1) && c0 < max(c1, 1) {
		return nil
	}
	cell := ""
	switch {
	case r1 > rows || r0 >= rows:
		cell = cellName(max(r0, rows), c0)
	default:
		cell = cellName(r0, max(c0, cols))
	}
	return badRequest("Range (%s!%s) exceeds grid limits. Max rows: %d, max columns: %d", quoteTitle(t.title()), cell, rows, cols)
}
