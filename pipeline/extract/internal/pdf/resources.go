package pdf

import (
	"errors"
	"fmt"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/quarry-dev/quarry/pipeline/extract/internal/content"
	"github.com/quarry-dev/quarry/pipeline/extract/internal/font"
	"github.com/quarry-dev/quarry/pipeline/extract/internal/geom"
	"github.com/quarry-dev/quarry/pipeline/extract/internal/limit"
)

// Resources resolves the names of a resource dictionary for the content
// interpreter, caching fonts and forms per document.
type Resources struct {
	doc *Document
	d   types.Dict
}

// Resources returns the resolver of resource dictionary r (which may be
// nil: then every name is missing).
func (d *Document) Resources(r types.Dict) *Resources {
	return &Resources{doc: d, d: r}
}

func (r *Resources) entry(category, name string) types.Object {
	if r.d == nil {
		return nil
	}
	cat := r.doc.dict(r.d[category])
	if cat == nil {
		return nil
	}
	return cat[name]
}

// Font loads font resource name, once per document object.
func (r *Resources) Font(name string) (*font.Font, error) {
	o := r.entry("Font", name)
	if o == nil {
		return nil, fmt.Errorf("pdf: font %q not in resources", name)
	}
	id := 0
	if ref, ok := o.(types.IndirectRef); ok {
		id = ref.ObjectNumber.Value()
		if f, ok := r.doc.fonts[id]; ok {
			return f, nil
		}
	}
	fd := r.doc.dict(o)
	f, err := font.Load(fd, r.doc)
	if err != nil {
		return nil, fmt.Errorf("pdf: font %q: %w", name, err)
	}
	if id != 0 {
		r.doc.fonts[id] = f
	}
	return f, nil
}

// XObject returns external object name; only forms carry content.
func (r *Resources) XObject(name string) (*content.XObject, error) {
	o := r.entry("XObject", name)
	if o == nil {
		return nil, fmt.Errorf("pdf: xobject %q not in resources", name)
	}
	sd, ok := r.doc.Resolve(o).(types.StreamDict)
	if !ok {
		return nil, fmt.Errorf("pdf: xobject %q is not a stream", name)
	}
	if r.doc.name(sd.Dict["Subtype"]) != "Form" {
		return &content.XObject{}, nil
	}
	id := 0
	if ref, ok := o.(types.IndirectRef); ok {
		id = ref.ObjectNumber.Value()
	}
	x := &content.XObject{Form: true, ID: id, Matrix: geom.Identity}
	if a := r.doc.array(sd.Dict["Matrix"]); len(a) == 6 {
		var m geom.Matrix
		ok := true
		for i := range m {
			v, good := r.doc.number(a[i])
			ok = ok && good
			m[i] = v
		}
		if ok {
			x.Matrix = m
		}
	}
	if b, ok := r.doc.rect(sd.Dict["BBox"]); ok {
		x.BBox = b
	}
	if res := r.doc.dict(sd.Dict["Resources"]); res != nil {
		x.Resources = r.doc.Resources(res)
	}
	var data []byte
	var err error
	if fe, ok := r.doc.forms[id]; ok && id != 0 {
		data, err = fe.data, fe.err
	} else {
		data, err = r.doc.StreamData(o)
		if id != 0 {
			r.doc.forms[id] = formEntry{data: data, err: err}
		}
	}
	if err != nil {
		var le *limit.Error
		if errors.As(err, &le) {
			return nil, err
		}
		return nil, fmt.Errorf("pdf: xobject %q: %w", name, err)
	}
	x.Content = data
	return x, nil
}

// ColorSpace returns the family and component count of colour space name.
func (r *Resources) ColorSpace(name string) (string, int) {
	o := r.doc.Resolve(r.entry("ColorSpace", name))
	switch v := o.(type) {
	case types.Name:
		return string(v), 0
	case types.Array:
		if len(v) == 0 {
			return "", 0
		}
		family := r.doc.name(v[0])
		if family == "ICCBased" && len(v) > 1 {
			if sd, ok := r.doc.Resolve(v[1]).(types.StreamDict); ok {
				if n, ok := r.doc.number(sd.Dict["N"]); ok {
					return family, int(n)
				}
			}
		}
		return family, 0
	}
	return "", 0
}

var _ content.Resources = (*Resources)(nil)
var _ font.Resolver = (*Document)(nil)
