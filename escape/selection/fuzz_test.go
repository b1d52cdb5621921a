package selection

import (
	"testing"

	"github.com/sgn-project/sgn/internal/sweep/sweeptest"
)

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
