package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/sgn-project/sgn/data"
)

// TorchSource describes a checkpoint that is a plain PyTorch state_dict,
// written by safetensors.torch.save_file(model.state_dict(), path) for an
// nn.Sequential (or any module) of nn.Linear layers and parameter-free
// activations: where the layers came from, how they were stored and where
// the activation, which a state_dict does not hold, was named.
type TorchSource struct {
	// Modules are the nn.Linear modules in θ order, by key prefix
	// ("0", "2", "4" or "fc1", "fc2", "layers.0", …).
	Modules []string `json:"modules"`
	// DType is the stored float type of the weights: "F32", "F64" or
	// "F32+F64" when both occur.
	DType string `json:"dtype"`
	// WidenedFromFloat32 is true when float32 tensors were widened to
	// float64 (exactly: every float32 is a float64); the analyses are in
	// float64 at the widened weights.
	WidenedFromFloat32 bool `json:"widened_from_float32"`
	// ActivationFrom says where the activation came from: "option" (named
	// by the caller) or the path of the JSON sidecar.
	ActivationFrom string `json:"activation_from"`
}

// String is the one-line description of a PyTorch checkpoint in summaries.
func (t *TorchSource) String() string {
	s := fmt.Sprintf("PyTorch state_dict, nn.Linear modules %s, %s", strings.Join(t.Modules, ", "), t.DType)
	if t.WidenedFromFloat32 {
		s += " (float32 widened to float64)"
	}
	from := t.ActivationFrom
	if from == "option" {
		from = "the command line"
	}
	return s + ", activation from " + from
}

// ErrNoActivation reports a PyTorch state_dict whose activation is named
// neither by the caller nor by a sidecar file: a state_dict holds the
// weights only.
var ErrNoActivation = errors.New("a PyTorch state_dict holds no activation")

// ErrActivationMismatch reports an activation named by the caller that
// differs from the one the checkpoint's sidecar or sgn metadata records.
var ErrActivationMismatch = errors.New("the activation named differs from the checkpoint's")

// SidecarPath returns the JSON sidecar of a PyTorch checkpoint: path with
// ".json" appended (model.safetensors → model.safetensors.json). It holds
// one object, {"activation": "gelu"}, with an activation name of the
// activation table (see ParseActivation). From PyTorch:
//
//	import json
//	with open("model.safetensors.json", "w") as f:
//	    json.dump({"activation": "gelu"}, f)
func SidecarPath(path string) string { return path + ".json" }

// Sidecar is the content of a checkpoint's JSON sidecar (see SidecarPath).
type Sidecar struct {
	// Activation of the hidden layers, a name of the activation table.
	Activation string `json:"activation"`
}

// readSidecar returns the activation named by the sidecar of path, "" when
// there is no sidecar.
func readSidecar(path string) (Activation, error) {
	sp := SidecarPath(path)
	b, err := os.ReadFile(sp)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("cannot read the sidecar %s: %w", sp, err)
	}
	if len(b) > 1<<16 {
		return "", fmt.Errorf("%s: %d bytes is too long for a sidecar (expected {\"activation\": \"gelu\"})", sp, len(b))
	}
	var sc Sidecar
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sc); err != nil {
		return "", fmt.Errorf("%s: expected one JSON object {\"activation\": \"gelu\"}: %v", sp, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return "", fmt.Errorf("%s: expected one JSON object {\"activation\": \"gelu\"}: more follows it", sp)
	}
	if sc.Activation == "" {
		return "", fmt.Errorf("%s: key \"activation\" is missing or empty", sp)
	}
	a, err := ParseActivation(sc.Activation)
	if err != nil {
		return "", fmt.Errorf("%s: key \"activation\": %w", sp, err)
	}
	return a, nil
}

// torchLayer is one nn.Linear of a state_dict: its key prefix and tensors.
type torchLayer struct {
	prefix       string
	weight, bias *data.TensorHeader
}

