// Package cluster writes the files that run a sharded sweep (package
// sweep) on a batch system: a Slurm job array with its dependent merge, or
// a Kubernetes Indexed Job with its merge Job, ConfigMap and
// PersistentVolumeClaim. The shard count, the folders and the job names are
// written once, from one Spec, into every file.
//
// What the files do, and why, follows how clusters fail: a task warned of
// its time limit (Slurm --signal=B:USR1) stops at a run boundary, requeues
// itself (--requeue) and resumes its shard, and a task cancelled or
// preempted (SIGTERM) stops at a run boundary too; logs of a
// requeued task are appended to (--open-mode=append); the binary is frozen
// at a versioned path when the files are written, so a rebuild cannot mix
// binaries; the merge first checks that every shard is done (sgn sweep
// status) and refuses a partial merge. On Kubernetes: a usage error (exit
// status 2) fails its index at once and a disruption (preemption, node
// drain) does not count as a failure (podFailurePolicy); a replacement pod
// starts only once the old one has terminated (podReplacementPolicy
// Failed), so two pods never write one shard; containers meet the Pod
// Security "restricted" profile; the image is pinned to a tag.
package cluster
