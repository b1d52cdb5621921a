#!/usr/bin/env bash
# The container image and the Kubernetes manifests of docs/cluster.md, as
# far as one machine without a registry or a Kubernetes cluster can check
# them. Run as root; .ci/run calls it.
#
#  1. The manifests agree: sgn cluster k8s writes them for a 4-shard sweep
#     with the image of docs/cluster.md's build lines; the YAML parses; every
#     container runs that image and the binary where the Dockerfile puts it,
#     as the Dockerfile's non-root user, under the restricted securityContext;
#     the shard count, the folders, the claim and the ConfigMap (holding the
#     config file byte for byte) are the same everywhere. (The fields are
#     checked against the Kubernetes API by the tests of
#     internal/sweep/cluster.)
#  2. The image is built with podman from the docs' build lines (podman takes
#     docker's arguments). The machine reaches no image registry, so the
#     Dockerfile's base image is stood in for by a local image of the same
#     name: Debian bookworm from debootstrap plus this machine's Go in
#     /usr/local/go (what the official image holds).
#  3. The Jobs run: the pods of the Indexed Job (command and args, with
#     $(JOB_COMPLETION_INDEX) expanded as Kubernetes does) on a tiny sweep,
#     as uid 65532 with a read-only root file system, no capabilities and no
#     privilege escalation, /data a shared folder and /config the ConfigMap's
#     file; the merge Job's "status" container must fail while a shard is
#     missing (no partial merge), then pass; then "merge" and "fit". The
#     merged runs.jsonl and rates.csv must be byte-identical to bin/sgn's
#     single-process sweep.
#
# podman's storage and configuration live in a temporary folder that is
# removed at the end. BASE_ROOTFS=DIR uses DIR (a debootstrap of bookworm
# with make, git and ca-certificates) instead of running debootstrap.
set -euo pipefail
CI_NAME=container-check
. "$(dirname "$0")/lib.sh"
need_root

