package paper

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sgn-project/sgn/covariance"
	noiseclaims "github.com/sgn-project/sgn/covariance/noiseshape/claims"
	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/escape/equilibrium"
	kramersclaims "github.com/sgn-project/sgn/escape/kramers/claims"
	"github.com/sgn-project/sgn/escape/selection"
	"github.com/sgn-project/sgn/escape/sharpness"
	"github.com/sgn-project/sgn/internal/atomicfile"
	"github.com/sgn-project/sgn/internal/report"
	"github.com/sgn-project/sgn/model"
)

// Experiments returns the Claims function of every experiment package, in
// the order of the paper (Xie, Sato & Sugiyama, ICLR 2021; Simsekli et al.
// 2019): each judges its own claims from its own typed output files.
func Experiments() []report.ClaimsFunc {
	return []report.ClaimsFunc{covariance.Claims, noiseclaims.Claims, equilibrium.Claims, kramersclaims.Claims, selection.Claims, sharpness.Claims}
}

// Job is one run of every experiment on a network and its data (sgn paper).
type Job struct {
	// Checkpoint is the model file: a checkpoint sgn wrote or a PyTorch
	// state_dict, read with Load (its activation, the parameter bound).
	Checkpoint string
	Load       model.LoadOptions
	// Data is the data file (x, y) analysed, "" for MNIST (a checkpoint of
	// an MNIST model, from MNIST, "" to search for it); Test a held-out
	// file, recorded in the provenance.
	Data, Test, MNIST string
	// Out is the folder of the experiments' folders and of the page.
	Out string
	// Quick runs the quick sizes; Budget (0: none) scales the full sizes
	// down to fit it (Size).
	Quick  bool
	Budget time.Duration
	// Workers is the number of goroutines of every experiment; results do
	// not depend on it.
	Workers int
	// MaxMemory (bytes, 0: none) is the most an experiment's buffers may
	// need, estimated before it allocates them; one that needs more is
	// not run.
	MaxMemory float64
	// Version and Command are recorded in the outputs.
	Version string
	Command []string
	// Log, if not nil, is told each experiment as it starts and ends.
	Log func(line string)
}

// Status is what became of one experiment.
type Status string

// The statuses of an experiment.
const (
	// Done: it ran and wrote its folder.
	Done Status = "done"
	// Reused: its folder was finished by an earlier run on the same
	// inputs and settings.
	Reused Status = "reused"
	// Failed: it ran and returned an error; the others went on.
	Failed Status = "failed"
	// Skipped: it cannot apply to this network or data, or an experiment
	// it needs did not finish.
	Skipped Status = "not run"
)

// Outcome is what became of one experiment: its name, folder, status, why
// (for Failed and Skipped) and the wall seconds it took.
type Outcome struct {
	Experiment string  `json:"experiment"`
	Folder     string  `json:"folder"`
	Status     Status  `json:"status"`
	Reason     string  `json:"reason,omitempty"`
	Seconds    float64 `json:"seconds"`
}

// Result is what Run did: the shape read, the sizes derived, the outcome
// of each experiment and the page built.
type Result struct {
	Shape    Shape
	Sizes    Sizes
	Outcomes []Outcome
	Report   *report.Report
}

// RunFile is the record of the last run in Job.Out: the version and
// command, the shape read, the sizes derived and each experiment's
// outcome.
const RunFile = "paper.json"

// runRecord is the content of RunFile.
type runRecord struct {
	Version  string    `json:"version"`
	Command  []string  `json:"command"`
	Shape    Shape     `json:"shape"`
	Sizes    Sizes     `json:"sizes"`
	Outcomes []Outcome `json:"outcomes"`
}

// MarkerFile is the file each finished experiment's folder holds: the key
// of its inputs and settings, by which a rerun reuses the folder.
const MarkerFile = "paper-step.json"

// marker is the content of MarkerFile.
type marker struct {
	Experiment string `json:"experiment"`
	Key        string `json:"key"`
	// Done is false while the experiment runs: a rerun on the same key
	// resumes the folder (a sweep continues its runs), on another key
	// starts it afresh.
	Done    bool    `json:"done"`
	Seconds float64 `json:"seconds"`
}

// notApplicable is an experiment that cannot apply: a Skipped outcome,
// not a failure.
type notApplicable struct{ reason string }

func (e *notApplicable) Error() string { return e.reason }

// skip returns the error by which an experiment says it cannot apply.
func skip(format string, a ...any) error { return &notApplicable{fmt.Sprintf(format, a...)} }

