package rules_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/rules"
)

const payment = `
action: payment
default: ALLOW
rules:
  - id: tor-exit
    description: Tor and VPN exits are refused
    priority: 1
    when: ip.anonymizer
    outcome: BLOCK
  - id: big-payment-new-device
    priority: 10
    when: has(action.custom.amount) && action.custom.amount > 1000 && device.new
    outcome: CHALLENGE
    level: phr
    max_age: 5m
    methods: [PASSKEY, SECURITY_KEY]
`

func Example() {
	rs, err := rules.Compile([]byte(payment))
	if err != nil {
		fmt.Println(err)
		return
	}
	in := &rules.Input{
		Now:     time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC),
		User:    rules.User{ID: "u-42", Exists: true, Methods: []string{"PASSWORD", "PASSKEY"}},
		Session: rules.Session{Exists: true, Level: rules.LevelName(acr.MFA), SecondsSinceVerification: 600},
		Device:  rules.Device{ID: "d-9", New: true, Count: 2},
		Request: rules.Request{Level: "none", MaxAge: -1},
		Action:  rules.Action{Code: "payment", Custom: map[string]any{"amount": 1500.0, "currency": "EUR"}},
	}
	res := rs.Evaluate(context.Background(), in)
	fmt.Println(res.Outcome, "to", rules.LevelName(res.Level), "within", res.MaxAge, "with", res.Methods)

	// The record of the decision: the result, and the values the
	// matched rules read.
	record, _ := json.Marshal(map[string]any{"result": res, "values": rs.Values(in, res.Matched)})
	fmt.Println(string(record))
	// Output:
	// CHALLENGE to phr within 5m0s with [PASSKEY SECURITY_KEY]
	// {"result":{"outcome":"CHALLENGE","level":"phr","max_age":"5m0s","methods":["PASSKEY","SECURITY_KEY"],"rule":"big-payment-new-device","matched":["big-payment-new-device"]},"values":{"action.custom.amount":1500,"device.new":true}}
}

func ExampleCompile_problems() {
	_, err := rules.Compile([]byte(`
action: payment
default: ALLOW
rules:
  - id: new-device
    priority: 1
    when: device.new && user.emial.endsWith("@example.com")
    outcome: CHALLENGE
  - id: odd
    priority: 2
    when: geo.country == "FR"
    outcome: DENY
`))
	var e *rules.Error
	if errors.As(err, &e) {
		for _, p := range e.Problems {
			fmt.Println(p)
		}
	}
	// Output:
	// 5:5: rules[0].level (rule "new-device"): missing (a CHALLENGE needs a level: 1fa, mfa, phr or phrh)
	// 7:29: rules[0].when (rule "new-device"): undefined field 'emial' (expression 1:19)
	// 12:5: rules[1].outcome (rule "odd"): unknown outcome "DENY" (want ALLOW, CHALLENGE, REVIEW or BLOCK)
}
