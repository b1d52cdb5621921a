package kramers

import (
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/sgn-project/sgn/internal/stats"
)

// TestSaveFigureLegendBeneath: the figure of one relation is 22 cm wide at
// 96 dpi, its plot spans the whole width (the right fifth above the legend
// holds the drawn line and axis, not an empty strip) and its legend stands
// beneath the plot, so the figure grows in height with the legend's
// entries.
func TestSaveFigureLegendBeneath(t *testing.T) {
	series := func(eta float64) SeriesFit {
		return SeriesFit{Fixed: map[string]float64{"eta": eta}, Points: []int{0, 1, 2},
			X: []float64{13, 14, 15}, Y: []float64{4, 5, 6}, YLo: []float64{3.5, 4.5, 5.5}, YHi: []float64{4.5, 5.5, 6.5},
			Line: &stats.LineFit{Slope: 1, Intercept: -9, SlopeCI: &[2]float64{0.5, 1.5}}}
	}
	size := func(n int) image.Image {
		rel := RelationFit{Name: "sgd-vs-batch-size", Dynamics: "sgd", Variable: "batch-size", XLabel: "B"}
		for i := range n {
			rel.Series = append(rel.Series, series(0.1*float64(i+1)))
		}
		f, err := relationFigure(rel, true)
		if err != nil {
			t.Fatal(err)
		}
		stem := filepath.Join(t.TempDir(), "fit")
		if err := SaveFigure(f, stem); err != nil {
			t.Fatal(err)
		}
		r, err := os.Open(stem + ".png")
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		img, err := png.Decode(r)
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	one, four := size(1), size(4)
	const width = 831 // 22 cm at 96 dpi
	if w := one.Bounds().Dx(); w != width {
		t.Errorf("width %d px, want %d (22 cm at 96 dpi)", w, width)
	}
	if h1, h4 := one.Bounds().Dy(), four.Bounds().Dy(); h4 <= h1 || h1 <= 416 {
		t.Errorf("heights %d (one entry), %d (four): want the plot's 416 px and the legend beneath, growing with its entries", h1, h4)
	}
	// The right fifth of the plot's area holds ink (the line, grid, axis).
	inked := 0
	for y := 0; y < 400; y++ {
		for x := width * 4 / 5; x < width-10; x++ {
			if r, g, b, _ := one.At(x, y).RGBA(); r < 0xc000 || g < 0xc000 || b < 0xc000 {
				inked++
			}
		}
	}
	if inked < 200 {
		t.Errorf("%d dark pixels in the plot's right fifth: an empty strip beside the plot", inked)
	}
}
