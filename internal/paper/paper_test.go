package paper

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/internal/report"
	"github.com/sgn-project/sgn/model"
	"github.com/sgn-project/sgn/train/minimum"
)

// A finished experiment is reused on the same key and run afresh on
// another; one that fails or cannot apply leaves no finished marker, and
// the experiments that need it are not run.
func TestStepsResumeAndIsolate(t *testing.T) {
	out := t.TempDir()
	r := &runner{j: Job{Out: out}, keys: map[string]string{}, inputs: map[string]string{"model": "m", "data": "d"}}
	calls := map[string]int{}
	var fresh []bool
	mk := func(name string, settings any, err error, needs ...string) step {
		return step{name: name, folder: name, settings: settings, needs: needs, run: func(dir string, f bool) error {
			calls[name]++
			fresh = append(fresh, f)
			if err == nil {
				return os.WriteFile(filepath.Join(dir, "out.txt"), []byte(name), 0o644)
			}
			return err
		}}
	}
	ok, bad, na := mk("a", 1, nil), mk("b", 1, errors.New("boom")), mk("c", 1, skip("cannot apply"))
	crash := step{name: "p", folder: "p", run: func(string, bool) error { panic("index out of range") }}
	if o := r.do(crash); o.Status != Failed || o.Reason != "panic: index out of range" {
		t.Errorf("a panicking step: %s (%s), want failed with the panic", o.Status, o.Reason)
	}
	after := mk("d", 1, nil, "b")
	want := []Status{Done, Failed, Skipped, Skipped}
	for i, s := range []step{ok, bad, na, after} {
		if o := r.do(s); o.Status != want[i] {
			t.Errorf("%s: %s (%s), want %s", s.name, o.Status, o.Reason, want[i])
		}
	}
	if calls["d"] != 0 {
		t.Error("the step after a failed one ran")
	}
	// Again: a reused, b run again (its folder was not finished: resumed,
	// not fresh).
	r.keys = map[string]string{}
	fresh = nil
	if o := r.do(ok); o.Status != Reused || calls["a"] != 1 {
		t.Errorf("a again: %s after %d calls, want reused", o.Status, calls["a"])
	}
	if o := r.do(bad); o.Status != Failed || calls["b"] != 2 || len(fresh) != 1 || fresh[0] {
		t.Errorf("b again: %s, %d calls, fresh %v: want failed, resumed", o.Status, calls["b"], fresh)
	}
	// Other settings, or other inputs: run afresh.
	if o := r.do(mk("a", 2, nil)); o.Status != Done || calls["a"] != 2 || !fresh[len(fresh)-1] {
		t.Errorf("a with other settings: %s after %d calls, fresh %v", o.Status, calls["a"], fresh)
	}
	r.inputs["data"] = "other"
	if o := r.do(mk("a", 2, nil)); o.Status != Done || calls["a"] != 3 {
		t.Errorf("a on other data: %s after %d calls", o.Status, calls["a"])
	}
}

// An experiment that ran on other inputs and cannot apply on these leaves
// nothing of the earlier run in its folder: only the marker of this run,
// unfinished.
func TestNotApplicableClearsAnEarlierRun(t *testing.T) {
	out := t.TempDir()
	r := &runner{j: Job{Out: out}, keys: map[string]string{}, inputs: map[string]string{"model": "m1"}}
	applies := true
	s := step{name: "sel", folder: "sel", run: func(dir string, fresh bool) error {
		if !applies {
			return skip("the loss is not below chance")
		}
		return os.WriteFile(filepath.Join(dir, "result.json"), []byte("{}"), 0o644)
	}}
	if o := r.do(s); o.Status != Done {
		t.Fatalf("first run: %s (%s)", o.Status, o.Reason)
	}
	r.keys, r.inputs["model"], applies = map[string]string{}, "m2", false
	if o := r.do(s); o.Status != Skipped {
		t.Fatalf("second run: %s (%s), want not run", o.Status, o.Reason)
	}
	es, err := os.ReadDir(filepath.Join(out, "sel"))
	if err != nil || len(es) != 1 || es[0].Name() != MarkerFile {
		t.Errorf("the folder of an experiment not run holds %v (%v), want only %s", es, err, MarkerFile)
	}
	if mk, err := readMarker(filepath.Join(out, "sel")); err != nil || mk.Done {
		t.Errorf("marker %+v (%v), want this run's, not done", mk, err)
	}
}

// The folders at the minimum come first on the page.
func TestPageOrder(t *testing.T) {
	got := pageOrder([]string{"o/hessian", "o/cvh", "o/noise", "o/minimum", "o/cvh-minimum", "o/noise-minimum", "o/escape"})
	want := []string{"o/cvh-minimum", "o/noise-minimum", "o/hessian", "o/cvh", "o/noise", "o/minimum", "o/escape"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%v, want %v", got, want)
		}
	}
}

