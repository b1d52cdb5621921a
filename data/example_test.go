package data_test

import (
	"fmt"

	"github.com/sgn-project/sgn/data"
)

// Minibatches of 4 out of 10 samples, reshuffled every epoch from the seed
// (the last partial batch dropped): an epoch is 2 batches.
func ExampleNewEpochSampler() {
	s, err := data.NewEpochSampler(10, 4, 1, true)
	if err != nil {
		fmt.Println(err)
		return
	}
	for range 4 {
		idx, end := s.Next()
		fmt.Println(idx, end)
	}
	// Output:
	// [6 3 1 9] false
	// [7 4 8 2] true
	// [3 5 8 2] false
	// [7 1 6 4] true
}

// The first 100 training images of MNIST pooled 4×4 into 7×7 = 49
// features, scaled to [0, 1].
func ExampleLoad() {
	set, err := data.Load(data.Options{Split: "train", Pool: 4, First: 100})
	if err != nil {
		fmt.Println(err)
		return
	}
	sum := 0.0
	for _, v := range set.X {
		sum += v
	}
	fmt.Printf("%d images × %d features, labels %v…, mean pixel %.6f\n", set.N, set.D, set.Y[:8], sum/float64(len(set.X)))
	// Output:
	// 100 images × 49 features, labels [5 0 4 1 9 2 1 3]…, mean pixel 0.126595
}
