package rules

import (
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"

	"github.com/stepup-auth/stepup/acr"
)

// LevelName returns the short name by which rules see a level: "none",
// "1fa", "mfa", "phr" or "phrh". The engine fills Session.Level and
// Request.Level with it.
func LevelName(l acr.Level) string {
	if l == acr.None {
		return "none"
	}
	s := l.String()
	return s[strings.LastIndexByte(s, ':')+1:]
}

// parseLevel reads a level the way rules write it: a short name, "none",
// or a full ACR value, without regard to case.
func parseLevel(s string) (acr.Level, bool) {
	if strings.EqualFold(s, "none") {
		return acr.None, true
	}
	l, err := acr.ParseLevel(s)
	return l, err == nil
}

const atLeast = "atLeast"

// levelFunctions declares string.atLeast(string): levels are strings in
// the input, and comparing them as strings ("mfa" < "phr" by accident,
// "1fa" < "mfa" by luck) would be a trap, so the order lives in one
// function that knows it.
func levelFunctions() cel.EnvOption {
	return cel.Function(atLeast,
		cel.MemberOverload("string_atLeast_string",
			[]*cel.Type{cel.StringType, cel.StringType}, cel.BoolType,
			cel.BinaryBinding(levelAtLeast)))
}

func levelAtLeast(have, want ref.Val) ref.Val {
	hs, ok := have.(types.String)
	if !ok {
		return types.MaybeNoSuchOverloadErr(have)
	}
	ws, ok := want.(types.String)
	if !ok {
		return types.MaybeNoSuchOverloadErr(want)
	}
	h, ok := parseLevel(string(hs))
	if !ok {
		return types.NewErr("rules: unknown level %q", string(hs))
	}
	w, ok := parseLevel(string(ws))
	if !ok {
		return types.NewErr("rules: unknown level %q", string(ws))
	}
	return types.Bool(h.Satisfies(w))
}

// levelLiterals makes a literal level name that atLeast would not know a
// compile-time error: session.level.atLeast("mfaa") would otherwise be a
// rule that errors on every evaluation and so never matches.
type levelLiterals struct{}

func (levelLiterals) Name() string { return "stepup.rules.levelLiterals" }

func (levelLiterals) Validate(_ *cel.Env, _ cel.ValidatorConfig, a *ast.AST, iss *cel.Issues) {
	for _, call := range ast.MatchDescendants(ast.NavigateAST(a), ast.FunctionMatcher(atLeast)) {
		c := call.AsCall()
		for _, e := range append([]ast.Expr{c.Target()}, c.Args()...) {
			if e == nil || e.Kind() != ast.LiteralKind {
				continue
			}
			s, ok := e.AsLiteral().(types.String)
			if !ok {
				continue
			}
			if _, ok := parseLevel(string(s)); !ok {
				iss.ReportErrorAtID(e.ID(), "unknown level %q (want none, 1fa, mfa, phr or phrh)", string(s))
			}
		}
	}
}
