package rules

import (
	"context"
	"encoding/json"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/stepup-auth/stepup/acr"
)

func TestResultJSON(t *testing.T) {
	tests := []struct {
		name string
		r    Result
		want string
	}{
		{"the default",
			Result{Outcome: Allow},
			`{"outcome":"ALLOW"}`},
		{"a challenge",
			Result{Outcome: Challenge, Level: acr.PhishingResistant, MaxAge: 5 * time.Minute, HasMaxAge: true,
				Methods: []acr.Method{acr.Passkey, acr.SecurityKey}, Rule: "big-payment", Matched: []string{"big-payment", "new-device"},
				Errors: []RuleError{{Rule: "amount", Message: "no such key: amount"}}},
			`{"outcome":"CHALLENGE","level":"phr","max_age":"5m0s","methods":["PASSKEY","SECURITY_KEY"],"rule":"big-payment",` +
				`"matched":["big-payment","new-device"],"errors":[{"rule":"amount","message":"no such key: amount"}]}`},
		{"a max_age of 0 is kept",
			Result{Outcome: Challenge, Level: acr.MFA, HasMaxAge: true, Rule: "now"},
			`{"outcome":"CHALLENGE","level":"mfa","max_age":"0s","rule":"now"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.r)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("JSON\n%s\nwant\n%s", b, tt.want)
			}
			var back Result
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, tt.r) {
				t.Errorf("decoded %+v, want %+v", back, tt.r)
			}
		})
	}
	for _, bad := range []string{`{"outcome":"MAYBE"}`, `{"outcome":"ALLOW","level":"high"}`, `{"outcome":"ALLOW","max_age":"soon"}`, `[]`} {
		var r Result
		if err := json.Unmarshal([]byte(bad), &r); err == nil {
			t.Errorf("decoding %s: no error, got %+v", bad, r)
		}
	}
	if _, err := json.Marshal(Result{}); err == nil {
		t.Error("a Result without an outcome encoded")
	}
}

// TestSpecRoundTrip checks that what Spec gives back, encoded as JSON or
// YAML, compiles to the same rule set.
func TestSpecRoundTrip(t *testing.T) {
	doc, err := os.ReadFile("testdata/payment.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rs := mustCompile(t, string(doc))
	spec := rs.Spec()
	if spec.Action != "payment" || len(spec.Rules) != 20 || spec.Default.Outcome != "ALLOW" ||
		spec.Rules[5].ID != "failures" || spec.Rules[5].Level != "phr" || spec.Rules[8].MaxAge != "5m" {
		t.Fatalf("Spec() = %+v, not the document", spec)
	}
	for name, marshal := range map[string]func(any) ([]byte, error){"JSON": json.Marshal, "YAML": yaml.Marshal} {
		t.Run(name, func(t *testing.T) {
			b, err := marshal(spec)
			if err != nil {
				t.Fatal(err)
			}
			again, err := Compile(b)
			if err != nil {
				t.Fatalf("Compile(%s): %v", b, err)
			}
			if !reflect.DeepEqual(again.Spec(), spec) {
				t.Errorf("round trip through\n%s\ngave %+v", b, again.Spec())
			}
			in := paymentInput()
			in.Action.Custom["amount"], in.Device.New = 1500, true
			if a, b := rs.Evaluate(context.Background(), in), again.Evaluate(context.Background(), in); !reflect.DeepEqual(a, b) {
				t.Errorf("the round trip decides %+v, the original %+v", b, a)
			}
		})
	}
	spec.Rules[5].Methods[0] = "SMS"
	if rs.Spec().Rules[5].Methods[0] != "PASSKEY" {
		t.Error("changing the Spec a RuleSet returned changed the RuleSet's")
	}
	if rs.Action() != "payment" {
		t.Errorf("Action() = %q", rs.Action())
	}
}

func TestLevelName(t *testing.T) {
	for l, want := range map[acr.Level]string{acr.None: "none", acr.OneFactor: "1fa", acr.MFA: "mfa", acr.PhishingResistant: "phr", acr.PhishingResistantHardware: "phrh"} {
		if got := LevelName(l); got != want {
			t.Errorf("LevelName(%v) = %q, want %q", l, got, want)
		}
		if back, ok := parseLevel(want); !ok || back != l {
			t.Errorf("parseLevel(%q) = %v, %v", want, back, ok)
		}
	}
}

func TestOutcomeText(t *testing.T) {
	for o := Allow; o <= Block; o++ {
		b, err := o.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back Outcome
		if err := back.UnmarshalText(b); err != nil || back != o || o.String() != string(b) {
			t.Errorf("%v: text %q, back %v, %v", o, b, back, err)
		}
	}
	if o, err := ParseOutcome("challenge"); err != nil || o != Challenge {
		t.Errorf("ParseOutcome(challenge) = %v, %v", o, err)
	}
	var o Outcome
	if err := o.UnmarshalText([]byte("DENY")); err == nil {
		t.Error("DENY decoded")
	}
	if Outcome(9).String() != "rules.Outcome(9)" {
		t.Errorf("String of an invalid outcome: %q", Outcome(9).String())
	}
}
