package data

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
)

// digest returns the identity of the MNIST data of s: the hex SHA-256 of
// the lines "NAME SHA256\n" of the four files in the order of mnistFiles,
// each with the SHA-256 of the file's bytes. Two sources with the same
// digest hold the same images and labels.
func (s mnistSource) digest() (string, error) {
	all := sha256.New()
	for _, name := range mnistFiles {
		f, err := s.fsys.Open(name)
		if err != nil {
			return "", fmt.Errorf("MNIST file %s: %v", s.path(name), err)
		}
		h := sha256.New()
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return "", fmt.Errorf("MNIST file %s: %v", s.path(name), err)
		}
		fmt.Fprintf(all, "%s %x\n", name, h.Sum(nil))
	}
	return hex.EncodeToString(all.Sum(nil)), nil
}
