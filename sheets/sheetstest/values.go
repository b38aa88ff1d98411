package sheetstest

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	sheets "google.golang.org/api/sheets/v4"
)

// render holds the render options of a values read.
type render struct {
	value    string // FORMATTED_VALUE, UNFORMATTED_VALUE or FORMULA
	dateTime string // SERIAL_NUMBER or FORMATTED_STRING
}

func enumError(param, typ, v string) *apiError {
	return badRequest("Invalid value at '%s' (type.googleapis.com/google.apps.sheets.v4.%s), %q", param, typ, v)
}

// parseRender reads the render options of a request, with Google's
// defaults.
func parseRender(valueOpt, dateOpt, valueParam, dateParam string) (render, *apiError) {
	ro := render{value: valueOpt, dateTime: dateOpt}
	switch ro.value {
	case "":
		ro.value = "FORMATTED_VALUE"
	case "FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA":
	default:
		return ro, enumError(valueParam, "ValueRenderOption", ro.value)
	}
	switch ro.dateTime {
	case "":
		ro.dateTime = "SERIAL_NUMBER"
	case "SERIAL_NUMBER", "FORMATTED_STRING":
	default:
		return ro, enumError(dateParam, "DateTimeRenderOption", ro.dateTime)
	}
	return ro, nil
}

func parseMajor(v, param string) (string, *apiError) {
	switch v {
	case "", "DIMENSION_UNSPECIFIED", "ROWS":
		return "ROWS", nil
	case "COLUMNS":
		return "COLUMNS", nil
	}
	return "", enumError(param, "Dimension", v)
}

// effective is the value a cell shows: a formula's computed value, or the
// value entered.
func (c *cell) effective() value {
	if c.val.kind == kindFormula {
		if c.eff == nil {
			return value{}
		}
		return *c.eff
	}
	return c.val
}

func (c *cell) format() *sheets.CellFormat {
	if c == nil || c.fmt == nil {
		return nil
	}
	return c.fmt.f
}

// cellValue is a cell as the values API renders it; "" for empty.
func (ro render) cellValue(c *cell) any {
	if c == nil {
		return ""
	}
	if ro.value == "FORMULA" && c.val.kind == kindFormula {
		return c.val.s
	}
	v := c.effective()
	if ro.value == "FORMATTED_VALUE" {
		return formatted(v, c.format())
	}
	switch v.kind {
	case kindNumber:
		if ro.dateTime == "FORMATTED_STRING" && isDateType(c.format()) {
			return formatted(v, c.format())
		}
		return v.n
	case kindBool:
		return v.b
	case kindString, kindError:
		return v.s
	}
	return ""
}

// readValues renders a range the way values.get does: trailing empty
// cells and rows dropped, majorDimension applied.
func readValues(g bounded, major string, ro render) [][]any {
	t := g.t
	var rows [][]any
	for r := g.r0; r < min(g.r1, len(t.rows)); r++ {
		var out []any
		if rw := t.rows[r]; rw != nil {
			for c := g.c0; c < min(g.c1, len(rw.cells)); c++ {
				out = append(out, ro.cellValue(&rw.cells[c]))
			}
		}
		for len(out) > 0 && out[len(out)-1] == "" {
			out = out[:len(out)-1]
		}
		rows = append(rows, out)
	}
	for len(rows) > 0 && len(rows[len(rows)-1]) == 0 {
		rows = rows[:len(rows)-1]
	}
	if major == "COLUMNS" {
		rows = transpose(rows)
	}
	for i := range rows {
		if rows[i] == nil {
			rows[i] = []any{}
		}
	}
	return rows
}

// transpose turns rows into columns, trimming trailing empty cells.
func transpose(rows [][]any) [][]any {
	width := 0
	for _, r := range rows {
		width = max(width, len(r))
	}
	cols := make([][]any, width)
	for c := range cols {
		for r := range rows {
			if c < len(rows[r]) {
				cols[c] = append(cols[c], rows[r][c])
			} else {
				cols[c] = append(cols[c], "")
			}
		}
		for len(cols[c]) > 0 && cols[c][len(cols[c])-1] == "" {
			cols[c] = cols[c][:len(cols[c])-1]
		}
	}
	for len(cols) > 0 && len(cols[len(cols)-1]) == 0 {
		cols = cols[:len(cols)-1]
	}
	return cols
}

