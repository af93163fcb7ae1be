package rules

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/ast"

	"github.com/stepup-auth/stepup/acr"
)

// RuleSet is the compiled rules of one action: each when expression
// parsed, type-checked and planned once, by Compile. A RuleSet never
// changes, so one value serves every request at once; publishing new
// rules means compiling a new RuleSet and swapping the pointer.
type RuleSet struct {
	spec  Spec
	dflt  verdict
	rules []rule
	// paths are the input values some rule reads, each with a program
	// that reads it, for Values.
	paths map[string]cel.Program
}

type rule struct {
	id       string
	priority int
	then     verdict
	prg      cel.Program
	paths    []string // the input values the rule reads, sorted
	// loops says the expression has a comprehension (all, exists, ...):
	// the only place where cel-go looks at the context.
	loops bool
	// tracked says the program counts its cost as it runs, to stop at
	// the limit: the rule's cost could not be bounded when compiled.
	tracked bool
}

// verdict is a checked, typed Then.
type verdict struct {
	outcome   Outcome
	level     acr.Level
	maxAge    time.Duration
	hasMaxAge bool
	methods   []acr.Method
}

// Compile reads a rule set document (YAML or JSON, see the package
// documentation), checks it, and compiles every when expression with
// type checking. It is also the validator: a document is valid exactly
// when Compile returns no error. A document with problems gives an
// *Error listing all of them, each with its place in the document.
func Compile(spec []byte) (*RuleSet, error) {
	env, err := celEnv()
	if err != nil {
		return nil, fmt.Errorf("rules: the CEL environment: %w", err)
	}
	s, lay, ps, ok := decode(spec)
	if !ok {
		return nil, ps.err()
	}
	c := compiler{env: env, lay: lay, problems: &ps}
	rs := &RuleSet{spec: s, paths: map[string]cel.Program{}}
	if s.Action == "" {
		c.missing("action", "", "want the name of the decision point, e.g. payment")
	}
	rs.dflt, _ = c.then(s.Default, "default", "")
	seen := map[string]int{}
	for i, r := range s.Rules {
		path := fmt.Sprintf("rules[%d]", i)
		switch j, dup := seen[r.ID]; {
		case r.ID == "":
			c.missing(path+".id", "", "every rule needs an id for decisions to name it")
		case dup:
			ps.add(lay.at(path+".id"), path+".id", r.ID, "rules[%d] has the same id; ids must be unique", j)
		default:
			seen[r.ID] = i
		}
		if r.Priority < 0 {
			ps.add(lay.at(path+".priority"), path+".priority", r.ID, "%d is negative (0 is the highest priority)", r.Priority)
		}
		then, thenOK := c.then(r.Then, path, r.ID)
		compiled, whenOK := c.when(i, r)
		if !thenOK || !whenOK {
			continue
		}
		compiled.id, compiled.priority, compiled.then = r.ID, r.Priority, then
		rs.rules = append(rs.rules, compiled)
		for _, p := range compiled.paths {
			if _, done := rs.paths[p]; !done {
				if prg, ok := pathProgram(env, p); ok {
					rs.paths[p] = prg
				}
			}
		}
	}
	if err := ps.err(); err != nil {
		return nil, err
	}
	rs.spec = s.clone()
	return rs, nil
}

// Action returns the action the rule set is for.
func (rs *RuleSet) Action() string { return rs.spec.Action }

// Spec returns the document the rule set was compiled from, as written.
func (rs *RuleSet) Spec() Spec { return rs.spec.clone() }

type compiler struct {
	env      *cel.Env
	lay      layout
	problems *problems
}

func (c compiler) add(path, rule, format string, args ...any) {
	c.problems.add(c.lay.at(path), path, rule, format, args...)
}

// missing reports a required value that is empty, unless the decoder
// already reported why it could not read it.
func (c compiler) missing(path, rule, want string) {
	if !c.lay.hasFailed(path) {
		c.add(path, rule, "missing (%s)", want)
	}
}

