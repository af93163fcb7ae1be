package passkey

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/store"
)

// DefaultName names an enrolled authenticator when the answer names none.
const DefaultName = "Passkey"

// BeginEnroll starts the registration of a new credential for u: a
// discoverable one (so it can sign in with no username) that verifies the
// user, with no attestation, excluding u's existing credentials so one
// authenticator is not enrolled twice.
func (f *Factor) BeginEnroll(ctx context.Context, u *store.User, t factor.Target) (factor.Prompt, error) {
	if t.UserID != "" && t.UserID != u.ID {
		return factor.Prompt{}, fmt.Errorf("passkey: enrollment of %s for target %s", u.ID, t.UserID)
	}
	w, err := f.loadUser(ctx, u)
	if err != nil {
		return factor.Prompt{}, err
	}
	requireRK := true
	creation, s, err := f.wa.BeginRegistration(w,
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			RequireResidentKey: &requireRK,
			ResidentKey:        protocol.ResidentKeyRequirementRequired,
			UserVerification:   protocol.VerificationRequired,
		}),
		webauthn.WithConveyancePreference(protocol.PreferNoAttestation),
		webauthn.WithExclusions(webauthn.Credentials(w.creds).CredentialDescriptors()),
	)
	if err != nil {
		return factor.Prompt{}, fmt.Errorf("passkey: begin registration: %w", err)
	}
	return f.saveSession(ctx, factor.Target{UserID: u.ID, FlowID: t.FlowID}, s, creation.Response)
}

// FinishEnroll checks the new credential in a.Response (the browser's
// PublicKeyCredential.toJSON()) and stores it for u. A security key is a
// cross-platform authenticator that cannot be backed up; any other is a
// passkey.
func (f *Factor) FinishEnroll(ctx context.Context, u *store.User, t factor.Target, a factor.Answer) (factor.Result, error) {
	s, err := f.takeSession(ctx, factor.Target{UserID: u.ID, FlowID: t.FlowID}, a.ChallengeID, enrollment)
	if err != nil {
		return factor.Result{}, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(a.Response)
	if err != nil {
		return factor.Result{}, fmt.Errorf("passkey: %w: %s", factor.ErrMalformed, reason(err))
	}
	w, err := f.loadUser(ctx, u)
	if err != nil {
		return factor.Result{}, err
	}
	cred, err := f.wa.CreateCredential(w, *s, parsed)
	if err != nil {
		return factor.Result{}, fmt.Errorf("passkey: %w: %s", factor.ErrWrongAnswer, reason(err))
	}
	flags := parsed.Response.AttestationObject.AuthData.Flags
	if !flags.HasUserVerified() {
		return factor.Result{}, fmt.Errorf("passkey: %w: the authenticator did not verify the user", factor.ErrWrongAnswer)
	}
	data, err := dataOf(cred)
	if err != nil {
		return factor.Result{}, fmt.Errorf("passkey: credential data: %w", err)
	}
	id, err := f.newID()
	if err != nil {
		return factor.Result{}, err
	}
	method := acr.Passkey
	if parsed.AuthenticatorAttachment == protocol.CrossPlatform && !flags.HasBackupEligible() {
		method = acr.SecurityKey
	}
	name := a.Name
	if name == "" {
		name = DefaultName
	}
	now := f.now()
	auth := &store.Authenticator{
		ID: id, UserID: u.ID, Method: method, Name: name,
		CredentialID: cred.ID, PublicKey: cred.PublicKey, AAGUID: cred.Authenticator.AAGUID,
		SignCount:      cred.Authenticator.SignCount,
		BackupEligible: flags.HasBackupEligible(), BackupState: flags.HasBackupState(),
		Verified: true, Data: data, CreatedAt: now, LastUsedAt: now,
	}
	switch err := f.auths.Create(ctx, auth); {
	case errors.Is(err, store.ErrConflict):
		return factor.Result{}, fmt.Errorf("passkey: this credential is already enrolled: %w", err)
	case err != nil:
		return factor.Result{}, fmt.Errorf("passkey: store authenticator: %w", err)
	}
	v := factor.Verification(auth, acr.Verification{At: now, UserVerified: true, HardwareBound: f.HardwareBound(auth)})
	return factor.Result{Authenticator: auth, Verification: v}, nil
}

// reason is what the library says went wrong, for the log and the error.
func reason(err error) string {
	var pe *protocol.Error
	if errors.As(err, &pe) && pe.DevInfo != "" {
		return pe.Details + " (" + pe.DevInfo + ")"
	}
	return err.Error()
}
