package model

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/data"
)

// torchTensor returns a tensor of dtype F64 (or the dtype given) whose
// entries count from start, so that every copy into θ can be checked.
func torchTensor(name string, shape []int, start float64, dtype ...string) data.Tensor {
	n := 1
	for _, d := range shape {
		n *= d
	}
	t := data.Tensor{Name: name, DType: "F64", Shape: shape}
	if len(dtype) > 0 {
		t.DType = dtype[0]
	}
	if t.DType == data.DTypeI64 {
		t.I64 = make([]int64, n)
		return t
	}
	t.F64 = make([]float64, n)
	for i := range t.F64 {
		t.F64[i] = start + float64(i)/8 // exact in float32 too
	}
	return t
}

func writeTorch(t *testing.T, path string, ts ...data.Tensor) {
	t.Helper()
	if err := data.WriteSafetensors(path, ts, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
}

// TestLoadTorchStateDict reads state_dicts as PyTorch names them: the
// layers in numeric-aware key order (2 before 10), float32 widened, the
// activation from the option or the sidecar, and every tensor where
// LoadCheckpoint's layout puts it.
func TestLoadTorchStateDict(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "net.safetensors")
	// nn.Sequential(Linear(3,4), GELU(), Linear(4,5), …, Linear(5,2)) with
	// modules 0, 2 and 10: "10" sorts before "2" as text.
	ts := []data.Tensor{
		torchTensor("10.weight", []int{2, 5}, 100), torchTensor("10.bias", []int{2}, 200),
		torchTensor("0.weight", []int{4, 3}, 1, "F32"), torchTensor("0.bias", []int{4}, 10),
		torchTensor("2.weight", []int{5, 4}, 20), torchTensor("2.bias", []int{5}, 50),
	}
	writeTorch(t, path, ts...)
	if _, _, _, err := LoadCheckpointOptions(path, LoadOptions{}); !errors.Is(err, ErrNoActivation) || !strings.Contains(err.Error(), path+".json") {
		t.Fatalf("no activation: %v", err)
	}
	m, meta, _, err := LoadCheckpointOptions(path, LoadOptions{Activation: GELU})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.Layers, []int{3, 4, 5, 2}) || m.Activation != GELU || meta.Pool != 0 {
		t.Fatalf("layers %v activation %s pool %d", m.Layers, m.Activation, meta.Pool)
	}
	src := meta.Torch
	if src == nil || !slices.Equal(src.Modules, []string{"0", "2", "10"}) || src.DType != "F32+F64" || !src.WidenedFromFloat32 || src.ActivationFrom != "option" {
		t.Fatalf("torch source %+v", src)
	}
	if s := src.String(); !strings.Contains(s, "float32 widened to float64") || !strings.Contains(s, "0, 2, 10") {
		t.Errorf("description %q", s)
	}
	for l, name := range []string{"0", "2", "10"} {
		for _, c := range []struct {
			got  []float64
			want string
		}{{m.Layout.W(m.Theta, l), name + ".weight"}, {m.Layout.B(m.Theta, l), name + ".bias"}} {
			var want []float64
			for _, t := range ts {
				if t.Name == c.want {
					want = t.F64
				}
			}
			if !slices.Equal(c.got, want) {
				t.Errorf("%s: θ holds %v, the file %v", c.want, c.got, want)
			}
		}
	}

	// The sidecar names the activation; an option that disagrees is refused.
	if err := os.WriteFile(SidecarPath(path), []byte(`{"activation": "leaky_relu:0.1"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	m, meta, _, err = LoadCheckpointOptions(path, LoadOptions{})
	if err != nil || m.Activation != "leaky_relu:0.1" || meta.Torch.ActivationFrom != path+".json" {
		t.Fatalf("sidecar: %v, %v", err, meta.Torch)
	}
	if _, _, _, err := LoadCheckpointOptions(path, LoadOptions{Activation: Tanh}); !errors.Is(err, ErrActivationMismatch) || !strings.Contains(err.Error(), path+".json") {
		t.Errorf("option against sidecar: %v", err)
	}
	for _, c := range []struct{ sidecar, want string }{
		{`{"activation": "swish"}`, `"activation"`},
		{`{"activation": "gelu", "layers": [3]}`, `"layers"`},
		{`{}`, `"activation" is missing`},
		{`[1]`, "expected one JSON object"},
		{`{"activation": "tanh"}{"activation": "relu"}`, "more follows it"},
		{`{"activation": "tanh"} x`, "more follows it"},
	} {
		os.WriteFile(SidecarPath(path), []byte(c.sidecar), 0o644)
		_, _, _, err := LoadCheckpointOptions(path, LoadOptions{})
		if err == nil || !strings.Contains(err.Error(), path+".json") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("sidecar %s: %v, want the file and %q", c.sidecar, err, c.want)
		}
	}
	os.Remove(SidecarPath(path))

	// The size is checked before the tensors are read.
	var se *SizeError
	if _, _, _, err := LoadCheckpointOptions(path, LoadOptions{Activation: GELU, MaxParams: 10}); !errors.As(err, &se) || !strings.Contains(err.Error(), path) {
		t.Errorf("MaxParams 10: %v", err)
	}

	// An MNIST width gives the pooling; layers.N and fcN names work too.
	path2 := filepath.Join(dir, "mnist.safetensors")
	writeTorch(t, path2, torchTensor("layers.fc2.weight", []int{10, 16}, 0), torchTensor("layers.fc2.bias", []int{10}, 0),
		torchTensor("layers.fc1.weight", []int{16, 49}, 0), torchTensor("layers.fc1.bias", []int{16}, 0))
	if m, meta, _, err := LoadCheckpointOptions(path2, LoadOptions{Activation: ReLU}); err != nil || meta.Pool != 4 || !slices.Equal(m.Layers, []int{49, 16, 10}) || meta.Torch.DType != "F64" || meta.Torch.WidenedFromFloat32 {
		t.Errorf("MNIST width: %v, pool %d, %+v", err, meta.Pool, meta.Torch)
	}
}

// TestLoadTorchRefusesNonMLP checks the one-line errors, each naming the
// file and the key, for what is not an MLP of nn.Linear layers.
func TestLoadTorchRefusesNonMLP(t *testing.T) {
	dir := t.TempDir()
	w0, b0 := torchTensor("0.weight", []int{4, 3}, 0), torchTensor("0.bias", []int{4}, 0)
	w2, b2 := torchTensor("2.weight", []int{2, 4}, 0), torchTensor("2.bias", []int{2}, 0)
	for i, c := range []struct {
		ts   []data.Tensor
		want []string
	}{
		{[]data.Tensor{torchTensor("0.weight", []int{8, 1, 3, 3}, 0), torchTensor("0.bias", []int{8}, 0), w2, b2}, []string{"0.weight", "convolution"}},
		{[]data.Tensor{w0, b0, torchTensor("2.weight", []int{2, 5}, 0), b2}, []string{"2.weight", "0.weight", "do not fit"}},
		{[]data.Tensor{w0, b0, w2}, []string{"2.weight", "2.bias", "bias=False"}},
		{[]data.Tensor{w0, b0, b2}, []string{"2.bias", "2.weight"}},
		{[]data.Tensor{w0, b0, w2, b2, torchTensor("1.running_mean", []int{4}, 0)}, []string{"1.running_mean", "unexpected"}},
		{[]data.Tensor{w0, b0, w2, b2, torchTensor("scale", []int{1}, 0)}, []string{`"scale"`, "unexpected"}},
		{[]data.Tensor{w0, b0, w2, torchTensor("2.bias", []int{2}, 0, "I64")}, []string{"2.bias", "I64", "F32 or F64"}},
		{[]data.Tensor{w0, b0, w2, torchTensor("2.bias", []int{3}, 0)}, []string{"2.bias", "[3]", "expected [2]"}},
		{[]data.Tensor{torchTensor("0.weight", []int{12}, 0), b0}, []string{"0.weight", "out×in"}},
		{[]data.Tensor{w0, b0, torchTensor("2.weight", []int{1, 4}, 0), torchTensor("2.bias", []int{1}, 0)}, []string{"at least 2 classes"}},
	} {
		path := filepath.Join(dir, "bad.safetensors")
		writeTorch(t, path, c.ts...)
		_, _, _, err := LoadCheckpointOptions(path, LoadOptions{Activation: Tanh})
		if err == nil {
			t.Errorf("case %d: loaded", i)
			continue
		}
		msg := err.Error()
		if strings.Contains(msg, "\n") || !strings.Contains(msg, path) {
			t.Errorf("case %d: %q is not one line naming the file", i, msg)
		}
		for _, w := range c.want {
			if !strings.Contains(msg, w) {
				t.Errorf("case %d: %q does not say %q", i, msg, w)
			}
		}
	}
}

// TestLoadSgnCheckpointActivation checks the activation option against a
// checkpoint written by sgn: its own activation is accepted, another is
// refused.
func TestLoadSgnCheckpointActivation(t *testing.T) {
	m, _ := New(Config{Layers: []int{49, 4, 10}, Activation: Tanh, Seed: 1})
	path := filepath.Join(t.TempDir(), "model.safetensors")
	if err := SaveCheckpoint(path, m, CheckpointMeta{Pool: 4}); err != nil {
		t.Fatal(err)
	}
	if _, meta, _, err := LoadCheckpointOptions(path, LoadOptions{Activation: Tanh}); err != nil || meta.Torch != nil {
		t.Errorf("own activation: %v, %v", err, meta.Torch)
	}
	if _, _, _, err := LoadCheckpointOptions(path, LoadOptions{Activation: GELU}); !errors.Is(err, ErrActivationMismatch) || !strings.Contains(err.Error(), "tanh") {
		t.Errorf("other activation: %v", err)
	}
}

func TestNaturalCompare(t *testing.T) {
	want := []string{"0", "2", "10", "fc1", "fc2", "fc10", "layers.2", "layers.10", "layers.10.a", "x01y", "x2y"}
	got := slices.Clone(want)
	slices.Reverse(got)
	slices.SortFunc(got, naturalCompare)
	if !slices.Equal(got, want) {
		t.Errorf("sorted %v, want %v", got, want)
	}
}

// A half-precision state_dict (torch.float16 or bfloat16) is refused by the
// header check with the file and the key named.
func TestLoadTorchRefusesHalfPrecision(t *testing.T) {
	for _, dtype := range []string{"F16", "BF16"} {
		path := filepath.Join(t.TempDir(), "half.safetensors")
		hdr := `{"0.bias":{"dtype":"` + dtype + `","shape":[2],"data_offsets":[0,4]},"0.weight":{"dtype":"` + dtype + `","shape":[2,3],"data_offsets":[4,16]}}`
		for len(hdr)%8 != 0 {
			hdr += " "
		}
		b := []byte{byte(len(hdr)), 0, 0, 0, 0, 0, 0, 0}
		b = append(append(b, hdr...), make([]byte, 16)...)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		_, _, _, err := LoadCheckpointOptions(path, LoadOptions{Activation: Tanh})
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "0.") || !strings.Contains(err.Error(), dtype) {
			t.Errorf("%s: %v", dtype, err)
		}
	}
}