// then checks an outcome and what it asks for. Keys that only a CHALLENGE
// takes are errors elsewhere: a BLOCK with a level looks like it means
// something, and does not.
func (c compiler) then(t Then, path, rule string) (verdict, bool) {
	var v verdict
	ok := true
	if t.Outcome == "" {
		c.missing(path+".outcome", rule, "want ALLOW, CHALLENGE, REVIEW or BLOCK")
		return v, false
	}
	o, err := ParseOutcome(t.Outcome)
	if err != nil {
		c.add(path+".outcome", rule, "%s", strings.TrimPrefix(err.Error(), "rules: "))
		return v, false
	}
	v.outcome = o
	if o != Challenge {
		for _, k := range []struct {
			key string
			set bool
		}{{"level", t.Level != ""}, {"max_age", t.MaxAge != ""}, {"methods", t.Methods != nil}} {
			if k.set {
				c.add(path+"."+k.key, rule, "only a CHALLENGE takes %s, and the outcome is %s", k.key, o)
				ok = false
			}
		}
		return v, ok
	}
	switch l, known := parseLevel(t.Level); {
	case t.Level == "":
		c.missing(path+".level", rule, "a CHALLENGE needs a level: 1fa, mfa, phr or phrh")
		ok = false
	case !known:
		c.add(path+".level", rule, "unknown level %q (want 1fa, mfa, phr or phrh)", t.Level)
		ok = false
	case l == acr.None:
		c.add(path+".level", rule, "a CHALLENGE needs a level above none")
		ok = false
	default:
		v.level = l
	}
	if t.MaxAge != "" {
		d, err := time.ParseDuration(t.MaxAge)
		switch {
		case err != nil:
			c.add(path+".max_age", rule, "%q is not a duration (want a number and a unit: 30s, 5m, 1h)", t.MaxAge)
			ok = false
		case d < 0:
			c.add(path+".max_age", rule, "%s is negative", t.MaxAge)
			ok = false
		default:
			v.maxAge, v.hasMaxAge = d, true
		}
	}
	for i, s := range t.Methods {
		m, err := acr.ParseMethod(s)
		switch {
		case err != nil:
			c.add(fmt.Sprintf("%s.methods[%d]", path, i), rule, "unknown method %q (want one of %s)", s, methodNames())
			ok = false
		case slices.Contains(v.methods, m):
			c.add(fmt.Sprintf("%s.methods[%d]", path, i), rule, "%s is listed twice", m)
			ok = false
		default:
			v.methods = append(v.methods, m)
		}
	}
	return v, ok
}

func methodNames() string {
	var names []string
	for _, m := range acr.Methods() {
		names = append(names, string(m))
	}
	return strings.Join(names, ", ")
}

// when compiles rule i's expression, reporting its errors at their place
// in the document. It fills in the rule's program and what is known of it.
func (c compiler) when(i int, r RuleSpec) (rule, bool) {
	path := fmt.Sprintf("rules[%d].when", i)
	if strings.TrimSpace(r.When) == "" {
		c.missing(path, r.ID, `want a CEL expression, e.g. device.new && geo.country != "FR"`)
		return rule{}, false
	}
	origin, ok := c.lay.when[i]
	if !ok {
		origin = exprOrigin{at: c.lay.at(path)}
	}
	a, iss := c.env.Compile(r.When)
	if iss != nil && iss.Err() != nil {
		for _, e := range iss.Errors() {
			p := Problem{Path: path, Rule: r.ID, Message: e.Message}
			at := origin.at
			if line, col := e.Location.Line(), e.Location.Column()+1; line > 0 && col > 0 {
				p.ExprLine, p.ExprColumn = line, col
				at = origin.place(line, col)
			}
			p.Line, p.Column = at.line, at.col
			*c.problems = append(*c.problems, p)
		}
		return rule{}, false
	}
	if !a.OutputType().IsExactType(cel.BoolType) {
		c.add(path, r.ID, "must be true or false, but its type is %s (compare it: == true, > 0, ...)", a.OutputType())
		return rule{}, false
	}
	out := rule{paths: inputPaths(a), loops: hasLoop(a), tracked: !boundedCost(c.env, a)}
	prg, err := c.env.Program(a, programOptions(out.tracked)...)
	if err != nil {
		c.add(path, r.ID, "%s", err)
		return rule{}, false
	}
	out.prg = prg
	return out, true
}

// hasLoop reports whether a has a comprehension (all, exists, map,
// filter, ...).
func hasLoop(a *cel.Ast) bool {
	return len(ast.MatchDescendants(ast.NavigateAST(a.NativeRep()), ast.KindMatcher(ast.ComprehensionKind))) > 0
}
