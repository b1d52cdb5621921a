package covariance

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/internal/atomicfile"
	"github.com/sgn-project/sgn/model"
	"github.com/sgn-project/sgn/train"
)

// FileName is the name of the Report in an output folder of sgn covariance.
const FileName = "covariance.json"

// ModelReport is one model's entry in covariance.json: where its
// parameters are, then the headline numbers at the first batch size and the
// full analysis.
type ModelReport struct {
	// Checkpoint is the file in the output folder holding the model's
	// parameters; Source says where they come from.
	Checkpoint string       `json:"checkpoint"`
	Source     string       `json:"source"`
	Config     model.Config `json:"config"`
	Pool       int          `json:"pool"`
	Headline
}

// Seeds are the seeds of a covariance run.
type Seeds struct {
	RandomModel uint64 `json:"random_model"`
	Lanczos     uint64 `json:"lanczos"`
}

// Thresholds are the per-model thresholds of C = H/B (SlopeTolerance,
// MinPearsonR, RatioFactor) recorded with the numbers they judged.
type Thresholds struct {
	SlopeTolerance float64 `json:"slope_tolerance"`
	MinPearsonR    float64 `json:"min_pearson_r"`
	RatioFactor    float64 `json:"ratio_factor"`
}

// Report is covariance.json: C(θ) against H(θ)/B (Xie et al. 2021,
// Section 2) at a pretrained model and at a random one, with what was run.
type Report struct {
	Version string `json:"version"`
	// Command is the command line that produced the file.
	Command    []string       `json:"command"`
	Data       data.Selection `json:"data"`
	BatchSizes []int          `json:"batch_sizes"`
	Window     Window         `json:"window"`
	Mode       Mode           `json:"mode"`
	TopK       int            `json:"top_k"`
	HeatmapK   int            `json:"heatmap_k"`
	Seeds      Seeds          `json:"seeds"`
	Workers    int            `json:"workers"`
	// Training records the on-the-spot training (no checkpoint given).
	Training *train.Summary `json:"training,omitempty"`
	Models   struct {
		Pretrained *ModelReport `json:"pretrained"`
		Random     *ModelReport `json:"random"`
	} `json:"models"`
	// Thresholds of the per-model verdicts.
	Thresholds Thresholds         `json:"thresholds"`
	Verdict    string             `json:"verdict"`
	Seconds    map[string]float64 `json:"seconds"`
	// CPUSeconds is the process CPU time (user + system, all threads) of
	// the command, beside its wall time Seconds["total"].
	CPUSeconds float64           `json:"cpu_seconds"`
	Files      map[string]string `json:"files"`
}

// CurrentThresholds returns the thresholds this version judges by.
func CurrentThresholds() Thresholds {
	return Thresholds{SlopeTolerance: SlopeTolerance, MinPearsonR: MinPearsonR, RatioFactor: RatioFactor}
}

// Write writes r as dir/covariance.json, atomically.
func (r *Report) Write(dir string) error {
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("%s: %w", FileName, err)
	}
	return atomicfile.WriteBytes(filepath.Join(dir, FileName), append(js, '\n'))
}

// Read reads a covariance.json written by Write. A file that is not one
// (null, a list, numbers as strings, a model or its analysis missing) is
// an error naming the file.
func Read(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Report
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%s is not a covariance report: %w", path, err)
	}
	if err := r.validate(); err != nil {
		return nil, fmt.Errorf("%s is not a covariance report: %w", path, err)
	}
	return &r, nil
}

// validate checks that r holds what the claims read.
func (r *Report) validate() error {
	for _, m := range []struct {
		name string
		r    *ModelReport
	}{{PretrainedName, r.Models.Pretrained}, {RandomName, r.Models.Random}} {
		switch {
		case m.r == nil:
			return fmt.Errorf("no %s model", m.name)
		case m.r.Analysis == nil || len(m.r.Analysis.Comparisons) == 0:
			return fmt.Errorf("the %s model has no analysis", m.name)
		}
	}
	if len(r.BatchSizes) == 0 {
		return errors.New("no batch size")
	}
	if r.Thresholds.SlopeTolerance <= 0 || r.Thresholds.MinPearsonR <= 0 || r.Thresholds.RatioFactor <= 1 {
		return fmt.Errorf("thresholds %+v", r.Thresholds)
	}
	return nil
}
