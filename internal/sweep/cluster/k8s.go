package cluster

// The Kubernetes objects the manifests hold: the fields sgn sets, with the
// API's JSON names (Kubernetes API reference: batch/v1 Job, core/v1 Pod,
// PersistentVolumeClaim, ConfigMap).

type object struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   meta   `json:"metadata"`
}

type meta struct {
	Name   string            `json:"name,omitempty"`
	Labels map[string]string `json:"labels,omitempty"`
}

type job struct {
	object
	Spec jobSpec `json:"spec"`
}

type jobSpec struct {
	CompletionMode       string            `json:"completionMode,omitempty"`
	Completions          *int              `json:"completions,omitempty"`
	Parallelism          *int              `json:"parallelism,omitempty"`
	BackoffLimit         *int              `json:"backoffLimit,omitempty"`
	BackoffLimitPerIndex *int              `json:"backoffLimitPerIndex,omitempty"`
	PodReplacementPolicy string            `json:"podReplacementPolicy,omitempty"`
	PodFailurePolicy     *podFailurePolicy `json:"podFailurePolicy,omitempty"`
	Template             podTemplate       `json:"template"`
}

type podFailurePolicy struct {
	Rules []podFailureRule `json:"rules"`
}

type podFailureRule struct {
	Action          string           `json:"action"`
	OnExitCodes     *onExitCodes     `json:"onExitCodes,omitempty"`
	OnPodConditions []onPodCondition `json:"onPodConditions,omitempty"`
}

type onExitCodes struct {
	ContainerName string `json:"containerName,omitempty"`
	Operator      string `json:"operator"`
	Values        []int  `json:"values"`
}

type onPodCondition struct {
	Type   string `json:"type"`
	Status string `json:"status,omitempty"`
}

type podTemplate struct {
	Metadata meta    `json:"metadata"`
	Spec     podSpec `json:"spec"`
}

type podSpec struct {
	RestartPolicy                 string             `json:"restartPolicy"`
	TerminationGracePeriodSeconds *int               `json:"terminationGracePeriodSeconds,omitempty"`
	AutomountServiceAccountToken  *bool              `json:"automountServiceAccountToken,omitempty"`
	SecurityContext               podSecurityContext `json:"securityContext"`
	InitContainers                []container        `json:"initContainers,omitempty"`
	Containers                    []container        `json:"containers"`
	Volumes                       []volume           `json:"volumes"`
}

type podSecurityContext struct {
	RunAsNonRoot   bool           `json:"runAsNonRoot"`
	RunAsUser      int            `json:"runAsUser"`
	RunAsGroup     int            `json:"runAsGroup"`
	FSGroup        int            `json:"fsGroup"`
	SeccompProfile seccompProfile `json:"seccompProfile"`
}

type seccompProfile struct {
	Type string `json:"type"`
}

type container struct {
	Name            string          `json:"name"`
	Image           string          `json:"image"`
	Command         []string        `json:"command"`
	Args            []string        `json:"args"`
	Env             []envVar        `json:"env,omitempty"`
	Resources       resources       `json:"resources"`
	SecurityContext securityContext `json:"securityContext"`
	VolumeMounts    []volumeMount   `json:"volumeMounts"`
}

type envVar struct {
	Name      string        `json:"name"`
	Value     string        `json:"value,omitempty"`
	ValueFrom *envVarSource `json:"valueFrom,omitempty"`
}

type envVarSource struct {
	FieldRef fieldRef `json:"fieldRef"`
}

type fieldRef struct {
	FieldPath string `json:"fieldPath"`
}

type resources struct {
	Requests map[string]string `json:"requests"`
	Limits   map[string]string `json:"limits"`
}

type securityContext struct {
	AllowPrivilegeEscalation bool         `json:"allowPrivilegeEscalation"`
	ReadOnlyRootFilesystem   bool         `json:"readOnlyRootFilesystem"`
	RunAsNonRoot             bool         `json:"runAsNonRoot"`
	Capabilities             capabilities `json:"capabilities"`
}

type capabilities struct {
	Drop []string `json:"drop"`
}

type volumeMount struct {
	Name      string `json:"name"`
	MountPath string `json:"mountPath"`
	ReadOnly  bool   `json:"readOnly,omitempty"`
}

type volume struct {
	Name                  string           `json:"name"`
	PersistentVolumeClaim *pvcSource       `json:"persistentVolumeClaim,omitempty"`
	ConfigMap             *configMapSource `json:"configMap,omitempty"`
}

type pvcSource struct {
	ClaimName string `json:"claimName"`
}

type configMapSource struct {
	Name string `json:"name"`
}

type pvc struct {
	object
	Spec pvcSpec `json:"spec"`
}

type pvcSpec struct {
	AccessModes      []string        `json:"accessModes"`
	StorageClassName *string         `json:"storageClassName,omitempty"`
	Resources        volumeResources `json:"resources"`
}

type volumeResources struct {
	Requests map[string]string `json:"requests"`
}

type configMap struct {
	object
	Data map[string]string `json:"data"`
}
