package cli

import (
	"errors"
	"flag"
	"github.com/sgn-project/sgn/internal/domain"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestEditDistance against optimal string alignment distances counted by
// hand.
func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		d    int
	}{
		{"", "", 0}, {"", "abc", 3}, {"kitten", "sitting", 3}, {"flaw", "lawn", 2},
		{"top-kk", "top-k", 1}, {"θ", "θ₀", 1}, {"abc", "abc", 0},
		// transpositions of adjacent runes cost 1, but a transposed pair
		// is not edited again ("ca" → "abc" is 3, not Damerau's 2)
		{"ab", "ba", 1}, {"frist", "first", 1}, {"ca", "abc", 3}, {"θ₀", "₀θ", 1},
	} {
		if got := EditDistance(c.a, c.b); got != c.d {
			t.Errorf("EditDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.d)
		}
	}
}

// TestParseBytes: sizes in every unit, counted by hand, and sizes refused.
func TestParseBytes(t *testing.T) {
	for s, want := range map[string]int64{"8GiB": 8 << 30, "512MiB": 512 << 20, "16GB": 16e9, "1.5K": 1536, "100": 100, " 2 MiB ": 2 << 20} {
		if got, err := ParseBytes(s); err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "GiB", "-1GiB", "0", "8 parsecs", "1e400"} {
		if _, err := ParseBytes(s); err == nil {
			t.Errorf("ParseBytes(%q) accepted a bad size", s)
		}
	}
}

// TestFormatBytes: a size in binary units with its bytes, below 1 KiB
// the bytes alone.
func TestFormatBytes(t *testing.T) {
	for b, want := range map[int64]string{512: "512 B", 1536: "1.5 KiB (1536 bytes)", 3 << 30: "3.0 GiB (3221225472 bytes)"} {
		if got := FormatBytes(b); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", b, got, want)
		}
	}
}

// TestCheckGiven: a flag given outside its domain is refused by name, a
// flag left at its default is not checked, lists are checked value by value.
func TestCheckGiven(t *testing.T) {
	fs := NewFlagSet(io.Discard, "t", "t", "")
	fs.Float64("eta", 0, "")
	var l FloatList
	fs.Var(&l, "list", "")
	fs.Int("n", 0, "")
	for _, c := range []struct {
		args []string
		d    domain.Domain
		bad  bool
	}{
		{nil, domain.Positive, false}, {[]string{"--eta", "0"}, domain.Positive, true}, {[]string{"--eta", "0"}, domain.NonNegative, false},
		{[]string{"--eta", "1.5"}, domain.PositiveInt, true}, {[]string{"--list", "1,2,-3"}, domain.Positive, true},
		{[]string{"--list", "1,2"}, domain.PositiveInt, false}, {[]string{"--n", "0"}, domain.AtLeastZero, false}, {[]string{"--n", "0"}, domain.PositiveInt, true},
	} {
		fs.Set("eta", "0")
		fs.Set("list", "1")
		fs.Set("n", "0")
		if err := Parse(fs, c.args, false); err != nil {
			t.Fatal(err)
		}
		set := map[string]bool{}
		for i := 0; i < len(c.args); i += 2 {
			set[strings.TrimPrefix(c.args[i], "--")] = true
		}
		err := CheckGiven(fs, set, c.d, "eta", "list", "n")
		var ue *UsageError
		if got := errors.As(err, &ue); got != c.bad {
			t.Errorf("%v as %s: error %v, want refused %v", c.args, c.d.Want(), err, c.bad)
		}
	}
}

// TestGroup: a group dispatches to its subcommand, lists them in its help
// and suggests the closest name for a misspelled one.
func TestGroup(t *testing.T) {
	var ran []string
	g := Group[string]{Path: "sgn g", Subs: []Sub[string]{
		{Name: "run", Summary: "runs", Run: func(a string, args []string) error { ran = append(ran, a+" "+strings.Join(args, " ")); return nil }},
	}}
	var help strings.Builder
	if err := g.Run("ctx", &help, []string{"run", "x"}); err != nil || len(ran) != 1 || ran[0] != "ctx x" {
		t.Fatalf("run: %v, ran %v", err, ran)
	}
	if err := g.Run("ctx", &help, []string{"--help"}); !errors.Is(err, flag.ErrHelp) || !strings.Contains(help.String(), "  run  runs\n") {
		t.Errorf("help: %v, %q", err, help.String())
	}
	if err := g.Run("ctx", &help, []string{"rn"}); err == nil || err.Error() != `unknown subcommand "rn" (did you mean run?): want one of: run` {
		t.Errorf("misspelled: %v", err)
	}
}