func (s *Server) valuesGet(b *book, rng string, q url.Values) (any, *apiError) {
	major, err := parseMajor(q.Get("majorDimension"), "major_dimension")
	if err != nil {
		return nil, err
	}
	ro, err := parseRender(q.Get("valueRenderOption"), q.Get("dateTimeRenderOption"), "value_render_option", "date_time_render_option")
	if err != nil {
		return nil, err
	}
	g, err := b.resolve(rng)
	if err != nil {
		return nil, err
	}
	return &sheets.ValueRange{Range: g.name(), MajorDimension: major, Values: toIface(readValues(g, major, ro))}, nil
}

func toIface(rows [][]any) [][]interface{} { return rows }

func (s *Server) valuesBatchGet(b *book, q url.Values) (any, *apiError) {
	major, err := parseMajor(q.Get("majorDimension"), "major_dimension")
	if err != nil {
		return nil, err
	}
	ro, err := parseRender(q.Get("valueRenderOption"), q.Get("dateTimeRenderOption"), "value_render_option", "date_time_render_option")
	if err != nil {
		return nil, err
	}
	resp := &sheets.BatchGetValuesResponse{SpreadsheetId: b.id}
	for _, rng := range q["ranges"] {
		g, err := b.resolve(rng)
		if err != nil {
			return nil, err
		}
		resp.ValueRanges = append(resp.ValueRanges, &sheets.ValueRange{Range: g.name(), MajorDimension: major, Values: readValues(g, major, ro)})
	}
	return resp, nil
}

// inputOption validates valueInputOption, which every values write
// requires.
func inputOption(v, param string) (bool, *apiError) {
	switch v {
	case "RAW":
		return false, nil
	case "USER_ENTERED":
		return true, nil
	case "", "INPUT_VALUE_OPTION_UNSPECIFIED":
		return false, badRequest("Invalid valueInputOption: INPUT_VALUE_OPTION_UNSPECIFIED")
	}
	return false, enumError(param, "ValueInputOption", v)
}

// writeResult is what one values write changed.
type writeResult struct {
	g                    bounded // the rectangle the data covers
	rows, columns, cells int64
}

func (w writeResult) response(id string) *sheets.UpdateValuesResponse {
	r := &sheets.UpdateValuesResponse{SpreadsheetId: id, UpdatedRows: w.rows, UpdatedColumns: w.columns, UpdatedCells: w.cells}
	if w.cells > 0 || w.rows > 0 {
		r.UpdatedRange = w.g.name()
	}
	return r
}

// inputRows applies majorDimension to written values and checks their
// types and sizes.
func inputRows(vr *sheets.ValueRange) ([][]any, *apiError) {
	major, err := parseMajor(vr.MajorDimension, "data.major_dimension")
	if err != nil {
		return nil, err
	}
	rows := vr.Values
	for i, r := range rows {
		for j, v := range r {
			switch v := v.(type) {
			case nil, float64, bool:
			case string:
				if cellChars(v) > MaxCellChars {
					return nil, badRequest("Your input contains more than the maximum of %d characters in a single cell.", MaxCellChars)
				}
			case map[string]any:
				b, _ := json.Marshal(v)
				return nil, badRequest("Invalid values[%d][%d]: struct_value %s", i, j, b)
			case []any:
				b, _ := json.Marshal(v)
				return nil, badRequest("Invalid values[%d][%d]: list_value %s", i, j, b)
			default:
				return nil, badRequest("Invalid values[%d][%d]: %v", i, j, v)
			}
		}
	}
	if major == "COLUMNS" {
		var out [][]any
		for c, col := range rows {
			for r, v := range col {
				for len(out) <= r {
					out = append(out, nil)
				}
				for len(out[r]) < c {
					out[r] = append(out[r], nil)
				}
				out[r] = append(out[r], v)
			}
		}
		rows = out
	}
	return rows, nil
}

func extent(rows [][]any) (int, int) {
	w := 0
	for _, r := range rows {
		w = max(w, len(r))
	}
	return len(rows), w
}

