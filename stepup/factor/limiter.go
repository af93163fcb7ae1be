package factor

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/store"
)

// ErrLocked means the account failed LockAfter verifications in a row and
// takes no more until an operator unlocks it.
var ErrLocked = errors.New("factor: account locked after too many failed verifications")

// WaitError says a verification was refused before anything was checked:
// the method failed too often lately, and the user must wait.
type WaitError struct {
	RetryAfter time.Duration
}

func (e *WaitError) Error() string {
	return fmt.Sprintf("factor: too many failed attempts; retry in %s", e.RetryAfter)
}

// LimitPolicy bounds failed verifications, after NIST SP 800-63B §5.2.2.
// A zero field takes its value from DefaultLimitPolicy.
type LimitPolicy struct {
	// FreeFailures is how many failures of one method in a row cost
	// nothing; after each further one the user waits FirstDelay, doubled
	// per failure, up to MaxDelay.
	FreeFailures int
	FirstDelay   time.Duration
	MaxDelay     time.Duration
	// LockAfter is how many failures in a row, of all methods together,
	// lock the account.
	LockAfter int
}

// DefaultLimitPolicy allows five failures of a method, then waits from
// 30 seconds (one TOTP step) doubling to 15 minutes, and locks the account
// at 100 failures in a row: NIST's ceiling. Reaching it takes an attacker
// about a day, and gives a six-digit code about one chance in ten thousand.
func DefaultLimitPolicy() LimitPolicy {
	return LimitPolicy{FreeFailures: 5, FirstDelay: 30 * time.Second, MaxDelay: 15 * time.Minute, LockAfter: 100}
}

func (p LimitPolicy) withDefaults() LimitPolicy {
	d := DefaultLimitPolicy()
	if p.FreeFailures <= 0 {
		p.FreeFailures = d.FreeFailures
	}
	if p.FirstDelay <= 0 {
		p.FirstDelay = d.FirstDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = d.MaxDelay
	}
	if p.LockAfter <= 0 {
		p.LockAfter = d.LockAfter
	}
	return p
}

// Limiter bounds failed verifications per user. Its counters live in the
// user record (store.User.Failures), so they hold across restarts and
// across replicas sharing a store.
//
// Each attempt counts as a failure from the moment it is admitted (Begin)
// until it succeeds: of many guesses sent at once, each is counted before
// it is checked, so none slips past the limits.
type Limiter struct {
	users  store.Users
	policy LimitPolicy
	now    func() time.Time
}

// NewLimiter returns a limiter over users; now defaults to time.Now.
func NewLimiter(users store.Users, p LimitPolicy, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{users: users, policy: p.withDefaults(), now: now}
}

// Begin admits one attempt of method m by the user, counting it as a
// failure, or refuses it with ErrLocked or a *WaitError.
func (l *Limiter) Begin(ctx context.Context, userID string, m acr.Method) error {
	return l.change(ctx, userID, func(f *store.Failures, now time.Time) error {
		if f.Consecutive >= l.policy.LockAfter {
			return ErrLocked
		}
		mf := f.ByMethod[m]
		if wait := l.wait(mf, now); wait > 0 {
			return &WaitError{RetryAfter: wait}
		}
		mf.Count++
		mf.Last = now
		if f.ByMethod == nil {
			f.ByMethod = map[acr.Method]store.MethodFailures{}
		}
		f.ByMethod[m] = mf
		f.Consecutive++
		if f.Consecutive == l.policy.LockAfter {
			// The last attempt the account takes: unless it succeeds,
			// the account is locked from now.
			f.LockedAt = now
		}
		return nil
	})
}

// wait is how long method failures mf still make the user wait at now.
func (l *Limiter) wait(mf store.MethodFailures, now time.Time) time.Duration {
	over := mf.Count - l.policy.FreeFailures
	if over < 0 {
		return 0
	}
	delay := l.policy.FirstDelay
	for range over {
		if delay >= l.policy.MaxDelay {
			break
		}
		delay *= 2
	}
	delay = min(delay, l.policy.MaxDelay)
	return mf.Last.Add(delay).Sub(now)
}

// Succeeded records that the attempt Begin admitted succeeded: the
// method's count and the account's run of failures start again.
func (l *Limiter) Succeeded(ctx context.Context, userID string, m acr.Method) error {
	return l.change(ctx, userID, func(f *store.Failures, _ time.Time) error {
		delete(f.ByMethod, m)
		f.Consecutive = 0
		f.LockedAt = time.Time{}
		return nil
	})
}

// Abandon takes back an attempt Begin admitted that checked nothing (its
// challenge had expired, its answer could not be read).
func (l *Limiter) Abandon(ctx context.Context, userID string, m acr.Method) error {
	return l.change(ctx, userID, func(f *store.Failures, _ time.Time) error {
		if mf, ok := f.ByMethod[m]; ok && mf.Count > 0 {
			mf.Count--
			f.ByMethod[m] = mf
		}
		if f.Consecutive > 0 {
			f.Consecutive--
			f.LockedAt = time.Time{}
		}
		return nil
	})
}

// Unlock clears a user's failures and lock: an operator's act.
func (l *Limiter) Unlock(ctx context.Context, userID string) error {
	return l.change(ctx, userID, func(f *store.Failures, _ time.Time) error {
		*f = store.Failures{}
		return nil
	})
}

// Failures returns the user's failure counters as stored.
func (l *Limiter) Failures(ctx context.Context, userID string) (store.Failures, error) {
	u, err := l.users.Get(ctx, userID)
	if err != nil {
		return store.Failures{}, fmt.Errorf("factor: failures of user %s: %w", userID, err)
	}
	return u.Failures, nil
}

// change applies fn to the user's failures with a compare-and-set,
// retrying when another request changed the user in between. An error of
// fn is returned as is, with nothing written.
func (l *Limiter) change(ctx context.Context, userID string, fn func(*store.Failures, time.Time) error) error {
	for range 16 {
		u, err := l.users.Get(ctx, userID)
		if err != nil {
			return fmt.Errorf("factor: failures of user %s: %w", userID, err)
		}
		if err := fn(&u.Failures, l.now()); err != nil {
			return err
		}
		switch err := l.users.Update(ctx, u); {
		case err == nil:
			return nil
		case !errors.Is(err, store.ErrConflict):
			return fmt.Errorf("factor: failures of user %s: %w", userID, err)
		}
	}
	return fmt.Errorf("factor: failures of user %s keep changing: %w", userID, store.ErrConflict)
}

// Verify runs one verification under the limiter: it admits the attempt,
// lets f check the answer, and records the outcome. An answer that was
// checked and is wrong stays counted; one that checked nothing (an
// expired challenge, an unreadable answer, a fault) is taken back.
func (l *Limiter) Verify(ctx context.Context, f Factor, t Target, a Answer) (Result, error) {
	m := f.Method()
	if err := l.Begin(ctx, t.UserID, m); err != nil {
		return Result{}, err
	}
	res, err := f.FinishVerify(ctx, t, a)
	switch {
	case err == nil:
		if serr := l.Succeeded(ctx, t.UserID, m); serr != nil {
			return Result{}, serr
		}
		return res, nil
	case errors.Is(err, ErrWrongAnswer):
		return Result{}, err
	}
	if aerr := l.Abandon(ctx, t.UserID, m); aerr != nil {
		return Result{}, errors.Join(err, aerr)
	}
	return Result{}, err
}
