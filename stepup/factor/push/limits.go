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

// Limits bound the pushes one user is sent, against "push bombing": an
// attacker who has the password sends push after push until the user,
// tired or confused, approves one. A zero field takes DefaultLimits'
// value.
type Limits struct {
	// TTL is how long a push waits for its answer.
	TTL time.Duration
	// PerWindow is how many pushes a user is sent in any Window.
	PerWindow int
	Window    time.Duration
	// CoolOff is how long no push is sent after one was denied or
	// approved with the wrong number.
	CoolOff time.Duration
}

// maxPerWindow bounds PerWindow: each push of a window is a record, and a
// push is a nuisance, not a code to retry at will.
const maxPerWindow = 20

// DefaultLimits: a push waits two minutes, time enough to find the phone,
// short enough that an unattended one does not linger on its screen. One
// push waits at a time. Three pushes in ten minutes: a user who missed
// one, then mistyped, still gets through, while an attacker gets three
// notifications in front of the user, not thirty. A deny or a wrong
// number stops pushes for five minutes: the user said "not me", or chose
// blindly, and a fresh push straight after is what a bombing looks like.
func DefaultLimits() Limits {
	return Limits{TTL: 2 * time.Minute, PerWindow: 3, Window: 10 * time.Minute, CoolOff: 5 * time.Minute}
}

func (l Limits) withDefaults() (Limits, error) {
	d := DefaultLimits()
	if l.TTL <= 0 {
		l.TTL = d.TTL
	}
	if l.PerWindow <= 0 {
		l.PerWindow = d.PerWindow
	}
	if l.Window <= 0 {
		l.Window = d.Window
	}
	if l.CoolOff <= 0 {
		l.CoolOff = d.CoolOff
	}
	var errs []error
	if l.PerWindow > maxPerWindow {
		errs = append(errs, fmt.Errorf("push: option Limits.PerWindow must be at most %d but it is %d", maxPerWindow, l.PerWindow))
	}
	if l.Window < l.TTL {
		errs = append(errs, fmt.Errorf("push: option Limits.Window (%s) must be at least Limits.TTL (%s)", l.Window, l.TTL))
	}
	return l, errors.Join(errs...)
}

// The limits are kept as challenge records with ids made from the user's
// id, so that the store's unique ids are the compare-and-set: of two
// replicas starting a push at once, one creates the record and the other
// gets ErrConflict. They expire on their own, and go with the user.
//
//	push-pending:<user>      the one push that waits, until it is answered or expires
//	push-slot:<user>:<k>     k < PerWindow: a push sent in the last Window
//	push-cooloff:<user>      a deny or a wrong number, for CoolOff
//
// Random ids are base64url, with no colon, so these never collide with
// a push's id or another factor's.
func pendingID(userID string) string     { return "push-pending:" + userID }
func slotID(userID string, k int) string { return "push-slot:" + userID + ":" + strconv.Itoa(k) }
func coolOffID(userID string) string     { return "push-cooloff:" + userID }
func waitFor(until, now time.Time) *factor.WaitError {
	return &factor.WaitError{RetryAfter: max(until.Sub(now), time.Second)}
}

