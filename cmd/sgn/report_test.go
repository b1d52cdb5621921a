package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestReportRejectsNonReports: a covariance.json that is null, a list or
// holds numbers as strings is exit 1 naming the file, never a page.
func TestReportRejectsNonReports(t *testing.T) {
	for _, body := range []string{`null`, `[]`, `{"models": {"pretrained": {"median_ratio": "0.5"}}}`, `"covariance"`} {
		dir := t.TempDir()
		p := filepath.Join(dir, "covariance.json")
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), "paper")
		code, _, stderr := run("report", dir, "--out", out, "--quiet")
		if code != 1 || !strings.Contains(stderr, p) {
			t.Errorf("covariance.json %s: exit %d, %q; want 1 naming %s", body, code, stderr, p)
		}
		if _, err := os.Stat(filepath.Join(out, "report.json")); err == nil {
			t.Errorf("covariance.json %s: report.json written", body)
		}
	}
}

// TestReportCopiesNumbersBitForBit: every number report.json takes from a
// source file is that number exactly — a uint64 seed above 2⁵³ included
// (through float64 17911839290282890590 would become …891000).
func TestReportCopiesNumbersBitForBit(t *testing.T) {
	mnist := mnistOrSkip(t)
	tmp := t.TempDir()
	ck := covTinyCheckpoint(t, tmp, 4)
	cvh := filepath.Join(tmp, "cvh")
	const seed = "17911839290282890590"
	if code, _, stderr := run("covariance", "--mnist", mnist, "--checkpoint", ck, "--first", "300", "--batch-size", "16",
		"--init-seed", seed, "--mode", "full", "--workers", "2", "--out", cvh, "--quiet"); code != 0 {
		t.Fatalf("covariance: exit %d\n%s", code, stderr)
	}
	out := filepath.Join(tmp, "paper")
	if code, _, stderr := run("report", cvh, "--out", out, "--quiet"); code != 0 {
		t.Fatalf("report: exit %d\n%s", code, stderr)
	}
	var r struct {
		Claims []struct {
			ID      string `json:"id"`
			Effects []struct {
				Value json.Number `json:"value"`
			} `json:"effects"`
			Regime []struct {
				Measured json.Number `json:"measured"`
			} `json:"regime"`
			Sources []struct {
				Seeds       map[string]json.Number `json:"seeds"`
				WallSeconds json.Number            `json:"wall_seconds"`
			} `json:"sources"`
		} `json:"claims"`
	}
	decodeNumbers(t, filepath.Join(out, "report.json"), &r)
	var src struct {
		Seeds struct {
			RandomModel json.Number `json:"random_model"`
		} `json:"seeds"`
		Models struct {
			Pretrained struct {
				MedianRatio json.Number `json:"median_ratio"`
				LogLogSlope json.Number `json:"loglog_slope"`
				PearsonR    json.Number `json:"pearson_r"`
				Analysis    struct {
					Stationarity struct {
						GradNorm  json.Number `json:"grad_norm"`
						LambdaMin json.Number `json:"lambda_min"`
					} `json:"stationarity"`
				} `json:"analysis"`
			} `json:"pretrained"`
		} `json:"models"`
		Seconds struct {
			Total json.Number `json:"total"`
		} `json:"seconds"`
	}
	decodeNumbers(t, filepath.Join(cvh, "covariance.json"), &src)
	if src.Seeds.RandomModel.String() != seed {
		t.Fatalf("covariance.json records the seed as %s", src.Seeds.RandomModel)
	}
	bits := func(n json.Number) uint64 {
		f, err := strconv.ParseFloat(n.String(), 64)
		if err != nil {
			t.Fatalf("%q: %v", n, err)
		}
		return math.Float64bits(f)
	}
	pre := src.Models.Pretrained
	found := 0
	for _, c := range r.Claims {
		var want []json.Number
		switch c.ID {
		case "cvh-trained":
			want = []json.Number{pre.MedianRatio}
		case "cvh-shape-trained":
			want = []json.Number{pre.LogLogSlope, pre.PearsonR}
		default:
			continue
		}
		found++
		if s := c.Sources[0]; s.Seeds["random_model"].String() != seed || bits(s.WallSeconds) != bits(src.Seconds.Total) {
			t.Errorf("report.json source %+v: want seed %s and wall time %s", s, seed, src.Seconds.Total)
		}
		for i, want := range want {
			if bits(c.Effects[i].Value) != bits(want) {
				t.Errorf("%s effect %d: %s in report.json, %s in covariance.json", c.ID, i, c.Effects[i].Value, want)
			}
		}
		st := pre.Analysis.Stationarity
		if bits(c.Regime[0].Measured) != bits(st.GradNorm) || bits(c.Regime[1].Measured) != bits(st.LambdaMin) {
			t.Errorf("regime %+v, covariance.json %+v", c.Regime, st)
		}
	}
	if found != 2 {
		t.Fatal("no cvh-trained and cvh-shape-trained claims in report.json")
	}
}

// decodeNumbers decodes the JSON file path into v with its numbers as
// json.Number, as written.
func decodeNumbers(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
