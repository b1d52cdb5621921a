package report

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"strings"
)

// Provenance records where and by what the page was built; each claim
// carries the provenance of its own source files.
type Provenance struct {
	// Machine is the machine the report was built on.
	Machine Machine `json:"machine"`
	// ReportVersion is the version of the sgn that built the report.
	ReportVersion string `json:"report_version"`
	// Inputs are the folders given.
	Inputs []string `json:"inputs"`
	// Subject is the network and data the claims were measured on, when
	// one command measured them all on a given checkpoint (sgn paper); nil
	// for a page built from folders (sgn report).
	Subject *Subject `json:"subject,omitempty"`
	// NotRun lists the experiments that did not run on Subject, each with
	// the reason (one that cannot apply, or one that failed).
	NotRun []NotRun `json:"not_run,omitempty"`
}

// Subject describes the network and the data the claims of Xie, Sato &
// Sugiyama (ICLR 2021) were measured on.
type Subject struct {
	Model ModelFile `json:"model"`
	Data  DataFile  `json:"data"`
	// Test is the held-out data file, if one was given.
	Test *DataFile `json:"test,omitempty"`
}

// ModelFile describes a checkpoint: its file and SHA-256, its layer widths
// (input first), activation, parameter count, the stored float type and
// whether float32 weights were widened to float64 for the analyses.
type ModelFile struct {
	File       string `json:"file"`
	SHA256     string `json:"sha256"`
	Layers     []int  `json:"layers"`
	Activation string `json:"activation"`
	Params     int    `json:"params"`
	DType      string `json:"dtype"`
	Widened    bool   `json:"widened_from_float32"`
	// Source says where the layers and the activation came from (a PyTorch
	// state_dict's modules and the sidecar or option that named the
	// activation), "" for a checkpoint sgn wrote.
	Source string `json:"source,omitempty"`
}

// DataFile describes a data set: its file ("" for MNIST) and SHA-256, its
// rows N, features D and classes.
type DataFile struct {
	File    string `json:"file"`
	SHA256  string `json:"sha256"`
	N       int    `json:"n"`
	D       int    `json:"d"`
	Classes int    `json:"classes"`
}

// NotRun is an experiment that did not run: its name, the folder it would
// have written and why (it cannot apply to the network or data, or it
// failed, with the error).
type NotRun struct {
	Experiment string `json:"experiment"`
	Folder     string `json:"folder"`
	Reason     string `json:"reason"`
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

// Counts returns how many measured claims have each verdict; claims that
// no folder given could measure are counted apart, by Unmeasured.
func (r *Report) Counts() map[Verdict]int {
	c := map[Verdict]int{}
	for _, cl := range r.Claims {
		if cl.Measured() {
			c[cl.Verdict]++
		}
	}
	return c
}

// Unmeasured returns how many claims no folder given could measure (each
// names the command that writes its input).
func (r *Report) Unmeasured() int {
	n := 0
	for _, cl := range r.Claims {
		if !cl.Measured() {
			n++
		}
	}
	return n
}

// WriteText writes one line per claim (its id, verdict or not-measured, and
// finding) and the count of verdicts: the summary sgn report and sgn paper
// print.
func (r *Report) WriteText(w io.Writer) error {
	for _, c := range r.Claims {
		v := string(c.Verdict)
		if !c.Measured() {
			v = "not-measured"
		}
		fmt.Fprintf(w, "%-26s %-12s %s\n", c.ID, v, c.Finding)
	}
	n := r.Counts()
	fmt.Fprintf(w, "%d claims measured: %d agree, %d disagree, %d inconclusive, %d not testable", len(r.Claims)-r.Unmeasured(),
		n[Agrees], n[Disagrees], n[Inconclusive], n[NotTestable])
	if u := r.Unmeasured(); u > 0 {
		fmt.Fprintf(w, "; %d not measured (no folder given holds their input)", u)
	}
	_, err := fmt.Fprintln(w)
	return err
}

// ClaimsFunc judges one experiment's claims from its own typed output
// files directly in folder dir (not in its subfolders). When dir holds
// none of them it returns the claims unmeasured (Unmeasured), or none; a
// file that is there but cannot be read is an error naming the file.
type ClaimsFunc func(dir string) ([]Claim, error)

// maxDepth is how deep below each input folder Build looks: the folder
// itself and two levels of subfolders.
const maxDepth = 2

// folders returns dir and its subfolders down to maxDepth, in lexical
// order.
func folders(dir string) ([]string, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("report input %s: %w", dir, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("report input %s: not a folder", dir)
	}
	var out []string
	base := strings.Count(filepath.Clean(dir), string(filepath.Separator))
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		out = append(out, p)
		if strings.Count(filepath.Clean(p), string(filepath.Separator))-base >= maxDepth {
			return fs.SkipDir
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("report input %s: %w", dir, err)
	}
	return out, nil
}

// Build asks each experiment for its claims in every folder of dirs (and
// their subfolders, two levels down) and lays them out by the page's rows.
// A claim measured in several folders is taken from the first (in the
// order of dirs, then of paths); a claim measured nowhere keeps its
// unmeasured form. Every claim is checked against the judging rules
// (Judge): a claim that breaks them is an error, as is a file that cannot
// be read. No folder gives a page of no claims, with its provenance (the
// page of a run whose every experiment failed lists why in NotRun).
func Build(dirs []string, version string, experiments []ClaimsFunc) (*Report, error) {
	var all []Claim
	for _, dir := range dirs {
		fds, err := folders(dir)
		if err != nil {
			return nil, err
		}
		for _, f := range fds {
			for _, claims := range experiments {
				cs, err := claims(f)
				if err != nil {
					return nil, err
				}
				all = append(all, cs...)
			}
		}
	}
	for i := range all {
		if err := all[i].check(); err != nil {
			return nil, err
		}
	}
	r := &Report{Claims: arrange(all), Provenance: Provenance{ReportVersion: version, Inputs: dirs, Machine: thisMachine()}}
	return r, nil
}

// arrange keeps one claim per id (the first measured one, else the first)
// and orders them by row, then by first appearance.
func arrange(all []Claim) []Claim {
	first := map[string]int{}
	var ids []string
	pick := map[string]Claim{}
	for i, c := range all {
		old, seen := pick[c.ID]
		if !seen {
			first[c.ID] = i
			ids = append(ids, c.ID)
			pick[c.ID] = c
			continue
		}
		if len(old.Sources) == 0 && len(c.Sources) > 0 {
			pick[c.ID] = c
		}
	}
	var out []Claim
	for _, row := range Rows() {
		for _, id := range ids {
			if c := pick[id]; c.Conclusion == row.ID {
				if c.Regime == nil {
					c.Regime = []RegimeCheck{}
				}
				if c.Effects == nil {
					c.Effects = []Effect{}
				}
				if c.Sources == nil {
					c.Sources = []Source{}
				}
				out = append(out, c)
			}
		}
	}
	return out
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
