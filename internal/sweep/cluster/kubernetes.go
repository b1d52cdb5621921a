package cluster

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// Kubernetes is a Spec run as an Indexed Job (one pod per shard) and a
// merge Job, with the ConfigMap of the sweep's config and the
// PersistentVolumeClaim both write to.
type Kubernetes struct {
	Spec
	// Image is the container image, pinned to a tag or digest (not
	// :latest): a tag that moves during a sweep would mix binaries.
	Image string
	// ConfigData is the config file's content, put in the ConfigMap; nil
	// for a builtin:NAME config (no ConfigMap).
	ConfigData []byte
	// Storage is the claim's size (e.g. 10Gi), StorageClass its class
	// ("" for the cluster's default).
	Storage, StorageClass string
	// Memory is each pod's memory request and limit (e.g. 1Gi).
	Memory string
	// Parallelism is how many shards run at once (0: all).
	Parallelism int
	// BackoffLimitPerIndex is how many times a failed shard is retried.
	BackoffLimitPerIndex int
	// UID is the user (and group) the pods run as; the image's is 65532.
	UID int
}

// Where the volumes are mounted in the pods.
const (
	dataMount   = "/data"
	configMount = "/config"
	configKey   = "sweep.json"
)

var quantity = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?(m|k|Ki|M|Mi|G|Gi|T|Ti|P|Pi)?$`)

// pinned reports whether image names a tag other than latest, or a digest.
func pinned(image string) bool {
	if i := strings.Index(image, "@sha256:"); i > 0 {
		return len(image) == i+len("@sha256:")+64
	}
	slash := strings.LastIndex(image, "/")
	colon := strings.LastIndex(image, ":")
	return colon > slash && colon < len(image)-1 && image[colon+1:] != "latest"
}

// DefaultImage is the image name of the docs' build line, tagged with the
// version: registry.example.org/sgn:<version>.
func DefaultImage(version string) string { return "registry.example.org/sgn:" + safeTag(version) }

func (k Kubernetes) check() error {
	if err := k.Spec.check(); err != nil {
		return err
	}
	switch {
	case !pinned(k.Image):
		return fmt.Errorf("%w: image %q: pin it to a tag other than latest, or a digest (a tag that moves during a sweep mixes binaries)", ErrSpec, k.Image)
	case !quantity.MatchString(k.Storage):
		return fmt.Errorf("%w: storage %q: want a quantity such as 10Gi", ErrSpec, k.Storage)
	case !quantity.MatchString(k.Memory):
		return fmt.Errorf("%w: memory %q: want a quantity such as 1Gi", ErrSpec, k.Memory)
	case k.Parallelism < 0 || k.BackoffLimitPerIndex < 0:
		return fmt.Errorf("%w: parallelism %d, retries per shard %d: want ≥ 0", ErrSpec, k.Parallelism, k.BackoffLimitPerIndex)
	case k.UID < 1:
		return fmt.Errorf("%w: user %d: the pods run as a non-root user", ErrSpec, k.UID)
	case path.IsAbs(k.Out) && !strings.HasPrefix(path.Clean(k.Out)+"/", dataMount+"/"):
		return fmt.Errorf("%w: output folder %q: want a path in the volume, mounted at %s", ErrSpec, k.Out, dataMount)
	case k.ConfigData == nil && !strings.HasPrefix(k.Config, "builtin:"):
		return fmt.Errorf("%w: config %q: give its content for the ConfigMap", ErrSpec, k.Config)
	}
	return nil
}

// out is the output folder in the pods.
func (k Kubernetes) out() string {
	if path.IsAbs(k.Out) {
		return path.Clean(k.Out)
	}
	return path.Join(dataMount, k.Out)
}

// Names of the objects.
func (k Kubernetes) claimName() string     { return "sgn-" + k.Name + "-data" }
func (k Kubernetes) configMapName() string { return "sgn-" + k.Name + "-config" }

func (k Kubernetes) labels() map[string]string {
	return map[string]string{"app.kubernetes.io/name": "sgn", "sgn.sweep": k.Name}
}

func intp(i int) *int    { return &i }
func boolp(b bool) *bool { return &b }

// podSpec is the pod of every container: restricted Pod Security, the
// data volume, the config volume when there is a ConfigMap.
func (k Kubernetes) podSpec(init, main []container) podSpec {
	vols := []volume{{Name: "data", PersistentVolumeClaim: &pvcSource{ClaimName: k.claimName()}}}
	usesConfig := false
	for _, c := range append(append([]container(nil), init...), main...) {
		for _, m := range c.VolumeMounts {
			usesConfig = usesConfig || m.Name == "config"
		}
	}
	if usesConfig {
		vols = append(vols, volume{Name: "config", ConfigMap: &configMapSource{Name: k.configMapName()}})
	}
	return podSpec{
		RestartPolicy:                 "Never",
		TerminationGracePeriodSeconds: intp(120),
		AutomountServiceAccountToken:  boolp(false),
		SecurityContext: podSecurityContext{RunAsNonRoot: true, RunAsUser: k.UID, RunAsGroup: k.UID, FSGroup: k.UID,
			SeccompProfile: seccompProfile{Type: "RuntimeDefault"}},
		InitContainers: init,
		Containers:     main,
		Volumes:        vols,
	}
}

// container runs sgn args with cpus and the pod's memory.
func (k Kubernetes) container(name string, cpus int, args []string, withConfig bool) container {
	c := container{
		Name: name, Image: k.Image, Command: []string{"/usr/local/bin/sgn"}, Args: args,
		Env: []envVar{{Name: "POD_NAME", ValueFrom: &envVarSource{FieldRef: fieldRef{FieldPath: "metadata.name"}}}},
		Resources: resources{
			Requests: map[string]string{"cpu": strconv.Itoa(cpus), "memory": k.Memory},
			Limits:   map[string]string{"cpu": strconv.Itoa(cpus), "memory": k.Memory},
		},
		SecurityContext: securityContext{AllowPrivilegeEscalation: false, ReadOnlyRootFilesystem: true, RunAsNonRoot: true,
			Capabilities: capabilities{Drop: []string{"ALL"}}},
		VolumeMounts: []volumeMount{{Name: "data", MountPath: dataMount}},
	}
	if withConfig && k.ConfigData != nil {
		c.VolumeMounts = append(c.VolumeMounts, volumeMount{Name: "config", MountPath: configMount, ReadOnly: true})
	}
	return c
}

// configArg is --config as the pods see it.
func (k Kubernetes) configArg() string {
	if k.ConfigData == nil {
		return k.Config
	}
	return path.Join(configMount, configKey)
}

// sweepJob is the Indexed Job.
func (k Kubernetes) sweepJob() job {
	par := k.Shards
	if k.Parallelism > 0 && k.Parallelism < par {
		par = k.Parallelism
	}
	args := append(k.command("sweep"), "--config", k.configArg(), "--out", k.out(),
		"--shard", fmt.Sprintf("$(JOB_COMPLETION_INDEX)/%d", k.Shards), "--workers", strconv.Itoa(k.CPUs))
	return job{
		object: object{APIVersion: "batch/v1", Kind: "Job", Metadata: meta{Name: k.jobName(), Labels: k.labels()}},
		Spec: jobSpec{
			CompletionMode:       "Indexed",
			Completions:          intp(k.Shards),
			Parallelism:          intp(par),
			BackoffLimitPerIndex: intp(k.BackoffLimitPerIndex),
			PodReplacementPolicy: "Failed",
			PodFailurePolicy: &podFailurePolicy{Rules: []podFailureRule{
				{Action: "FailIndex", OnExitCodes: &onExitCodes{ContainerName: "sweep", Operator: "In", Values: []int{2}}},
				{Action: "Ignore", OnPodConditions: []onPodCondition{{Type: "DisruptionTarget", Status: "True"}}},
			}},
			Template: podTemplate{Metadata: meta{Labels: k.labels()},
				Spec: k.podSpec(nil, []container{k.container("sweep", k.CPUs, args, true)})},
		},
	}
}

// mergeJob checks that every shard is done, merges and fits.
func (k Kubernetes) mergeJob() job {
	out := k.out()
	status := []string{"sweep", "status", out, "--shards", strconv.Itoa(k.Shards)}
	merge := append(k.command("merge"), k.shardDirs(out)...)
	merge = append(merge, "--out", out)
	return job{
		object: object{APIVersion: "batch/v1", Kind: "Job", Metadata: meta{Name: k.mergeName(), Labels: k.labels()}},
		Spec: jobSpec{
			BackoffLimit: intp(0),
			Template: podTemplate{Metadata: meta{Labels: k.labels()},
				Spec: k.podSpec(
					[]container{k.container("status", 1, status, false), k.container("merge", 1, merge, false)},
					[]container{k.container("fit", 1, append(k.command("fit"), out), false)})},
		},
	}
}

func (k Kubernetes) claim() pvc {
	p := pvc{
		object: object{APIVersion: "v1", Kind: "PersistentVolumeClaim", Metadata: meta{Name: k.claimName(), Labels: k.labels()}},
		Spec:   pvcSpec{AccessModes: []string{"ReadWriteMany"}, Resources: volumeResources{Requests: map[string]string{"storage": k.Storage}}},
	}
	if k.StorageClass != "" {
		sc := k.StorageClass
		p.Spec.StorageClassName = &sc
	}
	return p
}

func (k Kubernetes) configMap() configMap {
	return configMap{
		object: object{APIVersion: "v1", Kind: "ConfigMap", Metadata: meta{Name: k.configMapName(), Labels: k.labels()}},
		Data:   map[string]string{configKey: string(k.ConfigData)},
	}
}

// Files returns pvc.yaml, configmap.yaml (not for a builtin config),
// sweep-job.yaml, merge-job.yaml and run.sh (apply, wait for the sweep —
// returning also when it fails —, then the merge).
func (k Kubernetes) Files() ([]File, error) {
	if err := k.check(); err != nil {
		return nil, err
	}
	type doc struct {
		name, header string
		v            any
	}
	docs := []doc{
		{"pvc.yaml", k.pvcHeader(), k.claim()},
	}
	if k.ConfigData != nil {
		docs = append(docs, doc{"configmap.yaml", fmt.Sprintf("The config of the sweep %s (--config %s), mounted at %s.", k.Name, k.Config, configMount), k.configMap()})
	}
	docs = append(docs,
		doc{"sweep-job.yaml", k.sweepHeader(), k.sweepJob()},
		doc{"merge-job.yaml", k.mergeHeader(), k.mergeJob()})
	var files []File
	for _, d := range docs {
		b, err := toYAML(d.header, d.v)
		if err != nil {
			return nil, err
		}
		files = append(files, File{Name: d.name, Mode: 0o644, Data: b})
	}
	files = append(files, File{Name: "run.sh", Mode: 0o755, Data: []byte(k.runScript())})
	return files, nil
}

func (k Kubernetes) written() string {
	return fmt.Sprintf("Written by sgn %s (sgn cluster k8s) for the sweep %s: %d shards into %s.", k.Version, k.Name, k.Shards, k.out())
}

func (k Kubernetes) pvcHeader() string {
	return k.written() + fmt.Sprintf(`
