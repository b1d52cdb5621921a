package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progress reports the advance of long work on stderr: a bar with ETA on a
// terminal, a plain line every few seconds otherwise, nothing when quiet.
type progress struct {
	w        io.Writer
	label    string
	total    int
	terminal bool
	quiet    bool
	start    time.Time
	last     time.Time
	every    time.Duration
}

// newProgress starts a progress report of total units of work.
func (a *app) newProgress(label string, total int, quiet bool) *progress {
	every := 5 * time.Second
	if a.isTerminal {
		every = 200 * time.Millisecond
	}
	now := time.Now()
	return &progress{w: a.stderr, label: label, total: total, terminal: a.isTerminal, quiet: quiet, start: now, last: now, every: every}
}

// Update reports that done of total units are finished. It is cheap to call
// often: it prints at most every few hundred milliseconds (terminal) or
// seconds (plain). extra is appended to the line.
func (p *progress) Update(done int, extra string) {
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
		n := int(frac * width)
		if n > width {
			n = width
		}
		bar := strings.Repeat("=", n) + strings.Repeat(" ", width-n)
		fmt.Fprintf(p.w, "\r%s [%s] %3.0f%% %d/%d ETA %s%s\x1b[K", p.label, bar, 100*frac, done, p.total, eta, extra)
		return
	}
	fmt.Fprintf(p.w, "%s: %d/%d (%.0f%%) elapsed %s ETA %s%s\n", p.label, done, p.total, 100*frac, el.Round(time.Second), eta, extra)
}

// Done ends the report (a newline after a terminal bar).
func (p *progress) Done() {
	if p == nil || p.quiet {
		return
	}
	if p.terminal {
		fmt.Fprintln(p.w)
	}
}

// stageProgress returns a callback for a library's staged progress — one
// report per stage, started at the stage's first call — and a function that
// ends the last report. A report is labelled prefix and the stage; extra is
// the text shown beside a stage's counts.
func (a *app) stageProgress(prefix string, quiet bool, extra map[string]string) (update func(stage string, done, total int), end func()) {
	var cur string
	var p *progress
	update = func(stage string, done, total int) {
		if p == nil || stage != cur {
			p.Done()
			cur, p = stage, a.newProgress(prefix+stage, total, quiet)
		}
		p.Update(done, extra[stage])
	}
	return update, func() { p.Done() }
}

// runProgress returns a callback for a library's progress of runs — one
// report labelled label, started at the first call, which gives the total
// — and a function that ends it.
func (a *app) runProgress(label string, quiet bool) (update func(done, total int), end func()) {
	var p *progress
	update = func(done, total int) {
		if p == nil {
			p = a.newProgress(label, total, quiet)
		}
		p.Update(done, "")
	}
	return update, func() { p.Done() }
}
