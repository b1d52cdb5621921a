package model

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Config is the architecture of an MLP and how its parameters are drawn.
type Config struct {
	// Layers holds the widths, input first and classes last, e.g. [49,16,16,10].
	Layers []int `json:"layers"`
	// Activation of the hidden layers, a name of the activation table
	// ("relu", "tanh", "gelu", "leaky_relu:0.2", …; see Activation). The
	// output is linear.
	Activation Activation `json:"activation"`
	// Init is the weight initialisation: "glorot", "he", "torch" or "auto".
	Init Init `json:"init"`
	// Seed of the initialisation.
	Seed uint64 `json:"seed"`
}

// Validate checks the configuration and returns an error naming what is wrong.
func (c Config) Validate() error {
	if len(c.Layers) < 2 {
		return fmt.Errorf("layers %s: need at least an input and an output width, e.g. 49,16,10", layersText(c.Layers))
	}
	for i, w := range c.Layers {
		if w <= 0 {
			return fmt.Errorf("layers %s: width %d at position %d must be positive", layersText(c.Layers), w, i+1)
		}
	}
	if c.Layers[len(c.Layers)-1] < 2 {
		return fmt.Errorf("layers %s: the output layer needs at least 2 classes", layersText(c.Layers))
	}
	if _, err := ParamCount(c.Layers); err != nil {
		return err
	}
	if err := c.Activation.Validate(); err != nil {
		return err
	}
	return c.Init.Validate()
}

// ParseLayers parses a comma-separated list of widths such as "49,16,16,10".
func ParseLayers(s string) ([]int, error) {
	parts := strings.Split(s, ",")
	out := make([]int, 0, len(parts))
	for _, p := range parts {
		w, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || w <= 0 {
			return nil, fmt.Errorf("layers %q: expected comma-separated positive widths, e.g. 49,16,16,10", cut(s, 60))
		}
		out = append(out, w)
	}
	if len(out) < 2 {
		return nil, fmt.Errorf("layers %q: need at least an input and an output width, e.g. 49,16,10", cut(s, 60))
	}
	return out, nil
}

// ParseConfig parses the widths and the activation of an MLP as a command
// line gives them ("49,16,10", "tanh") and validates the configuration;
// each error begins with the setting at fault ("layers …", "activation: …").
func ParseConfig(layers, activation string) (Config, error) {
	ls, err := ParseLayers(layers)
	if err != nil {
		return Config{}, err
	}
	act, err := ParseActivation(activation)
	if err != nil {
		return Config{}, fmt.Errorf("activation: %w", err)
	}
	c := Config{Layers: ls, Activation: act}
	return c, c.Validate()
}

// DefaultMaxParams is the default limit on P, the number of parameters of a
// model that New builds or LoadCheckpoint reads: 2²⁷ = 134,217,728
// parameters, 1 GiB for θ alone in float64 (the analyses hold several
// vectors of length P). Commands raise it with --max-params.
const DefaultMaxParams = 1 << 27

// ParamCount returns P = Σₗ (inₗ·outₗ + outₗ), the number of parameters of an
// MLP with the given widths. It fails, instead of overflowing, when a width
// is not positive or when P·8 bytes would not fit in an int.
func ParamCount(layers []int) (int, error) {
	const limit = math.MaxInt / 8
	p := 0
	for l := 0; l+1 < len(layers); l++ {
		in, out := layers[l], layers[l+1]
		if in <= 0 || out <= 0 {
			return 0, fmt.Errorf("layers %s: widths must be positive", layersText(layers))
		}
		if in > (limit-out)/out { // in·out + out > limit
			return 0, fmt.Errorf("layers %s: the number of parameters overflows", layersText(layers))
		}
		n := in*out + out
		if p > limit-n {
			return 0, fmt.Errorf("layers %s: the number of parameters overflows", layersText(layers))
		}
		p += n
	}
	return p, nil
}