// step is one experiment of the run.
type step struct {
	name, folder string
	// settings enter the key with the inputs' digests and the keys of the
	// steps needed.
	settings any
	needs    []string
	// run runs the experiment into dir; fresh is false when dir holds
	// this same experiment's unfinished run (which a sweep resumes).
	run func(dir string, fresh bool) error
}

// Run runs every experiment of Xie et al. (2021) that applies to the
// network of j.Checkpoint and the data of j.Data, sized to them (Size),
// each into its own folder of j.Out, reusing a folder an earlier run
// finished on the same inputs and settings; an experiment that fails does
// not stop the others. It then writes the page (report.json, index.html)
// in j.Out from the folders that finished, with the model and the data in
// its provenance and the experiments not run with the reason. Errors are
// those that stop everything (the model, the data or the output folder),
// and a *NoResultError, returned after the record and the page are
// written, when the page measures no claim.
func Run(j Job) (*Result, error) {
	m, meta, _, err := model.LoadCheckpointOptions(j.Checkpoint, j.Load)
	if err != nil {
		return nil, err
	}
	subject, shape, err := describe(j, m, meta)
	if err != nil {
		return nil, err
	}
	sizes, err := Size(shape, j.Quick, j.Budget, j.Workers)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dataName(j.Data), err)
	}
	sel := data.Options{File: j.Data, Dir: j.MNIST, Split: "train", Pool: meta.Pool, First: sizes.First}
	set, err := data.Load(sel)
	if err != nil {
		return nil, err
	}
	if err := data.CheckFits(set, m.Layers); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", j.Checkpoint, err)
	}
	if subject.Data.SHA256 == "" {
		subject.Data.SHA256 = set.Digest // MNIST: the digest of its four files
	}
	if err := os.MkdirAll(j.Out, 0o755); err != nil {
		return nil, fmt.Errorf("output folder: %w", err)
	}
	r := &runner{j: j, m: m, meta: meta, set: set, sizes: sizes, keys: map[string]string{},
		inputs: map[string]string{"model": subject.Model.SHA256, "data": subject.Data.SHA256}}
	res := &Result{Shape: shape, Sizes: sizes}
	return res, r.run(r.steps(), res, subject)
}

// NoResultError is the error of a run that measured no claim of the
// paper: every experiment failed, could not apply, or wrote nothing the
// page judges. The run's record and the page, which list each reason, are
// written all the same.
type NoResultError struct {
	// First is the first experiment not run or failed, with its reason.
	First Outcome
	// Page is the page written (index.html), which lists every reason.
	Page string
}

func (e *NoResultError) Error() string {
	why := "the experiments that finished measure none of the paper's claims"
	if e.First.Experiment != "" {
		why = fmt.Sprintf("%s %s: %s", e.First.Experiment, e.First.Status, e.First.Reason)
	}
	return fmt.Sprintf("no claim of the paper measured (%s); every experiment's outcome is in %s", why, e.Page)
}

// run runs the steps in order (Outcomes), writes the run's record
// (RunFile) and the page from the folders that finished, and returns a
// *NoResultError when the page measures no claim.
func (r *runner) run(steps []step, res *Result, subject *report.Subject) error {
	j := r.j
	var folders []string
	var notRun []report.NotRun
	var first Outcome
	for _, s := range steps {
		o := r.do(s)
		res.Outcomes = append(res.Outcomes, o)
		if o.Status == Done || o.Status == Reused {
			folders = append(folders, o.Folder)
			continue
		}
		if first.Experiment == "" {
			first = o
		}
		reason := o.Reason
		if o.Status == Failed {
			reason = "it failed: " + reason
		}
		notRun = append(notRun, report.NotRun{Experiment: o.Experiment, Folder: o.Folder, Reason: reason})
	}
	if err := atomicfile.WriteJSON(filepath.Join(j.Out, RunFile), runRecord{Version: j.Version, Command: j.Command, Shape: res.Shape, Sizes: res.Sizes,
		Outcomes: res.Outcomes}); err != nil {
		return err
	}
	rep, err := report.Build(pageOrder(folders), j.Version, Experiments())
	if err != nil {
		return err
	}
	rep.Claims, notRun = onNetwork(rep.Claims, notRun)
	rep.Provenance.Subject, rep.Provenance.NotRun = subject, notRun
	if _, err := report.RemoveOutputs(j.Out); err != nil {
		return err
	}
	if err := report.Write(rep, j.Out); err != nil {
		return err
	}
	res.Report = rep
	for _, c := range rep.Claims {
		if c.Measured() {
			return nil
		}
	}
	return &NoResultError{First: first, Page: filepath.Join(j.Out, "index.html")}
}

