package totp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/store"
)

// FinishVerify checks a code against each of t.UserID's authenticators,
// for the current step and one either side, and accepts it for a step
// only once. It does not count failures: callers run it under
// factor.Limiter.Verify, which does.
func (f *Factor) FinishVerify(ctx context.Context, t factor.Target, a factor.Answer) (factor.Result, error) {
	code, err := parseCode(a.Response)
	if err != nil {
		return factor.Result{}, err
	}
	auths, err := f.enrolled(ctx, t.UserID)
	if err != nil {
		return factor.Result{}, err
	}
	if len(auths) == 0 {
		return factor.Result{}, fmt.Errorf("totp: user %s: %w", t.UserID, factor.ErrNotEnrolled)
	}
	now := f.now()
	steps := window(now)
	var unreadable []error
	for _, auth := range auths {
		secret, err := f.sealer.Open(auth.Secret, secretAD(auth.ID))
		if err != nil {
			unreadable = append(unreadable, fmt.Errorf("totp: authenticator %s: %w", auth.ID, err))
			continue
		}
		step, ok, err := match(secret, code, steps, auth.Counter+1)
		if err != nil {
			return factor.Result{}, err
		}
		if !ok {
			continue
		}
		switch err := f.auths.AdvanceCounter(ctx, auth.ID, step); {
		case errors.Is(err, store.ErrConflict):
			// Another request took this step (or a later one) since we
			// read the counter: this is a replay.
			return factor.Result{}, fmt.Errorf("totp: authenticator %s: the code of step %d was used already: %w", auth.ID, step, factor.ErrWrongAnswer)
		case err != nil:
			return factor.Result{}, fmt.Errorf("totp: authenticator %s: %w", auth.ID, err)
		}
		auth.Counter = step
		f.touch(ctx, auth, now)
		return factor.Result{Authenticator: auth, Verification: factor.Verification(auth, acr.Verification{At: now})}, nil
	}
	if len(unreadable) == len(auths) {
		// No secret opened, so nothing was compared: a fault (a missing
		// master key, a damaged row) for the operator, not a wrong code
		// to count against the user.
		return factor.Result{}, errors.Join(unreadable...)
	}
	wrong := fmt.Errorf("totp: no authenticator of user %s takes the code: %w", t.UserID, factor.ErrWrongAnswer)
	if len(unreadable) > 0 {
		// Some secret did not open, but a code was compared, so it counts.
		return factor.Result{}, errors.Join(append([]error{wrong}, unreadable...)...)
	}
	return factor.Result{}, wrong
}

// touch records when auth was last used. It is best effort: the step is
// already taken, and a concurrent change of the record (a rename) wins.
func (f *Factor) touch(ctx context.Context, auth *store.Authenticator, now time.Time) {
	next := auth.Clone()
	next.LastUsedAt = now
	if err := f.auths.Update(ctx, next); err == nil {
		*auth = *next
	}
}
