package stepup_test

// Defences of the engine's rules and signals: each test was a working
// attack or a gap before its fix.

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup"
	"github.com/stepup-auth/stepup/stepup/factor/factortest"
	"github.com/stepup-auth/stepup/stepup/store"
)

// rulesEngine is an engine whose only rules are spec, for client "app".
func rulesEngine(t testing.TB, spec string) (*stepup.Engine, *stepup.RuleBook, store.Store) {
	t.Helper()
	ctx := context.Background()
	clock := func() time.Time { return now }
	st := factortest.NewStore(t, clock)
	book, err := stepup.NewRuleBook(ctx, st.RuleSets(), st.Audit(), clock)
	if err != nil {
		t.Fatal(err)
	}
	if spec != "" {
		if _, err := book.Publish(ctx, []byte(spec), 0, "analyst", ""); err != nil {
			t.Fatal(err)
		}
	}
	e := stepup.NewEngine(stepup.EngineOptions{
		Clients: map[string]stepup.ClientPolicy{"app": {}},
		Rules:   book, Now: clock,
	})
	return e, book, st
}

// A BLOCK rule over a string the client chooses does not fail open: a
// User-Agent padded to about 1 MB reaches the rules cut to 512 bytes, and
// a rule its cost limit stops counts as matched.
func TestAPaddedUserAgentEscapesABlockRule(t *testing.T) {
	e, _, _ := rulesEngine(t, `action: signIn
default: ALLOW
rules:
  - {id: blocked-agent, priority: 1, when: 'device.user_agent.contains("EvilBrowser")', outcome: BLOCK}
`)
	ua := "Mozilla/5.0 EvilBrowser/1.0 " + strings.Repeat("a", 1_010_000)
	d, err := e.Decide(context.Background(), stepup.Request{
		ClientID: "app", UserID: "alice", Origin: stepup.Origin{UserAgent: ua},
		Verifications: []acr.Verification{{Method: acr.Password, At: now}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if d.Outcome != stepup.Block {
		t.Fatalf("EvilBrowser with a padded user agent: %v, want BLOCK\nreasons: %q", d.Outcome, d.Reasons)
	}
}

// A rule that names the second factor it wants (methods: [TOTP]) is met
// by a fresh password and a fresh TOTP: the rule's methods narrow the
// step-up, not the sign-in it steps up from.
func TestARuleAskingForTOTPCanBeMet(t *testing.T) {
	e, _, _ := rulesEngine(t, `action: signIn
default: ALLOW
rules:
  - {id: totp-please, priority: 1, when: "true", outcome: CHALLENGE, level: mfa, methods: [TOTP]}
`)
	d, err := e.Decide(context.Background(), stepup.Request{
		ClientID: "app", UserID: "alice", Origin: stepup.Origin{UserAgent: browser},
		Verifications: []acr.Verification{{Method: acr.Password, At: now.Add(-time.Minute)}, {Method: acr.TOTP, At: now}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if d.Outcome != stepup.Allow {
		t.Fatalf("password + TOTP against a TOTP rule at mfa: %v at %v (session counted %v), want ALLOW\nreasons: %q",
			d.Outcome, d.Level, d.Assurance.Level, d.Reasons)
	}
}

// One action whose stored rules do not compile here (written by a newer
// replica, say) does not stop Refresh from picking up the others.
func TestRefreshAppliesTheActionsThatCompile(t *testing.T) {
	ctx := context.Background()
	_, book, st := rulesEngine(t, "")
	if _, err := book.Publish(ctx, []byte("action: payment\ndefault: ALLOW\n"), 0, "ana", ""); err != nil {
		t.Fatal(err)
	}
	// Another replica publishes: an emergency BLOCK on payment, and signIn
	// rules this replica cannot compile.
	if err := st.RuleSets().Publish(ctx, &store.RuleSet{Action: "payment", Version: 2,
		Spec: []byte(`{"action":"payment","default":"BLOCK"}`), CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := st.RuleSets().Publish(ctx, &store.RuleSet{Action: "aaa", Version: 1,
		Spec:      []byte(`{"action":"aaa","default":"ALLOW","rules":[{"id":"x","priority":1,"when":"device.newer_field","outcome":"BLOCK"}]}`),
		CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	err := book.Refresh(ctx)
	t.Logf("Refresh: %v", err)
	if p, _ := book.Get("payment"); p.Version != 2 {
		t.Fatalf("payment serves version %d after Refresh, want 2: one bad action holds back every other", p.Version)
	}
}

// A rule's looser max_age never loosens the request's.
func TestARulesMaxAgeNeverLoosensTheRequests(t *testing.T) {
	e, _, _ := rulesEngine(t, `action: signIn
default: ALLOW
rules:
  - {id: ten-minutes, priority: 1, when: "true", outcome: CHALLENGE, level: 1fa, max_age: 10m}
`)
	oneMinute := time.Minute
	d, err := e.Decide(context.Background(), stepup.Request{
		ClientID: "app", UserID: "alice", Origin: stepup.Origin{UserAgent: browser},
		MaxAge: &oneMinute, FlowStarted: now.Add(-30 * time.Second),
		Verifications: []acr.Verification{{Method: acr.Password, At: now.Add(-5 * time.Minute)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if d.Outcome != stepup.Challenge || !d.Since.Equal(now.Add(-time.Minute)) {
		t.Fatalf("max_age 1m with a rule's 10m: %v since %v, want CHALLENGE since %v", d.Outcome, d.Since, now.Add(-time.Minute))
	}
}
