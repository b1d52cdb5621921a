package model

import (
	"fmt"
	"math/rand/v2"
)

// MLP is a multilayer perceptron with parameters θ stored as one flat vector
// (see the package comment for the order).
type MLP struct {
	Config
	Layout Layout
	// Theta is the flat parameter vector θ; it may be read and written in place.
	Theta []float64
}

// New returns an MLP with seeded initial parameters. It refuses a model of
// more than DefaultMaxParams parameters (see NewMax).
func New(c Config) (*MLP, error) {
	return NewMax(c, DefaultMaxParams)
}

// NewMax is New with the limit on the number of parameters given: it
// refuses, before allocating anything, a model of more than maxParams.
func NewMax(c Config, maxParams int) (*MLP, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if err := c.CheckSize(maxParams); err != nil {
		return nil, err
	}
	if c.Init == "" {
		c.Init = InitAuto
	}
	c.Layers = append([]int(nil), c.Layers...)
	m := &MLP{Config: c, Layout: NewLayout(c.Layers)}
	m.Theta = make([]float64, m.Layout.P)
	m.Initialize(c.Seed)
	return m, nil
}

// NumParams returns P, the length of θ.
func (m *MLP) NumParams() int { return m.Layout.P }

// NumClasses returns the width of the output layer.
func (m *MLP) NumClasses() int { return m.Layers[len(m.Layers)-1] }

// InputDim returns the width of the input layer.
func (m *MLP) InputDim() int { return m.Layers[0] }

// SetParams copies theta into the model's parameters.
func (m *MLP) SetParams(theta []float64) error {
	if len(theta) != m.Layout.P {
		return fmt.Errorf("parameter vector has %d entries, the model %s has %d", len(theta), layersText(m.Layers), m.Layout.P)
	}
	copy(m.Theta, theta)
	return nil
}

// Clone returns a deep copy of the model.
func (m *MLP) Clone() *MLP {
	c := *m
	c.Layers = append([]int(nil), m.Layers...)
	c.Layout = NewLayout(c.Layers)
	c.Theta = append([]float64(nil), m.Theta...)
	return &c
}

// Initialize draws fresh parameters from seed with the configured scheme
// (Glorot & Bengio 2010 for tanh, He et al. 2015 for relu, or PyTorch's
// nn.Linear default), layer by layer in θ order.
func (m *MLP) Initialize(seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0x5eed1a7e))
	draw := m.Init.resolve(m.Activation).lookup().draw
	for l := 0; l < m.Layout.NumLayers(); l++ {
		draw(rng, m.Layout.W(m.Theta, l), m.Layout.B(m.Theta, l), m.Layers[l], m.Layers[l+1])
	}
}
