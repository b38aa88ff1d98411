package sheetstest

import (
	"fmt"
	"reflect"
	"strings"

	sheets "google.golang.org/api/sheets/v4"
)

// cellMask is a compiled field mask over CellData, as updateCells,
// repeatCell and appendCells take it.
type cellMask struct {
	value  bool       // userEnteredValue
	format [][]string // paths under userEnteredFormat; an empty path is the whole format
	note   bool
}

// Output-only CellData fields: a mask may name them, and they are ignored.
var outputOnly = map[string]bool{"effectiveValue": true, "formattedValue": true, "effectiveFormat": true, "hyperlink": true}

var cellDataType = reflect.TypeOf(sheets.CellData{})
var cellFormatType = reflect.TypeOf(sheets.CellFormat{})

// compileCellMask parses and checks a CellData mask; the message says
// what is wrong.
func compileCellMask(fields string) (cellMask, string) {
	var cm cellMask
	if strings.TrimSpace(fields) == "" {
		return cm, "At least one field must be specified in 'fields'."
	}
	m, ok := parseMask(fields)
	if !ok {
		return cm, "Invalid field mask: " + fields
	}
	if bad := checkMask(m, cellDataType); bad != "" {
		return cm, "Invalid field mask path: " + bad + " is not a field of CellData"
	}
	for _, p := range m.paths() {
		switch {
		case p[0] == "*":
			cm.value, cm.note = true, true
			cm.format = append(cm.format, nil)
		case p[0] == "userEnteredValue":
			if len(p) > 1 {
				return cm, "sheetstest supports userEnteredValue only as a whole in 'fields', not " + strings.Join(p, ".")
			}
			cm.value = true
		case p[0] == "userEnteredFormat":
			cm.format = append(cm.format, p[1:])
		case p[0] == "note":
			cm.note = true
		case outputOnly[p[0]]:
		default:
			return cm, "sheetstest does not support the CellData field " + p[0]
		}
	}
	return cm, ""
}

// cellChars counts the characters of s as Sheets does for its limit of
// MaxCellChars: in UTF-16 code units (LEN counts an emoji as 2).
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

// unsupportedCellData names a set CellData field the stand-in does not
// store, or "".
func unsupportedCellData(c *sheets.CellData) string {
	switch {
	case c.DataValidation != nil:
		return "dataValidation"
	case c.PivotTable != nil:
		return "pivotTable"
	case len(c.TextFormatRuns) > 0:
		return "textFormatRuns"
	case len(c.ChipRuns) > 0:
		return "chipRuns"
	case c.DataSourceTable != nil:
		return "dataSourceTable"
	case c.DataSourceFormula != nil:
		return "dataSourceFormula"
	}
	return ""
}

// inputValue checks a userEnteredValue and turns it into a stored value.
func inputValue(ev *sheets.ExtendedValue) (value, string) {
	if ev == nil {
		return value{}, ""
	}
	set := 0
	var v value
	if ev.StringValue != nil {
		set++
		if cellChars(*ev.StringValue) > MaxCellChars {
			return v, "Your input contains more than the maximum of 50000 characters in a single cell."
		}
		v = textValue(*ev.StringValue)
	}
	if ev.NumberValue != nil {
		set++
		v = value{kind: kindNumber, n: *ev.NumberValue}
	}
	if ev.BoolValue != nil {
		set++
		v = value{kind: kindBool, b: *ev.BoolValue}
	}
	if ev.FormulaValue != nil {
		set++
		f := *ev.FormulaValue
		if !strings.HasPrefix(f, "=") {
			return v, "Invalid formulaValue: a formula must start with '='"
		}
		if cellChars(f) > MaxCellChars {
			return v, "Your input contains more than the maximum of 50000 characters in a single cell."
		}
		v = value{kind: kindFormula, s: f}
	}
	if ev.ErrorValue != nil {
		return v, "errorValue is output only and cannot be written"
	}
	if set > 1 {
		return v, "Only one of stringValue, numberValue, boolValue and formulaValue may be set in userEnteredValue"
	}
	return v, ""
}

// checkCell validates a CellData a request writes under m.
func (m cellMask) checkCell(c *sheets.CellData) string {
	if c == nil {
		return ""
	}
	if f := unsupportedCellData(c); f != "" {
		return "sheetstest does not support the CellData field " + f
	}
	if m.value {
		if _, msg := inputValue(c.UserEnteredValue); msg != "" {
			return msg
		}
	}
	// NumberFormat.type is required when writing a number format: without
	// it Google cannot tell how to read the pattern.
	if f := c.UserEnteredFormat; f != nil && f.NumberFormat != nil && m.writesNumberFormatType() &&
		(f.NumberFormat.Type == "" || f.NumberFormat.Type == "NUMBER_FORMAT_TYPE_UNSPECIFIED") {
		return "Invalid userEnteredFormat.numberFormat: type is required when writing a number format."
	}
	return ""
}

// writesNumberFormatType reports whether the mask sets
// userEnteredFormat.numberFormat.type.
func (m cellMask) writesNumberFormatType() bool {
	for _, p := range m.format {
		switch {
		case len(p) == 0, len(p) == 1 && p[0] == "numberFormat", len(p) == 2 && p[0] == "numberFormat" && p[1] == "type":
			return true
		}
	}
	return false
}

