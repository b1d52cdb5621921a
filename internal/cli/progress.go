package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Progress reports the advance of long work: a bar with ETA on a
// terminal, a plain line every few seconds otherwise, nothing when quiet.
// A nil *Progress reports nothing.
type Progress struct {
	w        io.Writer
	label    string
	total    int
	terminal bool
	quiet    bool
	start    time.Time
	last     time.Time
	every    time.Duration
}

// NewProgress starts a report on w of total units of work; terminal says
// whether w is a terminal (a bar) or not (plain lines).
func NewProgress(w io.Writer, terminal bool, label string, total int, quiet bool) *Progress {
	every := 5 * time.Second
	if terminal {
		every = 200 * time.Millisecond
	}
	now := time.Now()
	return &Progress{w: w, label: label, total: total, terminal: terminal, quiet: quiet, start: now, last: now, every: every}
}

// Update reports that done of total units are finished. It is cheap to call
// often: it prints at most every few hundred milliseconds (terminal) or
// seconds (plain). extra is appended to the line.
func (p *Progress) Update(done int, extra string) {
	if p == nil || p.quiet {
		return
	}
	now := time.Now()
	if done < p.total && now.Sub(p.last) < p.every {
		return
	}
	p.last = now
	el := now.Sub(p.start)
	eta := "?"
	if done > 0 {
		rem := time.Duration(float64(el) * float64(p.total-done) / float64(done))
		eta = rem.Round(time.Second).String()
	}
	frac := 0.0
	if p.total > 0 {
		frac = float64(done) / float64(p.total)
	}
	if extra != "" {
		extra = "  " + extra
	}
	if p.terminal {
		const width = 30
		n := min(int(frac*width), width)
		bar := strings.Repeat("=", n) + strings.Repeat(" ", width-n)
		fmt.Fprintf(p.w, "\r%s [%s] %3.0f%% %d/%d ETA %s%s\x1b[K", p.label, bar, 100*frac, done, p.total, eta, extra)
		return
	}
	fmt.Fprintf(p.w, "%s: %d/%d (%.0f%%) elapsed %s ETA %s%s\n", p.label, done, p.total, 100*frac, el.Round(time.Second), eta, extra)
}

// Done ends the report (a newline after a terminal bar).
func (p *Progress) Done() {
	if p == nil || p.quiet {
		return
	}
	if p.terminal {
		fmt.Fprintln(p.w)
	}
}

// Stages returns a callback for a library's staged progress — one report
// per stage, started at the stage's first call — and a function that ends
// the last report. A report is labelled prefix and the stage; extra is the
// text shown beside a stage's counts.
func Stages(w io.Writer, terminal bool, prefix string, quiet bool, extra map[string]string) (update func(stage string, done, total int), end func()) {
	var cur string
	var p *Progress
	update = func(stage string, done, total int) {
		if p == nil || stage != cur {
			p.Done()
			cur, p = stage, NewProgress(w, terminal, prefix+stage, total, quiet)
		}
		p.Update(done, extra[stage])
	}
	return update, func() { p.Done() }
}

// Steps returns a callback for a library's progress of steps or runs —
// one report labelled label, started at the first call, which gives the
// total; extra is the text beside the counts — and a function that ends
// it.
func Steps(w io.Writer, terminal bool, label string, quiet bool) (update func(done, total int, extra string), end func()) {
	var p *Progress
	update = func(done, total int, extra string) {
		if p == nil {
			p = NewProgress(w, terminal, label, total, quiet)
		}
		p.Update(done, extra)
	}
	return update, func() { p.Done() }
}

// Runs is Steps with no text beside the counts.
func Runs(w io.Writer, terminal bool, label string, quiet bool) (update func(done, total int), end func()) {
	u, end := Steps(w, terminal, label, quiet)
	return func(done, total int) { u(done, total, "") }, end
}

// IsTerminal reports whether f is a character device (a terminal): a
// progress bar there, plain progress lines otherwise.
func IsTerminal(f *os.File) bool {
	st, err := f.Stat()
	if err != nil {
		return false
	}
	return st.Mode()&os.ModeCharDevice != 0
}
