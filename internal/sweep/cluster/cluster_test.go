package cluster

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/internal/sweep"
)

func testSpec(n int) Spec {
	return Spec{Name: "mlp-b", Family: []string{"escape"}, Config: "/shared/sw/config.json", Shards: n, Out: "/shared/out/sw", CPUs: 2, Version: "v1.2.0-3-gabc+dirty"}
}

func testKubernetes() Kubernetes {
	s := testSpec(4)
	s.Out = "sw"
	return Kubernetes{Spec: s, Image: "registry.example.org/sgn:v1.2.0", ConfigData: []byte("{\"seed\": 1}\n"),
		Storage: "10Gi", Memory: "1Gi", BackoffLimitPerIndex: 3, UID: 65532}
}

// checkJob applies what the API server and the Pod Security admission
// ("restricted") check beyond the schema, and returns the errors.
func checkJob(j job, k Kubernetes) []string {
	var errs []string
	bad := func(format string, args ...any) {
		errs = append(errs, j.Metadata.Name+": "+fmt.Sprintf(format, args...))
	}
	dns := regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	if !dns.MatchString(j.Metadata.Name) || len(j.Metadata.Name) > 63 {
		bad("name %q is not a DNS label", j.Metadata.Name)
	}
	sp, pod := j.Spec, j.Spec.Template.Spec
	if pod.RestartPolicy != "Never" && pod.RestartPolicy != "OnFailure" {
		bad("restartPolicy %q: a Job's pods want Never or OnFailure", pod.RestartPolicy)
	}
	if sp.CompletionMode == "Indexed" && sp.Completions == nil {
		bad("an Indexed Job needs completions")
	}
	if sp.BackoffLimitPerIndex != nil && sp.CompletionMode != "Indexed" {
		bad("backoffLimitPerIndex needs completionMode Indexed")
	}
	if pfp := sp.PodFailurePolicy; pfp != nil {
		if pod.RestartPolicy != "Never" {
			bad("podFailurePolicy needs restartPolicy Never")
		}
		if sp.PodReplacementPolicy != "Failed" {
			bad("podFailurePolicy needs podReplacementPolicy Failed")
		}
		for _, r := range pfp.Rules {
			if r.Action == "FailIndex" && sp.BackoffLimitPerIndex == nil {
				bad("action FailIndex needs backoffLimitPerIndex")
			}
			if (r.OnExitCodes == nil) == (len(r.OnPodConditions) == 0) {
				bad("a rule wants onExitCodes or onPodConditions")
			}
			if e := r.OnExitCodes; e != nil {
				if e.Operator == "In" && slices.Contains(e.Values, 0) {
					bad("onExitCodes In may not hold 0")
				}
				if !slices.ContainsFunc(pod.Containers, func(c container) bool { return c.Name == e.ContainerName }) {
					bad("onExitCodes names container %q, not in the pod", e.ContainerName)
				}
			}
		}
	}
	// Pod Security "restricted".
	sc := pod.SecurityContext
	if !sc.RunAsNonRoot || sc.RunAsUser == 0 {
		bad("pod: runAsNonRoot %v, runAsUser %d", sc.RunAsNonRoot, sc.RunAsUser)
	}
	if sc.SeccompProfile.Type != "RuntimeDefault" && sc.SeccompProfile.Type != "Localhost" {
		bad("pod: seccompProfile %q", sc.SeccompProfile.Type)
	}
	vols := map[string]volume{}
	for _, v := range pod.Volumes {
		if v.PersistentVolumeClaim == nil && v.ConfigMap == nil {
			bad("volume %s: a type restricted pods may not use", v.Name)
		}
		if p := v.PersistentVolumeClaim; p != nil && p.ClaimName != k.claimName() {
			bad("volume %s: claim %q, the PVC manifest makes %q", v.Name, p.ClaimName, k.claimName())
		}
		if c := v.ConfigMap; c != nil && c.Name != k.configMapName() {
			bad("volume %s: ConfigMap %q, the manifest makes %q", v.Name, c.Name, k.configMapName())
		}
		vols[v.Name] = v
	}
	names := map[string]bool{}
	used := map[string]bool{}
	for _, c := range append(slices.Clone(pod.InitContainers), pod.Containers...) {
		if names[c.Name] || !dns.MatchString(c.Name) {
			bad("container name %q repeated or not a DNS label", c.Name)
		}
		names[c.Name] = true
		cs := c.SecurityContext
		if cs.AllowPrivilegeEscalation || !slices.Equal(cs.Capabilities.Drop, []string{"ALL"}) || !cs.ReadOnlyRootFilesystem {
			bad("container %s: securityContext %+v is not restricted", c.Name, cs)
		}
		if c.Image != k.Image || !pinned(c.Image) {
			bad("container %s: image %q, want the pinned %q", c.Name, c.Image, k.Image)
		}
		for _, r := range []string{"cpu", "memory"} {
			if c.Resources.Requests[r] == "" || c.Resources.Limits[r] == "" {
				bad("container %s: no %s request and limit (a LimitRange may reject it)", c.Name, r)
			}
		}
		for _, m := range c.VolumeMounts {
			if _, ok := vols[m.Name]; !ok {
				bad("container %s mounts %q, not a volume of the pod", c.Name, m.Name)
			}
			used[m.Name] = true
		}
	}
	for v := range vols {
		if !used[v] {
			bad("volume %s is mounted by no container", v)
		}
	}
	return errs
}

