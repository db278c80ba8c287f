package recipe

import (
	"slices"
	"testing"
)

func TestTemplate(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"key": "42-501-20130", "row.target": "ctl00$Main$gvResults"}
	lookup := func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
	tests := []struct {
		in, want string
		refs     []string
	}{
		{"plain", "plain", nil},
		{"${key}", "42-501-20130", []string{"key"}},
		{"api=${key}&t=${row.target}", "api=42-501-20130&t=ctl00$Main$gvResults", []string{"key", "row.target"}},
		{"ctl00$Main$txtApiNo", "ctl00$Main$txtApiNo", nil},
		{"$${key}", "${key}", nil},
		{"$", "$", nil},
		{"Select$3", "Select$3", nil},
	}
	for _, tt := range tests {
		tmpl, err := ParseTemplate(tt.in)
		if err != nil {
			t.Fatalf("ParseTemplate(%q): %v", tt.in, err)
		}
		got, err := tmpl.Expand(lookup)
		if err != nil || got != tt.want {
			t.Errorf("Expand(%q): got %q, %v; want %q", tt.in, got, err, tt.want)
		}
		if !slices.Equal(tmpl.Refs(), tt.refs) {
			t.Errorf("Refs(%q): got %v, want %v", tt.in, tmpl.Refs(), tt.refs)
		}
	}
	for _, bad := range []string{"${", "${}", "${a b}", "${.a}", "${a..b}"} {
		if _, err := ParseTemplate(bad); err == nil {
			t.Errorf("ParseTemplate(%q): want error", bad)
		}
	}
	tmpl, _ := ParseTemplate("${missing}")
	if _, err := tmpl.Expand(lookup); err == nil {
		t.Error("Expand with unset variable: want error")
	}
}

func TestParseSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"4096", 4096, true}, {"64KiB", 64 << 10, true}, {"32MiB", 32 << 20, true},
		{"1GiB", 1 << 30, true}, {"10MB", 10_000_000, true}, {"12 B", 12, true},
		{"-1", 0, false}, {"MiB", 0, false}, {"2TiB", 0, false}, {"99999999999GiB", 0, false},
	}
	for _, tt := range tests {
		got, err := parseSize(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseSize(%q): got %d, %v; want %d ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}
