package figure

import (
	"bytes"
	"fmt"
	"io"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/sgn-project/sgn/internal/atomicfile"
)

// DefaultDPI is the resolution of PNG files when a Size gives none; it is
// gonum/plot's own default for p.WriterTo.
const DefaultDPI = 96

// Size is the physical size of a figure and the resolution of its PNG.
type Size struct {
	Width, Height vg.Length
	DPI           int // PNG dots per inch; 0 means DefaultDPI
}

func (s Size) dpi() int {
	if s.DPI == 0 {
		return DefaultDPI
	}
	return s.DPI
}

// Save renders p at size s and writes base+".png" and base+".svg", each
// atomically.
func Save(p *plot.Plot, s Size, base string) error {
	return SaveCanvas(s, base, func(c draw.Canvas) { p.Draw(c) })
}

// SaveGrid lays the plots of grid out as tiles with plot.Align (nil entries
// stay empty) and writes base+".png" and base+".svg" atomically.
func SaveGrid(grid [][]*plot.Plot, tiles draw.Tiles, s Size, base string) error {
	return SaveCanvas(s, base, func(dc draw.Canvas) {
		canvases := plot.Align(grid, tiles, dc)
		for i := range grid {
			for j := range grid[i] {
				if grid[i][j] != nil {
					grid[i][j].Draw(canvases[i][j])
				}
			}
		}
	})
}

// SaveCanvas calls draw once on a PNG canvas and once on an SVG canvas of
// size s and writes base+".png" and base+".svg", each atomically.
func SaveCanvas(s Size, base string, drawOn func(draw.Canvas)) error {
	img := vgimg.NewWith(vgimg.UseWH(s.Width, s.Height), vgimg.UseDPI(s.dpi()))
	drawOn(draw.New(img))
	svg := vgsvg.New(s.Width, s.Height)
	drawOn(draw.New(svg))
	for _, out := range []struct {
		ext string
		w   io.WriterTo
	}{{".png", vgimg.PngCanvas{Canvas: img}}, {".svg", svg}} {
		var b bytes.Buffer
		if _, err := out.w.WriteTo(&b); err != nil {
			return fmt.Errorf("rendering %s%s: %w", base, out.ext, err)
		}
		if err := atomicfile.WriteBytes(base+out.ext, b.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

// SaveGridTitled is SaveGrid with title centred above the tiles (one line
// per line of title, in the font of a plot's title).
func SaveGridTitled(grid [][]*plot.Plot, tiles draw.Tiles, s Size, title, base string) error {
	return SaveCanvas(s, base, func(dc draw.Canvas) {
		DrawTitle(&dc, title)
		canvases := plot.Align(grid, tiles, dc)
		for i := range grid {
			for j := range grid[i] {
				if grid[i][j] != nil {
					grid[i][j].Draw(canvases[i][j])
				}
			}
		}
	})
}

// DrawTitle draws title centred at the top of dc, in the font of a plot's
// title with a margin around it, and shrinks dc to the space below it.
func DrawTitle(dc *draw.Canvas, title string) {
	if title == "" {
		return
	}
	sty := plot.New().Title.TextStyle
	h := sty.Height(title)
	pad := sty.Font.Size / 2
	pt := vg.Point{X: dc.Center().X, Y: dc.Max.Y - pad}
	sty.XAlign, sty.YAlign = draw.XCenter, draw.YTop
	dc.FillText(sty, pt, title)
	dc.Max.Y -= h + 2*pad
}

// Fonts are the font sizes of a figure's panels, in points: the title, the
// axes' labels, their tick labels and the legend.
type Fonts struct {
	Title, Label, Tick, Legend float64
}

// Apply sets f's sizes on p; a zero size leaves that font as it is.
func (f Fonts) Apply(p *plot.Plot) {
	if f.Title > 0 {
		p.Title.TextStyle.Font.Size = vg.Points(f.Title)
	}
	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		if f.Label > 0 {
			ax.Label.TextStyle.Font.Size = vg.Points(f.Label)
		}
		if f.Tick > 0 {
			ax.Tick.Label.Font.Size = vg.Points(f.Tick)
		}
	}
	if f.Legend > 0 {
		p.Legend.TextStyle.Font.Size = vg.Points(f.Legend)
	}
}
