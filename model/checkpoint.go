package model

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/sgn-project/sgn/data"
)

// CheckpointMeta is the JSON stored under the metadata key "config" of a
// checkpoint: the architecture, the preprocessing the model expects, how it
// was trained and where training stands.
type CheckpointMeta struct {
	Config
	// Pool is the average pooling of the MNIST images the model consumes
	// (1, 2 or 4), so an analysis reproduces the preprocessing exactly; 0
	// for a model whose inputs are not MNIST images (its data come from a
	// file).
	Pool int `json:"pool"`
	// Torch describes the PyTorch state_dict the model was read from (nil
	// for a checkpoint written by sgn from its own training).
	Torch *TorchSource `json:"torch,omitempty"`
	// Training holds the training settings (set by package train).
	Training json.RawMessage `json:"training,omitempty"`
	// State holds what a resumed run needs (set by package train).
	State json.RawMessage `json:"state,omitempty"`
	// Metrics holds the latest evaluation (loss, accuracies, …).
	Metrics map[string]float64 `json:"metrics,omitempty"`
	// Version is the program version that wrote the checkpoint.
	Version string `json:"version,omitempty"`
}

// Source is the provenance of the model the checkpoint file path holds, as
// the outputs record it: the path, and for a PyTorch state_dict how it was
// read, "path (TorchSource)".
func (m CheckpointMeta) Source(path string) string {
	if m.Torch == nil {
		return path
	}
	return fmt.Sprintf("%s (%s)", path, m.Torch)
}

// SaveCheckpoint writes θ of m to path as safetensors, float64, with
// PyTorch nn.Linear names and layout (fc1.weight out×in, fc1.bias, …), and
// meta as JSON under the metadata key "config" (plus "format": "pt" as
// safetensors.torch writes). The file is written atomically. meta.Config is
// taken from m.
func SaveCheckpoint(path string, m *MLP, meta CheckpointMeta) error {
	return SaveCheckpointExtra(path, m, meta, nil)
}

// stateDict returns m's parameters as the tensors of a PyTorch state_dict
// of nn.Linear layers: fc1.weight (out × in), fc1.bias, fc2.weight, … in
// float64, views of m.Theta.
func (m *MLP) stateDict() []data.Tensor {
	lo := m.Layout
	var ts []data.Tensor
	for l := 0; l < lo.NumLayers(); l++ {
		in, out := lo.Layers[l], lo.Layers[l+1]
		ts = append(ts,
			data.Tensor{Name: fmt.Sprintf("fc%d.weight", l+1), DType: "F64", Shape: []int{out, in}, F64: lo.W(m.Theta, l)},
			data.Tensor{Name: fmt.Sprintf("fc%d.bias", l+1), DType: "F64", Shape: []int{out}, F64: lo.B(m.Theta, l)})
	}
	return ts
}

// SaveCheckpointExtra is SaveCheckpoint with extra float64 vectors stored
// beside θ; their names must start with "optimizer." (PyTorch users skip them
// in the name map).
func SaveCheckpointExtra(path string, m *MLP, meta CheckpointMeta, extra map[string][]float64) error {
	meta.Config = m.Config
	js, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	ts := m.stateDict()
	for name, v := range extra {
		if !strings.HasPrefix(name, "optimizer.") {
			return fmt.Errorf("extra checkpoint tensor %q: the name must start with \"optimizer.\"", name)
		}
		ts = append(ts, data.Tensor{Name: name, DType: "F64", Shape: []int{len(v)}, F64: v})
	}
	return data.WriteSafetensors(path, ts, map[string]string{"config": string(js), "format": "pt"})
}

// LoadCheckpoint reads a checkpoint written by SaveCheckpoint (or by
// PyTorch's safetensors.torch.save_file with the same names and a "config"
// metadata entry), or a plain PyTorch state_dict with its activation in a
// sidecar (see LoadCheckpointOptions). It checks every tensor's name, dtype
// and shape against the architecture and says precisely what does not
// match.
func LoadCheckpoint(path string) (*MLP, CheckpointMeta, error) {
	m, meta, _, err := LoadCheckpointExtra(path)
	return m, meta, err
}

