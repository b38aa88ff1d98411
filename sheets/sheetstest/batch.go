package sheetstest

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sort"
	"strings"

	sheets "google.golang.org/api/sheets/v4"
)

// batchUpdate implements spreadsheets.batchUpdate: every subrequest is
// checked and applied in order on a copy of the spreadsheet, and the copy
// replaces it only when all succeeded, so a batch is all-or-nothing. The
// cell limit is checked after each subrequest.
func (s *Server) batchUpdate(b *book, body []byte) (any, *apiError) {
	// Count the requests before decoding them into the client's types, so
	// an oversized batch is refused cheaply.
	var count struct {
		Requests []json.RawMessage `json:"requests"`
	}
	if err := json.Unmarshal(body, &count); err == nil && len(count.Requests) > MaxRequestsPerBatch {
		return nil, badRequest("Cannot exceed %d requests in a single batch.", MaxRequestsPerBatch)
	}
	var req sheets.BatchUpdateSpreadsheetRequest
	if err := decodeStrict(body, &req); err != nil {
		return nil, err
	}
	if len(req.Requests) == 0 {
		return nil, badRequest("Must specify at least one request.")
	}
	for i, r := range req.Requests {
		if r == nil {
			continue
		}
		if err := checkEnums(i, r); err != nil {
			return nil, err
		}
	}
	x := s.begin(b)
	resp := &sheets.BatchUpdateSpreadsheetResponse{SpreadsheetId: b.id}
	for i, r := range req.Requests {
		if r == nil {
			return nil, badRequest("Invalid requests[%d]: No request set.", i)
		}
		// The raw request tells a field sent as 0 from one left out.
		var rawReq map[string]json.RawMessage
		if i < len(count.Requests) {
			_ = json.Unmarshal(count.Requests[i], &rawReq)
		}
		kind, err := requestKind(r)
		if err != "" {
			return nil, badRequest("Invalid requests[%d]: %s", i, err)
		}
		reply, msg := x.apply(kind, r, rawReq[kind])
		if msg == "" {
			if x.b.cellCount() > MaxCells {
				msg = fmt.Sprintf("This action would increase the number of cells in the workbook above the limit of %d cells.", MaxCells)
			}
		}
		if msg != "" {
			return nil, badRequest("Invalid requests[%d].%s: %s", i, kind, msg)
		}
		if reply == nil {
			reply = &sheets.Response{}
		}
		resp.Replies = append(resp.Replies, reply)
	}
	// responseRanges are read in the updated spreadsheet; a bad one fails
	// the batch before it is committed.
	if req.IncludeSpreadsheetInResponse {
		ss, err := s.spreadsheet(x.b, req.ResponseRanges, req.ResponseIncludeGridData)
		if err != nil {
			return nil, err
		}
		resp.UpdatedSpreadsheet = ss
	}
	x.commit()
	return resp, nil
}

// requestKind returns the JSON name of the one request set in r.
func requestKind(r *sheets.Request) (string, string) {
	v := reflect.ValueOf(r).Elem()
	var set []string
	for name, i := range fieldsOf(v.Type()) {
		if f := v.Field(i); f.Kind() == reflect.Pointer && !f.IsNil() {
			set = append(set, name)
		}
	}
	sort.Strings(set)
	switch len(set) {
	case 0:
		return "", "No request set."
	case 1:
		return set[0], ""
	}
	return "", fmt.Sprintf("Only one request kind may be set per request, found %s.", strings.Join(set, ", "))
}

// has reports whether the raw JSON object holds the field at path.
func has(raw json.RawMessage, path ...string) bool {
	for _, p := range path {
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil {
			return false
		}
		next, ok := m[p]
		if !ok {
			return false
		}
		raw = next
	}
	return true
}

