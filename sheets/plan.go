package sheets

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	sheetsapi "google.golang.org/api/sheets/v4"
)

// This file is the pure half of the writer: from what the spreadsheet holds
// (a state) and the dates to write, it computes one batchUpdate and the state
// the spreadsheet will be in once Google has applied it. Nothing here does
// I/O, so every layout decision is tested without a server.

// CellLimit is the most cells a spreadsheet may hold, counting every tab's
// whole grid, empty cells included.
const CellLimit = 10_000_000

// ErrCellLimit reports a write that would take the spreadsheet past
// CellLimit. The writer refuses it before sending anything.
var ErrCellLimit = errors.New("the spreadsheet would pass Google's limit of 10,000,000 cells")

// keyKind says what column A of a row holds.
type keyKind uint8

const (
	keyBlank keyKind = iota // nothing
	keyOther                // text, a boolean, or a number that is not a whole day
	keyDate                 // a whole serial number: the date of a block
)

// key is what column A of one row holds, as far as the block planner cares.
type key struct {
	kind   keyKind
	serial int
}

func dateKey(serial int) key { return key{kind: keyDate, serial: serial} }

// keyOf classifies a value read with UNFORMATTED_VALUE and SERIAL_NUMBER:
// dates come back as whole serial numbers.
func keyOf(v any) key {
	switch x := v.(type) {
	case nil:
		return key{}
	case string:
		if x == "" {
			return key{}
		}
		return key{kind: keyOther}
	case float64:
		// Serial 1 is 1899-12-31 and 2958465 is 9999-12-31; anything
		// else, or a fraction (a time of day), is not one of our dates.
		if x == math.Trunc(x) && x >= 1 && x <= 2958465 {
			return dateKey(int(x))
		}
		return key{kind: keyOther}
	}
	return key{kind: keyOther}
}

// tab is what the planner knows of one tab.
type tab struct {
	ID     int64
	Title  string
	Rows   int
	Cols   int
	Frozen int
	Grid   bool // false for object tabs (a chart on its own tab), which have no cells
}

func (t tab) cells() int64 {
	if !t.Grid {
		return 0
	}
	return int64(t.Rows) * int64(t.Cols)
}

// state is the spreadsheet as the planner sees it.
type state struct {
	Title string
	Tabs  []tab // in index order
	// Keys holds column A of each block tab (Daily, Summary), one key per
	// grid row, row 0 being the header.
	Keys map[string][]key
}

func (s *state) clone() *state {
	c := &state{Title: s.Title, Tabs: slices.Clone(s.Tabs), Keys: make(map[string][]key, len(s.Keys))}
	for k, v := range s.Keys {
		c.Keys[k] = slices.Clone(v)
	}
	return c
}

// find returns the position of the tab titled title, or -1. Google compares
// titles without regard to case when it checks they are unique, so a tab
// named "daily" is taken to be the Daily tab rather than colliding with it.
func (s *state) find(title string) int {
	if i := slices.IndexFunc(s.Tabs, func(t tab) bool { return t.Title == title }); i >= 0 {
		return i
	}
	return slices.IndexFunc(s.Tabs, func(t tab) bool { return strings.EqualFold(t.Title, title) })
}

func (s *state) cells() int64 {
	var n int64
	for _, t := range s.Tabs {
		n += t.cells()
	}
	return n
}

// dayTitle returns the title of the rewrite-mode tab of a date.
func dayTitle(serial int) string { return SerialDate(serial).Format(time.DateOnly) }

// parseDayTitle reports whether title is a day tab's title, YYYY-MM-DD
// exactly, and its serial number.
func parseDayTitle(title string) (int, bool) {
	if len(title) != len(time.DateOnly) {
		return 0, false
	}
	t, err := time.Parse(time.DateOnly, title)
	if err != nil || t.Format(time.DateOnly) != title {
		return 0, false
	}
	return DateSerial(t), true
}

// runDay is one date of a run. Its rows are the caller's cells: they are
// turned into request structures only for the batch that sends them.
type runDay struct {
	serial   int
	daily    [][]Cell
	summary  [][]Cell
	tab      [][]Cell // rewrite mode: the rows under the header
	tabWidth int
	size     int // estimated bytes of JSON this date adds to a batch
}