// A run whose experiments all fail, cannot apply or write nothing the page
// judges is an error (NoResultError, naming the first reason and the
// page), after the run's record and the page listing every reason are
// written.
func TestNoClaimMeasuredIsAnError(t *testing.T) {
	out := t.TempDir()
	r := &runner{j: Job{Out: out, Version: "test"}, keys: map[string]string{}, inputs: map[string]string{"model": "m", "data": "d"}}
	steps := []step{
		{name: "spectrum", folder: "spectrum", run: func(dir string, _ bool) error {
			return os.WriteFile(filepath.Join(dir, "spectrum.txt"), []byte("1 2 3"), 0o644)
		}},
		{name: "covariance", folder: "cvh", run: func(string, bool) error { return errors.New("buffers exhausted") }},
		{name: "selection", folder: "sel", run: func(string, bool) error { return skip("give the held-out rows") }},
	}
	res := &Result{}
	err := r.run(steps, res, &report.Subject{})
	var nr *NoResultError
	if !errors.As(err, &nr) {
		t.Fatalf("err %v, want a NoResultError", err)
	}
	page := filepath.Join(out, "index.html")
	if msg := err.Error(); !strings.Contains(msg, "covariance failed: buffers exhausted") || !strings.Contains(msg, page) || strings.Contains(msg, "\n") {
		t.Errorf("error %q: want one line naming the first failure and %s", msg, page)
	}
	if len(res.Outcomes) != 3 || res.Report == nil {
		t.Fatalf("outcomes %+v, report %v: want three outcomes and the page", res.Outcomes, res.Report)
	}
	var rec runRecord
	if b, err := os.ReadFile(filepath.Join(out, RunFile)); err != nil || json.Unmarshal(b, &rec) != nil || len(rec.Outcomes) != 3 {
		t.Errorf("%s: %+v (%v), want the three outcomes", RunFile, rec, err)
	}
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	for _, why := range []string{"it failed: buffers exhausted", "give the held-out rows"} {
		if !strings.Contains(string(html), why) {
			t.Errorf("the page does not list %q", why)
		}
	}
}

// With a data file (--data) the escape sweeps read its rows as they are:
// a checkpoint trained on MNIST pooled by 4 (its sidecar says pool 4) and
// exported with `sgn data export --pool 4` gives sweeps of pool 0, which
// the sweep's own check accepts; without a data file they pool the MNIST
// images as the checkpoint was trained.
func TestEscapeConfigsPoolWithDataFile(t *testing.T) {
	m, z := tinyEscapeModel(t)
	for _, tc := range []struct {
		data string
		pool int
	}{{"train.safetensors", 0}, {"", 4}} {
		r := &runner{j: Job{Data: tc.data, Out: t.TempDir()}, m: m, meta: model.CheckpointMeta{Pool: 4}, sizes: z}
		cfgs, err := r.escapeConfigs(0.1)
		if err != nil {
			t.Fatalf("data %q: %v", tc.data, err)
		}
		if len(cfgs) != 3 {
			t.Fatalf("data %q: %d sweeps, want 3", tc.data, len(cfgs))
		}
		for name, c := range cfgs {
			if c.Network.Pool != tc.pool || c.Network.Data != tc.data {
				t.Errorf("data %q: %s reads pool %d, data %q; want pool %d", tc.data, name, c.Network.Pool, c.Network.Data, tc.pool)
			}
		}
	}
}

// The true minimum and the network escape steps check --max-memory as the
// other steps do: with a limit of a kilobyte each says it cannot run,
// naming what needs how much, before it computes or writes anything.
func TestMinimumAndEscapeStepsCheckMemory(t *testing.T) {
	m, z := tinyEscapeModel(t)
	out := t.TempDir()
	set := &data.Set{N: 300}
	r := &runner{j: Job{Out: out, MaxMemory: 1024, Workers: 1}, m: m, meta: model.CheckpointMeta{Pool: 4}, set: set, sizes: z}
	mdir := filepath.Join(out, folderMinimum)
	err := r.minimum(mdir, minimum.Settings{Decay: minimum.DefaultDecay, GradTol: minimum.DefaultGradTol, MaxIterations: 10, Workers: 1})
	var na *notApplicable
	if !errors.As(err, &na) || !strings.Contains(err.Error(), "the true minimum's search needs about") || !strings.Contains(err.Error(), "more than the 1.0 KiB (1024 bytes) allowed") {
		t.Errorf("minimum step: %v, want it not run for memory", err)
	}
	if _, err := os.Stat(filepath.Join(mdir, minimum.JSONFile)); err == nil {
		t.Error("the minimum step wrote its report")
	}
	// The escape step reads the minimum's report: one that is a minimum.
	if err := os.MkdirAll(mdir, 0o755); err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(minimum.Report{Params: m.NumParams(), Samples: 300, IsMinimum: true, LambdaMax: 1})
	if err := os.WriteFile(filepath.Join(mdir, minimum.JSONFile), js, 0o644); err != nil {
		t.Fatal(err)
	}
	edir := filepath.Join(out, folderEscape)
	err = r.escape(edir, true)
	if !errors.As(err, &na) || !strings.Contains(err.Error(), "the largest network escape sweep needs about") {
		t.Errorf("escape step: %v, want it not run for memory", err)
	}
	if _, err := os.Stat(edir); err == nil {
		t.Error("the escape step made its folder")
	}
}

// tinyEscapeModel returns a 49-4-10 tanh network and the step sizes of a
// paper on 300 images for it: the smallest case the escape steps accept.
func tinyEscapeModel(t *testing.T) (*model.MLP, Sizes) {
	t.Helper()
	m, err := model.New(model.Config{Layers: []int{49, 4, 10}, Activation: "tanh"})
	if err != nil {
		t.Fatal(err)
	}
	z, err := Size(Shape{N: 300, D: 49, Classes: 10, P: m.NumParams()}, true, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	return m, z
}
