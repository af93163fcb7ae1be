package rules

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// oneRule returns a document whose only rule, r, has the given lines; the
// first of them is line 5.
func oneRule(lines ...string) string {
	return "action: payment\ndefault: ALLOW\nrules:\n  - id: r\n    " + strings.Join(lines, "\n    ") + "\n"
}

// want is one expected problem; zero fields are not checked.
type want struct {
	path, rule, msg      string
	line, col            int
	exprLine, exprColumn int
}

func (w want) check(t *testing.T, p Problem) {
	t.Helper()
	if p.Path != w.path || p.Rule != w.rule || !strings.Contains(p.Message, w.msg) {
		t.Errorf("problem %q, want path %q, rule %q, message containing %q", p, w.path, w.rule, w.msg)
	}
	if w.line != 0 && (p.Line != w.line || p.Column != w.col) {
		t.Errorf("problem %q at %d:%d, want %d:%d", p, p.Line, p.Column, w.line, w.col)
	}
	if w.exprLine != 0 && (p.ExprLine != w.exprLine || p.ExprColumn != w.exprColumn) {
		t.Errorf("problem %q at %d:%d of the expression, want %d:%d", p, p.ExprLine, p.ExprColumn, w.exprLine, w.exprColumn)
	}
}

func TestCompileProblems(t *testing.T) {
	ok := []string{"priority: 1", "when: true", "outcome: ALLOW"}
	// with returns a one-rule document with lines, and those of ok whose
	// keys lines does not have.
	with := func(lines ...string) string {
		all := lines
		for _, o := range ok {
			key, _, _ := strings.Cut(o, ":")
			if !slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, key+":") }) {
				all = append(all, o)
			}
		}
		return oneRule(all...)
	}
	tests := []struct {
		name string
		doc  string
		want []want
	}{
		{"an unknown key in the document", "action: p\ndefault: ALLOW\nrule: []\n",
			[]want{{path: "rule", msg: `unknown key "rule" (want action, default, rules)`, line: 3, col: 1}}},
		{"an unknown key in a rule", oneRule("priority: 1", "when: true", "outcome: ALLOW", "then: BLOCK"),
			[]want{{path: "rules[0].then", rule: "r", msg: `unknown key "then"`, line: 8, col: 5}}},
		{"an unknown key in the default", "action: p\ndefault: {outcome: CHALLENGE, leve: mfa}\n",
			[]want{{path: "default.level", msg: "needs a level", line: 2, col: 1}, {path: "default.leve", msg: `unknown key "leve"`, line: 2, col: 31}}},
		{"a bad outcome", with("priority: 1", "when: true", "outcome: DENY"),
			[]want{{path: "rules[0].outcome", rule: "r", msg: `unknown outcome "DENY"`, line: 7, col: 5}}},
		{"a bad default outcome", "action: p\ndefault: PERMIT\n",
			[]want{{path: "default.outcome", msg: `unknown outcome "PERMIT"`, line: 2, col: 1}}},
		{"a default without an outcome", "action: p\ndefault: {level: mfa}\n",
			[]want{{path: "default.outcome", msg: "missing"}}},
		{"duplicate ids", oneRule(ok...) + "  - id: r\n    " + strings.Join(ok, "\n    ") + "\n",
			[]want{{path: "rules[1].id", rule: "r", msg: "rules[0] has the same id", line: 8, col: 5}}},
		{"an empty id", strings.Replace(oneRule(ok...), "id: r", `id: ""`, 1),
			[]want{{path: "rules[0].id", msg: "missing", line: 4, col: 5}}},
		{"a CHALLENGE without a level", with("priority: 1", "when: true", "outcome: CHALLENGE"),
			[]want{{path: "rules[0].level", rule: "r", msg: "a CHALLENGE needs a level", line: 4, col: 5}}},
		{"a CHALLENGE to level none", with("priority: 1", "when: true", "outcome: CHALLENGE", "level: none"),
			[]want{{path: "rules[0].level", rule: "r", msg: "above none", line: 8, col: 5}}},
		{"a CHALLENGE to an unknown level", with("priority: 1", "when: true", "outcome: CHALLENGE", "level: mfa2"),
			[]want{{path: "rules[0].level", rule: "r", msg: `unknown level "mfa2"`}}},
		{"a level on a BLOCK", with("priority: 1", "when: true", "outcome: BLOCK", "level: mfa", "max_age: 5m", "methods: [TOTP]"),
			[]want{
				{path: "rules[0].level", rule: "r", msg: "only a CHALLENGE takes level, and the outcome is BLOCK"},
				{path: "rules[0].max_age", rule: "r", msg: "only a CHALLENGE takes max_age"},
				{path: "rules[0].methods", rule: "r", msg: "only a CHALLENGE takes methods"},
			}},
		{"an unknown method", with("priority: 1", "when: true", "outcome: CHALLENGE", "level: mfa", "methods: [PASSKEY, FINGERPRINT]"),
			[]want{{path: "rules[0].methods[1]", rule: "r", msg: `unknown method "FINGERPRINT" (want one of PASSWORD, PASSKEY,`}}},
		{"a method twice", with("priority: 1", "when: true", "outcome: CHALLENGE", "level: mfa", "methods: [TOTP, totp]"),
			[]want{{path: "rules[0].methods[1]", rule: "r", msg: "TOTP is listed twice"}}},
		{"methods not a list", with("priority: 1", "when: true", "outcome: CHALLENGE", "level: mfa", "methods: TOTP"),
			[]want{{path: "rules[0].methods", rule: "r", msg: "must be a list"}}},
		{"a max_age without a unit", with("priority: 1", "when: true", "outcome: CHALLENGE", "level: mfa", "max_age: 300"),
			[]want{{path: "rules[0].max_age", rule: "r", msg: `"300" is not a duration`, line: 9, col: 5}}},
		{"a negative max_age", with("priority: 1", "when: true", "outcome: CHALLENGE", "level: mfa", "max_age: -5m"),
			[]want{{path: "rules[0].max_age", rule: "r", msg: "-5m is negative"}}},
		{"a negative priority", with("priority: -1"),
			[]want{{path: "rules[0].priority", rule: "r", msg: "-1 is negative", line: 5, col: 5}}},
		{"a priority that is not a number", with("priority: high"),
			[]want{{path: "rules[0].priority", rule: "r", msg: `"high" is not a whole number`, line: 5, col: 15}}},
		{"a missing priority", oneRule("when: true", "outcome: ALLOW"),
			[]want{{path: "rules[0].priority", rule: "r", msg: "missing (0 is the highest priority", line: 4, col: 5}}},
		{"a missing when", oneRule("priority: 1", "outcome: ALLOW"),
			[]want{{path: "rules[0].when", rule: "r", msg: "missing (want a CEL expression"}}},
		{"a missing outcome", oneRule("priority: 1", "when: true"),
			[]want{{path: "rules[0].outcome", rule: "r", msg: "missing (want ALLOW, CHALLENGE, REVIEW or BLOCK)"}}},
		{"no action and no default", "rules: []\n",
			[]want{{path: "action", msg: "missing"}, {path: "default.outcome", msg: "missing"}}},
		{"a syntax error", with("priority: 1", "when: user.id == "),
			[]want{{path: "rules[0].when", rule: "r", msg: "Syntax error", line: 6, col: 21, exprLine: 1, exprColumn: 11}}},
		{"a type error", with("priority: 1", "when: user.id > 3"),
			[]want{{path: "rules[0].when", rule: "r", msg: "found no matching overload for '_>_' applied to '(string, int)'", line: 6, col: 19, exprLine: 1, exprColumn: 9}}},
		{"a misspelt field", with("priority: 1", `when: user.emial == "a@example.com"`),
			[]want{{path: "rules[0].when", rule: "r", msg: "undefined field 'emial'", line: 6, col: 15, exprLine: 1, exprColumn: 5}}},
		{"an undeclared variable", with("priority: 1", `when: usr.id == "u-1"`),
			[]want{{path: "rules[0].when", rule: "r", msg: "undeclared reference to 'usr'", line: 6, col: 11}}},
		{"a string expression", with("priority: 1", "when: user.id"),
			[]want{{path: "rules[0].when", rule: "r", msg: "must be true or false, but its type is string", line: 6, col: 5}}},
		{"a dyn expression", with("priority: 1", "when: action.custom.flagged"),
			[]want{{path: "rules[0].when", rule: "r", msg: "its type is dyn"}}},
		{"an unknown level literal", with("priority: 1", `when: session.level.atLeast("mfaa")`),
			[]want{{path: "rules[0].when", rule: "r", msg: `unknown level "mfaa"`, line: 6, col: 33, exprLine: 1, exprColumn: 23}}},
		{"an unknown level literal as the receiver", with("priority: 1", `when: "'strong'.atLeast(session.level)"`),
			[]want{{path: "rules[0].when", rule: "r", msg: `unknown level "strong"`, line: 6, col: 12}}},
		{"a bad duration literal", with("priority: 1", `when: now - user.created < duration("3 days")`),
			[]want{{path: "rules[0].when", rule: "r", msg: "invalid duration argument"}}},
		{"a when that is a mapping", with("priority: 1", "when: {a: 1}"),
			[]want{{path: "rules[0].when", rule: "r", msg: "must be a single value, not a mapping", line: 6, col: 11}}},
		{"an alias", "action: p\ndefault: &d ALLOW\nrules:\n  - id: r\n    priority: 1\n    when: true\n    outcome: *d\n",
			[]want{{path: "rules[0].outcome", rule: "r", msg: "aliases (*d) are not supported", line: 7, col: 14}}},
		{"an expression that starts with !", oneRule("priority: 1", "outcome: ALLOW", "when: !user.exists"),
			[]want{{path: "rules[0].when", rule: "r", msg: "YAML reads !user.exists as a tag: quote a value that starts with !", line: 7, col: 11}}},
		{"a merge key", "action: p\ndefault:\n  <<: {outcome: ALLOW}\n",
			[]want{{path: "default", msg: "merge keys (<<) are not supported", line: 3, col: 3}}},
		{"two documents", "action: p\ndefault: ALLOW\n---\naction: q\n",
			[]want{{msg: "a rule set is one YAML document", line: 4, col: 1}}},
		{"an empty document", "# nothing\n",
			[]want{{msg: "the document is empty"}}},
		{"invalid YAML", "action: [p\n",
			[]want{{msg: "invalid YAML"}}},
		{"a duplicate key", "action: p\naction: q\ndefault: ALLOW\n",
			[]want{{msg: `mapping key "action" already defined`, line: 2, col: 1}}},
		{"rules that are not a list", "action: p\ndefault: ALLOW\nrules: {a: 1}\n",
			[]want{{path: "rules", msg: "must be a list of rules"}}},
		{"a rule that is not a mapping", "action: p\ndefault: ALLOW\nrules: [x]\n",
			[]want{{path: "rules[0]", msg: "must be a mapping of id, description, priority, when", line: 3, col: 9}}},
		{"a document that is a list", "- a\n",
			[]want{{msg: "must be a mapping of action, default and rules", line: 1, col: 1}}},
		{"problems in several rules, all reported", "action: p\ndefault: ALLOW\nrules:\n" +
			"  - {id: a, priority: 1, when: 'user.id ==', outcome: ALLOW}\n" +
			"  - {id: b, priority: 2, when: 'user.id > 3', outcome: ALLOW}\n" +
			"  - {id: c, priority: 3, when: 'true', outcome: DENY}\n",
			[]want{
				{path: "rules[0].when", rule: "a", msg: "Syntax error", line: 4, col: 43},
				{path: "rules[1].when", rule: "b", msg: "no matching overload", line: 5, col: 41},
				{path: "rules[2].outcome", rule: "c", msg: "unknown outcome", line: 6, col: 40},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := Compile([]byte(tt.doc))
			if err == nil {
				t.Fatalf("compiled to %+v, want %d problems", rs.Spec(), len(tt.want))
			}
			ps := problemsOf(t, err)
			if len(ps) != len(tt.want) {
				t.Fatalf("%d problems, want %d:\n%v", len(ps), len(tt.want), err)
			}
			for i, w := range tt.want {
				w.check(t, ps[i])
			}
		})
	}
}

