// Package numcell reads the values that table cells print: numbers as
// spreadsheets and reports format them (1,234.50, (1,234), -$1.05, 12.5%)
// and dates (03/15/2024, 2024-03-15, 15-Mar-2024, March 15, 2024). The
// printed text stays what Quarry reports; these values are the typed view
// of it.
package numcell

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Kind is what a cell holds.
type Kind uint8

// Kinds of cell.
const (
	Text Kind = iota
	Number
	Percent
	Currency
	Date
)

// String returns the kind's name as the typed JSON output writes it.
func (k Kind) String() string {
	switch k {
	case Number:
		return "number"
	case Percent:
		return "percent"
	case Currency:
		return "currency"
	case Date:
		return "date"
	}
	return "text"
}

// Value is a cell's value.
type Value struct {
	Kind Kind
	// Number is the value of a Number, Percent (as a fraction: 12.5% is
	// 0.125) or Currency cell.
	Number float64
	// Symbol is a Currency cell's currency sign ("$", "€", "£", "¥").
	Symbol string
	// Date is a Date cell's day.
	Date time.Time
}

// maxLen bounds the text Parse looks at: no printed number or date is
// longer.
const maxLen = 64

// Parse reads the cell text s (surrounding white space ignored). It
// returns the value and true for a number or a date, and false for
// anything else (text, codes such as 42-301-42854 or 007, empty cells).
func Parse(s string) (Value, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > maxLen {
		return Value{}, false
	}
	if v, ok := parseNumber(s); ok {
		return v, true
	}
	if d, ok := parseDate(s); ok {
		return Value{Kind: Date, Date: d}, true
	}
	return Value{}, false
}

// IsValue reports whether Parse reads s as a number or a date.
func IsValue(s string) bool {
	_, ok := Parse(s)
	return ok
}

var symbols = []string{"$", "€", "£", "¥"}

// parseNumber reads [sign][symbol][sign]digits[%] (one sign at most:
// -$1.05, $-1.05) and the accounting form (digits) or ($digits) for a
// negative number.
func parseNumber(s string) (Value, bool) {
	neg, signed := false, false
	if strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") {
		neg, s = true, s[1:len(s)-1]
	}
	// sign takes a leading sign; a second one, or one inside the
	// accounting parentheses, is not a printed number.
	sign := func() bool {
		for _, p := range []string{"-", "\u2212", "+"} {
			if rest, ok := strings.CutPrefix(s, p); ok {
				if neg || signed {
					return false
				}
				signed, neg, s = true, p != "+", rest
				return true
			}
		}
		return true
	}
	if !sign() {
		return Value{}, false
	}
	sym := ""
	for _, c := range symbols {
		if rest, ok := strings.CutPrefix(s, c); ok {
			sym, s = c, rest
			break
		}
	}
	if sym != "" && !sign() {
		return Value{}, false
	}
	pct := false
	if rest, ok := strings.CutSuffix(s, "%"); ok && sym == "" {
		pct, s = true, strings.TrimRight(rest, " ")
	}
	digits, ok := plainDigits(s)
	if !ok {
		if digits, ok = commaDecimal(s); !ok {
			return Value{}, false
		}
	}
	if pct {
		digits = shift(digits, 2)
	}
	f, err := strconv.ParseFloat(digits, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return Value{}, false
	}
	if neg {
		f = -f
	}
	switch {
	case pct:
		return Value{Kind: Percent, Number: f}, true
	case sym != "":
		return Value{Kind: Currency, Number: f, Symbol: sym}, true
	}
	return Value{Kind: Number, Number: f}, true
}

// plainDigits checks s as digits grouped by commas in threes (or not
// grouped at all), with an optional fraction, and returns it without the
// commas. An integer part of several digits starting with 0 is a code,
// not a number.
func plainDigits(s string) (string, bool) {
	intPart, frac, hasFrac := strings.Cut(s, ".")
	if intPart == "" {
		if !hasFrac || frac == "" {
			return "", false
		}
		intPart = "0"
	}
	if hasFrac && (frac == "" || !allDigits(frac)) {
		return "", false
	}
	groups := strings.Split(intPart, ",")
	for i, g := range groups {
		if !allDigits(g) || g == "" {
			return "", false
		}
		if len(groups) > 1 && ((i == 0 && len(g) > 3) || (i > 0 && len(g) != 3)) {
			return "", false
		}
	}
	plain := strings.Join(groups, "")
	if len(plain) > 1 && plain[0] == '0' {
		return "", false
	}
	if hasFrac {
		return plain + "." + frac, true
	}
	return plain, true
}

// commaDecimal reads the continental form where it cannot be read the
// other way: digits grouped by dots in threes, then a decimal comma
// (1.393,4; 52.976,4). A comma alone stays a thousands separator (1,234)
// or makes text (1,23).
func commaDecimal(s string) (string, bool) {
	intPart, frac, ok := strings.Cut(s, ",")
	if !ok || intPart == "" || frac == "" || !allDigits(frac) {
		return "", false
	}
	groups := strings.Split(intPart, ".")
	if len(groups) == 1 {
		return "", false
	}
	for i, g := range groups {
		if g == "" || !allDigits(g) || (i == 0 && len(g) > 3) || (i > 0 && len(g) != 3) {
			return "", false
		}
	}
	plain := strings.Join(groups, "")
	if len(plain) > 1 && plain[0] == '0' {
		return "", false
	}
	return plain + "." + frac, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// shift moves the decimal point of the digit string d left by n places,
// so that 12.5 percent reads as exactly the decimal 0.125.
func shift(d string, n int) string {
	intPart, frac, _ := strings.Cut(d, ".")
	for len(intPart) <= n {
		intPart = "0" + intPart
	}
	return intPart[:len(intPart)-n] + "." + intPart[len(intPart)-n:] + frac
}

// Date formats spreadsheets print by default or commonly, US order
// first, grouped by what the text looks like so that most text is
// turned down without trying them.
var (
	slashDates = []string{"01/02/2006", "1/2/2006"}
	dashDates  = []string{"2006-01-02", "02-Jan-2006", "2-Jan-2006"}
	spaceDates = []string{"2 January 2006", "02 Jan 2006"}
	nameDates  = []string{"January 2, 2006", "Jan 2, 2006", "Jan. 2, 2006"}
)

func parseDate(s string) (time.Time, bool) {
	if len(s) < 8 || len(s) > 20 {
		return time.Time{}, false
	}
	var layouts []string
	switch c := s[0]; {
	case c >= '0' && c <= '9':
		switch {
		case strings.IndexByte(s, '/') >= 0:
			layouts = slashDates
		case strings.IndexByte(s, '-') >= 0:
			layouts = dashDates
		case strings.IndexByte(s, ' ') >= 0:
			layouts = spaceDates
		}
	case c >= 'A' && c <= 'Z' && strings.IndexByte(s, ',') >= 0:
		layouts = nameDates
	}
	for _, l := range layouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
