package cluster

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// The fields of the Kubernetes objects sgn writes, from the Kubernetes API
// reference (batch/v1 Job, core/v1 PodSpec, Container,
// PersistentVolumeClaim, ConfigMap; v1.31): every field of the objects and
// of their nested types that a Job of this kind may set, with its type and
// allowed values. A field not listed is an error (the API server rejects
// or drops unknown fields), as is a wrong type or value.

// field is one node of the schema.
type field struct {
	typ   string // object, array, string, integer, boolean, map (of strings), quantities, any
	props map[string]*field
	req   []string
	elem  *field
	enum  []string
}

func obj(req []string, props map[string]*field) *field {
	return &field{typ: "object", props: props, req: req}
}
func arr(elem *field) *field       { return &field{typ: "array", elem: elem} }
func enum(values ...string) *field { return &field{typ: "string", enum: values} }
func leaf(typ string) *field       { return &field{typ: typ} }

var (
	str, integer, boolean = leaf("string"), leaf("integer"), leaf("boolean")
	strMap, quantities    = leaf("map"), leaf("quantities")
	anything              = leaf("any")
)

var objectMeta = obj(nil, map[string]*field{
	"name": str, "generateName": str, "namespace": str, "labels": strMap, "annotations": strMap,
})

var seccomp = obj([]string{"type"}, map[string]*field{
	"type": enum("Localhost", "RuntimeDefault", "Unconfined"), "localhostProfile": str,
})

var seLinux = obj(nil, map[string]*field{"level": str, "role": str, "type": str, "user": str})

var keyToPath = arr(obj([]string{"key", "path"}, map[string]*field{"key": str, "path": str, "mode": integer}))

var containerSchema = obj([]string{"name"}, map[string]*field{
	"name": str, "image": str, "command": arr(str), "args": arr(str), "workingDir": str,
	"env": arr(obj([]string{"name"}, map[string]*field{
		"name": str, "value": str,
		"valueFrom": obj(nil, map[string]*field{
			"fieldRef":         obj([]string{"fieldPath"}, map[string]*field{"apiVersion": str, "fieldPath": str}),
			"resourceFieldRef": obj([]string{"resource"}, map[string]*field{"containerName": str, "resource": str, "divisor": str}),
			"configMapKeyRef":  obj([]string{"key"}, map[string]*field{"name": str, "key": str, "optional": boolean}),
			"secretKeyRef":     obj([]string{"key"}, map[string]*field{"name": str, "key": str, "optional": boolean}),
		}),
	})),
	"envFrom":         arr(anything),
	"imagePullPolicy": enum("Always", "Never", "IfNotPresent"),
	"resources": obj(nil, map[string]*field{
		"limits": quantities, "requests": quantities, "claims": arr(obj([]string{"name"}, map[string]*field{"name": str, "request": str})),
	}),
	"securityContext": obj(nil, map[string]*field{
		"allowPrivilegeEscalation": boolean, "privileged": boolean, "readOnlyRootFilesystem": boolean,
		"runAsNonRoot": boolean, "runAsUser": integer, "runAsGroup": integer, "procMount": enum("Default", "Unmasked"),
		"capabilities":   obj(nil, map[string]*field{"add": arr(str), "drop": arr(str)}),
		"seLinuxOptions": seLinux, "seccompProfile": seccomp,
	}),
	"volumeMounts": arr(obj([]string{"name", "mountPath"}, map[string]*field{
		"name": str, "mountPath": str, "readOnly": boolean, "subPath": str, "subPathExpr": str,
		"mountPropagation": enum("None", "HostToContainer", "Bidirectional"),
	})),
	"terminationMessagePath":   str,
	"terminationMessagePolicy": enum("File", "FallbackToLogsOnError"),
	"restartPolicy":            enum("Always"),
	"ports":                    arr(anything), "livenessProbe": anything, "readinessProbe": anything, "startupProbe": anything,
	"stdin": boolean, "tty": boolean,
})

