package cli

import (
	"errors"
	"strings"

	"github.com/sgn-project/sgn/internal/memlimit"
)

// MemoryRefusal is the one refusal of options that need more memory than
// --max-memory, in every command: a usage error (exit status 2) saying what
// needs how much (FormatBytes) and what to change: lower (e.g. "lower
// --first"), then --max-memory.
func MemoryRefusal(what string, need, limit int64, lower string) error {
	if lower != "" {
		lower += ", or "
	}
	return Usagef("%s needs about %s, more than --max-memory %s; %sraise --max-memory", what, FormatBytes(need), FormatBytes(limit), lower)
}

// MemoryUsage returns the MemoryRefusal of a *memlimit.Error in err, its
// options spelled as flags: renamed[option] when listed, else the option
// in kebab case (top_k: --top-k). Other errors pass unchanged.
func MemoryUsage(err error, renamed map[string]string) error {
	var me *memlimit.Error
	if !errors.As(err, &me) {
		return err
	}
	flag := func(option string) string {
		if n, ok := renamed[option]; ok {
			return "--" + n
		}
		return "--" + strings.ReplaceAll(option, "_", "-")
	}
	return MemoryRefusal(me.Subject(flag), me.Need, me.Limit, me.Advice(flag))
}
