package content

import "github.com/quarry-dev/quarry/pipeline/extract/internal/lex"

// colorSpace is the family of a colour space, as far as telling white
// (invisible on paper) from ink needs.
type colorSpace uint8

const (
	csGray colorSpace = iota
	csRGB
	csCMYK
	csTint    // Separation and DeviceN: all tints 0 is no ink
	csUnknown // Pattern, Indexed, Lab and others: assumed visible
)

// whiteTolerance is how close to paper white a colour must be to count as
// invisible.
const whiteTolerance = 0.02

func (in *interp) color(op string, res Resources) {
	switch op {
	case "g", "G":
		if v, ok := in.nums(1); ok {
			in.setVisible(op == "G", csGray, v[0] < 1-whiteTolerance)
		}
	case "rg", "RG":
		if v, ok := in.nums(3); ok {
			in.setVisible(op == "RG", csRGB, v[0] < 1-whiteTolerance || v[1] < 1-whiteTolerance || v[2] < 1-whiteTolerance)
		}
	case "k", "K":
		if v, ok := in.nums(4); ok {
			in.setVisible(op == "K", csCMYK, v[0] > whiteTolerance || v[1] > whiteTolerance || v[2] > whiteTolerance || v[3] > whiteTolerance)
		}
	case "cs", "CS":
		name, ok := in.lastName()
		if !ok {
			return
		}
		cs := csUnknown
		switch name {
		case "DeviceGray", "G", "CalGray":
			cs = csGray
		case "DeviceRGB", "RGB", "CalRGB":
			cs = csRGB
		case "DeviceCMYK", "CMYK":
			cs = csCMYK
		default:
			if res != nil {
				family, n := res.ColorSpace(name)
				switch family {
				case "Separation", "DeviceN":
					cs = csTint
				case "DeviceGray", "CalGray":
					cs = csGray
				case "DeviceRGB", "CalRGB":
					cs = csRGB
				case "DeviceCMYK":
					cs = csCMYK
				case "ICCBased":
					switch n {
					case 1:
						cs = csGray
					case 3:
						cs = csRGB
					case 4:
						cs = csCMYK
					}
				}
			}
		}
		// Selecting a colour space sets its initial colour, black or full
		// tint for all but Indexed and Pattern, which are visible too.
		in.setVisible(op == "CS", cs, true)
	case "sc", "scn", "SC", "SCN":
		stroke := op == "SC" || op == "SCN"
		cs := in.gs.fillCS
		if stroke {
			cs = in.gs.strokeCS
		}
		var vals []float64
		for _, o := range in.operands {
			if o.kind == lex.Number {
				vals = append(vals, o.num)
			}
		}
		visible := true
		switch cs {
		case csGray:
			visible = len(vals) == 0 || vals[0] < 1-whiteTolerance
		case csRGB:
			visible = len(vals) < 3 || vals[0] < 1-whiteTolerance || vals[1] < 1-whiteTolerance || vals[2] < 1-whiteTolerance
		case csCMYK, csTint:
			visible = len(vals) == 0
			for _, v := range vals {
				if v > whiteTolerance {
					visible = true
				}
			}
		}
		in.setVisible(stroke, cs, visible)
	}
}

func (in *interp) setVisible(stroke bool, cs colorSpace, visible bool) {
	if stroke {
		in.gs.strokeCS, in.gs.strokeVisible = cs, visible
	} else {
		in.gs.fillCS, in.gs.fillVisible = cs, visible
	}
}
