package model

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/data"
)

func TestParamCount(t *testing.T) {
	for _, c := range []struct {
		layers []int
		want   int
	}{
		{[]int{49, 16, 16, 10}, 49*16 + 16 + 16*16 + 16 + 16*10 + 10}, // 1,242
		{[]int{784, 100, 10}, 79510},
		{[]int{3, 2}, 8},
	} {
		if p, err := ParamCount(c.layers); err != nil || p != c.want {
			t.Errorf("ParamCount(%v) = %d, %v; want %d", c.layers, p, err, c.want)
		}
	}
	for _, layers := range [][]int{
		{49, 307445734561825861, 10},        // in·out wraps
		{49, math.MaxInt, 10},               // out·in wraps
		{1 << 30, 1 << 30, 1 << 30, 1 << 2}, // the sum wraps
		{49, 0, 10},
	} {
		if p, err := ParamCount(layers); err == nil {
			t.Errorf("ParamCount(%v) = %d, want an error", layers, p)
		}
		if _, err := New(Config{Layers: layers, Activation: Tanh}); err == nil {
			t.Errorf("New(%v) accepted", layers)
		}
	}
}

// A configuration above the limit is refused before anything is allocated,
// naming the count and the limit; NewMax raises the limit.
func TestNewRefusesAModelAboveTheLimit(t *testing.T) {
	big := Config{Layers: []int{49, 1 << 20, 1 << 20, 10}, Activation: ReLU}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := New(big)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprint(DefaultMaxParams)) {
		t.Fatalf("New(%v): %v, want an error naming the limit %d", big.Layers, err, DefaultMaxParams)
	}
	if d := after.TotalAlloc - before.TotalAlloc; d > 1<<20 {
		t.Errorf("refusing allocated %d bytes", d)
	}
	small := Config{Layers: []int{49, 16, 10}, Activation: ReLU}
	if _, err := NewMax(small, 900); err == nil {
		t.Errorf("NewMax(%v, 900) accepted %d parameters", small.Layers, 49*16+16+16*10+10)
	}
	if _, err := NewMax(small, 970); err != nil {
		t.Errorf("NewMax(%v, 970): %v", small.Layers, err)
	}
}

// writeCheckpointConfig writes the tensors of m (plus extra) with the
// metadata "config" replaced by config: a file whose header may lie about
// the architecture.
func writeCheckpointConfig(t testing.TB, path string, m *MLP, config string, extra ...data.Tensor) {
	t.Helper()
	ts := m.stateDict()
	ts = append(ts, extra...)
	if err := data.WriteSafetensors(path, ts, map[string]string{"config": config, "format": "pt"}); err != nil {
		t.Fatal(err)
	}
}

// Issue case 1: a small checkpoint whose metadata claims a huge network is
// refused from its header, without allocating the network: the loader
// compares the shapes with the file before building the model.
func TestLoadCheckpointChecksSizesBeforeAllocating(t *testing.T) {
	m, _ := New(Config{Layers: []int{49, 16, 10}, Activation: Tanh, Seed: 1})
	path := filepath.Join(t.TempDir(), "model.safetensors")
	for _, layers := range []string{
		"[49, 20000, 20000, 10]",         // 3.2 GB once built
		"[49, 100000, 100000, 10]",       // out of memory once built
		"[49, 1099511627776, 16, 10]",    // makeslice panic
		"[49, 307445734561825861, 10]",   // P overflows
		"[49, 16, 10, 1000000000, 1000]", // more layers than tensors
	} {
		writeCheckpointConfig(t, path, m, `{"layers":`+layers+`,"activation":"tanh","pool":4}`)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, _, err := LoadCheckpoint(path)
		runtime.ReadMemStats(&after)
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("layers %s: %v, want an error naming %s", layers, err, path)
		}
		if d := after.TotalAlloc - before.TotalAlloc; d > 4<<20 {
			t.Errorf("layers %s: the refused load allocated %d bytes", layers, d)
		}
	}
	// The limit applies to a genuine file too, and LoadCheckpointMax raises it.
	writeCheckpointConfig(t, path, m, `{"layers":[49,16,10],"activation":"tanh","pool":4}`)
	if _, _, _, err := LoadCheckpointMax(path, 900); err == nil || !strings.Contains(err.Error(), "900") {
		t.Errorf("LoadCheckpointMax(900) on 970 parameters: %v", err)
	}
	if _, _, _, err := LoadCheckpointMax(path, 970); err != nil {
		t.Errorf("LoadCheckpointMax(970): %v", err)
	}
}

// Issue cases 2 and 9: optimizer tensors of the wrong dtype or shape, and
// weights or optimizer tensors that are not finite, are the file's fault.
func TestLoadCheckpointRefusesBadTensors(t *testing.T) {
	m, _ := New(Config{Layers: []int{49, 16, 10}, Activation: Tanh, Seed: 1})
	P := m.NumParams()
	cfg := `{"layers":[49,16,10],"activation":"tanh","pool":4}`
	dir := t.TempDir()
	for _, c := range []struct {
		name  string
		theta func([]float64)
		extra []data.Tensor
		want  string
	}{
		{"I64 momentum", nil, []data.Tensor{{Name: "optimizer.momentum_buffer", DType: "I64", Shape: []int{P}, I64: make([]int64, P)}}, "dtype I64"},
		{"matrix momentum", nil, []data.Tensor{{Name: "optimizer.momentum_buffer", DType: "F64", Shape: []int{2, P / 2}, F64: make([]float64, P/2*2)}}, "expected a vector"},
		{"NaN momentum", nil, []data.Tensor{{Name: "optimizer.momentum_buffer", DType: "F64", Shape: []int{3}, F64: []float64{0, math.NaN(), 0}}}, "NaN"},
		{"NaN weight", func(th []float64) { th[5] = math.NaN() }, nil, "fc1.weight holds NaN at index 5"},
		{"Inf bias", func(th []float64) { th[P-1] = math.Inf(-1) }, nil, "fc2.bias holds -Inf"},
	} {
		mm := m.Clone()
		if c.theta != nil {
			c.theta(mm.Theta)
		}
		path := filepath.Join(dir, c.name+".safetensors")
		writeCheckpointConfig(t, path, mm, cfg, c.extra...)
		_, _, _, err := LoadCheckpointExtra(path)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error naming %s and %q", c.name, err, path, c.want)
		}
	}
	path := filepath.Join(dir, "good.safetensors")
	writeCheckpointConfig(t, path, m, cfg, data.Tensor{Name: "optimizer.momentum_buffer", DType: "F64", Shape: []int{P}, F64: make([]float64, P)})
	if _, _, extra, err := LoadCheckpointExtra(path); err != nil || len(extra["optimizer.momentum_buffer"]) != P {
		t.Errorf("a good momentum buffer: %v", err)
	}
	os.Remove(path)
}
