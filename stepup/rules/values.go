package rules

import (
	"reflect"
	"regexp"
	"slices"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/common/types"
)

// A decision is stored with the input values its matched rules read, so
// an analyst sees why: {"device.new": true, "action.custom.amount": 1500}.
// Storing the whole Input instead would be simpler, but it holds the
// user's attributes, user agent and lists whichever rules ran. The values
// are cheap to find: the checked expression names them, as chains of
// field selections from a variable, once per rule at Compile; a program
// per chain reads them back only when a decision is recorded.

// Values returns the input values that the rules named by ids read, by
// path ("device.new", "action.custom.amount", "user.attributes.dept"),
// ready for encoding/json. Pass Result.Matched for the record of a
// decision. A value the input does not have (a custom key not sent) is
// left out; so are the named lists, which are configuration rather than
// facts about the request, and can be long.
//
// The values may share memory with in (lists, maps); encode them before
// in changes.
func (rs *RuleSet) Values(in *Input, ids []string) map[string]any {
	if in == nil {
		in = &Input{}
	}
	act := &activation{in: in}
	out := map[string]any{}
	for _, r := range rs.rules {
		if !slices.Contains(ids, r.id) {
			continue
		}
		for _, p := range r.paths {
			if _, done := out[p]; done {
				continue
			}
			prg, ok := rs.paths[p]
			if !ok {
				continue
			}
			if v, _, err := prg.Eval(act); err == nil {
				out[p] = copyOf(v.Value())
			}
		}
	}
	return out
}

// copyOf returns a section (geo, read whole) as a copy of the struct
// rather than the pointer into the Input the activation gave out.
func copyOf(v any) any {
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && !rv.IsNil() {
		return rv.Elem().Interface()
	}
	return v
}

// inputPaths returns the value paths a checked expression reads, sorted.
func inputPaths(a *cel.Ast) []string {
	w := pathWalker{bound: map[string]int{}, found: map[string]bool{}}
	w.walk(a.NativeRep().Expr())
	paths := make([]string, 0, len(w.found))
	for p := range w.found {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	return paths
}

// pathProgram compiles the expression that reads path. A path that does
// not compile back (a key that is a CEL keyword) is not recorded.
func pathProgram(env *cel.Env, path string) (cel.Program, bool) {
	a, iss := env.Compile(path)
	if iss != nil && iss.Err() != nil {
		return nil, false
	}
	prg, err := env.Program(a, programOptions(!boundedCost(env, a))...)
	return prg, err == nil
}

var variableNames = map[string]bool{
	"now": true, "user": true, "session": true, "device": true, "ip": true, "geo": true,
	"travel": true, "velocity": true, "request": true, "action": true,
}

// pathWalker finds the longest chains of field selections from a
// variable. bound counts the comprehension variables in scope by name:
// in user.methods.exists(user, user == "TOTP") the inner user is not the
// input's.
type pathWalker struct {
	bound map[string]int
	found map[string]bool
}

func (w *pathWalker) walk(e ast.Expr) {
	if e == nil {
		return
	}
	if p, ok := w.path(e); ok {
		w.found[p] = true
		return
	}
	switch e.Kind() {
	case ast.SelectKind:
		w.walk(e.AsSelect().Operand())
	case ast.CallKind:
		c := e.AsCall()
		if c.IsMemberFunction() {
			w.walk(c.Target())
		}
		for _, arg := range c.Args() {
			w.walk(arg)
		}
	case ast.ListKind:
		for _, el := range e.AsList().Elements() {
			w.walk(el)
		}
	case ast.MapKind:
		for _, en := range e.AsMap().Entries() {
			w.walk(en.AsMapEntry().Key())
			w.walk(en.AsMapEntry().Value())
		}
	case ast.StructKind:
		for _, f := range e.AsStruct().Fields() {
			w.walk(f.AsStructField().Value())
		}
	case ast.ComprehensionKind:
		c := e.AsComprehension()
		w.walk(c.IterRange())
		w.walk(c.AccuInit())
		vars := []string{c.IterVar(), c.AccuVar()}
		if c.HasIterVar2() {
			vars = append(vars, c.IterVar2())
		}
		for _, v := range vars {
			w.bound[v]++
		}
		w.walk(c.LoopCondition())
		w.walk(c.LoopStep())
		w.walk(c.Result())
		for _, v := range vars {
			w.bound[v]--
		}
	}
}

// identifier is a key that reads the same as a field selection.
var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// path returns e as a path if it is a chain of selections from an input
// variable; a constant key (m["k"], m.?k) counts as a selection.
func (w *pathWalker) path(e ast.Expr) (string, bool) {
	switch e.Kind() {
	case ast.IdentKind:
		name := e.AsIdent()
		if w.bound[name] > 0 || !variableNames[name] {
			return "", false
		}
		return name, true
	case ast.SelectKind:
		s := e.AsSelect()
		p, ok := w.path(s.Operand())
		if !ok {
			return "", false
		}
		return p + "." + s.FieldName(), true
	case ast.CallKind:
		c := e.AsCall()
		switch c.FunctionName() {
		case operators.Index, operators.OptIndex, operators.OptSelect:
		default:
			return "", false
		}
		args := c.Args()
		if len(args) != 2 || args[1].Kind() != ast.LiteralKind {
			return "", false
		}
		key, ok := args[1].AsLiteral().(types.String)
		if !ok || !identifier.MatchString(string(key)) {
			return "", false
		}
		p, ok := w.path(args[0])
		if !ok {
			return "", false
		}
		return p + "." + string(key), true
	}
	return "", false
}
