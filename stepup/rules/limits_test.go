package rules

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// runaway nests three comprehensions over a 10,000-entry list: 10^12
// steps, hours of work without a limit.
const runaway = `lists.big.all(a, lists.big.all(b, lists.big.all(c, a != "" || b != c)))`

func bigList() map[string][]string {
	big := make([]string, 10_000)
	for i := range big {
		big[i] = fmt.Sprint(i)
	}
	return map[string][]string{"big": big}
}

func TestEvaluateStopsARunawayRuleAtTheCostLimit(t *testing.T) {
	rs := mustCompile(t, set("ALLOW",
		`{id: runaway, priority: 0, when: '`+runaway+`', outcome: BLOCK}`,
		`{id: after, priority: 1, when: 'true', outcome: REVIEW}`))
	// The deadline and the timer are safety nets, should the cost limit
	// not hold: the test then fails on the error, or after 10 s, rather
	// than run for hours.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	done := make(chan Result, 1)
	go func() { done <- rs.Evaluate(ctx, &Input{Lists: bigList()}) }()
	var got Result
	select {
	case got = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the runaway rule still runs after 10 s")
	}
	took := time.Since(start)
	if len(got.Errors) != 1 || got.Errors[0].Rule != "runaway" || !strings.Contains(got.Errors[0].Message, "cost limit exceeded") {
		t.Fatalf("errors %v, want the runaway rule's, for the cost limit", got.Errors)
	}
	if took > time.Second {
		t.Errorf("took %v; the cost limit should stop the rule within milliseconds", took)
	}
	// The runaway rule fails closed: stopped, it counts as matched, and
	// the rule after it is still evaluated.
	if !got.Errors[0].Stopped || got.Rule != "runaway" || got.Outcome != Block || !slices.Equal(got.Matched, []string{"runaway", "after"}) {
		t.Errorf("result %+v: the stopped rule must count as matched, and the rule after it be evaluated too", got)
	}
	t.Logf("stopped after %v", took)
}

func TestEvaluateStopsWhenTheContextIsDone(t *testing.T) {
	rs := mustCompile(t, set("ALLOW",
		`{id: loop, priority: 0, when: 'lists.big.exists(x, x == "none")', outcome: BLOCK}`,
		`{id: plain, priority: 1, when: 'true', outcome: REVIEW}`))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got := rs.Evaluate(ctx, &Input{Lists: bigList()})
	if len(got.Errors) != 1 || got.Errors[0].Rule != "loop" || !strings.Contains(got.Errors[0].Message, "operation interrupted: context canceled") {
		t.Fatalf("errors %v, want the loop's, interrupted", got.Errors)
	}
	// The stopped rule fails closed; a rule without a loop has no point
	// at which to stop: it runs, and matches.
	if !got.Errors[0].Stopped || got.Rule != "loop" || !slices.Equal(got.Matched, []string{"loop", "plain"}) {
		t.Errorf("result %+v, want the stopped loop to count as matched, and the plain rule too", got)
	}
	if again := rs.Evaluate(context.Background(), &Input{Lists: bigList()}); again.Errors != nil {
		t.Errorf("errors %v with a live context, want none", again.Errors)
	}
}

func TestCompileLimitsTheExpressionSize(t *testing.T) {
	long := "true" + strings.Repeat(" && true", maxExpression/8)
	_, err := Compile([]byte(set("ALLOW", `{id: long, priority: 0, when: '`+long+`', outcome: BLOCK}`)))
	ps := problemsOf(t, err)
	if len(ps) != 1 || ps[0].Rule != "long" || !strings.Contains(ps[0].Message, "size exceeds limit") {
		t.Fatalf("%v, want one problem: the expression is too long", err)
	}
}

// TestOnlyUnboundedRulesTrackTheirCost checks which rules pay for cost
// tracking and for the context: a rule whose worst case cel-go can bound
// below the limit needs neither.
func TestOnlyUnboundedRulesTrackTheirCost(t *testing.T) {
	tests := []struct {
		expr           string
		tracked, loops bool
	}{
		{`device.new && velocity.ip_1m > 20`, false, false},
		{`request.client == "partner-portal" && session.level.atLeast("mfa")`, false, false},
		{`has(action.custom.amount) && action.custom.amount > 1000`, false, false},
		{`travel.previous_country != geo.country`, true, false}, // two input strings, of any length
		{`user.email in lists.vip`, true, false},
		{`user.methods.exists(m, m == "PASSKEY")`, true, true},
		{runaway, true, true},
	}
	for _, tt := range tests {
		r := mustCompile(t, only(`'`+tt.expr+`'`)).rules[0]
		if r.tracked != tt.tracked || r.loops != tt.loops {
			t.Errorf("%s: tracked %v, loops %v; want %v, %v", tt.expr, r.tracked, r.loops, tt.tracked, tt.loops)
		}
	}
}