// apply runs one subrequest on the transaction, returning its reply or
// the reason it is invalid.
func (x *txn) apply(kind string, r *sheets.Request, raw json.RawMessage) (*sheets.Response, string) {
	switch kind {
	case "addSheet":
		return x.addSheet(r.AddSheet, raw)
	case "deleteSheet":
		return nil, x.deleteSheet(r.DeleteSheet.SheetId)
	case "updateSheetProperties":
		return nil, x.updateSheetProperties(r.UpdateSheetProperties)
	case "updateCells":
		return nil, x.updateCells(r.UpdateCells)
	case "repeatCell":
		return nil, x.repeatCell(r.RepeatCell)
	case "appendCells":
		return nil, x.appendCells(r.AppendCells)
	case "insertDimension":
		return nil, x.insertDimension(r.InsertDimension)
	case "deleteDimension":
		return nil, x.deleteDimension(r.DeleteDimension.Range)
	case "appendDimension":
		return nil, x.appendDimension(r.AppendDimension)
	case "autoResizeDimensions":
		d := r.AutoResizeDimensions
		if d.DataSourceSheetDimensions != nil {
			return nil, "sheetstest does not support data source sheets"
		}
		if d.Dimensions == nil {
			return nil, "dimensions is required"
		}
		_, _, _, msg := x.dimRange(d.Dimensions)
		return nil, msg
	case "updateDimensionProperties":
		d := r.UpdateDimensionProperties
		if d.Fields == "" {
			return nil, "At least one field must be specified in 'fields'."
		}
		if m, ok := parseMask(d.Fields); !ok {
			return nil, "Invalid field mask: " + d.Fields
		} else if bad := checkMask(m, reflect.TypeOf(sheets.DimensionProperties{})); bad != "" {
			return nil, "Invalid field mask path: " + bad + " is not a field of DimensionProperties"
		}
		if d.Range == nil {
			return nil, "range is required"
		}
		_, _, _, msg := x.dimRange(d.Range)
		return nil, msg
	case "setBasicFilter":
		if r.SetBasicFilter.Filter == nil || r.SetBasicFilter.Filter.Range == nil {
			return nil, "filter.range is required"
		}
		_, _, msg := x.gridRange(r.SetBasicFilter.Filter.Range)
		return nil, msg
	case "clearBasicFilter":
		if _, t := x.b.tabByID(r.ClearBasicFilter.SheetId); t == nil {
			return nil, fmt.Sprintf("No grid with id: %d", r.ClearBasicFilter.SheetId)
		}
		return nil, ""
	case "sortRange":
		return nil, x.sortRange(r.SortRange)
	case "updateSpreadsheetProperties":
		return nil, x.updateSpreadsheetProperties(r.UpdateSpreadsheetProperties)
	}
	return nil, "sheetstest does not support the " + kind + " request"
}

func (x *txn) addSheet(r *sheets.AddSheetRequest, raw json.RawMessage) (*sheets.Response, string) {
	var props sheets.SheetProperties
	if r.Properties != nil {
		props = *r.Properties
	}
	if props.SheetType != "" && props.SheetType != "GRID" {
		return nil, "sheetstest supports only GRID sheets"
	}
	if has(raw, "properties", "sheetId") {
		if props.SheetId < 0 || props.SheetId > math.MaxInt32 {
			return nil, fmt.Sprintf("Invalid sheetId %d: it must be a non-negative 32-bit integer.", props.SheetId)
		}
		if _, t := x.b.tabByID(props.SheetId); t != nil {
			return nil, fmt.Sprintf("A sheet with id %d already exists.", props.SheetId)
		}
	} else {
		for {
			props.SheetId = x.s.randInt63n(math.MaxInt32) + 1
			if _, t := x.b.tabByID(props.SheetId); t == nil {
				break
			}
		}
	}
	if props.Title == "" {
		for n := len(x.b.tabs) + 1; ; n++ {
			if t := fmt.Sprintf("Sheet%d", n); !x.b.titleTaken(t, -1) {
				props.Title = t
				break
			}
		}
	}
	if msg := checkTitle(props.Title); msg != "" {
		return nil, msg
	}
	if x.b.titleTaken(props.Title, -1) {
		return nil, fmt.Sprintf("A sheet with the name %q already exists. Please enter another name.", props.Title)
	}
	if gp := props.GridProperties; gp != nil && (gp.RowCount < 0 || gp.ColumnCount < 0 || gp.FrozenRowCount < 0 || gp.FrozenColumnCount < 0) {
		return nil, "gridProperties counts must not be negative"
	}
	t := newTab(props)
	if msg := checkGrid(t); msg != "" {
		return nil, msg
	}
	at := len(x.b.tabs)
	if has(raw, "properties", "index") {
		at = min(max(int(props.Index), 0), len(x.b.tabs))
	}
	t.gen = x.gen
	x.b.tabs = slices.Insert(x.b.tabs, at, t)
	t.props.Index = int64(at)
	x.reindex()
	out := t.props
	gp := *t.props.GridProperties
	out.GridProperties = &gp
	return &sheets.Response{AddSheet: &sheets.AddSheetResponse{Properties: &out}}, ""
}