var podSpecSchema = obj([]string{"containers"}, map[string]*field{
	"activeDeadlineSeconds": integer, "affinity": anything, "automountServiceAccountToken": boolean,
	"containers": arr(containerSchema), "initContainers": arr(containerSchema),
	"dnsPolicy": enum("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"), "enableServiceLinks": boolean,
	"hostIPC": boolean, "hostNetwork": boolean, "hostPID": boolean, "hostname": str, "subdomain": str,
	"imagePullSecrets": arr(obj(nil, map[string]*field{"name": str})),
	"nodeName":         str, "nodeSelector": strMap, "priority": integer, "priorityClassName": str,
	"restartPolicy": enum("Always", "OnFailure", "Never"), "schedulerName": str, "serviceAccountName": str,
	"securityContext": obj(nil, map[string]*field{
		"fsGroup": integer, "fsGroupChangePolicy": enum("OnRootMismatch", "Always"), "runAsGroup": integer,
		"runAsNonRoot": boolean, "runAsUser": integer, "seLinuxOptions": seLinux, "seccompProfile": seccomp,
		"supplementalGroups": arr(integer),
		"sysctls":            arr(obj([]string{"name", "value"}, map[string]*field{"name": str, "value": str})),
	}),
	"terminationGracePeriodSeconds": integer,
	"tolerations": arr(obj(nil, map[string]*field{
		"key": str, "operator": enum("Exists", "Equal"), "value": str, "effect": enum("NoSchedule", "PreferNoSchedule", "NoExecute"), "tolerationSeconds": integer,
	})),
	"volumes": arr(obj([]string{"name"}, map[string]*field{
		"name":                  str,
		"persistentVolumeClaim": obj([]string{"claimName"}, map[string]*field{"claimName": str, "readOnly": boolean}),
		"configMap":             obj(nil, map[string]*field{"name": str, "items": keyToPath, "defaultMode": integer, "optional": boolean}),
		"secret":                obj(nil, map[string]*field{"secretName": str, "items": keyToPath, "defaultMode": integer, "optional": boolean}),
		"emptyDir":              obj(nil, map[string]*field{"medium": str, "sizeLimit": str}),
	})),
})

var jobSchema = obj([]string{"apiVersion", "kind", "metadata", "spec"}, map[string]*field{
	"apiVersion": enum("batch/v1"), "kind": enum("Job"), "metadata": objectMeta,
	"spec": obj([]string{"template"}, map[string]*field{
		"activeDeadlineSeconds": integer, "backoffLimit": integer, "backoffLimitPerIndex": integer,
		"completionMode": enum("NonIndexed", "Indexed"), "completions": integer, "managedBy": str,
		"manualSelector": boolean, "maxFailedIndexes": integer, "parallelism": integer,
		"podFailurePolicy": obj([]string{"rules"}, map[string]*field{
			"rules": arr(obj([]string{"action"}, map[string]*field{
				"action": enum("FailJob", "FailIndex", "Ignore", "Count"),
				"onExitCodes": obj([]string{"operator", "values"}, map[string]*field{
					"containerName": str, "operator": enum("In", "NotIn"), "values": arr(integer),
				}),
				"onPodConditions": arr(obj([]string{"type"}, map[string]*field{"type": str, "status": enum("True", "False", "Unknown")})),
			})),
		}),
		"podReplacementPolicy":    enum("TerminatingOrFailed", "Failed"),
		"selector":                anything,
		"successPolicy":           anything,
		"suspend":                 boolean,
		"template":                obj(nil, map[string]*field{"metadata": objectMeta, "spec": podSpecSchema}),
		"ttlSecondsAfterFinished": integer,
	}),
})

var pvcSchema = obj([]string{"apiVersion", "kind", "metadata", "spec"}, map[string]*field{
	"apiVersion": enum("v1"), "kind": enum("PersistentVolumeClaim"), "metadata": objectMeta,
	"spec": obj(nil, map[string]*field{
		"accessModes":      arr(enum("ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod")),
		"resources":        obj(nil, map[string]*field{"requests": quantities, "limits": quantities}),
		"storageClassName": str, "volumeMode": enum("Filesystem", "Block"), "volumeName": str,
		"selector": anything, "dataSource": anything, "dataSourceRef": anything,
	}),
})

