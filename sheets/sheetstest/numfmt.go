package sheetstest

import (
	"math"
	"strconv"
	"strings"
	"time"

	sheets "google.golang.org/api/sheets/v4"
)

// Number formats are rendered the way the en_US locale shows them, for the
// pattern tokens a report uses: digits (0 # ,), decimals, percent,
// scientific, quoted and escaped literals, sections (positive;negative;
// zero;text), and the date/time tokens y m d h s am/pm. Colors ([Red]),
// fill (*) and padding (_) are dropped or turned into a space.

// serialEpoch is day 0 of Sheets serial dates.
var serialEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// SerialTime is the instant of a Sheets serial date-time (UTC, to the
// millisecond).
func SerialTime(serial float64) time.Time {
	ms := math.Round(serial * 86400000)
	return serialEpoch.Add(time.Duration(ms) * time.Millisecond)
}

// Serial is the Sheets serial number of t's wall clock (days since
// 1899-12-30, time as the fraction).
func Serial(t time.Time) float64 {
	y, m, d := t.Date()
	days := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Sub(serialEpoch).Hours() / 24
	secs := t.Hour()*3600 + t.Minute()*60 + t.Second()
	return days + (float64(secs)+float64(t.Nanosecond())/1e9)/86400
}

// defaultPattern is the en_US pattern of a number format type without one.
func defaultPattern(typ string) string {
	switch typ {
	case "NUMBER":
		return "#,##0.00"
	case "PERCENT":
		return "0.00%"
	case "CURRENCY":
		return `"$"#,##0.00`
	case "DATE":
		return "M/d/yyyy"
	case "TIME":
		return "h:mm:ss am/pm"
	case "DATE_TIME":
		return "M/d/yyyy H:mm:ss"
	case "SCIENTIFIC":
		return "0.00E+00"
	case "TEXT":
		return "@"
	}
	return ""
}

// isDateType reports whether a number format shows a date or time, which
// dateTimeRenderOption applies to.
func isDateType(f *sheets.CellFormat) bool {
	if f == nil || f.NumberFormat == nil {
		return false
	}
	switch f.NumberFormat.Type {
	case "DATE", "TIME", "DATE_TIME":
		return true
	}
	return false
}

// formatted is the FORMATTED_VALUE of a value under a cell format.
func formatted(v value, f *sheets.CellFormat) string {
	switch v.kind {
	case kindString:
		return v.s
	case kindBool:
		if v.b {
			return "TRUE"
		}
		return "FALSE"
	case kindError:
		return v.s
	case kindNumber:
		if f == nil || f.NumberFormat == nil {
			return general(v.n)
		}
		p := f.NumberFormat.Pattern
		if p == "" {
			p = defaultPattern(f.NumberFormat.Type)
		}
		return formatNumber(v.n, p)
	}
	return ""
}

// general is the automatic format of a number.
func general(n float64) string {
	a := math.Abs(n)
	if a != 0 && (a >= 1e15 || a < 1e-9) {
		return sci(n, 2)
	}
	// Round to 15 significant digits so binary noise does not show.
	s := strconv.FormatFloat(n, 'g', 15, 64)
	f, _ := strconv.ParseFloat(s, 64)
	return strconv.FormatFloat(f, 'f', -1, 64)
}

func sci(n float64, decimals int) string {
	s := strconv.FormatFloat(n, 'E', decimals, 64)
	mant, exp, _ := strings.Cut(s, "E")
	sign := exp[0]
	exp = strings.TrimLeft(exp[1:], "0")
	if len(exp) < 2 {
		exp = strings.Repeat("0", 2-len(exp)) + exp
	}
	return mant + "E" + string(sign) + exp
}

// sections splits a pattern on ; outside quotes.
func sections(p string) []string {
	var out []string
	start, quoted := 0, false
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '"':
			quoted = !quoted
		case '\\':
			i++
		case ';':
			if !quoted {
				out = append(out, p[start:i])
				start = i + 1
			}
		}
	}
	return append(out, p[start:])
}

// formatNumber renders n with a Sheets number format pattern.
func formatNumber(n float64, pattern string) string {
	secs := sections(pattern)
	sec, neg := secs[0], n < 0
	switch {
	case n < 0 && len(secs) >= 2 && secs[1] != "":
		sec, n, neg = secs[1], -n, false
	case n == 0 && len(secs) >= 3 && secs[2] != "":
		sec = secs[2]
	}
	toks := tokenize(sec)
	if isDatePattern(toks) {
		return formatDate(n, toks)
	}
	return formatDigits(n, neg, toks)
}

// ftoken is a piece of a pattern: a literal or a run of a placeholder.
type ftoken struct {
	lit  bool
	text string
}