The volume every pod of the sweep and of the merge writes: ReadWriteMany.

Permissions: the pods run as uid and gid %d and Kubernetes applies fsGroup
%d to most block volumes, but not to NFS and most other ReadWriteMany
volumes: there the export's folder must be writable by %d before the first
pod starts (on the NFS server: chown %d:%d /export/PATH), or the first pod
fails with "permission denied" on %s.`, k.UID, k.UID, k.UID, k.UID, k.UID, k.out())
}

func (k Kubernetes) sweepHeader() string {
	return k.written() + fmt.Sprintf(`
Indexed Job: pod i runs shard i of %[1]d and writes %[2]s-shard-i; a pod
that is retried has the same index and resumes its shard. Exit status 2 (a
usage error) fails its index at once; a disruption (preemption, node drain)
does not count against the %[3]d retries per shard; a replacement pod starts
only once the old one has ended, so two pods never write one shard. On
SIGTERM sgn stops after the runs under way (terminationGracePeriodSeconds).

A finished Job is immutable: applying this file again does nothing. To run
failed shards again: kubectl delete job %[4]s, then apply it again (the
shards already done end at once). run.sh applies and waits.`, k.Shards, k.out(), k.BackoffLimitPerIndex, k.jobName())
}

func (k Kubernetes) mergeHeader() string {
	return k.written() + fmt.Sprintf(`
