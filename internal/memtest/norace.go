//go:build !race

package memtest

// Race reports whether the program was built with the race detector
// (go test -race); see race.go.
const Race = false
