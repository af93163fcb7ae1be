package otp

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/factor/deliver"
	"github.com/stepup-auth/stepup/stepup/store"
)

// FinishVerify checks a code sent by BeginVerify. Each guess spends one of
// the code's five attempts before it is compared; a right one consumes
// the challenge. It does not count failures per user: callers run it
// under factor.Limiter.Verify, which does.
func (f *Factor) FinishVerify(ctx context.Context, t factor.Target, a factor.Answer) (factor.Result, error) {
	p, err := f.check(ctx, t, a, false)
	if err != nil {
		return factor.Result{}, err
	}
	auth, err := f.o.Authenticators.Get(ctx, p.AuthenticatorID)
	switch {
	case errors.Is(err, store.ErrNotFound) || err == nil && (auth.UserID != t.UserID || !auth.Verified):
		// Removed (or replaced) while the code travelled.
		return factor.Result{}, fmt.Errorf("otp: authenticator %s is gone: %w", p.AuthenticatorID, factor.ErrExpired)
	case err != nil:
		return factor.Result{}, fmt.Errorf("otp: authenticator %s: %w", p.AuthenticatorID, err)
	}
	now := f.o.Now()
	f.touch(ctx, auth, now)
	return factor.Result{Authenticator: auth, Verification: factor.Verification(auth, acr.Verification{At: now})}, nil
}

// FinishEnroll checks a code sent by BeginEnrollTo and sets its
// destination up as a verified factor of u: the code proved the user
// receives it. A destination u has already is not set up twice.
func (f *Factor) FinishEnroll(ctx context.Context, u *store.User, t factor.Target, a factor.Answer) (factor.Result, error) {
	if t.UserID != u.ID {
		return factor.Result{}, errors.New("otp: an enrollment's target is another user")
	}
	p, err := f.check(ctx, t, a, true)
	if err != nil {
		return factor.Result{}, err
	}
	now := f.o.Now()
	auth, err := f.enrolled(ctx, u.ID, p.Destination)
	if err != nil {
		return factor.Result{}, err
	}
	if auth == nil {
		name := a.Name
		if name == "" {
			name = p.Name
		}
		if name == "" {
			name = deliver.Mask(p.Destination)
		}
		auth = &store.Authenticator{
			ID: uuid.NewString(), UserID: u.ID, Method: f.o.Method, Name: name, Destination: p.Destination,
			Verified: true, CreatedAt: now, LastUsedAt: now,
		}
		if err := f.o.Authenticators.Create(ctx, auth); err != nil {
			return factor.Result{}, fmt.Errorf("otp: store the authenticator: %w", err)
		}
	}
	f.verifyEmail(ctx, u.ID, p.Destination)
	return factor.Result{Authenticator: auth, Verification: factor.Verification(auth, acr.Verification{At: now})}, nil
}

// check spends an attempt of the challenge a names, compares the code,
// and consumes the challenge when it is right.
func (f *Factor) check(ctx context.Context, t factor.Target, a factor.Answer, enrolling bool) (pending, error) {
	code, err := factor.ParseCode(a.Response)
	if err != nil {
		return pending{}, err
	}
	_, p, err := f.challenge(ctx, t, a.ChallengeID)
	if err != nil {
		return pending{}, err
	}
	if p.enrolling() != enrolling {
		return pending{}, fmt.Errorf("otp: challenge %s is of another kind: %w", a.ChallengeID, factor.ErrExpired)
	}
	c, err := f.o.Challenges.Attempt(ctx, a.ChallengeID)
	switch {
	case errors.Is(err, store.ErrConflict):
		return pending{}, fmt.Errorf("otp: challenge %s: all %d attempts spent: %w", a.ChallengeID, MaxAttempts, factor.ErrExpired)
	case errors.Is(err, store.ErrNotFound):
		return pending{}, fmt.Errorf("otp: challenge %s: %w", a.ChallengeID, factor.ErrExpired)
	case err != nil:
		return pending{}, fmt.Errorf("otp: challenge %s: %w", a.ChallengeID, err)
	}
	if !hmac.Equal(c.SecretHash, f.hashCode(c.ID, code)) {
		return pending{}, fmt.Errorf("otp: challenge %s: attempt %d of %d: %w", c.ID, c.Attempts, MaxAttempts, factor.ErrWrongAnswer)
	}
	switch _, err := f.o.Challenges.Consume(ctx, c.ID); {
	case errors.Is(err, store.ErrNotFound):
		// A concurrent right guess took it first: the code is spent.
		return pending{}, fmt.Errorf("otp: challenge %s was used already: %w", c.ID, factor.ErrExpired)
	case err != nil:
		return pending{}, fmt.Errorf("otp: challenge %s: %w", c.ID, err)
	}
	return p, nil
}