// checkTitle refuses titles Google refuses.
func checkTitle(title string) string {
	if strings.TrimSpace(title) == "" {
		return "Sheet name cannot be empty."
	}
	if len([]rune(title)) > 100 {
		return "Sheet name is too long: at most 100 characters."
	}
	return ""
}

// checkGrid refuses grid properties Google refuses.
func checkGrid(t *tab) string {
	gp := t.props.GridProperties
	switch {
	case gp.RowCount < 1:
		return "Grid row count must be at least 1."
	case gp.ColumnCount < 1:
		return "Grid column count must be at least 1."
	case gp.ColumnCount > maxColumns:
		return fmt.Sprintf("Grid column count must be at most %d.", maxColumns)
	case gp.FrozenRowCount < 0 || gp.FrozenColumnCount < 0:
		return "Frozen counts must not be negative."
	case gp.FrozenRowCount >= gp.RowCount:
		return "You can't freeze all visible rows on the sheet."
	case gp.FrozenColumnCount >= gp.ColumnCount:
		return "You can't freeze all visible columns on the sheet."
	}
	return ""
}

func (x *txn) deleteSheet(id int64) string {
	i, t := x.b.tabByID(id)
	if t == nil {
		return fmt.Sprintf("No grid with id: %d", id)
	}
	if len(x.b.tabs) == 1 {
		return "You can't remove all the sheets in a document."
	}
	x.b.tabs = slices.Delete(x.b.tabs, i, i+1)
	x.reindex()
	return ""
}

var sheetPropsType = reflect.TypeOf(sheets.SheetProperties{})

func (x *txn) updateSheetProperties(r *sheets.UpdateSheetPropertiesRequest) string {
	if strings.TrimSpace(r.Fields) == "" {
		return "At least one field must be specified in 'fields'."
	}
	m, ok := parseMask(r.Fields)
	if !ok {
		return "Invalid field mask: " + r.Fields
	}
	if bad := checkMask(m, sheetPropsType); bad != "" {
		return "Invalid field mask path: " + bad + " is not a field of SheetProperties"
	}
	var src sheets.SheetProperties
	if r.Properties != nil {
		src = *r.Properties
	}
	i, t := x.b.tabByID(src.SheetId)
	if t == nil {
		return fmt.Sprintf("No grid with id: %d", src.SheetId)
	}
	paths := m.paths()
	if _, all := m["*"]; all {
		paths = nil
		for name := range fieldsOf(sheetPropsType) {
			paths = append(paths, []string{name})
		}
		sort.Slice(paths, func(a, b int) bool { return paths[a][0] < paths[b][0] })
	}
	next := t.props
	gp := *t.props.GridProperties
	next.GridProperties = &gp
	dv := reflect.ValueOf(&next).Elem()
	sv := reflect.ValueOf(&src).Elem()
	for _, p := range paths {
		switch p[0] {
		case "sheetId":
			continue // identifies the tab
		case "dataSourceSheetProperties":
			if src.DataSourceSheetProperties != nil {
				return "dataSourceSheetProperties is read only"
			}
			continue
		case "sheetType":
			if src.SheetType != "" && src.SheetType != "GRID" {
				return "sheetstest supports only GRID sheets"
			}
			continue
		}
		setPath(dv, sv, p)
	}
	if next.GridProperties == nil {
		next.GridProperties = &sheets.GridProperties{}
	}
	if next.Title != t.props.Title {
		if msg := checkTitle(next.Title); msg != "" {
			return msg
		}
		if x.b.titleTaken(next.Title, t.id()) {
			return fmt.Sprintf("A sheet with the name %q already exists. Please enter another name.", next.Title)
		}
	}
	if checkGrid(&tab{props: next}) != "" {
		return checkGrid(&tab{props: next})
	}
	mt := x.mut(i)
	rows, cols := int(next.GridProperties.RowCount), int(next.GridProperties.ColumnCount)
	// The row count is applied and checked against the cell limit before
	// the column count, as Google does: shrink columns first when growing
	// rows near the limit.
	if rows != mt.rowCount() {
		x.setRowCount(mt, rows)
		if x.b.cellCount() > MaxCells {
			return fmt.Sprintf("This action would increase the number of cells in the workbook above the limit of %d cells.", MaxCells)
		}
	}
	if cols != mt.colCount() {
		x.setColCount(mt, cols)
	}
	index := next.Index
	next.Index = mt.props.Index
	next.SheetId = mt.props.SheetId
	next.SheetType = "GRID"
	next.ForceSendFields, next.NullFields = nil, nil
	mt.props = next
	if index != mt.props.Index {
		at := min(max(int(index), 0), len(x.b.tabs)-1)
		x.b.tabs = slices.Delete(x.b.tabs, i, i+1)
		x.b.tabs = slices.Insert(x.b.tabs, at, mt)
		x.reindex()
	}
	return ""
}

