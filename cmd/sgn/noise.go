package main

import "errors"

// runNoise implements 'sgn noise'.
func runNoise(a *app, args []string) error {
	return errors.New("not implemented yet")
}