// torchLayers reads the architecture of a PyTorch state_dict from its
// tensor headers: every key is PREFIX.weight or PREFIX.bias of an
// nn.Linear, a float matrix out×in and a float vector of length out; the
// layers are the prefixes in numeric-aware order ("2" before "10", "fc2"
// before "fc10"), each taking the previous one's outputs. It returns the
// layers in order, the widths and the stored dtype.
func torchLayers(path string, hs map[string]data.TensorHeader) ([]torchLayer, []int, string, error) {
	if len(hs) == 0 {
		return nil, nil, "", fmt.Errorf("%s: no tensors: expected the state_dict of an nn.Sequential of nn.Linear layers", path)
	}
	names := make([]string, 0, len(hs))
	for name := range hs {
		names = append(names, name)
	}
	slices.Sort(names) // the first fault in a fixed order
	byPrefix := map[string]*torchLayer{}
	var prefixes []string
	dtypes := map[string]bool{}
	for _, name := range names {
		h := hs[name]
		dot := strings.LastIndexByte(name, '.')
		prefix, kind := name[:max(dot, 0)], name[dot+1:]
		if dot <= 0 || (kind != "weight" && kind != "bias") {
			return nil, nil, "", fmt.Errorf("%s: unexpected tensor %q: only the weight and bias of nn.Linear layers are read (keys such as 0.weight, 0.bias, 2.weight, …)", path, cut(name, 60))
		}
		if h.DType != data.DTypeF32 && h.DType != data.DTypeF64 {
			return nil, nil, "", fmt.Errorf("%s: tensor %s has dtype %s, expected F32 or F64", path, cut(name, 60), h.DType)
		}
		dtypes[h.DType] = true
		l := byPrefix[prefix]
		if l == nil {
			l = &torchLayer{prefix: prefix}
			byPrefix[prefix] = l
			prefixes = append(prefixes, prefix)
		}
		if kind == "weight" {
			l.weight = &h
		} else {
			l.bias = &h
		}
	}
	slices.SortFunc(prefixes, naturalCompare)
	layers := make([]torchLayer, len(prefixes))
	widths := []int{}
	for i, p := range prefixes {
		l := byPrefix[p]
		w, b := p+".weight", p+".bias"
		switch {
		case l.weight == nil:
			return nil, nil, "", fmt.Errorf("%s: tensor %s has no weight %s", path, cut(b, 60), cut(w, 60))
		case l.bias == nil:
			return nil, nil, "", fmt.Errorf("%s: tensor %s has no bias %s: nn.Linear(bias=False) is not supported", path, cut(w, 60), cut(b, 60))
		case len(l.weight.Shape) == 4:
			return nil, nil, "", fmt.Errorf("%s: tensor %s has shape %s: a convolution kernel, not an nn.Linear weight (out×in)", path, cut(w, 60), layersText(l.weight.Shape))
		case len(l.weight.Shape) != 2:
			return nil, nil, "", fmt.Errorf("%s: tensor %s has shape %s, expected an nn.Linear weight out×in", path, cut(w, 60), layersText(l.weight.Shape))
		}
		out, in := l.weight.Shape[0], l.weight.Shape[1]
		if out <= 0 || in <= 0 {
			return nil, nil, "", fmt.Errorf("%s: tensor %s has shape %s, expected positive widths", path, cut(w, 60), layersText(l.weight.Shape))
		}
		if !slices.Equal(l.bias.Shape, []int{out}) {
			return nil, nil, "", fmt.Errorf("%s: tensor %s has shape %s, expected [%d] for the %d outputs of %s", path, cut(b, 60), layersText(l.bias.Shape), out, out, cut(w, 60))
		}
		if i == 0 {
			widths = append(widths, in)
		} else if prev := widths[len(widths)-1]; in != prev {
			return nil, nil, "", fmt.Errorf("%s: tensor %s has shape %s, but %s before it (in key order) gives %d outputs: consecutive layers do not fit", path, cut(w, 60), layersText(l.weight.Shape), cut(layers[i-1].prefix+".weight", 60), prev)
		}
		widths = append(widths, out)
		layers[i] = *l
	}
	dtype := "F64"
	switch {
	case dtypes[data.DTypeF32] && dtypes[data.DTypeF64]:
		dtype = "F32+F64"
	case dtypes[data.DTypeF32]:
		dtype = "F32"
	}
	return layers, widths, dtype, nil
}

