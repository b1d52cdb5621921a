package model

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Init is the scheme that draws the initial weights and biases. Its value is
// the name recorded in checkpoints and configuration files.
type Init string

// Initialisations of the weights.
const (
	// InitGlorot draws W ~ U(−√(6/(in+out)), √(6/(in+out))) and b = 0
	// (Glorot & Bengio 2010).
	InitGlorot Init = "glorot"
	// InitHe draws W ~ N(0, 2/in) and b = 0 (He et al. 2015).
	InitHe Init = "he"
	// InitTorch is PyTorch's default nn.Linear initialisation: W and b ~
	// U(−1/√in, 1/√in) (kaiming_uniform with a = √5).
	InitTorch Init = "torch"
	// InitAuto picks the activation's default: Glorot for tanh and He for
	// relu (Activation.DefaultInit).
	InitAuto Init = "auto"
)

// initDef is one row of the initialisation table: draw fills one layer's
// weight w (out×in) and bias b from rng.
type initDef struct {
	name Init
	draw func(rng *rand.Rand, w, b []float64, in, out int)
}

// initTable is the single table of initialisations, in the order the error
// messages list them. InitAuto has no draw: it resolves to a row first.
var initTable = []initDef{
	{InitGlorot, func(rng *rand.Rand, w, b []float64, in, out int) {
		r := math.Sqrt(6 / float64(in+out))
		for i := range w {
			w[i] = r * (2*rng.Float64() - 1)
		}
		clear(b)
	}},
	{InitHe, func(rng *rand.Rand, w, b []float64, in, _ int) {
		s := math.Sqrt(2 / float64(in))
		for i := range w {
			w[i] = s * rng.NormFloat64()
		}
		clear(b)
	}},
	{InitTorch, func(rng *rand.Rand, w, b []float64, in, _ int) {
		r := 1 / math.Sqrt(float64(in))
		for i := range w {
			w[i] = r * (2*rng.Float64() - 1)
		}
		for i := range b {
			b[i] = r * (2*rng.Float64() - 1)
		}
	}},
	{InitAuto, nil},
}

// InitNames lists the names of the initialisations, in table order.
func InitNames() []string {
	names := make([]string, len(initTable))
	for i, d := range initTable {
		names[i] = string(d.name)
	}
	return names
}

// ParseInit returns the initialisation named s, or an error naming s and
// the initialisations there are.
func ParseInit(s string) (Init, error) {
	i := Init(s)
	if err := i.Validate(); err != nil {
		return "", err
	}
	return i, nil
}

// Validate returns an error unless i is an initialisation of the table or
// empty (which means InitAuto).
func (i Init) Validate() error {
	if i == "" || i.lookup() != nil {
		return nil
	}
	return fmt.Errorf("init %q: expected %s", cut(string(i), 40), orList(InitNames()))
}

// String returns the name of the initialisation.
func (i Init) String() string { return string(i) }

func (i Init) lookup() *initDef {
	for k := range initTable {
		if initTable[k].name == i {
			return &initTable[k]
		}
	}
	return nil
}

// resolve returns the scheme i stands for with activation act: InitAuto and
// "" become act's default.
func (i Init) resolve(act Activation) Init {
	if i == InitAuto || i == "" {
		return act.DefaultInit()
	}
	return i
}