// challenge returns the pending challenge id of t, or ErrExpired when it
// is unknown, expired, another method's, or another user's or flow's.
func (f *Factor) challenge(ctx context.Context, t factor.Target, id string) (*store.Challenge, pending, error) {
	if id == "" {
		return nil, pending{}, fmt.Errorf("otp: no challenge named: %w", factor.ErrExpired)
	}
	c, err := f.o.Challenges.Get(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, pending{}, fmt.Errorf("otp: challenge %s: %w", id, factor.ErrExpired)
	case err != nil:
		return nil, pending{}, fmt.Errorf("otp: challenge %s: %w", id, err)
	}
	if c.Method != f.o.Method || c.UserID != t.UserID || c.FlowID != t.FlowID || !f.o.Now().Before(c.ExpiresAt) {
		return nil, pending{}, fmt.Errorf("otp: challenge %s is not this flow's, or expired: %w", id, factor.ErrExpired)
	}
	var p pending
	if err := json.Unmarshal(c.Data, &p); err != nil || p.Destination == "" {
		return nil, pending{}, fmt.Errorf("otp: challenge %s holds no destination: %w", id, factor.ErrExpired)
	}
	return c, p, nil
}

// enrolled returns u's verified authenticator of the method for dest, if
// there is one.
func (f *Factor) enrolled(ctx context.Context, userID, dest string) (*store.Authenticator, error) {
	auths, err := factor.Enrolled(ctx, f.o.Authenticators, userID, f.o.Method)
	if err != nil {
		return nil, err
	}
	for _, a := range auths {
		if a.Destination == dest {
			return a, nil
		}
	}
	return nil, nil
}

// verifyEmail marks the user's email verified when the code came back
// from it, and makes the address the user's email when they have none
// and no other account holds it: the code proves the user reads it, and
// relying parties (brokers such as Keycloak and Cognito above all) read
// the account's address from the email and email_verified claims. It is
// best effort: the factor is set up either way.
func (f *Factor) verifyEmail(ctx context.Context, userID, dest string) {
	if f.o.Users == nil || f.o.Method != acr.EmailOTP {
		return
	}
	for range 4 {
		u, err := f.o.Users.Get(ctx, userID)
		if err != nil || u.EmailVerified {
			return
		}
		next := u.Clone()
		switch {
		case u.Email == "":
			// The store compares addresses exactly and holds them in
			// lower case (store.User; federation stores them so): the
			// canonical form finds another account's address in any
			// spelling, and is what this one stores.
			addr := strings.ToLower(dest)
			if other, err := f.o.Users.GetByEmail(ctx, addr); !errors.Is(err, store.ErrNotFound) || other != nil {
				return // another account's address, or the store could not say
			}
			next.Email = addr
		case !equalAddress(u.Email, dest):
			return
		}
		next.EmailVerified = true
		if err := f.o.Users.Update(ctx, next); !errors.Is(err, store.ErrConflict) {
			return
		}
	}
}

// touch records when auth was last used; best effort, as in totp.
func (f *Factor) touch(ctx context.Context, auth *store.Authenticator, now time.Time) {
	next := auth.Clone()
	next.LastUsedAt = now
	if err := f.o.Authenticators.Update(ctx, next); err == nil {
		*auth = *next
	}
}
