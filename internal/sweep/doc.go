// Package sweep runs a grid of independent, seeded runs into a folder that
// can be sharded, resumed and merged; it does not know what a run computes.
//
// A sweep is P points × R runs. Run r of point p has the task index
// t = p·R + r and the seed seed.Derive(s, p, r) of the sweep seed s, so a
// result depends on the sweep seed, the point and the run only — never on
// the number of workers, on sharding or on interruptions.
//
// A caller describes one kind of sweep once, as a Kind[C, R]: C is its
// configuration (recorded in config.json, identified by a hash), R the
// JSON-able result of one run. Then:
//
//   - Kind.Run(dir, cfg, run, opt) computes the runs of cfg (or of one
//     Shard "i/n" of them) with run(Task) on Options.Workers goroutines and
//     appends one line per run to dir/runs.jsonl, in task order, each line
//     with one write. Started again on the same folder it resumes: complete
//     lines are kept, an incomplete last line (an interrupted write) is
//     dropped and only the missing runs are computed. A folder of another
//     configuration (hash) or another shard is refused before anything is
//     written.
//   - Kind.Read(dir) reads a folder back and checks every line: the point
//     and run in the grid and in the shard, the seed as derived, no
//     duplicates, and the caller's own check of the result.
//   - Kind.Merge(out, inputs, opt) combines shard folders (or partial
//     copies) of one sweep into one folder sorted by (point, run), refusing
//     different sweeps and runs recorded differently; files named in
//     MergeOptions.Copy (e.g. a cache every shard prepares alike) are copied.
//   - Execute computes a list of tasks without a folder; WriteRuns writes
//     records as runs.jsonl.
//
// Files of a sweep folder:
//
//	config.json  {"version", "hash", "shard" ("i/n", absent for a whole
//	             sweep), "points", "total_runs", "config": C}, indented
//	runs.jsonl   one object per line: {"point":p,"run":r,"seed":s, …the
//	             fields of R…}, sorted by (point, run) once complete
//
// Shards: task t belongs to shard i of n when t mod n = i (0 ≤ i < n), so
// every shard gets runs of every point.
package sweep
