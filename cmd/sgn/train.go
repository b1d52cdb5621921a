package main

import "errors"

// runTrain implements 'sgn train'.
func runTrain(a *app, args []string) error {
	return errors.New("not implemented yet")
}
