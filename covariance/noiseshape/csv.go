package noiseshape

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"

	"github.com/sgn-project/sgn/internal/atomicfile"
	"github.com/sgn-project/sgn/internal/stats"
)

// SummaryHeader is the header of WriteSummaryCSV.
func SummaryHeader() []string {
	return []string{"batch_size", "view", "samples", "n",
		"tail_index", "tail_index_q1", "tail_index_q3", "stable_alpha",
		"ks_p_value", "ad_p_value", "ks_reject_fraction", "ad_reject_fraction",
		"skewness", "skewness_q1", "skewness_q3"}
}

// WriteSummaryCSV writes the headline numbers of r as a table, one row
// per batch size and view, atomically to path. Views:
// across_params_one_minibatch, across_params_pooled,
// across_params_reference_gaussian and across_params_reference_stable are
// single samples (samples = 1, n their size, tail_index their α̂, p-values
// their tests', reject fractions 0 or 1); across_params_per_minibatch,
// across_minibatches and the across_minibatches_reference_* rows summarise
// many samples (samples of n values each; tail_index, stable_alpha and the
// p-values are medians, tail_index_q1/q3 the quartiles of α̂; skewness and
// its quartiles likewise). Statistics that were not computed are empty. An
// Anderson–Darling p-value at the floor of its fits (stats.ADPValueFloor,
// an upper bound) is written "< 1e-23", and a stable fit's α at the lower
// bound of its table (stats.StableFit.AtBound) "<= 0.6". The p-values are a footnote: the
// effect sizes (WriteCoordsCSV, noise.json) say how far from Gaussian.
func WriteSummaryCSV(r *Analysis, path string) error {
	if r == nil {
		return errors.New("noise summary: nil report")
	}
	rows := [][]string{SummaryHeader()}
	for _, b := range r.Batches {
		bs := strconv.Itoa(b.BatchSize)
		single := func(view string, s *SampleStats) {
			if s == nil {
				return
			}
			row := []string{bs, view, "1", strconv.Itoa(s.N), "", "", "", "", "", "", "", "", "", "", ""}
			if s.TailIndex != nil {
				row[4] = fmtFloat(*s.TailIndex)
			}
			if s.Skewness != nil {
				row[12] = fmtFloat(*s.Skewness)
			}
			if s.Stable != nil {
				row[7] = fmtStableAlpha(*s.Stable)
			}
			if s.KS != nil {
				row[8], row[10] = fmtFloat(s.KS.PValue), rejects(s.KS.PValue)
			}
			if s.AD != nil {
				row[9], row[11] = fmtPValue(s.AD.PValue), rejects(s.AD.PValue)
			}
			rows = append(rows, row)
		}
		many := func(view string, d *DistSummary, n int) {
			if d == nil {
				return
			}
			row := []string{bs, view, strconv.Itoa(d.Samples), strconv.Itoa(n), "", "", "", "", "", "",
				fmtFloat(d.KSRejectFraction), fmtFloat(d.ADRejectFraction), "", "", ""}
			if q := d.TailIndex; q != nil {
				row[4], row[5], row[6] = fmtFloat(q.Median), fmtFloat(q.Q1), fmtFloat(q.Q3)
			}
			if q := d.Skewness; q != nil {
				row[12], row[13], row[14] = fmtFloat(q.Median), fmtFloat(q.Q1), fmtFloat(q.Q3)
			}
			if q := d.StableAlpha; q != nil {
				row[7] = fmtFloat(q.Median)
			}
			if q := d.KSPValue; q != nil {
				row[8] = fmtFloat(q.Median)
			}
			if q := d.ADPValue; q != nil {
				row[9] = fmtPValue(q.Median)
			}
			rows = append(rows, row)
		}
		ap := b.AcrossParams
		single("across_params_one_minibatch", ap.OneMinibatch)
		perN := 0
		if ap.OneMinibatch != nil {
			perN = ap.OneMinibatch.N
		}
		many("across_params_per_minibatch", ap.PerMinibatch, perN)
		single("across_params_pooled", ap.Pooled)
		single("across_params_reference_gaussian", ap.ReferenceGaussian)
		single("across_params_reference_stable", ap.ReferenceStable)
		am := b.AcrossMinibatches
		many("across_minibatches", am.Coordinates, r.Minibatches)
		many("across_minibatches_reference_gaussian", am.ReferenceGaussian, r.Minibatches)
		many("across_minibatches_reference_stable", am.ReferenceStable, r.Minibatches)
	}
	return atomicfile.Write(path, func(f io.Writer) error {
		w := csv.NewWriter(f)
		if err := w.WriteAll(rows); err != nil {
			return fmt.Errorf("noise summary: %w", err)
		}
		return nil
	})
}

