package covariance

import (
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/internal/atomicfile"
	"github.com/sgn-project/sgn/internal/cputime"
	"github.com/sgn-project/sgn/model"
	"github.com/sgn-project/sgn/train"
)

// The files of a run (Run) in its folder, beside FileName: the points of
// the figure, the figure (FigureBase.png and .svg) and the checkpoints of
// both models.
const (
	PointsFile     = "points.csv"
	FigureBase     = "cvh"
	PretrainedFile = "pretrained.safetensors"
	RandomFile     = "random.safetensors"
	// PartialFile holds the pretrained model's analysis (a ModelReport) as
	// soon as it is finished, beside the copy of its checkpoint
	// (PretrainedFile), so that a run whose random model fails keeps it;
	// a run that succeeds removes it once covariance.json, which holds the
	// same analysis, is written.
	PartialFile = "pretrained-analysis.json"
	// TrainDir is the folder, inside the output folder, where sgn
	// covariance trains the figure preset when it is given no checkpoint.
	TrainDir = "pretrained"
)

// Job is one run of the experiment of Xie et al. (2021, Fig. 2) into a
// folder (sgn covariance): C(θ) against H(θ)/B at a pretrained model and at
// a random one of the same architecture.
type Job struct {
	// Pretrained is the pretrained model, Meta its checkpoint's metadata
	// (a minimum written by sgn minimum records the weight decay of the
	// loss it minimises: the regime check "at a minimum" judges that loss),
	// Checkpoint its file (copied into the folder as PretrainedFile) and
	// Source where it comes from, in words.
	Pretrained *model.MLP
	Meta       model.CheckpointMeta
	Checkpoint string
	Source     string
	// Training is the on-the-spot training that made Pretrained, if any.
	Training *train.Summary
	// Data are the samples analysed.
	Data *data.Set
	// RandomSeed initialises the random model; Options are the analysis'
	// (its WeightDecay is the checkpoint's).
	RandomSeed uint64
	Options    Options
	// OutDir is the output folder; Version and Command are recorded in
	// the report.
	OutDir, Version string
	Command         []string
	// Start is when the command started (the report's total time),
	// StartCPU the process CPU seconds then (a cputime.Process reading, the
	// origin of the report's cpu_seconds) and Seconds the times measured
	// before Run (the report adds Training's wall time as "train").
	Start    time.Time
	StartCPU float64
	Seconds  map[string]float64
	// Progress, if not nil, gets AnalyzePair's progress.
	Progress func(fraction float64, status string)
}

// seconds are the times measured before Run (Job.Seconds) with the
// on-the-spot training's wall time as "train" when it is not among them.
func (j Job) seconds() map[string]float64 {
	seconds := map[string]float64{}
	maps.Copy(seconds, j.Seconds)
	if _, ok := seconds["train"]; !ok && j.Training != nil {
		seconds["train"] = round3(j.Training.WallSeconds)
	}
	return seconds
}

// Run analyses the pair (AnalyzePair) and writes both checkpoints, the
// figure, points.csv and covariance.json (last) into j.OutDir. The
// pretrained model's analysis is written (PartialFile, with the copy of its
// checkpoint) as soon as it is finished, removing an earlier run's outputs
// first, so a failure of the random model's analysis keeps it; covariance.json
// replaces it when the run succeeds. A run that fails while writing the
// rest removes what it wrote but PartialFile (never the checkpoint
// analysed, which may be one of those files), so the folder never mixes two
// runs; a run that fails before the pretrained analysis is finished leaves
// an earlier run's outputs as they were. Errors of the analysis are
// AnalyzePair's, wrapped after the pretrained analysis was saved (errors.As
// finds them).
func Run(j Job) (*Report, error) {
	seconds := j.seconds()
	o := j.Options
	o.WeightDecay = j.Meta.Metrics["weight_decay"]
	t0 := time.Now()
	saved := false
	pair, err := analyzePair(j.Pretrained, model.Batch{X: j.Data.X, Y: j.Data.Y}, j.RandomSeed, o, j.Progress, func(a *Analysis) error {
		if err := j.writePartial(a); err != nil {
			return err
		}
		saved = true
		return nil
	})
	if err != nil {
		if saved {
			return nil, fmt.Errorf("%w (the pretrained model's analysis is saved in %s)", err, filepath.Join(j.OutDir, PartialFile))
		}
		return nil, err
	}
	seconds["analysis"] = round3(time.Since(t0).Seconds())
	rep, err := j.write(pair, o, seconds)
	if err != nil {
		j.removeOutputs(false) // the write error is the one reported
		return nil, err
	}
	atomicfile.RemoveStale(j.OutDir, PartialFile) // covariance.json holds it
	return rep, nil
}

