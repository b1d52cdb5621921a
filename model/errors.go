package model

import (
	"errors"
	"fmt"
)

// ErrNonFinite reports a loss that is NaN or infinite: the parameters have
// diverged. Errors that carry it are matched with errors.Is.
var ErrNonFinite = errors.New("the parameters have diverged")

// nonFiniteLoss returns the error for a non-finite loss value.
func nonFiniteLoss(loss float64) error {
	return fmt.Errorf("loss is %v: %w", loss, ErrNonFinite)
}
