package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// The SVG the page inlines is rebuilt from a whitelist: drawing elements
// and their presentation attributes only. Everything else — script and
// style elements, foreignObject, animation (which can set attributes),
// links, event handlers (on…), references that leave the document (href
// other than "#id" or an embedded raster image; url() in a style other
// than url(#id)), comments, processing instructions and DOCTYPEs — is
// dropped, so a figure can draw but never run or fetch anything.

// svgElements are the elements kept (SVG 1.1 shapes, text, grouping,
// clipping, gradients and markers; image for embedded rasters).
var svgElements = map[string]bool{
	"svg": true, "g": true, "defs": true, "title": true, "desc": true, "symbol": true, "use": true,
	"path": true, "rect": true, "circle": true, "ellipse": true, "line": true, "polyline": true, "polygon": true,
	"text": true, "tspan": true, "textPath": true, "clipPath": true, "mask": true, "pattern": true, "marker": true,
	"linearGradient": true, "radialGradient": true, "stop": true, "image": true,
}

// svgAttributes are the attributes kept (geometry and presentation).
var svgAttributes = map[string]bool{
	"id": true, "class": true, "style": true, "transform": true, "viewBox": true, "preserveAspectRatio": true,
	"x": true, "y": true, "x1": true, "y1": true, "x2": true, "y2": true, "cx": true, "cy": true, "r": true,
	"rx": true, "ry": true, "fx": true, "fy": true, "width": true, "height": true, "d": true, "points": true,
	"dx": true, "dy": true, "rotate": true, "textLength": true, "lengthAdjust": true, "pathLength": true,
	"fill": true, "fill-opacity": true, "fill-rule": true, "stroke": true, "stroke-width": true,
	"stroke-opacity": true, "stroke-linecap": true, "stroke-linejoin": true, "stroke-dasharray": true,
	"stroke-dashoffset": true, "stroke-miterlimit": true, "opacity": true, "color": true, "display": true,
	"visibility": true, "font-family": true, "font-size": true, "font-weight": true, "font-style": true,
	"text-anchor": true, "dominant-baseline": true, "alignment-baseline": true, "baseline-shift": true,
	"letter-spacing": true, "word-spacing": true, "writing-mode": true, "clip-path": true, "clip-rule": true,
	"clipPathUnits": true, "mask": true, "maskUnits": true, "maskContentUnits": true, "patternUnits": true,
	"patternContentUnits": true, "patternTransform": true, "gradientUnits": true, "gradientTransform": true,
	"spreadMethod": true, "offset": true, "stop-color": true, "stop-opacity": true, "marker-start": true,
	"marker-mid": true, "marker-end": true, "markerWidth": true, "markerHeight": true, "markerUnits": true,
	"refX": true, "refY": true, "orient": true, "href": true, "version": true, "image-rendering": true,
	"shape-rendering": true, "text-rendering": true, "vector-effect": true,
}

const (
	svgNS   = "http://www.w3.org/2000/svg"
	xlinkNS = "http://www.w3.org/1999/xlink"
)

var (
	// styleURL finds url(…) in a style value; only url(#id) stays.
	styleURL = regexp.MustCompile(`(?i)url\s*\(\s*(['"]?)\s*([^)'"]*)`)
	// styleBad are style contents with no place in a drawing.
	styleBad = regexp.MustCompile(`(?i)(expression\s*\(|javascript:|@import|behavior\s*:|-moz-binding|\\)`)
	// cssFunction finds a function call (name and parenthesis) in an
	// attribute value; only those of safeFunctions may stand, since others
	// fetch what they name without url(…) (image-set("http://…" 1x),
	// -webkit-image-set, image(), src(), cross-fade()).
	cssFunction = regexp.MustCompile(`([A-Za-z0-9_-]*)\s*\(`)
	// embeddedImage is the only href an image may have: a raster in a
	// data URI (base64), as gonum/plot writes heat maps.
	embeddedImage = regexp.MustCompile(`^data:image/(png|jpeg|gif);base64,[A-Za-z0-9+/=\s]*$`)
	// localRef is a reference to an element of the same figure.
	localRef = regexp.MustCompile(`^#[A-Za-z_][A-Za-z0-9_.:-]*$`)
)

// safeFunctions are the functions an attribute value may call: colours,
// transforms and url (itself checked to point inside the figure).
var safeFunctions = map[string]bool{
	"url": true, "rgb": true, "rgba": true, "hsl": true, "hsla": true,
	"matrix": true, "translate": true, "scale": true, "rotate": true, "skewX": true, "skewY": true,
}