// naturalCompare orders strings by runs of digits (compared as numbers)
// and of other bytes (compared as bytes), so "2" < "10", "fc2" < "fc10" and
// "layers.2" < "layers.10".
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		da, db := isDigit(a[0]), isDigit(b[0])
		ra, rb := run(a, da), run(b, db)
		if da && db {
			na, nb := strings.TrimLeft(ra, "0"), strings.TrimLeft(rb, "0")
			if c := len(na) - len(nb); c != 0 {
				return c
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
		}
		if c := strings.Compare(ra, rb); c != 0 {
			return c
		}
		a, b = a[len(ra):], b[len(rb):]
	}
	return len(a) - len(b)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// run returns the leading run of s of digits (digits true) or non-digits.
func run(s string, digits bool) string {
	i := 0
	for i < len(s) && isDigit(s[i]) == digits {
		i++
	}
	return s[:i]
}

// loadTorch loads a PyTorch state_dict (no sgn "config" metadata) whose
// headers hs were read: the architecture from the shapes, the activation
// from act or the sidecar, the size checked within maxParams before the
// tensors are read.
func loadTorch(path string, hs map[string]data.TensorHeader, act Activation, maxParams int) (*MLP, CheckpointMeta, error) {
	var meta CheckpointMeta
	layers, widths, dtype, err := torchLayers(path, hs)
	if err != nil {
		return nil, meta, err
	}
	side, err := readSidecar(path)
	if err != nil {
		return nil, meta, err
	}
	src := &TorchSource{DType: dtype, WidenedFromFloat32: dtype != "F64"}
	for _, l := range layers {
		src.Modules = append(src.Modules, l.prefix)
	}
	switch {
	case act != "" && side != "" && act != side:
		return nil, meta, fmt.Errorf("%s: %w: %s was named, but the sidecar %s says %s", path, ErrActivationMismatch, act, SidecarPath(path), side)
	case act != "":
		src.ActivationFrom = "option"
	case side != "":
		act, src.ActivationFrom = side, SidecarPath(path)
	default:
		return nil, meta, fmt.Errorf("%s: %w: name it, or write the sidecar %s holding {\"activation\": \"gelu\"}", path, ErrNoActivation, SidecarPath(path))
	}
	meta.Config = Config{Layers: widths, Activation: act, Init: InitTorch}
	meta.Torch = src
	meta.Pool = mnistPool(widths[0])
	if err := meta.Config.Validate(); err != nil {
		return nil, meta, fmt.Errorf("%s: %w", path, err)
	}
	if err := meta.Config.CheckSize(maxParams); err != nil {
		return nil, meta, fmt.Errorf("%s: %w", path, err)
	}
	ts, _, err := data.ReadSafetensors(path)
	if err != nil {
		return nil, meta, err
	}
	if _, w2, _, err := torchLayers(path, headersOf(ts)); err != nil || !slices.Equal(w2, widths) {
		return nil, meta, fmt.Errorf("%s: the file changed while it was read", path)
	}
	m, err := NewMax(meta.Config, maxParams)
	if err != nil {
		return nil, meta, fmt.Errorf("%s: %w", path, err)
	}
	for l, tl := range layers {
		for _, t := range []struct {
			name string
			dst  []float64
		}{
			{tl.prefix + ".weight", m.Layout.W(m.Theta, l)},
			{tl.prefix + ".bias", m.Layout.B(m.Theta, l)},
		} {
			v := ts[t.name].F64
			if err := checkFinite(path, t.name, v); err != nil {
				return nil, meta, err
			}
			copy(t.dst, v)
		}
	}
	return m, meta, nil
}

// mnistPool returns the average pooling of MNIST that gives d features
// (784: 1, 196: 2, 49: 4), 0 when d is not an MNIST width.
func mnistPool(d int) int {
	for _, p := range []int{1, 2, 4} {
		if s := 28 / p; s*s == d {
			return p
		}
	}
	return 0
}
