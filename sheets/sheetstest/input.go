package sheetstest

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	sheets "google.golang.org/api/sheets/v4"
)

// userEntered parses a string as if typed into the Sheets UI with the
// en_US locale: "=…" is a formula, "'…" text without the apostrophe,
// TRUE/FALSE booleans, numbers (leading zeros and grouping commas dropped,
// 1e5, 50%, $1.50), ISO and US dates and times (with the number format the
// UI gives them). Anything else stays text. The returned format is nil
// when the input sets none.
func userEntered(s string) (value, *sheets.NumberFormat) {
	switch {
	case s == "":
		return value{}, nil
	case strings.HasPrefix(s, "'"):
		return textValue(s[1:]), nil
	case strings.HasPrefix(s, "=") && len(s) > 1:
		return value{kind: kindFormula, s: s}, nil
	}
	t := strings.TrimSpace(s)
	switch strings.ToUpper(t) {
	case "TRUE":
		return value{kind: kindBool, b: true}, nil
	case "FALSE":
		return value{kind: kindBool, b: false}, nil
	}
	if n, ok := parseNumber(t); ok {
		return value{kind: kindNumber, n: n}, nil
	}
	if strings.HasSuffix(t, "%") {
		if n, ok := parseNumber(strings.TrimSpace(t[:len(t)-1])); ok {
			p := "0%"
			if strings.Contains(t, ".") {
				p = "0.00%"
			}
			return value{kind: kindNumber, n: n / 100}, &sheets.NumberFormat{Type: "PERCENT", Pattern: p}
		}
	}
	if c, ok := strings.CutPrefix(t, "$"); ok {
		if n, ok := parseNumber(c); ok {
			return value{kind: kindNumber, n: n}, &sheets.NumberFormat{Type: "CURRENCY", Pattern: `"$"#,##0.00`}
		}
	}
	if c, ok := strings.CutPrefix(t, "-$"); ok {
		if n, ok := parseNumber(c); ok {
			return value{kind: kindNumber, n: -n}, &sheets.NumberFormat{Type: "CURRENCY", Pattern: `"$"#,##0.00`}
		}
	}
	if v, nf, ok := parseDateTime(t); ok {
		return v, nf
	}
	return textValue(s), nil
}

func textValue(s string) value {
	if s == "" {
		return value{}
	}
	return value{kind: kindString, s: s}
}

var numberRE = regexp.MustCompile(`^[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d*)?([eE][+-]?\d+)?$`)

// parseNumber reads a number the way the en_US UI does.
func parseNumber(s string) (float64, bool) {
	if !numberRE.MatchString(s) || !strings.ContainsAny(s, "0123456789") {
		return 0, false
	}
	if m := strings.TrimLeft(s, "+-"); m == "" || m[0] == 'e' || m[0] == 'E' || strings.HasPrefix(m, ".e") || strings.HasPrefix(m, ".E") {
		return 0, false
	}
	n, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", ""), 64)
	if err != nil || math.IsInf(n, 0) || math.IsNaN(n) {
		return 0, false
	}
	return n, true
}

var dateLayouts = []struct {
	layout, typ, pattern string
}{
	{"2006-01-02", "DATE", "yyyy-mm-dd"},
	{"2006-1-2", "DATE", "yyyy-m-d"},
	{"2006/01/02", "DATE", "yyyy/mm/dd"},
	{"2006/1/2", "DATE", "yyyy/m/d"},
	{"1/2/2006", "DATE", "M/d/yyyy"},
	{"01/02/2006", "DATE", "MM/dd/yyyy"},
	{"2006-01-02 15:04:05", "DATE_TIME", "yyyy-mm-dd hh:mm:ss"},
	{"2006-01-02 15:04", "DATE_TIME", "yyyy-mm-dd hh:mm"},
	{"2006-01-02T15:04:05", "DATE_TIME", "yyyy-mm-dd hh:mm:ss"},
	{"1/2/2006 15:04:05", "DATE_TIME", "M/d/yyyy H:mm:ss"},
	{"1/2/2006 15:04", "DATE_TIME", "M/d/yyyy H:mm"},
	{"15:04:05", "TIME", "h:mm:ss am/pm"},
	{"15:04", "TIME", "h:mm am/pm"},
	{"3:04:05 PM", "TIME", "h:mm:ss am/pm"},
	{"3:04 PM", "TIME", "h:mm am/pm"},
}