// writePartial removes an earlier run's outputs, then writes the copy of
// the pretrained checkpoint and the pretrained model's analysis a
// (PartialFile).
func (j *Job) writePartial(a *Analysis) error {
	if err := j.removeOutputs(true); err != nil {
		return err
	}
	if err := j.copyCheckpoint(); err != nil {
		return err
	}
	mr := &ModelReport{Checkpoint: PretrainedFile, Source: j.Source, Config: j.Pretrained.Config, Pool: j.Meta.Pool, Headline: NewHeadline(a)}
	return atomicfile.WriteJSON(filepath.Join(j.OutDir, PartialFile), mr)
}

// copyCheckpoint copies the pretrained checkpoint into the folder
// (PretrainedFile), unless it is that file.
func (j *Job) copyCheckpoint() error {
	dst := filepath.Join(j.OutDir, PretrainedFile)
	if a, errA := os.Stat(j.Checkpoint); errA == nil {
		if b, errB := os.Stat(dst); errB == nil && os.SameFile(a, b) {
			return nil
		}
	}
	raw, err := os.ReadFile(j.Checkpoint)
	if err != nil {
		return fmt.Errorf("cannot copy the pretrained checkpoint: %w", err)
	}
	return atomicfile.WriteBytes(dst, raw)
}

// write writes the files of the run; covariance.json last, with the total
// time.
func (j *Job) write(pair *Pair, o Options, seconds map[string]float64) (*Report, error) {
	dir := j.OutDir
	preFile, rndFile, figBase, points := filepath.Join(dir, PretrainedFile), filepath.Join(dir, RandomFile), filepath.Join(dir, FigureBase), filepath.Join(dir, PointsFile)
	if err := j.copyCheckpoint(); err != nil {
		return nil, err
	}
	rnd := pair.RandomModel
	if err := model.SaveCheckpoint(rndFile, rnd, model.CheckpointMeta{Pool: j.Meta.Pool, Version: j.Version}); err != nil {
		return nil, err
	}
	rep := &Report{Version: j.Version, Command: j.Command, Data: j.Data.Selected(),
		BatchSizes: o.BatchSizes, Window: pair.Pretrained.Window, Mode: o.Mode, TopK: o.TopK, HeatmapK: o.HeatmapK,
		Workers: o.Workers, Training: j.Training, Seconds: seconds}
	rep.Seeds = Seeds{RandomModel: j.RandomSeed, Lanczos: o.Seed}
	rep.Thresholds = CurrentThresholds()
	rep.Models.Pretrained = &ModelReport{Checkpoint: PretrainedFile, Source: j.Source, Config: j.Pretrained.Config, Pool: j.Meta.Pool,
		Headline: NewHeadline(pair.Pretrained)}
	rep.Models.Random = &ModelReport{Checkpoint: RandomFile, Source: fmt.Sprintf("random initialisation (%s, seed %d)", rnd.Init, rnd.Seed),
		Config: rnd.Config, Pool: j.Meta.Pool, Headline: NewHeadline(pair.Random)}
	rep.Verdict = pair.Verdict()
	rep.Files = map[string]string{
		"figure_png": figBase + ".png", "figure_svg": figBase + ".svg", "points": points,
		"pretrained": preFile, "random": rndFile,
	}
	t1 := time.Now()
	if err := pair.WriteFigure(figBase); err != nil {
		return nil, err
	}
	if err := pair.WritePoints(points); err != nil {
		return nil, err
	}
	seconds["files"] = round3(time.Since(t1).Seconds())
	seconds["total"] = round3(time.Since(j.Start).Seconds())
	rep.CPUSeconds = cputime.Since(j.StartCPU)
	return rep, rep.Write(dir)
}

