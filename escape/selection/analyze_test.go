package selection

import (
	"testing"

	"github.com/sgn-project/sgn/escape"
)

// TestFitOfOnePoint: one equilibrated point of a dynamics has no line, and
// its note says so in words (not the line fit's error).
func TestFitOfOnePoint(t *testing.T) {
	r := Result{Point: Point{Dynamics: escape.SGLD, Eta: 0.05, Temperature: 0.004},
		Measurement: Measurement{OccupancyRatio: 1.14, OccupancyRatioCI: [2]float64{0.49, 2.8}, Transitions: 21, SharpToFlat: 10, FlatToSharp: 11}}
	if !r.Equilibrated() {
		t.Fatalf("the test's point is not equilibrated: %+v", r.Measurement)
	}
	fits := FitAll([]Result{r})
	if len(fits) != 1 || fits[0].N != 1 || fits[0].Slope != nil || fits[0].Note != "no line through 1 point (a line needs two)" {
		t.Fatalf("fit of one point: %+v", fits)
	}
}
