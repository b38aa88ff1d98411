package sheetstest

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	sheets "google.golang.org/api/sheets/v4"
)

// dispatch runs an authenticated op on its spreadsheet.
func (s *Server) dispatch(r *http.Request, o *op, email string, body []byte) (any, *apiError) {
	q := r.URL.Query()
	if o.name == "create" {
		// A service account has no Drive storage of its own.
		return nil, errorf(http.StatusForbidden, "The user's Drive storage quota has been exceeded.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.books[o.id]
	if b == nil {
		return nil, errorf(http.StatusNotFound, "Requested entity was not found.")
	}
	if !b.editors[strings.ToLower(email)] {
		return nil, errorf(http.StatusForbidden, "The caller does not have permission")
	}
	switch o.name {
	case "get":
		return s.spreadsheetsGet(b, q)
	case "batchUpdate":
		return s.batchUpdate(b, body)
	case "values.get":
		return s.valuesGet(b, o.rng, q)
	case "values.batchGet":
		return s.valuesBatchGet(b, q)
	case "values.update":
		return s.valuesUpdate(b, o.rng, q, body)
	case "values.append":
		return s.valuesAppend(b, o.rng, q, body)
	case "values.clear":
		return s.valuesClear(b, o.rng, body)
	case "values.batchUpdate":
		return s.valuesBatchUpdate(b, body)
	case "values.batchClear":
		return s.valuesBatchClear(b, body)
	}
	return nil, errorf(http.StatusNotFound, "Method not found.")
}

// spreadsheetsGet implements spreadsheets.get. Grid data comes with
// includeGridData when there is no field mask, and when the mask selects
// sheets.data otherwise (Google ignores includeGridData once a mask is
// set). With ranges, only the tabs they name are returned, and their data
// is limited to the ranges.
func (s *Server) spreadsheetsGet(b *book, q url.Values) (any, *apiError) {
	include, err := boolParam(q, "includeGridData")
	if err != nil {
		return nil, err
	}
	if _, err := boolParam(q, "excludeTablesInBandedRanges"); err != nil {
		return nil, err
	}
	if f := q.Get("fields"); f != "" {
		include = false
		if m, ok := parseMask(f); ok {
			include = selectsData(m)
		}
	}
	return s.spreadsheet(b, q["ranges"], include)
}

// selectsData reports whether a response mask asks for sheets.data.
func selectsData(m mask) bool {
	sh, ok := m["sheets"]
	if !ok {
		_, all := m["*"]
		return all
	}
	if sh == nil {
		return true
	}
	_, data := sh["data"]
	_, all := sh["*"]
	return data || all
}

// spreadsheet builds the Spreadsheet resource of b.
func (s *Server) spreadsheet(b *book, ranges []string, data bool) (*sheets.Spreadsheet, *apiError) {
	ss := &sheets.Spreadsheet{
		SpreadsheetId:  b.id,
		SpreadsheetUrl: "https://docs.google.com/spreadsheets/d/" + b.id + "/edit",
		Properties: &sheets.SpreadsheetProperties{
			Title: b.title, Locale: b.locale, TimeZone: b.timeZone, AutoRecalc: "ON_CHANGE",
			DefaultFormat: &sheets.CellFormat{
				BackgroundColor:   &sheets.Color{Red: 1, Green: 1, Blue: 1},
				Padding:           &sheets.Padding{Top: 2, Right: 3, Bottom: 2, Left: 3},
				VerticalAlignment: "BOTTOM", WrapStrategy: "OVERFLOW_CELL",
				TextFormat: &sheets.TextFormat{ForegroundColor: &sheets.Color{}, FontFamily: "arial", FontSize: 10},
			},
		},
	}
	var want []bounded
	for _, r := range ranges {
		g, err := b.resolve(r)
		if err != nil {
			return nil, err
		}
		want = append(want, g)
	}
	for i, t := range b.tabs {
		var mine []bounded
		for _, g := range want {
			if g.ti == i {
				mine = append(mine, g)
			}
		}
		if len(want) > 0 && len(mine) == 0 {
			continue
		}
		props := t.props
		gp := *t.props.GridProperties
		props.GridProperties = &gp
		props.Index = int64(i)
		sh := &sheets.Sheet{Properties: &props}
		if data {
			if len(mine) == 0 {
				mine = []bounded{{t: t, ti: i, r0: 0, r1: t.rowCount(), c0: 0, c1: t.colCount()}}
			}
			for _, g := range mine {
				sh.Data = append(sh.Data, gridData(g))
			}
		}
		ss.Sheets = append(ss.Sheets, sh)
	}
	return ss, nil
}

// gridData renders the cells of a range, trailing empty rows and cells
// dropped. Row and column metadata are not produced.
func gridData(g bounded) *sheets.GridData {
	gd := &sheets.GridData{StartRow: int64(g.r0), StartColumn: int64(g.c0)}
	t := g.t
	last := min(g.r1, len(t.rows))
	for last > g.r0 {
		rw := t.rows[last-1]
		if rw != nil && slices.ContainsFunc(rw.cells[min(g.c0, len(rw.cells)):min(g.c1, len(rw.cells))], func(c cell) bool { return !c.empty() }) {
			break
		}
		last--
	}
	for r := g.r0; r < last; r++ {
		rd := &sheets.RowData{}
		if rw := t.rows[r]; rw != nil {
			end := min(g.c1, len(rw.cells))
			for end > g.c0 && rw.cells[end-1].empty() {
				end--
			}
			for c := g.c0; c < end; c++ {
				rd.Values = append(rd.Values, cellData(&rw.cells[c]))
			}
		}
		gd.RowData = append(gd.RowData, rd)
	}
	return gd
}
