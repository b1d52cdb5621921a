#!/usr/bin/env bash
# The container image and the Kubernetes Jobs of docs/cluster.md, "Running on a
# cluster", as far as one machine without a registry or a Kubernetes cluster
# can check them. Run as root; .ci/run calls it.
#
#  1. The files agree: the YAML of cmd/sgn/cluster/*-job.yaml parses, both
#     Jobs name the image docs/cluster.md's `docker build -t` line builds and run
#     the binary where the Dockerfile puts it, as a non-root user; the shard
#     count of the Indexed Job matches its --shard i/n and the shards the
#     merge Job names.
#  2. The image is built with podman from docs/cluster.md's build line (podman
#     takes docker's arguments). The machine reaches no image registry, so the
#     Dockerfile's base image golang:1.26-bookworm is stood in for by a local
#     image of the same name: Debian bookworm from debootstrap plus this
#     machine's Go in /usr/local/go (what the official image holds).
#  3. The Jobs run: every pod of the Indexed Job (its command and args, with
#     $(JOB_COMPLETION_INDEX) expanded as Kubernetes does) on a tiny sweep
#     config in its ConfigMap's place, then the merge Job's two containers, as
#     uid 65532 with /data a shared folder; the merged runs.jsonl and
#     rates.csv must be byte-identical to bin/sgn's single-process sweep.
#
# podman's storage and configuration live in a temporary folder that is
# removed at the end. BASE_ROOTFS=DIR uses DIR (a debootstrap of bookworm
# with make, git and ca-certificates) instead of running debootstrap.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
export PATH="/usr/local/go/bin:$PATH"
say() { echo "container-check: $*" >&2; }
fail() {
	say "FAIL: $*"
	exit 1
}
[ "$(id -u)" = 0 ] || fail "run as root"

