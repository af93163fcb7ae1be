package device_test

import (
	"context"
	"errors"
	"github.com/stepup-auth/stepup/stepup/api/device"
	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/store"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/factor/push/pushdevice"
)

// One enrolled device, any self-registered user's, must not fill the
// memory of requests seen and so lock every other device out for ten
// minutes: its own requests past its share are refused, others' are not.
func TestOneDeviceCannotFillTheReplayMemoryForEveryone(t *testing.T) {
	e := newEnv(t, envOptions{replays: 1000})
	alice := e.phone(e.alice, "alice's")
	bob, _ := e.st.Users().Get(e.ctx, "bob")
	mallory := e.phone(bob, "bob's")
	// Bob's phone polls as fast as it can, each request new and signed.
	var err error
	for i := 0; i < 1000 && err == nil; i++ {
		_, err = mallory.Next(e.ctx, 0)
	}
	var he *pushdevice.Error
	if err == nil || !errors.As(err, &he) || he.Status != 429 {
		t.Errorf("a device sending a thousand requests in its window: %v, want its own 429 at some point", err)
	}
	if _, err := alice.Next(e.ctx, 0); err != nil {
		t.Fatalf("another user's phone, after one device flooded the API: %v", err)
	}
}

// hookedChallenges calls after once, after the first Update of a record
// whose id has prefix and whose data holds data.
type hookedChallenges struct {
	store.Challenges
	prefix, data string
	once         sync.Once
	after        func()
}

func (h *hookedChallenges) Update(ctx context.Context, c *store.Challenge) error {
	err := h.Challenges.Update(ctx, c)
	if strings.HasPrefix(c.ID, h.prefix) && strings.Contains(string(c.Data), h.data) {
		h.once.Do(h.after)
	}
	return err
}

// A deny must hold off the next push from its very instant: the
// attacker's page asking again and again must not slip a push in between
// the deny freeing the pending push and the cool-off starting.
func TestNoPushSlipsInBetweenADenyAndItsCoolOff(t *testing.T) {
	var e *env
	var slipped error
	hook := &hookedChallenges{prefix: "push-pending:"}
	hook.after = func() {
		_, slipped = e.f.BeginVerify(e.ctx, factor.Target{UserID: "alice", FlowID: "attacker"})
		if slipped == nil {
			slipped = errors.New("a push was sent")
		} else {
			slipped = nil
		}
	}
	e = newEnv(t, envOptions{challenges: func(c store.Challenges) store.Challenges { hook.Challenges = c; return hook }})
	phone := e.phone(e.alice, "phone")
	e.begin(e.flow)
	if _, err := phone.Deny(e.ctx, e.only(phone)); err != nil {
		t.Fatal(err)
	}
	if slipped != nil {
		t.Fatalf("a push asked for while the deny was recorded: %v, want refused by the cool-off", slipped)
	}
}

// The page's poll of an enrollment that lands between the device taking
// the token and its device being stored must say "not yet", not spend
// the enrollment and leave the device stored but never confirmed.
func TestEnrollmentPolledWhileTheDeviceIsStored(t *testing.T) {
	var e *env
	var p factor.Prompt
	target := factor.Target{UserID: "alice", FlowID: "enroll"}
	var polled error
	hook := &hookedChallenges{data: `"kind":"enroll"`}
	hook.after = func() {
		_, polled = e.f.FinishEnroll(e.ctx, e.alice, target, factor.Answer{ChallengeID: p.ChallengeID})
	}
	e = newEnv(t, envOptions{challenges: func(c store.Challenges) store.Challenges { hook.Challenges = c; return hook }})
	var err error
	if p, err = e.f.BeginEnroll(e.ctx, e.alice, target); err != nil {
		t.Fatal(err)
	}
	phone, err := pushdevice.New(pushdevice.Options{Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := phone.Enroll(e.ctx, p.URI, "phone", "ios"); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(polled, factor.ErrPending) {
		t.Errorf("the page's poll while the device was being stored: %v, want ErrPending", polled)
	}
	if _, err := e.f.FinishEnroll(e.ctx, e.alice, target, factor.Answer{ChallengeID: p.ChallengeID}); err != nil {
		t.Fatalf("the page's poll once the device is stored: %v", err)
	}
}

// One device holds a few long polls at a time, not as many as it can
// sign: each is a goroutine reading the store every Recheck.
func TestOneDeviceHoldsFewLongPolls(t *testing.T) {
	e := newEnv(t, envOptions{})
	phone := e.phone(e.alice, "phone")
	const n = 12
	var wg sync.WaitGroup
	var mu sync.Mutex
	refused := 0
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := phone.Next(e.ctx, 2*time.Second)
			var pe *pushdevice.Error
			if errors.As(err, &pe) && pe.Status == 429 {
				mu.Lock()
				refused++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if refused < n-device.DefaultMaxPolls {
		t.Fatalf("%d long polls of one device at once: %d refused, want all but %d", n, refused, device.DefaultMaxPolls)
	}
}
