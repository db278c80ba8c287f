package table

import (
	"slices"

	"github.com/quarry-dev/quarry/pipeline/extract/internal/content"
)

// rule is a merged horizontal or vertical line: pos is its y (horizontal)
// or x (vertical), and it runs from lo to hi along the other axis.
type rule struct {
	pos, lo, hi float64
}

// rulings are the merged rules of a page.
type rulings struct {
	h, v []rule
}

const (
	// snapTol is how far apart (points) two parallel rules may be and
	// still be one rule: double lines and the two edges of a thin box.
	snapTol = 2.0
	// joinTol is the largest gap along a rule that still joins two pieces.
	joinTol = 3.0
	// minRule is the shortest segment that counts as a rule.
	minRule = 2.0
)

// mergeRulings snaps segments into horizontal and vertical rules.
func mergeRulings(segs []content.Segment) rulings {
	var h, v []rule
	for _, s := range segs {
		if s.Horizontal() {
			lo, hi := min(s.X0, s.X1), max(s.X0, s.X1)
			if hi-lo >= minRule {
				h = append(h, rule{pos: (s.Y0 + s.Y1) / 2, lo: lo, hi: hi})
			}
		} else {
			lo, hi := min(s.Y0, s.Y1), max(s.Y0, s.Y1)
			if hi-lo >= minRule {
				v = append(v, rule{pos: (s.X0 + s.X1) / 2, lo: lo, hi: hi})
			}
		}
	}
	return rulings{h: merge(h), v: merge(v)}
}

// merge clusters rules by position (within snapTol) and joins the pieces
// of each cluster that overlap or nearly touch.
func merge(rs []rule) []rule {
	if len(rs) == 0 {
		return nil
	}
	slices.SortFunc(rs, func(a, b rule) int { return cmpF(a.pos, b.pos) })
	var out []rule
	for i := 0; i < len(rs); {
		j := i + 1
		for j < len(rs) && rs[j].pos-rs[j-1].pos <= snapTol && rs[j].pos-rs[i].pos <= 2*snapTol {
			j++
		}
		cluster := slices.Clone(rs[i:j])
		// Weighted position: the mean of the cluster.
		pos := 0.0
		for _, r := range cluster {
			pos += r.pos
		}
		pos /= float64(len(cluster))
		slices.SortFunc(cluster, func(a, b rule) int { return cmpF(a.lo, b.lo) })
		cur := rule{pos: pos, lo: cluster[0].lo, hi: cluster[0].hi}
		for _, r := range cluster[1:] {
			if r.lo <= cur.hi+joinTol {
				cur.hi = max(cur.hi, r.hi)
				continue
			}
			out = append(out, cur)
			cur = rule{pos: pos, lo: r.lo, hi: r.hi}
		}
		out = append(out, cur)
		i = j
	}
	return out
}

// coverage returns the fraction of [lo, hi] covered by rules at position
// pos (within snapTol).
func coverage(rs []rule, pos, lo, hi float64) float64 {
	if hi <= lo {
		return 0
	}
	var spans [][2]float64
	for _, r := range rs {
		if r.pos < pos-snapTol-0.5 || r.pos > pos+snapTol+0.5 {
			continue
		}
		a, b := max(r.lo, lo), min(r.hi, hi)
		if b > a {
			spans = append(spans, [2]float64{a, b})
		}
	}
	if len(spans) == 0 {
		return 0
	}
	slices.SortFunc(spans, func(a, b [2]float64) int { return cmpF(a[0], b[0]) })
	total, curA, curB := 0.0, spans[0][0], spans[0][1]
	for _, s := range spans[1:] {
		if s[0] <= curB {
			curB = max(curB, s[1])
			continue
		}
		total += curB - curA
		curA, curB = s[0], s[1]
	}
	total += curB - curA
	return total / (hi - lo)
}