func TestCompileMapsExpressionErrorsOntoTheDocument(t *testing.T) {
	// Each document has a type error at the "3" of user.id > 3, or a
	// syntax error at the end of user.id ==.
	tests := []struct {
		name      string
		doc       string
		line, col int
	}{
		{"plain", oneRule("priority: 1", "outcome: ALLOW", "when: user.id > 3"), 7, 19},
		{"double-quoted", oneRule("priority: 1", "outcome: ALLOW", `when: "user.id > 3"`), 7, 20},
		{"single-quoted", oneRule("priority: 1", "outcome: ALLOW", `when: 'user.id > 3'`), 7, 20},
		{"literal block, second line", oneRule("priority: 1", "outcome: ALLOW", "when: |", "  true &&", "    user.id > 3"), 9, 17},
		{"kept literal block with a blank line", oneRule("priority: 1", "outcome: ALLOW", "when: |+", "", "  true &&", "    user.id > 3"), 10, 17},
		{"folded block: the start", oneRule("priority: 1", "outcome: ALLOW", "when: >", "  true &&", "    user.id > 3"), 8, 7},
		{"escaped double-quoted: the start", oneRule("priority: 1", "outcome: ALLOW", `when: "user.id == \"a\" && user.id > 3"`), 7, 12},
		{"JSON", `{"action": "p", "default": "ALLOW",` + "\n" +
			`"rules": [{"id": "r", "priority": 1, "outcome": "ALLOW", "when": "user.id > 3"}]}`, 2, 75},
		{"syntax error", oneRule("priority: 1", "outcome: ALLOW", "when: user.id =="), 7, 21},
		{"syntax error, trailing space", oneRule("priority: 1", "outcome: ALLOW", "when: user.id ==  "), 7, 21},
		{"non-ASCII before it", oneRule("priority: 1", "outcome: ALLOW", `when: geo.city == "Zürich" && user.id > 3`), 7, 43},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile([]byte(tt.doc))
			ps := problemsOf(t, err)
			if len(ps) != 1 {
				t.Fatalf("%d problems, want 1: %v", len(ps), err)
			}
			if p := ps[0]; p.Line != tt.line || p.Column != tt.col || p.ExprLine == 0 {
				t.Errorf("problem %q at %d:%d, want %d:%d", p, p.Line, p.Column, tt.line, tt.col)
			}
		})
	}
}

