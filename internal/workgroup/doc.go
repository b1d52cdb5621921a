// Package workgroup runs the goroutines of a worker pool so that a panic in
// one of them comes back to the caller as an error (a *PanicError naming what
// failed) instead of killing the process with a stack trace.
package workgroup
