package sweep

// Need is what the runs of a sweep's configuration hold at most in memory,
// estimated before anything runs, and the model they build: what a command
// checks against its limits (--max-memory, --max-params) before it starts
// (Experiment.Need).
type Need struct {
	// Bytes bounds the memory, in float64 so that absurd sizes give a huge
	// number, not an overflow.
	Bytes float64
	// What says what needs the bytes, in the configuration's terms ("200
	// runs per point on the network [49 8 10] with 2 workers").
	What string
	// Model is the model the runs build (model.Config), nil for none.
	Model Sized
	// MNIST reports whether the runs read MNIST, so that a folder of its
	// files applies.
	MNIST bool
}

// Sized is a model whose number of parameters can be checked against a
// limit (model.Config): CheckSize returns an error above maxParams.
type Sized interface {
	CheckSize(maxParams int) error
}
