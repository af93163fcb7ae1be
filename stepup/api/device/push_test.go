package device_test

import (
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/factor/push"
	"github.com/stepup-auth/stepup/stepup/factor/push/pushdevice"
)

// The reference device approves with number matching, end to end: the
// page shows a number, the phone offers it among its choices, the user
// picks it, and the page's poll gets the verification.
func TestPhoneApprovesWithTheRightNumber(t *testing.T) {
	e := newEnv(t, envOptions{})
	phone := e.phone(e.alice, "Alice's Pixel")
	p := e.begin(e.flow)
	shown := number(t, p)

	if _, err := e.f.FinishVerify(e.ctx, e.flow, factor.Answer{ChallengeID: p.ChallengeID}); !errors.Is(err, factor.ErrPending) {
		t.Fatalf("FinishVerify before the phone answered: %v, want ErrPending", err)
	}
	c := e.only(phone)
	if c.ID != p.ChallengeID || len(c.Choices) != 3 || !slices.Contains(c.Choices, shown) {
		t.Fatalf("the phone got %+v for push %s showing %d", c, p.ChallengeID, shown)
	}
	if !c.Expires.Equal(e.clock.Now().Add(2 * time.Minute)) {
		t.Errorf("the push expires at %v, want two minutes from now", c.Expires)
	}
	state, err := phone.Approve(e.ctx, c, shown)
	if err != nil || state != push.StateApproved {
		t.Fatalf("Approve with the number shown: %q, %v", state, err)
	}
	res, err := e.f.FinishVerify(e.ctx, e.flow, factor.Answer{ChallengeID: p.ChallengeID})
	if err != nil {
		t.Fatalf("FinishVerify after the approval: %v", err)
	}
	v := res.Verification
	if res.Authenticator.ID != phone.ID() || v.AuthenticatorID != phone.ID() || v.Method != acr.Push || !v.At.Equal(e.clock.Now()) {
		t.Fatalf("the verification is %+v of %+v", v, res.Authenticator)
	}
	if !slices.Equal(v.AMR, []string{"swk", "user"}) {
		t.Errorf("the verification's amr is %v, want [swk user]", v.AMR)
	}
	// Single use: the page's next poll, or an attacker's, finds nothing.
	if _, err := e.f.FinishVerify(e.ctx, e.flow, factor.Answer{ChallengeID: p.ChallengeID}); !errors.Is(err, factor.ErrExpired) {
		t.Fatalf("FinishVerify a second time: %v, want ErrExpired", err)
	}
	if cs, err := phone.Next(e.ctx, 0); err != nil || len(cs) != 0 {
		t.Fatalf("Next after the approval: %+v, %v; want nothing", cs, err)
	}
}

// An approval with another number than the page's fails, and spends the
// push: number matching is what makes a blind approval fail.
func TestApproveWithTheWrongNumberFails(t *testing.T) {
	e := newEnv(t, envOptions{})
	phone := e.phone(e.alice, "phone")
	p := e.begin(e.flow)
	c := e.only(phone)
	state, err := phone.Approve(e.ctx, c, other(t, c, number(t, p)))
	if err != nil || state != push.StateWrongNumber {
		t.Fatalf("Approve with a number not shown: %q, %v; want wrong_number", state, err)
	}
	if _, err := e.f.FinishVerify(e.ctx, e.flow, factor.Answer{ChallengeID: p.ChallengeID}); !errors.Is(err, factor.ErrWrongAnswer) {
		t.Fatalf("FinishVerify after a wrong number: %v, want ErrWrongAnswer", err)
	}
	// Spent: neither a second try with the right number nor the page's
	// next poll gets anywhere.
	var apiErr *pushdevice.Error
	if _, err := phone.Approve(e.ctx, c, number(t, p)); !errors.As(err, &apiErr) || apiErr.Status != http.StatusConflict {
		t.Fatalf("Approve with the right number after a wrong one: %v, want 409", err)
	}
	if _, err := e.f.FinishVerify(e.ctx, e.flow, factor.Answer{ChallengeID: p.ChallengeID}); !errors.Is(err, factor.ErrExpired) {
		t.Fatalf("FinishVerify a second time: %v, want ErrExpired", err)
	}
}