// gridRange resolves a GridRange (unset ends are the grid's) and checks it
// lies in the grid.
func (x *txn) gridRange(g *sheets.GridRange) (int, bounded, string) {
	if g == nil {
		g = &sheets.GridRange{}
	}
	i, t := x.b.tabByID(g.SheetId)
	if t == nil {
		return -1, bounded{}, fmt.Sprintf("No grid with id: %d", g.SheetId)
	}
	b := bounded{t: t, ti: i, r0: int(g.StartRowIndex), r1: int(g.EndRowIndex), c0: int(g.StartColumnIndex), c1: int(g.EndColumnIndex)}
	if g.EndRowIndex == 0 {
		b.r1 = t.rowCount()
	}
	if g.EndColumnIndex == 0 {
		b.c1 = t.colCount()
	}
	if b.r0 < 0 || b.c0 < 0 || b.r1 < b.r0 || b.c1 < b.c0 {
		return -1, b, fmt.Sprintf("Invalid range: start indexes must be non-negative and not after the end (rows %d-%d, columns %d-%d).", b.r0, b.r1, b.c0, b.c1)
	}
	if err := gridError(t, b.r0, b.r1, b.c0, b.c1); err != nil && (b.r1 > b.r0 && b.c1 > b.c0 || b.r0 > t.rowCount() || b.c0 > t.colCount()) {
		return -1, b, err.Message
	}
	return i, b, ""
}

func (x *txn) updateCells(r *sheets.UpdateCellsRequest) string {
	cm, msg := compileCellMask(r.Fields)
	if msg != "" {
		return msg
	}
	if (r.Start == nil) == (r.Range == nil) {
		return "Exactly one of start or range must be set."
	}
	for _, rd := range r.Rows {
		if rd == nil {
			continue
		}
		for _, c := range rd.Values {
			if msg := cm.checkCell(c); msg != "" {
				return msg
			}
		}
	}
	nr, nc := len(r.Rows), 0
	for _, rd := range r.Rows {
		if rd != nil {
			nc = max(nc, len(rd.Values))
		}
	}
	var ti int
	var g bounded
	if r.Start != nil {
		i, t := x.b.tabByID(r.Start.SheetId)
		if t == nil {
			return fmt.Sprintf("No grid with id: %d", r.Start.SheetId)
		}
		ti = i
		r0, c0 := int(r.Start.RowIndex), int(r.Start.ColumnIndex)
		if r0 < 0 || c0 < 0 {
			return "start indexes must not be negative"
		}
		g = bounded{t: t, ti: i, r0: r0, r1: r0 + nr, c0: c0, c1: c0 + nc}
		if nr > 0 && nc > 0 {
			if err := gridError(t, g.r0, g.r1, g.c0, g.c1); err != nil {
				return err.Message
			}
		}
	} else {
		var msg string
		ti, g, msg = x.gridRange(r.Range)
		if msg != "" {
			return msg
		}
		if nr > g.r1-g.r0 || nc > g.c1-g.c0 {
			return fmt.Sprintf("The rows (%d x %d) do not fit in the range %s.", nr, nc, g.name())
		}
	}
	t := x.mut(ti)
	// Within a range, cells the rows do not cover have their masked
	// fields cleared.
	if r.Range != nil {
		var hit []int
		t.eachCell(g.r0, g.r1, g.c0, g.c1, func(rr, cc int, _ *cell) {
			i, j := rr-g.r0, cc-g.c0
			if i < nr && r.Rows[i] != nil && j < len(r.Rows[i].Values) {
				return
			}
			hit = append(hit, rr, cc)
		})
		for k := 0; k < len(hit); k += 2 {
			cl := x.mcell(t, hit[k], hit[k+1])
			cm.apply(x.s, cl, nil)
		}
	}
	for i, rd := range r.Rows {
		if rd == nil {
			continue
		}
		for j, c := range rd.Values {
			x.applyCell(t, g.r0+i, g.c0+j, cm, c)
		}
	}
	return ""
}