// removeOutputs removes the files a run writes into its folder, less the
// checkpoint analysed if it is one of them, and PartialFile unless
// partialToo. It tries every file and returns the first that could not be
// removed.
func (j *Job) removeOutputs(partialToo bool) error {
	ck, errC := os.Stat(j.Checkpoint)
	names := []string{FileName, PointsFile, FigureBase + ".png", FigureBase + ".svg", PretrainedFile, RandomFile}
	if partialToo {
		names = append(names, PartialFile)
	}
	var first error
	for _, n := range names {
		if st, err := os.Stat(filepath.Join(j.OutDir, n)); err == nil && errC == nil && os.SameFile(st, ck) {
			continue
		}
		if _, err := atomicfile.RemoveStale(j.OutDir, n); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// round3 rounds x to three decimals (times in seconds).
func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// WriteText writes the summary of a run: the data and options, the
// headline of both models, the verdict and the files.
func (r *Report) WriteText(w io.Writer) error {
	bs := make([]string, len(r.BatchSizes))
	for i, b := range r.BatchSizes {
		bs[i] = strconv.Itoa(b)
	}
	mode := r.Mode
	if a := r.Models.Pretrained.Analysis; a != nil {
		mode = a.Mode
	}
	win := fmt.Sprintf("(%g, %g)", r.Window.Min, r.Window.Max)
	if a := r.Models.Random.Analysis; a != nil && len(a.Comparisons) > 0 && a.Comparisons[0].Window != r.Window {
		win += fmt.Sprintf(" (random model: (%g, %g))", a.Comparisons[0].Window.Min, a.Comparisons[0].Window.Max)
	}
	fmt.Fprintf(w, "C(θ) vs H(θ)/B on %s (N = %d), B = %s, eigenvalues in %s, mode %s, %.1f s\n",
		r.Data.Description, r.Data.N, strings.Join(bs, ","), win, mode, r.Seconds["total"])
	for i, m := range []*ModelReport{r.Models.Pretrained, r.Models.Random} {
		fmt.Fprintf(w, "%-10s P = %d, loss %.4f: %s\n", []string{PretrainedName, RandomName}[i], m.NumParams, m.Loss, m.Verdict)
		extra := fmt.Sprintf("           offdiag ratio %.3f, tr Σ %.4g", m.OffdiagRatio, m.TraceSigma)
		if m.RelFrobenius != nil {
			extra += fmt.Sprintf(", ‖C − H/B‖/‖H/B‖ %.3f", *m.RelFrobenius)
		}
		if m.BSimple != nil {
			extra += fmt.Sprintf(", B_simple %.4g", *m.BSimple)
		}
		fmt.Fprintln(w, extra)
		for _, wn := range m.Warnings {
			fmt.Fprintf(w, "           warning: %s\n", wn)
		}
	}
	fmt.Fprintf(w, "verdict: %s\n", r.Verdict)
	_, err := fmt.Fprintf(w, "figure %s (and .svg)\nnumbers %s, points %s\ncheckpoints %s, %s\n",
		r.Files["figure_png"], filepath.Join(filepath.Dir(r.Files["points"]), FileName), r.Files["points"], r.Files["pretrained"], r.Files["random"])
	return err
}
