package main

import "errors"

// runData implements 'sgn data'.
func runData(a *app, args []string) error {
	return errors.New("not implemented yet")
}
