package report

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
)

// Verdict is the outcome of comparing a measurement with the theory.
type Verdict string

// The three verdicts a claim can have.
const (
	Agrees       Verdict = "agrees"
	Disagrees    Verdict = "disagrees"
	Inconclusive Verdict = "inconclusive"
)

// Quantity is one measured or predicted number, with its 95% interval
// when it has one.
type Quantity struct {
	Name  string      `json:"name"`
	Value float64     `json:"value"`
	CI95  *[2]float64 `json:"ci95,omitempty"`
}

// Claim is one claim of the paper with what sgn measured.
type Claim struct {
	// ID is a short stable identifier, e.g. "cvh-minimum".
	ID string `json:"id"`
	// Statement is the claim in the paper's words.
	Statement string `json:"statement"`
	// Measured and Predicted are the numbers the verdict compares.
	Measured  []Quantity `json:"measured"`
	Predicted []Quantity `json:"predicted"`
	// Verdict is agrees, disagrees or inconclusive, decided by Rule.
	Verdict Verdict `json:"verdict"`
	Rule    string  `json:"rule"`
	// Finding says in one or two sentences what was found.
	Finding string `json:"finding"`
	// Figure is the path of the figure drawn for the claim (SVG), "" if none.
	Figure string `json:"figure"`
	// Sources are the files read.
	Sources []string `json:"sources"`
	// Produce is the command that writes the missing input, when the claim
	// is inconclusive for lack of a file.
	Produce string `json:"produce,omitempty"`
}

// Provenance records where the numbers came from.
type Provenance struct {
	// Versions maps each source file to the sgn version that wrote it.
	Versions map[string]string `json:"versions"`
	// Commands maps each source file to the command line recorded in it.
	Commands map[string][]string `json:"commands,omitempty"`
	// Seeds maps each source file to the seeds recorded in it.
	Seeds map[string]any `json:"seeds,omitempty"`
	// DataDigests maps each source file to the data digest recorded in it.
	DataDigests map[string]string `json:"data_digests,omitempty"`
	// WallSeconds maps each source file to the wall time recorded in it.
	WallSeconds map[string]float64 `json:"wall_seconds,omitempty"`
	// Machine is the machine the report was built on.
	Machine Machine `json:"machine"`
	// ReportVersion is the version of the sgn that built the report.
	ReportVersion string `json:"report_version"`
	// Inputs are the folders given.
	Inputs []string `json:"inputs"`
}

// Machine describes a computer.
type Machine struct {
	Cores int    `json:"cores"`
	CPU   string `json:"cpu"`
	OS    string `json:"os"`
}

// Report is the content of report.json.
type Report struct {
	Claims     []Claim    `json:"claims"`
	Provenance Provenance `json:"provenance"`
}

// Counts returns how many claims have each verdict.
func (r *Report) Counts() map[Verdict]int {
	c := map[Verdict]int{}
	for _, cl := range r.Claims {
		c[cl.Verdict]++
	}
	return c
}

// inputs are the result files found in the folders given.
type inputs struct {
	covariance, noise, sgld, escapeFigure, selection, selectionNetworks, equilibrium *doc
	all                                                                              []*doc
}

// kinds maps a file name to the input it can be.
var kinds = []string{"covariance.json", "noise.json", "fit.json", "figure.json", "selection.json",
	"selection-networks.json", "equilibrium.json"}

// find walks each folder (three levels deep at most) for the result files
// the claims read. The first file of each kind in the order of dirs wins.
func find(dirs []string) (*inputs, error) {
	in := &inputs{}
	for _, dir := range dirs {
		st, err := os.Stat(dir)
		if err != nil {
			return nil, fmt.Errorf("report input %s: %w", dir, err)
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("report input %s: not a folder", dir)
		}
		var paths []string
		base := strings.Count(filepath.Clean(dir), string(filepath.Separator))
		err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if strings.Count(filepath.Clean(p), string(filepath.Separator))-base >= 3 {
					return fs.SkipDir
				}
				return nil
			}
			for _, k := range kinds {
				if d.Name() == k {
					paths = append(paths, p)
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("report input %s: %w", dir, err)
		}
		sort.Strings(paths)
		for _, p := range paths {
			d, err := readDoc(p)
			if err != nil {
				return nil, err
			}
			in.add(d)
		}
	}
	return in, nil
}