func TestManifestsAgainstTheSchemaAndEachOther(t *testing.T) {
	for _, n := range []int{1, 4, 16, 100} {
		for _, builtin := range []bool{false, true} {
			k := testKubernetes()
			k.Shards = n
			k.Parallelism = 8
			if builtin {
				k.Config, k.ConfigData = "builtin:mlp-batch-size", nil
			}
			files, err := k.Files()
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, f := range files {
				names = append(names, f.Name)
			}
			want := []string{"pvc.yaml", "configmap.yaml", "sweep-job.yaml", "merge-job.yaml", "run.sh"}
			if builtin {
				want = slices.Delete(want, 1, 2)
			}
			if !slices.Equal(names, want) {
				t.Fatalf("files %v, want %v", names, want)
			}
			sw, mg := k.sweepJob(), k.mergeJob()
			for _, c := range []struct {
				name   string
				schema *field
				v      any
			}{{"sweep", jobSchema, sw}, {"merge", jobSchema, mg}, {"pvc", pvcSchema, k.claim()}, {"configmap", configMapSchema, k.configMap()}} {
				if errs := validate(c.schema, decoded(t, c.v), c.name); len(errs) > 0 {
					t.Errorf("n=%d builtin=%v %s: %v", n, builtin, c.name, errs)
				}
			}
			for _, j := range []job{sw, mg} {
				if errs := checkJob(j, k); len(errs) > 0 {
					t.Errorf("n=%d builtin=%v: %v", n, builtin, errs)
				}
			}
			// N and the folders agree everywhere.
			args := sw.Spec.Template.Spec.Containers[0].Args
			at := func(a []string, flag string) string { return a[slices.Index(a, flag)+1] }
			if *sw.Spec.Completions != n || at(args, "--shard") != fmt.Sprintf("$(JOB_COMPLETION_INDEX)/%d", n) || *sw.Spec.Parallelism != min(n, 8) {
				t.Errorf("n=%d: completions %d, parallelism %d, args %v", n, *sw.Spec.Completions, *sw.Spec.Parallelism, args)
			}
			out := at(args, "--out")
			status := mg.Spec.Template.Spec.InitContainers[0].Args
			merge := mg.Spec.Template.Spec.InitContainers[1].Args
			var shards []string
			for i := range n {
				shards = append(shards, sweep.ShardDir(out, i))
			}
			if out != "/data/sw" || !slices.Equal(status, []string{"sweep", "status", out, "--shards", fmt.Sprint(n)}) ||
				!slices.Equal(merge, slices.Concat([]string{"escape", "merge"}, shards, []string{"--out", out})) ||
				!slices.Equal(mg.Spec.Template.Spec.Containers[0].Args, []string{"escape", "fit", out}) {
				t.Errorf("n=%d: out %s, status %v, merge %v", n, out, status, merge)
			}
			wantCfg := "/config/sweep.json"
			if builtin {
				wantCfg = "builtin:mlp-batch-size"
			}
			if at(args, "--config") != wantCfg {
				t.Errorf("--config %s, want %s", at(args, "--config"), wantCfg)
			}
			run := string(files[len(files)-1].Data)
			for _, s := range []string{"wait_job sgn-mlp-b\n", "wait_job sgn-mlp-b-merge\n", `*" Failed "*)`} {
				if !strings.Contains(run, s) {
					t.Errorf("run.sh lacks %q", s)
				}
			}
		}
	}
}

