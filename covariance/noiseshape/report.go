package noiseshape

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/internal/atomicfile"
	"github.com/sgn-project/sgn/model"
)

// ReportFile is the name of the JSON file Report.Write writes.
const ReportFile = "noise.json"

// Report is noise.json: the Analysis of the noise's shape (Xie, Sato and
// Sugiyama 2021; Simsekli, Sagun and Gurbuzbalaban 2019) with what is
// needed to recompute it — the checkpoint, its model, the data selection,
// the number of workers — and the files written beside it.
type Report struct {
	Version    string               `json:"version"`
	Checkpoint string               `json:"checkpoint"`
	Model      model.CheckpointMeta `json:"model"`
	Selection  data.Selection       `json:"data_selection"`
	Workers    int                  `json:"workers"`
	Analysis   *Analysis            `json:"report"`
	// WallSeconds and CPUSeconds are what the command cost up to writing:
	// its wall time and its process CPU time (user + system, all threads).
	WallSeconds float64 `json:"wall_seconds"`
	CPUSeconds  float64 `json:"cpu_seconds"`
	// Files maps "json", "csv", "coords_csv", "panels" and "vs_b" to the
	// paths written (the figures without their .png/.svg extension).
	Files map[string]string `json:"files"`
}

// Write writes the tables and figures of r.Analysis (Analysis.WriteFiles)
// and then noise.json into dir, each atomically, and records their paths
// in r.Files. The Analysis must come from Analyze (the figures need its
// samples).
func (r *Report) Write(dir string) error {
	if r == nil || r.Analysis == nil {
		return errors.New("noise report: no analysis to write")
	}
	files, err := r.Analysis.WriteFiles(dir)
	if err != nil {
		return err
	}
	files["json"] = filepath.Join(dir, ReportFile)
	r.Files = files
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("%s: %w", files["json"], err)
	}
	return atomicfile.WriteBytes(files["json"], append(js, '\n'))
}

// Read reads dir/noise.json. A missing file is an error that matches
// fs.ErrNotExist; a file that is not a noise report names the file.
func Read(dir string) (*Report, error) {
	path := filepath.Join(dir, ReportFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if r.Analysis == nil {
		return nil, fmt.Errorf("%s: no \"report\" object: not written by sgn noise", path)
	}
	return &r, nil
}