// sanitizeSVG parses the SVG document b and writes only its whitelisted
// elements and attributes, ids prefixed with prefix (and the references to
// them rewritten) so that two figures on one page never share an id. It
// adds a viewBox from width and height when the root has none. A document
// that is not well-formed XML or whose root is not an SVG element is an
// error.
func sanitizeSVG(b []byte, prefix string) (string, error) {
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.Strict = true
	dec.Entity = map[string]string{} // only XML's five predefined entities
	var out strings.Builder
	skip := 0  // depth inside a dropped element
	depth := 0 // depth of kept elements
	rootSeen := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", fmt.Errorf("not a well-formed SVG: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if skip > 0 {
				skip++
				continue
			}
			if !rootSeen {
				if t.Name.Local != "svg" || (t.Name.Space != svgNS && t.Name.Space != "") {
					return "", errors.New("the root element is not <svg>")
				}
				rootSeen = true
			} else if depth == 0 {
				return "", errors.New("content after the root element")
			}
			if !svgElements[t.Name.Local] || (t.Name.Space != svgNS && t.Name.Space != "") {
				skip = 1
				continue
			}
			writeStart(&out, t, prefix, depth == 0)
			depth++
		case xml.EndElement:
			if skip > 0 {
				skip--
				continue
			}
			depth--
			out.WriteString("</" + t.Name.Local + ">")
		case xml.CharData:
			if skip == 0 && depth > 0 {
				xml.EscapeText(&out, t)
			}
		}
		// comments, processing instructions and directives are dropped
	}
	if !rootSeen || depth != 0 {
		return "", errors.New("no complete <svg> element")
	}
	return out.String(), nil
}

// writeStart writes the start tag of a kept element with its safe
// attributes; the root gets the SVG namespaces and, if missing, a viewBox.
func writeStart(out *strings.Builder, t xml.StartElement, prefix string, root bool) {
	out.WriteString("<" + t.Name.Local)
	var width, height string
	hasViewBox := false
	if root {
		out.WriteString(` xmlns="` + svgNS + `" xmlns:xlink="` + xlinkNS + `"`)
	}
	for _, a := range t.Attr {
		name, ok := attrName(a.Name)
		if !ok {
			continue
		}
		v, ok := safeValue(t.Name.Local, name, a.Value, prefix)
		if !ok {
			continue
		}
		switch name {
		case "width":
			width = v
		case "height":
			height = v
		case "viewBox":
			hasViewBox = true
		}
		out.WriteString(" " + name + `="`)
		xml.EscapeText(out, []byte(v))
		out.WriteString(`"`)
	}
	if root && !hasViewBox {
		if w, h := svgLength(width), svgLength(height); w != "" && h != "" {
			out.WriteString(` viewBox="0 0 ` + w + " " + h + `"`)
		}
	}
	out.WriteString(">")
}

// attrName returns the name an attribute is written under, and whether it
// is kept: whitelisted names without a namespace, and xlink:href.
func attrName(n xml.Name) (string, bool) {
	switch {
	case n.Space == "" && svgAttributes[n.Local]:
		return n.Local, true
	case n.Space == xlinkNS && n.Local == "href":
		return "xlink:href", true
	}
	return "", false
}

// safeValue checks (and rewrites) one attribute value: ids are prefixed,
// references may only point inside the figure (or, for an image, carry an
// embedded raster), styles may not reference anything outside, and no
// value calls a function other than safeFunctions.
func safeValue(elem, name, v, prefix string) (string, bool) {
	if name != "id" && name != "href" && name != "xlink:href" {
		for _, m := range cssFunction.FindAllStringSubmatch(v, -1) {
			if !safeFunctions[m[1]] {
				return "", false
			}
		}
	}
	switch name {
	case "id":
		return prefix + "-" + v, true
	case "href", "xlink:href":
		t := strings.TrimSpace(v)
		if localRef.MatchString(t) {
			return "#" + prefix + "-" + t[1:], true
		}
		if elem == "image" && embeddedImage.MatchString(t) {
			return t, true
		}
		return "", false
	case "style", "fill", "stroke", "clip-path", "mask", "marker-start", "marker-mid", "marker-end", "filter":
		if styleBad.MatchString(v) {
			return "", false
		}
		ok := true
		v = styleURL.ReplaceAllStringFunc(v, func(m string) string {
			sub := styleURL.FindStringSubmatch(m)
			ref := strings.TrimSpace(sub[2])
			if !localRef.MatchString(ref) {
				ok = false
				return m
			}
			return "url(" + sub[1] + "#" + prefix + "-" + ref[1:]
		})
		return v, ok
	}
	return v, true
}

// svgLength returns the number of a width or height ("100pt" → "100"),
// or "" when it is not a plain length.
func svgLength(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(strings.TrimSuffix(s, "pt"), "px")
	if s == "" || strings.Trim(s, "0123456789.") != "" {
		return ""
	}
	return s
}
