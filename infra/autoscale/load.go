package autoscale

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// Load is an arrival curve: Arrivals, and the second after which nothing
// more arrives.
type Load struct {
	Arrivals Arrivals
	Until    int
}

// ConstantLoad is rate jobs a second for minutes minutes.
func ConstantLoad(rate float64, minutes int) Load {
	until := minutes * 60
	return Load{Until: until, Arrivals: func(t int) float64 {
		if t < until {
			return rate
		}
		return 0
	}}
}

// BurstLoad is n jobs at once at second 0.
func BurstLoad(n int) Load {
	return Load{Until: 1, Arrivals: func(t int) float64 {
		if t == 0 {
			return float64(n)
		}
		return 0
	}}
}

// ParseLoad reads a load curve, one step a line:
//
//	# minute  jobs/s from then on, or +N: N jobs at once at that minute
//	0   +10000
//	10  12.5
//	70  0
//
// Minutes must increase. A rate holds until the next line; the last line
// must bring the rate to 0 unless it is a burst.
func ParseLoad(r io.Reader) (Load, error) {
	type step struct {
		minute int
		rate   float64
		burst  int
		isRate bool
	}
	var steps []step
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		text, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(text)
		if len(f) == 0 {
			continue
		}
		if len(f) != 2 {
			return Load{}, fmt.Errorf("load line %d: want MINUTE RATE or MINUTE +N, got %q", line, sc.Text())
		}
		m, err := strconv.Atoi(f[0])
		if err != nil || m < 0 || m > MaxMinutes {
			return Load{}, fmt.Errorf("load line %d: minute %q is not a whole number in 0..%d", line, f[0], MaxMinutes)
		}
		if len(steps) > 0 && m < steps[len(steps)-1].minute {
			return Load{}, fmt.Errorf("load line %d: minute %d comes before minute %d", line, m, steps[len(steps)-1].minute)
		}
		s := step{minute: m}
		if n, ok := strings.CutPrefix(f[1], "+"); ok {
			s.burst, err = strconv.Atoi(n)
			if err != nil || s.burst < 0 || s.burst > 1e9 {
				return Load{}, fmt.Errorf("load line %d: burst %q is not a number of jobs up to 1e9", line, f[1])
			}
		} else {
			s.rate, err = strconv.ParseFloat(f[1], 64)
			if err != nil || s.rate < 0 || s.rate > 1e6 || s.rate != s.rate {
				return Load{}, fmt.Errorf("load line %d: rate %q is not a number of jobs/s in 0..1e6", line, f[1])
			}
			s.isRate = true
		}
		steps = append(steps, s)
	}
	if err := sc.Err(); err != nil {
		return Load{}, fmt.Errorf("reading load: %w", err)
	}
	if len(steps) == 0 {
		return Load{}, fmt.Errorf("load: no steps")
	}
	// Rates by second, from the step lines.
	var rates []step
	bursts := map[int]int{}
	until := 0
	for _, s := range steps {
		if s.isRate {
			rates = append(rates, s)
		} else {
			bursts[s.minute*60] += s.burst
			until = max(until, s.minute*60+1)
		}
	}
	if len(rates) > 0 {
		last := rates[len(rates)-1]
		if last.rate != 0 {
			return Load{}, fmt.Errorf("load: the last rate (minute %d) is %v jobs/s; end the curve with a line MINUTE 0", last.minute, last.rate)
		}
		until = max(until, last.minute*60)
	}
	return Load{Until: until, Arrivals: func(t int) float64 {
		i := sort.Search(len(rates), func(i int) bool { return rates[i].minute*60 > t }) - 1
		v := float64(bursts[t])
		if i >= 0 {
			v += rates[i].rate
		}
		return v
	}}, nil
}
