package autoscale

import (
	"strings"
	"testing"
)

func TestParseLoad(t *testing.T) {
	t.Parallel()
	l, err := ParseLoad(strings.NewReader("# a morning\n0 +100\n1 2.5 # then a trickle\n3 0\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		t    int
		want float64
	}{{0, 100}, {1, 0}, {59, 0}, {60, 2.5}, {179, 2.5}, {180, 0}, {1000, 0}} {
		if got := l.Arrivals(tc.t); got != tc.want {
			t.Errorf("arrivals at %d s = %v, want %v", tc.t, got, tc.want)
		}
	}
	if l.Until != 180 {
		t.Errorf("until %d, want 180", l.Until)
	}
	for _, bad := range []string{"", "0", "x 1", "0 -1", "2 1\n1 0", "0 5", "0 +x", "0 NaN"} {
		if _, err := ParseLoad(strings.NewReader(bad)); err == nil {
			t.Errorf("ParseLoad(%q) took it", bad)
		}
	}
}

func FuzzParseLoad(f *testing.F) {
	f.Add("0 +100\n1 2.5\n3 0\n")
	f.Add("# x\n5 1e3\n6 0")
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLoad(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, sec := range []int{0, 1, 59, 60, l.Until, l.Until + 1} {
			if v := l.Arrivals(sec); v < 0 || v != v {
				t.Fatalf("arrivals at %d = %v", sec, v)
			}
		}
		if l.Arrivals(l.Until+60) != 0 {
			t.Fatalf("arrivals after Until %d", l.Until)
		}
	})
}
