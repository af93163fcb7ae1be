package push

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/store"
)

// BeginVerify sends a push to t.UserID's devices (those of
// t.Authenticators, when set) and returns the challenge the page polls,
// with the number it shows as Display. It refuses with a
// *factor.WaitError when the limits say no, and ErrNotEnrolled when the
// user has no device. A page that asks again for the same flow while its
// push waits gets that push again, not a new one.
func (f *Factor) BeginVerify(ctx context.Context, t factor.Target) (factor.Prompt, error) {
	auths, err := f.enrolled(ctx, t.UserID, t.Authenticators)
	if err != nil {
		return factor.Prompt{}, err
	}
	if len(auths) == 0 {
		return factor.Prompt{}, fmt.Errorf("push: user %s: %w", t.UserID, factor.ErrNotEnrolled)
	}
	id, err := f.newID()
	if err != nil {
		return factor.Prompt{}, err
	}
	now := f.now()
	same, err := f.admit(ctx, t, id, now)
	if err != nil {
		return factor.Prompt{}, err
	}
	if same != nil {
		r, _ := decode(same, kindPush)
		return factor.Prompt{ChallengeID: same.ID, Display: display(r.Number)}, nil
	}
	number, offered, err := pickNumbers(f.rand)
	if err != nil {
		f.release(ctx, t.UserID, id)
		return factor.Prompt{}, err
	}
	r := &record{Kind: kindPush, State: StatePending, Number: number, Choices: offered}
	for _, a := range auths {
		r.Authenticators = append(r.Authenticators, a.ID)
	}
	c := &store.Challenge{
		ID: id, Method: acr.Push, UserID: t.UserID, FlowID: t.FlowID, Data: r.encode(),
		MaxAttempts: 1, CreatedAt: now, ExpiresAt: now.Add(f.limits.TTL),
	}
	if err := f.challenges.Create(ctx, c); err != nil {
		f.release(ctx, t.UserID, id)
		return factor.Prompt{}, fmt.Errorf("push: user %s: %w", t.UserID, err)
	}
	f.hub.wake(t.UserID)
	f.notify(ctx, Notification{
		ChallengeID: id, UserID: t.UserID, Authenticators: r.Authenticators,
		Created: now.UTC(), Expires: c.ExpiresAt.UTC(),
	})
	return factor.Prompt{ChallengeID: id, Display: display(number)}, nil
}

// display is the number as the page shows it.
func display(n int) string { return strconv.Itoa(n) }

// notify tells the operator's notifier of a push. A failure is logged, not
// returned: the push is stored and the device's long poll finds it, so a
// webhook that is down costs the user a wake-up, not the sign-in.
func (f *Factor) notify(ctx context.Context, n Notification) {
	if f.notifier == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), notifyTimeout)
	defer cancel()
	if err := f.notifier.Notify(ctx, n); err != nil {
		f.log.WarnContext(ctx, "push: the operator's notifier failed; devices still find the push by polling",
			"push", n.ChallengeID, "user", n.UserID, "err", err)
	}
}

// FinishVerify tells the page how push a.ChallengeID of t stands:
// ErrPending while it waits; ErrWrongAnswer, once, when it was denied or
// approved with the wrong number; ErrExpired when it is gone, spent, or
// not t's. An approval with the right number consumes the push and
// returns the device's verification.
func (f *Factor) FinishVerify(ctx context.Context, t factor.Target, a factor.Answer) (factor.Result, error) {
	c, r, err := f.push(ctx, t, a.ChallengeID)
	if err != nil {
		return factor.Result{}, err
	}
	switch r.State {
	case StatePending:
		return factor.Result{}, fmt.Errorf("push: %q: %w", c.ID, factor.ErrPending)
	case StateDenied, StateWrongNumber:
		return factor.Result{}, f.spend(ctx, c, r)
	case StateApproved:
		return f.approved(ctx, c)
	}
	return factor.Result{}, fmt.Errorf("push: %q was answered already: %w", c.ID, factor.ErrExpired)
}

