// Package cli is the command-line machinery of sgn's commands, apart from
// what any one command does: flag sets whose help shows a synopsis and an
// example (NewFlagSet, Parse, ParseInterleaved), usage errors (Usagef: exit
// status 2), --workers (WorkersFlag, CheckWorkers), deprecated flag spellings (Deprecate), checks of numeric flags
// given on the command line (CheckGiven), commands made of subcommands with
// "did you mean" (Group), memory sizes (ParseBytes, FormatBytes), the
// memory refusal of every command (MemoryRefusal, MemoryUsage: a
// memlimit.Error spelled with a command's flags) and the progress of long
// work on stderr (Progress, Stages, Runs).
//
// It knows no command of sgn and imports of the project only
// internal/domain and internal/memlimit.
package cli
