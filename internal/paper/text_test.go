package paper

import (
	"bytes"
	"testing"
)

// TestResultWriteText: the shape line, then one aligned line per
// experiment with its reason when it has one.
func TestResultWriteText(t *testing.T) {
	r := &Result{Shape: Shape{P: 805, N: 2000, D: 49, Classes: 10}, Sizes: Sizes{First: 1000},
		Outcomes: []Outcome{{Experiment: "hessian", Folder: "out/hessian", Status: Done, Seconds: 12.34}, {Experiment: "noise", Folder: "out/noise", Status: Skipped, Reason: "too large"}}}
	var b bytes.Buffer
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := "network P = 805 on N = 2000 rows of d = 49, 10 classes: analysed the first 1000 rows\n" +
		"hessian                                  done         12.3 s  out/hessian\n" +
		"noise                                    not run       0.0 s  out/noise: too large\n"
	if b.String() != want {
		t.Errorf("got %q\nwant %q", b.String(), want)
	}
}