func TestDenyFails(t *testing.T) {
	e := newEnv(t, envOptions{})
	phone := e.phone(e.alice, "phone")
	p := e.begin(e.flow)
	if state, err := phone.Deny(e.ctx, e.only(phone)); err != nil || state != push.StateDenied {
		t.Fatalf("Deny: %q, %v", state, err)
	}
	if _, err := e.f.FinishVerify(e.ctx, e.flow, factor.Answer{ChallengeID: p.ChallengeID}); !errors.Is(err, factor.ErrWrongAnswer) {
		t.Fatalf("FinishVerify after a deny: %v, want ErrWrongAnswer", err)
	}
	if _, err := e.f.FinishVerify(e.ctx, e.flow, factor.Answer{ChallengeID: p.ChallengeID}); !errors.Is(err, factor.ErrExpired) {
		t.Fatalf("FinishVerify a second time after a deny: %v, want ErrExpired", err)
	}
}

// The limiter counts a deny as a failure, and the pending polls before it
// as nothing.
func TestLimiterCountsADenyOnce(t *testing.T) {
	e := newEnv(t, envOptions{})
	phone := e.phone(e.alice, "phone")
	l := factor.NewLimiter(e.st.Users(), factor.LimitPolicy{}, e.clock.Now)
	p := e.begin(e.flow)
	for range 3 {
		if _, err := l.Verify(e.ctx, e.f, e.flow, factor.Answer{ChallengeID: p.ChallengeID}); !errors.Is(err, factor.ErrPending) {
			t.Fatalf("Verify while pending: %v", err)
		}
	}
	if _, err := phone.Deny(e.ctx, e.only(phone)); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		_, _ = l.Verify(e.ctx, e.f, e.flow, factor.Answer{ChallengeID: p.ChallengeID})
	}
	f, err := l.Failures(e.ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if f.Consecutive != 1 || f.ByMethod[acr.Push].Count != 1 {
		t.Fatalf("failures after three pending polls and a deny polled twice: %+v, want 1", f)
	}
}

func TestExpiredPushCannotBeAnswered(t *testing.T) {
	e := newEnv(t, envOptions{})
	phone := e.phone(e.alice, "phone")
	p := e.begin(e.flow)
	c := e.only(phone)
	e.clock.Advance(2 * time.Minute)
	if cs, err := phone.Next(e.ctx, 0); err != nil || len(cs) != 0 {
		t.Fatalf("Next after the push expired: %+v, %v; want nothing", cs, err)
	}
	var apiErr *pushdevice.Error
	if _, err := phone.Approve(e.ctx, c, number(t, p)); !errors.As(err, &apiErr) || apiErr.Status != http.StatusConflict {
		t.Fatalf("Approve of an expired push: %v, want 409", err)
	}
	if _, err := e.f.FinishVerify(e.ctx, e.flow, factor.Answer{ChallengeID: p.ChallengeID}); !errors.Is(err, factor.ErrExpired) {
		t.Fatalf("FinishVerify of an expired push: %v, want ErrExpired", err)
	}
}

