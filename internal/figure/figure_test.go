package figure

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

func testPlot(t *testing.T) *plot.Plot {
	p := plot.New()
	l, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
	if err != nil {
		t.Fatal(err)
	}
	p.Add(l)
	return p
}

func TestSaveWritesPNGAndSVGOfTheSize(t *testing.T) {
	base := filepath.Join(t.TempDir(), "fig")
	if err := Save(testPlot(t), Size{Width: 4 * vg.Inch, Height: 3 * vg.Inch, DPI: 50}, base); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(base + ".png")
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if r := img.Bounds(); r.Dx() != 200 || r.Dy() != 150 {
		t.Fatalf("PNG is %dx%d, want 200x150 (4x3 in at 50 dpi)", r.Dx(), r.Dy())
	}
	s, err := os.ReadFile(base + ".svg")
	if err != nil || !bytes.Contains(s, []byte("<svg")) {
		t.Fatalf("SVG missing or not SVG: %v", err)
	}
}

// Save must give the same bytes as gonum/plot's own WriterTo at its
// default resolution, so moving a figure onto this package changes nothing.
func TestSaveMatchesPlotWriterTo(t *testing.T) {
	p := testPlot(t)
	base := filepath.Join(t.TempDir(), "fig")
	if err := Save(p, Size{Width: 6 * vg.Inch, Height: 4 * vg.Inch}, base); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"png", "svg"} {
		wt, err := p.WriterTo(6*vg.Inch, 4*vg.Inch, format)
		if err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		wt.WriteTo(&want)
		got, _ := os.ReadFile(base + "." + format)
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%s differs from plot.WriterTo", format)
		}
	}
}

func TestSaveGridSkipsNil(t *testing.T) {
	base := filepath.Join(t.TempDir(), "grid")
	grid := [][]*plot.Plot{{testPlot(t), nil}}
	if err := SaveGrid(grid, draw.Tiles{Rows: 1, Cols: 2}, Size{Width: 6 * vg.Inch, Height: 3 * vg.Inch}, base); err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{".png", ".svg"} {
		if _, err := os.Stat(base + ext); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFontsApply: each size given is set on the title, both axes' labels
// and tick labels and the legend; a zero size leaves gonum/plot's default.
func TestFontsApply(t *testing.T) {
	p := plot.New()
	legend := p.Legend.TextStyle.Font.Size
	Fonts{Title: 13, Label: 12, Tick: 10}.Apply(p)
	if p.Title.TextStyle.Font.Size != vg.Points(13) || p.X.Label.TextStyle.Font.Size != vg.Points(12) || p.Y.Label.TextStyle.Font.Size != vg.Points(12) ||
		p.X.Tick.Label.Font.Size != vg.Points(10) || p.Y.Tick.Label.Font.Size != vg.Points(10) || p.Legend.TextStyle.Font.Size != legend {
		t.Errorf("sizes title %v, labels %v %v, ticks %v %v, legend %v (default %v)", p.Title.TextStyle.Font.Size, p.X.Label.TextStyle.Font.Size,
			p.Y.Label.TextStyle.Font.Size, p.X.Tick.Label.Font.Size, p.Y.Tick.Label.Font.Size, p.Legend.TextStyle.Font.Size, legend)
	}
	Fonts{Legend: 11}.Apply(p)
	if p.Legend.TextStyle.Font.Size != vg.Points(11) || p.Title.TextStyle.Font.Size != vg.Points(13) {
		t.Errorf("legend %v, title %v; want 11 pt and 13 pt kept", p.Legend.TextStyle.Font.Size, p.Title.TextStyle.Font.Size)
	}
}
