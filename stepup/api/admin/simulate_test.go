package admin_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// simulated is one result of a simulation, as a client reads it.
type simulated struct {
	Result struct {
		Outcome, Level, Rule string
		Matched              []string
		Errors               []struct{ Rule, Message string }
	}
	Values  map[string]any
	Current *struct{ Outcome, Rule string }
	Changed bool
}

type simulation struct {
	Action         string
	Version        uint64
	CurrentVersion uint64 `json:"current_version"`
	Draft          bool
	Results        []simulated
	Changed        []int
}

func (f *fixture) simulate(body any) (response, simulation) {
	f.t.Helper()
	r := f.do(http.MethodPost, "/admin/v1/simulate", body)
	var s simulation
	if r.status == http.StatusOK {
		r.json(f.t, &s)
	}
	return r, s
}

// amounts are three payments: small, medium, large.
var amounts = []map[string]any{
	{"action": map[string]any{"custom": map[string]any{"amount": 100}}},
	{"action": map[string]any{"custom": map[string]any{"amount": 700}}},
	{"action": map[string]any{"custom": map[string]any{"amount": 1500}}},
}

// An analyst tries a draft against the rules in force and sees which
// inputs it would decide otherwise, then looks at an older version.
func TestSimulateDraftAgainstTheCurrentRules(t *testing.T) {
	f := newFixture(t)
	f.publish("payment", paymentV1, 0)
	draft := strings.Replace(paymentV1, "1000", "500", 1)

	r, s := f.simulate(map[string]any{"spec_yaml": draft, "inputs": amounts})
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if s.Action != "payment" || !s.Draft || s.Version != 0 || s.CurrentVersion != 1 || len(s.Results) != 3 {
		t.Fatalf("simulation %s", r.body)
	}
	wantDraft := []string{"ALLOW", "BLOCK", "BLOCK"}
	wantCurrent := []string{"ALLOW", "ALLOW", "BLOCK"}
	for i, res := range s.Results {
		if res.Result.Outcome != wantDraft[i] || res.Current == nil || res.Current.Outcome != wantCurrent[i] || res.Changed != (i == 1) {
			t.Errorf("input %d: %+v", i, res)
		}
	}
	if len(s.Changed) != 1 || s.Changed[0] != 1 {
		t.Errorf("changed %v, want [1]", s.Changed)
	}
	if big := s.Results[2]; big.Result.Rule != "big" || len(big.Result.Matched) != 1 || big.Values["action.custom.amount"] != 1500.0 {
		t.Errorf("the large payment: %+v", big)
	}

	// Version 1, once version 2 serves, compared with version 2.
	f.publish("payment", draft, 1)
	r, s = f.simulate(map[string]any{"action": "payment", "version": 1, "inputs": amounts})
	if r.status != 200 || s.Version != 1 || s.CurrentVersion != 2 || s.Draft || len(s.Changed) != 1 || s.Changed[0] != 1 ||
		s.Results[1].Result.Outcome != "ALLOW" || s.Results[1].Current.Outcome != "BLOCK" {
		t.Errorf("version 1 against version 2: %d %s", r.status, r.body)
	}
	// The serving version, compared with nothing.
	r, s = f.simulate(map[string]any{"action": "payment", "inputs": amounts})
	if r.status != 200 || s.Version != 2 || s.CurrentVersion != 0 || s.Results[1].Current != nil || s.Changed != nil || s.Results[1].Result.Outcome != "BLOCK" {
		t.Errorf("the serving version: %d %s", r.status, r.body)
	}
}