// writeValues writes rows at (r0, c0) of the tab at ti; nil entries leave
// cells as they are. The caller checked the grid.
func (x *txn) writeValues(ti, r0, c0 int, rows [][]any, userEntered bool) writeResult {
	t := x.mut(ti)
	nr, nc := extent(rows)
	res := writeResult{g: bounded{t: t, ti: ti, r0: r0, r1: r0 + nr, c0: c0, c1: c0 + nc}}
	cols := map[int]bool{}
	for i, r := range rows {
		wrote := false
		for j, v := range r {
			if v == nil {
				continue
			}
			x.setValue(t, r0+i, c0+j, v, userEntered)
			wrote = true
			cols[j] = true
			res.cells++
		}
		if wrote {
			res.rows++
		}
	}
	res.columns = int64(len(cols))
	return res
}

// setValue stores one written value, keeping the cell's format and note.
func (x *txn) setValue(t *tab, r, c int, v any, parse bool) {
	var val value
	var nf *sheets.NumberFormat
	switch v := v.(type) {
	case string:
		if parse {
			val, nf = userEntered(v)
		} else {
			val = textValue(v)
		}
	case float64:
		val = value{kind: kindNumber, n: v}
	case bool:
		val = value{kind: kindBool, b: v}
	}
	old := t.at(r, c)
	if old == nil && val.kind == kindNone {
		return
	}
	cl := x.mcell(t, r, c)
	cl.val, cl.eff = val, nil
	if val.kind == kindFormula {
		cl.eff = evalFormula(val.s)
	}
	if nf != nil && (cl.fmt == nil || cl.fmt.f.NumberFormat == nil) {
		var f sheets.CellFormat
		if cl.fmt != nil {
			f = *cl.fmt.f
		}
		f.NumberFormat = nf
		cl.fmt = x.s.intern(&f)
	}
}

// update writes one ValueRange into the range rng, as values.update and
// each range of values.batchUpdate do.
func (x *txn) update(rng string, vr *sheets.ValueRange, userEntered bool) (writeResult, *apiError) {
	g, err := x.b.resolve(rng)
	if err != nil {
		return writeResult{}, err
	}
	if vr.Range != "" && vr.Range != rng {
		vg, verr := x.b.resolve(vr.Range)
		if verr != nil || vg.name() != g.name() {
			return writeResult{}, badRequest("Requested update range [%s] does not match ValueRange range [%s].", rng, vr.Range)
		}
	}
	rows, err := inputRows(vr)
	if err != nil {
		return writeResult{}, err
	}
	nr, nc := extent(rows)
	if !g.single {
		if nr > g.r1-g.r0 {
			return writeResult{}, badRequest("Requested writing within range [%s], but tried writing to row [%d]", g.name(), g.r1+1)
		}
		if nc > g.c1-g.c0 {
			return writeResult{}, badRequest("Requested writing within range [%s], but tried writing to column [%s]", g.name(), colName(g.c1))
		}
	}
	if nr > 0 && nc > 0 {
		if err := gridError(g.t, g.r0, g.r0+nr, g.c0, g.c0+nc); err != nil {
			return writeResult{}, err
		}
	}
	return x.writeValues(g.ti, g.r0, g.c0, rows, userEntered), nil
}

// withData adds updatedData to a write's response when asked.
func (x *txn) withData(resp *sheets.UpdateValuesResponse, w writeResult, include bool, ro render) {
	if !include || resp.UpdatedRange == "" {
		return
	}
	g := w.g
	g.t = x.b.tabs[g.ti]
	resp.UpdatedData = &sheets.ValueRange{Range: g.name(), MajorDimension: "ROWS", Values: readValues(g, "ROWS", ro)}
}

func boolParam(q url.Values, name string) (bool, *apiError) {
	switch v := q.Get(name); v {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	default:
		return false, badRequest("Invalid value at '%s' (TYPE_BOOL), %q", name, v)
	}
}

