// Package graph is the training engine of a model.MLP as a Gorgonia
// expression graph: the mean softmax cross-entropy of a minibatch and its
// gradient by Gorgonia's reverse-mode differentiation, built from
// whole-layer operations that call the installed BLAS, bit-for-bit the same
// whatever the number of workers. It computes what model's gonum passes
// compute (tested against them and so against central differences) and is
// train.EngineGorgonia, the engine of minibatch SGD (Robbins & Monro 1951)
// whose gradient noise Xie, Sato & Sugiyama (ICLR 2021) model.
package graph