// run is everything a Write plans from, besides the state.
type run struct {
	layout       Layout
	days         []*runDay // ascending
	dailyWidth   int
	summaryWidth int
}

// batch is one planned spreadsheets.batchUpdate.
type batch struct {
	reqs    []*sheetsapi.Request
	size    int    // bytes of its JSON, as the client sends it
	next    *state // the spreadsheet once the batch is applied
	peak    int64  // most cells the spreadsheet holds at any step of the batch
	dates   []string
	created []string
	dropped []string
}

// planner accumulates the requests of one batch while keeping the model of
// the spreadsheet in step with them, so that every index it emits is right
// at the point of the batch where Google applies it.
type planner struct {
	m       *state
	reqs    []*sheetsapi.Request
	size    int // JSON bytes of reqs, separators included
	err     error
	values  valuePool
	cells   int64
	peak    int64
	dirty   map[string][]bool // block tab rows that must be cleared, parallel to m.Keys
	created []string
	dropped []string
}

// blockTab is the work on one tab that holds a block of rows per date.
type blockTab struct {
	title   string
	header  []string
	width   int
	serials []int            // dates of the batch, ascending
	rows    map[int][][]Cell // by date; no rows removes the date's block
}

// dayTab is the work on one rewrite-mode day tab.
type dayTab struct {
	title      string
	rows, cols int
	header     []string
	content    [][]Cell // the rows under the header; rows-1 long, nil rows empty
}

// rotation returns, for rewrite mode, the dates whose tab is kept once the
// newest KeepTabs day tabs are kept, and the existing tabs to delete.
// Only tabs whose title is a YYYY-MM-DD date count.
func rotation(m *state, r *run) (keep map[int]bool, drop []tab) {
	keep = make(map[int]bool)
	if r.layout.Mode != Rewrite {
		return keep, nil
	}
	all := make(map[int]bool)
	for _, t := range m.Tabs {
		if s, ok := parseDayTitle(t.Title); ok {
			all[s] = true
		}
	}
	for _, d := range r.days {
		all[d.serial] = true
	}
	serials := make([]int, 0, len(all))
	for s := range all {
		serials = append(serials, s)
	}
	slices.Sort(serials)
	slices.Reverse(serials)
	if n := r.layout.KeepTabs; n > 0 && len(serials) > n {
		serials = serials[:n]
	}
	for _, s := range serials {
		keep[s] = true
	}
	for _, t := range m.Tabs {
		if s, ok := parseDayTitle(t.Title); ok && !keep[s] {
			drop = append(drop, t)
		}
	}
	return keep, drop
}

