package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/escape/kramers"
	"github.com/sgn-project/sgn/escape/network"
	"github.com/sgn-project/sgn/internal/sweep"
)

// runSgn runs the command line and returns its exit status and output
// (stdout then stderr).
func runSgn(args ...string) (int, string) {
	code, out, errs := run(args...)
	return code, out + errs
}

func TestEscapeRun(t *testing.T) {
	out := filepath.Join(t.TempDir(), "esc")
	code, msg := runSgn("escape", "run", "--landscape", "doublewell", "--barrier", "1", "--sharpness", "1",
		"--dynamics", "sgld", "--temperature", "0.25", "--eta", "0.01", "--runs", "60", "--max-steps", "1000000",
		"--workers", "2", "--out", out, "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	if !strings.Contains(msg, "Theorem 1") || !strings.Contains(msg, "escape.json") {
		t.Errorf("summary lacks the prediction or the files:\n%s", msg)
	}
	b, err := os.ReadFile(filepath.Join(out, "escape.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Version string
		Seed    uint64
		Result  struct {
			Runs                  int      `json:"runs"`
			Escaped               int      `json:"escaped"`
			RatePerTime           *float64 `json:"rate_per_time"`
			RatePerTimeCI         []float64
			MeasuredOverPredicted *float64 `json:"measured_over_predicted"`
		} `json:"result"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Version != version || rep.Result.Runs != 60 || rep.Result.RatePerTime == nil || rep.Result.MeasuredOverPredicted == nil {
		t.Errorf("escape.json: %s", b)
	}
	runs, _ := os.ReadFile(filepath.Join(out, "runs.jsonl"))
	if n := bytes.Count(runs, []byte("\n")); n != 60 {
		t.Errorf("runs.jsonl has %d lines, want 60", n)
	}
	// The same seed gives the same runs with one worker.
	out1 := filepath.Join(t.TempDir(), "esc1")
	if code, msg := runSgn("escape", "run", "--dynamics", "sgld", "--temperature", "0.25", "--eta", "0.01", "--runs", "60",
		"--max-steps", "1000000", "--workers", "1", "--out", out1, "--quiet"); code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	if runs1, _ := os.ReadFile(filepath.Join(out1, "runs.jsonl")); !bytes.Equal(runs, runs1) {
		t.Error("runs.jsonl differs between 1 and 2 workers")
	}
}

const escapeTestConfig = `{
  "seed": %d,
  "landscape": {"name": "%s", "barrier": 1},
  "dynamics": ["sgld", "sgd-diffusion"],
  "sharpness": [1, 2],
  "batch_size": [1, 2],
  "eta": [0.01],
  "temperature": [0.25],
  "runs": 12,
  "max_steps": 20000,
  "criterion": {"kind": "col"}
}`

func writeConfig(t *testing.T, dir string, seed int, landscape string) string {
	t.Helper()
	p := filepath.Join(dir, fmt.Sprintf("sweep-%d-%s.json", seed, landscape))
	if err := os.WriteFile(p, []byte(fmt.Sprintf(escapeTestConfig, seed, landscape)), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEscapeSweepShardsMergeFit(t *testing.T) {
	tmp := t.TempDir()
	cfg := writeConfig(t, tmp, 1, "doublewell")
	whole := filepath.Join(tmp, "whole")
	if code, msg := runSgn("escape", "sweep", "--config", cfg, "--workers", "2", "--out", whole, "--quiet"); code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	sharded := filepath.Join(tmp, "sweep")
	for i := 0; i < 4; i++ {
		if code, msg := runSgn("escape", "sweep", "--config", cfg, "--workers", "1", "--out", sharded, "--shard", fmt.Sprintf("%d/4", i), "--quiet"); code != 0 {
			t.Fatalf("shard %d: exit %d: %s", i, code, msg)
		}
	}
	shards, _ := filepath.Glob(sharded + "-shard-*")
	if len(shards) != 4 {
		t.Fatalf("shard folders %v, want 4", shards)
	}
	// Flags after the folders, as in 'merge out/sweep-shard-* --out out/sweep'.
	if code, msg := runSgn(append(append([]string{"escape", "merge"}, shards...), "--out", sharded)...); code != 0 {
		t.Fatalf("merge: exit %d: %s", code, msg)
	}
	a, _ := os.ReadFile(filepath.Join(whole, "runs.jsonl"))
	b, _ := os.ReadFile(filepath.Join(sharded, "runs.jsonl"))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Error("four merged shards differ from the unsharded sweep")
	}
	code, msg := runSgn("escape", "fit", sharded)
	if code != 0 {
		t.Fatalf("fit: exit %d: %s", code, msg)
	}
	for _, f := range []string{"rates.csv", "fit.json", "fit-sgd-diffusion-vs-batch-size.png", "fit-sgd-diffusion-vs-inv-sharpness.svg", "fit-sgld-vs-log-sharpness.png"} {
		if _, err := os.Stat(filepath.Join(sharded, f)); err != nil {
			t.Errorf("fit did not write %s:\n%s", f, msg)
		}
	}
}

func TestEscapeBadInput(t *testing.T) {
	tmp := t.TempDir()
	good := writeConfig(t, tmp, 1, "doublewell")
	other := writeConfig(t, tmp, 2, "doublewell")
	badLandscape := writeConfig(t, tmp, 1, "volcano")
	badDyn := filepath.Join(tmp, "dyn.json")
	os.WriteFile(badDyn, []byte(strings.Replace(fmt.Sprintf(escapeTestConfig, 1, "doublewell"), `"sgld"`, `"adam"`, 1)), 0o644)
	badEta := filepath.Join(tmp, "eta.json")
	os.WriteFile(badEta, []byte(strings.Replace(fmt.Sprintf(escapeTestConfig, 1, "doublewell"), `[0.01]`, `[0]`, 1)), 0o644)

	// A finished sweep whose files must survive every refused command.
	done := filepath.Join(tmp, "done")
	if code, msg := runSgn("escape", "sweep", "--config", good, "--out", done, "--quiet"); code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	before, _ := os.ReadFile(filepath.Join(done, "runs.jsonl"))
	otherDir := filepath.Join(tmp, "other")
	if code, msg := runSgn("escape", "sweep", "--config", other, "--out", otherDir, "--quiet"); code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}

	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"escape", "sweep", "--config", badLandscape, "--out", done}, 1, "volcano"},
		{[]string{"escape", "sweep", "--config", badDyn, "--out", done}, 1, "adam"},
		{[]string{"escape", "sweep", "--config", badEta, "--out", done}, 1, "eta"},
		{[]string{"escape", "sweep", "--config", other, "--out", done}, 1, "different sweep"},
		{[]string{"escape", "sweep", "--config", good, "--out", done, "--shard", "5/4"}, 2, "5/4"},
		{[]string{"escape", "sweep", "--config", filepath.Join(tmp, "missing.json"), "--out", done}, 1, "missing.json"},
		{[]string{"escape", "merge", done, otherDir, "--out", done}, 1, "different sweeps"},
		{[]string{"escape", "run", "--dynamics", "sgld", "--eta", "0", "--out", done}, 2, "--eta"},
		{[]string{"escape", "run", "--dynamics", "sgd-diffusion", "--batch-size", "-2", "--out", done}, 2, "--batch-size"},
		{[]string{"escape", "run", "--dynamics", "sgld", "--temperature", "0", "--out", done}, 2, "--temperature"},
		{[]string{"escape", "run", "--dynamics", "sgld", "--sharpness", "0", "--out", done}, 2, "--sharpness"},
		{[]string{"escape", "run", "--dynamics", "adam", "--out", done}, 2, "adam"},
		{[]string{"escape", "run", "--dynamics", "sgld", "--landscape", "volcano", "--out", done}, 2, "volcano"},
		{[]string{"escape", "run", "--dynamics", "sgld", "--batch-size", "2", "--out", done}, 2, "--batch-size"},
		{[]string{"escape", "run", "--landscape", "mlp", "--dynamics", "sgd", "--delta", "0.05", "--gd-eta", "0.3", "--out", done}, 2, "--gd-eta"},
		{[]string{"escape", "run", "--landscape", "mlp", "--dynamics", "sgd", "--delta", "0.05", "--minimizer", "gd", "--max-iterations", "5", "--out", done}, 2, "--max-iterations"},
		{[]string{"escape", "run", "--landscape", "mlp", "--dynamics", "sgd", "--delta", "0.05", "--minimizer", "newton", "--out", done}, 2, "newton"},
		{[]string{"escape", "run", "--landscape", "mlp", "--dynamics", "sgd-diffusion", "--delta", "0.05", "--out", done}, 2, "sgd-diffusion"},
		{[]string{"escape", "run", "--landscape", "mlp", "--dynamics", "sgd", "--delta", "0.05", "--weight-decay", "-1", "--out", done}, 2, "--weight-decay -1"},
		{[]string{"escape", "run", "--dynamics", "sgld", "--layers", "49,8,10", "--out", done}, 2, "--layers"},
		{[]string{"escape", "fit", filepath.Join(tmp, "nothing")}, 1, "not a sweep folder"},
		{[]string{"escape", "jump"}, 2, "jump"},
	}
	for _, c := range cases {
		code, msg := runSgn(c.args...)
		if code != c.code || !strings.Contains(msg, c.want) {
			t.Errorf("%v: exit %d, output %q; want exit %d mentioning %q", c.args[1:], code, msg, c.code, c.want)
		}
	}
	if after, _ := os.ReadFile(filepath.Join(done, "runs.jsonl")); !bytes.Equal(before, after) {
		t.Error("a refused command changed runs.jsonl")
	}

	for _, sub := range []string{"run", "sweep", "merge", "fit"} {
		code, msg := runSgn("escape", sub, "-h")
		if code != 0 || !strings.Contains(msg, "Example:") || !strings.Contains(msg, "sgn escape "+sub) {
			t.Errorf("escape %s -h: exit %d, output %q", sub, code, msg)
		}
	}
}

func TestEscapeConfigs(t *testing.T) {
	code, msg := runSgn("escape", "configs")
	if code != 0 || !strings.Contains(msg, "mlp-batch-size") || !strings.Contains(msg, "doublewell-eta") {
		t.Fatalf("exit %d: %s", code, msg)
	}
	dir := filepath.Join(t.TempDir(), "cfg")
	code, msg = runSgn("escape", "configs", "mlp-batch-size", "--out", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	b, err := os.ReadFile(filepath.Join(dir, "mlp-batch-size.json"))
	if err != nil || string(b) != msg {
		t.Fatalf("printed config and written file differ (%v)", err)
	}
	if _, err := kramers.ParseConfig(bytes.NewReader(b), "printed"); err != nil {
		t.Errorf("the printed config does not parse: %v", err)
	}
	for _, args := range [][]string{{"escape", "configs", "nope"}, {"escape", "sweep", "--config", "builtin:nope", "--out", dir}} {
		if code, msg := runSgn(args...); code != 2 || !strings.Contains(msg, "nope") {
			t.Errorf("%v: exit %d, %q", args, code, msg)
		}
	}
	for _, sub := range []string{"configs", "figure"} {
		code, msg := runSgn("escape", sub, "-h")
		if code != 0 || !strings.Contains(msg, "Example:") || !strings.Contains(msg, "sgn escape "+sub) {
			t.Errorf("escape %s -h: exit %d, output %q", sub, code, msg)
		}
	}
}

// TestEscapeNetworkSweep: a tiny network sweep from a config file writes
// the minimum and network.json, and fits.
func TestEscapeNetworkSweep(t *testing.T) {
	if _, err := data.FindMNIST(""); err != nil {
		t.Skipf("MNIST not found: %v", err)
	}
	tmp := t.TempDir()
	cfg := filepath.Join(tmp, "net.json")
	if err := os.WriteFile(cfg, []byte(`{"seed": 3, "network": {"layers": [49, 4, 10], "first": 100, "check_every": 5},
 "dynamics": ["sgd"], "sharpness": [1], "batch_size": [2, 4], "eta": [0.3], "runs": 5, "max_steps": 300,
 "criterion": {"kind": "loss", "delta": 0.01}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(tmp, "sweep")
	code, msg := runSgn("escape", "sweep", "--config", cfg, "--out", out, "--workers", "2", "--quiet")
	if code != 0 || !strings.Contains(msg, "λmax") {
		t.Fatalf("exit %d: %s", code, msg)
	}
	for _, f := range []string{"minimum.json", "network.json", "runs.jsonl"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	if code, msg := runSgn("escape", "fit", out); code != 0 || !strings.Contains(msg, "sgd") {
		t.Errorf("fit: exit %d: %s", code, msg)
	}
	bad := filepath.Join(tmp, "bad.json")
	os.WriteFile(bad, []byte(`{"seed": 3, "network": {}, "dynamics": ["sgd"], "sharpness": [1], "batch_size": [2], "eta": [0.3], "runs": 5, "max_steps": 300, "criterion": {"kind": "col"}}`), 0o644)
	if code, msg := runSgn("escape", "sweep", "--config", bad, "--out", filepath.Join(tmp, "x")); code != 1 || !strings.Contains(msg, "criterion") {
		t.Errorf("col criterion on a network: exit %d, %q", code, msg)
	}
}

// TestEscapeFigureQuick: the figure command runs its six quick sweeps and
// draws the figure.
func TestEscapeFigureQuick(t *testing.T) {
	if _, err := data.FindMNIST(""); err != nil {
		t.Skipf("MNIST not found: %v", err)
	}
	out := filepath.Join(t.TempDir(), "fig")
	code, msg := runSgn("escape", "figure", "--quick", "--out", out, "--workers", "2", "--quiet")
	if code != 0 || !strings.Contains(msg, "(f) double well") {
		t.Fatalf("exit %d: %s", code, msg)
	}
	for _, f := range []string{"escape-figure.png", "escape-figure.svg", "figure.json", "mlp-eta-quick/rates.csv", "doublewell-eta-quick/fit.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
}

// TestEscapeRunDeprecatedD: --D still sets the temperature, with one
// deprecation line on stderr, and gives the runs of --temperature.
func TestEscapeRunDeprecatedD(t *testing.T) {
	tmp := t.TempDir()
	var files [][]byte
	for _, flagName := range []string{"--temperature", "--D"} {
		out := filepath.Join(tmp, flagName[2:])
		code, stdout, stderr := run("escape", "run", "--dynamics", "sgld", flagName, "0.3", "--eta", "0.01", "--runs", "20",
			"--max-steps", "200000", "--workers", "2", "--out", out, "--quiet")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s%s", flagName, code, stdout, stderr)
		}
		if want := flagName == "--D"; strings.Contains(stderr, "sgn: --D is deprecated for escape run; use --temperature") != want {
			t.Errorf("%s: stderr %q", flagName, stderr)
		}
		b, err := os.ReadFile(filepath.Join(out, "runs.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, b)
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Error("--D and --temperature give different runs")
	}
}

// An escape run into the folder of an earlier run starts clean (a notice
// on stderr, the same files as in a new folder); into a sweep or a shard it
// is refused (exit 1, one line) and the sweep's files stay as they were, as
// they do after a refused flag; a sweep refuses the folder of a single run.
func TestEscapeRunRecognisesTheFolder(t *testing.T) {
	tmp := t.TempDir()
	runArgs := func(out string, extra ...string) []string {
		return append([]string{"escape", "run", "--dynamics", "sgld", "--temperature", "0.25", "--eta", "0.01",
			"--max-steps", "100000", "--workers", "2", "--out", out}, extra...)
	}
	dir := filepath.Join(tmp, "run")
	if code, _, stderr := run(runArgs(dir, "--runs", "20", "--quiet")...); code != 0 {
		t.Fatal(stderr)
	}
	code, _, stderr := run(runArgs(dir, "--runs", "7", "--seed", "3")...)
	if code != 0 || !strings.Contains(stderr, "removed the earlier run's escape.json, runs.jsonl from "+dir) {
		t.Fatalf("second run: exit %d, stderr %q", code, stderr)
	}
	fresh := filepath.Join(tmp, "fresh")
	if code, _, stderr := run(runArgs(fresh, "--runs", "7", "--seed", "3", "--quiet")...); code != 0 {
		t.Fatal(stderr)
	}
	a, _ := os.ReadFile(filepath.Join(dir, kramers.RunsFile))
	b, _ := os.ReadFile(filepath.Join(fresh, kramers.RunsFile))
	if !bytes.Equal(a, b) || bytes.Count(a, []byte("\n")) != 7 {
		t.Errorf("runs.jsonl of the second run into a used folder differs from a fresh folder's:\n%s\n%s", a, b)
	}

	sweepDir := filepath.Join(tmp, "sweep")
	cfg := writeConfig(t, tmp, 1, "doublewell")
	if code, msg := runSgn("escape", "sweep", "--config", cfg, "--out", sweepDir, "--quiet"); code != 0 {
		t.Fatal(msg)
	}
	if code, msg := runSgn("escape", "sweep", "--config", cfg, "--out", sweepDir+"-x", "--shard", "1/3", "--quiet"); code != 0 {
		t.Fatal(msg)
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{runArgs(sweepDir, "--runs", "5"), 1, "holds escape sweep"},
		{runArgs(sweepDir+"-x-shard-1", "--runs", "5"), 1, "holds shard 1/3 of escape sweep"},
		{runArgs(dir, "--runs", "0"), 2, "--runs"},
		{[]string{"escape", "sweep", "--config", cfg, "--out", dir, "--quiet"}, 1, "holds the results of an earlier escape run"},
	} {
		d := c.args[len(c.args)-3]
		if c.args[1] == "sweep" {
			d = dir
		}
		before := folderSnapshot(d)
		code, _, stderr := run(c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and one line with %q", c.args, code, stderr, c.code, c.want)
		}
		if folderSnapshot(d) != before {
			t.Errorf("%v changed the files of %s", c.args, d)
		}
	}
}

// writeSyntheticMNIST writes the four MNIST files of n random training
// images and 10 test images into a new folder and returns it.
func writeSyntheticMNIST(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	rng := uint64(12345)
	next := func() byte { rng = rng*6364136223846793005 + 1442695040888963407; return byte(rng >> 56) }
	write := func(name string, dims []int, label bool) {
		var raw bytes.Buffer
		binary.Write(&raw, binary.BigEndian, uint32(0x0800|len(dims)))
		size := 1
		for _, d := range dims {
			binary.Write(&raw, binary.BigEndian, uint32(d))
			size *= d
		}
		for range size {
			b := next()
			if label {
				b %= 10
			}
			raw.WriteByte(b)
		}
		var gz bytes.Buffer
		z := gzip.NewWriter(&gz)
		z.Write(raw.Bytes())
		z.Close()
		if err := os.WriteFile(filepath.Join(dir, name), gz.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(data.TrainImagesFile, []int{n, data.Side, data.Side}, false)
	write(data.TrainLabelsFile, []int{n}, true)
	write(data.TestImagesFile, []int{10, data.Side, data.Side}, false)
	write(data.TestLabelsFile, []int{10}, true)
	return dir
}

// escape run --mnist trains the network minimum on the images of that
// folder; minimum.json records their digest and the version, and a run on
// other images into the same folder does not reuse that minimum.
func TestEscapeRunMNISTFlag(t *testing.T) {
	mnistOrSkip(t)
	synth := writeSyntheticMNIST(t, 60)
	set, err := data.Load(data.Options{Dir: synth, Split: "train", Pool: 4, First: 50})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "esc")
	args := []string{"escape", "run", "--landscape", "mlp", "--layers", "49,3,10", "--first", "50", "--minimizer", "gd", "--gd-max-steps", "30",
		"--dynamics", "sgd", "--batch-size", "5", "--eta", "0.1", "--delta", "0.05", "--runs", "2", "--max-steps", "20", "--workers", "1", "--out", out, "--quiet"}
	minimum := func() (m struct {
		Version string
		Data    data.Selection
	}) {
		b, err := os.ReadFile(filepath.Join(out, network.MinimumFile))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	if code, _, stderr := run(append(args, "--mnist", synth)...); code != 0 {
		t.Fatal(stderr)
	}
	m := minimum()
	if m.Version != version || m.Data.MNIST == "" || m.Data.MNIST != set.Selected().MNIST {
		t.Errorf("minimum.json: version %q, images %q; want %q and the synthetic images' %q", m.Version, m.Data.MNIST, version, set.Selected().MNIST)
	}
	if code, _, stderr := run(args...); code != 0 {
		t.Fatal(stderr)
	}
	if m2 := minimum(); m2.Data.MNIST == m.Data.MNIST {
		t.Errorf("a run on the default MNIST reused the minimum of the synthetic images")
	}
	if code, _, stderr := run("escape", "sweep", "--config", writeConfig(t, t.TempDir(), 1, "doublewell"), "--mnist", synth, "--out", out+"-sweep"); code != 2 || !strings.Contains(stderr, "--mnist") {
		t.Errorf("--mnist on an analytic sweep: exit %d, %q", code, stderr)
	}

	// A network sweep resumed on other images is refused: its runs would
	// start from two different minima. Its files stay as they were.
	cfg := filepath.Join(t.TempDir(), "net.json")
	os.WriteFile(cfg, []byte(`{"seed": 3, "network": {"layers": [49, 3, 10], "first": 50, "minimizer": "gd", "gd_max_steps": 30},
 "dynamics": ["sgd"], "sharpness": [1], "batch_size": [5], "eta": [0.1], "runs": 2, "max_steps": 20,
 "criterion": {"kind": "loss", "delta": 0.05}}`), 0o644)
	sw := out + "-net"
	if code, _, stderr := run("escape", "sweep", "--config", cfg, "--mnist", synth, "--out", sw, "--workers", "1", "--quiet"); code != 0 {
		t.Fatal(stderr)
	}
	before := folderSnapshot(sw)
	if code, _, stderr := run("escape", "sweep", "--config", cfg, "--out", sw, "--workers", "1", "--quiet"); code != 1 || !strings.Contains(stderr, "other images") && !strings.Contains(stderr, "not on these") {
		t.Errorf("sweep resumed on other images: exit %d, %q", code, stderr)
	}
	if folderSnapshot(sw) != before {
		t.Error("the refused resume changed the sweep's files")
	}
	if code, _, stderr := run("equilibrium", "escape", "--sweep", sw, "--runs", "1", "--top-k", "2", "--out", sw+"-eq", "--quiet"); code != 1 || !strings.Contains(stderr, "not on these") {
		t.Errorf("equilibrium escape of that sweep on other images: exit %d, %q", code, stderr)
	}
	if code, _, stderr := run("equilibrium", "escape", "--sweep", sw, "--mnist", synth, "--runs", "1", "--top-k", "2", "--out", sw+"-eq", "--quiet"); code != 0 {
		t.Errorf("equilibrium escape with the sweep's --mnist: exit %d, %q", code, stderr)
	}
}

// TestEscapeRunMatchNoise: --match-noise sets SGLD's D from the noise of
// SGD with --batch-size B at the minimum (1-D double well, ΔL = 1: tr C =
// 8/B, D = η·tr C/2), reports it on stdout and in escape.json; it refuses
// another dynamics, a --temperature beside it and a missing --batch-size.
func TestEscapeRunMatchNoise(t *testing.T) {
	out := filepath.Join(t.TempDir(), "mn")
	code, stdout, stderr := run("escape", "run", "--dynamics", "sgld", "--match-noise", "--batch-size", "2", "--eta", "0.05",
		"--runs", "4", "--max-steps", "1000", "--out", out, "--quiet")
	if code != 0 || !strings.Contains(stdout, "tr C = 4 over n = 1 coordinates, so D = η·tr C/(2n) = 0.1") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	b, err := os.ReadFile(filepath.Join(out, "escape.json"))
	if err != nil || !strings.Contains(string(b), `"matched_noise"`) || !strings.Contains(string(b), `"temperature": 0.1`) {
		t.Errorf("escape.json: %v %s", err, b)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--dynamics", "sgd-diffusion", "--batch-size", "2"}, "--match-noise sets the temperature of --dynamics sgld"},
		{[]string{"--dynamics", "sgld", "--batch-size", "2", "--temperature", "1"}, "give one"},
		{[]string{"--dynamics", "sgld"}, "--match-noise needs --batch-size"},
	} {
		args := append([]string{"escape", "run", "--match-noise", "--out", out}, c.args...)
		if code, _, stderr := run(args...); code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, %q; want %q", c.args, code, stderr, c.want)
		}
	}
}

// TestEscapeRunDataFile: escape run on an MNIST selection exported by
// data export and read through --data writes the same runs as on MNIST
// with --first, and its minimum.json records the file and its SHA-256.
func TestEscapeRunDataFile(t *testing.T) {
	mnist := mnistOrSkip(t)
	tmp := t.TempDir()
	file := filepath.Join(tmp, "x.safetensors")
	if code, _, errs := run("data", "export", "--mnist", mnist, "--pool", "4", "--first", "50", "--out", file, "--quiet"); code != 0 {
		t.Fatal(errs)
	}
	args := []string{"escape", "run", "--landscape", "mlp", "--layers", "49,3,10", "--minimizer", "gd", "--gd-max-steps", "30",
		"--dynamics", "sgd", "--batch-size", "5", "--eta", "0.1", "--delta", "0.05", "--runs", "3", "--max-steps", "40", "--workers", "1", "--quiet"}
	a, b := filepath.Join(tmp, "a"), filepath.Join(tmp, "b")
	if code, _, errs := run(append(args, "--mnist", mnist, "--first", "50", "--out", a)...); code != 0 {
		t.Fatal(errs)
	}
	if code, _, errs := run(append(args, "--data", file, "--out", b)...); code != 0 {
		t.Fatal(errs)
	}
	ra, _ := os.ReadFile(filepath.Join(a, sweep.RunsFile))
	rb, _ := os.ReadFile(filepath.Join(b, sweep.RunsFile))
	if len(ra) == 0 || !bytes.Equal(ra, rb) {
		t.Errorf("runs on --data differ from the runs on MNIST:\n%s\n%s", rb, ra)
	}
	var m struct{ Data data.Selection }
	readJSON(t, filepath.Join(b, network.MinimumFile), &m)
	if m.Data.File != file || m.Data.FileSHA256 != sha256Hex(t, file) || m.Data.N != 50 {
		t.Errorf("minimum.json data %+v", m.Data)
	}
	if code, _, errs := run(append(args, "--data", file, "--pool", "4", "--out", filepath.Join(tmp, "c"))...); code != 2 || !strings.Contains(errs, "--pool and --data") {
		t.Errorf("--pool with --data: exit %d, %q", code, errs)
	}
	if code, _, errs := run(append(args[:4:4], "--layers", "50,3,10", "--dynamics", "sgd", "--delta", "0.05", "--runs", "1", "--max-steps", "5", "--quiet", "--data", file, "--out", filepath.Join(tmp, "d"))...); code != 1 || !strings.Contains(errs, file) || !strings.Contains(errs, "50 inputs") {
		t.Errorf("a network that does not fit the file: exit %d, %q", code, errs)
	}
}

// TestEscapeDivergenceStops: an escape run whose step size is far too large
// (η = 1e300: θ is not finite after a step or two), on the double well and
// on a network, stops with exit 1 and one line saying it diverged, and
// writes no results.
func TestEscapeDivergenceStops(t *testing.T) {
	mnistOrSkip(t)
	tmp := t.TempDir()
	for name, args := range map[string][]string{
		"double well": {"escape", "run", "--landscape", "doublewell", "--dynamics", "sgld", "--temperature", "0.2", "--runs", "4"},
		"network": {"escape", "run", "--landscape", "mlp", "--layers", "49,8,10", "--first", "100", "--dynamics", "sgd", "--batch-size", "10",
			"--criterion", "loss", "--delta", "0.01", "--runs", "4", "--max-steps", "100"},
	} {
		out := filepath.Join(tmp, strings.ReplaceAll(name, " ", "-"))
		code, _, errs := run(append(args, "--eta", "1e300", "--out", out, "--quiet")...)
		if code != 1 || strings.Count(strings.TrimSpace(errs), "\n") != 0 || !strings.HasPrefix(errs, "sgn escape run: ") || !strings.Contains(errs, "diverged") {
			t.Errorf("%s: exit %d, %q; want exit 1 and one line saying the run diverged", name, code, errs)
		}
		for _, f := range []string{"escape.json", "runs.jsonl"} {
			if _, err := os.Stat(filepath.Join(out, f)); err == nil {
				t.Errorf("%s: a diverged run wrote %s", name, f)
			}
		}
	}
}
