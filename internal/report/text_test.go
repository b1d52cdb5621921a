package report

import (
	"bytes"
	"testing"
)

// TestWriteText: one aligned line per claim, an unmeasured claim as
// not-measured, and the counts of the measured verdicts.
func TestWriteText(t *testing.T) {
	r := &Report{Claims: []Claim{
		{ID: "a", Verdict: Agrees, Finding: "fits"},
		{ID: "b", Verdict: Disagrees, Finding: "off by 3σ"},
		{ID: "c", Verdict: Agrees},
		Unmeasured("d", "", "s", "x.json", "sgn x"),
	}}
	var b bytes.Buffer
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := "a                          agrees       fits\n" +
		"b                          disagrees    off by 3σ\n" +
		"c                          agrees       \n" +
		"d                          not-measured Not measured: no x.json among the folders given. `sgn x` writes it.\n" +
		"3 claims measured: 2 agree, 1 disagree, 0 inconclusive, 0 not testable; 1 not measured (no folder given holds their input)\n"
	if b.String() != want {
		t.Errorf("got %q\nwant %q", b.String(), want)
	}
}