// planBatch plans the batch that writes the dates of group (whole dates,
// ascending) over the spreadsheet st. Requests come in three phases so the
// spreadsheet never passes CellLimit halfway: first everything that removes
// cells (old day tabs, rows of replaced blocks, shrinking tabs), then
// everything that adds them (new tabs, inserted rows, growing tabs), then the
// cell contents.
func planBatch(st *state, r *run, group []*runDay) (*batch, error) {
	p := &planner{m: st.clone(), dirty: make(map[string][]bool)}
	p.cells = p.m.cells()
	p.peak = p.cells

	var blocks []*blockTab
	if r.layout.Mode == Append {
		blocks = append(blocks, newBlockTab(r.layout.DailyTab, r.layout.DailyHeader, r.dailyWidth, group, func(d *runDay) [][]Cell { return d.daily }))
	}
	blocks = append(blocks, newBlockTab(r.layout.SummaryTab, r.layout.SummaryHeader, r.summaryWidth, group, func(d *runDay) [][]Cell { return d.summary }))

	keep, drop := rotation(p.m, r)
	var days []*dayTab
	if r.layout.Mode == Rewrite {
		for _, d := range group {
			if !keep[d.serial] {
				continue // older than the newest KeepTabs: it would be dropped at once
			}
			dt := &dayTab{title: dayTitle(d.serial), rows: max(1+len(d.tab), 2), cols: d.tabWidth, header: r.layout.TabHeader}
			dt.content = d.tab
			if len(dt.content) < dt.rows-1 {
				dt.content = append(slices.Clip(dt.content), make([][]Cell, dt.rows-1-len(dt.content))...)
			}
			days = append(days, dt)
		}
	}

	for _, b := range blocks {
		if i := p.m.find(b.title); i >= 0 && !p.m.Tabs[i].Grid {
			return nil, fmt.Errorf("tab %q is not a grid of cells (a chart tab?): rename it or choose another tab name", p.m.Tabs[i].Title)
		}
	}
	for _, d := range days {
		if i := p.m.find(d.title); i >= 0 && !p.m.Tabs[i].Grid {
			return nil, fmt.Errorf("tab %q is not a grid of cells (a chart tab?): rename or delete it", p.m.Tabs[i].Title)
		}
	}

	// Phase 1: remove cells.
	deferred := p.dropTabs(drop)
	for _, b := range blocks {
		if p.m.find(b.title) >= 0 {
			p.shrinkBlock(b)
		}
	}
	for _, d := range days {
		if i := p.m.find(d.title); i >= 0 {
			p.shrinkDayTab(i, d)
		}
	}

	// Phase 2: add cells.
	for _, b := range blocks {
		if p.m.find(b.title) < 0 {
			p.addBlockTab(b)
		}
	}
	for _, d := range days {
		if i := p.m.find(d.title); i >= 0 {
			p.growDayTab(i, d)
		} else {
			p.addDayTab(d)
		}
	}
	if deferred != nil {
		p.deleteTab(*deferred)
	}
	for _, b := range blocks {
		p.growBlock(b)
	}

	// Phase 3: contents.
	for _, b := range blocks {
		p.fillBlock(b)
	}
	for _, d := range days {
		t := p.m.Tabs[p.m.find(d.title)]
		p.updateCells(t.ID, 0, []*sheetsapi.RowData{headerRow(d.header, d.cols)}, cellFields)
		p.writeRows(t.ID, 1, d.content, d.cols)
	}

	if p.err != nil {
		return nil, p.err
	}
	if p.peak > CellLimit {
		return nil, fmt.Errorf("%w: this write needs %d cells at its peak (now %d); lower DIGEST_KEEP_TABS, delete unused tabs or write to a new spreadsheet",
			ErrCellLimit, p.peak, st.cells())
	}
	b := &batch{reqs: p.reqs, size: batchJSON + p.size, next: p.m, peak: p.peak, created: p.created, dropped: p.dropped}
	for _, d := range group {
		b.dates = append(b.dates, dayTitle(d.serial))
	}
	return b, nil
}

func newBlockTab(title string, header []string, width int, group []*runDay, rows func(*runDay) [][]Cell) *blockTab {
	b := &blockTab{title: title, header: header, width: width, rows: make(map[int][][]Cell, len(group))}
	for _, d := range group {
		b.serials = append(b.serials, d.serial)
		b.rows[d.serial] = rows(d)
	}
	return b
}

// add records a change of the number of cells.
func (p *planner) add(delta int64) {
	p.cells += delta
	p.peak = max(p.peak, p.cells)
}

// emit adds a request to the batch, and the length of its JSON to the
// batch's size.
func (p *planner) emit(r *sheetsapi.Request) {
	p.emitSized(r, p.jsonSize(r))
}

// jsonSize returns the length of the JSON of r. A request that cannot be
// encoded (it cannot happen: checkCell refused what could not) fails the
// batch, from planBatch.
func (p *planner) jsonSize(r *sheetsapi.Request) int {
	b, err := json.Marshal(r)
	if err != nil && p.err == nil {
		p.err = fmt.Errorf("encode a request: %w", err)
	}
	return len(b)
}

// emitSized adds a request whose JSON is n bytes long.
func (p *planner) emitSized(r *sheetsapi.Request, n int) {
	if len(p.reqs) > 0 {
		p.size++ // the comma
	}
	p.reqs = append(p.reqs, r)
	p.size += n
}

// batchJSON is the JSON of a batchUpdate request around its requests.
const batchJSON = len(`{"requests":[]}`)

// dropTabs deletes the day tabs rotated out. Google refuses to delete a
// spreadsheet's last tab, so if these are all the tabs there are, the last
// deletion is returned to be made after a tab has been added.
func (p *planner) dropTabs(drop []tab) *tab {
	var deferred *tab
	if len(drop) > 0 && len(drop) == len(p.m.Tabs) {
		last := drop[len(drop)-1]
		deferred = &last
		drop = drop[:len(drop)-1]
	}
	for _, t := range drop {
		p.deleteTab(t)
	}
	return deferred
}

