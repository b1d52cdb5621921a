package hessian

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestPlots(t *testing.T) {
	dir := t.TempDir()
	d, err := SLQ(NewDense(randSym(40, 1)), SLQOptions{Seed: 1, NumRuns: 2, Steps: 15})
	if err != nil {
		t.Fatal(err)
	}
	if err := PlotDensity(d, 0.1, filepath.Join(dir, "density"), "spectral density"); err != nil {
		t.Fatal(err)
	}
	if err := PlotSpectrum([]float64{9, 7, 4}, []float64{-3, -1}, filepath.Join(dir, "spectrum"), "extreme eigenvalues"); err != nil {
		t.Fatal(err)
	}
	if err := PlotSpectrum([]float64{9, 7, 4}, nil, filepath.Join(dir, "top"), "top only"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"density", "spectrum", "top"} {
		png, err := os.ReadFile(filepath.Join(dir, name+".png"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) || len(png) < 1000 {
			t.Errorf("%s.png: %d bytes, not a PNG", name, len(png))
		}
		svg, err := os.ReadFile(filepath.Join(dir, name+".svg"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(svg, []byte("<svg")) || len(svg) < 1000 {
			t.Errorf("%s.svg: %d bytes, not an SVG", name, len(svg))
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 6 {
		t.Errorf("%d files in the folder, want 6 (no temporary files left)", len(entries))
	}
	if err := PlotDensity(d, 0, filepath.Join(dir, "x"), ""); err == nil {
		t.Error("sigma 0: no error")
	}
	if err := PlotDensity(&Density{}, 1, filepath.Join(dir, "x"), ""); err == nil {
		t.Error("empty density: no error")
	}
	if err := PlotSpectrum(nil, nil, filepath.Join(dir, "x"), ""); err == nil {
		t.Error("no eigenvalues: no error")
	}
	if err := PlotSpectrum([]float64{1}, nil, filepath.Join(dir, "missing", "x"), ""); err == nil {
		t.Error("missing folder: no error")
	}
}
