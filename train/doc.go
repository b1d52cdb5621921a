// Package train runs minibatch SGD (with optional momentum and weight decay;
// plain SGD is the dynamics studied by Xie, Sato & Sugiyama, ICLR 2021) on an
// MLP of package model over MNIST, evaluating every epoch, logging JSON
// lines and writing checkpoints it resumes from bit for bit.
package train