func (s *Server) valuesUpdate(b *book, rng string, q url.Values, body []byte) (any, *apiError) {
	userEntered, err := inputOption(q.Get("valueInputOption"), "value_input_option")
	if err != nil {
		return nil, err
	}
	include, err := boolParam(q, "includeValuesInResponse")
	if err != nil {
		return nil, err
	}
	ro, err := parseRender(q.Get("responseValueRenderOption"), q.Get("responseDateTimeRenderOption"), "response_value_render_option", "response_date_time_render_option")
	if err != nil {
		return nil, err
	}
	var vr sheets.ValueRange
	if err := decodeStrict(body, &vr); err != nil {
		return nil, err
	}
	x := s.begin(b)
	w, err := x.update(rng, &vr, userEntered)
	if err != nil {
		return nil, err
	}
	x.commit()
	resp := w.response(b.id)
	x.withData(resp, w, include, ro)
	return resp, nil
}

func (s *Server) valuesBatchUpdate(b *book, body []byte) (any, *apiError) {
	var req sheets.BatchUpdateValuesRequest
	if err := decodeStrict(body, &req); err != nil {
		return nil, err
	}
	userEntered, err := inputOption(req.ValueInputOption, "value_input_option")
	if err != nil {
		return nil, err
	}
	ro, err := parseRender(req.ResponseValueRenderOption, req.ResponseDateTimeRenderOption, "response_value_render_option", "response_date_time_render_option")
	if err != nil {
		return nil, err
	}
	x := s.begin(b)
	resp := &sheets.BatchUpdateValuesResponse{SpreadsheetId: b.id}
	tabs := map[int]bool{}
	for i, vr := range req.Data {
		if vr == nil || vr.Range == "" {
			return nil, badRequest("Invalid data[%d]: range is required", i)
		}
		w, err := x.update(vr.Range, vr, userEntered)
		if err != nil {
			err.Message = fmt.Sprintf("Invalid data[%d]: %s", i, err.Message)
			return nil, err
		}
		r := w.response(b.id)
		x.withData(r, w, req.IncludeValuesInResponse, ro)
		resp.Responses = append(resp.Responses, r)
		resp.TotalUpdatedRows += w.rows
		resp.TotalUpdatedColumns += w.columns
		resp.TotalUpdatedCells += w.cells
		if w.cells > 0 {
			tabs[w.g.ti] = true
		}
	}
	resp.TotalUpdatedSheets = int64(len(tabs))
	x.commit()
	return resp, nil
}

// clear removes the values (not formats or notes) of a range.
func (x *txn) clear(rng string) (string, *apiError) {
	g, err := x.b.resolve(rng)
	if err != nil {
		return "", err
	}
	t := g.t
	var hit []int
	t.eachCell(g.r0, g.r1, g.c0, g.c1, func(r, c int, cl *cell) {
		if cl.val.kind != kindNone {
			hit = append(hit, r, c)
		}
	})
	if len(hit) > 0 {
		mt := x.mut(g.ti)
		for i := 0; i < len(hit); i += 2 {
			cl := x.mcell(mt, hit[i], hit[i+1])
			cl.val, cl.eff = value{}, nil
		}
	}
	return g.name(), nil
}

func (s *Server) valuesClear(b *book, rng string, body []byte) (any, *apiError) {
	var req sheets.ClearValuesRequest
	if err := decodeStrict(body, &req); err != nil {
		return nil, err
	}
	x := s.begin(b)
	name, err := x.clear(rng)
	if err != nil {
		return nil, err
	}
	x.commit()
	return &sheets.ClearValuesResponse{SpreadsheetId: b.id, ClearedRange: name}, nil
}

func (s *Server) valuesBatchClear(b *book, body []byte) (any, *apiError) {
	var req sheets.BatchClearValuesRequest
	if err := decodeStrict(body, &req); err != nil {
		return nil, err
	}
	x := s.begin(b)
	resp := &sheets.BatchClearValuesResponse{SpreadsheetId: b.id}
	for _, rng := range req.Ranges {
		name, err := x.clear(rng)
		if err != nil {
			return nil, err
		}
		resp.ClearedRanges = append(resp.ClearedRanges, name)
	}
	x.commit()
	return resp, nil
}

