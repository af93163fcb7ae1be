package rules

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Problem is one thing wrong with a rule set document. Compile reports
// every problem it finds, not just the first, so an analyst fixes a
// document in one round.
type Problem struct {
	// Line and Column locate the problem in the document, from 1; zero
	// when it has no place (an empty document). For an error in a when
	// expression they point at the error itself when the expression is
	// on one line or in a literal block (|), else at its start.
	Line   int `json:"line,omitempty"`
	Column int `json:"column,omitempty"`
	// Path is the key the problem is about: "default.level",
	// "rules[2].when".
	Path string `json:"path,omitempty"`
	// Rule is the id of the rule the problem is in, if it has one.
	Rule string `json:"rule,omitempty"`
	// ExprLine and ExprColumn locate an error inside a when expression,
	// from 1, counted in the expression's own text.
	ExprLine   int    `json:"expr_line,omitempty"`
	ExprColumn int    `json:"expr_column,omitempty"`
	Message    string `json:"message"`
}

// String formats the problem as one line:
//
//	14:11: rules[1].when (rule "big-payment"): undefined field 'emial' (expression 1:6)
func (p Problem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "%d:%d: ", p.Line, p.Column)
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		if p.Rule != "" {
			fmt.Fprintf(&b, " (rule %q)", p.Rule)
		}
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	if p.ExprLine > 0 {
		fmt.Fprintf(&b, " (expression %d:%d)", p.ExprLine, p.ExprColumn)
	}
	return b.String()
}

// Error is Compile's error: the problems of a document, in document
// order. Callers that show them (the admin API, stepup rules test) take
// them with errors.As.
type Error struct {
	Problems []Problem
}

func (e *Error) Error() string {
	if len(e.Problems) == 1 {
		return "rules: " + e.Problems[0].String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "rules: %d problems:", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n\t")
		b.WriteString(p.String())
	}
	return b.String()
}

// problems collects the problems of one document.
type problems []Problem

func (ps *problems) add(at position, path, rule, format string, args ...any) {
	*ps = append(*ps, Problem{Line: at.line, Column: at.col, Path: path, Rule: rule, Message: fmt.Sprintf(format, args...)})
}

// err returns the problems as an *Error, in document order, or nil.
func (ps problems) err() error {
	if len(ps) == 0 {
		return nil
	}
	slices.SortStableFunc(ps, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	return &Error{Problems: ps}
}

// position is a place in the document, from 1; the zero position is
// "nowhere in particular".
type position struct{ line, col int }
