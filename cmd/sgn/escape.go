package main

import "errors"

// runEscape implements 'sgn escape'.
func runEscape(a *app, args []string) error {
	return errors.New("not implemented yet")
}
