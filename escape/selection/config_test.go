package selection

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/internal/sweep/sweeptest"
)

// A landscape field whose omission means its default is refused when the
// file writes it as 0, naming the field (it used to become the default).
func TestExplicitZeroRefused(t *testing.T) {
	raw, err := BuiltinJSON("twowell")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseConfig(raw, "twowell.json"); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"dim", "sharpness", "h_flat", "h_col", "barrier", "barrier_flat"} {
		var c map[string]any
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		c["landscape"].(map[string]any)[f] = 0
		b, _ := json.Marshal(c)
		_, err := ParseConfig(b, "zero.json")
		var fe *escape.FieldError
		if !errors.As(err, &fe) || fe.Section != "landscape" || fe.Field != f {
			t.Errorf("landscape %s 0: error %v, want one naming landscape %s", f, err, f)
		}
	}
}

// FuzzParseConfig feeds arbitrary selection configurations to ParseConfig:
// it must accept a configuration that re-encodes (as config.json records
// it) to the same configuration and grid, or return an error naming the
// file; never panic, and never allocate beyond a bound whatever sizes the
// file declares (a dimension of 2^40 was a fatal out-of-memory).
func FuzzParseConfig(f *testing.F) {
	for _, bi := range builtins().List() {
		b, err := BuiltinJSON(bi.Name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"seed":1,"landscape":{"dim":3,"sharpness":2,"transverse_sharp":[1,2]},"dynamics":["sgld"],"eta":[0.1],"temperature":[0.01],"replicas":2,"steps":10,"burn_in":1}`))
	f.Add([]byte(`{"seed":1,"landscape":{"dim":1099511627776},"dynamics":["sgd"],"batch_size":[2],"eta":[0.1],"replicas":2,"steps":10,"burn_in":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		sweeptest.ParseRoundTrip(t, b, 256<<20, ParseConfig)
	})
}

func TestConfigErrors(t *testing.T) {
	base := `"landscape": {}, "eta": [0.05], "replicas": 4, "steps": 10, "burn_in": 0`
	for _, c := range []string{
		`{"dynamics": ["sgd"], "batch_size": [1.5], ` + base + `}`,
		`{"dynamics": ["sgld"], "batch_size": [1], "temperature": [0.1], ` + base + `}`,
		`{"dynamics": ["sgld"], ` + base + `}`,
		`{"dynamics": ["adam"], ` + base + `}`,
		`{"dynamics": ["sgld"], "temperature": [0.1], "landscape": {}, "eta": [50], "replicas": 4, "steps": 10, "burn_in": 0}`,
		`{"dynamics": ["sgld"], "temperature": [0.1], "replicas": 1, "landscape": {}, "eta": [0.05], "steps": 10, "burn_in": 0}`,
		`{"dynamics": ["sgld"], "temperature": [0.1], "typo": 1, ` + base + `}`,
	} {
		if _, err := ParseConfig([]byte(c), "c.json"); err == nil {
			t.Errorf("%s: no error", c)
		}
	}
}
