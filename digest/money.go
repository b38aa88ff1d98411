// Package digest adds up Everflow conversions into the daily revenue digest
// and lays it out as the typed tables of the spreadsheet: exact money, report
// dates, the aggregation by date, offer, sub values and currency, and the
// Daily, Summary and day-tab rows with their headers.
//
// The package is pure: no I/O beyond the io.Writer handed to WriteCSV, no
// clock, no logging, and it imports nothing else of this module, so the
// numbers finance reads can be tested without any network.
package digest

import (
	"errors"
	"fmt"
	"math"
	"strconv"
)

// Money is an exact amount of one currency in ten-thousandths of a unit
// (12.3456 is Money(123456)). Everflow reports revenue with up to 4
// decimals; an integer keeps every sum exact where float64 addition would
// drift (0.1+0.2 != 0.3). Money never knows its currency: callers keep
// amounts of different currencies apart.
//
// The range is symmetric, ±(2^63−1) ten-thousandths (about ±922 trillion
// units): ParseMoney and Add refuse anything outside it with ErrOverflow,
// so negating an amount can never overflow.
type Money int64

// Scale is how many Money units make one currency unit.
const Scale = 10000

// ErrOverflow is returned when an amount or a sum leaves the range of Money.
var ErrOverflow = errors.New("money amount out of range")

// ErrSyntax is returned by ParseMoney for text that is not a decimal number.
var ErrSyntax = errors.New("not a decimal number")

// maxExp caps the exponent ParseMoney tracks. Any larger exponent already
// overflows (or rounds to zero) for every string that fits in memory, and
// the cap keeps the arithmetic on exponents in int64 whatever the input.
const maxExp = 1 << 40

// ParseMoney parses decimal text as Everflow sends revenue, either a JSON
// number or the text of a numeric string: an optional sign, digits with an
// optional fraction, an optional exponent ("0.1", "12.3456", "-3.5",
// "5.25", "1e-2", "1E+3", "+2", "-0"). A missing integer or fraction part is
// accepted (".5", "5."), since the value is unambiguous; an exponent needs
// its digits. Leading zeros are accepted. Whitespace, thousands separators,
// underscores, hex, "NaN" and "Inf" are refused with ErrSyntax: a parser
// that guessed could count the wrong amount.
//
// The value is computed from the digits, never through float64. More than 4
// decimals are rounded to the nearest ten-thousandth, ties to even (banker's
// rounding, as 0.00005 -> 0.0000 and 0.00015 -> 0.0002), so that rounding
// many amounts does not bias their sum; a negative amount rounds like its
// magnitude. Amounts beyond the range of Money are ErrOverflow; the work is
// linear in len(s) and allocates nothing on success, so a hostile exponent
// such as 1e999999999 fails at once.
func ParseMoney(s string) (Money, error) {
	m, err := parseMoney(s)
	if err != nil {
		return 0, fmt.Errorf("parse money %q: %w", clip(s), err)
	}
	return m, nil
}

