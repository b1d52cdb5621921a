package cli

import (
	"errors"
	"fmt"
	"testing"

	"github.com/sgn-project/sgn/internal/memlimit"
)

// TestMemoryUsage: a *memlimit.Error anywhere in the chain becomes the one
// refusal, a usage error with its options spelled as flags (renamed or in
// kebab case) and the sizes in binary units; other errors pass unchanged.
func TestMemoryUsage(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", memlimit.Check(3<<30, 1<<30, "on P = 7", []memlimit.Setting{{Name: "top_k", Value: "5"}},
		memlimit.Lower("top_k"), memlimit.Lower("batch_sizes"), memlimit.Use("mode", "matfree")))
	got := MemoryUsage(err, map[string]string{"batch_sizes": "batch-size"})
	var ue *UsageError
	if !errors.As(got, &ue) {
		t.Fatalf("%v: not a usage error", got)
	}
	want := "--top-k 5 on P = 7 needs about 3.0 GiB (3221225472 bytes), more than --max-memory 1.0 GiB (1073741824 bytes); lower --top-k or --batch-size, or use --mode matfree, or raise --max-memory"
	if got.Error() != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	plain := errors.New("other")
	if MemoryUsage(plain, nil) != plain || MemoryUsage(nil, nil) != nil {
		t.Error("other errors must pass unchanged")
	}
}
