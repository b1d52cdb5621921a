package main

import "errors"

// runCovariance implements 'sgn covariance'.
func runCovariance(a *app, args []string) error {
	return errors.New("not implemented yet")
}
