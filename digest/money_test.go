package digest

import (
	"errors"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseMoney(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Money
		err  error
	}{
		{"0", 0, nil},
		{"0.1", 1000, nil},
		{"12.3456", 123456, nil},
		{"-3.5", -35000, nil},
		{"5.25", 52500, nil},
		{"1e-2", 100, nil},
		{"1E+3", 10000000, nil},
		{"1e3", 10000000, nil},
		{"+2", 20000, nil},
		{"-0", 0, nil},
		{"-0.0", 0, nil},
		{".5", 5000, nil},
		{"-.5", -5000, nil},
		{"5.", 50000, nil},
		{"5.e1", 500000, nil},
		{"007.10", 71000, nil},
		{"0.0001", 1, nil},
		{"123456789.1234", 1234567891234, nil},
		{"12345e-4", 12345, nil},
		{"0.000000000000000000000000000012345e30", 123450, nil},

		// More than 4 decimals: nearest, ties to even.
		{"0.00004", 0, nil},
		{"0.00005", 0, nil},
		{"0.00006", 1, nil},
		{"0.00015", 2, nil},
		{"0.00025", 2, nil},
		{"0.000250000000000000001", 3, nil},
		{"-0.00015", -2, nil},
		{"-0.00005", 0, nil},
		{"2.99995", 30000, nil},
		{"1.23456789", 12346, nil},
		{"1e-5", 0, nil},
		{"5e-5", 0, nil},
		{"15e-5", 2, nil},
		{"5e-999999999", 0, nil},
		{"0e999999999", 0, nil},
		{"0.0e+99999999999999999999999999", 0, nil},

		// The edges of the range.
		{"922337203685477.5807", math.MaxInt64, nil},
		{"-922337203685477.5807", -math.MaxInt64, nil},
		{"922337203685477.58074", math.MaxInt64, nil},
		{"922337203685477.58075", 0, ErrOverflow},
		{"922337203685477.5808", 0, ErrOverflow},
		{"-922337203685477.5808", 0, ErrOverflow},
		{"9223372036854775807e-4", math.MaxInt64, nil},
		{"1e15", 0, ErrOverflow},
		{"1e14", 1e18, nil},
		{"1e999999999", 0, ErrOverflow},
		{"-1e999999999999999999999999999999", 0, ErrOverflow},
		{"99999999999999999999999", 0, ErrOverflow},

		// Not numbers.
		{"", 0, ErrSyntax},
		{"-", 0, ErrSyntax},
		{"+", 0, ErrSyntax},
		{".", 0, ErrSyntax},
		{"-.", 0, ErrSyntax},
		{"e5", 0, ErrSyntax},
		{".e5", 0, ErrSyntax},
		{"1e", 0, ErrSyntax},
		{"1e+", 0, ErrSyntax},
		{"1e-", 0, ErrSyntax},
		{"1.2.3", 0, ErrSyntax},
		{"--1", 0, ErrSyntax},
		{"+-1", 0, ErrSyntax},
		{" 1", 0, ErrSyntax},
		{"1 ", 0, ErrSyntax},
		{"1,000.00", 0, ErrSyntax},
		{"1_000", 0, ErrSyntax},
		{"0x10", 0, ErrSyntax},
		{"0x1p-2", 0, ErrSyntax},
		{"NaN", 0, ErrSyntax},
		{"nan", 0, ErrSyntax},
		{"Inf", 0, ErrSyntax},
		{"-Infinity", 0, ErrSyntax},
		{"1e5.5", 0, ErrSyntax},
		{"$5", 0, ErrSyntax},
		{"5$", 0, ErrSyntax},
		{"١٢", 0, ErrSyntax},
		{"\"5\"", 0, ErrSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseMoney(tt.in)
			if !errors.Is(err, tt.err) {
				t.Fatalf("ParseMoney(%q) error = %v, want %v", tt.in, err, tt.err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseMoney(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParseMoneyErrorClipsInput(t *testing.T) {
	t.Parallel()
	in := strings.Repeat("9", 100000)
	_, err := ParseMoney(in)
	if !errors.Is(err, ErrOverflow) {
		t.Fatalf("error = %v, want ErrOverflow", err)
	}
	if len(err.Error()) > 120 {
		t.Errorf("error text is %d bytes, want the input clipped: %.80s…", len(err.Error()), err)
	}
}

func TestMoneyString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   Money
		want string
	}{
		{0, "0.00"},
		{1, "0.0001"},
		{10, "0.001"},
		{100, "0.01"},
		{1000, "0.10"},
		{-500, "-0.05"},
		{-35000, "-3.50"},
		{123456, "12.3456"},
		{12340, "1.234"},
		{12300, "1.23"},
		{100000000, "10000.00"},
		{-1, "-0.0001"},
		{math.MaxInt64, "922337203685477.5807"},
		{-math.MaxInt64, "-922337203685477.5807"},
		{math.MinInt64, "-922337203685477.5808"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, tt.in.String()); diff != "" {
				t.Errorf("Money(%d).String() mismatch (-want +got):\n%s", int64(tt.in), diff)
			}
		})
	}
}

func TestMoneyAdd(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		m, n Money
		want Money
		err  error
	}{
		{"small", 1000, 2000, 3000, nil},
		{"negative", 1000, -3500, -2500, nil},
		{"to max", math.MaxInt64 - 1, 1, math.MaxInt64, nil},
		{"past max", math.MaxInt64, 1, 0, ErrOverflow},
		{"to -max", -math.MaxInt64 + 1, -1, -math.MaxInt64, nil},
		{"past -max", -math.MaxInt64, -1, 0, ErrOverflow},
		{"far past", math.MaxInt64, math.MaxInt64, 0, ErrOverflow},
		{"far past negative", -math.MaxInt64, -math.MaxInt64, 0, ErrOverflow},
		{"opposite extremes", math.MaxInt64, -math.MaxInt64, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.m.Add(tt.n)
			if !errors.Is(err, tt.err) {
				t.Fatalf("%d.Add(%d) error = %v, want %v", tt.m, tt.n, err, tt.err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%d.Add(%d) mismatch (-want +got):\n%s", tt.m, tt.n, diff)
			}
		})
	}
}

// TestMoneySumsExactly adds amounts that float64 gets wrong and checks both
// that float64 does get them wrong (so the case tests something) and that
// Money does not.
func TestMoneySumsExactly(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		amount string
		times  int
		want   string
	}{
		{"0.1 three times", "0.1", 3, "0.30"},
		{"0.01 a million times", "0.01", 1_000_000, "10000.00"},
		{"1.1 ten times", "1.1", 10, "11.00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, err := ParseMoney(tt.amount)
			if err != nil {
				t.Fatal(err)
			}
			f, _ := strconv.ParseFloat(tt.amount, 64)
			var sum Money
			var fsum float64
			for range tt.times {
				if sum, err = sum.Add(a); err != nil {
					t.Fatal(err)
				}
				fsum += f
			}
			if want, _ := strconv.ParseFloat(tt.want, 64); fsum == want {
				t.Fatalf("float64 sum is right (%v): the case proves nothing", fsum)
			}
			if diff := cmp.Diff(tt.want, sum.String()); diff != "" {
				t.Errorf("sum mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMoneyFloat64(t *testing.T) {
	t.Parallel()
	tests := []Money{0, 1, -1, 1000, 123456, -35000, 1 << 53, 1<<53 + 1, -(1<<53 + 1),
		math.MaxInt64, -math.MaxInt64, 9007199254740993, 1234567890123456789}
	for _, m := range tests {
		t.Run(m.String(), func(t *testing.T) {
			t.Parallel()
			want, _ := big.NewRat(int64(m), Scale).Float64()
			if diff := cmp.Diff(want, m.Float64()); diff != "" {
				t.Errorf("Money(%d).Float64() mismatch (-want +got):\n%s", int64(m), diff)
			}
		})
	}
}

// moneyGrammar is the syntax ParseMoney documents, written independently
// of the parser.
var moneyGrammar = regexp.MustCompile(`^([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?$`)

// referenceMoney parses s with math/big: the exact value rounded half to
// even to ten-thousandths, or the error ParseMoney must return.
func referenceMoney(s string) (Money, error) {
	g := moneyGrammar.FindStringSubmatch(s)
	if g == nil || g[2]+g[3] == "" {
		return 0, ErrSyntax
	}
	digits := strings.TrimLeft(g[2]+g[3], "0")
	if digits == "" {
		return 0, nil
	}
	// Exponents too large for strconv or for big.Int are settled by
	// magnitude: the digits cannot make up for them.
	exp, err := strconv.ParseInt(g[4], 10, 64)
	if g[4] == "" {
		exp, err = 0, nil
	}
	if err != nil || exp > 1<<50 || exp < -1<<50 {
		if strings.HasPrefix(g[4], "-") {
			return 0, nil
		}
		return 0, ErrOverflow
	}
	scale := exp - int64(len(g[3])) + 4 // value × 10^4 = digits × 10^scale
	if scale > int64(len(s))+40 {
		if strings.HasPrefix(g[4], "-") {
			return 0, nil
		}
		return 0, ErrOverflow
	}
	if scale < -int64(len(s))-40 {
		return 0, nil
	}
	num, _ := new(big.Int).SetString(digits, 10)
	ten := big.NewInt(10)
	var q big.Int
	if scale >= 0 {
		q.Mul(num, new(big.Int).Exp(ten, big.NewInt(scale), nil))
	} else {
		den := new(big.Int).Exp(ten, big.NewInt(-scale), nil)
		var r big.Int
		q.QuoRem(num, den, &r)
		// Half to even: compare twice the remainder with the divisor.
		switch c := new(big.Int).Lsh(&r, 1).Cmp(den); {
		case c > 0, c == 0 && q.Bit(0) == 1:
			q.Add(&q, big.NewInt(1))
		}
	}
	if g[1] == "-" {
		q.Neg(&q)
	}
	if q.CmpAbs(big.NewInt(math.MaxInt64)) > 0 {
		return 0, ErrOverflow
	}
	return Money(q.Int64()), nil
}

// FuzzParseMoney checks ParseMoney against math/big on any text, and that
// what String prints parses back to the same amount with the exact value
// math/big reads from it, and that Float64 is the nearest float64.
func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{
		"0", "0.1", "12.3456", "-3.5", "5.25", "1e-2", "1E+3", "+2", "-0", ".5", "5.",
		"0.00005", "0.00015", "2.99995", "922337203685477.5807", "922337203685477.58075",
		"-922337203685477.5808", "1e999999999", "5e-999999999", "1e15", "0x10", "NaN",
		"1_0", "", "1e", "0.000250000000000000001", "00000000000000000000000001e-4",
		"1e9223372036854775807", "1e-9223372036854775808", "1e99999999999999999999",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseMoney(s)
		want, wantErr := referenceMoney(s)
		if !errors.Is(err, wantErr) || (wantErr == nil) != (err == nil) {
			t.Fatalf("ParseMoney(%q) error = %v, want %v", s, err, wantErr)
		}
		if got != want {
			t.Fatalf("ParseMoney(%q) = %d, want %d", s, got, want)
		}
		if err != nil {
			return
		}
		text := got.String()
		back, err := ParseMoney(text)
		if err != nil || back != got {
			t.Fatalf("ParseMoney(%q) = %d, %v; want %d (round trip of %q)", text, back, err, got, s)
		}
		exact, ok := new(big.Rat).SetString(text)
		if !ok || exact.Cmp(big.NewRat(int64(got), Scale)) != 0 {
			t.Fatalf("Money(%d).String() = %q, not its exact value", got, text)
		}
		if want, _ := exact.Float64(); got.Float64() != want {
			t.Fatalf("Money(%d).Float64() = %v, want %v", got, got.Float64(), want)
		}
	})
}
