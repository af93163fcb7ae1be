package stepup

import (
	"context"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/acr"
)

var t0 = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func dur(d time.Duration) *time.Duration { return &d }

func TestDecide(t *testing.T) {
	e := NewEngine(EngineOptions{Clients: map[string]ClientPolicy{
		"bank":  {MinimumLevel: acr.MFA, Methods: []acr.Method{acr.Password, acr.Passkey, acr.TOTP}},
		"codes": {MinimumLevel: acr.OneFactor, Methods: []acr.Method{acr.Passkey, acr.TOTP}},
	}, Now: func() time.Time { return t0 }})
	pwd := acr.Verification{Method: acr.Password, At: t0.Add(-time.Hour)}
	totp := acr.Verification{Method: acr.TOTP, At: t0.Add(-time.Minute)}
	tests := []struct {
		name      string
		r         Request
		want      Outcome
		wantLevel acr.Level
	}{
		{"no session needs a sign-in", Request{}, Challenge, acr.OneFactor},
		{"a password session signs in", Request{Verifications: []acr.Verification{pwd}}, Allow, acr.OneFactor},
		{"a requested level is a floor", Request{Requested: acr.MFA, Verifications: []acr.Verification{pwd}}, Challenge, acr.MFA},
		{"the client's minimum raises the floor", Request{ClientID: "bank", Verifications: []acr.Verification{pwd}}, Challenge, acr.MFA},
		{"the request can raise the client's minimum", Request{ClientID: "bank", Requested: acr.PhishingResistant,
			Verifications: []acr.Verification{pwd, totp}}, Challenge, acr.PhishingResistant},
		{"the request never lowers the client's minimum", Request{ClientID: "bank", Requested: acr.OneFactor,
			Verifications: []acr.Verification{pwd}}, Challenge, acr.MFA},
		{"mfa satisfies the client", Request{ClientID: "bank", Verifications: []acr.Verification{pwd, totp}}, Allow, acr.MFA},
		{"a second factor alone is no sign-in", Request{ClientID: "codes",
			Verifications: []acr.Verification{pwd, totp}}, Challenge, acr.OneFactor},
		{"a method the client does not allow does not count", Request{ClientID: "bank",
			Verifications: []acr.Verification{pwd, {Method: acr.RecoveryCode, At: t0}}}, Challenge, acr.MFA},
		{"max_age drops an old password", Request{Requested: acr.MFA, MaxAge: dur(5 * time.Minute),
			Verifications: []acr.Verification{pwd, totp}}, Challenge, acr.MFA},
		{"max_age keeps fresh ones", Request{MaxAge: dur(5 * time.Minute), Verifications: []acr.Verification{pwd, totp}}, Allow, acr.OneFactor},
		{"max_age=0 counts only this flow", Request{MaxAge: dur(0), FlowStarted: t0.Add(-10 * time.Second),
			Verifications: []acr.Verification{totp}}, Challenge, acr.OneFactor},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := e.Decide(context.Background(), tt.r)
			if err != nil {
				t.Fatal(err)
			}
			if d.Outcome != tt.want || d.Level != tt.wantLevel {
				t.Fatalf("Decide = %v at %v (reasons %q), want %v at %v", d.Outcome, d.Level, d.Reasons, tt.want, tt.wantLevel)
			}
		})
	}
	d, _ := e.Decide(context.Background(), Request{ClientID: "bank"})
	if len(d.Methods) != 3 {
		t.Errorf("the client's methods are not in the decision: %v", d.Methods)
	}
}