func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }

// fmtPValue formats a p-value; the Anderson–Darling floor, an upper bound
// and not a value, is written "< 1e-23".
func fmtPValue(p float64) string {
	if p <= stats.ADPValueFloor {
		return "< 1e-23"
	}
	return fmtFloat(p)
}

// fmtStableAlpha formats a stable fit's α; α at the lower bound of
// McCulloch's table, a bound and not an estimate, is written "<= 0.6".
func fmtStableAlpha(f stats.StableFit) string {
	if f.AtBound == "lower" {
		return "<= " + fmtFloat(f.Alpha)
	}
	return fmtFloat(f.Alpha)
}

func rejects(p float64) string {
	if p < RejectLevel {
		return "1"
	}
	return "0"
}

// Names of the files WriteFiles writes into its folder.
const (
	SummaryCSVFile = "noise.csv"
	CoordsCSVFile  = "noise-coords.csv"
	PanelsBase     = "noise-panels"
	VsBatchBase    = "noise-vs-batch"
)

// WriteFiles writes the summary table (WriteSummaryCSV), the
// per-coordinate effect sizes (WriteCoordsCSV), the four-panel
// figure (WritePanels) and the tail index against B (WriteVsBatch) into dir
// and returns their paths under the keys "csv", "coords_csv", "panels" and "vs_b" (the
// figures without their .png/.svg extension).
func (r *Analysis) WriteFiles(dir string) (map[string]string, error) {
	files := map[string]string{
		"csv":    filepath.Join(dir, SummaryCSVFile),
		"panels": filepath.Join(dir, PanelsBase),
		"vs_b":   filepath.Join(dir, VsBatchBase),
	}
	if err := WriteSummaryCSV(r, files["csv"]); err != nil {
		return nil, err
	}
	files["coords_csv"] = filepath.Join(dir, CoordsCSVFile)
	if err := WriteCoordsCSV(r, files["coords_csv"]); err != nil {
		return nil, err
	}
	if err := WritePanels(r, files["panels"]); err != nil {
		return nil, err
	}
	if err := WriteVsBatch(r, files["vs_b"]); err != nil {
		return nil, err
	}
	return files, nil
}

// CoordsHeader is the header of WriteCoordsCSV.
func CoordsHeader() []string {
	return []string{"batch_size", "param", "name", "skewness", "excess_kurtosis", "ks",
		"per_sample_skewness", "per_sample_excess_kurtosis", "predicted_skewness", "predicted_excess_kurtosis"}
}

// WriteCoordsCSV writes, for every batch size and every analysed
// non-constant coordinate, the effect sizes of its noise across the
// minibatches (skewness g₁, excess kurtosis g₂, KS distance to the fitted
// normal), the per-sample gradients' skewness γ and excess kurtosis κ
// over the data, and the central-limit predictions γ/√B and κ/B, one row
// each, atomically to path. param is the flat index into θ and name the
// tensor and index ("fc1.weight[3,17]") when the oracle names its
// parameters.
func WriteCoordsCSV(r *Analysis, path string) error {
	if r == nil {
		return errors.New("noise coordinates: nil analysis")
	}
	rows := [][]string{CoordsHeader()}
	for _, b := range r.Batches {
		bs := strconv.Itoa(b.BatchSize)
		sq := math.Sqrt(float64(b.BatchSize))
		for _, c := range b.coordShapes {
			rows = append(rows, []string{bs, strconv.Itoa(c.Param), c.Name, fmtFloat(c.Skewness), fmtFloat(c.ExcessKurtosis), fmtFloat(c.KS),
				fmtFloat(c.PerSampleSkewness), fmtFloat(c.PerSampleExcessKurtosis),
				fmtFloat(c.PerSampleSkewness / sq), fmtFloat(c.PerSampleExcessKurtosis / float64(b.BatchSize))})
		}
	}
	return atomicfile.Write(path, func(f io.Writer) error {
		w := csv.NewWriter(f)
		if err := w.WriteAll(rows); err != nil {
			return fmt.Errorf("noise coordinates: %w", err)
		}
		return nil
	})
}
