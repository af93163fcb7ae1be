package rules

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"
)

// An Input's JSON names are the names the rules use, so that a test case
// is written as the rules read it.
func TestInputJSONNamesAreTheCELNames(t *testing.T) {
	b, err := json.Marshal(Input{})
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		t.Fatal(err)
	}
	var got []string
	for k := range top {
		got = append(got, k)
	}
	want := []string{"now", "user", "session", "device", "ip", "geo", "travel", "velocity", "request", "action", "lists"}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("Input encodes as %v, want the CEL variables %v", got, want)
	}
}

func TestInputJSONRoundTrip(t *testing.T) {
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	in := Input{
		Now:    created.Add(48 * time.Hour),
		User:   User{ID: "u1", Email: "a@example.com", Attributes: map[string]string{"dept": "sales"}, Methods: []string{"PASSKEY"}, Created: created, Exists: true},
		Device: Device{ID: "d1", New: true, FirstSeen: created, Count: 2, UserAgent: "Firefox"},
		Action: Action{Code: "payment", Custom: map[string]any{"amount": 1500.0, "payee": "new"}},
		Lists:  map[string][]string{"vip": {"a@example.com"}},
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var back Input
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, in) {
		t.Errorf("round trip:\n%+v\n%+v", back, in)
	}

	// A case written by hand, with RFC 3339 times, decides as the rules read it.
	var hand Input
	if err := json.Unmarshal([]byte(`{"now":"2026-01-04T03:04:05Z","user":{"exists":true,"created":"2026-01-02T03:04:05Z"},
		"action":{"custom":{"amount":1500}}}`), &hand); err != nil {
		t.Fatal(err)
	}
	rs, err := Compile([]byte(`action: payment
default: ALLOW
rules:
  - {id: young-account, priority: 1, when: 'user.exists && now - user.created < duration("72h") && action.custom.amount > 1000', outcome: BLOCK}
`))
	if err != nil {
		t.Fatal(err)
	}
	if res := rs.Evaluate(context.Background(), &hand); res.Outcome != Block || res.Rule != "young-account" {
		t.Errorf("the hand-written case: %+v", res)
	}
}
