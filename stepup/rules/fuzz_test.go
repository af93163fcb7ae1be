package rules

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// FuzzCompile feeds Compile arbitrary documents. It must never panic; a
// document it refuses gets an *Error with positioned, non-empty problems;
// a document it accepts evaluates without panicking, and its Spec, as
// JSON, compiles back to the same Spec.
//
// Compiling the 20-rule seed takes milliseconds, so minimizing an input
// that grew from it takes the default minute; run with
// -fuzzminimizetime=5s to keep fuzzing instead.
func FuzzCompile(f *testing.F) {
	if doc, err := os.ReadFile("testdata/payment.yaml"); err == nil {
		f.Add(doc)
	}
	for _, doc := range []string{
		set("ALLOW", `{id: a, priority: 1, when: 'device.new', outcome: CHALLENGE, level: mfa, max_age: 5m, methods: [TOTP]}`),
		set("{outcome: REVIEW}", `{id: a, priority: 1, when: 'user.id > 3', outcome: BLOCK}`),
		only(`'action.custom.amount > 1000'`),
		oneRule("priority: 1", "outcome: ALLOW", "when: |", "  user.methods.exists(m,", "    m == 'PASSKEY')"),
		`{"action":"p","default":"ALLOW","rules":[{"id":"r","priority":0,"when":"true","outcome":"BLOCK"}]}`,
		"action: p\ndefault: &d ALLOW\nrules:\n  - {id: r, priority: 1, when: !x, outcome: *d}\n",
		"action: [p\n", "", "---\n---\n", "- a\n", "action: p\naction: q\n",
	} {
		f.Add([]byte(doc))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		rs, err := Compile(doc)
		if err != nil {
			checkProblems(t, err)
			return
		}
		exercise(t, rs)
		b, err := json.Marshal(rs.Spec())
		if err != nil {
			t.Fatalf("encoding the Spec: %v", err)
		}
		again, err := Compile(b)
		if err != nil {
			t.Fatalf("the Spec of a compiled document, as JSON, does not compile: %v\n%s", err, b)
		}
		if !reflect.DeepEqual(again.Spec(), rs.Spec()) {
			t.Fatalf("round trip changed the Spec:\n%+v\n%+v", rs.Spec(), again.Spec())
		}
	})
}

// FuzzCompileWhen feeds Compile arbitrary when expressions, in a document
// that is otherwise valid.
func FuzzCompileWhen(f *testing.F) {
	for _, expr := range []string{
		`device.new && geo.country != "FR"`,
		`has(action.custom.amount) && action.custom.amount > 1000`,
		`action.custom.?amount.orValue(0) > 10`,
		`session.level.atLeast("mfa")`,
		`user.email in lists.vip`,
		`user.methods.exists(m, m == "PASSKEY")`,
		`now - user.created < duration("72h")`,
		`sets.intersects(user.methods, ["TOTP"])`,
		`user.id > 3`,
		`user.emial == ""`,
		`lists.vip.all(a, lists.vip.all(b, a != b))`,
		`"x".replace("x", "xxxxxxxxxx").replace("x", "xxxxxxxxxx").size() > 3`,
		`cel.bind(x, user.id, x == "")`,
		`(`,
	} {
		f.Add(expr)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		doc, err := json.Marshal(Spec{
			Action:  "payment",
			Default: Then{Outcome: "ALLOW"},
			Rules:   []RuleSpec{{ID: "r", Priority: 1, When: expr, Then: Then{Outcome: "BLOCK"}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		rs, err := Compile(doc)
		if err != nil {
			checkProblems(t, err)
			return
		}
		exercise(t, rs)
	})
}

// checkProblems checks the error of a document Compile refused.
func checkProblems(t *testing.T, err error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || len(e.Problems) == 0 {
		t.Fatalf("error %v (%T), want an *Error with problems", err, err)
	}
	for _, p := range e.Problems {
		if p.Message == "" || p.Line < 0 || p.Column < 0 || (p.Line > 0) != (p.Column > 0) {
			t.Fatalf("problem %+v: no message, or a bad position", p)
		}
	}
	if !strings.HasPrefix(err.Error(), "rules: ") {
		t.Fatalf("error %q lacks the package prefix", err)
	}
}

// exercise evaluates rs against the zero Input and a populated one, and
// records the result as a decision would be.
func exercise(t *testing.T, rs *RuleSet) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, in := range []*Input{{}, paymentInput()} {
		res := rs.Evaluate(ctx, in)
		if res.Outcome < Allow || res.Outcome > Block {
			t.Fatalf("outcome %v", res.Outcome)
		}
		if _, err := json.Marshal(res); err != nil {
			t.Fatalf("encoding the result: %v", err)
		}
		if _, err := json.Marshal(rs.Values(in, res.Matched)); err != nil {
			t.Fatalf("encoding the values: %v", err)
		}
	}
}