missing=()
command -v podman >/dev/null || missing+=(podman)
command -v runc >/dev/null || missing+=(runc)
command -v debootstrap >/dev/null || missing+=(debootstrap)
python3 -c 'import yaml' 2>/dev/null || missing+=(python3-yaml)
if [ ${#missing[@]} -gt 0 ]; then
	say "installing ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" fuse-overlayfs uidmap >/dev/null
fi

# ------------------------------------------------- 1. the files agree
# The README's build line: docker build -f FILE -t IMAGE … .
buildline=$(grep -m1 '^docker build ' docs/cluster.md) || fail "docs/cluster.md has no 'docker build' line"
image=$(sed -n 's/.* -t \([^ ]*\) .*/\1/p' <<<"$buildline")
dockerfile=$(sed -n 's/.* -f \([^ ]*\) .*/\1/p' <<<"$buildline")
[ -n "$image" ] && [ -f "$dockerfile" ] || fail "docs/cluster.md build line '$buildline': no -t IMAGE or no -f FILE that exists"
grep -q '^RUN .*make build' "$dockerfile" || fail "$dockerfile does not build with make build"
python3 - "$image" "$dockerfile" cmd/sgn/cluster/sweep-indexed-job.yaml cmd/sgn/cluster/merge-fit-job.yaml <<'EOF'
import re, sys, yaml
image, dockerfile, sweep_path, merge_path = sys.argv[1:]
def fail(msg):
    sys.exit(f"container-check: FAIL: {msg}")
df = open(dockerfile).read()
m = re.search(r"^COPY --from=\S+ /src/bin/sgn (\S+)$", df, re.M)
if not m:
    fail(f"{dockerfile}: no COPY of /src/bin/sgn from the build stage")
binary = m.group(1)
users = re.findall(r"^USER (\S+)$", df, re.M)
if not users or users[-1].split(":")[0] in ("0", "root"):
    fail(f"{dockerfile}: the image does not run as a non-root user")
uid = int(users[-1].split(":")[0])
jobs = {}
for path in (sweep_path, merge_path):
    with open(path) as f:
        docs = list(yaml.safe_load_all(f))
    if len(docs) != 1 or docs[0].get("kind") != "Job" or docs[0].get("apiVersion") != "batch/v1":
        fail(f"{path}: want one batch/v1 Job")
    job = docs[0]
    pod = job["spec"]["template"]["spec"]
    sc = pod.get("securityContext", {})
    if not sc.get("runAsNonRoot") or sc.get("runAsUser") != uid:
        fail(f"{path}: the pod does not run as the image's user {uid}")
    for c in pod.get("initContainers", []) + pod["containers"]:
        if c["image"] != image:
            fail(f"{path}: container {c['name']} runs {c['image']}, docs/cluster.md builds {image}")
        if c["command"] != [binary]:
            fail(f"{path}: container {c['name']} runs {c['command']}, the image holds {binary}")
    jobs[path] = job
sweep = jobs[sweep_path]
n = sweep["spec"]["completions"]
if sweep["spec"].get("completionMode") != "Indexed":
    fail(f"{sweep_path}: not an Indexed Job")
args = sweep["spec"]["template"]["spec"]["containers"][0]["args"]
shard = args[args.index("--shard") + 1]
if shard != f"$(JOB_COMPLETION_INDEX)/{n}":
    fail(f"{sweep_path}: --shard {shard}, want $(JOB_COMPLETION_INDEX)/{n} (completions {n})")
out = args[args.index("--out") + 1]
merge_args = jobs[merge_path]["spec"]["template"]["spec"]["initContainers"][0]["args"]
named = [a for a in merge_args if a.startswith(out + "-shard-")]
if named != [f"{out}-shard-{i}" for i in range(n)]:
    fail(f"{merge_path}: merges {named}, want {out}-shard-0 … {out}-shard-{n - 1}")
print(f"container-check: {sweep_path} ({n} shards) and {merge_path} run {image}:{binary} as uid {uid}", file=sys.stderr)
EOF

# ------------------------------------------------- 2. build the image
T=$(mktemp -d /tmp/sgn-container-check.XXXXXX)
conf="$T/containers.conf"
# runc with cgroupfs and explicit ulimits: what a container inside a
# container (as on the CI machine) allows.
cat >"$conf" <<EOF
[containers]
default_ulimits = ["nofile=4096:4096", "nproc=1024:1024"]
netns = "host"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
export CONTAINERS_CONF="$conf"
pod() { podman --root "$T/storage" --runroot "$T/run" "$@"; }
cleanup() {
	local rc=$?
	pod rmi -a -f >/dev/null 2>&1 || true
	rm -rf "$T" 2>/dev/null || true
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

base=$(sed -n 's/^FROM \([^ ]*\) AS build$/\1/p' "$dockerfile")
[ -n "$base" ] || fail "$dockerfile: no 'FROM IMAGE AS build' line"
start=$SECONDS
if [ -n "${BASE_ROOTFS:-}" ]; then
	cp -a "$BASE_ROOTFS" "$T/base"
else
	debootstrap --variant=minbase --include=make,git,ca-certificates bookworm "$T/base" http://deb.debian.org/debian >"$T/debootstrap.log" 2>&1 ||
		{ tail -n 20 "$T/debootstrap.log" >&2; fail "debootstrap"; }
fi
cp -a "$(go env GOROOT)" "$T/base/usr/local/go"
# this machine's trust store: its network may pass TLS through a proxy with
# its own certificate authority (go mod download must reach the module proxy)
cp /etc/ssl/certs/ca-certificates.crt "$T/base/etc/ssl/certs/ca-certificates.crt"
tar -C "$T/base" -c . | pod import \
	--change 'ENV PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
	--change 'ENV GOPATH=/go' --change 'ENV GOTOOLCHAIN=local' \
	- "$base" >"$T/import.log" 2>&1 || { cat "$T/import.log" >&2; fail "podman import"; }
say "stand-in for $base: Debian bookworm (debootstrap) + $(go version | cut -d' ' -f3) in $((SECONDS - start)) s"
start=$SECONDS
# The README's line, with podman for docker.
eval "pod ${buildline#docker } >'$T/build.log' 2>&1" || { tail -n 30 "$T/build.log" >&2; fail "podman build"; }
say "built $image with podman in $((SECONDS - start)) s: $(pod image inspect -f '{{.Size}} bytes, user {{.Config.User}}' "$image")"

# ------------------------------------------------- 3. run the Jobs
make build >/dev/null
cfg='{"seed": 4, "landscape": {"name": "doublewell", "barrier": 1, "dim": 1}, "dynamics": ["sgld"],
 "sharpness": [1, 2], "eta": [0.01], "temperature": [0.25], "runs": 32, "max_steps": 200000, "criterion": {"kind": "col"}}'
mkdir -p "$T/config" "$T/data"
echo "$cfg" >"$T/config/sweep.json"
chown 65532:65532 "$T/data"
bin/sgn escape sweep --config "$T/config/sweep.json" --out "$T/single" --workers 2 --quiet >/dev/null
bin/sgn escape fit "$T/single" >/dev/null
# container NAME JOBFILE INDEX: run container NAME of the Job in JOBFILE as
# Kubernetes would (command + args, $(JOB_COMPLETION_INDEX) = INDEX).
container() {
	local argv
	mapfile -t argv < <(python3 - "$2" "$1" "$3" <<'EOF'
import sys, yaml
path, name, index = sys.argv[1:]
pod = yaml.safe_load(open(path))["spec"]["template"]["spec"]
for c in pod.get("initContainers", []) + pod["containers"]:
    if c["name"] == name:
        for a in c["command"] + c.get("args", []):
            print(a.replace("$(JOB_COMPLETION_INDEX)", index))
EOF
	)
	[ ${#argv[@]} -gt 0 ] || fail "$2 has no container $1"
	pod run --rm --user 65532:65532 -v "$T/data:/data" -v "$T/config:/config:ro" \
		--entrypoint "${argv[0]}" "$image" "${argv[@]:1}" >>"$T/pods.log" 2>&1 ||
		{ tail -n 20 "$T/pods.log" >&2; fail "$2: container $1 (index $3) failed"; }
}
start=$SECONDS
n=$(python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["spec"]["completions"])' cmd/sgn/cluster/sweep-indexed-job.yaml)
for ((i = 0; i < n; i++)); do
	container sweep cmd/sgn/cluster/sweep-indexed-job.yaml "$i"
done
container merge cmd/sgn/cluster/merge-fit-job.yaml 0
container fit cmd/sgn/cluster/merge-fit-job.yaml 0
for f in runs.jsonl rates.csv; do
	cmp "$T/single/$f" "$T/data/sweep/$f" || fail "the Jobs' $f differs from the single-process sweep"
done
say "ran the $n pods of the Indexed Job and the merge Job in $((SECONDS - start)) s: runs.jsonl and rates.csv byte-identical"
say "ok"