// LoadCheckpointExtra is LoadCheckpoint that also returns the extra
// "optimizer.*" vectors stored by SaveCheckpointExtra. It refuses a model of
// more than DefaultMaxParams parameters (see LoadCheckpointMax).
func LoadCheckpointExtra(path string) (*MLP, CheckpointMeta, map[string][]float64, error) {
	return LoadCheckpointMax(path, DefaultMaxParams)
}

// LoadCheckpointMax is LoadCheckpointExtra with the limit on the number of
// parameters given. Nothing the size of the model is allocated before the
// file is known to hold it: the header alone is read first, the
// architecture in the metadata is validated (its parameter count without
// overflow and within maxParams), and every tensor's name, dtype and shape
// is checked against it; only then are the tensors read. Weights and
// optimizer tensors must be finite, and optimizer tensors float vectors.
// Every error names the file.
func LoadCheckpointMax(path string, maxParams int) (*MLP, CheckpointMeta, map[string][]float64, error) {
	return LoadCheckpointOptions(path, LoadOptions{MaxParams: maxParams})
}

// LoadOptions are the options of LoadCheckpointOptions.
type LoadOptions struct {
	// MaxParams is the limit on the number of parameters (0 means
	// DefaultMaxParams).
	MaxParams int
	// Activation names the activation of a plain PyTorch state_dict, which
	// holds none ("" to take it from the file's sidecar, see SidecarPath).
	// For a checkpoint written by sgn it must be "" or the checkpoint's own.
	Activation Activation
}

