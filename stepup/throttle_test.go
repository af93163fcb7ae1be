package stepup

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/signals"
	"github.com/stepup-auth/stepup/stepup/store/conformance"
)

func newThrottle(p ThrottlePolicy) (*Throttle, *conformance.Clock) {
	clock := conformance.NewClock()
	return NewThrottle(p, clock.Now), clock
}

// retryAfter returns how long Begin says to wait, 0 if it admits the
// attempt, and fails on any other answer.
func retryAfter(t *testing.T, th *Throttle, account, ip string) time.Duration {
	t.Helper()
	err := th.Begin(account, ip)
	var te *ThrottledError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &te):
		if te.RetryAfter <= 0 {
			t.Fatalf("throttled with RetryAfter %v", te.RetryAfter)
		}
		return te.RetryAfter
	}
	t.Fatalf("Begin(%q, %q) = %v", account, ip, err)
	return 0
}

func TestThrottleDelaysGrowAfterFiveFailures(t *testing.T) {
	th, clock := newThrottle(ThrottlePolicy{})
	for i := range 5 {
		if d := retryAfter(t, th, "alice", ""); d != 0 {
			t.Fatalf("failure %d throttled for %v; the first five are free", i+1, d)
		}
	}
	// 1s, 2s, 4s … 512s, then the 15-minute cap.
	var want []time.Duration
	for d := time.Second; d < 15*time.Minute; d *= 2 {
		want = append(want, d)
	}
	want = append(want, 15*time.Minute, 15*time.Minute)
	for _, w := range want {
		if d := retryAfter(t, th, "alice", ""); d != w {
			t.Fatalf("wait %v, want %v", d, w)
		}
		clock.Advance(w - time.Millisecond)
		if d := retryAfter(t, th, "alice", ""); d != time.Millisecond {
			t.Fatalf("a millisecond early: wait %v", d)
		}
		clock.Advance(time.Millisecond)
		if d := retryAfter(t, th, "alice", ""); d != 0 {
			t.Fatalf("after waiting %v: still throttled for %v", w, d)
		}
	}
	// Other accounts are not affected.
	if d := retryAfter(t, th, "bob", ""); d != 0 {
		t.Fatalf("bob throttled for %v", d)
	}
	// The delays stay at the cap, far beyond where a shift would
	// overflow.
	for range 80 {
		clock.Advance(time.Hour)
		if d := retryAfter(t, th, "alice", ""); d != 0 {
			t.Fatalf("an hour after the last failure: wait %v", d)
		}
	}
	if d := retryAfter(t, th, "alice", ""); d != 15*time.Minute {
		t.Fatalf("after 97 failures: wait %v, want 15m", d)
	}
}

func TestThrottleSuccessResetsTheAccount(t *testing.T) {
	th, _ := newThrottle(ThrottlePolicy{})
	for range 4 {
		retryAfter(t, th, "alice", "")
	}
	if d := retryAfter(t, th, "alice", ""); d != 0 {
		t.Fatalf("fifth attempt throttled for %v", d)
	}
	th.Succeeded("alice", "")
	for i := range 5 {
		if d := retryAfter(t, th, "alice", ""); d != 0 {
			t.Fatalf("after a success, failure %d throttled for %v", i+1, d)
		}
	}
	if d := retryAfter(t, th, "alice", ""); d == 0 {
		t.Fatal("six failures after the success and no delay")
	}
}

func TestThrottleLocksAfterAHundredFailures(t *testing.T) {
	th, clock := newThrottle(ThrottlePolicy{})
	for i := range 100 {
		if d := retryAfter(t, th, "alice", ""); d != 0 {
			t.Fatalf("attempt %d throttled for %v after waiting out every delay", i+1, d)
		}
		clock.Advance(15 * time.Minute)
	}
	clock.Advance(30 * 24 * time.Hour)
	if err := th.Begin("alice", ""); !errors.Is(err, ErrAccountLocked) {
		t.Fatalf("attempt 101, a month later: %v", err)
	}
	// Successes of other accounts do not unlock it; only Unlock does.
	th.Succeeded("bob", "")
	if err := th.Begin("alice", ""); !errors.Is(err, ErrAccountLocked) {
		t.Fatalf("after another account's success: %v", err)
	}
	th.Unlock("alice")
	if err := th.Begin("alice", ""); err != nil {
		t.Fatalf("after Unlock: %v", err)
	}
}

// The hundredth attempt may have the right password: it resets the
// account instead of leaving it locked.
func TestThrottleHundredthAttemptCanSucceed(t *testing.T) {
	th, clock := newThrottle(ThrottlePolicy{})
	for range 100 {
		retryAfter(t, th, "alice", "")
		clock.Advance(15 * time.Minute)
	}
	th.Succeeded("alice", "")
	if err := th.Begin("alice", ""); err != nil {
		t.Fatalf("after the hundredth attempt succeeded: %v", err)
	}
}

