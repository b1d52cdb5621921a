package train

import (
	"fmt"
	"io"
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
		fmt.Fprintf(w, "train loss %.4f, accuracy %.2f%%; no test set (give one with --test)\n", fin.TrainLoss, 100*fin.TrainAccuracy)
	} else {
		fmt.Fprintf(w, "train loss %.4f, accuracy %.2f%%; test loss %.4f, accuracy %.2f%%\n",
			fin.TrainLoss, 100*fin.TrainAccuracy, fin.TestLoss, 100*fin.TestAccuracy)
	}
	_, err := fmt.Fprintf(w, "checkpoint %s\nlog %s, summary %s\n", s.Checkpoint, filepath.Join(dir, LogFile), filepath.Join(dir, SummaryFile))
	return err
}
