package kramers

import (
	"bytes"
	"embed"
	"fmt"
	"path"
	"sort"
	"strings"
)

// builtinFS holds the example sweep configs shipped with the package, one
// per panel of the escape figure (see FigurePanels).
//
//go:embed builtin/*.json
var builtinFS embed.FS

// BuiltinPrefix marks a builtin config where a config file is expected:
// "builtin:mlp-batch-size".
const BuiltinPrefix = "builtin:"

// Builtin describes one builtin sweep config.
type Builtin struct {
	// Name is the config's name, e.g. "mlp-batch-size".
	Name string
	// Description says what the sweep measures.
	Description string
}

// builtinDescriptions describes the builtin configs by name.
func builtinDescription(name string) string {
	switch name {
	case "mlp-sharpness":
		return "figure panel (a): 49-8-10 tanh MLP on MNIST, minibatch SGD, −log γ against 1/k (B, η fixed)"
	case "mlp-batch-size":
		return "figure panel (b): 49-8-10 tanh MLP on MNIST, minibatch SGD, −log γ against B (k, η fixed)"
	case "mlp-eta":
		return "figure panel (c): 49-8-10 tanh MLP on MNIST, minibatch SGD, −log γ against 1/η (k, B fixed)"
	case "doublewell-sharpness":
		return "figure panel (d): 1-D double well, SGD diffusion C = |H|/B, −log γ against 1/k"
	case "doublewell-batch-size":
		return "figure panel (e): 1-D double well, SGD diffusion C = |H|/B, −log γ against B"
	case "doublewell-eta":
		return "figure panel (f): 1-D double well, SGD diffusion C = |H|/B, −log γ against 1/η"
	case "twowell-sharpness":
		return "figure panel (g): 1-D two-well as a finite sum, SGD diffusion with its positive noise C = σ²/B, −log γ against 1/k"
	case "twowell-batch-size":
		return "figure panel (h): 1-D two-well as a finite sum, SGD diffusion with its positive noise C = σ²/B, −log γ against B"
	case "twowell-eta":
		return "figure panel (i): 1-D two-well as a finite sum, SGD diffusion with its positive noise C = σ²/B, −log γ against 1/η"
	}
	return "example sweep"
}

// Builtins lists the builtin configs, sorted by name.
func Builtins() []Builtin {
	entries, _ := builtinFS.ReadDir("builtin") // embedded: cannot fail
	var out []Builtin
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".json")
		out = append(out, Builtin{Name: name, Description: builtinDescription(name)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// BuiltinJSON returns the JSON text of the builtin config name (without
// the "builtin:" prefix).
func BuiltinJSON(name string) ([]byte, error) {
	b, err := builtinFS.ReadFile(path.Join("builtin", name+".json"))
	if err != nil || strings.ContainsAny(name, "/\\") {
		var names []string
		for _, bi := range Builtins() {
			names = append(names, bi.Name)
		}
		return nil, fmt.Errorf("no builtin config %q: want one of %s", name, strings.Join(names, ", "))
	}
	return b, nil
}

// BuiltinConfig parses and validates the builtin config name.
func BuiltinConfig(name string) (Config, error) {
	b, err := BuiltinJSON(name)
	if err != nil {
		return Config{}, err
	}
	return ParseConfig(bytes.NewReader(b), BuiltinPrefix+name)
}

// LoadConfig reads a sweep config from a file or, for "builtin:NAME", from
// the builtin configs.
func LoadConfig(spec string) (Config, error) {
	if name, ok := strings.CutPrefix(spec, BuiltinPrefix); ok {
		return BuiltinConfig(name)
	}
	return ReadConfig(spec)
}