func TestYAML(t *testing.T) {
	type inner struct {
		A    string            `json:"a"`
		List []string          `json:"list"`
		Nums []int             `json:"nums,omitempty"`
		M    map[string]string `json:"m"`
	}
	v := struct {
		Name  string   `json:"name"`
		Items []inner  `json:"items"`
		Empty []string `json:"empty"`
		Flag  bool     `json:"flag"`
		Text  string   `json:"text"`
	}{"x", []inner{{A: "--config", List: []string{"true", "0.5", "a b", "$(I)/4", "/data/x"}, Nums: []int{2}, M: map[string]string{"cpu": "2"}}}, []string{}, true, "{\n  \"a\": 1,\n\n  \"b\": [2]\n}\n"}
	got, err := toYAML("line one\n\nline three", v)
	if err != nil {
		t.Fatal(err)
	}
	want := `# line one
#
# line three
name: x
items:
  - a: "--config"
    list:
      - "true"
      - "0.5"
      - "a b"
      - $(I)/4
      - /data/x
    nums:
      - 2
    m:
      cpu: "2"
empty: []
flag: true
text: |
  {
    "a": 1,

    "b": [2]
  }
`
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestSlurmScripts(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	for _, n := range []int{1, 4, 16} {
		s := Slurm{Spec: testSpec(n), Binary: "/shared/sw/sgn-v1-abc", Dir: "/shared/sw job", Time: "04:00:00", Mem: "1G", SignalSeconds: 120}
		s.Out = "/shared/out/sw/" // a trailing slash, as tab completion leaves it
		files, err := s.Files()
		if err != nil {
			t.Fatal(err)
		}
		byName := map[string]string{}
		for _, f := range files {
			byName[f.Name] = string(f.Data)
			if f.Mode != 0o755 {
				t.Errorf("%s: mode %v", f.Name, f.Mode)
			}
			p := filepath.Join(t.TempDir(), f.Name)
			os.WriteFile(p, f.Data, 0o644)
			if out, err := exec.Command(bash, "-n", p).CombinedOutput(); err != nil {
				t.Errorf("bash -n %s: %v %s", f.Name, err, out)
			}
		}
		sw, mg, sub := byName["sweep.sbatch"], byName["merge.sbatch"], byName["submit.sh"]
		for _, d := range []string{"--job-name=sgn-mlp-b\n", fmt.Sprintf("--array=0-%d\n", n-1), "--requeue\n", "--open-mode=append\n",
			"--signal=B:USR1@120\n", "--time=04:00:00\n", "--cpus-per-task=2\n", "--output='/shared/sw job/logs/sweep-%A_%a.out'\n"} {
			if !strings.Contains(sw, "#SBATCH "+d) && !strings.Contains(sw, "#SBATCH "+strings.ReplaceAll(d, "'", "")) {
				t.Errorf("n=%d sweep.sbatch lacks #SBATCH %s", n, d)
			}
		}
		for _, l := range []string{"OUT=/shared/out/sw\n", fmt.Sprintf("SHARDS=%d\n", n), "SGN=/shared/sw/sgn-v1-abc\n", `scontrol requeue "$task"`, `task="${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}"`, `"$SGN" escape sweep --config "$CONFIG" --out "$OUT"`, `--shard "$SLURM_ARRAY_TASK_ID/$SHARDS"`, "trap requeue USR1\ntrap stop TERM\n"} {
			if !strings.Contains(sw, l) {
				t.Errorf("n=%d sweep.sbatch lacks %q", n, l)
			}
		}
		if strings.Contains(sw, "--quiet") || strings.Contains(sw, "SLURM_ARRAY_TASK_COUNT\"") {
			t.Errorf("sweep.sbatch runs --quiet or uses the task count")
		}
		for i := range n {
			if !strings.Contains(mg, "\t"+sweep.ShardDir("/shared/out/sw", i)+" \\\n") {
				t.Errorf("n=%d merge.sbatch does not merge shard %d", n, i)
			}
		}
		if strings.Count(mg, "-shard-") != n || !strings.Contains(mg, `sweep status "$OUT" --shards "$SHARDS"`) || !strings.Contains(mg, "--job-name=sgn-mlp-b-merge\n") {
			t.Errorf("n=%d merge.sbatch:\n%s", n, mg)
		}
		for _, l := range []string{fmt.Sprintf("indices=${1:-0-%d}", n-1), "--dependency=afterok:\"$jid\" merge.sbatch", "scancel --name=sgn-mlp-b-merge --state=PENDING", "cd '/shared/sw job'"} {
			if !strings.Contains(sub, l) {
				t.Errorf("n=%d submit.sh lacks %q", n, l)
			}
		}
	}
}

func TestSettingsAreChecked(t *testing.T) {
	slurm := func(edit func(*Slurm)) error {
		s := Slurm{Spec: testSpec(4), Binary: "/b/sgn", Dir: "/b", Time: "1-00:00:00", Mem: "1G", SignalSeconds: 120}
		edit(&s)
		_, err := s.Files()
		return err
	}
	k8s := func(edit func(*Kubernetes)) error {
		k := testKubernetes()
		edit(&k)
		_, err := k.Files()
		return err
	}
	for _, c := range []struct {
		err  error
		want string
	}{
		{slurm(func(s *Slurm) {}), ""},
		{slurm(func(s *Slurm) { s.Name = "Mixed_Case" }), "name"},
		{slurm(func(s *Slurm) { s.Shards = 0 }), "0 shards"},
		{slurm(func(s *Slurm) { s.Time = "4h" }), "time"},
		{slurm(func(s *Slurm) { s.Binary = "bin/sgn" }), "absolute"},
		{slurm(func(s *Slurm) { s.Out = "/" }), "output folder"},
		{k8s(func(k *Kubernetes) {}), ""},
		{k8s(func(k *Kubernetes) { k.Image = "registry.example.org/sgn" }), "pin"},
		{k8s(func(k *Kubernetes) { k.Image = "registry.example.org:5000/sgn" }), "pin"},
		{k8s(func(k *Kubernetes) { k.Image = "sgn:latest" }), "pin"},
		{k8s(func(k *Kubernetes) { k.Image = "sgn@sha256:" + strings.Repeat("ab", 32) }), ""},
		{k8s(func(k *Kubernetes) { k.Out = "/scratch/sw" }), "/data"},
		{k8s(func(k *Kubernetes) { k.Out = "/data/sw" }), ""},
		{k8s(func(k *Kubernetes) { k.Memory = "1 GB" }), "memory"},
		{k8s(func(k *Kubernetes) { k.UID = 0 }), "non-root"},
		{k8s(func(k *Kubernetes) { k.ConfigData = nil }), "content"},
	} {
		switch {
		case c.want == "" && c.err != nil:
			t.Errorf("unexpected error %v", c.err)
		case c.want != "" && (!errors.Is(c.err, ErrSpec) || !strings.Contains(c.err.Error(), c.want)):
			t.Errorf("error %v, want one about %q", c.err, c.want)
		}
	}
	for out, want := range map[string]string{"out/mlp-batch-size/": "mlp-batch-size", "/d/My Sweep_2": "my-sweep-2", "///": "sweep", strings.Repeat("a", 50): strings.Repeat("a", 40)} {
		if got := DefaultName(out); got != want {
			t.Errorf("DefaultName(%q) = %q, want %q", out, got, want)
		}
	}
}

func TestFreeze(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "sgn")
	if err := os.WriteFile(bin, []byte("binary one"), 0o755); err != nil {
		t.Fatal(err)
	}
	p1, err := Freeze(bin, filepath.Join(dir, "job"), "v1.2+dirty")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`/job/sgn-v1\.2-dirty-[0-9a-f]{12}$`).MatchString(p1) {
		t.Errorf("frozen as %s", p1)
	}
	if b, _ := os.ReadFile(p1); !bytes.Equal(b, []byte("binary one")) {
		t.Errorf("frozen copy holds %q", b)
	}
	if fi, _ := os.Stat(p1); fi.Mode().Perm() != 0o555 {
		t.Errorf("mode %v", fi.Mode())
	}
	if p, err := Freeze(bin, filepath.Join(dir, "job"), "v1.2+dirty"); err != nil || p != p1 {
		t.Errorf("freezing the same binary again: %s, %v", p, err)
	}
	// A rebuild gets another path; the first copy stays for its jobs.
	os.WriteFile(bin, []byte("binary two"), 0o755)
	p2, err := Freeze(bin, filepath.Join(dir, "job"), "v1.2+dirty")
	if err != nil || p2 == p1 {
		t.Fatalf("a rebuilt binary: %s, %v", p2, err)
	}
	if b, _ := os.ReadFile(p1); !bytes.Equal(b, []byte("binary one")) {
		t.Errorf("the first frozen copy changed: %q", b)
	}
}