func tokenize(p string) []ftoken {
	var out []ftoken
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '"':
			j := strings.IndexByte(p[i+1:], '"')
			if j < 0 {
				j = len(p) - i - 1
			}
			out = append(out, ftoken{lit: true, text: p[i+1 : i+1+j]})
			i += j + 1
		case c == '\\' && i+1 < len(p):
			out = append(out, ftoken{lit: true, text: p[i+1 : i+2]})
			i++
		case c == '_' && i+1 < len(p):
			out = append(out, ftoken{lit: true, text: " "})
			i++
		case c == '*' && i+1 < len(p):
			i++
		case c == '[':
			j := strings.IndexByte(p[i:], ']')
			if j < 0 {
				return out
			}
			i += j
		case c == '@':
			out = append(out, ftoken{text: "@"})
		case strings.HasPrefix(strings.ToLower(p[i:]), "am/pm"):
			out = append(out, ftoken{text: "am/pm"})
			i += 4
		case strings.HasPrefix(strings.ToLower(p[i:]), "a/p"):
			out = append(out, ftoken{text: "a/p"})
			i += 2
		case strings.ContainsRune("yYmMdDhHsS", rune(c)):
			j := i
			for j < len(p) && strings.EqualFold(p[j:j+1], p[i:i+1]) {
				j++
			}
			out = append(out, ftoken{text: strings.ToLower(p[i:j])})
			i = j - 1
		case strings.ContainsRune("0#?.,%eE", rune(c)):
			if (c == 'e' || c == 'E') && i+1 < len(p) && (p[i+1] == '+' || p[i+1] == '-') {
				out = append(out, ftoken{text: "E" + p[i+1:i+2]})
				i++
				continue
			}
			if c == 'e' || c == 'E' {
				out = append(out, ftoken{lit: true, text: p[i : i+1]})
				continue
			}
			out = append(out, ftoken{text: p[i : i+1]})
		default:
			out = append(out, ftoken{lit: true, text: p[i : i+1]})
		}
	}
	return out
}

func isDatePattern(toks []ftoken) bool {
	date := false
	for _, t := range toks {
		if t.lit {
			continue
		}
		switch t.text[0] {
		case 'y', 'm', 'd', 'h', 's':
			date = true
		case '0', '#', '?':
			// "ss.000" keeps fractions of a second in date patterns.
			if !date {
				return false
			}
		}
	}
	return date
}

var (
	monthNames = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	dayNames   = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
)

func formatDate(n float64, toks []ftoken) string {
	t := SerialTime(n)
	ampm := false
	for _, tk := range toks {
		if !tk.lit && (tk.text == "am/pm" || tk.text == "a/p") {
			ampm = true
		}
	}
	// m is minutes right after an hour or right before seconds.
	minute := make([]bool, len(toks))
	for i, tk := range toks {
		if tk.lit || tk.text[0] != 'm' || len(tk.text) > 2 {
			continue
		}
		for j := i - 1; j >= 0; j-- {
			if !toks[j].lit {
				minute[i] = toks[j].text[0] == 'h'
				break
			}
		}
		for j := i + 1; j < len(toks) && !minute[i]; j++ {
			if !toks[j].lit && toks[j].text != "." {
				minute[i] = toks[j].text[0] == 's'
				break
			}
		}
	}
	var b strings.Builder
	for i := 0; i < len(toks); i++ {
		tk := toks[i]
		if tk.lit {
			b.WriteString(tk.text)
			continue
		}
		switch c := tk.text[0]; {
		case c == 'y':
			if len(tk.text) <= 2 {
				b.WriteString(pad(t.Year()%100, 2))
			} else {
				b.WriteString(pad(t.Year(), 4))
			}
		case c == 'm' && minute[i]:
			b.WriteString(pad(t.Minute(), len(tk.text)))
		case c == 'm':
			switch len(tk.text) {
			case 1, 2:
				b.WriteString(pad(int(t.Month()), len(tk.text)))
			case 3:
				b.WriteString(monthNames[t.Month()-1][:3])
			case 5:
				b.WriteString(monthNames[t.Month()-1][:1])
			default:
				b.WriteString(monthNames[t.Month()-1])
			}
		case c == 'd':
			switch len(tk.text) {
			case 1, 2:
				b.WriteString(pad(t.Day(), len(tk.text)))
			case 3:
				b.WriteString(dayNames[t.Weekday()][:3])
			default:
				b.WriteString(dayNames[t.Weekday()])
			}
		case c == 'h':
			h := t.Hour()
			if ampm {
				h %= 12
				if h == 0 {
					h = 12
				}
			}
			b.WriteString(pad(h, len(tk.text)))
		case c == 's':
			b.WriteString(pad(t.Second(), len(tk.text)))
			// Fractions of a second: ".000".
			if i+1 < len(toks) && toks[i+1].text == "." {
				j := i + 2
				for j < len(toks) && toks[j].text == "0" {
					j++
				}
				if digits := j - i - 2; digits > 0 {
					frac := t.Nanosecond() / int(math.Pow10(9-digits))
					b.WriteString("." + pad(frac, digits))
					i = j - 1
				}
			}
		case tk.text == "am/pm":
			if t.Hour() < 12 {
				b.WriteString("AM")
			} else {
				b.WriteString("PM")
			}
		case tk.text == "a/p":
			if t.Hour() < 12 {
				b.WriteString("A")
			} else {
				b.WriteString("P")
			}
		default:
			b.WriteString(tk.text)
		}
	}
	return b.String()
}

