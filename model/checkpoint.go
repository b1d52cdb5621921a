package model

import (
	"encoding/json"
	"fmt"
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
	// (1, 2 or 4), so an analysis reproduces the preprocessing exactly.
	Pool int `json:"pool"`
	// Training holds the training settings (set by package train).
	Training json.RawMessage `json:"training,omitempty"`
	// State holds what a resumed run needs (set by package train).
	State json.RawMessage `json:"state,omitempty"`
	// Metrics holds the latest evaluation (loss, accuracies, …).
	Metrics map[string]float64 `json:"metrics,omitempty"`
	// Version is the program version that wrote the checkpoint.
	Version string `json:"version,omitempty"`
}

// SaveCheckpoint writes θ of m to path as safetensors, float64, with
// PyTorch nn.Linear names and layout (fc1.weight out×in, fc1.bias, …), and
// meta as JSON under the metadata key "config" (plus "format": "pt" as
// safetensors.torch writes). The file is written atomically. meta.Config is
// taken from m.
func SaveCheckpoint(path string, m *MLP, meta CheckpointMeta) error {
	return SaveCheckpointExtra(path, m, meta, nil)
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
	lo := m.Layout
	var ts []data.Tensor
	for l := 0; l < lo.NumLayers(); l++ {
		in, out := lo.Layers[l], lo.Layers[l+1]
		ts = append(ts,
			data.Tensor{Name: fmt.Sprintf("fc%d.weight", l+1), DType: "F64", Shape: []int{out, in}, F64: lo.W(m.Theta, l)},
			data.Tensor{Name: fmt.Sprintf("fc%d.bias", l+1), DType: "F64", Shape: []int{out}, F64: lo.B(m.Theta, l)})
	}
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
// metadata entry). It checks every tensor's name, dtype and shape against the
// architecture in the metadata and says precisely what does not match.
func LoadCheckpoint(path string) (*MLP, CheckpointMeta, error) {
	m, meta, _, err := LoadCheckpointExtra(path)
	return m, meta, err
}

// LoadCheckpointExtra is LoadCheckpoint that also returns the extra
// "optimizer.*" vectors stored by SaveCheckpointExtra.
func LoadCheckpointExtra(path string) (*MLP, CheckpointMeta, map[string][]float64, error) {
	var meta CheckpointMeta
	ts, md, err := data.ReadSafetensors(path)
	if err != nil {
		return nil, meta, nil, err
	}
	cfg, ok := md["config"]
	if !ok {
		return nil, meta, nil, fmt.Errorf("%s: no \"config\" metadata: not an sgn checkpoint (need layers, activation and pool)", path)
	}
	if err := json.Unmarshal([]byte(cfg), &meta); err != nil {
		return nil, meta, nil, fmt.Errorf("%s: metadata \"config\" is not valid JSON: %v", path, err)
	}
	if err := meta.Config.Validate(); err != nil {
		return nil, meta, nil, fmt.Errorf("%s: %v", path, err)
	}
	if meta.Pool != 1 && meta.Pool != 2 && meta.Pool != 4 {
		return nil, meta, nil, fmt.Errorf("%s: pool %d in the metadata: expected 1, 2 or 4", path, meta.Pool)
	}
	if want := (28 / meta.Pool) * (28 / meta.Pool); meta.Layers[0] != want {
		return nil, meta, nil, fmt.Errorf("%s: input width %d does not match pool %d (MNIST pooled by %d has %d features)", path, meta.Layers[0], meta.Pool, meta.Pool, want)
	}
	m, err := New(meta.Config)
	if err != nil {
		return nil, meta, nil, fmt.Errorf("%s: %v", path, err)
	}
	lo := m.Layout
	seen := map[string]bool{}
	for l := 0; l < lo.NumLayers(); l++ {
		in, out := lo.Layers[l], lo.Layers[l+1]
		for _, want := range []struct {
			name  string
			shape []int
			dst   []float64
		}{
			{fmt.Sprintf("fc%d.weight", l+1), []int{out, in}, lo.W(m.Theta, l)},
			{fmt.Sprintf("fc%d.bias", l+1), []int{out}, lo.B(m.Theta, l)},
		} {
			t, ok := ts[want.name]
			if !ok {
				return nil, meta, nil, fmt.Errorf("%s: tensor %s is missing (layers %v)", path, want.name, meta.Layers)
			}
			if t.DType != "F64" && t.DType != "F32" {
				return nil, meta, nil, fmt.Errorf("%s: tensor %s has dtype %s, expected F64", path, want.name, t.DType)
			}
			if !slices.Equal(t.Shape, want.shape) {
				return nil, meta, nil, fmt.Errorf("%s: tensor %s has shape %v, expected %v for layers %v", path, want.name, t.Shape, want.shape, meta.Layers)
			}
			copy(want.dst, t.F64)
			seen[want.name] = true
		}
	}
	extra := map[string][]float64{}
	for name, t := range ts {
		if strings.HasPrefix(name, "optimizer.") {
			extra[name] = t.F64
			continue
		}
		if !seen[name] {
			return nil, meta, nil, fmt.Errorf("%s: unexpected tensor %s for layers %v", path, name, meta.Layers)
		}
	}
	return m, meta, extra, nil
}