// TestRunScriptWaitReturnsOnFailure runs run.sh against a stand-in kubectl
// that logs its calls and reports the sweep Job Failed, then Complete: the
// wait returns at once either way, and the merge Job is applied only after
// the sweep completed.
func TestRunScriptWaitReturnsOnFailure(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	k := testKubernetes()
	files, err := k.Files()
	if err != nil {
		t.Fatal(err)
	}
	for _, sweepState := range []string{"Failed", "Complete"} {
		dir := t.TempDir()
		if _, err := WriteFiles(dir, files); err != nil {
			t.Fatal(err)
		}
		bin := filepath.Join(dir, "bin")
		os.Mkdir(bin, 0o755)
		fake := `#!/bin/bash
echo "$*" >> "$KLOG"
if [ "$1" = get ]; then
	case "$3" in
	sgn-mlp-b) echo -n "` + sweepState + ` " ;;
	sgn-mlp-b-merge) echo -n "Complete " ;;
	esac
fi
`
		if err := os.WriteFile(filepath.Join(bin, "kubectl"), []byte(fake), 0o755); err != nil {
			t.Fatal(err)
		}
		klog := filepath.Join(dir, "kubectl.log")
		cmd := exec.Command(bash, filepath.Join(dir, "run.sh"))
		cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "KLOG="+klog)
		out, err := cmd.CombinedOutput()
		calls, _ := os.ReadFile(klog)
		applied := strings.Contains(string(calls), "apply -f merge-job.yaml")
		switch sweepState {
		case "Failed":
			if err == nil || applied || !strings.Contains(string(out), "job sgn-mlp-b failed") {
				t.Errorf("sweep Failed: err %v, merge applied %v, output %s", err, applied, out)
			}
		case "Complete":
			if err != nil || !applied || !strings.Contains(string(calls), "logs job/sgn-mlp-b-merge -c fit") {
				t.Errorf("sweep Complete: err %v, calls:\n%s\noutput %s", err, calls, out)
			}
		}
	}
}

