// Package data loads MNIST and turns it into the exact tensors the models of
// sgn consume, draws minibatches, and reads and writes safetensors files.
//
// Loading (Load) reads the four idx .gz files that the GoMNIST module ships
// (from Options.Dir, $SGN_MNIST, the copy a `make build` binary embeds, or
// the module: see locate.go), scales the pixels to [0,1] (byte/255) and
// average-pools the 28×28 images by non-overlapping Pool×Pool blocks into
// (28/Pool)² features. A Set records which images it holds (Selected), so
// every number computed from it can be recomputed.
//
// A data file (Options.File) is a dataset that is not MNIST: the arrays x
// (N×d features) and y (N class labels) in safetensors, as ExportSet
// writes them, or in NumPy's .npz (read by hand: archive/zip and the .npy
// header). InspectFile checks the headers and FileBytes bounds what Load
// will hold before anything of the arrays' size is allocated; a Set from a
// file records the file and the SHA-256 of its bytes. Folders of idx files
// in MNIST's layout (Fashion-MNIST, KMNIST) load as MNIST does, through
// Options.Dir.
//
// The samplers are deterministic for a seed: EpochSampler draws a fresh
// permutation per epoch (sampling without replacement), ReplacementSampler
// draws i.i.d. uniform indices (sampling with replacement, the noise model of
// the SGD theory). Both save and restore their position in O(1).
//
// Safetensors (https://huggingface.co/docs/safetensors) is the file format of
// checkpoints and exports: WriteSafetensors, ReadSafetensors, ExportSet;
// every file is written atomically.
package data
