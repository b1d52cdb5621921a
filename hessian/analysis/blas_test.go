package analysis

import (
	"os"
	"testing"

	"github.com/sgn-project/sgn/model"
)

// TestMain runs the tests on the matrix products the program uses
// (model.UseBLAS), as cmd/sgn's main installs them.
func TestMain(m *testing.M) {
	model.UseBLAS()
	os.Exit(m.Run())
}
