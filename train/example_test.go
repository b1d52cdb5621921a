package train_test

import (
	"fmt"
	"os"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/model"
	"github.com/sgn-project/sgn/train"
)

// Three epochs of minibatch SGD for a 49-8-10 tanh MLP on the first 500
// MNIST training images (pooled 4×4), evaluated on the first 500 test
// images: the same seeds give the same losses, bit for bit.
func ExampleRun() {
	trainSet, err := data.Load(data.Options{Split: "train", Pool: 4, First: 500})
	if err != nil {
		fmt.Println(err)
		return
	}
	testSet, err := data.Load(data.Options{Split: "test", Pool: 4, First: 500})
	if err != nil {
		fmt.Println(err)
		return
	}
	m, err := model.New(model.Config{Layers: []int{49, 8, 10}, Activation: model.Tanh, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	dir, err := os.MkdirTemp("", "sgn-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	s := train.Settings{LR: 0.1, BatchSize: 16, Epochs: 3, Seed: 1, Engine: train.EngineGonum, Pool: 4, TrainFirst: 500, TestFirst: 500}
	sum, err := train.Run(m, trainSet, testSet, train.Options{Settings: s, OutDir: dir, Workers: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d steps: train loss %.6f, test loss %.6f, test accuracy %.3f\n", sum.Steps, sum.Final.TrainLoss, sum.Final.TestLoss, sum.Final.TestAccuracy)
	// Output:
	// 93 steps: train loss 1.990819, test loss 2.038439, test accuracy 0.406
}