// admit takes the user's pending record and one of their slots for push
// id, or says how long to wait. When a push of the same flow still waits,
// it returns that push instead, so that a reloaded page shows it again
// rather than sending another.
func (f *Factor) admit(ctx context.Context, t factor.Target, id string, now time.Time) (*store.Challenge, error) {
	switch cool, err := f.challenges.Get(ctx, coolOffID(t.UserID)); {
	case err == nil:
		return nil, waitFor(cool.ExpiresAt, now)
	case !errors.Is(err, store.ErrNotFound):
		return nil, fmt.Errorf("push: user %s: %w", t.UserID, err)
	}
	pending := &store.Challenge{
		ID: pendingID(t.UserID), Method: acr.Push, UserID: t.UserID, FlowID: t.FlowID,
		Data:      (&record{Kind: kindPending, Push: id}).encode(),
		CreatedAt: now, ExpiresAt: now.Add(f.limits.TTL),
	}
	// A pending record read and then gone (expired, released) is tried
	// again; twice more is plenty for a record that lives minutes.
	for try := 0; ; try++ {
		err := f.challenges.Create(ctx, pending)
		if err == nil {
			break
		}
		if !errors.Is(err, store.ErrConflict) {
			return nil, fmt.Errorf("push: user %s: %w", t.UserID, err)
		}
		held, err := f.challenges.Get(ctx, pending.ID)
		switch {
		case errors.Is(err, store.ErrNotFound) && try < 2:
			continue
		case err != nil:
			return nil, fmt.Errorf("push: user %s: %w", t.UserID, err)
		}
		if same := f.samePush(ctx, held, t); same != nil {
			return same, nil
		}
		return nil, waitFor(held.ExpiresAt, now)
	}
	for k := range f.limits.PerWindow {
		slot := &store.Challenge{
			ID: slotID(t.UserID, k), Method: acr.Push, UserID: t.UserID, FlowID: t.FlowID,
			Data:      (&record{Kind: kindSlot, Push: id}).encode(),
			CreatedAt: now, ExpiresAt: now.Add(f.limits.Window),
		}
		switch err := f.challenges.Create(ctx, slot); {
		case err == nil:
			return nil, nil
		case !errors.Is(err, store.ErrConflict):
			f.release(ctx, t.UserID, id)
			return nil, fmt.Errorf("push: user %s: %w", t.UserID, err)
		}
	}
	f.release(ctx, t.UserID, id)
	return nil, f.windowFull(ctx, t.UserID, now)
}

// samePush returns the push the pending record held names, if it is of
// t's user and flow and still waits for its answer.
func (f *Factor) samePush(ctx context.Context, held *store.Challenge, t factor.Target) *store.Challenge {
	r, ok := decode(held, kindPending)
	if !ok || held.FlowID != t.FlowID {
		return nil
	}
	c, err := f.challenges.Get(ctx, r.Push)
	if err != nil {
		return nil
	}
	if p, ok := decode(c, kindPush); !ok || p.State != StatePending || c.UserID != t.UserID || c.FlowID != t.FlowID {
		return nil
	}
	return c
}

// windowFull is the wait until the oldest push of the window leaves it.
func (f *Factor) windowFull(ctx context.Context, userID string, now time.Time) error {
	until := now.Add(f.limits.Window)
	for k := range f.limits.PerWindow {
		slot, err := f.challenges.Get(ctx, slotID(userID, k))
		switch {
		case errors.Is(err, store.ErrNotFound):
			// Freed since we looked: the user may try at once.
			return waitFor(now, now)
		case err != nil:
			return fmt.Errorf("push: user %s: %w", userID, err)
		}
		until = minTime(until, slot.ExpiresAt)
	}
	return waitFor(until, now)
}

// release frees the user's pending record if it still holds push id, so
// that the next push need not wait for it to expire. It changes the
// record with a compare-and-set, and leaves one that names another push.
// It is best effort: a record it cannot free expires with its push.
func (f *Factor) release(ctx context.Context, userID, id string) {
	held, err := f.challenges.Get(ctx, pendingID(userID))
	if err != nil {
		return
	}
	if r, ok := decode(held, kindPending); !ok || r.Push != id {
		return
	}
	held.ExpiresAt = f.now()
	if err := f.challenges.Update(ctx, held); err != nil && !errors.Is(err, store.ErrConflict) && !errors.Is(err, store.ErrNotFound) {
		f.log.WarnContext(ctx, "push: the pending push could not be released; it expires on its own", "user", userID, "push", id, "err", err)
	}
}

// coolOff stops pushes to the user until CoolOff after at, when a push
// was denied or approved with the wrong number. Creating it again for
// the same answer changes nothing.
func (f *Factor) coolOff(ctx context.Context, userID, flowID string, at time.Time) error {
	c := &store.Challenge{
		ID: coolOffID(userID), Method: acr.Push, UserID: userID, FlowID: flowID,
		Data: (&record{Kind: kindCoolOff}).encode(), CreatedAt: at, ExpiresAt: at.Add(f.limits.CoolOff),
	}
	if err := f.challenges.Create(ctx, c); err != nil && !errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("push: cool-off of user %s: %w", userID, err)
	}
	return nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