// TestGroupNamesItsSubcommand: the error of a subcommand carries its
// words (CommandPath), the innermost of nested groups; help and success
// carry none, and the error still unwraps to what the subcommand returned.
func TestGroupNamesItsSubcommand(t *testing.T) {
	boom := errors.New("boom")
	inner := Group[string]{Path: "sgn g inner", Subs: []Sub[string]{
		{Name: "leaf", Run: func(string, []string) error { return Usagef("bad flag") }},
	}}
	g := Group[string]{Path: "sgn g", Subs: []Sub[string]{
		{Name: "fail", Run: func(string, []string) error { return boom }},
		{Name: "ok", Run: func(string, []string) error { return nil }},
		{Name: "inner", Run: func(a string, args []string) error { return inner.Run(a, io.Discard, args) }},
	}}
	err := g.Run("", io.Discard, []string{"fail"})
	if !errors.Is(err, boom) || CommandPath(err, "sgn g") != "sgn g fail" || err.Error() != "boom" {
		t.Errorf("fail: %v, path %q", err, CommandPath(err, "sgn g"))
	}
	err = g.Run("", io.Discard, []string{"inner", "leaf"})
	var ue *UsageError
	if !errors.As(err, &ue) || CommandPath(err, "sgn g") != "sgn g inner leaf" {
		t.Errorf("inner leaf: %v, path %q, want a usage error of sgn g inner leaf", err, CommandPath(err, "sgn g"))
	}
	if err := g.Run("", io.Discard, []string{"inner", "nope"}); CommandPath(err, "sgn g") != "sgn g inner" {
		t.Errorf("unknown subcommand of inner: path %q, want sgn g inner", CommandPath(err, "sgn g"))
	}
	if err := g.Run("", io.Discard, []string{"ok"}); err != nil {
		t.Errorf("ok: %v", err)
	}
	if err := g.Run("", io.Discard, []string{"inner", "--help"}); !errors.Is(err, flag.ErrHelp) || CommandPath(err, "sgn g") != "sgn g" {
		t.Errorf("help: %v", err)
	}
}

// TestParseSizes: lists of distinct positive integers, and the lists
// refused.
func TestParseSizes(t *testing.T) {
	if got, err := ParseSizes(" 16,64 ,256"); err != nil || len(got) != 3 || got[0] != 16 || got[2] != 256 {
		t.Errorf("ParseSizes: %v, %v", got, err)
	}
	for _, s := range []string{"", "16,,64", "0", "-4", "16,16", "1.5", "a"} {
		if got, err := ParseSizes(s); err == nil {
			t.Errorf("ParseSizes(%q) = %v, want an error", s, got)
		}
	}
}

func TestParseIndices(t *testing.T) {
	if got, err := ParseIndices(" 0,2 ,7"); err != nil || !slices.Equal(got, []int{0, 2, 7}) {
		t.Errorf("ParseIndices: %v, %v; want [0 2 7]", got, err)
	}
	for _, s := range []string{"", "1,,2", "-1", "1.5", "a"} {
		if got, err := ParseIndices(s); err == nil {
			t.Errorf("ParseIndices(%q) = %v, want an error", s, got)
		}
	}
}

func TestOnly(t *testing.T) {
	set := map[string]bool{"radius": true}
	if err := Only(set, true, "--criterion distance", "radius"); err != nil {
		t.Errorf("allowed flag refused: %v", err)
	}
	if err := Only(set, false, "--criterion loss", "delta"); err != nil {
		t.Errorf("a flag not given refused: %v", err)
	}
	err := Only(set, false, "--criterion distance", "delta", "radius")
	var ue *UsageError
	if !errors.As(err, &ue) || err.Error() != "--radius applies to --criterion distance only" {
		t.Errorf("Only: %v; want the usage error of --radius", err)
	}
}

func TestParseOne(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
		ok   bool
	}{{[]string{"dir", "--force"}, "dir", true}, {[]string{"--force"}, "", false}, {[]string{"a", "b"}, "", false}} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		fs.Bool("force", false, "")
		got, err := ParseOne(fs, c.args, "one folder")
		var ue *UsageError
		if got != c.want || (err == nil) != c.ok || (err != nil && (!errors.As(err, &ue) || err.Error() != "give one folder")) {
			t.Errorf("%v: %q, %v", c.args, got, err)
		}
	}
}

// TestIsTerminal: a regular file and a pipe are not terminals.
func TestIsTerminal(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "x")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if IsTerminal(f) || IsTerminal(w) {
		t.Error("a file or a pipe taken for a terminal")
	}
}

// TestGivenFields: the flags given by their JSON names, a deprecated
// spelling by its current one; the names back as flags.
func TestGivenFields(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.Float64("col-ratio", 0, "")
	fs.Float64("temperature", 0, "")
	fs.Int("runs", 0, "")
	Deprecate(fs, io.Discard, "x", "D", "temperature")
	if err := fs.Parse([]string{"--col-ratio", "2", "-D", "0.1"}); err != nil {
		t.Fatal(err)
	}
	set, name := GivenFields(fs)
	if len(set) != 2 || !set["col_ratio"] || !set["temperature"] || name("col_ratio") != "--col-ratio" || name("runs") != "--runs" {
		t.Errorf("set %v, names %s %s", set, name("col_ratio"), name("runs"))
	}
}

// TestExit: no error and help are status 0 and print nothing; a usage error
// is 2, a failure 1 (its text from failure when given), each one line
// prefixed by the innermost command's path.
func TestExit(t *testing.T) {
	var b strings.Builder
	fail := errors.New("disk full")
	for _, c := range []struct {
		err     error
		failure func(error) string
		code    int
		line    string
	}{
		{nil, nil, 0, ""},
		{flag.ErrHelp, nil, 0, ""},
		{InCommand("sgn x y", flag.ErrHelp), nil, 0, ""},
		{Usagef("--n 0: want a positive number"), nil, 2, "sgn x: --n 0: want a positive number\n"},
		{InCommand("sgn x y", Usagef("bad")), func(error) string { return "not used" }, 2, "sgn x y: bad\n"},
		{fail, nil, 1, "sgn x: disk full\n"},
		{InCommand("sgn x z", fail), func(err error) string { return err.Error() + " (hint)" }, 1, "sgn x z: disk full (hint)\n"},
	} {
		b.Reset()
		if code := Exit(&b, "sgn x", c.err, c.failure); code != c.code || b.String() != c.line {
			t.Errorf("%v: status %d, line %q; want %d, %q", c.err, code, b.String(), c.code, c.line)
		}
	}
}
