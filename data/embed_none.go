//go:build !embedmnist

package data

import "io/fs"

// embeddedMNIST reports that this build embeds no MNIST files (build with
// -tags embedmnist, as `make build` does, to embed them).
func embeddedMNIST() (fs.FS, bool) { return nil, false }