// pageOrder puts the folders measured at the minimum first: a claim
// measured in several folders is judged from the first (report.Build), and
// the claims of Xie et al. are about a minimum.
func pageOrder(folders []string) []string {
	var first, rest []string
	for _, f := range folders {
		switch filepath.Base(f) {
		case folderCovMin, folderNoiseMin:
			first = append(first, f)
		default:
			rest = append(rest, f)
		}
	}
	return append(first, rest...)
}

// dataName names the data of file for messages.
func dataName(file string) string {
	if file == "" {
		return "MNIST"
	}
	return file
}

// describe reads what the page records of the model and the data, and the
// shape the sizes are derived from.
func describe(j Job, m *model.MLP, meta model.CheckpointMeta) (*report.Subject, Shape, error) {
	digest, err := fileSHA256(j.Checkpoint)
	if err != nil {
		return nil, Shape{}, err
	}
	mf := report.ModelFile{File: j.Checkpoint, SHA256: digest, Layers: m.Layers, Activation: string(m.Activation), Params: m.NumParams(), DType: "F64"}
	if t := meta.Torch; t != nil {
		mf.DType, mf.Widened = t.DType, t.WidenedFromFloat32
		mf.Source = fmt.Sprintf("a PyTorch state_dict of the nn.Linear modules %s, activation from %s", strings.Join(t.Modules, ", "), t.ActivationFrom)
	}
	sub := &report.Subject{Model: mf}
	shape := Shape{P: m.NumParams()}
	if j.Data == "" {
		if meta.Pool == 0 {
			return nil, shape, fmt.Errorf("checkpoint %s: its model takes %d input features, not an MNIST width: give the data it was trained on", j.Checkpoint, m.Layers[0])
		}
		d := (28 / meta.Pool) * (28 / meta.Pool)
		sub.Data = report.DataFile{File: "MNIST train", N: data.TrainSize, D: d, Classes: 10}
		shape.N, shape.D, shape.Classes = data.TrainSize, d, 10
		return sub, shape, nil
	}
	df, err := dataFile(j.Data)
	if err != nil {
		return nil, shape, err
	}
	sub.Data = *df
	if j.Test != "" {
		t, err := dataFile(j.Test)
		if err != nil {
			return nil, shape, err
		}
		if t.D != df.D {
			return nil, shape, fmt.Errorf("test data %s: %d features, the data %s has %d", j.Test, t.D, j.Data, df.D)
		}
		sub.Test = t
	}
	shape.N, shape.D, shape.Classes = df.N, df.D, df.Classes
	return sub, shape, nil
}

// dataFile describes the data file path from its headers and labels.
func dataFile(path string) (*report.DataFile, error) {
	info, err := data.InspectFile(path)
	if err != nil {
		return nil, err
	}
	k, err := info.Classes()
	if err != nil {
		return nil, err
	}
	digest, err := fileSHA256(path)
	if err != nil {
		return nil, err
	}
	return &report.DataFile{File: path, SHA256: digest, N: info.N, D: info.D, Classes: k}, nil
}

// fileSHA256 is the hex SHA-256 of the file's bytes.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// runner holds what the steps share.
type runner struct {
	j      Job
	m      *model.MLP
	meta   model.CheckpointMeta
	set    *data.Set
	sizes  Sizes
	inputs map[string]string
	// keys are the keys of the steps done or reused, by folder name.
	keys map[string]string
}

// pool is the MNIST pooling the experiments' networks read their images
// with: the checkpoint's, or 0 with a data file (--data), whose rows are
// the features as they are whatever pooling the checkpoint was trained on.
func (r *runner) pool() int {
	if r.j.Data != "" {
		return 0
	}
	return r.meta.Pool
}

// log writes a line through j.Log.
func (r *runner) log(format string, a ...any) {
	if r.j.Log != nil {
		r.j.Log(fmt.Sprintf(format, a...))
	}
}