Merges the %d shards and fits, after the sweep Job %s: the init container
"status" (sgn sweep status) fails the Job unless every shard is done, so a
partial merge is never fitted.`, k.Shards, k.jobName())
}

func (k Kubernetes) runScript() string {
	applyConfig := ""
	if k.ConfigData != nil {
		applyConfig = " -f configmap.yaml"
	}
	return fmt.Sprintf(`#!/bin/bash
# %s
# Applies the manifests of this folder in the current kubectl context and
# namespace, waits for the sweep Job — returning when it completes or fails,
# unlike kubectl wait --for=condition=complete, which waits out its timeout
# on a failure — then runs the merge Job and waits for it.
set -euo pipefail
cd "$(dirname "$0")"

# wait_job JOB: 0 when it completes, 1 when it fails.
wait_job() {
	local c
	while :; do
		c=$(kubectl get job "$1" -o jsonpath='{range .status.conditions[?(@.status=="True")]}{.type}{" "}{end}')
		case " $c" in
		*" Complete "*) return 0 ;;
		*" Failed "*)
			echo "job $1 failed: kubectl describe job $1; the failed indexes are in .status.failedIndexes" >&2
			return 1
			;;
		esac
		sleep 20
	done
}

kubectl apply -f pvc.yaml%s
kubectl apply -f sweep-job.yaml
wait_job %s
kubectl apply -f merge-job.yaml
wait_job %s
kubectl logs job/%s -c fit
`, k.written(), applyConfig, k.jobName(), k.mergeName(), k.mergeName())
}
