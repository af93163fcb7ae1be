package stepup_test

// Review repros for the Tracker. Each test asserts the safe behaviour, so
// it FAILS while the defect is there.

import (
	"context"
	"slices"
	"testing"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup"
	"github.com/stepup-auth/stepup/stepup/store"
)

// FINDING 3: a rule's methods do not bound a tracked action's challenge.
// The engine adds the first factors (PASSWORD, PASSKEY, SECURITY_KEY,
// UPSTREAM) to a CHALLENGE rule's methods so that an OIDC session's
// sign-in keeps counting; a tracked action has no sign-in of stepup's,
// so `methods: [TOTP]` becomes [TOTP PASSWORD PASSKEY SECURITY_KEY
// UPSTREAM]: the API reports them as allowedMethods, the hosted page
// offers them, and Finish accepts a passkey answer.
func TestTrackRuleMethodsBoundTheChallenge(t *testing.T) {
	env := newRiskEnv(t)
	clock := now
	tr := newTracker(t, env, &clock)
	ctx := context.Background()
	if _, err := env.book.Publish(ctx, []byte(`
action: wire
default: ALLOW
rules:
  - {id: otp-only, priority: 1, when: "true", outcome: CHALLENGE, level: mfa, methods: [TOTP]}
`), 0, "analyst", ""); err != nil {
		t.Fatal(err)
	}
	out, err := tr.Track(ctx, stepup.Track{UserID: "alice", Action: "wire", IdempotencyKey: "w1", ClientID: "backend",
		RedirectURL: "https://bank.example/done"})
	if err != nil || out.State != stepup.StateChallengeRequired {
		t.Fatalf("track: %+v, %v", out, err)
	}
	if !slices.Equal(out.Challenge.Methods, []acr.Method{acr.TOTP}) {
		t.Errorf("a rule with methods [TOTP] challenges with methods %v", out.Challenge.Methods)
	}
	flow, err := tr.Open(ctx, out.Token, "b")
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Verified(ctx, flow, store.Verification{Method: acr.Passkey, UserVerified: true, At: clock}); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Finish(ctx, flow); err != nil {
		t.Fatal(err)
	}
	got, _ := tr.Get(ctx, "alice", "wire", "w1")
	if got.State == stepup.StateChallengeSucceeded {
		t.Errorf("a challenge whose rule allows only TOTP succeeded with %v", got.Verified.Method)
	}
}

// FINDING 5: a user an operator disabled in stepup is still ALLOWed by the
// track API (the hosted challenge refuses them, but an action the rules
// let through needs no challenge).
func TestTrackDisabledUserIsNotAllowed(t *testing.T) {
	env := newRiskEnv(t)
	clock := now
	tr := newTracker(t, env, &clock)
	ctx := context.Background()
	u, err := env.st.Users().Get(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	u.Disabled = true
	if err := env.st.Users().Update(ctx, u); err != nil {
		t.Fatal(err)
	}
	out, err := tr.Track(ctx, stepup.Track{UserID: "alice", Action: "payment",
		Origin: stepup.Origin{IP: london, UserAgent: browser, DeviceID: env.laptop}, Custom: map[string]any{"amount": 50}})
	if err != nil {
		t.Fatal(err)
	}
	if out.State == stepup.StateAllow {
		t.Errorf("a disabled user's payment: %s (%v)", out.State, out.Decision.Reasons)
	}
}
