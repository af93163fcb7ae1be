package rules

import (
	"errors"
	"fmt"
	"os"
	"testing"
	"time"
)

func mustCompile(t testing.TB, doc string) *RuleSet {
	t.Helper()
	rs, err := Compile([]byte(doc))
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return rs
}

func problemsOf(t testing.TB, err error) []Problem {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T), want an *Error", err, err)
	}
	return e.Problems
}

// paymentRules reads testdata/payment.yaml, the realistic 20-rule set.
func paymentRules(t testing.TB) *RuleSet {
	t.Helper()
	doc, err := os.ReadFile("testdata/payment.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return mustCompile(t, string(doc))
}

var now = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

// paymentInput is an ordinary payment by a known user on a known device:
// payment.yaml lets it through by default.
func paymentInput() *Input {
	vip := make([]string, 200)
	for i := range vip {
		vip[i] = fmt.Sprintf("customer%d@example.com", i)
	}
	return &Input{
		Now: now,
		User: User{
			ID: "u-42", Email: "alice@example.com", Exists: true,
			Attributes: map[string]string{"tier": "silver", "dept": "sales"},
			Methods:    []string{"PASSWORD", "TOTP"},
			Created:    now.AddDate(-2, 0, 0),
		},
		Session: Session{Exists: true, Level: "mfa", AMR: []string{"pwd", "otp", "mfa"}, SecondsSinceVerification: 600},
		Device: Device{
			ID: "d-7", FirstSeen: now.AddDate(0, -3, 0), Count: 2,
			UserAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15",
		},
		IP:       IP{Address: "203.0.113.9", Lists: []string{"customers"}},
		Geo:      Geo{Known: true, Country: "FR", City: "Lyon", ASN: 3215, ASNOrg: "Orange"},
		Travel:   Travel{Known: true, KM: 12, KMH: 3, PreviousCountry: "FR"},
		Velocity: Velocity{User1m: 1, User1h: 2, User24h: 5, IP1m: 1, IP1h: 3, IP24h: 9},
		Request:  Request{Client: "bank-web", Level: "mfa", MaxAge: -1},
		Action:   Action{Code: "payment", Custom: map[string]any{"amount": 120.5, "currency": "EUR", "new_payee": false}},
		Lists: map[string][]string{
			"vip":               vip,
			"blocked_countries": {"KP", "IR", "SY", "CU", "RU", "BY"},
			"bad_devices":       {"d-666", "d-667"},
			"watch":             {"u-13"},
		},
	}
}
