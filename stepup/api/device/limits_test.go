package device_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/factor"
)

// wantWait fails the test unless err is a *factor.WaitError of d.
func wantWait(t *testing.T, what string, err error, d time.Duration) {
	t.Helper()
	var wait *factor.WaitError
	if !errors.As(err, &wait) {
		t.Fatalf("%s: %v, want a WaitError", what, err)
	}
	if wait.RetryAfter != d {
		t.Fatalf("%s: RetryAfter %v, want %v", what, wait.RetryAfter, d)
	}
}

// Push bombing: the fourth push in ten minutes is refused, until the
// first leaves the window, and the count is the store's, so another
// replica refuses it too.
func TestFourthPushInTheWindowIsRefused(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.phone(e.alice, "phone")
	for i := range 3 {
		// Each waits its two minutes unanswered: the attacker's pushes
		// the user ignores.
		e.begin(factor.Target{UserID: "alice", FlowID: fmt.Sprint("attack-", i)})
		e.clock.Advance(2 * time.Minute)
	}
	_, err := e.f.BeginVerify(e.ctx, factor.Target{UserID: "alice", FlowID: "attack-3"})
	wantWait(t, "the fourth push in ten minutes", err, 4*time.Minute)
	replica := e.factor(envOptions{})
	_, err = replica.BeginVerify(e.ctx, factor.Target{UserID: "alice", FlowID: "attack-3"})
	wantWait(t, "the fourth push, on another replica", err, 4*time.Minute)
	// Bob is not alice.
	bob, _ := e.st.Users().Get(e.ctx, "bob")
	e.phone(bob, "bob's")
	e.begin(factor.Target{UserID: "bob", FlowID: "bob's flow"})

	e.clock.Advance(4*time.Minute - time.Second)
	_, err = e.f.BeginVerify(e.ctx, factor.Target{UserID: "alice", FlowID: "attack-3"})
	wantWait(t, "the fourth push a second before the first leaves the window", err, time.Second)
	e.clock.Advance(time.Second)
	e.begin(factor.Target{UserID: "alice", FlowID: "attack-3"})
}

// One push waits at a time: another flow waits for it, while the same
// flow, a page reloaded, gets it again without a second notification.
func TestOnePushWaitsAtATime(t *testing.T) {
	e := newEnv(t, envOptions{})
	phone := e.phone(e.alice, "phone")
	p := e.begin(e.flow)
	e.clock.Advance(30 * time.Second)
	_, err := e.f.BeginVerify(e.ctx, factor.Target{UserID: "alice", FlowID: "another flow"})
	wantWait(t, "a push while another waits", err, 90*time.Second)
	again := e.begin(e.flow)
	if again.ChallengeID != p.ChallengeID || again.Display != p.Display {
		t.Fatalf("the same flow again got %+v, want %+v", again, p)
	}
	// An answered push frees the way at once.
	if _, err := phone.Approve(e.ctx, e.only(phone), number(t, p)); err != nil {
		t.Fatal(err)
	}
	e.begin(factor.Target{UserID: "alice", FlowID: "another flow"})
}

// Of many pushes started at once, for as many flows, one is sent: the
// store's compare-and-set decides, not a read and a write.
func TestConcurrentPushesSendOne(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.phone(e.alice, "phone")
	replica := e.factor(envOptions{})
	const n = 16
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			f := e.f
			if i%2 == 1 {
				f = replica
			}
			_, errs[i] = f.BeginVerify(e.ctx, factor.Target{UserID: "alice", FlowID: fmt.Sprint("flow-", i)})
		})
	}
	wg.Wait()
	sent := 0
	for i, err := range errs {
		var wait *factor.WaitError
		switch {
		case err == nil:
			sent++
		case !errors.As(err, &wait):
			t.Errorf("push %d: %v", i, err)
		}
	}
	if sent != 1 {
		t.Fatalf("%d pushes sent at once, want 1", sent)
	}
}

// After a deny, or an approval with the wrong number, no push is sent for
// five minutes: the user said no, or chose blindly.
func TestNoPushForAWhileAfterADenyOrAWrongNumber(t *testing.T) {
	for _, answer := range []string{"deny", "wrong number"} {
		t.Run(answer, func(t *testing.T) {
			e := newEnv(t, envOptions{})
			phone := e.phone(e.alice, "phone")
			p := e.begin(e.flow)
			c := e.only(phone)
			var err error
			if answer == "deny" {
				_, err = phone.Deny(e.ctx, c)
			} else {
				_, err = phone.Approve(e.ctx, c, other(t, c, number(t, p)))
			}
			if err != nil {
				t.Fatal(err)
			}
			e.clock.Advance(time.Minute)
			_, err = e.f.BeginVerify(e.ctx, factor.Target{UserID: "alice", FlowID: "next"})
			wantWait(t, "a push a minute after a "+answer, err, 4*time.Minute)
			e.clock.Advance(4 * time.Minute)
			e.begin(factor.Target{UserID: "alice", FlowID: "next"})
		})
	}
}