func TestThrottleAddressWindowSlides(t *testing.T) {
	th, clock := newThrottle(ThrottlePolicy{})
	start := clock.Now()
	for i := range 20 {
		// Twenty accounts, so only the address limit can bite.
		if d := retryAfter(t, th, fmt.Sprint("user", i), "192.0.2.7"); d != 0 {
			t.Fatalf("failure %d from the address throttled for %v", i+1, d)
		}
		clock.Advance(2 * time.Second)
	}
	// 40 s after the first failure: it leaves the window at 60 s.
	if d := retryAfter(t, th, "someone", "192.0.2.7"); d != 20*time.Second {
		t.Fatalf("21st failure in a minute: wait %v, want 20s", d)
	}
	if d := retryAfter(t, th, "someone", "192.0.2.8"); d != 0 {
		t.Fatalf("another address throttled for %v", d)
	}
	// Refused attempts do not count: once the oldest failure leaves the
	// window, exactly one more is admitted.
	clock.Advance(start.Add(time.Minute).Sub(clock.Now()))
	if d := retryAfter(t, th, "someone", "192.0.2.7"); d != 0 {
		t.Fatalf("after the first failure left the window: %v", d)
	}
	if d := retryAfter(t, th, "someone-else", "192.0.2.7"); d != 2*time.Second {
		t.Fatalf("wait %v, want 2s until the second failure leaves", d)
	}
}

func TestThrottleSuccessDoesNotCountAgainstTheAddress(t *testing.T) {
	th, _ := newThrottle(ThrottlePolicy{})
	for i := range 100 {
		account := fmt.Sprint("user", i)
		if d := retryAfter(t, th, account, "192.0.2.7"); d != 0 {
			t.Fatalf("sign-in %d throttled for %v though all succeeded", i+1, d)
		}
		th.Succeeded(account, "192.0.2.7")
	}
}

func TestThrottleCountsIPv6PerSlash64(t *testing.T) {
	th, _ := newThrottle(ThrottlePolicy{IPFailures: 2})
	retryAfter(t, th, "a", "2001:db8::1")
	retryAfter(t, th, "b", "2001:db8::ffff:2")
	if d := retryAfter(t, th, "c", "2001:db8::3"); d == 0 {
		t.Fatal("a third failure from the same /64 was admitted")
	}
	if d := retryAfter(t, th, "c", "2001:db8:0:1::3"); d != 0 {
		t.Fatalf("another /64 throttled for %v", d)
	}
	retryAfter(t, th, "a", "198.51.100.1")
	retryAfter(t, th, "b", "::ffff:198.51.100.1")
	if d := retryAfter(t, th, "c", "198.51.100.1"); d == 0 {
		t.Fatal("an IPv4-mapped address counted apart from its IPv4 address")
	}
}

func TestIPKey(t *testing.T) {
	for in, want := range map[string]string{
		"":                        "",
		"192.0.2.1":               "192.0.2.1",
		"::ffff:192.0.2.1":        "192.0.2.1",
		"2001:db8:1:2:3:4:5:6":    "2001:db8:1:2::/64",
		"fe80::1%eth0":            "fe80::/64",
		"not an address":          "not an address",
		"2001:db8::1:2:3:4:5:6:7": "2001:db8::1:2:3:4:5:6:7", // too long: not parsed
	} {
		if got := signals.AddressKey(in); got != want {
			t.Errorf("AddressKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestThrottleMemoryIsBounded(t *testing.T) {
	th, clock := newThrottle(ThrottlePolicy{MaxAccounts: 50, MaxAddresses: 20, LockAfter: 2})
	for i := range 1000 {
		account, ip := fmt.Sprint("user", i), fmt.Sprintf("10.0.%d.%d", i/256, i%256)
		retryAfter(t, th, account, ip)
		retryAfter(t, th, account, ip)
		if err := th.Begin(account, ip); !errors.Is(err, ErrAccountLocked) {
			t.Fatalf("third attempt with LockAfter 2: %v", err)
		}
		clock.Advance(time.Second)
	}
	if n := th.accounts.len(); n > 50 {
		t.Errorf("%d account counters kept, bound 50", n)
	}
	if n := th.locked.len(); n != 50 {
		t.Errorf("%d locks kept, want the bound, 50", n)
	}
	if n := th.ips.len(); n != 20 {
		t.Errorf("%d address windows kept, want the bound, 20", n)
	}
	// The most recent lock is among those kept.
	if err := th.Begin("user999", ""); !errors.Is(err, ErrAccountLocked) {
		t.Errorf("the newest lock was dropped: %v", err)
	}
}

// Parallel guesses cannot all slip in before the first one fails: each
// admitted attempt counts at once.
func TestThrottleParallelGuesses(t *testing.T) {
	th, _ := newThrottle(ThrottlePolicy{})
	var admitted atomic.Int32
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			if th.Begin("alice", "") == nil {
				admitted.Add(1)
			}
		})
	}
	wg.Wait()
	if n := admitted.Load(); n != 5 {
		t.Fatalf("%d of 64 parallel guesses admitted, want the 5 free ones", n)
	}
}

func TestThrottledErrorMessage(t *testing.T) {
	err := error(&ThrottledError{RetryAfter: 4 * time.Second})
	if got := err.Error(); got != "stepup: too many attempts; retry in 4s" {
		t.Fatalf("Error() = %q", got)
	}
}
