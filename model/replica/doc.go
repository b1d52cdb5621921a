// Package replica is the small-network engine of the escape simulations
// (Xie, Sato & Sugiyama, ICLR 2021, Theorems 1–2 measured on MLPs): the
// loss and gradient of a model.MLP one sample at a time, allocation-free,
// one Engine per goroutine, for networks so small (10-16-2, 49-8-10) that
// a minibatch step costs microseconds and any fixed cost per step would
// dominate; the full loss of several replicas on the same samples by
// whole-layer products (Losses). It computes what model's passes compute and is tested against
// them for every activation of model's table.
package replica