// A push is alice's, in her flow: another flow, another user, another
// user's phone get nothing from it.
func TestPushOfAnotherUserOrFlow(t *testing.T) {
	e := newEnv(t, envOptions{})
	alices := e.phone(e.alice, "alice's")
	bob, err := e.st.Users().Get(e.ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	bobs := e.phone(bob, "bob's")
	p := e.begin(e.flow)
	c := e.only(alices)

	if cs, err := bobs.Next(e.ctx, 0); err != nil || len(cs) != 0 {
		t.Fatalf("bob's phone sees %+v, %v; want nothing", cs, err)
	}
	var apiErr *pushdevice.Error
	if _, err := bobs.Approve(e.ctx, c, number(t, p)); !errors.As(err, &apiErr) || apiErr.Status != http.StatusConflict {
		t.Fatalf("bob's phone approving alice's push: %v, want 409", err)
	}
	if _, err := alices.Approve(e.ctx, c, number(t, p)); err != nil {
		t.Fatal(err)
	}
	for _, tg := range []factor.Target{
		{UserID: "alice", FlowID: "flow-2"},
		{UserID: "bob", FlowID: e.flow.FlowID},
	} {
		if _, err := e.f.FinishVerify(e.ctx, tg, factor.Answer{ChallengeID: p.ChallengeID}); !errors.Is(err, factor.ErrExpired) {
			t.Fatalf("FinishVerify for %+v of alice's approved push: %v, want ErrExpired", tg, err)
		}
	}
	// Still there for its own flow.
	if _, err := e.f.FinishVerify(e.ctx, e.flow, factor.Answer{ChallengeID: p.ChallengeID}); err != nil {
		t.Fatalf("FinishVerify for its own flow after the others failed: %v", err)
	}
}

// A push goes to the authenticators the target names, when it names any.
func TestPushGoesToTheNamedDevicesOnly(t *testing.T) {
	e := newEnv(t, envOptions{})
	one := e.phone(e.alice, "one")
	two := e.phone(e.alice, "two")
	tg := e.flow
	tg.Authenticators = []string{two.ID()}
	p := e.begin(tg)
	if cs, err := one.Next(e.ctx, 0); err != nil || len(cs) != 0 {
		t.Fatalf("the device not named sees %+v, %v", cs, err)
	}
	var apiErr *pushdevice.Error
	if _, err := one.Approve(e.ctx, pushdevice.Challenge{ID: p.ChallengeID}, number(t, p)); !errors.As(err, &apiErr) || apiErr.Status != http.StatusConflict {
		t.Fatalf("the device not named approving: %v, want 409", err)
	}
	if c := e.only(two); c.ID != p.ChallengeID {
		t.Fatalf("the named device got %s, want %s", c.ID, p.ChallengeID)
	}
	if _, err := e.f.BeginVerify(e.ctx, factor.Target{UserID: "alice", FlowID: "f", Authenticators: []string{"not-a-device"}}); !errors.Is(err, factor.ErrNotEnrolled) {
		t.Fatalf("BeginVerify naming no push device: %v, want ErrNotEnrolled", err)
	}
}

func TestNothingEnrolled(t *testing.T) {
	e := newEnv(t, envOptions{})
	if _, err := e.f.BeginVerify(e.ctx, e.flow); !errors.Is(err, factor.ErrNotEnrolled) {
		t.Fatalf("BeginVerify with no device: %v, want ErrNotEnrolled", err)
	}
}

// Answered, which the waiting page polls, changes nothing and says when
// the phone has answered; for another flow it is ErrExpired.
func TestAnsweredChangesNothing(t *testing.T) {
	e := newEnv(t, envOptions{})
	phone := e.phone(e.alice, "Alice's Pixel")
	p := e.begin(e.flow)
	for range 3 {
		if done, err := e.f.Answered(e.ctx, e.flow, p.ChallengeID); err != nil || done {
			t.Fatalf("Answered before the phone did: %v, %v", done, err)
		}
	}
	other := e.flow
	other.FlowID = "another flow"
	if _, err := e.f.Answered(e.ctx, other, p.ChallengeID); !errors.Is(err, factor.ErrExpired) {
		t.Fatalf("Answered for another flow: %v, want ErrExpired", err)
	}
	if _, err := phone.Approve(e.ctx, e.only(phone), number(t, p)); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if done, err := e.f.Answered(e.ctx, e.flow, p.ChallengeID); err != nil || !done {
			t.Fatalf("Answered after the approval: %v, %v", done, err)
		}
	}
	if _, err := e.f.FinishVerify(e.ctx, e.flow, factor.Answer{ChallengeID: p.ChallengeID}); err != nil {
		t.Fatalf("FinishVerify after Answered: %v", err)
	}
}
