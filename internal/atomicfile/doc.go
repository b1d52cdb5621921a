// Package atomicfile writes files so that a reader sees either the old
// content or the complete new one, never a part: every output file of sgn
// goes through it. RemoveStale clears an earlier run's outputs before a
// fresh run writes its own.
package atomicfile