// LoadCheckpointOptions reads a checkpoint, either one written by
// SaveCheckpoint (a "config" metadata entry gives the architecture) or a
// plain PyTorch state_dict, safetensors.torch.save_file(net.state_dict(),
// path) of an nn.Sequential of nn.Linear layers and parameter-free
// activations (keys 0.weight, 0.bias, 2.weight, … or named modules such as
// fc1, fc2 or layers.0): the widths come from the shapes, in numeric-aware
// key order, float32 tensors are widened to float64, the activation comes
// from o.Activation or the sidecar, and meta.Torch records all this.
// A state_dict's errors name the file and the key: a convolution or any
// tensor not a 2-D weight, a missing bias, consecutive shapes that do not
// fit, an unexpected key, a dtype other than F32 or F64. The size is
// checked within o.MaxParams from the header before any tensor is read.
// meta.Pool is the MNIST pooling whose width the input has (0 if none).
func LoadCheckpointOptions(path string, o LoadOptions) (*MLP, CheckpointMeta, map[string][]float64, error) {
	var meta CheckpointMeta
	maxParams := o.MaxParams
	if maxParams == 0 {
		maxParams = DefaultMaxParams
	}
	if o.Activation != "" {
		if err := o.Activation.Validate(); err != nil {
			return nil, meta, nil, err
		}
	}
	hs, md, err := data.ReadSafetensorsHeader(path)
	if err != nil {
		return nil, meta, nil, err
	}
	cfg, ok := md["config"]
	if !ok {
		m, meta, err := loadTorch(path, hs, o.Activation, maxParams)
		return m, meta, map[string][]float64{}, err
	}
	if err := json.Unmarshal([]byte(cfg), &meta); err != nil {
		return nil, meta, nil, fmt.Errorf("%s: metadata \"config\" is not valid JSON: %w", path, err)
	}
	if err := meta.Config.Validate(); err != nil {
		return nil, meta, nil, fmt.Errorf("%s: %w", path, err)
	}
	if o.Activation != "" && o.Activation != meta.Activation {
		return nil, meta, nil, fmt.Errorf("%s: %w: %s was named, but the checkpoint's model uses %s", path, ErrActivationMismatch, o.Activation, meta.Activation)
	}
	if meta.Pool != 0 && meta.Pool != 1 && meta.Pool != 2 && meta.Pool != 4 {
		return nil, meta, nil, fmt.Errorf("%s: pool %d in the metadata: expected 1, 2 or 4 (or 0: not MNIST)", path, meta.Pool)
	}
	if want := (28 / max(meta.Pool, 1)) * (28 / max(meta.Pool, 1)); meta.Pool != 0 && meta.Layers[0] != want {
		return nil, meta, nil, fmt.Errorf("%s: input width %d does not match pool %d (MNIST pooled by %d has %d features)", path, meta.Layers[0], meta.Pool, meta.Pool, want)
	}
	if err := meta.Config.CheckSize(maxParams); err != nil {
		return nil, meta, nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := checkTensorHeaders(path, hs, meta.Layers); err != nil {
		return nil, meta, nil, err
	}
	ts, _, err := data.ReadSafetensors(path)
	if err != nil {
		return nil, meta, nil, err
	}
	if err := checkTensorHeaders(path, headersOf(ts), meta.Layers); err != nil {
		return nil, meta, nil, err // the file changed since its header was read
	}
	m, err := NewMax(meta.Config, maxParams)
	if err != nil {
		return nil, meta, nil, fmt.Errorf("%s: %w", path, err)
	}
	lo := m.Layout
	for l := 0; l < lo.NumLayers(); l++ {
		for _, t := range []struct {
			name string
			dst  []float64
		}{
			{fmt.Sprintf("fc%d.weight", l+1), lo.W(m.Theta, l)},
			{fmt.Sprintf("fc%d.bias", l+1), lo.B(m.Theta, l)},
		} {
			src := ts[t.name].F64
			if err := checkFinite(path, t.name, src); err != nil {
				return nil, meta, nil, err
			}
			copy(t.dst, src)
		}
	}
	extra := map[string][]float64{}
	for name, t := range ts {
		if strings.HasPrefix(name, "optimizer.") {
			if err := checkFinite(path, name, t.F64); err != nil {
				return nil, meta, nil, err
			}
			extra[name] = t.F64
		}
	}
	return m, meta, extra, nil
}

// headersOf returns the header entries of tensors read in full.
func headersOf(ts map[string]data.Tensor) map[string]data.TensorHeader {
	hs := make(map[string]data.TensorHeader, len(ts))
	for name, t := range ts {
		hs[name] = data.TensorHeader{Name: name, DType: t.DType, Shape: t.Shape}
	}
	return hs
}

// checkTensorHeaders checks that the tensors of a checkpoint are exactly
// those of an MLP with the given widths — fcL.weight out×in and fcL.bias of
// dtype F64 or F32 — plus any "optimizer.*" float vectors.
func checkTensorHeaders(path string, hs map[string]data.TensorHeader, layers []int) error {
	expected := make(map[string]bool, 2*len(layers))
	for l := 0; l+1 < len(layers); l++ {
		in, out := layers[l], layers[l+1]
		for _, want := range []struct {
			name  string
			shape []int
		}{
			{fmt.Sprintf("fc%d.weight", l+1), []int{out, in}},
			{fmt.Sprintf("fc%d.bias", l+1), []int{out}},
		} {
			t, ok := hs[want.name]
			if !ok {
				return fmt.Errorf("%s: tensor %s is missing (layers %s)", path, want.name, layersText(layers))
			}
			if t.DType != data.DTypeF64 && t.DType != data.DTypeF32 {
				return fmt.Errorf("%s: tensor %s has dtype %s, expected F64", path, want.name, t.DType)
			}
			if !slices.Equal(t.Shape, want.shape) {
				return fmt.Errorf("%s: tensor %s has shape %s, expected %v for layers %s", path, want.name, layersText(t.Shape), want.shape, layersText(layers))
			}
			expected[want.name] = true
		}
	}
	names := make([]string, 0, len(hs))
	for name := range hs {
		names = append(names, name)
	}
	slices.Sort(names) // the first fault in a fixed order
	for _, name := range names {
		t := hs[name]
		if strings.HasPrefix(name, "optimizer.") {
			if t.DType != data.DTypeF64 && t.DType != data.DTypeF32 {
				return fmt.Errorf("%s: optimizer tensor %s has dtype %s, expected F64", path, cut(name, 60), t.DType)
			}
			if len(t.Shape) != 1 {
				return fmt.Errorf("%s: optimizer tensor %s has shape %s, expected a vector", path, cut(name, 60), layersText(t.Shape))
			}
			continue
		}
		if !expected[name] {
			return fmt.Errorf("%s: unexpected tensor %q for layers %s", path, cut(name, 60), layersText(layers))
		}
	}
	return nil
}

// checkFinite returns an error naming the file and the tensor when v holds a
// NaN or an infinity: such a checkpoint is corrupt or comes from a diverged
// run, and nothing computed from it means anything.
func checkFinite(path, name string, v []float64) error {
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("%s: tensor %s holds %v at index %d: the checkpoint is corrupt or from a diverged run", path, name, x, i)
		}
	}
	return nil
}
