#!/usr/bin/env bash
# Same outputs across a refactoring: builds bin/sgn at two commits, runs small
# versions of `make figure`, `make escape-figure`, `make selection-figure`,
# `make equilibrium-figure` and `sgn noise` with each binary into its own
# folder, and compares every file the two wrote. JSON and JSON-lines files
# are compared with their version and timing fields removed (see NOISE
# below); every other file (CSV, safetensors, PNG, SVG, text) byte for byte.
#
#   .ci/same-outputs.sh [OLD [NEW]]     default: OLD = main, NEW = HEAD
#
# Each commit is checked out into a temporary worktree, so the working tree
# is not touched; KEEP=1 keeps the output folders. Exit status 0 when every
# file is the same, 1 when one differs (each difference is listed), 2 on
# usage errors. Takes a few minutes on two cores.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
old=${1:-main}
new=${2:-HEAD}
if [ $# -gt 2 ]; then
  echo "usage: .ci/same-outputs.sh [OLD [NEW]]" >&2
  exit 2
fi
# Resolved once: a branch that moves while the script runs does not matter.
old_id=$(git rev-parse --verify --quiet "$old^{commit}") || { echo "same-outputs: $old: not a commit" >&2; exit 2; }
new_id=$(git rev-parse --verify --quiet "$new^{commit}") || { echo "same-outputs: $new: not a commit" >&2; exit 2; }
command -v python3 >/dev/null || { echo "same-outputs: python3 is missing (it compares the JSON files)" >&2; exit 1; }

tmp=$(mktemp -d)
cleanup() {
  for w in "$tmp"/src-*; do [ -d "$w" ] && git -C "$repo" worktree remove --force "$w" >/dev/null 2>&1 || true; done
  if [ "${KEEP:-}" = 1 ]; then echo "same-outputs: outputs kept in $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
say() { echo "same-outputs: $*" >&2; }

# A small sweep of training runs for `sgn selection networks` (the builtin
# one trains 24 networks for 400 epochs).
cat >"$tmp/networks.json" <<'EOF'
{
  "seed": 1,
  "model": {"layers": [49, 8, 10], "activation": "tanh", "init": "auto", "seed": 1},
  "pool": 4,
  "train_first": 500,
  "test_first": 500,
  "batch_sizes": [16, 64],
  "etas": [0.1],
  "epochs": 3,
  "runs": 1,
  "engine": "gorgonia",
  "exact_trace_max_params": 3000
}
EOF

# run BIN OUT: the small versions of the make targets with binary BIN.
run() {
  local sgn=$1 o=$2
  mkdir -p "$o"
  # make figure
  "$sgn" train --preset figure --out "$o/figure-model" --quiet >/dev/null
  "$sgn" covariance --checkpoint "$o/figure-model/model.safetensors" --first 2000 --batch-size 64 --out "$o/cvh" --quiet >/dev/null
  # sgn noise
  "$sgn" noise --checkpoint "$o/figure-model/model.safetensors" --first 1000 --minibatches 200 --workers 2 --out "$o/noise" --quiet >/dev/null
  # make escape-figure (quick), then the escape displacement of its network sweep
  "$sgn" escape figure --quick --out "$o/escape-figure" --workers 2 --quiet >/dev/null
  local mlp
  mlp=$(find "$o/escape-figure" -name minimum.json -printf '%h\n' | sort | head -1)
  "$sgn" equilibrium escape --sweep "$mlp" --runs 4 --top-k 5 --workers 2 --out "$o/escape-fraction" --quiet >/dev/null
  # make selection-figure (quick two-well, small network sweep)
  "$sgn" selection twowell figure --quick --out "$o/selection" --workers 2 --quiet >/dev/null
  "$sgn" selection networks sweep --config "$tmp/networks.json" --workers 2 --out "$o/selection/networks" --quiet >/dev/null
  "$sgn" selection networks fit "$o/selection/networks" --out "$o/selection" >/dev/null
  # make equilibrium-figure (shorter chains)
  "$sgn" equilibrium --checkpoint "$o/figure-model/model.safetensors" --first 500 --descend 500 --steps 2000 --bulk 5 --workers 2 --out "$o/equilibrium" --quiet >/dev/null
}

# Both binaries write into the same folder $tmp/out (outputs name their own
# paths), moved to out-1 and out-2 afterwards.
i=0
for c in "$old_id" "$new_id"; do
  i=$((i + 1))
  w="$tmp/src-$i"
  git -C "$repo" worktree add --detach --quiet "$w" "$c"
  say "building ${c:0:12}"
  (cd "$w" && go build -ldflags "-X main.version=same-outputs" -o "$tmp/sgn-$i" ./cmd/sgn)
  say "running ${c:0:12}"
  (cd "$tmp" && run "$tmp/sgn-$i" "$tmp/out")
  mv "$tmp/out" "$tmp/out-$i"
done

say "comparing"
python3 - "$tmp/out-1" "$tmp/out-2" "$old (${old_id:0:12})" "$new (${new_id:0:12})" <<'EOF'
import json, os, re, sys
a, b, old, new = sys.argv[1:]
# Keys whose values depend on the build or the clock, not on the results.
NOISE = re.compile(r'(^|_)version(_|$)|(^|_)seconds$|^samples_per_sec$')
def strip(v):
    if isinstance(v, dict):
        return {k: strip(x) for k, x in v.items() if not NOISE.search(k)}
    if isinstance(v, list):
        return [strip(x) for x in v]
    return v
def load(path):
    with open(path, 'rb') as f:
        data = f.read()
    if path.endswith('.json'):
        return strip(json.loads(data))
    if path.endswith('.jsonl'):
        return [strip(json.loads(l)) for l in data.splitlines() if l.strip()]
    return data
def files(root):
    out = set()
    for d, _, fs in os.walk(root):
        for f in fs:
            p = os.path.relpath(os.path.join(d, f), root)
            if not p.endswith('.lock'):
                out.add(p)
    return out
fa, fb = files(a), files(b)
bad = 0
for p in sorted(fa - fb):
    print(f"only from {old}: {p}"); bad += 1
for p in sorted(fb - fa):
    print(f"only from {new}: {p}"); bad += 1
same = 0
for p in sorted(fa & fb):
    if load(os.path.join(a, p)) != load(os.path.join(b, p)):
        print(f"differs: {p}"); bad += 1
    else:
        same += 1
print(f"same-outputs: {same} files the same, {bad} differences ({old} against {new})")
sys.exit(1 if bad else 0)
EOF