func (p *planner) deleteTab(t tab) {
	i := slices.IndexFunc(p.m.Tabs, func(x tab) bool { return x.ID == t.ID })
	p.emit(&sheetsapi.Request{DeleteSheet: &sheetsapi.DeleteSheetRequest{SheetId: t.ID, ForceSendFields: []string{"SheetId"}}})
	p.add(-t.cells())
	p.m.Tabs = slices.Delete(p.m.Tabs, i, i+1)
	delete(p.m.Keys, t.Title)
	p.dropped = append(p.dropped, t.Title)
}

// newID picks an unused sheetId for a tab, derived from its title so a
// re-planned batch picks the same one. Choosing it here, rather than
// reading Google's reply, lets one batch add a tab and fill it.
func (p *planner) newID(title string) int64 {
	var h uint32 = 2166136261 // FNV-1a
	for i := 0; i < len(title); i++ {
		h ^= uint32(title[i])
		h *= 16777619
	}
	id := int64(h & 0x7fffffff)
	for id == 0 || slices.ContainsFunc(p.m.Tabs, func(t tab) bool { return t.ID == id }) {
		id = (id + 1) & 0x7fffffff
	}
	return id
}

// addTab adds a tab at position index (-1: at the end).
func (p *planner) addTab(title string, rows, cols, index int) tab {
	t := tab{ID: p.newID(title), Title: title, Rows: rows, Cols: cols, Frozen: 1, Grid: true}
	props := &sheetsapi.SheetProperties{
		SheetId: t.ID, Title: title,
		GridProperties:  &sheetsapi.GridProperties{RowCount: int64(rows), ColumnCount: int64(cols), FrozenRowCount: 1},
		ForceSendFields: []string{"SheetId"},
	}
	if index < 0 || index >= len(p.m.Tabs) {
		p.m.Tabs = append(p.m.Tabs, t)
	} else {
		props.Index = int64(index)
		props.ForceSendFields = append(props.ForceSendFields, "Index")
		p.m.Tabs = slices.Insert(p.m.Tabs, index, t)
	}
	p.emit(&sheetsapi.Request{AddSheet: &sheetsapi.AddSheetRequest{Properties: props}})
	p.add(t.cells())
	p.created = append(p.created, title)
	return t
}

// updateProps sets rows, columns or frozen rows of tab i (a zero argument
// leaves that property alone).
func (p *planner) updateProps(i, rows, cols, frozen int) {
	t := &p.m.Tabs[i]
	gp := &sheetsapi.GridProperties{}
	var fields []string
	if rows > 0 {
		gp.RowCount = int64(rows)
		fields = append(fields, "gridProperties.rowCount")
	}
	if cols > 0 {
		gp.ColumnCount = int64(cols)
		fields = append(fields, "gridProperties.columnCount")
	}
	if frozen > 0 {
		gp.FrozenRowCount = int64(frozen)
		fields = append(fields, "gridProperties.frozenRowCount")
	}
	p.emit(&sheetsapi.Request{UpdateSheetProperties: &sheetsapi.UpdateSheetPropertiesRequest{
		Properties: &sheetsapi.SheetProperties{SheetId: t.ID, GridProperties: gp, ForceSendFields: []string{"SheetId"}},
		Fields:     strings.Join(fields, ","),
	}})
	before := t.cells()
	if rows > 0 {
		if keys, ok := p.m.Keys[t.Title]; ok {
			// Shrinking cuts rows off the end; growing adds blank ones.
			p.m.Keys[t.Title] = resize(keys, rows)
			p.dirty[t.Title] = resize(p.dirty[t.Title], rows)
		}
		t.Rows = rows
	}
	if cols > 0 {
		t.Cols = cols
	}
	if frozen > 0 {
		t.Frozen = frozen
	}
	p.add(t.cells() - before)
}

func resize[T any](s []T, n int) []T {
	if len(s) >= n {
		return s[:n]
	}
	return append(s, make([]T, n-len(s))...)
}

