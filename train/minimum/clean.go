package minimum

import "github.com/sgn-project/sgn/internal/atomicfile"

// RemoveOutputs removes an earlier run's minimum.safetensors and
// minimum.json from dir (so that a run stopped before Report.Write never
// leaves them beside another run's files) and returns the names removed.
func RemoveOutputs(dir string) ([]string, error) {
	return atomicfile.RemoveStale(dir, CheckpointFile, JSONFile)
}
