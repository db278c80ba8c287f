package pdf

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/quarry-dev/quarry/pipeline/extract/internal/geom"
	"github.com/quarry-dev/quarry/pipeline/extract/internal/limit"
)

// Page is one page with the attributes it inherits from the page tree.
type Page struct {
	// Number is the 1-based page number.
	Number int
	// MediaBox and CropBox are in default user space; CropBox is the
	// visible area (the MediaBox when absent).
	MediaBox, CropBox geom.Rect
	// Rotate is the clockwise display rotation, 0, 90, 180 or 270.
	Rotate int
	// Resources is the page's resource dictionary (possibly inherited).
	Resources types.Dict

	contents types.Object
}

// defaultMediaBox is US Letter, for pages that give no box at all.
var defaultMediaBox = geom.Rect{X0: 0, Y0: 0, X1: 612, Y1: 792}

type inherited struct {
	resources types.Dict
	mediaBox  *geom.Rect
	cropBox   *geom.Rect
	rotate    int
}

// walkPages collects the pages of the page tree in order.
func (d *Document) walkPages() error {
	var root types.Dict
	if d.xref.Root != nil {
		root = d.dict(*d.xref.Root)
	}
	if root == nil {
		return errors.New("pdf: missing document catalog")
	}
	maxDepth := d.limits.MaxDepth
	if maxDepth <= 0 {
		maxDepth = 64
	}
	seen := map[int]bool{}
	var walk func(o types.Object, inh inherited, depth int) error
	walk = func(o types.Object, inh inherited, depth int) error {
		if depth > maxDepth {
			return &limit.Error{Name: "MaxDepth", Max: int64(maxDepth), What: "page tree depth"}
		}
		if ref, ok := o.(types.IndirectRef); ok {
			n := ref.ObjectNumber.Value()
			if seen[n] {
				return nil // a cycle or a page listed twice
			}
			seen[n] = true
		}
		node := d.dict(o)
		if node == nil {
			return nil
		}
		if r := d.dict(node["Resources"]); r != nil {
			inh.resources = r
		}
		if b, ok := d.rect(node["MediaBox"]); ok {
			inh.mediaBox = &b
		}
		if b, ok := d.rect(node["CropBox"]); ok {
			inh.cropBox = &b
		}
		if v, ok := d.number(node["Rotate"]); ok {
			inh.rotate = int(v)
		}
		kids := d.array(node["Kids"])
		typ := d.name(node["Type"])
		if typ == "Page" || (kids == nil && typ != "Pages") {
			d.pages = append(d.pages, d.newPage(len(d.pages)+1, node, inh))
			if d.limits.MaxObjects > 0 && len(d.pages) > d.limits.MaxObjects {
				return &limit.Error{Name: "MaxObjects", Max: int64(d.limits.MaxObjects), What: "pages"}
			}
			return nil
		}
		for _, k := range kids {
			if err := walk(k, inh, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(root["Pages"], inherited{}, 0); err != nil {
		return err
	}
	if len(d.pages) == 0 {
		return errors.New("pdf: the document has no pages")
	}
	return nil
}

func (d *Document) newPage(n int, node types.Dict, inh inherited) Page {
	p := Page{Number: n, Resources: inh.resources, contents: node["Contents"]}
	p.MediaBox = defaultMediaBox
	if inh.mediaBox != nil {
		p.MediaBox = *inh.mediaBox
	}
	p.CropBox = p.MediaBox
	if inh.cropBox != nil {
		if c := inh.cropBox.Intersect(p.MediaBox); !c.Empty() {
			p.CropBox = c
		}
	}
	r := ((inh.rotate % 360) + 360) % 360
	p.Rotate = r - r%90
	return p
}

// rect reads a rectangle array, normalised.
func (d *Document) rect(o types.Object) (geom.Rect, bool) {
	a := d.array(o)
	if len(a) != 4 {
		return geom.Rect{}, false
	}
	var v [4]float64
	for i := range v {
		f, ok := d.number(a[i])
		if !ok {
			return geom.Rect{}, false
		}
		v[i] = f
	}
	r := geom.RectFromPoints(v[0], v[1], v[2], v[3])
	if r.Empty() {
		return geom.Rect{}, false
	}
	return r, true
}

// Contents returns the page's content streams, decoded and joined with a
// newline between them (a stream may end in the middle of nothing, but
// never in the middle of a token in a valid file).
func (d *Document) Contents(p Page) ([]byte, error) {
	o := d.Resolve(p.contents)
	var parts []types.Object
	switch v := o.(type) {
	case nil:
		return nil, nil
	case types.StreamDict:
		parts = []types.Object{p.contents}
	case types.Array:
		parts = v
	default:
		return nil, fmt.Errorf("pdf: page %d: contents are a %T", p.Number, o)
	}
	if len(parts) == 1 {
		return d.StreamData(parts[0])
	}
	var buf bytes.Buffer
	var firstErr error
	for _, part := range parts {
		data, err := d.StreamData(part)
		if err != nil {
			var le *limit.Error
			if errors.As(err, &le) {
				return nil, err
			}
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if d.limits.MaxStreamBytes > 0 && int64(buf.Len()+len(data)) > d.limits.MaxStreamBytes {
			return nil, &limit.Error{Name: "MaxStreamBytes", Max: d.limits.MaxStreamBytes, What: fmt.Sprintf("the content streams of page %d", p.Number)}
		}
		buf.Write(data)
		buf.WriteByte('\n')
	}
	if buf.Len() == 0 && firstErr != nil {
		return nil, fmt.Errorf("pdf: page %d contents: %w", p.Number, firstErr)
	}
	return buf.Bytes(), nil
}