// parseDateTime reads the date and time forms the en_US UI turns into
// serial numbers.
func parseDateTime(s string) (value, *sheets.NumberFormat, bool) {
	for _, l := range dateLayouts {
		t, err := time.Parse(l.layout, s)
		if err != nil {
			continue
		}
		n := Serial(t)
		if l.typ == "TIME" {
			n -= math.Floor(n)
		}
		return value{kind: kindNumber, n: n}, &sheets.NumberFormat{Type: l.typ, Pattern: l.pattern}, true
	}
	return value{}, nil, false
}

// evalFormula computes the effective value of the formulas the stand-in
// understands: numbers, + - * / ^, unary signs and parentheses, and
// string literals alone. Anything else (references, functions) has no
// effective value (nil).
func evalFormula(f string) *value {
	p := &exprParser{s: strings.TrimPrefix(f, "=")}
	p.skip()
	if strings.HasPrefix(p.s[p.i:], `"`) {
		end := strings.IndexByte(p.s[p.i+1:], '"')
		if end >= 0 && strings.TrimSpace(p.s[p.i+2+end:]) == "" {
			v := textValue(p.s[p.i+1 : p.i+1+end])
			return &v
		}
		return nil
	}
	n, ok := p.expr()
	p.skip()
	if !ok || p.i != len(p.s) {
		if p.divZero {
			return &value{kind: kindError, s: "#DIV/0!"}
		}
		return nil
	}
	if p.divZero {
		return &value{kind: kindError, s: "#DIV/0!"}
	}
	return &value{kind: kindNumber, n: n}
}

type exprParser struct {
	s       string
	i       int
	divZero bool
}

func (p *exprParser) skip() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

func (p *exprParser) peek() byte {
	p.skip()
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *exprParser) expr() (float64, bool) {
	n, ok := p.term()
	for ok {
		switch p.peek() {
		case '+':
			p.i++
			m, ok2 := p.term()
			n, ok = n+m, ok2
		case '-':
			p.i++
			m, ok2 := p.term()
			n, ok = n-m, ok2
		default:
			return n, true
		}
	}
	return n, ok
}

func (p *exprParser) term() (float64, bool) {
	n, ok := p.power()
	for ok {
		switch p.peek() {
		case '*':
			p.i++
			m, ok2 := p.power()
			n, ok = n*m, ok2
		case '/':
			p.i++
			m, ok2 := p.power()
			if ok2 && m == 0 {
				p.divZero = true
				return 0, false
			}
			n, ok = n/m, ok2
		default:
			return n, true
		}
	}
	return n, ok
}

func (p *exprParser) power() (float64, bool) {
	n, ok := p.unary()
	if ok && p.peek() == '^' {
		p.i++
		m, ok2 := p.power()
		return math.Pow(n, m), ok2
	}
	return n, ok
}

func (p *exprParser) unary() (float64, bool) {
	switch p.peek() {
	case '-':
		p.i++
		n, ok := p.unary()
		return -n, ok
	case '+':
		p.i++
		return p.unary()
	case '(':
		p.i++
		n, ok := p.expr()
		if !ok || p.peek() != ')' {
			return 0, false
		}
		p.i++
		return n, true
	}
	j := p.i
	for j < len(p.s) && (p.s[j] >= '0' && p.s[j] <= '9' || p.s[j] == '.') {
		j++
	}
	if j == p.i {
		return 0, false
	}
	n, err := strconv.ParseFloat(p.s[p.i:j], 64)
	if err != nil {
		return 0, false
	}
	p.i = j
	return n, true
}
