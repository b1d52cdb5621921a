package train

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/model"
)

// FuzzResumeCheckpoint fuzzes the "training" settings and the "state" of
// an otherwise valid checkpoint (a 49-4-10 network): resuming must refuse
// with an error naming the file, or accept settings that fit the model and
// MNIST (Settings.Check) and a state that a run with those settings can
// have written (checkState); never panic (a state.step of −5 or an epoch
// of 2^62 once mangled the log).
func FuzzResumeCheckpoint(f *testing.F) {
	good, _ := json.Marshal(Settings{LR: 0.1, BatchSize: 10, Epochs: 2, Seed: 1, Engine: EngineGonum, Pool: 4, TrainFirst: 100, TestFirst: 50})
	f.Add(string(good), `{"step":20,"epoch":2,"sampler":{"epoch":2,"pos":0}}`)
	f.Add(string(good), `{"step":-5,"epoch":0,"sampler":{"epoch":0,"pos":0}}`)
	f.Add(string(good), `{"step":4611686018427387904,"epoch":461168601842738790,"sampler":{"epoch":461168601842738790,"pos":0}}`)
	f.Add(strings.Replace(string(good), `"batch_size":10`, `"batch_size":4611686018427387904`, 1), `{"step":0,"epoch":0,"sampler":{"epoch":0,"pos":0}}`)
	f.Add(strings.Replace(string(good), `"train_first":100`, `"train_first":-1`, 1), `{}`)
	m, err := model.New(model.Config{Layers: []int{49, 4, 10}, Activation: model.Tanh, Seed: 1})
	if err != nil {
		f.Fatal(err)
	}
	dir := f.TempDir()
	path := filepath.Join(dir, CheckpointFile)
	f.Fuzz(func(t *testing.T, training, state string) {
		if !json.Valid([]byte(training)) || !json.Valid([]byte(state)) {
			return // the checkpoint's metadata is JSON: FuzzLoadCheckpoint covers the rest
		}
		meta := model.CheckpointMeta{Pool: 4, Training: json.RawMessage(training), State: json.RawMessage(state)}
		if err := model.SaveCheckpoint(path, m, meta); err != nil {
			t.Fatal(err)
		}
		mc, s, err := ResumeConfigMax(dir, model.DefaultMaxParams)
		if err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("error %q does not name the checkpoint", err)
			}
			return
		}
		if err := s.Check(mc); err != nil {
			t.Fatalf("accepted settings %+v that Check refuses: %v", s, err)
		}
		mm, err := model.New(mc)
		if err != nil {
			t.Fatal(err)
		}
		s.MNIST = ""
		st, err := resume(path, mm, make([]float64, mm.NumParams()), s)
		if err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("error %q does not name the checkpoint", err)
			}
			return
		}
		n := s.TrainFirst
		if n == 0 {
			n = 60000 // all of MNIST's training images
		}
		spe := max(1, n/s.BatchSize)
		if checkState(st, spe, s.BatchSize) == nil && (st.Step < 0 || st.Epoch != st.Step/spe) {
			t.Fatalf("state %+v accepted at %d steps per epoch", st, spe)
		}
	})
}