func parseMoney(s string) (Money, error) {
	i := 0
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}

	// The mantissa: its digits (with the point skipped) are D, and the value
	// is D × 10^(exp − fracDigits).
	mantStart := i
	intDigits := 0
	for i < len(s) && isDigit(s[i]) {
		i++
		intDigits++
	}
	mantPoint := -1
	fracDigits := 0
	if i < len(s) && s[i] == '.' {
		mantPoint = i
		i++
		for i < len(s) && isDigit(s[i]) {
			i++
			fracDigits++
		}
	}
	mantEnd := i
	if intDigits+fracDigits == 0 {
		return 0, ErrSyntax
	}

	var exp int64
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		expNeg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			expNeg = s[i] == '-'
			i++
		}
		start := i
		for i < len(s) && isDigit(s[i]) {
			if exp < maxExp {
				exp = exp*10 + int64(s[i]-'0')
			}
			i++
		}
		if i == start {
			return 0, ErrSyntax
		}
		exp = min(exp, maxExp)
		if expNeg {
			exp = -exp
		}
	}
	if i != len(s) {
		return 0, ErrSyntax
	}

	// The amount in ten-thousandths is D × 10^shift. With shift ≥ 0 every
	// digit is kept; otherwise only the first n+shift digits are, the next
	// one decides the rounding and any non-zero digit after it breaks a tie.
	n := int64(intDigits + fracDigits)
	shift := exp - int64(fracDigits) + 4
	keep := n
	if shift < 0 {
		keep = n + shift // may be ≤ 0: everything is below the last place
	}

	const limit = math.MaxInt64
	var (
		acc      uint64 // the kept digits, saturated past limit
		over     bool
		round    byte // the first dropped digit
		sticky   bool // a non-zero digit after it
		position int64
	)
	for j := mantStart; j < mantEnd; j++ {
		if j == mantPoint {
			continue
		}
		d := s[j] - '0'
		switch {
		case position < keep:
			if acc > (limit-uint64(d))/10 {
				over = true
			} else {
				acc = acc*10 + uint64(d)
			}
		case position == keep:
			round = d
		case d != 0:
			sticky = true
		}
		position++
	}
	if keep < 0 {
		// The first dropped digit is an implied leading zero: the value is
		// below half a ten-thousandth and rounds to zero.
		round, sticky = 0, false
	}
	if over {
		return 0, ErrOverflow
	}
	if shift > 0 && acc != 0 {
		if shift > 18 {
			return 0, ErrOverflow
		}
		p := pow10[shift]
		if acc > limit/p {
			return 0, ErrOverflow
		}
		acc *= p
	}
	if round > 5 || round == 5 && (sticky || acc%2 == 1) {
		if acc == limit {
			return 0, ErrOverflow
		}
		acc++
	}
	m := Money(acc)
	if neg {
		m = -m
	}
	return m, nil
}

var pow10 = [19]uint64{
	1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
	1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18,
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// clip shortens text quoted in an error: revenue comes from the network and
// an error line is no place for a megabyte of digits.
func clip(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}

// Add returns m+n, or ErrOverflow when the sum leaves the range of Money, so
// a sum is never silently wrong.
func (m Money) Add(n Money) (Money, error) {
	sum := m + n
	if (n > 0 && sum < m) || (n < 0 && sum > m) || sum == math.MinInt64 {
		return 0, ErrOverflow
	}
	return sum, nil
}

// String returns the exact amount in decimal with at least 2 decimals and
// at most 4, without trailing zeros past the second ("0.10", "12.3456",
// "-3.50", "-0.05", "1000.00"): what a finance reader expects, and text
// ParseMoney reads back to the same amount. It has no thousands separators
// and no exponent.
func (m Money) String() string {
	var buf [32]byte
	b := buf[:0]
	u := uint64(m)
	if m < 0 {
		b = append(b, '-')
		u = -u // also right for math.MinInt64
	}
	b = strconv.AppendUint(b, u/Scale, 10)
	frac := u % Scale
	digits := [4]byte{
		byte('0' + frac/1000),
		byte('0' + frac/100%10),
		byte('0' + frac/10%10),
		byte('0' + frac%10),
	}
	n := 4
	for n > 2 && digits[n-1] == '0' {
		n--
	}
	b = append(b, '.')
	b = append(b, digits[:n]...)
	return string(b)
}

// Float64 returns the float64 nearest to the amount, for the spreadsheet
// cell only: sums are made on Money, never on floats.
func (m Money) Float64() float64 {
	const exact = 1 << 53
	if -exact <= m && m <= exact {
		// Both operands are exact and IEEE division rounds correctly, so
		// the quotient is the nearest float64.
		return float64(m) / Scale
	}
	// float64(m) would round once and the division again; ParseFloat
	// rounds the exact decimal once.
	f, err := strconv.ParseFloat(m.String(), 64)
	if err != nil {
		panic("digest: Money.String produced unparsable text: " + err.Error())
	}
	return f
}