// applyCell applies a cell mask at (r, c) of a writable tab without
// creating cells that would stay empty.
func (x *txn) applyCell(t *tab, r, c int, cm cellMask, src *sheets.CellData) {
	if t.at(r, c) == nil && cm.clears(src) {
		return
	}
	cm.apply(x.s, x.mcell(t, r, c), src)
}

func (x *txn) repeatCell(r *sheets.RepeatCellRequest) string {
	cm, msg := compileCellMask(r.Fields)
	if msg != "" {
		return msg
	}
	if msg := cm.checkCell(r.Cell); msg != "" {
		return msg
	}
	ti, g, msg := x.gridRange(r.Range)
	if msg != "" {
		return msg
	}
	t := x.mut(ti)
	if cm.clears(r.Cell) {
		var hit []int
		t.eachCell(g.r0, g.r1, g.c0, g.c1, func(rr, cc int, _ *cell) { hit = append(hit, rr, cc) })
		for k := 0; k < len(hit); k += 2 {
			cm.apply(x.s, x.mcell(t, hit[k], hit[k+1]), r.Cell)
		}
		return ""
	}
	for rr := g.r0; rr < g.r1; rr++ {
		for cc := g.c0; cc < g.c1; cc++ {
			cm.apply(x.s, x.mcell(t, rr, cc), r.Cell)
		}
	}
	return ""
}

// lastValueRow is one past the last row of t holding a value.
func lastValueRow(t *tab) int {
	for r := len(t.rows) - 1; r >= 0; r-- {
		if rw := t.rows[r]; rw != nil && !rowEmpty(rw, func(c *cell) bool { return c.val.kind == kindNone }) {
			return r + 1
		}
	}
	return 0
}

func (x *txn) appendCells(r *sheets.AppendCellsRequest) string {
	cm, msg := compileCellMask(r.Fields)
	if msg != "" {
		return msg
	}
	if r.TableId != "" {
		return "sheetstest does not support tables"
	}
	i, t := x.b.tabByID(r.SheetId)
	if t == nil {
		return fmt.Sprintf("No grid with id: %d", r.SheetId)
	}
	nc := 0
	for _, rd := range r.Rows {
		if rd == nil {
			continue
		}
		nc = max(nc, len(rd.Values))
		for _, c := range rd.Values {
			if msg := cm.checkCell(c); msg != "" {
				return msg
			}
		}
	}
	at := lastValueRow(t)
	if nc > t.colCount() {
		return gridError(t, at, at+1, 0, nc).Message
	}
	mt := x.mut(i)
	if need := at + len(r.Rows); need > mt.rowCount() {
		x.setRowCount(mt, need)
	}
	for k, rd := range r.Rows {
		if rd == nil {
			continue
		}
		for j, c := range rd.Values {
			x.applyCell(mt, at+k, j, cm, c)
		}
	}
	return ""
}