// do runs step s, or reuses its folder, or says why it cannot run.
func (r *runner) do(s step) Outcome {
	dir := filepath.Join(r.j.Out, s.folder)
	o := Outcome{Experiment: s.name, Folder: dir, Status: Skipped}
	for _, n := range s.needs {
		if _, ok := r.keys[n]; !ok {
			o.Reason = fmt.Sprintf("it starts from the output of %s, which did not finish", n)
			return o
		}
	}
	key, err := r.key(s)
	if err != nil {
		o.Status, o.Reason = Failed, err.Error()
		return o
	}
	mk, err := readMarker(dir)
	if err == nil && mk.Key == key && mk.Done {
		r.keys[s.folder] = key
		o.Status, o.Seconds = Reused, mk.Seconds
		r.log("%s: reused %s (same inputs and settings)", s.name, dir)
		return o
	}
	fresh := err != nil || mk.Key != key
	if err := os.MkdirAll(dir, 0o755); err != nil {
		o.Status, o.Reason = Failed, err.Error()
		return o
	}
	if err := atomicfile.WriteJSON(filepath.Join(dir, MarkerFile), marker{Experiment: s.name, Key: key}); err != nil {
		o.Status, o.Reason = Failed, err.Error()
		return o
	}
	r.log("%s: running into %s", s.name, dir)
	t0 := time.Now()
	err = protect(func() error { return s.run(dir, fresh) })
	o.Seconds = math.Round(time.Since(t0).Seconds()*1000) / 1000
	var na *notApplicable
	switch {
	case errors.As(err, &na):
		o.Reason = na.reason
		r.log("%s: not run, because %s", s.name, na.reason)
		// An experiment that cannot apply wrote nothing; what its folder
		// holds of an earlier run on other inputs or settings goes, so the
		// folder never holds another run's results beside this run's
		// "not run".
		if fresh {
			if err := clearFolder(dir); err != nil {
				o.Status, o.Reason = Failed, err.Error()
			}
		}
		return o
	case err != nil:
		o.Status, o.Reason = Failed, err.Error()
		r.log("%s: failed: %v", s.name, err)
		return o
	}
	if err := atomicfile.WriteJSON(filepath.Join(dir, MarkerFile), marker{Experiment: s.name, Key: key, Done: true, Seconds: o.Seconds}); err != nil {
		o.Status, o.Reason = Failed, err.Error()
		return o
	}
	r.keys[s.folder] = key
	o.Status = Done
	r.log("%s: done in %.1f s", s.name, o.Seconds)
	return o
}

// key is the hex SHA-256 of the step's inputs: the model's and the data's
// digests, the rows analysed, its settings (in Go syntax: the options hold
// progress callbacks, nil here, that JSON cannot encode) and the keys of
// the steps it needs.
func (r *runner) key(s step) (string, error) {
	needs := map[string]string{}
	for _, n := range s.needs {
		needs[n] = r.keys[n]
	}
	b, err := json.Marshal(struct {
		Experiment string            `json:"experiment"`
		Inputs     map[string]string `json:"inputs"`
		First      int               `json:"first"`
		Settings   string            `json:"settings"`
		Needs      map[string]string `json:"needs"`
	}{s.name, r.inputs, r.sizes.First, fmt.Sprintf("%#v", s.settings), needs})
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:]), nil
}

// readMarker reads dir's MarkerFile.
func readMarker(dir string) (*marker, error) {
	b, err := os.ReadFile(filepath.Join(dir, MarkerFile))
	if err != nil {
		return nil, err
	}
	var mk marker
	if err := json.Unmarshal(b, &mk); err != nil {
		return nil, err
	}
	return &mk, nil
}

// analytic are the claims judged on analytic landscapes (SGLD and the SGD
// diffusion on the double well, the two-well, minima selection between two
// valleys): they are not about the given network.
var analytic = map[string]bool{kramersclaims.ClaimSGLD: true, kramersclaims.ClaimDoubleWell: true, kramersclaims.ClaimTwoWell: true,
	kramersclaims.ClaimTwoWellBatchEta: true, selection.ClaimTwoValley: true}

// onNetwork keeps the claims about the network: the analytic ones are
// listed as not run, and a claim that no experiment measured says so in
// the terms of this run (instead of naming the make target of the
// paper's own network).
func onNetwork(claims []report.Claim, notRun []report.NotRun) ([]report.Claim, []report.NotRun) {
	var out []report.Claim
	var ids []string
	for _, c := range claims {
		if analytic[c.ID] {
			ids = append(ids, c.ID)
			continue
		}
		if !c.Measured() {
			c.Finding = "Not measured on this network and data: no experiment that ran wrote " + strings.TrimPrefix(c.Rule, "needs ") +
				" for it (the experiments not run are listed with the reason under Provenance; the batch sizes run are at most a quarter of the rows analysed)."
			c.Produce = "sgn paper"
		}
		out = append(out, c)
	}
	if len(ids) > 0 {
		notRun = append(notRun, report.NotRun{Experiment: "analytic landscapes (" + strings.Join(ids, ", ") + ")",
			Reason: "they are claims about the double well and the two-well, not about this network (make paper measures them)"})
	}
	return out, notRun
}

// protect runs f and returns a panic in it as an error, so that one
// experiment's failure does not lose the others.
func protect(f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return f()
}