// TestSlurmWrite: Write leaves a read-only copy of the config, the frozen
// binary and the scripts in Dir, and the scripts run the copies.
func TestSlurmWrite(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "sgn")
	if err := os.WriteFile(bin, []byte("binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	s := Slurm{Spec: testSpec(4), Dir: filepath.Join(dir, "job"), Time: "04:00:00", Mem: "1G", SignalSeconds: 120}
	s.Out = filepath.Join(dir, "out")
	paths, err := s.Write(bin, []byte(`{"seed": 1}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 3 || filepath.Base(paths[2]) != "submit.sh" {
		t.Errorf("paths %v", paths)
	}
	if s.Config != filepath.Join(s.Dir, "config.json") || filepath.Dir(s.Binary) != s.Dir {
		t.Errorf("config %s, binary %s", s.Config, s.Binary)
	}
	if fi, err := os.Stat(s.Config); err != nil || fi.Mode().Perm() != 0o444 {
		t.Errorf("config copy: %v, %v", fi, err)
	}
	script, err := os.ReadFile(filepath.Join(s.Dir, "sweep.sbatch"))
	if err != nil || !strings.Contains(string(script), s.Binary) || !strings.Contains(string(script), s.Config) {
		t.Errorf("sweep.sbatch does not run %s on %s (%v)", s.Binary, s.Config, err)
	}
}

// TestNewSpec: the name defaults to DefaultName of the output folder, a
// config file's content comes back (none for a builtin), bad settings wrap
// ErrSpec and an unreadable config file is its own error.
func TestNewSpec(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "c.json")
	if err := os.WriteFile(cfg, []byte(`{"runs": 2}`), 0o644); err != nil {
		t.Fatal(err)
	}
	s, data, err := NewSpec("", []string{"escape"}, cfg, "out/My_Sweep", 4, 2, "v")
	if err != nil || s.Name != "my-sweep" || string(data) != `{"runs": 2}` || s.Shards != 4 || s.CPUs != 2 {
		t.Errorf("NewSpec: %+v, %q, %v", s, data, err)
	}
	if _, data, err := NewSpec("n", []string{"escape"}, "builtin:x", "out", 1, 1, "v"); err != nil || data != nil {
		t.Errorf("builtin config: %q, %v; want no content", data, err)
	}
	if _, _, err := NewSpec("n", []string{"escape"}, cfg, "out", 0, 1, "v"); !errors.Is(err, ErrSpec) {
		t.Errorf("0 shards: %v; want ErrSpec", err)
	}
	if _, _, err := NewSpec("n", []string{"escape"}, cfg+".missing", "out", 1, 1, "v"); err == nil || errors.Is(err, ErrSpec) {
		t.Errorf("missing config file: %v; want the file's error", err)
	}
}