var configMapSchema = obj([]string{"apiVersion", "kind", "metadata"}, map[string]*field{
	"apiVersion": enum("v1"), "kind": enum("ConfigMap"), "metadata": objectMeta,
	"data": strMap, "binaryData": strMap, "immutable": boolean,
})

// quantityRE is the syntax of a resource.Quantity.
var quantityRE = regexp.MustCompile(`^[+-]?(\d+|\d+\.\d*|\.\d+)([eE][+-]?\d+|[KMGTPE]i|[numkMGTPE])?$`)

// validate checks v (decoded JSON) against f and returns the errors, each
// naming its path.
func validate(f *field, v any, at string) []string {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, at+": "+fmt.Sprintf(format, args...)) }
	switch f.typ {
	case "any":
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			bad("want an object, got %T", v)
			break
		}
		for _, r := range f.req {
			if _, ok := m[r]; !ok {
				bad("required field %q missing", r)
			}
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			sub, ok := f.props[k]
			if !ok {
				bad("unknown field %q", k)
				continue
			}
			errs = append(errs, validate(sub, m[k], at+"."+k)...)
		}
	case "array":
		a, ok := v.([]any)
		if !ok {
			bad("want an array, got %T", v)
			break
		}
		for i, e := range a {
			errs = append(errs, validate(f.elem, e, fmt.Sprintf("%s[%d]", at, i))...)
		}
	case "string":
		s, ok := v.(string)
		if !ok {
			bad("want a string, got %T", v)
		} else if f.enum != nil && !slices.Contains(f.enum, s) {
			bad("%q is not one of %v", s, f.enum)
		}
	case "integer":
		n, ok := v.(float64)
		if !ok || n != float64(int64(n)) {
			bad("want an integer, got %v", v)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			bad("want a boolean, got %T", v)
		}
	case "map", "quantities":
		m, ok := v.(map[string]any)
		if !ok {
			bad("want a map of strings, got %T", v)
			break
		}
		for k, e := range m {
			s, ok := e.(string)
			if !ok {
				bad("%s: want a string, got %T", k, e)
			} else if f.typ == "quantities" && !quantityRE.MatchString(s) {
				bad("%s: %q is not a quantity", k, s)
			}
		}
	default:
		bad("schema type %q", f.typ)
	}
	return errs
}

// decoded returns v as generic JSON.
func decoded(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSchemaValidatorCatchesMistakes(t *testing.T) {
	good := decoded(t, testKubernetes().sweepJob())
	if errs := validate(jobSchema, good, "job"); len(errs) > 0 {
		t.Fatalf("the generated Job: %v", errs)
	}
	for _, c := range []struct {
		edit func(j map[string]any)
		want string
	}{
		{func(j map[string]any) { j["spec"].(map[string]any)["backoffLimitPerIdx"] = 3 }, `unknown field "backoffLimitPerIdx"`},
		{func(j map[string]any) { j["spec"].(map[string]any)["completions"] = "4" }, "want an integer"},
		{func(j map[string]any) { j["spec"].(map[string]any)["podReplacementPolicy"] = "Never" }, `"Never" is not one of`},
		{func(j map[string]any) { delete(j["spec"].(map[string]any), "template") }, `required field "template"`},
		{func(j map[string]any) {
			podOf(j)["containers"].([]any)[0].(map[string]any)["resources"].(map[string]any)["limits"].(map[string]any)["cpu"] = "two"
		}, "is not a quantity"},
	} {
		j := decoded(t, testKubernetes().sweepJob())
		c.edit(j)
		errs := strings.Join(validate(jobSchema, j, "job"), "; ")
		if !strings.Contains(errs, c.want) {
			t.Errorf("want an error %q, got %q", c.want, errs)
		}
	}
}

// podOf returns the pod spec of a decoded Job.
func podOf(j map[string]any) map[string]any {
	return j["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
}
