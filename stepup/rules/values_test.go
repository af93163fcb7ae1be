package rules

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
)

func TestValues(t *testing.T) {
	tests := []struct {
		name string
		expr string
		want map[string]any
	}{
		{"fields and a custom key",
			`has(action.custom.amount) && action.custom.amount > 100 && !device.new`,
			map[string]any{"action.custom.amount": 120.5, "device.new": false}},
		{"a constant key is a field",
			`user.attributes["dept"] == "sales" && action.custom.?currency.orValue("") == "EUR"`,
			map[string]any{"user.attributes.dept": "sales", "action.custom.currency": "EUR"}},
		{"a key that is not a name stops the path",
			`user.attributes["first-name"] != "x" || true`,
			map[string]any{"user.attributes": map[string]string{"tier": "silver", "dept": "sales"}}},
		{"a computed key stops the path",
			`user.attributes[user.id] != "x" || true`,
			map[string]any{"user.attributes": map[string]string{"tier": "silver", "dept": "sales"}, "user.id": "u-42"}},
		{"a comprehension's variable is not the input",
			`user.methods.exists(user, user == "TOTP")`,
			map[string]any{"user.methods": []string{"PASSWORD", "TOTP"}}},
		{"the input, shadowed in one place only",
			`user.methods.exists(user, user == "TOTP") && user.exists`,
			map[string]any{"user.methods": []string{"PASSWORD", "TOTP"}, "user.exists": true}},
		{"lists are left out, what is looked up in them is not",
			`user.email in lists.vip || true`,
			map[string]any{"user.email": "alice@example.com"}},
		{"now and timestamps",
			`now > user.created`,
			map[string]any{"now": now, "user.created": now.AddDate(-2, 0, 0)}},
		{"a section as a whole",
			`geo == geo`,
			map[string]any{"geo": Geo{Known: true, Country: "FR", City: "Lyon", ASN: 3215, ASNOrg: "Orange"}}},
		{"a key the input does not have is left out",
			`action.custom.?missing.orValue(0) == 0`,
			map[string]any{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := mustCompile(t, only(`'`+tt.expr+`'`))
			in := paymentInput()
			res := rs.Evaluate(context.Background(), in)
			if res.Rule != "r" {
				t.Fatalf("result %+v, want rule r to match", res)
			}
			got := rs.Values(in, res.Matched)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Values = %#v\nwant %#v", got, tt.want)
			}
			if _, err := json.Marshal(got); err != nil {
				t.Errorf("the values do not encode: %v", err)
			}
		})
	}
}

func TestValuesOfTheMatchedRulesOnly(t *testing.T) {
	rs := mustCompile(t, set("ALLOW",
		`{id: a, priority: 1, when: 'device.count > 1', outcome: REVIEW}`,
		`{id: b, priority: 2, when: 'geo.country == "DE"', outcome: BLOCK}`,
		`{id: c, priority: 3, when: 'device.count > 0 && ip.address != ""', outcome: REVIEW}`))
	in := paymentInput()
	res := rs.Evaluate(context.Background(), in)
	got := rs.Values(in, res.Matched)
	want := map[string]any{"device.count": int64(2), "ip.address": "203.0.113.9"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Values(%v) = %#v, want %#v", res.Matched, got, want)
	}
	if got := rs.Values(in, nil); len(got) != 0 {
		t.Errorf("Values of no rule = %v, want none", got)
	}
	if got := rs.Values(nil, []string{"a"}); !reflect.DeepEqual(got, map[string]any{"device.count": int64(0)}) {
		t.Errorf("Values of the zero Input = %v", got)
	}
}
