package selection

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/sgn-project/sgn/escape"
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
