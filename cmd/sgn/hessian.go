package main

import "errors"

// runHessian implements 'sgn hessian'.
func runHessian(a *app, args []string) error {
	return errors.New("not implemented yet")
}
