package stepup_test

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup"
	"github.com/stepup-auth/stepup/stepup/signals"
	"github.com/stepup-auth/stepup/stepup/store"
)

func newTracker(t *testing.T, env *riskEnv, clock *time.Time) *stepup.Tracker {
	t.Helper()
	tr, err := stepup.NewTracker(stepup.TrackerOptions{
		Engine: env.engine, Actions: env.st.Actions(), Users: env.st.Users(), Key: make([]byte, 32),
		Now: func() time.Time { return *clock },
	})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestTrackDecidesAndAChallengeIsAnsweredOnce(t *testing.T) {
	env := newRiskEnv(t)
	clock := now
	tr := newTracker(t, env, &clock)
	ctx := context.Background()
	track := func(key string, amount any) stepup.Tracked {
		t.Helper()
		out, err := tr.Track(ctx, stepup.Track{
			UserID: "alice", Action: "payment", IdempotencyKey: key, ClientID: "bank",
			Origin:      stepup.Origin{IP: london, UserAgent: browser, DeviceID: env.laptop},
			RedirectURL: "https://bank.example/paid?order=7", Custom: map[string]any{"amount": amount},
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}

	if got := track("small", 50); got.State != stepup.StateAllow || got.Token != "" || got.Challenge != nil {
		t.Fatalf("a small payment: %+v", got)
	}
	big := track("big", 1500)
	if big.State != stepup.StateChallengeRequired || big.Token == "" || big.Challenge.Level != acr.MFA ||
		big.Decision.Rules.Result.Rule != "big" {
		t.Fatalf("a big payment: %+v", big)
	}
	// A retry with the same idempotency key is the same record, never a
	// second decision, and brings the challenge's token again (the first
	// answer may have been lost); another request under the key is refused.
	if again := track("big", 1500); again.ID != big.ID || again.State != stepup.StateChallengeRequired || again.Token == "" {
		t.Fatalf("the same key again: %+v, want record %s as it was, with its token", again, big.ID)
	}
	if _, err := tr.Track(ctx, stepup.Track{UserID: "alice", Action: "payment", IdempotencyKey: "big", ClientID: "bank",
		Origin:      stepup.Origin{IP: london, UserAgent: browser, DeviceID: env.laptop},
		RedirectURL: "https://bank.example/paid?order=7", Custom: map[string]any{"amount": 1}}); !errors.Is(err, stepup.ErrIdempotencyKey) {
		t.Fatalf("the key for another amount: %v, want ErrIdempotencyKey", err)
	}

	// The first browser to open the link owns the challenge.
	flow, err := tr.Open(ctx, big.Token, "browser-1")
	if err != nil || flow.ActionID != big.ID || flow.UserID != "alice" || flow.Level != acr.MFA || flow.ReturnTo != "https://bank.example" {
		t.Fatalf("Open: %+v, %v", flow, err)
	}
	if _, err := tr.Open(ctx, big.Token, "browser-2"); !errors.Is(err, stepup.ErrActionToken) {
		t.Fatalf("the link in another browser: %v, want ErrActionToken", err)
	}
	if _, err := tr.Open(ctx, big.Token, "browser-1"); err != nil {
		t.Fatalf("the link again in its browser: %v", err)
	}
	// The challenge's session is the application's sign-in alone: 1fa.
	sess, err := tr.Session(ctx, flow)
	if err != nil || len(sess.Verifications) != 1 || sess.Verifications[0].Method != acr.Upstream {
		t.Fatalf("Session: %+v, %v", sess, err)
	}
	if err := tr.Verified(ctx, flow, store.Verification{Method: acr.TOTP, At: clock}); err != nil {
		t.Fatal(err)
	}
	redirect, err := tr.Finish(ctx, flow)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(redirect)
	if u.Host != "bank.example" || u.Query().Get("order") != "7" || u.Query().Get("token") == "" {
		t.Fatalf("Finish sends the browser to %s", redirect)
	}
	if _, err := tr.Open(ctx, big.Token, "browser-1"); !errors.Is(err, stepup.ErrActionToken) {
		t.Fatalf("the link after the challenge: %v, want ErrActionToken", err)
	}

	// The backend validates the token once.
	got, err := tr.Validate(ctx, u.Query().Get("token"))
	if err != nil || got.State != stepup.StateChallengeSucceeded || got.Verified == nil || got.Verified.Method != acr.TOTP ||
		got.Verified.Level != acr.MFA || !slices.Equal(got.Verified.AMR, []string{"otp", "mfa"}) {
		t.Fatalf("Validate: %+v %+v, %v", got, got.Verified, err)
	}
	if _, err := tr.Validate(ctx, u.Query().Get("token")); !errors.Is(err, stepup.ErrActionToken) {
		t.Fatalf("the token again: %v, want ErrActionToken", err)
	}
	if _, err := tr.Validate(ctx, big.Token); !errors.Is(err, stepup.ErrActionToken) {
		t.Fatalf("a challenge token as a validation token: %v, want ErrActionToken", err)
	}
	if rec, err := tr.Get(ctx, "alice", "payment", "big"); err != nil || rec.State != stepup.StateChallengeSucceeded {
		t.Fatalf("Get: %+v, %v", rec, err)
	}
}

// A challenge answered on a device makes it known: the next big payment
// from it is not a new device's.
func TestAChallengeAnsweredMakesTheDeviceKnown(t *testing.T) {
	env := newRiskEnv(t)
	clock := now
	tr := newTracker(t, env, &clock)
	ctx := context.Background()
	phone, _ := signals.CallerDeviceID("alice-phone-1")
	pay := func(key string) stepup.Tracked {
		t.Helper()
		out, err := tr.Track(ctx, stepup.Track{UserID: "alice", Action: "payment", IdempotencyKey: key,
			Origin: stepup.Origin{IP: london, UserAgent: browser, DeviceID: phone}, Custom: map[string]any{"amount": 1500}})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	first := pay("1")
	if first.Decision.Rules.Result.Rule != "big-new-device" {
		t.Fatalf("the first payment from the phone: rule %q", first.Decision.Rules.Result.Rule)
	}
	flow, err := tr.Open(ctx, first.Token, "b")
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Verified(ctx, flow, store.Verification{Method: acr.Passkey, UserVerified: true, At: clock}); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Finish(ctx, flow); err != nil {
		t.Fatal(err)
	}
	if second := pay("2"); second.Decision.Rules.Result.Rule != "big" {
		t.Fatalf("the second payment from the phone: rule %q, want big (a known device)", second.Decision.Rules.Result.Rule)
	}
}

// Peek reads a challenge link and binds it to nobody: a link preview that
// fetched it first leaves the challenge to the user's browser. Once a
// browser owns it, Peek answers the others as Open does.
func TestPeekTakesNoChallenge(t *testing.T) {
	env := newRiskEnv(t)
	clock := now
	tr := newTracker(t, env, &clock)
	ctx := context.Background()
	out, err := tr.Track(ctx, stepup.Track{UserID: "alice", Action: "payment", IdempotencyKey: "big",
		Origin: stepup.Origin{IP: london, UserAgent: browser, DeviceID: env.laptop}, Custom: map[string]any{"amount": 1500}})
	if err != nil || out.State != stepup.StateChallengeRequired {
		t.Fatalf("track: %+v, %v", out, err)
	}
	for _, who := range []string{"preview-bot", "another-bot", ""} {
		got, err := tr.Peek(ctx, out.Token, who)
		if err != nil || got.ID != out.ID || got.Action != "payment" || got.Challenge == nil || got.Challenge.Level != acr.MFA {
			t.Fatalf("Peek by %q: %+v, %v", who, got, err)
		}
	}
	if _, err := tr.Open(ctx, out.Token, "browser-1"); err != nil {
		t.Fatalf("the user's browser after the previews: %v", err)
	}
	if _, err := tr.Peek(ctx, out.Token, "browser-1"); err != nil {
		t.Fatalf("Peek by the owner: %v", err)
	}
	for _, who := range []string{"browser-2", ""} {
		if _, err := tr.Peek(ctx, out.Token, who); !errors.Is(err, stepup.ErrActionToken) {
			t.Errorf("Peek by %q once browser-1 owns it: %v, want ErrActionToken", who, err)
		}
	}
	if _, err := tr.Peek(ctx, out.Token+"x", "browser-1"); !errors.Is(err, stepup.ErrActionToken) {
		t.Errorf("Peek of a forged token: %v, want ErrActionToken", err)
	}
	clock = clock.Add(11 * time.Minute)
	if _, err := tr.Peek(ctx, out.Token, "browser-1"); !errors.Is(err, stepup.ErrActionToken) {
		t.Errorf("Peek of a late link: %v, want ErrActionToken", err)
	}
}

func TestAChallengeFailsWhenCancelledUnmetOrLate(t *testing.T) {
	env := newRiskEnv(t)
	clock := now
	tr := newTracker(t, env, &clock)
	ctx := context.Background()
	start := func(key string) (stepup.Tracked, stepup.Flow) {
		t.Helper()
		out, err := tr.Track(ctx, stepup.Track{UserID: "alice", Action: "payment", IdempotencyKey: key,
			Origin: stepup.Origin{IP: london, UserAgent: browser, DeviceID: env.laptop}, Custom: map[string]any{"amount": 1500}})
		if err != nil || out.State != stepup.StateChallengeRequired {
			t.Fatalf("track: %+v, %v", out, err)
		}
		flow, err := tr.Open(ctx, out.Token, "b")
		if err != nil {
			t.Fatal(err)
		}
		return out, flow
	}
	state := func(key string) string {
		t.Helper()
		got, err := tr.Get(ctx, "alice", "payment", key)
		if err != nil {
			t.Fatal(err)
		}
		return got.State
	}

	_, flow := start("cancelled")
	flow.Cancelled = true
	if to, err := tr.Finish(ctx, flow); err != nil || to != "" || state("cancelled") != stepup.StateChallengeFailed {
		t.Fatalf("cancelled: %q, %v, %s", to, err, state("cancelled"))
	}
	_, flow = start("unmet")
	if _, err := tr.Finish(ctx, flow); err != nil || state("unmet") != stepup.StateChallengeFailed {
		t.Fatalf("handed back with no answer: %v, %s", err, state("unmet"))
	}
	late, flow := start("late")
	clock = clock.Add(11 * time.Minute)
	if err := tr.Verified(ctx, flow, store.Verification{Method: acr.TOTP, At: clock}); !errors.Is(err, stepup.ErrActionToken) {
		t.Fatalf("an answer after the challenge's lifetime: %v", err)
	}
	if _, err := tr.Open(ctx, late.Token, "b"); !errors.Is(err, stepup.ErrActionToken) {
		t.Fatalf("a late link: %v", err)
	}
}

// A tracked action's client is its API key, whatever OpenID Connect
// client shares the name: the mfa-floor client's minimum does not apply.
func TestATrackedActionTakesNoClientsPolicy(t *testing.T) {
	env := newRiskEnv(t)
	clock := now
	tr := newTracker(t, env, &clock)
	out, err := tr.Track(context.Background(), stepup.Track{UserID: "alice", Action: "payment", ClientID: "mfa-floor",
		Origin: stepup.Origin{IP: london, UserAgent: browser, DeviceID: env.laptop}, Custom: map[string]any{"amount": 50}})
	if err != nil || out.State != stepup.StateAllow {
		t.Fatalf("a small payment by a key named like a client with an mfa floor: %+v, %v", out.State, err)
	}
}

func TestReviewAndUnknownUsers(t *testing.T) {
	env := newRiskEnv(t)
	clock := now
	tr := newTracker(t, env, &clock)
	ctx := context.Background()
	held, err := tr.Track(ctx, stepup.Track{UserID: "alice", Action: "payment", IdempotencyKey: "p1",
		Origin: stepup.Origin{IP: london, UserAgent: browser, DeviceID: env.laptop},
		Custom: map[string]any{"amount": 700, "payee_new": true}})
	if err != nil || held.State != stepup.StateReviewRequired {
		t.Fatalf("a new payee: %+v, %v", held, err)
	}
	if _, err := tr.Review(ctx, "alice", "payment", "nope", true, "ana"); !errors.Is(err, stepup.ErrNoAction) {
		t.Fatalf("a review of nothing: %v", err)
	}
	if got, err := tr.Review(ctx, "alice", "payment", "p1", true, "ana"); err != nil || got.State != stepup.StateReviewSucceeded {
		t.Fatalf("approve: %+v, %v", got, err)
	}
	if _, err := tr.Review(ctx, "alice", "payment", "p1", false, "bo"); !errors.Is(err, stepup.ErrActionState) {
		t.Fatalf("a second review: %v, want ErrActionState", err)
	}

	// A user the store does not know is created on first sight, at once by
	// concurrent calls.
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := tr.Track(ctx, stepup.Track{UserID: "ext-42", Action: "payment", Origin: stepup.Origin{UserAgent: browser}}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if u, err := env.st.Users().Get(ctx, "ext-42"); err != nil || u.PasswordHash != "" {
		t.Fatalf("the tracked user: %+v, %v", u, err)
	}

	// Concurrent calls with one idempotency key make one record.
	ids := make(chan string, 8)
	for range 8 {
		wg.Go(func() {
			out, err := tr.Track(ctx, stepup.Track{UserID: "alice", Action: "payment", IdempotencyKey: "race",
				Origin: stepup.Origin{IP: london, UserAgent: browser}})
			if err != nil {
				t.Error(err)
			}
			ids <- out.ID
		})
	}
	wg.Wait()
	close(ids)
	var seen []string
	for id := range ids {
		if !slices.Contains(seen, id) {
			seen = append(seen, id)
		}
	}
	if len(seen) != 1 {
		t.Fatalf("8 racing calls with one key made records %v", seen)
	}
}
