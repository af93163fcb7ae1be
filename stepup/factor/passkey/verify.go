package passkey

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/store"
)

// BeginVerify asks for an assertion, with user verification, by one of
// t.UserID's credentials.
func (f *Factor) BeginVerify(ctx context.Context, t factor.Target) (factor.Prompt, error) {
	w, err := f.loadUserID(ctx, t.UserID)
	if err != nil {
		return factor.Prompt{}, err
	}
	if len(w.creds) == 0 {
		return factor.Prompt{}, fmt.Errorf("passkey: user %s: %w", t.UserID, factor.ErrNotEnrolled)
	}
	opts := []webauthn.LoginOption{webauthn.WithUserVerification(protocol.VerificationRequired)}
	if len(t.Authenticators) > 0 {
		var allow []protocol.CredentialDescriptor
		for i := range w.creds {
			if a := w.byCredentialID(w.creds[i].ID); a != nil && slices.Contains(t.Authenticators, a.ID) {
				allow = append(allow, w.creds[i].Descriptor())
			}
		}
		if len(allow) == 0 {
			return factor.Prompt{}, fmt.Errorf("passkey: user %s has none of the authenticators asked for: %w", t.UserID, factor.ErrNotEnrolled)
		}
		opts = append(opts, webauthn.WithAllowedCredentials(allow))
	}
	assertion, s, err := f.wa.BeginLogin(w, opts...)
	if err != nil {
		return factor.Prompt{}, fmt.Errorf("passkey: begin login: %w", err)
	}
	return f.saveSession(ctx, t, s, assertion.Response)
}

// FinishVerify checks an assertion (the browser's
// PublicKeyCredential.toJSON()) by one of t.UserID's credentials.
func (f *Factor) FinishVerify(ctx context.Context, t factor.Target, a factor.Answer) (factor.Result, error) {
	s, err := f.takeSession(ctx, t, a.ChallengeID, verification)
	if err != nil {
		return factor.Result{}, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(a.Response)
	if err != nil {
		return factor.Result{}, fmt.Errorf("passkey: %w: %s", factor.ErrMalformed, reason(err))
	}
	w, err := f.loadUserID(ctx, t.UserID)
	if err != nil {
		return factor.Result{}, err
	}
	// The library looks the credential up among w's only: one of
	// another user's is unknown to it.
	if _, err := f.wa.ValidateLogin(w, *s, parsed); err != nil {
		return factor.Result{}, fmt.Errorf("passkey: %w: %s", factor.ErrWrongAnswer, reason(err))
	}
	auth := w.byCredentialID(parsed.RawID)
	if auth == nil || auth.UserID != t.UserID {
		return factor.Result{}, fmt.Errorf("passkey: %w: the credential is not the user's", factor.ErrWrongAnswer)
	}
	return f.accept(ctx, auth, parsed)
}

// BeginSignIn asks for an assertion, with user verification, by any
// discoverable credential: the authenticator says whose it is.
func (f *Factor) BeginSignIn(ctx context.Context, t factor.Target) (factor.Prompt, error) {
	assertion, s, err := f.wa.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return factor.Prompt{}, fmt.Errorf("passkey: begin discoverable login: %w", err)
	}
	return f.saveSession(ctx, factor.Target{FlowID: t.FlowID}, s, assertion.Response)
}

// FinishSignIn checks an assertion by a discoverable credential, whose
// user handle must be the id of the user it was enrolled for; the
// result's Authenticator.UserID says who signed in. It does not look at
// the user's Disabled flag: the caller does.
func (f *Factor) FinishSignIn(ctx context.Context, t factor.Target, a factor.Answer) (factor.Result, error) {
	s, err := f.takeSession(ctx, t, a.ChallengeID, signIn)
	if err != nil {
		return factor.Result{}, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(a.Response)
	if err != nil {
		return factor.Result{}, fmt.Errorf("passkey: %w: %s", factor.ErrMalformed, reason(err))
	}
	var (
		auth  *store.Authenticator
		fault error // a failure of ours, not of the answer
	)
	find := func(rawID, userHandle []byte) (webauthn.User, error) {
		a, err := f.auths.GetByCredentialID(ctx, rawID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return nil, errors.New("unknown credential")
		case err != nil:
			fault = fmt.Errorf("passkey: authenticator: %w", err)
			return nil, fault
		case !isWebAuthn(a):
			return nil, errors.New("unknown credential")
		case string(userHandle) != a.UserID:
			return nil, errors.New("the user handle is not the credential's user")
		}
		w, err := f.loadUserID(ctx, a.UserID)
		if err != nil {
			// The user is gone (or the store failed): never a sign-in.
			fault = err
			return nil, err
		}
		auth = w.byCredentialID(rawID)
		return w, nil
	}
	_, _, err = f.wa.ValidatePasskeyLogin(find, *s, parsed)
	switch {
	case fault != nil:
		return factor.Result{}, fault
	case err != nil:
		return factor.Result{}, fmt.Errorf("passkey: %w: %s", factor.ErrWrongAnswer, reason(err))
	case auth == nil:
		return factor.Result{}, fmt.Errorf("passkey: %w: the credential is not the user's", factor.ErrWrongAnswer)
	}
	return f.accept(ctx, auth, parsed)
}

// accept applies the checks the library leaves to us to an assertion it
// verified by auth (user verification in this ceremony, the sign counter),
// records the use, and returns the result.
func (f *Factor) accept(ctx context.Context, auth *store.Authenticator, parsed *protocol.ParsedCredentialAssertionData) (factor.Result, error) {
	data := parsed.Response.AuthenticatorData
	if !data.Flags.HasUserVerified() {
		return factor.Result{}, fmt.Errorf("passkey: %w: the authenticator did not verify the user", factor.ErrWrongAnswer)
	}
	now := f.now()
	for range 16 {
		if counterWentBack(auth.SignCount, data.Counter) {
			f.log.Warn("passkey: sign counter did not increase: the authenticator may be cloned",
				"user", auth.UserID, "authenticator", auth.ID, "stored", auth.SignCount, "got", data.Counter)
			return factor.Result{}, fmt.Errorf("passkey: %w: the sign counter did not increase (%d after %d)",
				factor.ErrWrongAnswer, data.Counter, auth.SignCount)
		}
		next := *auth
		next.SignCount = data.Counter
		next.BackupState = data.Flags.HasBackupState()
		next.LastUsedAt = now
		err := f.auths.Update(ctx, &next)
		switch {
		case err == nil:
			v := factor.Verification(&next, acr.Verification{At: now, UserVerified: true, HardwareBound: f.HardwareBound(&next)})
			return factor.Result{Authenticator: &next, Verification: v}, nil
		case !errors.Is(err, store.ErrConflict):
			return factor.Result{}, fmt.Errorf("passkey: update authenticator %s: %w", auth.ID, err)
		}
		// Another assertion updated it first: check the counter against
		// what that one stored.
		if auth, err = f.auths.Get(ctx, auth.ID); err != nil {
			return factor.Result{}, fmt.Errorf("passkey: authenticator %s: %w", next.ID, err)
		}
	}
	return factor.Result{}, fmt.Errorf("passkey: authenticator %s keeps changing: %w", auth.ID, store.ErrConflict)
}

// counterWentBack is the clone check of WebAuthn §7.2 step 21 (the
// library's CloneWarning): a counter in use must grow at each assertion.
// Authenticators that keep no counter report 0 each time.
func counterWentBack(stored, got uint32) bool {
	return (stored != 0 || got != 0) && got <= stored
}
