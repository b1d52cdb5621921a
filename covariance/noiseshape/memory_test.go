package noiseshape

import "testing"

func TestMemoryNeed(t *testing.T) {
	// P = 1,242 ≤ AllCoordsLimit: every coordinate; pool cap 2e6 / 1242 =
	// 1610 minibatches, capped at the 1,000 drawn; two workers.
	opt := Options{BatchSizes: []int{1, 4}, Minibatches: 1000, Workers: 2, PoolCap: 2_000_000}
	got, err := opt.MemoryNeed(1242, 5000)
	if err != nil {
		t.Fatal(err)
	}
	want := 8 * (2*1242*1000 + 2*1000*1242 + 7*1242.0)
	if got != want {
		t.Errorf("MemoryNeed = %v, want %v", got, want)
	}
	// Issue case 3: 10⁸ minibatches need far more than any machine has.
	opt.Minibatches = 100_000_000
	if got, err := opt.MemoryNeed(1242, 5000); err != nil || got < 1e12 {
		t.Errorf("10⁸ minibatches: %v, %v", got, err)
	}
	opt.Minibatches = 5
	if _, err := opt.MemoryNeed(1242, 5000); err == nil {
		t.Errorf("5 minibatches accepted")
	}
}
