package kramers

import (
	"bytes"
	"embed"

	"github.com/sgn-project/sgn/internal/sweep"
)

// builtinFS holds the example sweep configs shipped with the package, one
// per panel of the escape figure (see FigurePanels).
//
//go:embed builtin/*.json
var builtinFS embed.FS

// BuiltinPrefix marks a builtin config where a config file is expected:
// "builtin:mlp-batch-size".
const BuiltinPrefix = sweep.BuiltinPrefix

// builtins returns the configs of builtinFS.
func builtins() sweep.BuiltinSet {
	return sweep.BuiltinSet{FS: builtinFS, Dir: "builtin", Describe: builtinDescription}
}

// builtinDescription describes the builtin config name.
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
func Builtins() []sweep.Builtin { return builtins().List() }

// BuiltinJSON returns the JSON text of the builtin config name (without
// the "builtin:" prefix).
func BuiltinJSON(name string) ([]byte, error) { return builtins().JSON(name) }

// BuiltinConfig parses and validates the builtin config name.
func BuiltinConfig(name string) (Config, error) { return LoadConfig(BuiltinPrefix + name) }

// LoadConfig reads and validates a sweep config from a file or, for
// "builtin:NAME", from the builtin configs.
func LoadConfig(spec string) (Config, error) {
	b, err := builtins().Read(spec, "sweep config")
	if err != nil {
		return Config{}, err
	}
	return ParseConfig(bytes.NewReader(b), spec)
}
