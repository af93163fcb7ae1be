package device_test

import (
	"context"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/factor/push/pushdevice"
	"github.com/stepup-auth/stepup/stepup/store"
)

// watched tells when a push poller has read the store.
type watched struct {
	store.Challenges
	listed chan struct{}
}

func (w watched) ListByUser(ctx context.Context, userID string) ([]*store.Challenge, error) {
	out, err := w.Challenges.ListByUser(ctx, userID)
	select {
	case w.listed <- struct{}{}:
	default:
	}
	return out, err
}

type polled struct {
	got []pushdevice.Challenge
	err error
}

// poll starts a long poll of phone and returns where its answer arrives.
func poll(e *env, phone *pushdevice.Device, wait time.Duration) <-chan polled {
	out := make(chan polled, 1)
	go func() {
		got, err := phone.Next(e.ctx, wait)
		out <- polled{got, err}
	}()
	return out
}

// within waits at most d for a poll's answer.
func within(t *testing.T, ch <-chan polled, d time.Duration) polled {
	t.Helper()
	select {
	case p := <-ch:
		if p.err != nil {
			t.Fatalf("Next: %v", p.err)
		}
		return p
	case <-time.After(d):
		t.Fatalf("the long poll did not answer within %v", d)
	}
	return polled{}
}

// A push created in this process wakes the long poll at once, long before
// the poll would read the store again.
func TestLongPollWakesOnAPushOfThisProcess(t *testing.T) {
	listed := make(chan struct{}, 1)
	e := newEnv(t, envOptions{recheck: time.Hour, challenges: func(c store.Challenges) store.Challenges {
		return watched{c, listed}
	}})
	phone := e.phone(e.alice, "phone")
	answer := poll(e, phone, 25*time.Second)
	select {
	case <-listed: // the poll found nothing, and waits
	case <-time.After(5 * time.Second):
		t.Fatal("the long poll did not read the store")
	}
	p := e.begin(e.flow)
	if got := within(t, answer, 5*time.Second).got; len(got) != 1 || got[0].ID != p.ChallengeID {
		t.Fatalf("the long poll answered %+v, want push %s", got, p.ChallengeID)
	}
}

// A push created by another replica, whose process cannot wake this one's
// poll, is found by reading the store again.
func TestLongPollFindsAPushOfAnotherReplica(t *testing.T) {
	listed := make(chan struct{}, 1)
	e := newEnv(t, envOptions{recheck: 20 * time.Millisecond, challenges: func(c store.Challenges) store.Challenges {
		return watched{c, listed}
	}})
	phone := e.phone(e.alice, "phone")
	answer := poll(e, phone, 25*time.Second)
	select {
	case <-listed:
	case <-time.After(5 * time.Second):
		t.Fatal("the long poll did not read the store")
	}
	p, err := e.factor(envOptions{}).BeginVerify(e.ctx, e.flow)
	if err != nil {
		t.Fatal(err)
	}
	if got := within(t, answer, 5*time.Second).got; len(got) != 1 || got[0].ID != p.ChallengeID {
		t.Fatalf("the long poll answered %+v, want push %s", got, p.ChallengeID)
	}
}

// With nothing to send, the poll answers an empty list when its wait is
// over, not before and not much after.
func TestLongPollAnswersNothingAfterItsWait(t *testing.T) {
	e := newEnv(t, envOptions{recheck: 50 * time.Millisecond})
	phone := e.phone(e.alice, "phone")
	start := time.Now()
	got := within(t, poll(e, phone, time.Second), 10*time.Second).got
	if took := time.Since(start); len(got) != 0 || took < time.Second {
		t.Fatalf("the poll answered %+v after %v, want nothing after a second", got, took)
	}
}