func pad(n, width int) string {
	s := strconv.Itoa(n)
	for len(s) < width {
		s = "0" + s
	}
	return s
}

// formatDigits renders n with a digit pattern such as #,##0.00, 0%,
// "$"#,##0.00 or 0.00E+00.
func formatDigits(n float64, neg bool, toks []ftoken) string {
	var intMin, decMin, decMax, expMin int
	grouping, percent, sciMode, inDec, inExp, seenDigit, text := false, false, false, false, false, false, false
	expSign := "+"
	// The digit placeholders form one run; literals before it are the
	// prefix, literals after it the suffix.
	var prefix, suffix strings.Builder
	for _, t := range toks {
		if t.lit {
			if seenDigit {
				suffix.WriteString(t.text)
			} else {
				prefix.WriteString(t.text)
			}
			continue
		}
		switch t.text {
		case "@":
			text = true
		case "0", "#", "?":
			seenDigit = true
			switch {
			case inExp:
				expMin++
			case inDec:
				decMax++
				if t.text == "0" {
					decMin = decMax
				}
			case t.text == "0":
				intMin++
			}
		case ",":
			if !inDec && !inExp {
				grouping = true
			}
		case ".":
			if !inExp {
				inDec = true
			}
		case "%":
			percent = true
			if seenDigit {
				suffix.WriteString("%")
			} else {
				prefix.WriteString("%")
			}
		case "E+", "E-":
			sciMode, inExp = true, true
			expSign = t.text[1:]
		default:
			if seenDigit {
				suffix.WriteString(t.text)
			} else {
				prefix.WriteString(t.text)
			}
		}
	}
	if text || !seenDigit {
		s := general(n)
		if !seenDigit && !text {
			return prefix.String() + suffix.String()
		}
		return prefix.String() + s + suffix.String()
	}
	a := math.Abs(n)
	if percent {
		a *= 100
	}
	var body string
	if sciMode {
		exp := 0
		if a != 0 {
			exp = int(math.Floor(math.Log10(a)))
			if intMin > 1 {
				exp -= intMin - 1
			}
		}
		mant := a / math.Pow10(exp)
		body = digits(mant, intMin, decMin, decMax, false)
		if strings.HasPrefix(body, "10") && intMin <= 1 && mant >= 9.5 {
			exp++
			body = digits(a/math.Pow10(exp), intMin, decMin, decMax, false)
		}
		sign := ""
		if exp < 0 {
			sign = "-"
		} else if expSign == "+" {
			sign = "+"
		}
		body += "E" + sign + pad(abs(exp), max(expMin, 1))
	} else {
		body = digits(a, intMin, decMin, decMax, grouping)
	}
	if neg && strings.Trim(body, "0.,") != "" {
		return "-" + prefix.String() + body + suffix.String()
	}
	return prefix.String() + body + suffix.String()
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// digits renders a non-negative number with at least intMin integer
// digits and between decMin and decMax decimals, rounding half away from
// zero like Sheets.
func digits(a float64, intMin, decMin, decMax int, grouping bool) string {
	scaled := a * math.Pow10(decMax)
	// Nudge by the float's own error so 1.005 renders 1.01 like Sheets.
	scaled = math.Round(scaled * (1 + 1e-15))
	s := strconv.FormatFloat(scaled, 'f', 0, 64)
	if len(s) <= decMax {
		s = strings.Repeat("0", decMax-len(s)+1) + s
	}
	ip, dp := s[:len(s)-decMax], s[len(s)-decMax:]
	for len(dp) > decMin && strings.HasSuffix(dp, "0") {
		dp = dp[:len(dp)-1]
	}
	ip = strings.TrimLeft(ip, "0")
	for len(ip) < intMin {
		ip = "0" + ip
	}
	if grouping && len(ip) > 3 {
		var b strings.Builder
		for i, r := range ip {
			if i > 0 && (len(ip)-i)%3 == 0 {
				b.WriteByte(',')
			}
			b.WriteRune(r)
		}
		ip = b.String()
	}
	if dp != "" {
		return ip + "." + dp
	}
	return ip
}
