package kramers

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/escape/network"
)

// InspectFolder tells a fresh folder, a single run, a sweep, a shard and
// another program's config.json apart, and StartRun refuses what a single
// run must not overwrite (leaving it as it was) and cleans an earlier run,
// keeping the minimum of the same network.
func TestInspectFolderAndStartRun(t *testing.T) {
	tmp := t.TempDir()
	cfg := smallConfig(1)
	sweepDir, shardDir := filepath.Join(tmp, "sweep"), filepath.Join(tmp, "shard")
	runSweep(t, sweepDir, cfg, SweepOptions{Workers: 2})
	runSweep(t, shardDir, cfg, SweepOptions{Workers: 2, Shard: Shard{Index: 1, Count: 3}})
	other := filepath.Join(tmp, "other")
	os.MkdirAll(other, 0o755)
	os.WriteFile(filepath.Join(other, ConfigFile), []byte(`{"hash": "x", "config": {"replicas": 4}}`), 0o644)
	one := filepath.Join(tmp, "one")
	single := Config{Seed: 1, Landscape: escape.LandscapeSpec{Name: escape.DoubleWellName, Barrier: 1}, Dynamics: []escape.Dynamics{escape.SGLD},
		Sharpness: []float64{1}, Eta: []float64{0.01}, Temperature: []float64{0.25}, Runs: 5, MaxSteps: 1000, Criterion: escape.Criterion{Kind: escape.CriterionCol}}
	if _, err := RunOne(one, single, RunOptions{Workers: 1}); err != nil {
		t.Fatal(err)
	}
	stopped := filepath.Join(tmp, "stopped") // a run stopped before escape.json
	os.MkdirAll(stopped, 0o755)
	os.WriteFile(filepath.Join(stopped, RunsFile), nil, 0o644)
	for _, c := range []struct {
		dir  string
		kind FolderKind
	}{{filepath.Join(tmp, "missing"), FolderFresh}, {tmp, FolderFresh}, {one, FolderRun}, {stopped, FolderRun},
		{sweepDir, FolderSweep}, {shardDir, FolderShard}, {other, FolderOther}} {
		f, err := InspectFolder(c.dir)
		if err != nil || f.Kind != c.kind {
			t.Errorf("%s: %v (%v), want kind %d", c.dir, f, err, c.kind)
		}
		if c.kind == FolderSweep || c.kind == FolderShard {
			if f.Hash != cfg.Hash() {
				t.Errorf("%s: hash %s, want %s", c.dir, f.Hash, cfg.Hash())
			}
		}
	}

	for _, d := range []string{sweepDir, shardDir, other} {
		before, _ := os.ReadFile(filepath.Join(d, RunsFile))
		if _, err := StartRun(d, single); !errors.Is(err, ErrFolderTaken) {
			t.Errorf("StartRun(%s): %v, want ErrFolderTaken", d, err)
		}
		if _, err := RunOne(d, single, RunOptions{Workers: 1}); !errors.Is(err, ErrFolderTaken) {
			t.Errorf("RunOne(%s): %v, want ErrFolderTaken", d, err)
		}
		if after, _ := os.ReadFile(filepath.Join(d, RunsFile)); string(after) != string(before) {
			t.Errorf("a refused run changed %s/%s", d, RunsFile)
		}
	}

	// An earlier network run's minimum is kept for the same network only.
	net := network.Spec{Layers: []int{49, 4, 10}, InitSeed: 2, First: 100}
	spec := net.Normalized()
	if err := (&network.Minimum{Spec: spec, Theta: []float64{1}}).Write(one); err != nil {
		t.Fatal(err)
	}
	same := single
	same.Network = &net
	if gone, err := StartRun(one, same); err != nil || !reflect.DeepEqual(gone, []string{RunFile, RunsFile}) {
		t.Errorf("same network: removed %v (%v), want escape.json and runs.jsonl", gone, err)
	}
	if gone, err := StartRun(one, single); err != nil || !reflect.DeepEqual(gone, []string{network.MinimumFile}) {
		t.Errorf("analytic run after a network run: removed %v (%v), want minimum.json", gone, err)
	}
	if f, _ := InspectFolder(one); f.Kind != FolderFresh {
		t.Errorf("after StartRun the folder holds %v", f)
	}
}