// numberFormatTypes are the values of the NumberFormatType enum.
var numberFormatTypes = map[string]bool{
	"": true, "NUMBER_FORMAT_TYPE_UNSPECIFIED": true, "TEXT": true, "NUMBER": true, "PERCENT": true,
	"CURRENCY": true, "DATE": true, "TIME": true, "DATE_TIME": true, "SCIENTIFIC": true,
}

// checkEnums refuses request i when a cell it writes names a number format
// type that does not exist. Google fails such a batch while parsing it,
// before looking at any request, and names the field by its proto path.
func checkEnums(i int, r *sheets.Request) *apiError {
	bad := func(path string, c *sheets.CellData) *apiError {
		if c == nil || c.UserEnteredFormat == nil || c.UserEnteredFormat.NumberFormat == nil || numberFormatTypes[c.UserEnteredFormat.NumberFormat.Type] {
			return nil
		}
		return badRequest("Invalid value at '%s.user_entered_format.number_format.type' (type.googleapis.com/google.apps.sheets.v4.NumberFormatType), %q",
			path, c.UserEnteredFormat.NumberFormat.Type)
	}
	rows := func(name string, rs []*sheets.RowData) *apiError {
		for ri, rd := range rs {
			if rd == nil {
				continue
			}
			for ci, c := range rd.Values {
				if c != nil && c.UserEnteredFormat != nil && c.UserEnteredFormat.NumberFormat != nil {
					if err := bad(fmt.Sprintf("requests[%d].%s.rows[%d].values[%d]", i, name, ri, ci), c); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}
	switch {
	case r.RepeatCell != nil:
		return bad(fmt.Sprintf("requests[%d].repeat_cell.cell", i), r.RepeatCell.Cell)
	case r.UpdateCells != nil:
		return rows("update_cells", r.UpdateCells.Rows)
	case r.AppendCells != nil:
		return rows("append_cells", r.AppendCells.Rows)
	}
	return nil
}

// apply writes the masked fields of src (nil: an empty CellData) over dst.
// The caller checked src with checkCell.
func (m cellMask) apply(s *Server, dst *cell, src *sheets.CellData) {
	if src == nil {
		src = &sheets.CellData{}
	}
	if m.value {
		v, _ := inputValue(src.UserEnteredValue)
		dst.val, dst.eff = v, nil
		if v.kind == kindFormula {
			dst.eff = evalFormula(v.s)
		}
	}
	if m.note {
		dst.note = src.Note
	}
	if len(m.format) == 0 {
		return
	}
	whole := false
	for _, p := range m.format {
		whole = whole || len(p) == 0
	}
	var f sheets.CellFormat
	dv := reflect.ValueOf(&f).Elem()
	switch {
	case whole && src.UserEnteredFormat != nil:
		f = *src.UserEnteredFormat
	case !whole:
		if dst.fmt != nil {
			f = *dst.fmt.f
		}
		var sv reflect.Value
		if src.UserEnteredFormat != nil {
			sv = reflect.ValueOf(src.UserEnteredFormat).Elem()
		}
		for _, p := range m.format {
			setPath(dv, sv, p)
		}
	}
	prune(dv)
	f.ForceSendFields, f.NullFields = nil, nil
	dst.fmt = s.intern(&f)
}

// clears reports whether applying m with an empty CellData changes
// nothing on an empty cell, so only stored cells need visiting.
func (m cellMask) clears(src *sheets.CellData) bool {
	if src == nil {
		return true
	}
	if m.value && src.UserEnteredValue != nil {
		if v, _ := inputValue(src.UserEnteredValue); v.kind != kindNone {
			return false
		}
	}
	if m.note && src.Note != "" {
		return false
	}
	if len(m.format) > 0 && src.UserEnteredFormat != nil {
		f := *src.UserEnteredFormat
		if !prune(reflect.ValueOf(&f).Elem()) {
			return false
		}
	}
	return true
}

// cellData renders a stored cell as the CellData spreadsheets.get returns.
func cellData(c *cell) *sheets.CellData {
	d := &sheets.CellData{}
	if c == nil {
		return d
	}
	d.UserEnteredValue = extended(c.val)
	ev := c.effective()
	d.EffectiveValue = extended(ev)
	if s := formatted(ev, c.format()); s != "" {
		d.FormattedValue = s
	}
	if c.fmt != nil {
		d.UserEnteredFormat = c.fmt.f
		d.EffectiveFormat = c.fmt.f
	}
	d.Note = c.note
	return d
}

func extended(v value) *sheets.ExtendedValue {
	switch v.kind {
	case kindString:
		return &sheets.ExtendedValue{StringValue: &v.s}
	case kindNumber:
		return &sheets.ExtendedValue{NumberValue: &v.n}
	case kindBool:
		return &sheets.ExtendedValue{BoolValue: &v.b, ForceSendFields: []string{"BoolValue"}}
	case kindFormula:
		return &sheets.ExtendedValue{FormulaValue: &v.s}
	case kindError:
		return &sheets.ExtendedValue{ErrorValue: &sheets.ErrorValue{Type: errorType(v.s), Message: v.s}}
	}
	return nil
}

func errorType(s string) string {
	switch s {
	case "#DIV/0!":
		return "DIVIDE_BY_ZERO"
	}
	return "ERROR"
}
