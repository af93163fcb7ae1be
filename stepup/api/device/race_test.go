package device_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/factor/push"
	"github.com/stepup-auth/stepup/stepup/factor/push/pushdevice"
	"github.com/stepup-auth/stepup/stepup/store"
)

// Two devices answering one push at once, one approving and one denying,
// through two replicas: one answer wins, the other is 409, and the page
// sees the winner's.
func TestRacingAnswersOneWins(t *testing.T) {
	e := newEnv(t, envOptions{})
	one := e.phone(e.alice, "one")
	two := e.phone(e.alice, "two")
	for round := range 20 {
		flow := factor.Target{UserID: "alice", FlowID: "race-" + string(rune('a'+round))}
		p := e.begin(flow)
		c := e.only(one)
		states := make([]push.State, 2)
		errs := make([]error, 2)
		var wg sync.WaitGroup
		wg.Go(func() { states[0], errs[0] = one.Approve(e.ctx, c, number(t, p)) })
		wg.Go(func() { states[1], errs[1] = two.Deny(e.ctx, c) })
		wg.Wait()
		won := -1
		for i, err := range errs {
			var apiErr *pushdevice.Error
			switch {
			case err == nil && won >= 0:
				t.Fatalf("round %d: both answers won: %v", round, states)
			case err == nil:
				won = i
			case !errors.As(err, &apiErr) || apiErr.Status != http.StatusConflict:
				t.Fatalf("round %d: answer %d: %v, want 409", round, i, err)
			}
		}
		if won < 0 {
			t.Fatalf("round %d: no answer won", round)
		}
		_, err := e.f.FinishVerify(e.ctx, flow, factor.Answer{ChallengeID: p.ChallengeID})
		switch {
		case won == 0 && err != nil:
			t.Fatalf("round %d: the approval won but FinishVerify says %v", round, err)
		case won == 1 && !errors.Is(err, factor.ErrWrongAnswer):
			t.Fatalf("round %d: the deny won but FinishVerify says %v", round, err)
		}
		// A deny starts a cool-off; the next round starts after it.
		e.clock.Advance(e.f.Limits().Window)
	}
}

// Of pages polling an approved push at once, one gets the verification.
func TestRacingPollsOneVerifies(t *testing.T) {
	e := newEnv(t, envOptions{})
	phone := e.phone(e.alice, "phone")
	p := e.begin(e.flow)
	if _, err := phone.Approve(e.ctx, e.only(phone), number(t, p)); err != nil {
		t.Fatal(err)
	}
	replica := e.factor(envOptions{})
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			f := e.f
			if i%2 == 1 {
				f = replica
			}
			_, errs[i] = f.FinishVerify(e.ctx, e.flow, factor.Answer{ChallengeID: p.ChallengeID})
		})
	}
	wg.Wait()
	verified := 0
	for i, err := range errs {
		switch {
		case err == nil:
			verified++
		case !errors.Is(err, factor.ErrExpired):
			t.Errorf("poll %d: %v, want ErrExpired", i, err)
		}
	}
	if verified != 1 {
		t.Fatalf("%d polls verified, want 1", verified)
	}
}

// gate holds the first two updates of one challenge until both have
// arrived, so that two answers read the push before either writes: the
// race, every time.
type gate struct {
	store.Challenges
	mu   sync.Mutex
	id   string
	n    int
	both chan struct{}
}

func (g *gate) Update(ctx context.Context, c *store.Challenge) error {
	g.mu.Lock()
	hold := c.ID == g.id && g.n < 2
	if hold {
		if g.n++; g.n == 2 {
			close(g.both)
		}
	}
	g.mu.Unlock()
	if hold {
		select {
		case <-g.both:
		case <-time.After(5 * time.Second):
		}
	}
	return g.Challenges.Update(ctx, c)
}

// Two answers that both read the push before either is written: the
// store's compare-and-set lets one through.
func TestAnswersThatReadTogetherOneWins(t *testing.T) {
	g := &gate{both: make(chan struct{})}
	e := newEnv(t, envOptions{})
	f := e.factor(envOptions{challenges: func(c store.Challenges) store.Challenges { g.Challenges = c; return g }})
	one := e.phone(e.alice, "one")
	two := e.phone(e.alice, "two")
	p, err := f.BeginVerify(e.ctx, e.flow)
	if err != nil {
		t.Fatal(err)
	}
	g.mu.Lock()
	g.id = p.ChallengeID
	g.mu.Unlock()
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, phone := range []*pushdevice.Device{one, two} {
		wg.Go(func() {
			d, err := f.Device(e.ctx, phone.ID())
			if err != nil {
				errs[i] = err
				return
			}
			_, errs[i] = f.Answer(e.ctx, d, p.ChallengeID, push.Decision{Approve: i == 0, Number: number(t, p)})
		})
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, push.ErrNotPending):
			t.Fatalf("answer %d: %v, want ErrNotPending", i, err)
		}
	}
	if won != 1 {
		t.Fatalf("%d answers won, want 1", won)
	}
}