// CheckSize returns an error when the model of c has more than maxParams
// parameters (a *SizeError naming the count and the limit) or a count that
// overflows.
func (c Config) CheckSize(maxParams int) error {
	p, err := ParamCount(c.Layers)
	if err != nil {
		return err
	}
	if p > maxParams {
		return &SizeError{Layers: c.Layers, Params: p, Limit: maxParams}
	}
	return nil
}

// SizeError reports a model of more parameters than a limit (see
// DefaultMaxParams): Params for the widths Layers, above Limit.
type SizeError struct {
	Layers        []int
	Params, Limit int
}

// Error names the widths, the count, its size and the limit.
func (e *SizeError) Error() string {
	return fmt.Sprintf("layers %s: %d parameters (%s of float64 per copy of θ) exceed the limit of %d parameters", layersText(e.Layers), e.Params, formatBytes(float64(e.Params)*8), e.Limit)
}

// maxLayersShown is how many widths an error message shows of a longer
// list (a checkpoint or configuration file may hold millions).
const maxLayersShown = 12

// layersText formats widths as fmt prints a slice, "[49 16 10]", cut to
// the first and last few of a list longer than maxLayersShown, with the
// count: "[49 1 1 … 1 10] (1000002 widths)". Error messages use it so that
// a value from a file stays one short line.
func layersText(layers []int) string {
	if len(layers) <= maxLayersShown {
		return fmt.Sprint(layers)
	}
	head, tail := fmt.Sprint(layers[:maxLayersShown-2]), fmt.Sprint(layers[len(layers)-2:])
	return fmt.Sprintf("%s … %s (%d widths)", head[:len(head)-1], tail[1:], len(layers))
}

// formatBytes writes a byte count with a binary unit, e.g. "1.5 GiB".
func formatBytes(b float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	u := 0
	for b >= 1024 && u < len(units)-1 {
		b /= 1024
		u++
	}
	return strconv.FormatFloat(b, 'f', 1, 64) + " " + units[u]
}

// Layout locates each layer's weight and bias inside the flat parameter vector.
type Layout struct {
	// Layers are the widths, input first.
	Layers []int
	// WOff[l] and BOff[l] are the offsets of fc(l+1).weight and fc(l+1).bias.
	WOff, BOff []int
	// P is the number of parameters.
	P int
}

// NewLayout returns the layout of θ for the given widths, which must be
// valid (see Config.Validate: positive, with a parameter count that does not
// overflow).
func NewLayout(layers []int) Layout {
	L := len(layers) - 1
	lo := Layout{Layers: append([]int(nil), layers...), WOff: make([]int, L), BOff: make([]int, L)}
	off := 0
	for l := 0; l < L; l++ {
		in, out := layers[l], layers[l+1]
		lo.WOff[l] = off
		off += in * out
		lo.BOff[l] = off
		off += out
	}
	lo.P = off
	return lo
}

// NumLayers is the number of linear layers L.
func (lo Layout) NumLayers() int { return len(lo.Layers) - 1 }

// W returns the view of layer l's weight (out×in, row-major) inside theta.
func (lo Layout) W(theta []float64, l int) []float64 {
	return theta[lo.WOff[l] : lo.WOff[l]+lo.Layers[l]*lo.Layers[l+1]]
}

// B returns the view of layer l's bias inside theta.
func (lo Layout) B(theta []float64, l int) []float64 {
	return theta[lo.BOff[l] : lo.BOff[l]+lo.Layers[l+1]]
}

// Names returns the PyTorch names of the tensors in θ order:
// fc1.weight, fc1.bias, …
func (lo Layout) Names() []string {
	var n []string
	for l := 0; l < lo.NumLayers(); l++ {
		n = append(n, fmt.Sprintf("fc%d.weight", l+1), fmt.Sprintf("fc%d.bias", l+1))
	}
	return n
}

// LayerRange returns the half-open range [begin, end) of θ that holds layer
// l's weight and bias (l counts from 0), for restricting analyses to a block.
func (lo Layout) LayerRange(l int) (begin, end int) {
	return lo.WOff[l], lo.BOff[l] + lo.Layers[l+1]
}
