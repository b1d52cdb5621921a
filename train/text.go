package train

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
)

// WriteText writes the summary of sgn train: the network, the steps and
// time taken (the throughput of the last epoch's SGD steps), the final
// train and test loss and accuracy, and the files.
func (s *Summary) WriteText(w io.Writer) error {
	fin, dir := s.Final, filepath.Dir(s.Checkpoint)
	fmt.Fprintf(w, "trained %v %s, P = %d, %d steps (%d epochs) in %.1f s (SGD steps of the last epoch: %.0f samples/s, evaluation excluded)\n",
		s.Model.Layers, s.Model.Activation, s.NumParams, s.Steps, fin.Epoch, s.WallSeconds, s.SamplesPerSec)
	if fin.NoTest {
		fmt.Fprintf(w, "train loss %s, accuracy %.2f%%; no test set (give one with --test)\n", lossText(fin.TrainLoss), 100*fin.TrainAccuracy)
	} else {
		fmt.Fprintf(w, "train loss %s, accuracy %.2f%%; test loss %s, accuracy %.2f%%\n",
			lossText(fin.TrainLoss), 100*fin.TrainAccuracy, lossText(fin.TestLoss), 100*fin.TestAccuracy)
	}
	_, err := fmt.Fprintf(w, "checkpoint %s\nlog %s, summary %s\n", s.Checkpoint, filepath.Join(dir, LogFile), filepath.Join(dir, SummaryFile))
	return err
}

// lossText formats a cross-entropy for the summary: four decimals, or four
// significant digits with an exponent once it reaches 10⁴ (a run whose
// step size was far too large ends with losses of hundreds of digits in
// fixed notation).
func lossText(v float64) string {
	if math.Abs(v) < 1e4 {
		return fmt.Sprintf("%.4f", v)
	}
	return fmt.Sprintf("%.4g", v)
}
