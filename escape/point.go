package escape

import (
	"fmt"
	"strings"
)

// Point is one setting of a dynamics on an analytic landscape: everything
// a simulator (AnalyticSimulator) and the theory (AnalyticPrediction) need.
type Point struct {
	Dynamics Dynamics `json:"dynamics"`
	// Sharpness k > 0.
	Sharpness float64 `json:"sharpness"`
	// BatchSize B (0 when the dynamics does not use it).
	BatchSize float64 `json:"batch_size,omitempty"`
	// Eta is the learning rate η.
	Eta float64 `json:"eta"`
	// Temperature is the SGLD diffusion D (0 when the dynamics does not use it).
	Temperature float64       `json:"temperature,omitempty"`
	Landscape   LandscapeSpec `json:"-"`
	Criterion   Criterion     `json:"-"`
	MaxSteps    int64         `json:"-"`
}

// Label describes the point in a few words, e.g. "sgld k=2 η=0.001 D=0.15".
func (p Point) Label() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s k=%g", p.Dynamics, p.Sharpness)
	if p.BatchSize != 0 {
		fmt.Fprintf(&b, " B=%g", p.BatchSize)
	}
	fmt.Fprintf(&b, " η=%g", p.Eta)
	if p.Temperature != 0 {
		fmt.Fprintf(&b, " D=%g", p.Temperature)
	}
	return b.String()
}
