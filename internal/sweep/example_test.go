package sweep_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sgn-project/sgn/internal/sweep"
)

// coinConfig is a sweep of coin tosses: Points coins, Runs tosses each.
type coinConfig struct {
	Seed   uint64 `json:"seed"`
	Points int    `json:"points"`
	Runs   int    `json:"runs"`
}

// coinResult is one toss.
type coinResult struct {
	Heads bool `json:"heads"`
}

// Example runs a sweep in two shards, merges them and reads the result
// back: the machinery needs a grid and a hash from the configuration and a
// function from a task to a JSON result. The seeds are SplitMix64 chained
// over (7, point, run), checked against an independent implementation.
func Example() {
	kind := sweep.Kind[coinConfig, coinResult]{
		Grid: func(c *coinConfig) (sweep.Grid, string, error) {
			return sweep.Grid{Points: c.Points, Runs: c.Runs, Seed: c.Seed}, fmt.Sprintf("coins-%d-%d-%d", c.Seed, c.Points, c.Runs), nil
		},
	}
	toss := func(t sweep.Task) (coinResult, error) { return coinResult{Heads: t.Seed%2 == 0}, nil }
	tmp, _ := os.MkdirTemp("", "sweep-example")
	defer os.RemoveAll(tmp)
	cfg := coinConfig{Seed: 7, Points: 2, Runs: 3}
	var shards []string
	for i := range 2 {
		dir := filepath.Join(tmp, fmt.Sprint("shard-", i))
		sum, err := kind.Run(dir, cfg, toss, sweep.Options{Workers: 2, Shard: sweep.Shard{Index: i, Count: 2}})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("shard %d/2: %d runs\n", i, sum.Total)
		shards = append(shards, dir)
	}
	merged := filepath.Join(tmp, "merged")
	if _, err := kind.Merge(merged, shards, sweep.MergeOptions{}); err != nil {
		fmt.Println(err)
		return
	}
	d, err := kind.Read(merged)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range d.Runs {
		fmt.Printf("point %d run %d: seed %d heads %t\n", r.Point, r.Run, r.Seed, r.Result.Heads)
	}
	b, _ := os.ReadFile(filepath.Join(merged, sweep.RunsFile))
	fmt.Println("first line:", strings.SplitN(string(b), "\n", 2)[0])
	// Output:
	// shard 0/2: 3 runs
	// shard 1/2: 3 runs
	// point 0 run 0: seed 11241344834629033336 heads true
	// point 0 run 1: seed 17770702679626417888 heads true
	// point 0 run 2: seed 5398316625919644772 heads true
	// point 1 run 0: seed 8075172986249684972 heads true
	// point 1 run 1: seed 14574897457539200646 heads true
	// point 1 run 2: seed 1650069959653123811 heads false
	// first line: {"point":0,"run":0,"seed":11241344834629033336,"heads":true}
}