// add files d under the input it is, judged by its name and content.
func (in *inputs) add(d *doc) {
	set := func(slot **doc) {
		if *slot == nil {
			*slot = d
			in.all = append(in.all, d)
		}
	}
	switch filepath.Base(d.path) {
	case "covariance.json":
		if at(d.v, "models.pretrained") != nil {
			set(&in.covariance)
		}
	case "noise.json":
		if list(noiseRoot(d.v), "batches") != nil {
			set(&in.noise)
		}
	case "fit.json":
		if hasSGLD(d.v) {
			set(&in.sgld)
		}
	case "figure.json":
		if list(d.v, "panels") != nil {
			set(&in.escapeFigure)
		}
	case "selection.json":
		set(&in.selection)
	case "selection-networks.json":
		set(&in.selectionNetworks)
	case "equilibrium.json":
		set(&in.equilibrium)
	}
}

// hasSGLD reports whether an escape fit.json has an SGLD relation against
// 1/D with Theorem 1's predicted slope.
func hasSGLD(v any) bool {
	for _, r := range list(v, "relations") {
		if str(r, "dynamics") == "sgld" && str(r, "variable") == "inv-temperature" {
			return true
		}
	}
	return false
}

// Build reads the result files in dirs and evaluates every claim.
func Build(dirs []string, version string) (*Report, error) {
	if len(dirs) == 0 {
		return nil, fmt.Errorf("report: no input folder")
	}
	in, err := find(dirs)
	if err != nil {
		return nil, err
	}
	r := &Report{}
	for _, c := range claimTable {
		cl := c.eval(in)
		cl.ID, cl.Statement = c.id, c.statement
		if cl.Measured == nil {
			cl.Measured = []Quantity{}
		}
		if cl.Predicted == nil {
			cl.Predicted = []Quantity{}
		}
		if cl.Sources == nil {
			cl.Sources = []string{}
		}
		r.Claims = append(r.Claims, cl)
	}
	r.Provenance = provenance(in, dirs, version)
	return r, nil
}

// provenance collects versions, commands, seeds, data digests and wall
// times from the files read.
func provenance(in *inputs, dirs []string, version string) Provenance {
	p := Provenance{Versions: map[string]string{}, Commands: map[string][]string{}, Seeds: map[string]any{},
		DataDigests: map[string]string{}, WallSeconds: map[string]float64{}, ReportVersion: version,
		Inputs: dirs, Machine: thisMachine()}
	for _, d := range in.all {
		p.Versions[d.path] = str(d.v, "version")
		if c := list(d.v, "command"); c != nil {
			for _, a := range c {
				if s, ok := a.(string); ok {
					p.Commands[d.path] = append(p.Commands[d.path], s)
				}
			}
		}
		if s := at(d.v, "seeds"); s != nil {
			p.Seeds[d.path] = s
		} else if s := at(d.v, "seed"); s != nil {
			p.Seeds[d.path] = s
		}
		if dg := findDigest(d.v); dg != "" {
			p.DataDigests[d.path] = dg
		}
		for _, k := range []string{"wall_seconds", "seconds.total", "seconds"} {
			if s, ok := num(d.v, k); ok {
				p.WallSeconds[d.path] = s
				break
			}
		}
	}
	return p
}

// findDigest returns the first string value whose key names a digest
// (a key containing "digest" or "sha256"), searching depth-first.
func findDigest(v any) string {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if s, ok := x[k].(string); ok && (strings.Contains(k, "digest") || strings.Contains(k, "sha256")) && s != "" {
				return s
			}
		}
		for _, k := range keys {
			if s := findDigest(x[k]); s != "" {
				return s
			}
		}
	case []any:
		for _, e := range x {
			if s := findDigest(e); s != "" {
				return s
			}
		}
	}
	return ""
}

// thisMachine describes the machine the process runs on.
func thisMachine() Machine {
	m := Machine{Cores: runtime.NumCPU(), OS: runtime.GOOS + "/" + runtime.GOARCH}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}
