package recovery

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/store"
)

// maxRetries bounds the compare-and-set loop of spend: each retry means
// another code of the same list was spent meanwhile, at most Count times.
const maxRetries = 2 * Count

// FinishVerify checks a recovery code of t.UserID and, if it is one,
// spends it. It does not count failures: callers run it under
// factor.Limiter.Verify, which does.
func (f *Factor) FinishVerify(ctx context.Context, t factor.Target, a factor.Answer) (factor.Result, error) {
	code, err := normalise(a.Response)
	if err != nil {
		return factor.Result{}, err
	}
	lists, err := f.lists(ctx, t.UserID)
	if err != nil {
		return factor.Result{}, err
	}
	var unreadable []error
	left := 0
	for _, auth := range lists {
		hashes, err := decodeHashes(auth.Data)
		if err != nil {
			unreadable = append(unreadable, fmt.Errorf("recovery: authenticator %s: %w", auth.ID, err))
			continue
		}
		left += len(hashes)
		h := f.hash(auth.UserID, code)
		if find(hashes, h) < 0 {
			continue
		}
		spent, err := f.spend(ctx, auth, h)
		if err != nil {
			return factor.Result{}, err
		}
		return factor.Result{Authenticator: spent, Verification: factor.Verification(spent, acr.Verification{At: spent.LastUsedAt})}, nil
	}
	switch {
	case len(unreadable) > 0 && len(unreadable) == len(lists):
		// No list was read, so nothing was compared: a fault for the
		// operator, not a wrong code to count against the user.
		return factor.Result{}, errors.Join(unreadable...)
	case left == 0:
		return factor.Result{}, fmt.Errorf("recovery: user %s has no recovery code left: %w", t.UserID, factor.ErrNotEnrolled)
	}
	wrong := fmt.Errorf("recovery: not a recovery code of user %s: %w", t.UserID, factor.ErrWrongAnswer)
	if len(unreadable) > 0 {
		// Some list did not read, but the code was compared, so it counts.
		return factor.Result{}, errors.Join(append([]error{wrong}, unreadable...)...)
	}
	return factor.Result{}, wrong
}

// spend removes hash h from auth's list with a compare-and-set, and
// returns the record as stored. If another request changed the list
// first, it reads it again: a code that is no longer there was spent by
// that request (or the list replaced), and is a wrong answer here.
func (f *Factor) spend(ctx context.Context, auth *store.Authenticator, h []byte) (*store.Authenticator, error) {
	for range maxRetries {
		hashes, err := decodeHashes(auth.Data)
		if err != nil {
			return nil, fmt.Errorf("recovery: authenticator %s: %w", auth.ID, err)
		}
		i := find(hashes, h)
		if i < 0 {
			return nil, fmt.Errorf("recovery: authenticator %s: the code was used already: %w", auth.ID, factor.ErrWrongAnswer)
		}
		next := auth.Clone()
		next.Data = encodeHashes(slices.Delete(hashes, i, i+1))
		next.LastUsedAt = f.now()
		switch err := f.auths.Update(ctx, next); {
		case err == nil:
			return next, nil
		case !errors.Is(err, store.ErrConflict):
			return nil, fmt.Errorf("recovery: authenticator %s: %w", auth.ID, err)
		}
		switch auth, err = f.auths.Get(ctx, auth.ID); {
		case errors.Is(err, store.ErrNotFound):
			return nil, fmt.Errorf("recovery: the codes were replaced: %w", factor.ErrWrongAnswer)
		case err != nil:
			return nil, fmt.Errorf("recovery: authenticator %s: %w", next.ID, err)
		}
	}
	return nil, fmt.Errorf("recovery: authenticator %s keeps changing: %w", auth.ID, store.ErrConflict)
}