// valuesAppend implements values.append: it looks for a table of data in
// the range and writes after its last row, from its first column. The
// table is the first run of consecutive rows holding a value within the
// range's columns, starting at the first such row; its columns span the
// values of those rows. With no table, writing starts at the range's
// top-left cell. INSERT_ROWS inserts rows for the data; OVERWRITE writes
// over what is there; both add rows at the end of the grid when needed,
// never columns.
func (s *Server) valuesAppend(b *book, rng string, q url.Values, body []byte) (any, *apiError) {
	userEntered, err := inputOption(q.Get("valueInputOption"), "value_input_option")
	if err != nil {
		return nil, err
	}
	insert := false
	switch v := q.Get("insertDataOption"); v {
	case "", "OVERWRITE":
	case "INSERT_ROWS":
		insert = true
	default:
		return nil, enumError("insert_data_option", "InsertDataOption", v)
	}
	include, err := boolParam(q, "includeValuesInResponse")
	if err != nil {
		return nil, err
	}
	ro, err := parseRender(q.Get("responseValueRenderOption"), q.Get("responseDateTimeRenderOption"), "response_value_render_option", "response_date_time_render_option")
	if err != nil {
		return nil, err
	}
	var vr sheets.ValueRange
	if err := decodeStrict(body, &vr); err != nil {
		return nil, err
	}
	g, err := b.resolve(rng)
	if err != nil {
		return nil, err
	}
	if vr.Range != "" && vr.Range != rng {
		vg, verr := b.resolve(vr.Range)
		if verr != nil || vg.name() != g.name() {
			return nil, badRequest("Requested update range [%s] does not match ValueRange range [%s].", rng, vr.Range)
		}
	}
	rows, err := inputRows(&vr)
	if err != nil {
		return nil, err
	}
	search := g
	if g.single {
		search.r1, search.c1 = g.t.rowCount(), g.t.colCount()
	}
	table, found := findTable(search)
	at, col := g.r0, g.c0
	if found {
		at, col = table.r1, table.c0
	}
	nr, nc := extent(rows)
	if cols := g.t.colCount(); col+nc > cols {
		return nil, badRequest("Range (%s!%s) exceeds grid limits. Max rows: %d, max columns: %d",
			quoteTitle(g.t.title()), cellName(at, max(col, cols)), g.t.rowCount(), cols)
	}
	x := s.begin(b)
	t := x.mut(g.ti)
	if nr > 0 {
		if insert {
			x.insertRows(t, min(at, t.rowCount()), nr, at > 0)
		} else if at+nr > t.rowCount() {
			x.setRowCount(t, at+nr)
		}
	}
	if err := x.checkCells(); err != nil {
		return nil, err
	}
	w := x.writeValues(g.ti, at, col, rows, userEntered)
	x.commit()
	resp := &sheets.AppendValuesResponse{SpreadsheetId: b.id, Updates: w.response(b.id)}
	if found {
		resp.TableRange = table.name()
	}
	x.withData(resp.Updates, w, include, ro)
	return resp, nil
}

// findTable finds the table values.append writes after, within g.
func findTable(g bounded) (bounded, bool) {
	t := g.t
	has := func(r int) (int, int, bool) {
		lo, hi := -1, -1
		t.eachCell(r, r+1, g.c0, g.c1, func(_, c int, cl *cell) {
			if cl.val.kind != kindNone {
				if lo < 0 {
					lo = c
				}
				hi = c
			}
		})
		return lo, hi, lo >= 0
	}
	start := -1
	tb := g
	for r := g.r0; r < min(g.r1, len(t.rows)); r++ {
		lo, hi, ok := has(r)
		if !ok {
			if start >= 0 {
				break
			}
			continue
		}
		if start < 0 {
			start = r
			tb.r0, tb.c0, tb.c1 = r, lo, hi+1
		}
		tb.c0, tb.c1 = min(tb.c0, lo), max(tb.c1, hi+1)
		tb.r1 = r + 1
	}
	return tb, start >= 0
}

// checkCells refuses a change that takes the spreadsheet past MaxCells.
func (x *txn) checkCells() *apiError {
	if n := x.b.cellCount(); n > MaxCells {
		return badRequest("This action would increase the number of cells in the workbook above the limit of %d cells.", MaxCells)
	}
	return nil
}

// titleTaken reports whether a tab other than the one with id except
// (-1 for none) has title, compared
// case-insensitively like Google.
func (b *book) titleTaken(title string, except int64) bool {
	for _, t := range b.tabs {
		if t.id() != except && strings.EqualFold(t.title(), title) {
			return true
		}
	}
	return false
}
