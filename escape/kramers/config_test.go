package kramers

import (
	"bytes"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/escape/network"
)

func TestReadConfigExamples(t *testing.T) {
	c, err := LoadConfig(filepath.Join("testdata", "sweep.json"))
	if err != nil {
		t.Fatal(err)
	}
	ps := c.Points()
	// sgld: 3 k × 1 η × 3 D; gd: 3 k × 1 η.
	if len(ps) != 9+3 {
		t.Fatalf("sweep.json: %d points, want 12", len(ps))
	}
	if p := ps[1]; p.Dynamics != escape.SGLD || p.Sharpness != 1 || p.Temperature != 0.2 || p.BatchSize != 0 {
		t.Errorf("point 1 = %+v, want sgld k = 1, D = 0.2 (D varies fastest)", p)
	}
	if p := ps[9]; p.Dynamics != escape.GD || p.Sharpness != 1 || p.Temperature != 0 {
		t.Errorf("point 9 = %+v, want the first gd point", p)
	}
	for i, p := range ps {
		if p.Index != i || p.MaxSteps != 10000000 || p.Criterion.Kind != escape.CriterionCol || p.Landscape.Name != escape.DoubleWellName {
			t.Errorf("point %d = %+v", i, p)
		}
	}
	c, err = LoadConfig(filepath.Join("testdata", "sweep-sgd.json"))
	if err != nil {
		t.Fatal(err)
	}
	ps = c.Points()
	// sgd-diffusion: 3 k × 3 B × 3 η, η fastest, then B, then k.
	if len(ps) != 27 || ps[1].Eta != 0.05 || ps[3].BatchSize != 2 || ps[9].Sharpness != 2 {
		t.Errorf("sweep-sgd.json: %d points, points 1, 3, 9 = %+v, %+v, %+v", len(ps), ps[1], ps[3], ps[9])
	}
}

func TestConfigErrors(t *testing.T) {
	good := `{"seed":1,"landscape":{"name":"doublewell","barrier":1},"dynamics":["sgld","sgd-diffusion"],
		"sharpness":[1],"batch_size":[2],"eta":[0.01],"temperature":[0.2],"runs":3,"max_steps":100}`
	if _, err := ParseConfig(strings.NewReader(good), "good.json"); err != nil {
		t.Fatalf("good config: %v", err)
	}
	bad := map[string]string{
		"unknown field":    `"speed":3`,
		"eta zero":         `"eta":[0]`,
		"eta negative":     `"eta":[0.1,-0.01]`,
		"batch zero":       `"batch_size":[0]`,
		"temperature <0":   `"temperature":[-1]`,
		"sharpness zero":   `"sharpness":[0]`,
		"no dynamics":      `"dynamics":[]`,
		"dynamics twice":   `"dynamics":["sgld","sgld"]`,
		"no eta":           `"eta":[]`,
		"runs zero":        `"runs":0`,
		"max_steps zero":   `"max_steps":0`,
		"barrier zero":     `"landscape":{"name":"doublewell","barrier":0}`,
		"bad criterion":    `"criterion":{"kind":"far"}`,
		"radius missing":   `"criterion":{"kind":"distance"}`,
		"unused batch":     `"dynamics":["sgld"],"batch_size":[1]`,
		"missing batch":    `"batch_size":[]`,
		"transverse in 1d": `"landscape":{"name":"doublewell","barrier":1,"transverse":[1]}`,
	}
	for name, field := range bad {
		// encoding/json keeps the last of duplicate keys, so appending a
		// field overrides it.
		js := override(good, field)
		if _, err := ParseConfig(strings.NewReader(js), "bad.json"); err == nil {
			t.Errorf("%s: config %s accepted", name, js)
		} else if !strings.HasPrefix(err.Error(), "bad.json") {
			t.Errorf("%s: error %q does not name the file", name, err)
		}
	}
}

// override appends `"key":value` fields to a JSON object.
func override(obj, fields string) string {
	return strings.TrimSuffix(strings.TrimSpace(obj), "}") + "," + fields + "}"
}

