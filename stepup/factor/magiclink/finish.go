package magiclink

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/store"
)

// ErrOpenedElsewhere is what FinishVerify says while the link was opened
// in another browser and no code came with the answer: the waiting tab
// asks for the code that browser shows. It wraps factor.ErrPending, so a
// caller that knows only that goes on waiting.
var ErrOpenedElsewhere = fmt.Errorf("magiclink: the link was opened in another browser; type the code it shows: %w", factor.ErrPending)

// FinishVerify is asked by the tab that began the verification, which
// polls it with an empty Response and posts the code when the link was
// opened elsewhere. The challenge must be t's: its user, flow and browser.
// It returns factor.ErrPending while the link is unopened,
// ErrOpenedElsewhere while a code is needed and none came,
// factor.ErrWrongAnswer for a wrong code (MaxAttempts in all), and
// factor.ErrExpired for a challenge expired, spent, or not t's. It
// succeeds once.
func (f *Factor) FinishVerify(ctx context.Context, t factor.Target, a factor.Answer) (factor.Result, error) {
	c, d, err := f.bound(ctx, t, a.ChallengeID)
	if err != nil {
		return factor.Result{}, err
	}
	switch d.State {
	case pending:
		return factor.Result{}, fmt.Errorf("magiclink: challenge %s: the link is not opened yet: %w", c.ID, factor.ErrPending)
	case elsewhere:
		if err := f.checkCode(ctx, c.ID, a.Response); err != nil {
			return factor.Result{}, err
		}
	}
	auth, err := f.auths.Get(ctx, d.Authenticator)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return factor.Result{}, fmt.Errorf("magiclink: the address of challenge %s was removed: %w", c.ID, factor.ErrNotEnrolled)
	case err != nil:
		return factor.Result{}, fmt.Errorf("magiclink: authenticator %s: %w", d.Authenticator, err)
	}
	spent, err := f.challenges.Consume(ctx, c.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return factor.Result{}, fmt.Errorf("magiclink: challenge %s was answered already: %w", c.ID, factor.ErrExpired)
	case err != nil:
		return factor.Result{}, fmt.Errorf("magiclink: challenge %s: %w", c.ID, err)
	}
	// What was consumed is the challenge as it stood then, which only a
	// concurrent Open can have changed since it was read, and only from
	// pending: that copy decides.
	if sd, err := decode(spent); err != nil || sd.State != d.State {
		return factor.Result{}, fmt.Errorf("magiclink: challenge %s changed while it was answered: %w", c.ID, factor.ErrExpired)
	}
	now := f.now()
	return factor.Result{Authenticator: auth, Verification: store.Verification{
		// Not factor.Verification: that names the authenticator's method,
		// EMAIL_OTP, while what was proved is a link.
		Method: acr.EmailMagicLink, AuthenticatorID: auth.ID,
		AMR: acr.AMR(acr.Verification{Method: acr.EmailMagicLink, At: now}), At: now,
	}}, nil
}

// bound returns the live challenge id if it belongs to t: a challenge of
// another user, flow or browser is factor.ErrExpired, as an unknown one.
func (f *Factor) bound(ctx context.Context, t factor.Target, id string) (*store.Challenge, data, error) {
	if id == "" {
		return nil, data{}, fmt.Errorf("magiclink: the answer names no challenge: %w", factor.ErrMalformed)
	}
	c, err := f.live(ctx, id)
	if err != nil {
		return nil, data{}, err
	}
	d, err := decode(c)
	if err != nil {
		return nil, data{}, err
	}
	if c.UserID != t.UserID || c.FlowID != t.FlowID || t.Browser == "" || !hmac.Equal(f.browserHash(t.Browser), d.Browser) {
		return nil, data{}, fmt.Errorf("magiclink: challenge %s is not of this user, flow and browser: %w", id, factor.ErrExpired)
	}
	return c, d, nil
}

// checkCode checks the code shown in the other browser, spending one of
// the challenge's attempts first; when they are all spent the challenge is
// deleted, and the user starts again.
func (f *Factor) checkCode(ctx context.Context, id string, response []byte) error {
	if len(response) == 0 {
		return ErrOpenedElsewhere
	}
	code, err := factor.ParseCode(response)
	if err != nil {
		return fmt.Errorf("magiclink: %w", err)
	}
	c, err := f.challenges.Attempt(ctx, id)
	switch {
	case errors.Is(err, store.ErrConflict):
		f.drop(ctx, id)
		return fmt.Errorf("magiclink: challenge %s has no attempts left: %w", id, factor.ErrExpired)
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("magiclink: challenge %s: %w", id, factor.ErrExpired)
	case err != nil:
		return fmt.Errorf("magiclink: challenge %s: %w", id, err)
	}
	if !hmac.Equal(f.codeHash(id, code), c.SecretHash) {
		if c.Attempts >= c.MaxAttempts {
			f.drop(ctx, id)
		}
		return fmt.Errorf("magiclink: challenge %s: wrong code (attempt %d of %d): %w", id, c.Attempts, c.MaxAttempts, factor.ErrWrongAnswer)
	}
	return nil
}

// drop deletes a spent challenge. It is best effort: Attempt refuses
// every further guess anyway, and the store sweeps it at expiry.
func (f *Factor) drop(ctx context.Context, id string) {
	_ = f.challenges.Delete(context.WithoutCancel(ctx), id)
}

// Opened reports, without changing anything, whether the link of
// challenge id, which must be t's, has been opened: the tab that waits
// for it polls this and then posts its answer to FinishVerify. inAnother
// says it was opened in another browser, so the answer needs the code
// that browser shows.
func (f *Factor) Opened(ctx context.Context, t factor.Target, id string) (opened, inAnother bool, err error) {
	_, d, err := f.bound(ctx, t, id)
	if err != nil {
		return false, false, err
	}
	return d.State != pending, d.State == elsewhere, nil
}
