package equilibrium

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/internal/memlimit"
	"github.com/sgn-project/sgn/model"
)

// TestGDPathWindow: the gradient-descent path holding a window of a few
// sample times, written over as the chains use them, gives the report of
// the path held whole, bit for bit, with one worker (the chains in step
// with the path) and two (the path on its own goroutine); a diverging path
// is reported with either; and the memory counted for the path is a
// window's, not the Steps/Every samples'.
func TestGDPathWindow(t *testing.T) {
	q := newQuadratic(t, []float64{2, 1, 0.5}, 20, 5)
	theta0 := []float64{0.3, -0.2, 0.1}
	var first *Report
	for _, workers := range []int{1, 2} {
		s := Settings{Eta: 0.1, BatchSize: 4, Steps: 3000, BurnIn: 100, Every: 7, TopK: 3, Seed: 2, Center: CenterGD, Workers: workers}
		whole, err := Measure(q, theta0, s, nil)
		if err != nil {
			t.Fatal(err)
		}
		whole.Seconds, whole.CPUSeconds = nil, 0
		whole.Settings.Workers = 0
		if first == nil {
			first = whole
		} else if !reflect.DeepEqual(first, whole) {
			t.Errorf("the reports with 1 and %d workers differ", workers)
		}
		for _, rows := range []int{1, 5, 428} { // 428 = Steps/Every: the whole path
			win, err := measure(q, theta0, s, nil, rows*8*3)
			if err != nil {
				t.Fatal(err)
			}
			win.Seconds, win.CPUSeconds = nil, 0
			win.Settings.Workers = 0
			if !reflect.DeepEqual(whole, win) {
				t.Errorf("%d workers, a window of %d samples: the report differs from the whole path's", workers, rows)
			}
		}
		// η·λmax = 2.4: refused before the path takes a step, whatever its
		// window.
		d := s
		d.Eta = 1.2
		var se *StabilityError
		if _, err := measure(q, theta0, d, nil, 2*8*3); !errors.As(err, &se) || math.Abs(se.Eta*se.LambdaMax-2.4) > 1e-12 {
			t.Errorf("%d workers, η·λmax = 2.4 with a window of 2 samples: err = %v, want a StabilityError of η·λmax = 2.4", workers, err)
		}
	}
	// 784-1000-10 (P = 795,010) on 2,000 images with the default steps:
	// the 2,000 samples of θ_GD would take 12.7 GB, a window takes 256 MiB.
	layers := []int{784, 1000, 10}
	for _, workers := range []int{1, 2} {
		s := Settings{Eta: 0.01, BatchSize: 8, TopK: 10, Center: CenterGD, Workers: workers}.Normalized()
		need, err := s.MemoryNeed(layers, model.ReLU, 2000)
		if err != nil {
			t.Fatal(err)
		}
		s.Center = CenterTheta0
		base, err := s.MemoryNeed(layers, model.ReLU, 2000)
		if err != nil {
			t.Fatal(err)
		}
		P, _ := model.ParamCount(layers)
		path := 8 * float64(s.Steps/s.Every) * float64(P)
		if need-base > pathBytes+8*float64(4*P+3*2000*1010) || need > path/2 {
			t.Errorf("%d workers: center gd needs %.3g bytes, center theta0 %.3g: the GD path held whole takes %.3g", workers, need, base, path)
		}
		t.Logf("%d workers: center gd %.3g bytes, center theta0 %.3g, the whole path %.3g", workers, need, base, path)
	}
}

// TestCheckMemory: the refusal names first the options that lower the
// estimate most: the samples of the chains for long runs on a small
// network, first and top_k at P = 795,010 (where the gradient-descent
// path no longer grows with the steps); the settings that size it; none
// at a limit of the need itself.
func TestCheckMemory(t *testing.T) {
	cases := []struct {
		layers []int
		s      Settings
		first  string
	}{
		{[]int{49, 20, 10}, Settings{Eta: 0.1, BatchSize: 8, TopK: 10, Steps: 1e8, Every: 1}, "lower steps, or raise every, or lower first, top_k or bulk"},
		{[]int{784, 1000, 10}, Settings{Eta: 0.01, BatchSize: 8, TopK: 10}, "lower first, top_k, bulk or steps, or raise every"},
		{[]int{784, 1000, 10}, Settings{Eta: 0.01, BatchSize: 8, TopK: 10, Steps: 1e6, Every: 1}, "lower first, top_k, bulk or steps, or raise every"},
	}
	name := func(o string) string { return o }
	for _, c := range cases {
		need, err := c.s.MemoryNeed(c.layers, model.ReLU, 2000)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.s.CheckMemory(c.layers, model.ReLU, 2000, int64(need)); err != nil {
			t.Errorf("%v at a limit of its need: %v", c.layers, err)
		}
		var me *memlimit.Error
		if err := c.s.CheckMemory(c.layers, model.ReLU, 2000, 1<<20); !errors.As(err, &me) {
			t.Fatalf("%v under 1 MiB: %v, want a *memlimit.Error", c.layers, err)
		}
		if got := me.Advice(name); !strings.HasPrefix(got, c.first) {
			t.Errorf("%v, %d steps every %d: %q, want it to begin %q", c.layers, c.s.Steps, c.s.Every, got, c.first)
		}
		s := c.s.Normalized()
		P, _ := model.ParamCount(c.layers)
		if got, want := me.Subject(name), fmt.Sprintf("steps %d every %d top_k %d on P = %d and 2000 samples", s.Steps, s.Every, s.TopK, P); got != want {
			t.Errorf("subject %q, want %q", got, want)
		}
	}
}