// dimRange resolves a DimensionRange: the tab, whether it is rows, and
// [start, end) with an unset end meaning the end of the grid.
func (x *txn) dimRange(d *sheets.DimensionRange) (int, bool, [2]int, string) {
	if d == nil {
		return -1, false, [2]int{}, "range is required"
	}
	i, t := x.b.tabByID(d.SheetId)
	if t == nil {
		return -1, false, [2]int{}, fmt.Sprintf("No grid with id: %d", d.SheetId)
	}
	var rows bool
	var count int
	switch d.Dimension {
	case "ROWS":
		rows, count = true, t.rowCount()
	case "COLUMNS":
		count = t.colCount()
	default:
		return -1, false, [2]int{}, "range.dimension must be ROWS or COLUMNS"
	}
	start, end := int(d.StartIndex), int(d.EndIndex)
	if d.EndIndex == 0 {
		end = count
	}
	if start < 0 || end <= start {
		return -1, false, [2]int{}, fmt.Sprintf("Invalid dimension range: startIndex %d, endIndex %d.", start, end)
	}
	if end > count {
		what := "columns"
		if rows {
			what = "rows"
		}
		return -1, false, [2]int{}, fmt.Sprintf("Invalid dimension range: endIndex %d is past the %d %s of the grid.", end, count, what)
	}
	return i, rows, [2]int{start, end}, ""
}

func (x *txn) insertDimension(r *sheets.InsertDimensionRequest) string {
	d := r.Range
	if d == nil {
		return "range is required"
	}
	i, t := x.b.tabByID(d.SheetId)
	if t == nil {
		return fmt.Sprintf("No grid with id: %d", d.SheetId)
	}
	count := t.colCount()
	switch d.Dimension {
	case "ROWS":
		count = t.rowCount()
	case "COLUMNS":
	default:
		return "range.dimension must be ROWS or COLUMNS"
	}
	start, end := int(d.StartIndex), int(d.EndIndex)
	if start < 0 || end <= start {
		return fmt.Sprintf("Invalid dimension range: startIndex %d, endIndex %d.", start, end)
	}
	if start > count {
		return fmt.Sprintf("Invalid dimension range: startIndex %d is past the end of the grid (%d).", start, count)
	}
	if start == 0 && r.InheritFromBefore {
		return "Cannot inherit properties from before when inserting at index 0."
	}
	mt := x.mut(i)
	if d.Dimension == "ROWS" {
		x.insertRows(mt, start, end-start, r.InheritFromBefore)
	} else {
		if mt.colCount()+end-start > maxColumns {
			return fmt.Sprintf("Grid column count must be at most %d.", maxColumns)
		}
		x.insertCols(mt, start, end-start, r.InheritFromBefore)
	}
	return ""
}

func (x *txn) deleteDimension(d *sheets.DimensionRange) string {
	i, rows, se, msg := x.dimRange(d)
	if msg != "" {
		return msg
	}
	mt := x.mut(i)
	n := se[1] - se[0]
	if rows {
		if n >= mt.rowCount() {
			return "You can't delete all the rows on the sheet."
		}
		if mt.rowCount()-n <= mt.frozenRows()-overlap(se, mt.frozenRows()) {
			return "Sorry, it is not possible to delete all non-frozen rows."
		}
		x.deleteRows(mt, se[0], se[1])
		return ""
	}
	if n >= mt.colCount() {
		return "You can't delete all the columns on the sheet."
	}
	if mt.colCount()-n <= mt.frozenCols()-overlap(se, mt.frozenCols()) {
		return "Sorry, it is not possible to delete all non-frozen columns."
	}
	x.deleteCols(mt, se[0], se[1])
	return ""
}

// overlap is how much of [0, frozen) the range se covers.
func overlap(se [2]int, frozen int) int {
	return max(0, min(se[1], frozen)-se[0])
}

func (x *txn) appendDimension(r *sheets.AppendDimensionRequest) string {
	i, t := x.b.tabByID(r.SheetId)
	if t == nil {
		return fmt.Sprintf("No grid with id: %d", r.SheetId)
	}
	if r.Length < 1 {
		return "length must be at least 1"
	}
	mt := x.mut(i)
	switch r.Dimension {
	case "ROWS":
		x.setRowCount(mt, mt.rowCount()+int(r.Length))
	case "COLUMNS":
		if mt.colCount()+int(r.Length) > maxColumns {
			return fmt.Sprintf("Grid column count must be at most %d.", maxColumns)
		}
		x.setColCount(mt, mt.colCount()+int(r.Length))
	default:
		return "dimension must be ROWS or COLUMNS"
	}
	return ""
}

