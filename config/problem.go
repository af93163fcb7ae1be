package config

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Severity says whether a Problem stops stepup from starting.
type Severity int

const (
	// Error is a problem stepup refuses to start with.
	Error Severity = iota
	// Warning is a problem stepup starts with, but an operator should fix.
	Warning
)

// String returns "error" or "warning".
func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// Problem is one thing wrong with a configuration.
type Problem struct {
	File     string // the file's name as given to Load or LoadBytes; may be empty
	Line     int    // 1-based; 0 when the key is not in the file
	Column   int    // 1-based; 0 when unknown
	Path     string // key path, e.g. "oidc.clients[2].redirect_uris[0]"; empty for the whole file
	Message  string
	Severity Severity
}

// String formats the problem as "file:line:col: path: message", with
// "warning: " before the path for a warning. Parts that are unknown are left
// out.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
		if p.Column > 0 {
			fmt.Fprintf(&b, ":%d", p.Column)
		}
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if p.Severity == Warning {
		b.WriteString("warning: ")
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems is every problem found in one configuration.
type Problems []Problem

// HasErrors reports whether any problem is an Error.
func (ps Problems) HasErrors() bool {
	return slices.ContainsFunc(ps, func(p Problem) bool { return p.Severity == Error })
}

// Err returns nil if no problem is an Error, and otherwise an error whose
// message lists every problem, warnings included, one per line.
func (ps Problems) Err() error {
	if !ps.HasErrors() {
		return nil
	}
	return &problemsError{ps}
}

// String lists the problems one per line.
func (ps Problems) String() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// sort orders problems as a reader meets them in the file; problems with no
// line (keys left at their defaults) come last, in the order they were found.
func (ps Problems) sort() {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		if (a.Line == 0) != (b.Line == 0) {
			if a.Line == 0 {
				return 1
			}
			return -1
		}
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
}

type problemsError struct{ problems Problems }

func (e *problemsError) Error() string {
	n := 0
	for _, p := range e.problems {
		if p.Severity == Error {
			n++
		}
	}
	noun := "errors"
	if n == 1 {
		noun = "error"
	}
	return fmt.Sprintf("config: %d %s:\n%s", n, noun, e.problems)
}
