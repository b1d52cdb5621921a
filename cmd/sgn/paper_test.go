package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/internal/report"
)

// sgn paper --quick on a network and data written by PyTorch (a 6-5-4-3
// GELU network, 48 rows of 3 classes): every experiment that applies runs,
// the page records the model and the data, the one that cannot apply
// (minima selection without held-out rows) is listed with the reason, and
// a rerun reuses every folder.
func TestPaperQuick(t *testing.T) {
	ckpt := filepath.Join("..", "..", "model", "testdata", "torch", "model_f32.safetensors")
	dataFile := filepath.Join("..", "..", "model", "testdata", "torch", "data.safetensors")
	out := filepath.Join(t.TempDir(), "paper")
	args := []string{"paper", "--checkpoint", ckpt, "--data", dataFile, "--quick", "--workers", "2", "--quiet", "--out", out}
	code, stdout, stderr := run(args...)
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, stderr, stdout)
	}
	for _, dir := range []string{"hessian", "cvh", "noise", "minimum", "cvh-minimum", "noise-minimum", "equilibrium", "escape"} {
		if !strings.Contains(stdout, filepath.Join(out, dir)) || strings.Contains(stdout, "failed") {
			t.Errorf("%s: not done:\n%s", dir, stdout)
		}
	}
	var rec struct {
		Sizes struct {
			First        int   `json:"first"`
			NoiseBatches []int `json:"noise_batches"`
		} `json:"sizes"`
		Outcomes []struct{ Status string } `json:"outcomes"`
	}
	if b, err := os.ReadFile(filepath.Join(out, "paper.json")); err != nil || json.Unmarshal(b, &rec) != nil ||
		rec.Sizes.First != 48 || len(rec.Sizes.NoiseBatches) != 1 || rec.Sizes.NoiseBatches[0] != 4 || len(rec.Outcomes) != 9 {
		t.Errorf("paper.json: %+v (%v)", rec, err)
	}
	b, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r report.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	s := r.Provenance.Subject
	if s == nil || s.Model.File != ckpt || len(s.Model.SHA256) != 64 || s.Model.Params != 74 || s.Model.Activation != "gelu" ||
		s.Model.DType != "F32" || !s.Model.Widened || s.Data.N != 48 || s.Data.D != 6 || s.Data.Classes != 3 || len(s.Data.SHA256) != 64 {
		t.Errorf("subject %+v", s)
	}
	var sel bool
	for _, n := range r.Provenance.NotRun {
		sel = sel || strings.Contains(n.Experiment, "selection on networks") && strings.Contains(n.Reason, "--test")
	}
	if !sel {
		t.Errorf("minima selection not listed as not run for want of --test: %+v", r.Provenance.NotRun)
	}
	measured := map[string]bool{}
	for _, c := range r.Claims {
		measured[c.ID] = c.Measured()
	}
	for _, id := range []string{"cvh-minimum", "cvh-trained", "cvh-random-departs", "equilibrium-sgd", "noise-gaussian-b4", "sgd-theorem2-network"} {
		if !measured[id] {
			t.Errorf("claim %s not measured", id)
		}
	}
	if _, ok := measured["sgd-theorem2-doublewell"]; ok {
		t.Error("a claim on the double well is on the page of a network")
	}
	page, err := os.ReadFile(filepath.Join(out, "index.html"))
	if err != nil || !strings.Contains(string(page), "not run, because") || !strings.Contains(string(page), s.Model.SHA256) {
		t.Errorf("the page lacks the experiments not run or the model (%v)", err)
	}
	code, stdout, stderr = run(args...)
	if code != 0 || strings.Count(stdout, " reused ") != 8 {
		t.Errorf("rerun: exit %d, want 8 folders reused:\n%s%s", code, stdout, stderr)
	}
}

// Bad flags are usage errors naming the flag.
func TestPaperUsage(t *testing.T) {
	ckpt := filepath.Join("..", "..", "model", "testdata", "torch", "model_f32.safetensors")
	out := filepath.Join(t.TempDir(), "p")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--out", out}, "--checkpoint"},
		{[]string{"--checkpoint", ckpt}, "--out"},
		{[]string{"--checkpoint", ckpt, "--out", out, "--quick", "--budget", "1h"}, "--budget"},
		{[]string{"--checkpoint", ckpt, "--out", out, "--budget", "-1h"}, "--budget"},
		{[]string{"--checkpoint", ckpt, "--out", out, "--budget", "0s"}, "--budget 0"},
		{[]string{"--checkpoint", ckpt, "--out", out, "--quick", "--budget", "0"}, "--budget 0"},
		{[]string{"--checkpoint", ckpt, "--out", out, "--test", "t.npz"}, "--test"},
	} {
		code, _, stderr := run(append([]string{"paper"}, c.args...)...)
		if code != 2 || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
			t.Errorf("%v: exit %d, %q: want 2 naming %s", c.args, code, stderr, c.want)
		}
	}
}
