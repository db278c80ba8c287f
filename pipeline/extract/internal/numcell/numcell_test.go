package numcell

import (
	"math"
	"strconv"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	cases := []struct {
		in   string
		kind Kind
		num  float64
		sym  string
		date time.Time
	}{
		{"1,234.50", Number, 1234.5, "", time.Time{}},
		{"1234.5", Number, 1234.5, "", time.Time{}},
		{"0", Number, 0, "", time.Time{}},
		{"0.75", Number, 0.75, "", time.Time{}},
		{".5", Number, 0.5, "", time.Time{}},
		{"(1,234)", Number, -1234, "", time.Time{}},
		{"(1,875.25)", Number, -1875.25, "", time.Time{}},
		{"-98,765.43", Number, -98765.43, "", time.Time{}},
		{"\u22125", Number, -5, "", time.Time{}},
		{"+7", Number, 7, "", time.Time{}},
		{"12.5%", Percent, 0.125, "", time.Time{}},
		{"34.1%", Percent, 0.341, "", time.Time{}},
		{"-0.9%", Percent, -0.009, "", time.Time{}},
		{"5 %", Percent, 0.05, "", time.Time{}},
		{"$1,234", Currency, 1234, "$", time.Time{}},
		{"-$1.05", Currency, -1.05, "$", time.Time{}},
		{"$-1.05", Currency, -1.05, "$", time.Time{}},
		{"($1,234.00)", Currency, -1234, "$", time.Time{}},
		{"€12", Currency, 12, "€", time.Time{}},
		{" 42 ", Number, 42, "", time.Time{}},
		{"1.393,4", Number, 1393.4, "", time.Time{}},
		{"(52.976,4)", Number, -52976.4, "", time.Time{}},
		{"€1.234.567,89", Currency, 1234567.89, "€", time.Time{}},
		{"03/15/2024", Date, 0, "", day(2024, 3, 15)},
		{"2024-02-29", Date, 0, "", day(2024, 2, 29)},
		{"14-Feb-2024", Date, 0, "", day(2024, 2, 14)},
		{"February 9, 2024", Date, 0, "", day(2024, 2, 9)},
	}
	for _, c := range cases {
		v, ok := Parse(c.in)
		if !ok {
			t.Errorf("Parse(%q) failed", c.in)
			continue
		}
		if v.Kind != c.kind || math.Abs(v.Number-c.num) > 0 || v.Symbol != c.sym || !v.Date.Equal(c.date) {
			t.Errorf("Parse(%q) = %+v, want %v %v %q %v", c.in, v, c.kind, c.num, c.sym, c.date)
		}
	}
	for _, s := range []string{"", "abc", "42-301-42854", "007", "1,23", "12,3456", "1.2.3", "1.23,4", "12.345,", "0.123,4", "1.234,5.6", "(-1)", "--1", "$", "%", "1,234.",
		"12-1H", "Oil & Gas", "02/30/2024", "2024-13-01", "()", "$$1", "1e5", "NaN", "Inf", "0x10"} {
		if v, ok := Parse(s); ok {
			t.Errorf("Parse(%q) = %+v, want no value", s, v)
		}
	}
}

// FuzzParse checks that Parse never panics, that the values it returns
// are finite, and that a number it reads keeps its value when printed
// plainly and read again.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"1,234.50", "(1,234)", "12.5%", "$1,234", "-$1.05", "03/15/2024", "March 1, 2024", "42-301-42854", "0.000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, ok := Parse(s)
		if !ok {
			if v != (Value{}) {
				t.Fatalf("Parse(%q) failed but returned %+v", s, v)
			}
			return
		}
		if math.IsNaN(v.Number) || math.IsInf(v.Number, 0) {
			t.Fatalf("Parse(%q) = %v", s, v.Number)
		}
		if v.Kind == Number {
			again, ok := Parse(formatPlain(v.Number))
			if !ok || again.Kind != Number || again.Number != v.Number {
				t.Fatalf("Parse(%q) = %v, but its plain form %q reads as %+v %v", s, v.Number, formatPlain(v.Number), again, ok)
			}
		}
	})
}

// formatPlain prints f as digits without grouping or exponent.
func formatPlain(f float64) string {
	return strconv.FormatFloat(f, 'f', -1, 64)
}

func TestParseDateForms(t *testing.T) {
	for _, s := range []string{"1/5/2024", "5-Jan-2024", "5 January 2024", "05 Jan 2024", "Jan 5, 2024", "Jan. 5, 2024"} {
		if v, ok := Parse(s); !ok || v.Kind != Date || v.Date.Day() != 5 || v.Date.Month() != time.January {
			t.Errorf("Parse(%q) = %+v, %v", s, v, ok)
		}
	}
}

func BenchmarkParseText(b *testing.B) {
	cells := []string{"Pecos Basin Oper. Co.", "Shut in pending pipeline connection.", "42-301-42854", "Oil & Gas", "1,234.50", "March 15, 2024"}
	for b.Loop() {
		for _, c := range cells {
			Parse(c)
		}
	}
}