func TestCompileLimitsTheRules(t *testing.T) {
	var b strings.Builder
	b.WriteString("action: p\ndefault: ALLOW\nrules:\n")
	for i := range maxRules + 1 {
		fmt.Fprintf(&b, "  - {id: r%d, priority: 1, when: 'true', outcome: ALLOW}\n", i)
	}
	_, err := Compile([]byte(b.String()))
	if ps := problemsOf(t, err); len(ps) != 1 || !strings.Contains(ps[0].Message, "more than the 1000") {
		t.Fatalf("%v, want one problem: too many rules", err)
	}
}

func TestCompileLimitsTheDocument(t *testing.T) {
	doc := set("ALLOW", `{id: a, priority: 1, when: 'true', outcome: ALLOW}`) + "# " + strings.Repeat("x", maxDocument) + "\n"
	_, err := Compile([]byte(doc))
	if ps := problemsOf(t, err); len(ps) != 1 || !strings.Contains(ps[0].Message, "more than the 1048576") {
		t.Fatalf("%v, want one problem: the document is too long", err)
	}
}

func TestErrorString(t *testing.T) {
	_, err := Compile([]byte(oneRule("priority: 1", "outcome: ALLOW", "when: user.emial == ''")))
	const single = `rules: 7:15: rules[0].when (rule "r"): undefined field 'emial' (expression 1:5)`
	if err.Error() != single {
		t.Errorf("error\n%s\nwant\n%s", err, single)
	}
	_, err = Compile([]byte("rules: []\n"))
	const several = "rules: 2 problems:\n\t1:1: action: missing (want the name of the decision point, e.g. payment)\n\t1:1: default.outcome: missing (want ALLOW, CHALLENGE, REVIEW or BLOCK)"
	if err.Error() != several {
		t.Errorf("error\n%s\nwant\n%s", err, several)
	}
}
