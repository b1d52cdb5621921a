package paper

import (
	"fmt"
	"io"
)

// WriteText writes the shape of the network and data read, the rows
// analysed and one line per experiment: its status, seconds, folder and
// the reason it failed or could not apply. The claims follow apart
// (report.Report.WriteText), once the page is built.
func (r *Result) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "network P = %d on N = %d rows of d = %d, %d classes: analysed the first %d rows\n", r.Shape.P, r.Shape.N, r.Shape.D, r.Shape.Classes, r.Sizes.First)
	for _, oc := range r.Outcomes {
		why := ""
		if oc.Reason != "" {
			why = ": " + oc.Reason
		}
		if _, err := fmt.Fprintf(w, "%-40s %-8s %8.1f s  %s%s\n", oc.Experiment, oc.Status, oc.Seconds, oc.Folder, why); err != nil {
			return err
		}
	}
	return nil
}
