package stepup_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup"
	"github.com/stepup-auth/stepup/stepup/store"
)

// racingActions lets a second request land between a Tracker's read of a
// record and its compare-and-set Update, as two concurrent HTTP requests do.
type racingActions struct {
	store.Actions
	fired  bool
	during func()
}

func (r *racingActions) Update(ctx context.Context, a *store.ActionRecord) error {
	if r.during != nil && !r.fired {
		r.fired = true // before the call: during's own Update goes straight through
		r.during()
	}
	return r.Actions.Update(ctx, a)
}

// Two reviewers decide the same held action at once (two PATCHes, or a
// PATCH and the admin API): the second is ErrActionState (409), even when
// its write is retried after the first's conflicting one, and the first
// decision stands.
func TestReviewDecidedTwiceUnderRace(t *testing.T) {
	env := newRiskEnv(t)
	acts := &racingActions{Actions: env.st.Actions()}
	tr := trackerOver(t, env, acts)
	ctx := context.Background()
	if _, err := tr.Hold(ctx, "alice", "signIn", "held-1", stepup.Decision{Outcome: stepup.Review, Action: "signIn"}); err != nil {
		t.Fatal(err)
	}
	var firstErr error
	acts.during = func() { // reviewer B rejects while reviewer A's approval is on its way
		_, firstErr = tr.Review(ctx, "alice", "signIn", "held-1", false, "reviewer-B")
	}
	out, err := tr.Review(ctx, "alice", "signIn", "held-1", true, "reviewer-A")
	if firstErr != nil {
		t.Fatalf("reviewer B: %v", firstErr)
	}
	if !errors.Is(err, stepup.ErrActionState) {
		t.Errorf("reviewer A after B decided: state %s, err %v; want ErrActionState (B's REVIEW_FAILED overwritten)", out.State, err)
	}
}

// A challenge's owner re-opens it (Continue pressed again in another tab)
// while its step-up page finishes it: the finished challenge stays
// finished, and the retried Open is refused.
func TestOpenRetryRevivesAFinishedChallenge(t *testing.T) {
	env := newRiskEnv(t)
	acts := &racingActions{Actions: env.st.Actions()}
	tr := trackerOver(t, env, acts)
	ctx := context.Background()
	out, flow := trackAndOpen(t, env, tr)
	if err := tr.Verified(ctx, flow, store.Verification{Method: acr.TOTP, At: now}); err != nil {
		t.Fatal(err)
	}
	acts.fired = false
	acts.during = func() {
		if _, err := tr.Finish(ctx, flow); err != nil {
			t.Errorf("Finish: %v", err)
		}
	}
	_, openErr := tr.Open(ctx, out.Token, "browser-1")
	got, err := tr.Get(ctx, "alice", "payment", "big")
	if err != nil {
		t.Fatal(err)
	}
	if got.State != stepup.StateChallengeSucceeded || !errors.Is(openErr, stepup.ErrActionToken) {
		t.Errorf("after Finish raced with Open: state %s, Open %v; want %s and ErrActionToken", got.State, openErr, stepup.StateChallengeSucceeded)
	}
}

// rereadActions runs beforeGet once before the Get with which
// Tracker.update re-reads a record after a conflicting write.
type rereadActions struct {
	racingActions
	beforeGet func()
}

func (r *rereadActions) Get(ctx context.Context, id string) (*store.ActionRecord, error) {
	if f := r.beforeGet; f != nil && r.fired {
		r.beforeGet = nil
		f()
	}
	return r.Actions.Get(ctx, id)
}

// Reviewer B decides while reviewer A's write is on its way, and the user
// is deleted before A's retry re-reads the record: A must get an error the
// API can answer (ErrNoAction or ErrActionState), not a nil dereference.
func TestAReviewWhoseRecordWentAwayMeanwhile(t *testing.T) {
	env := newRiskEnv(t)
	acts := &rereadActions{racingActions: racingActions{Actions: env.st.Actions()}}
	tr := trackerOver(t, env, acts)
	ctx := context.Background()
	if _, err := tr.Hold(ctx, "alice", "signIn", "held-1", stepup.Decision{Outcome: stepup.Review, Action: "signIn"}); err != nil {
		t.Fatal(err)
	}
	acts.during = func() {
		if _, err := tr.Review(ctx, "alice", "signIn", "held-1", false, "reviewer-B"); err != nil {
			t.Errorf("reviewer B: %v", err)
		}
	}
	acts.beforeGet = func() {
		if err := env.st.Users().Delete(ctx, "alice"); err != nil {
			t.Errorf("delete alice: %v", err)
		}
	}
	var got error
	func() {
		defer func() {
			if p := recover(); p != nil {
				t.Fatalf("Review panicked: %v", p)
			}
		}()
		_, got = tr.Review(ctx, "alice", "signIn", "held-1", true, "reviewer-A")
	}()
	if !errors.Is(got, stepup.ErrNoAction) && !errors.Is(got, stepup.ErrActionState) {
		t.Fatalf("Review = %v, want ErrNoAction or ErrActionState", got)
	}
}

// The user is deleted while the hosted page finishes a challenge: the
// page should say the link expired (ErrActionToken), not fail with a 500.
func TestAFinishWhoseRecordWentAwayMeanwhile(t *testing.T) {
	env := newRiskEnv(t)
	acts := &racingActions{Actions: env.st.Actions()}
	tr := trackerOver(t, env, acts)
	ctx := context.Background()
	_, flow := trackAndOpen(t, env, tr)
	acts.fired = false
	acts.during = func() { env.st.Users().Delete(ctx, "alice") }
	if _, err := tr.Finish(ctx, flow); !errors.Is(err, stepup.ErrActionToken) {
		t.Fatalf("Finish of a challenge whose record went away = %v, want ErrActionToken", err)
	}
}

// trackerOver is a Tracker over env's engine and users, and actions.
func trackerOver(t *testing.T, env *riskEnv, actions store.Actions) *stepup.Tracker {
	t.Helper()
	tr, err := stepup.NewTracker(stepup.TrackerOptions{Engine: env.engine, Actions: actions, Users: env.st.Users(),
		Key: make([]byte, 32), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// trackAndOpen tracks alice's payment of 1,500, which the rules challenge,
// and opens its challenge in a browser.
func trackAndOpen(t *testing.T, env *riskEnv, tr *stepup.Tracker) (stepup.Tracked, stepup.Flow) {
	t.Helper()
	ctx := context.Background()
	out, err := tr.Track(ctx, stepup.Track{UserID: "alice", Action: "payment", IdempotencyKey: "big",
		Origin: stepup.Origin{IP: london, UserAgent: browser, DeviceID: env.laptop}, Custom: map[string]any{"amount": 1500}})
	if err != nil || out.State != stepup.StateChallengeRequired {
		t.Fatalf("track: %+v, %v", out, err)
	}
	flow, err := tr.Open(ctx, out.Token, "browser-1")
	if err != nil {
		t.Fatal(err)
	}
	return out, flow
}
