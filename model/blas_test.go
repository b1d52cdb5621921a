package model

import (
	"os"
	"testing"
)

// TestMain runs the tests on the matrix products the program uses
// (model.UseBLAS), as cmd/sgn's main installs them.
func TestMain(m *testing.M) {
	UseBLAS()
	os.Exit(m.Run())
}