func TestConfigHash(t *testing.T) {
	parse := func(s string) Config {
		c, err := ParseConfig(strings.NewReader(s), "x.json")
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	a := parse(`{"seed":1,"landscape":{"name":"doublewell","barrier":1},"dynamics":["sgld"],"sharpness":[1],"eta":[0.01],"temperature":[0.2],"runs":3,"max_steps":100}`)
	b := parse(`{"seed":1,"landscape":{"name":"doublewell","barrier":1,"dim":1},"dynamics":["sgld"],"sharpness":[1],"eta":[0.01],"temperature":[0.2],"runs":3,"max_steps":100,"criterion":{"kind":"col"}}`)
	c := parse(`{"seed":2,"landscape":{"name":"doublewell","barrier":1},"dynamics":["sgld"],"sharpness":[1],"eta":[0.01],"temperature":[0.2],"runs":3,"max_steps":100}`)
	if a.Hash() != b.Hash() {
		t.Errorf("defaults spelled out change the hash: %s vs %s", a.Hash(), b.Hash())
	}
	if a.Hash() == c.Hash() {
		t.Errorf("a different seed keeps the hash %s", a.Hash())
	}
}

func TestRunSeedsDistinct(t *testing.T) {
	seen := map[uint64]bool{}
	for p := 0; p < 100; p++ {
		for r := 0; r < 1000; r++ {
			s := RunSeed(1, p, r)
			if seen[s] {
				t.Fatalf("seed collision at point %d run %d", p, r)
			}
			seen[s] = true
		}
	}
	if RunSeed(1, 2, 3) == RunSeed(2, 2, 3) || RunSeed(1, 2, 3) == RunSeed(1, 3, 2) {
		t.Error("run seeds do not depend on the sweep seed, or are symmetric in point and run")
	}
}

// Validation errors of single fields are *FieldError naming the field (so
// a command can name its flag) and read as before for a config file.
func TestValidateErrorsNameTheField(t *testing.T) {
	for _, c := range []struct {
		edit  func(c *Config)
		field string
		msg   string
	}{
		{func(c *Config) { c.Landscape.Barrier = -1 }, "barrier", "landscape barrier -1: want a positive number"},
		{func(c *Config) { c.Eta = []float64{0} }, "eta", "eta 0: want positive numbers"},
		{func(c *Config) { c.Runs = 0 }, "runs", "runs 0: want a positive integer"},
		{func(c *Config) { c.Criterion = escape.Criterion{Kind: escape.CriterionDistance} }, "radius", `criterion "distance": radius 0: want a positive number (and no δ)`},
		{func(c *Config) {
			c.Landscape = escape.LandscapeSpec{}
			c.Network = &network.Spec{Pool: 3}
			c.Dynamics, c.BatchSize, c.Temperature = []escape.Dynamics{escape.SGD}, []float64{2}, nil
			c.Criterion = escape.Criterion{Kind: escape.CriterionLoss, Delta: 0.1}
		}, "pool", "network pool 3: want 1, 2 or 4"},
	} {
		cfg := smallConfig(1)
		c.edit(&cfg)
		err := cfg.Validate()
		var fe *escape.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field || err.Error() != c.msg {
			t.Errorf("%v: want a FieldError of %s reading %q", err, c.field, c.msg)
		}
	}
}

// A field whose omission means its default is refused when a file writes it
// as 0 (it used to be replaced by the default, with the default's hash),
// naming the field; every builtin, printed and parsed back, and the config
// a sweep writes into config.json, round-trip to the same hash.
func TestExplicitZeroRefusedAndPrintedConfigsRoundTrip(t *testing.T) {
	analytic := `{"seed":1,"landscape":{"name":"doublewell","barrier":1},"dynamics":["sgld"],"sharpness":[1],"eta":[0.01],"temperature":[0.2],"runs":3,"max_steps":100}`
	twowell := `{"seed":1,"landscape":{"name":"twowell","twowell":{"dim":1}},"dynamics":["sgld"],"sharpness":[1],"eta":[0.01],"temperature":[0.2],"runs":3,"max_steps":100}`
	network := `{"seed":1,"network":{"layers":[49,4,10],"activation":"tanh","pool":4,"first":100},"dynamics":["sgd"],"sharpness":[1],"batch_size":[4],"eta":[0.1],"runs":3,"max_steps":100,"criterion":{"kind":"loss","delta":0.05}}`
	for _, base := range []string{analytic, twowell, network} {
		if _, err := ParseConfig(strings.NewReader(base), "ok.json"); err != nil {
			t.Fatalf("%s: %v", base, err)
		}
	}
	for _, tc := range []struct{ js, section, field string }{
		{strings.Replace(analytic, `"barrier":1}`, `"barrier":1,"dim":0}`, 1), "landscape", "dim"},
		{strings.Replace(twowell, `"dim":1`, `"dim":0`, 1), "landscape twowell", "dim"},
		{strings.Replace(twowell, `"dim":1`, `"dim":1,"h_col":0.0`, 1), "landscape twowell", "h_col"},
		{strings.Replace(network, `"first":100`, `"first":100,"check_every":0`, 1), "network", "check_every"},
		{strings.Replace(network, `"first":100`, `"first":100,"grad_tol":0`, 1), "network", "grad_tol"},
		{strings.Replace(network, `"first":100`, `"first":100,"max_iterations":0`, 1), "network", "max_iterations"},
		{strings.Replace(network, `"first":100`, `"first":0`, 1), "network", "first"},
	} {
		_, err := ParseConfig(strings.NewReader(tc.js), "zero.json")
		var fe *escape.FieldError
		if !errors.As(err, &fe) || fe.Section != tc.section || fe.Field != tc.field || !strings.HasPrefix(err.Error(), "zero.json: ") {
			t.Errorf("%s: error %v, want zero.json: %s %s …", tc.js, err, tc.section, tc.field)
		}
	}
	for _, b := range Builtins() {
		raw, err := BuiltinJSON(b.Name)
		if err != nil {
			t.Fatal(err)
		}
		c, err := ParseConfig(bytes.NewReader(raw), b.Name)
		if err != nil {
			t.Fatalf("%s: %v", b.Name, err)
		}
		// What a sweep writes into config.json: the validated config.
		written, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseConfig(bytes.NewReader(written), b.Name+" written")
		if err != nil {
			t.Fatalf("%s: the written config is refused: %v\n%s", b.Name, err, written)
		}
		if back.Hash() != c.Hash() {
			t.Errorf("%s: written and parsed back, hash %s, printed %s", b.Name, back.Hash(), c.Hash())
		}
	}
}