func dimRange(id int64, start, end int) *sheetsapi.DimensionRange {
	return &sheetsapi.DimensionRange{SheetId: id, Dimension: "ROWS", StartIndex: int64(start), EndIndex: int64(end),
		ForceSendFields: []string{"SheetId", "StartIndex"}}
}

// deleteRows deletes rows [start, end) of block tab i.
func (p *planner) deleteRows(i, start, end int) {
	t := &p.m.Tabs[i]
	p.emit(&sheetsapi.Request{DeleteDimension: &sheetsapi.DeleteDimensionRequest{Range: dimRange(t.ID, start, end)}})
	p.m.Keys[t.Title] = slices.Delete(p.m.Keys[t.Title], start, end)
	p.dirty[t.Title] = slices.Delete(p.dirty[t.Title], start, end)
	p.add(-int64(end-start) * int64(t.Cols))
	t.Rows -= end - start
}

// insertRows inserts n rows holding k at row pos of block tab i.
func (p *planner) insertRows(i, pos, n int, k key) {
	t := &p.m.Tabs[i]
	if pos == t.Rows {
		p.emit(&sheetsapi.Request{AppendDimension: &sheetsapi.AppendDimensionRequest{SheetId: t.ID, Dimension: "ROWS", Length: int64(n),
			ForceSendFields: []string{"SheetId"}}})
	} else {
		// Rows inserted right under the header inherit from the row after
		// them, not from the frozen header: its bold would spread into
		// columns beyond the digest's, which nothing writes afterwards (the
		// digest's own cells get every format set anyway). pos < t.Rows, so
		// there is a row after.
		p.emit(&sheetsapi.Request{InsertDimension: &sheetsapi.InsertDimensionRequest{Range: dimRange(t.ID, pos, pos+n), InheritFromBefore: pos > 1}})
	}
	keys := make([]key, n)
	for j := range keys {
		keys[j] = k
	}
	p.m.Keys[t.Title] = slices.Insert(p.m.Keys[t.Title], pos, keys...)
	p.dirty[t.Title] = slices.Insert(p.dirty[t.Title], pos, make([]bool, n)...)
	p.add(int64(n) * int64(t.Cols))
	t.Rows += n
}

// trim deletes the rows after the last one with something in column A,
// keeping the header and one more row: Google refuses to leave only frozen
// rows in a tab. A row holding something in another column only was read
// as keyOther (see readTails), so it stays.
func (p *planner) trim(i int) {
	t := p.m.Tabs[i]
	keys := p.m.Keys[t.Title]
	if target := tailStart(keys); len(keys) > target {
		p.deleteRows(i, target, len(keys))
	}
}

// shrinkBlock removes the rows of block tab b that the batch does not keep:
// the rows of each date beyond the number it will have, rows of a date seen
// outside its first run, and blank rows at the end.
func (p *planner) shrinkBlock(b *blockTab) {
	i := p.m.find(b.title)
	t := p.m.Tabs[i]
	keys := resize(p.m.Keys[t.Title], t.Rows)
	keys[0] = key{kind: keyOther} // the header is never part of a block
	p.m.Keys[t.Title] = keys
	p.dirty[t.Title] = make([]bool, len(keys))
	if t.Frozen != 1 && t.Rows >= 2 {
		p.updateProps(i, 0, 0, 1)
	}

	wanted := make(map[int]int, len(b.serials))
	for _, s := range b.serials {
		wanted[s] = len(b.rows[s])
	}
	del := make([]bool, len(keys))
	seen := make(map[int]bool)
	ndel := 0
	for j := 1; j < len(keys); {
		k := keys[j]
		n, ok := wanted[k.serial]
		if k.kind != keyDate || !ok {
			j++
			continue
		}
		end := j
		for end < len(keys) && keys[end] == k {
			end++
		}
		keepN := 0
		if !seen[k.serial] {
			keepN = min(n, end-j) // the first run stays where it is
			seen[k.serial] = true
		}
		for x := j + keepN; x < end; x++ {
			del[x] = true
			ndel++
		}
		j = end
	}
	// Keep one row besides the header, emptied, if every row would go.
	for x := len(keys) - 1; x >= 1 && len(keys)-ndel < 2; x-- {
		if del[x] {
			del[x] = false
			ndel--
			keys[x] = key{}
			p.dirty[t.Title][x] = true
		}
	}
	// Runs from the bottom up, so the indices above stay valid.
	for x := len(keys) - 1; x >= 1; {
		if !del[x] {
			x--
			continue
		}
		start := x
		for start-1 >= 1 && del[start-1] {
			start--
		}
		p.deleteRows(i, start, x+1)
		x = start - 1
	}
	p.trim(i)
}