missing=()
command -v podman >/dev/null || missing+=(podman)
command -v runc >/dev/null || missing+=(runc)
command -v debootstrap >/dev/null || missing+=(debootstrap)
python3 -c 'import yaml' 2>/dev/null || missing+=(python3-yaml)
if [ ${#missing[@]} -gt 0 ]; then
	say "installing ${missing[*]}"
	apt_install "${missing[@]}" fuse-overlayfs uidmap
fi

# ------------------------------------------------- 1. the manifests agree
# The docs' build lines: TAG=… and docker build -f FILE … -t IMAGE .
tagline=$(grep -m1 '^TAG=' docs/cluster.md) || fail "docs/cluster.md has no 'TAG=' line"
buildline=$(grep -m1 '^docker build ' docs/cluster.md) || fail "docs/cluster.md has no 'docker build' line"
eval "$tagline"
image=$(eval "echo $(sed -n 's/.* -t \([^ ]*\) .*/\1/p' <<<"$buildline")")
dockerfile=$(sed -n 's/.* -f \([^ ]*\) .*/\1/p' <<<"$buildline")
[ -n "$TAG" ] && [ -n "$image" ] && [ -f "$dockerfile" ] || fail "docs build line '$buildline': no TAG, -t IMAGE or -f FILE that exists"
grep -q '^RUN .*make build' "$dockerfile" || fail "$dockerfile does not build with make build"
make build >/dev/null
T=$(mktemp -d /tmp/sgn-container-check.XXXXXX)
cfg='{"seed": 4, "landscape": {"name": "doublewell", "barrier": 1, "dim": 1}, "dynamics": ["sgld"],
 "sharpness": [1, 2], "eta": [0.01], "temperature": [0.25], "runs": 32, "max_steps": 200000, "criterion": {"kind": "col"}}'
mkdir -p "$T/config" "$T/data"
echo "$cfg" >"$T/config/sweep.json"
n=4
bin/sgn cluster k8s --config "$T/config/sweep.json" --shards $n --out sweep --image "$image" --dir "$T/k8s" >/dev/null
python3 - "$image" "$dockerfile" "$T/k8s" "$T/config/sweep.json" $n <<'EOF'
import re, sys, yaml
image, dockerfile, k8s, cfgfile, n = sys.argv[1:]
n = int(n)
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
docs = {}
for name in ("pvc", "configmap", "sweep-job", "merge-job"):
    with open(f"{k8s}/{name}.yaml") as f:
        d = list(yaml.safe_load_all(f))
    if len(d) != 1:
        fail(f"{name}.yaml: want one object")
    docs[name] = d[0]
claim, cm = docs["pvc"]["metadata"]["name"], docs["configmap"]["metadata"]["name"]
if docs["pvc"]["spec"]["accessModes"] != ["ReadWriteMany"]:
    fail("the claim is not ReadWriteMany")
if docs["configmap"]["data"]["sweep.json"] != open(cfgfile).read():
    fail("the ConfigMap does not hold the config file byte for byte")
for name in ("sweep-job", "merge-job"):
    job = docs[name]
    if job["apiVersion"] != "batch/v1" or job["kind"] != "Job":
        fail(f"{name}: not a batch/v1 Job")
    pod = job["spec"]["template"]["spec"]
    sc = pod["securityContext"]
    if not sc.get("runAsNonRoot") or sc.get("runAsUser") != uid or sc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        fail(f"{name}: the pod does not run as the image's user {uid} under RuntimeDefault seccomp")
    vols = {v["name"]: v for v in pod["volumes"]}
    if vols["data"]["persistentVolumeClaim"]["claimName"] != claim:
        fail(f"{name}: claim {vols['data']} is not {claim}")
    if "config" in vols and vols["config"]["configMap"]["name"] != cm:
        fail(f"{name}: ConfigMap {vols['config']} is not {cm}")
    for c in pod.get("initContainers", []) + pod["containers"]:
        if c["image"] != image:
            fail(f"{name}: container {c['name']} runs {c['image']}, the docs build {image}")
        if c["command"] != [binary]:
            fail(f"{name}: container {c['name']} runs {c['command']}, the image holds {binary}")
        csc = c["securityContext"]
        if csc.get("allowPrivilegeEscalation") is not False or csc.get("capabilities", {}).get("drop") != ["ALL"] or csc.get("readOnlyRootFilesystem") is not True:
            fail(f"{name}: container {c['name']} is not restricted: {csc}")
        for r in ("cpu", "memory"):
            if r not in c["resources"]["requests"] or r not in c["resources"]["limits"]:
                fail(f"{name}: container {c['name']} has no {r} request and limit")
sweep = docs["sweep-job"]["spec"]
if sweep["completionMode"] != "Indexed" or sweep["completions"] != n:
    fail(f"sweep-job: not an Indexed Job of {n} completions")
args = sweep["template"]["spec"]["containers"][0]["args"]
if args[args.index("--shard") + 1] != f"$(JOB_COMPLETION_INDEX)/{n}":
    fail(f"sweep-job: --shard {args[args.index('--shard') + 1]}, want $(JOB_COMPLETION_INDEX)/{n}")
out = args[args.index("--out") + 1]
init = {c["name"]: c["args"] for c in docs["merge-job"]["spec"]["template"]["spec"]["initContainers"]}
if init["status"] != ["sweep", "status", out, "--shards", str(n)]:
    fail(f"merge-job: status {init['status']}")
named = [a for a in init["merge"] if a.startswith(out + "-shard-")]
if named != [f"{out}-shard-{i}" for i in range(n)]:
    fail(f"merge-job: merges {named}, want {out}-shard-0 … {out}-shard-{n - 1}")
print(f"container-check: the manifests of {n} shards agree: {image}:{binary} as uid {uid}, claim {claim}, ConfigMap {cm}", file=sys.stderr)
EOF

# ------------------------------------------------- 2. build the image
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

base=$(sed -n 's/^FROM \(--platform=[^ ]* \)\{0,1\}\([^ ]*\) AS build$/\2/p' "$dockerfile")
[ -n "$base" ] || fail "$dockerfile: no 'FROM [--platform=…] IMAGE AS build' line"
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
# The docs' line, with podman for docker.
eval "pod ${buildline#docker } >'$T/build.log' 2>&1" || { tail -n 30 "$T/build.log" >&2; fail "podman build"; }
say "built $image with podman in $((SECONDS - start)) s: $(pod image inspect -f '{{.Size}} bytes, user {{.Config.User}}' "$image")"

# ------------------------------------------------- 3. run the Jobs
chown 65532:65532 "$T/data"
bin/sgn escape sweep --config "$T/config/sweep.json" --out "$T/single" --workers 2 --quiet >/dev/null
bin/sgn escape fit "$T/single" >/dev/null
# container NAME JOBFILE INDEX: run container NAME of the Job in JOBFILE as
# Kubernetes would (command + args, $(JOB_COMPLETION_INDEX) = INDEX, the
# container's securityContext); its exit status.
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
	pod run --rm --user 65532:65532 --read-only --cap-drop=ALL --security-opt=no-new-privileges \
		-e POD_NAME="$1-$3" -v "$T/data:/data" -v "$T/config:/config:ro" \
		--entrypoint "${argv[0]}" "$image" "${argv[@]:1}" >>"$T/pods.log" 2>&1
}
start=$SECONDS
for ((i = 0; i < n - 1; i++)); do
	container sweep "$T/k8s/sweep-job.yaml" "$i" || { tail -n 20 "$T/pods.log" >&2; fail "sweep pod $i failed"; }
done
if container status "$T/k8s/merge-job.yaml" 0; then
	tail -n 20 "$T/pods.log" >&2
	fail "the merge Job's status container passed with shard $((n - 1)) missing"
fi
grep -q "^missing: $((n - 1))$" "$T/pods.log" || fail "the status container did not report shard $((n - 1)) missing"
container sweep "$T/k8s/sweep-job.yaml" $((n - 1)) || { tail -n 20 "$T/pods.log" >&2; fail "sweep pod $((n - 1)) failed"; }
for c in status merge fit; do
	container "$c" "$T/k8s/merge-job.yaml" 0 || { tail -n 20 "$T/pods.log" >&2; fail "the merge Job's container $c failed"; }
done
for f in runs.jsonl rates.csv; do
	cmp "$T/single/$f" "$T/data/sweep/$f" || fail "the Jobs' $f differs from the single-process sweep"
done
say "ran the $n pods of the Indexed Job and the merge Job (read-only root, no capabilities) in $((SECONDS - start)) s: the merge refused while a shard was missing; runs.jsonl and rates.csv byte-identical"
say "ok"
