package cluster

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// toYAML renders v (a value that encodes as a JSON object) as block YAML
// with its fields in the order of its JSON encoding, after comment lines
// "# …" of header. Strings are plain where YAML reads them back as the same
// string, double-quoted (JSON escapes, which YAML shares) otherwise.
func toYAML(header string, v any) ([]byte, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	root, err := readNode(dec)
	if err != nil {
		return nil, err
	}
	if root.kind != '{' {
		return nil, fmt.Errorf("toYAML: %T is not an object", v)
	}
	var b bytes.Buffer
	for _, l := range strings.Split(strings.TrimRight(header, "\n"), "\n") {
		if l == "" {
			b.WriteString("#\n")
			continue
		}
		b.WriteString("# " + l + "\n")
	}
	writeObject(&b, root, 0)
	return b.Bytes(), nil
}

// node is a JSON value with its object keys in order.
type node struct {
	kind   byte // '{', '[', or 0 for a scalar
	keys   []string
	items  []*node
	scalar string // the YAML text of a scalar
	block  string // a multi-line string written as a literal block ("|")
}

func readNode(dec *json.Decoder) (*node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		n := &node{kind: byte(t)}
		for dec.More() {
			if t == '{' {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, k.(string))
			}
			item, err := readNode(dec)
			if err != nil {
				return nil, err
			}
			n.items = append(n.items, item)
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return nil, err
		}
		return n, nil
	case string:
		n := &node{scalar: yamlString(t)}
		if literalOK(t) {
			n.block = t
		}
		return n, nil
	case json.Number:
		return &node{scalar: t.String()}, nil
	case bool:
		return &node{scalar: fmt.Sprint(t)}, nil
	case nil:
		return &node{scalar: "null"}, nil
	}
	return nil, fmt.Errorf("toYAML: unexpected token %v", tok)
}

// plain matches strings YAML reads back unchanged without quotes.
var plain = regexp.MustCompile(`^[A-Za-z_/$][A-Za-z0-9_./$():=@+-]*$`)

// yamlString returns s as a YAML scalar.
func yamlString(s string) string {
	switch strings.ToLower(s) {
	case "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~":
	default:
		if plain.MatchString(s) {
			return s
		}
	}
	q, _ := json.Marshal(s)
	return string(q)
}

// inline reports whether n is written on its key's line: a scalar or an
// empty collection.
func (n *node) inline() (string, bool) {
	switch {
	case n.kind == 0:
		return n.scalar, true
	case len(n.items) == 0 && n.kind == '{':
		return "{}", true
	case len(n.items) == 0:
		return "[]", true
	}
	return "", false
}

func writeObject(w io.Writer, n *node, indent int) {
	pad := strings.Repeat(" ", indent)
	for i, k := range n.keys {
		fmt.Fprint(w, pad)
		writeEntry(w, yamlString(k), n.items[i], indent)
	}
}

// writeEntry writes "key: value" (the padding already written).
func writeEntry(w io.Writer, key string, v *node, indent int) {
	if v.block != "" {
		fmt.Fprintf(w, "%s: |\n", key)
		pad := strings.Repeat(" ", indent+2)
		for _, l := range strings.SplitAfter(v.block, "\n") {
			if l == "" {
				continue
			}
			if l == "\n" {
				fmt.Fprint(w, "\n")
				continue
			}
			fmt.Fprint(w, pad+l)
		}
		return
	}
	if s, ok := v.inline(); ok {
		fmt.Fprintf(w, "%s: %s\n", key, s)
		return
	}
	fmt.Fprintf(w, "%s:\n", key)
	if v.kind == '{' {
		writeObject(w, v, indent+2)
		return
	}
	writeList(w, v, indent+2)
}

func writeList(w io.Writer, n *node, indent int) {
	pad := strings.Repeat(" ", indent)
	for _, item := range n.items {
		if s, ok := item.inline(); ok {
			fmt.Fprintf(w, "%s- %s\n", pad, s)
			continue
		}
		if item.kind == '[' {
			fmt.Fprintf(w, "%s-\n", pad)
			writeList(w, item, indent+2)
			continue
		}
		// An object: its first key on the dash's line.
		for i, k := range item.keys {
			if i == 0 {
				fmt.Fprintf(w, "%s- ", pad)
			} else {
				fmt.Fprintf(w, "%s  ", pad)
			}
			writeEntry(w, yamlString(k), item.items[i], indent+2)
		}
	}
}

// literalOK reports whether s reads back unchanged from a literal block
// ("|", clip): lines of printable characters, ending in one newline, the
// first not indented.
func literalOK(s string) bool {
	if !strings.HasSuffix(s, "\n") || strings.HasSuffix(s, "\n\n") || strings.Count(s, "\n") < 2 {
		return false
	}
	if strings.HasPrefix(s, " ") || strings.HasPrefix(s, "\t") || strings.HasPrefix(s, "\n") {
		return false
	}
	for _, r := range s {
		if r != '\n' && r != '\t' && (r < 0x20 || r == 0x7f || r == '\ufeff') {
			return false
		}
	}
	return true
}
