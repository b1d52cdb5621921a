package kramers

import (
	"testing"

	"github.com/sgn-project/sgn/escape"
)

// EstimateRate's exposure counts the escape step of escaped runs and the
// steps simulated of censored ones.
func TestEstimateRate(t *testing.T) {
	e := EstimateRate([]RunRecord{{Result: escape.Outcome{Escaped: true, Step: 10}}, {Result: escape.Outcome{Escaped: false, Step: 100}}, {Result: escape.Outcome{Escaped: true, Step: 30}}})
	if e.Exposure != 140 || e.Escaped != 2 || e.Rate != 2.0/140 || e.MeanEscapeStep != 20 || e.EscapedFraction() != 2.0/3 {
		t.Errorf("estimate %+v", e)
	}
}