// An input left incomplete is completed as the engine would; a rule that
// cannot be evaluated says why.
func TestSimulateInputs(t *testing.T) {
	f := newFixture(t)
	spec := `action: payment
default: ALLOW
rules:
  - {id: young, priority: 1, when: 'user.exists && now - user.created < duration("72h")', outcome: REVIEW}
  - {id: vip, priority: 2, when: 'user.email in lists.vip', outcome: CHALLENGE, level: phr, max_age: 5m}
  - {id: code, priority: 3, when: 'action.code == "payment" && action.custom.amount > 0', outcome: BLOCK}
`
	inputs := []map[string]any{
		// now defaults to the API's clock, one hour after the account.
		{"user": map[string]any{"exists": true, "created": now.Add(-time.Hour).Format(time.RFC3339)}},
		// the configured lists.
		{"user": map[string]any{"email": "vip@example.com"}},
		// lists given replace them.
		{"user": map[string]any{"email": "vip@example.com"}, "lists": map[string]any{"vip": []string{}}},
		// now given, and action.code defaulted; amount missing is an error.
		{"now": "2030-01-01T00:00:00Z", "user": map[string]any{"exists": true, "created": now.Format(time.RFC3339)}},
	}
	r, s := f.simulate(map[string]any{"spec_yaml": spec, "inputs": inputs})
	if r.status != 200 || len(s.Results) != 4 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if got := s.Results[0].Result; got.Outcome != "REVIEW" || got.Rule != "young" {
		t.Errorf("now defaulted: %+v", got)
	}
	if got := s.Results[1].Result; got.Outcome != "CHALLENGE" || got.Level != "phr" || got.Rule != "vip" {
		t.Errorf("the configured lists: %+v", got)
	}
	if got := s.Results[2].Result; got.Outcome != "ALLOW" {
		t.Errorf("lists given: %+v", got)
	}
	if got := s.Results[3].Result; got.Outcome != "ALLOW" || len(got.Errors) != 1 || got.Errors[0].Rule != "code" || !strings.Contains(got.Errors[0].Message, "amount") {
		t.Errorf("now given, amount missing: %+v", got)
	}
	if s.CurrentVersion != 0 || s.Results[0].Current != nil {
		t.Errorf("compared with rules that do not exist: %s", r.body)
	}
}

func TestSimulateRefusals(t *testing.T) {
	f := newFixture(t)
	f.publish("payment", paymentV1, 0)
	one := amounts[:1]
	many := make([]map[string]any, 1001)
	for i := range many {
		many[i] = amounts[0]
	}
	for _, tt := range []struct {
		name   string
		body   any
		status int
		inMsg  string
	}{
		{"no inputs", map[string]any{"action": "payment"}, 400, "send 1 to 1000 inputs"},
		{"too many inputs", map[string]any{"action": "payment", "inputs": many}, 400, "send 1 to 1000 inputs"},
		{"no action", map[string]any{"inputs": one}, 400, "name the action"},
		{"an action without rules", map[string]any{"action": "signIn", "inputs": one}, 404, "has no rules"},
		{"a version that never was", map[string]any{"action": "payment", "version": 7, "inputs": one}, 404, "has no version 7"},
		{"a version and a draft", map[string]any{"version": 1, "spec_yaml": paymentV1, "inputs": one}, 400, "not both"},
		{"a draft for another action", map[string]any{"action": "signIn", "spec_yaml": paymentV1, "inputs": one}, 400, `the spec's action is "payment"`},
		{"a draft that does not compile", map[string]any{"spec_yaml": "action: payment\n", "inputs": one}, 422, "do not compile"},
		{"a misspelt input", map[string]any{"action": "payment", "inputs": []any{map[string]any{"devcie": map[string]any{}}}}, 400, `unknown field "devcie"`},
		{"a misspelt field", map[string]any{"action": "payment", "inputs": []any{map[string]any{"device": map[string]any{"nwe": true}}}}, 400, `unknown field "nwe"`},
		{"a bad time", map[string]any{"action": "payment", "inputs": []any{map[string]any{"now": "yesterday"}}}, 400, "yesterday"},
		{"a wrong type", map[string]any{"action": "payment", "inputs": []any{map[string]any{"device": map[string]any{"new": "yes"}}}}, 400, "new"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := f.simulate(tt.body)
			if _, msg := r.error(t); r.status != tt.status || !strings.Contains(msg, tt.inMsg) {
				t.Errorf("%d %s; want %d with %q", r.status, r.body, tt.status, tt.inMsg)
			}
		})
	}
}
