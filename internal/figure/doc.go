// Package figure renders gonum/plot figures to PNG and SVG and writes each
// file atomically; every figure of sgn is saved through it.
package figure
