package main

import (
	"strings"
	"testing"
)

// TestShardHelpKeepsTheSplit: no sweep's help suggests --shard
// $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT, which breaks on a
// resubmitted single index (Slurm then sets the count to 1 and the shard
// folder of the first submission is refused).
func TestShardHelpKeepsTheSplit(t *testing.T) {
	for _, args := range [][]string{
		{"escape", "sweep"}, {"selection", "networks", "sweep"}, {"selection", "twowell", "sweep"},
	} {
		_, out, errOut := run(append(args, "-h")...)
		if strings.Contains(out+errOut, "/$SLURM_ARRAY_TASK_COUNT") {
			t.Errorf("sgn %s -h suggests --shard …/$SLURM_ARRAY_TASK_COUNT", strings.Join(args, " "))
		}
	}
}
