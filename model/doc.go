// Package model is the multilayer perceptron of sgn: its flat parameter
// vector θ and activations, the mean softmax cross-entropy with its gradient,
// per-sample gradients and exact Hessian-vector products (Pearlmutter 1994,
// "Fast exact multiplication by the Hessian"), computed by gonum passes,
// and its safetensors checkpoints in PyTorch's nn.Linear layout. The
// Gorgonia graph of the same loss is package model/graph; the small-network
// engine of the escape runs is package model/replica.
//
// Parameter order (the flat vector θ ∈ R^P): fc1.weight (out×in, row-major),
// fc1.bias, fc2.weight, fc2.bias, …, fcL.weight, fcL.bias — the order of
// PyTorch's state_dict for nn.Sequential(Linear, act, …, Linear).
package model