// addBlockTab adds a missing block tab sized to the blocks of the batch,
// in date order, so growBlock finds nothing to insert.
func (p *planner) addBlockTab(b *blockTab) {
	keys := []key{{kind: keyOther}}
	for _, s := range b.serials {
		for range b.rows[s] {
			keys = append(keys, dateKey(s))
		}
	}
	if len(keys) < 2 {
		keys = append(keys, key{}) // Google refuses a tab of frozen rows only
	}
	t := p.addTab(b.title, len(keys), b.width, -1)
	p.m.Keys[t.Title] = keys
	p.dirty[t.Title] = make([]bool, len(keys))
}

// firstRun returns the first run of rows holding k in keys, after the header.
func firstRun(keys []key, k key) (start, n int) {
	start = slices.Index(keys[1:], k)
	if start < 0 {
		return 0, 0
	}
	start++
	n = 1
	for start+n < len(keys) && keys[start+n] == k {
		n++
	}
	return start, n
}

// growBlock widens block tab b if needed and makes room for each date's
// rows at its place in date order: before the first row of a later date,
// else after the last dated row, else after the last row in use.
func (p *planner) growBlock(b *blockTab) {
	i := p.m.find(b.title)
	t := p.m.Tabs[i]
	if t.Cols < b.width {
		// Never narrower than it is: columns beyond the digest's may be the user's.
		p.updateProps(i, 0, b.width, 0)
	}
	for _, s := range b.serials {
		n := len(b.rows[s])
		if n == 0 {
			continue
		}
		keys := p.m.Keys[t.Title]
		if start, have := firstRun(keys, dateKey(s)); have > 0 {
			if have < n {
				p.insertRows(i, start+have, n-have, dateKey(s))
			}
			continue
		}
		pos, lastDate, lastUsed := -1, -1, 0
		for j := 1; j < len(keys); j++ {
			switch keys[j].kind {
			case keyDate:
				if keys[j].serial > s && pos < 0 {
					pos = j
				}
				lastDate = j
				lastUsed = j
			case keyOther:
				lastUsed = j
			}
		}
		switch {
		case pos >= 0:
		case lastDate >= 0:
			pos = lastDate + 1
		default:
			pos = lastUsed + 1
		}
		p.insertRows(i, pos, n, dateKey(s))
	}
	if t := p.m.Tabs[i]; t.Rows < 2 {
		p.insertRows(i, t.Rows, 2-t.Rows, key{})
	}
	p.trim(i)
	if p.m.Tabs[i].Frozen != 1 {
		p.updateProps(i, 0, 0, 1)
	}
}

// fillBlock writes the header and each date's rows of block tab b, and
// empties the rows left blank. The blocks of dates that lie next to each
// other (a backfill, a re-run of several days) are written as one range.
func (p *planner) fillBlock(b *blockTab) {
	t := p.m.Tabs[p.m.find(b.title)]
	p.updateCells(t.ID, 0, []*sheetsapi.RowData{headerRow(b.header, b.width)}, cellFields)
	keys := p.m.Keys[t.Title]
	type span struct {
		start int
		rows  [][]Cell
	}
	var spans []span
	for _, s := range b.serials {
		if rows := b.rows[s]; len(rows) > 0 {
			start, _ := firstRun(keys, dateKey(s))
			spans = append(spans, span{start, rows})
		}
	}
	slices.SortFunc(spans, func(a, b span) int { return a.start - b.start })
	for i := 0; i < len(spans); {
		rows, end := spans[i].rows, spans[i].start+len(spans[i].rows)
		j := i + 1
		for ; j < len(spans) && spans[j].start == end; j++ {
			if j == i+1 {
				rows = slices.Clip(rows) // append must not write into the caller's rows
			}
			rows = append(rows, spans[j].rows...)
			end += len(spans[j].rows)
		}
		p.writeRows(t.ID, spans[i].start, rows, b.width)
		i = j
	}
	for j, d := range p.dirty[t.Title] {
		if d && j < len(keys) {
			p.updateCells(t.ID, j, []*sheetsapi.RowData{emptyRow(b.width)}, cellFields)
		}
	}
}