// push reads push id for t: ErrExpired, wrapped, if it is not one.
func (f *Factor) push(ctx context.Context, t factor.Target, id string) (*store.Challenge, *record, error) {
	c, err := f.challenges.Get(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, nil, fmt.Errorf("push: %q: %w", id, factor.ErrExpired)
	case err != nil:
		return nil, nil, fmt.Errorf("push: %q: %w", id, err)
	}
	r, ok := decode(c, kindPush)
	// An id alone proves nothing: it may have leaked from another flow or
	// been sent to someone else.
	if !ok || c.Method != acr.Push || c.UserID != t.UserID || c.FlowID != t.FlowID {
		return nil, nil, fmt.Errorf("push: %q is not a push of user %s in this flow: %w", id, t.UserID, factor.ErrExpired)
	}
	return c, r, nil
}

// spend marks a denied or wrong push as told, so that it fails once and
// then is spent, and makes sure the cool-off holds.
func (f *Factor) spend(ctx context.Context, c *store.Challenge, r *record) error {
	was := r.State
	r.State = stateSpent
	c.Data = r.encode()
	switch err := f.challenges.Update(ctx, c); {
	case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("push: %q was answered already: %w", c.ID, factor.ErrExpired)
	case err != nil:
		return fmt.Errorf("push: %q: %w", c.ID, err)
	}
	// The device's answer started the cool-off; if that failed, this
	// starts it, from the same instant.
	if err := f.coolOff(ctx, c.UserID, c.FlowID, r.AnsweredAt); err != nil {
		f.log.WarnContext(ctx, "push: the cool-off after a refused push could not be kept", "push", c.ID, "err", err)
	}
	return fmt.Errorf("push: %q was %s: %w", c.ID, was, factor.ErrWrongAnswer)
}

// approved consumes an approved push and returns the verification of the
// device that approved it.
func (f *Factor) approved(ctx context.Context, c *store.Challenge) (factor.Result, error) {
	// Of two polls racing, only the one that consumes the push verifies.
	got, err := f.challenges.Consume(ctx, c.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return factor.Result{}, fmt.Errorf("push: %q: %w", c.ID, factor.ErrExpired)
	case err != nil:
		return factor.Result{}, fmt.Errorf("push: %q: %w", c.ID, err)
	}
	r, ok := decode(got, kindPush)
	if !ok || r.State != StateApproved {
		// Changed between the read and the consume: only an answer does
		// that, and a push is answered once, so this is not an approval.
		return factor.Result{}, fmt.Errorf("push: %q is no longer approved: %w", c.ID, factor.ErrExpired)
	}
	auth, err := f.auths.Get(ctx, r.Authenticator)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return factor.Result{}, fmt.Errorf("push: the device that approved %q is gone: %w", c.ID, factor.ErrExpired)
	case err != nil:
		return factor.Result{}, fmt.Errorf("push: %q: %w", c.ID, err)
	}
	if auth.UserID != got.UserID || auth.Method != acr.Push || !auth.Verified {
		return factor.Result{}, fmt.Errorf("push: the device that approved %q is not the user's: %w", c.ID, factor.ErrExpired)
	}
	now := f.now()
	f.touch(ctx, auth, now)
	return factor.Result{Authenticator: auth, Verification: factor.Verification(auth, acr.Verification{At: now})}, nil
}

// touch records when auth was last used. It is best effort: the push is
// consumed already, and a concurrent change of the record wins.
func (f *Factor) touch(ctx context.Context, auth *store.Authenticator, now time.Time) {
	next := auth.Clone()
	next.LastUsedAt = now
	if err := f.auths.Update(ctx, next); err == nil {
		*auth = *next
	}
}

// Answered reports, changing nothing, whether push or enrollment id of t
// has what FinishVerify or FinishEnroll acts on: a device answered the
// push, or enrolled with the token. The waiting page polls it, then posts
// its answer. ErrExpired, wrapped, when id is no push or enrollment of t.
func (f *Factor) Answered(ctx context.Context, t factor.Target, id string) (bool, error) {
	c, err := f.challenges.Get(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return false, fmt.Errorf("push: %q: %w", id, factor.ErrExpired)
	case err != nil:
		return false, fmt.Errorf("push: %q: %w", id, err)
	}
	if c.Method == acr.Push && c.UserID == t.UserID && c.FlowID == t.FlowID {
		for _, kind := range []string{kindPush, kindEnroll} {
			if r, ok := decode(c, kind); ok {
				return r.State != StatePending, nil
			}
		}
	}
	return false, fmt.Errorf("push: %q is no push or enrollment of user %s in this flow: %w", id, t.UserID, factor.ErrExpired)
}