// sortRange sorts the rows of a range by the given columns: numbers before
// text before booleans, empty cells last whatever the order, like Sheets.
func (x *txn) sortRange(r *sheets.SortRangeRequest) string {
	ti, g, msg := x.gridRange(r.Range)
	if msg != "" {
		return msg
	}
	if len(r.SortSpecs) == 0 {
		return "sortSpecs is required"
	}
	for _, sp := range r.SortSpecs {
		if sp.DataSourceColumnReference != nil || sp.BackgroundColor != nil || sp.ForegroundColor != nil || sp.BackgroundColorStyle != nil || sp.ForegroundColorStyle != nil {
			return "sheetstest sorts by cell values only"
		}
		if c := int(sp.DimensionIndex); c < g.c0 || c >= g.c1 {
			return fmt.Sprintf("sortSpecs dimensionIndex %d is outside the range", sp.DimensionIndex)
		}
		switch sp.SortOrder {
		case "", "ASCENDING", "DESCENDING":
		default:
			return "Invalid sortOrder " + sp.SortOrder
		}
	}
	t := x.mut(ti)
	type line struct {
		cells []cell
	}
	lines := make([]line, 0, g.r1-g.r0)
	last := min(g.r1, len(t.rows))
	for rr := g.r0; rr < last; rr++ {
		l := line{cells: make([]cell, g.c1-g.c0)}
		if rw := t.rows[rr]; rw != nil {
			for cc := g.c0; cc < min(g.c1, len(rw.cells)); cc++ {
				l.cells[cc-g.c0] = rw.cells[cc]
			}
		}
		lines = append(lines, l)
	}
	rank := func(v value) int {
		switch v.kind {
		case kindNumber:
			return 0
		case kindString:
			return 1
		case kindBool:
			return 2
		case kindError:
			return 3
		}
		return 4
	}
	sort.SliceStable(lines, func(a, b int) bool {
		for _, sp := range r.SortSpecs {
			c := int(sp.DimensionIndex) - g.c0
			va, vb := lines[a].cells[c].effective(), lines[b].cells[c].effective()
			ra, rb := rank(va), rank(vb)
			if ra == 4 || rb == 4 {
				if ra != rb {
					return rb == 4
				}
				continue
			}
			cmp := ra - rb
			if cmp == 0 {
				switch va.kind {
				case kindNumber:
					cmp = compareFloat(va.n, vb.n)
				case kindString, kindError:
					cmp = strings.Compare(strings.ToLower(va.s), strings.ToLower(vb.s))
				case kindBool:
					cmp = compareBool(va.b, vb.b)
				}
			}
			if sp.SortOrder == "DESCENDING" {
				cmp = -cmp
			}
			if cmp != 0 {
				return cmp < 0
			}
		}
		return false
	})
	for k, l := range lines {
		for j, c := range l.cells {
			if c.empty() && t.at(g.r0+k, g.c0+j) == nil {
				continue
			}
			*x.mcell(t, g.r0+k, g.c0+j) = c
		}
	}
	return ""
}

func compareFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

var spreadsheetPropsType = reflect.TypeOf(sheets.SpreadsheetProperties{})

func (x *txn) updateSpreadsheetProperties(r *sheets.UpdateSpreadsheetPropertiesRequest) string {
	if strings.TrimSpace(r.Fields) == "" {
		return "At least one field must be specified in 'fields'."
	}
	m, ok := parseMask(r.Fields)
	if !ok {
		return "Invalid field mask: " + r.Fields
	}
	if bad := checkMask(m, spreadsheetPropsType); bad != "" {
		return "Invalid field mask path: " + bad + " is not a field of SpreadsheetProperties"
	}
	var src sheets.SpreadsheetProperties
	if r.Properties != nil {
		src = *r.Properties
	}
	for _, p := range m.paths() {
		switch p[0] {
		case "title":
			if strings.TrimSpace(src.Title) == "" {
				return "Spreadsheet title cannot be empty."
			}
			x.b.title = src.Title
		case "locale":
			x.b.locale = src.Locale
		case "timeZone":
			x.b.timeZone = src.TimeZone
		case "*":
			return "sheetstest supports only title, locale and timeZone in updateSpreadsheetProperties"
		default:
			return "sheetstest supports only title, locale and timeZone in updateSpreadsheetProperties"
		}
	}
	return ""
}
