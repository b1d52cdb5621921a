package escape

import (
	"fmt"
	"strconv"
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

// Label describes the point in a few words, e.g. "sgld k=2 η=0.001 D=0.15",
// each setting as FormatSetting writes it.
func (p Point) Label() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s k=%s", p.Dynamics, FormatSetting(p.Sharpness))
	if p.BatchSize != 0 {
		fmt.Fprintf(&b, " B=%s", FormatSetting(p.BatchSize))
	}
	fmt.Fprintf(&b, " η=%s", FormatSetting(p.Eta))
	if p.Temperature != 0 {
		fmt.Fprintf(&b, " D=%s", FormatSetting(p.Temperature))
	}
	return b.String()
}

// FormatSetting writes a setting of an escape or selection run (k, B, η, D
// of Xie, Sato & Sugiyama, ICLR 2021, Theorems 1–2) for a reader: the
// shortest decimal that reads back as the same float64 (a value as given:
// 0.05, 1e-05), rounded to 12 significant digits when it needs more (a
// value computed in floating point, as the matched temperature
// η·tr C/(2n) = 0.12000000000000002, is written 0.12). The files keep
// the full value.
func FormatSetting(v float64) string {
	s := strconv.FormatFloat(v, 'g', -1, 64)
	digits := 0
	for _, c := range s {
		if c == 'e' {
			break
		}
		if c >= '0' && c <= '9' {
			digits++
		}
	}
	if digits > 12 {
		return strconv.FormatFloat(v, 'g', 12, 64)
	}
	return s
}
