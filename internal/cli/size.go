package cli

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ParseBytes parses a memory size: a number of bytes with an optional
// unit, KiB, MiB, GiB, TiB (powers of 1024; K, M, G, T too) or KB, MB, GB, TB
// (powers of 1000). A size beyond int64 is math.MaxInt64.
func ParseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := len(t)
	for i > 0 && (t[i-1] < '0' || t[i-1] > '9') && t[i-1] != '.' {
		i--
	}
	num, unit := strings.TrimSpace(t[:i]), strings.TrimSpace(t[i:])
	mult := map[string]float64{
		"": 1, "B": 1,
		"K": 1 << 10, "KiB": 1 << 10, "M": 1 << 20, "MiB": 1 << 20, "G": 1 << 30, "GiB": 1 << 30, "T": 1 << 40, "TiB": 1 << 40,
		"KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
	}[unit]
	if mult == 0 {
		return 0, fmt.Errorf("unknown unit %q: want a size such as 512MiB, 8GiB or 16GB", unit)
	}
	x, err := strconv.ParseFloat(num, 64)
	if err != nil || x <= 0 || math.IsInf(x, 0) {
		return 0, fmt.Errorf("want a positive size such as 512MiB, 8GiB or 16GB")
	}
	if x*mult >= math.MaxInt64 {
		return math.MaxInt64, nil
	}
	return int64(x * mult), nil
}

// FormatBytes formats a size with a binary unit and the bytes, e.g.
// "11.8 MiB (12373196 bytes)"; below 1 KiB, "512 B".
func FormatBytes(b int64) string {
	if b == math.MaxInt64 {
		return "more than 8 EiB"
	}
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	x := float64(b)
	u := 0
	for x >= 1024 && u < len(units)-1 {
		x /= 1024
		u++
	}
	if u == 0 {
		return fmt.Sprintf("%d B", b)
	}
	return fmt.Sprintf("%.1f %s (%d bytes)", x, units[u], b)
}
