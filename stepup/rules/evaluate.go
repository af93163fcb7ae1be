package rules

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/interpreter"

	"github.com/stepup-auth/stepup/acr"
)

// Result is a rule set's answer for one Input: the outcome of the winning
// rule, or of the default when none matched, with the record of how it
// was reached.
type Result struct {
	Outcome Outcome
	// Level, MaxAge and Methods are what a CHALLENGE asks for: the level
	// to reach; when HasMaxAge, the age past which a verification no
	// longer counts (0: verify now); the methods allowed (empty: any).
	Level     acr.Level
	MaxAge    time.Duration
	HasMaxAge bool
	Methods   []acr.Method
	// Rule is the id of the winning rule, "" when the default decided.
	Rule string
	// Matched are the ids of every rule that matched, in document order:
	// every rule is evaluated, so the record shows all that applied, not
	// only the one that won.
	Matched []string
	// Errors are the rules whose evaluation failed. A rule that failed on
	// its input (a key missing from action.custom) does not match:
	// analysts guard with has(). A rule stopped by its cost limit or a
	// cancelled context (Stopped) counts as matched: otherwise an input
	// made big enough to exhaust a BLOCK rule would escape it.
	Errors []RuleError
}

// RuleError is the failure of one rule's evaluation.
type RuleError struct {
	Rule    string `json:"rule"`
	Message string `json:"message"`
	// Stopped says the cost limit or the context stopped the rule, which
	// then counts as matched.
	Stopped bool `json:"stopped,omitempty"`
}

func (e RuleError) Error() string { return fmt.Sprintf("rules: rule %q: %s", e.Rule, e.Message) }

// Evaluate runs every rule against in and returns the result: the
// matching rule with the lowest priority number wins, the first written
// among equals; with no match, the default decides. A nil in is the zero
// Input.
//
// Each rule's evaluation is bounded by a cost limit, and stops when ctx
// is done; either way the rule counts as matched (it fails closed) and
// the reason is in Result.Errors. A rule that fails for another reason
// does not match.
func (rs *RuleSet) Evaluate(ctx context.Context, in *Input) Result {
	if in == nil {
		in = &Input{}
	}
	act := &activation{in: in}
	var res Result
	win := -1
	for i := range rs.rules {
		r := &rs.rules[i]
		var out ref.Val
		var err error
		if r.loops {
			out, _, err = r.prg.ContextEval(ctx, act)
		} else {
			// Without a comprehension there is no point at which cel-go
			// would look at ctx, and tying a frame to a context costs a
			// context.WithCancel per rule: a third of the evaluation
			// time. The cost limit bounds such a rule anyway.
			out, _, err = r.prg.Eval(act)
		}
		switch stopped := errors.As(err, new(interpreter.EvalCancelledError)) || err != nil && ctx.Err() != nil; {
		case err != nil:
			res.Errors = append(res.Errors, RuleError{Rule: r.id, Message: err.Error(), Stopped: stopped})
			if !stopped {
				continue
			}
		case out != types.True:
			continue
		}
		res.Matched = append(res.Matched, r.id)
		// Strictly lower: an equal priority later in the document does
		// not take the win from an earlier one.
		if win < 0 || r.priority < rs.rules[win].priority {
			win = i
		}
	}
	v := rs.dflt
	if win >= 0 {
		v = rs.rules[win].then
		res.Rule = rs.rules[win].id
	}
	res.Outcome, res.Level, res.MaxAge, res.HasMaxAge = v.outcome, v.level, v.maxAge, v.hasMaxAge
	// A copy: the caller may change its Result without changing the
	// RuleSet that every other request shares.
	res.Methods = slices.Clone(v.methods)
	return res
}

// activation gives the interpreter the sections of one Input by name.
// Sections go out as pointers into the Input, which the native type
// provider reads by field offset, without copying the structs.
type activation struct {
	in *Input
	// now and lists are adapted on first use, once per evaluation rather
	// than once per rule that reads them.
	now, lists ref.Val
}

func (a *activation) ResolveName(name string) (any, bool) {
	switch name {
	case "now":
		if a.now == nil {
			a.now = types.Timestamp{Time: a.in.Now}
		}
		return a.now, true
	case "user":
		return &a.in.User, true
	case "session":
		return &a.in.Session, true
	case "device":
		return &a.in.Device, true
	case "ip":
		return &a.in.IP, true
	case "geo":
		return &a.in.Geo, true
	case "travel":
		return &a.in.Travel, true
	case "velocity":
		return &a.in.Velocity, true
	case "request":
		return &a.in.Request, true
	case "action":
		return &a.in.Action, true
	case "lists":
		if a.lists == nil {
			a.lists = types.DefaultTypeAdapter.NativeToValue(a.in.Lists)
		}
		return a.lists, true
	}
	return nil, false
}

func (a *activation) Parent() interpreter.Activation { return nil }

var _ interpreter.Activation = (*activation)(nil)
