package factor_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/store"
	"github.com/stepup-auth/stepup/stepup/store/memdb"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newLimiter(t *testing.T, dir string, c *clock, p factor.LimitPolicy) (*factor.Limiter, store.Store) {
	t.Helper()
	st, err := memdb.Open(memdb.Options{Dir: dir, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return factor.NewLimiter(st.Users(), p, c.now), st
}

func setupLimiter(t *testing.T, p factor.LimitPolicy) (*factor.Limiter, *clock) {
	c := &clock{time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)}
	l, st := newLimiter(t, t.TempDir(), c, p)
	if err := st.Users().Create(context.Background(), &store.User{ID: "u1", Username: "alice"}); err != nil {
		t.Fatal(err)
	}
	return l, c
}

// fail records n failed attempts of m.
func fail(t *testing.T, l *factor.Limiter, m acr.Method, n int) {
	t.Helper()
	for i := range n {
		if err := l.Begin(context.Background(), "u1", m); err != nil {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
}

func waitOf(t *testing.T, err error) time.Duration {
	t.Helper()
	var w *factor.WaitError
	if !errors.As(err, &w) {
		t.Fatalf("got %v, want a *WaitError", err)
	}
	return w.RetryAfter
}

func TestLimiterDelaysAfterFreeFailures(t *testing.T) {
	ctx := context.Background()
	l, c := setupLimiter(t, factor.LimitPolicy{FreeFailures: 5, FirstDelay: 30 * time.Second, MaxDelay: 2 * time.Minute})
	fail(t, l, acr.TOTP, 5)
	if got := waitOf(t, l.Begin(ctx, "u1", acr.TOTP)); got != 30*time.Second {
		t.Fatalf("after 5 failures the wait is %s, want 30s", got)
	}
	// Another method has its own count.
	if err := l.Begin(ctx, "u1", acr.RecoveryCode); err != nil {
		t.Fatalf("another method after 5 TOTP failures: %v", err)
	}
	c.advance(30 * time.Second)
	fail(t, l, acr.TOTP, 1)
	if got := waitOf(t, l.Begin(ctx, "u1", acr.TOTP)); got != time.Minute {
		t.Fatalf("after 6 failures the wait is %s, want 1m", got)
	}
	for range 3 {
		c.advance(2 * time.Minute)
		fail(t, l, acr.TOTP, 1)
	}
	if got := waitOf(t, l.Begin(ctx, "u1", acr.TOTP)); got != 2*time.Minute {
		t.Fatalf("the wait grows to %s, want at most MaxDelay 2m", got)
	}
}

func TestLimiterSuccessStartsAgain(t *testing.T) {
	ctx := context.Background()
	l, _ := setupLimiter(t, factor.LimitPolicy{FreeFailures: 3})
	fail(t, l, acr.TOTP, 2)
	fail(t, l, acr.Passkey, 1)
	if err := l.Succeeded(ctx, "u1", acr.Passkey); err != nil {
		t.Fatal(err)
	}
	f, err := l.Failures(ctx, "u1")
	if err != nil {
		t.Fatal(err)
	}
	if f.Consecutive != 0 || f.ByMethod[acr.Passkey].Count != 0 {
		t.Errorf("after a success: %+v, want no run of failures and no passkey failures", f)
	}
	// Another method's count is its own: a success of one factor does not
	// buy another factor more guesses.
	if f.ByMethod[acr.TOTP].Count != 2 {
		t.Errorf("TOTP failures after a passkey success = %d, want 2", f.ByMethod[acr.TOTP].Count)
	}
}

func TestLimiterLocksAfterConsecutiveFailures(t *testing.T) {
	ctx := context.Background()
	policy := factor.LimitPolicy{FreeFailures: 1000, LockAfter: 100}
	l, c := setupLimiter(t, policy)
	// Spread over methods, the failures still run up one count.
	fail(t, l, acr.TOTP, 50)
	fail(t, l, acr.RecoveryCode, 50)
	if err := l.Begin(ctx, "u1", acr.Passkey); !errors.Is(err, factor.ErrLocked) {
		t.Fatalf("attempt 101: %v, want ErrLocked", err)
	}
	c.advance(24 * time.Hour)
	if err := l.Begin(ctx, "u1", acr.TOTP); !errors.Is(err, factor.ErrLocked) {
		t.Fatalf("a day later: %v, want ErrLocked: a lock does not time out", err)
	}
	if err := l.Unlock(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if err := l.Begin(ctx, "u1", acr.TOTP); err != nil {
		t.Fatalf("after Unlock: %v", err)
	}
}

func TestLimiterLastAttemptMaySucceed(t *testing.T) {
	ctx := context.Background()
	l, _ := setupLimiter(t, factor.LimitPolicy{FreeFailures: 1000, LockAfter: 10})
	fail(t, l, acr.TOTP, 10)
	if err := l.Succeeded(ctx, "u1", acr.TOTP); err != nil {
		t.Fatal(err)
	}
	if err := l.Begin(ctx, "u1", acr.TOTP); err != nil {
		t.Fatalf("after the last allowed attempt succeeded: %v", err)
	}
}

func TestLimiterAbandonTakesBack(t *testing.T) {
	ctx := context.Background()
	l, _ := setupLimiter(t, factor.LimitPolicy{FreeFailures: 2, LockAfter: 2})
	fail(t, l, acr.TOTP, 1)
	if err := l.Abandon(ctx, "u1", acr.TOTP); err != nil {
		t.Fatal(err)
	}
	fail(t, l, acr.TOTP, 2) // neither a free failure nor the lock's count was spent
	if err := l.Begin(ctx, "u1", acr.TOTP); !errors.Is(err, factor.ErrLocked) {
		t.Fatalf("third attempt: %v, want ErrLocked", err)
	}
}

func TestLimiterCountersSurviveRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	c := &clock{time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)}
	policy := factor.LimitPolicy{FreeFailures: 2, FirstDelay: time.Minute}
	l, st := newLimiter(t, dir, c, policy)
	if err := st.Users().Create(ctx, &store.User{ID: "u1", Username: "alice"}); err != nil {
		t.Fatal(err)
	}
	fail(t, l, acr.TOTP, 2)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	l, _ = newLimiter(t, dir, c, policy)
	if got := waitOf(t, l.Begin(ctx, "u1", acr.TOTP)); got != time.Minute {
		t.Fatalf("after a restart the wait is %s, want 1m", got)
	}
}

func TestLimiterCountsConcurrentAttempts(t *testing.T) {
	ctx := context.Background()
	l, _ := setupLimiter(t, factor.LimitPolicy{FreeFailures: 5})
	var wg sync.WaitGroup
	var mu sync.Mutex
	admitted := 0
	for range 20 {
		wg.Go(func() {
			if l.Begin(ctx, "u1", acr.TOTP) == nil {
				mu.Lock()
				admitted++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if admitted != 5 {
		t.Fatalf("%d of 20 concurrent guesses were admitted, want the 5 free ones", admitted)
	}
}