// shrinkDayTab makes an existing day tab no larger than it must be.
func (p *planner) shrinkDayTab(i int, d *dayTab) {
	t := p.m.Tabs[i]
	if t.Frozen != 1 && t.Rows >= 2 {
		p.updateProps(i, 0, 0, 1)
	}
	if t.Cols > d.cols {
		p.updateProps(i, 0, d.cols, 0)
	}
	if t.Rows > d.rows {
		p.updateProps(i, d.rows, 0, 0)
	}
}

// growDayTab makes an existing day tab as large as it must be.
func (p *planner) growDayTab(i int, d *dayTab) {
	t := p.m.Tabs[i]
	if t.Cols < d.cols {
		p.updateProps(i, 0, d.cols, 0)
	}
	if t.Rows < d.rows {
		p.updateProps(i, d.rows, 0, 0)
	}
	if p.m.Tabs[i].Frozen != 1 {
		p.updateProps(i, 0, 0, 1)
	}
}

// addDayTab adds a day tab sized to its content, among the other day tabs
// in date order.
func (p *planner) addDayTab(d *dayTab) {
	s, _ := parseDayTitle(d.title)
	index, lastDay := -1, -1
	for j, t := range p.m.Tabs {
		if ts, ok := parseDayTitle(t.Title); ok {
			if ts > s && index < 0 {
				index = j
			}
			lastDay = j
		}
	}
	if index < 0 && lastDay >= 0 {
		index = lastDay + 1
	}
	p.addTab(d.title, d.rows, d.cols, index)
}

// updateCells writes rows at row of a tab, from column A, over exactly
// the range they cover, with the field mask fields.
func (p *planner) updateCells(id int64, row int, rows []*sheetsapi.RowData, fields string) {
	width := 0
	for _, r := range rows {
		width = max(width, len(r.Values))
	}
	p.emit(&sheetsapi.Request{UpdateCells: &sheetsapi.UpdateCellsRequest{
		Range:  gridRange(id, row, row+len(rows), 0, width),
		Rows:   rows,
		Fields: fields,
	}})
}

// writeRows writes data rows at row of a tab, each padded to width: their
// values in one updateCells, then their formats in one repeatCell per
// rectangle of cells sharing a format. Every cell of the rows gets both, so
// what the rows held before, values or formats, does not survive.
func (p *planner) writeRows(id int64, row int, cells [][]Cell, width int) {
	if len(cells) == 0 {
		return
	}
	// The rows make up nearly all of a batch: their size is counted as
	// the rows are, not by encoding them (see valueRowsSize).
	// Encoded without its rows, the request ends with its range; "rows"
	// follows it, and is last, once set (keys in field order, start unset).
	u := &sheetsapi.UpdateCellsRequest{Range: gridRange(id, row, row+len(cells), 0, width), Fields: valueFields}
	req := &sheetsapi.Request{UpdateCells: u}
	n := p.jsonSize(req) + len(`,"rows":`) + valueRowsSize(cells, width)
	u.Rows = p.values.valueRows(cells, width)
	p.emitSized(req, n)
	for _, f := range formatRuns(cells, width) {
		cell := emptyCell // no format: clears the cells' format
		if cf := formatOf(f.kind); cf != nil {
			cell = &sheetsapi.CellData{UserEnteredFormat: cf}
		}
		p.emit(&sheetsapi.Request{RepeatCell: &sheetsapi.RepeatCellRequest{
			Range:  gridRange(id, row+f.r0, row+f.r1, f.c0, f.c1),
			Cell:   cell,
			Fields: formatFields,
		}})
	}
}

func gridRange(id int64, r0, r1, c0, c1 int) *sheetsapi.GridRange {
	return &sheetsapi.GridRange{SheetId: id,
		StartRowIndex: int64(r0), EndRowIndex: int64(r1),
		StartColumnIndex: int64(c0), EndColumnIndex: int64(c1),
		ForceSendFields: []string{"SheetId", "StartRowIndex", "StartColumnIndex"}}
}
