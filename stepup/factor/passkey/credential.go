package passkey

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/store"
)

// credentialData is what the library needs of a credential that no query
// does, kept as JSON in store.Authenticator.Data; the id, key, AAGUID,
// counter and backup flags have columns of their own.
type credentialData struct {
	AttestationType   string                            `json:"attestationType,omitempty"`
	AttestationFormat string                            `json:"attestationFormat,omitempty"`
	Transport         []protocol.AuthenticatorTransport `json:"transport,omitempty"`
	Attachment        protocol.AuthenticatorAttachment  `json:"attachment,omitempty"`
	UserPresent       bool                              `json:"userPresent,omitempty"`
	UserVerified      bool                              `json:"userVerified,omitempty"`
}

// isWebAuthn reports whether a is a WebAuthn credential of this factor.
func isWebAuthn(a *store.Authenticator) bool {
	return len(a.CredentialID) > 0 && (a.Method == acr.Passkey || a.Method == acr.SecurityKey)
}

// credential rebuilds the library's credential from a stored one.
func credential(a *store.Authenticator) (webauthn.Credential, error) {
	var d credentialData
	if len(a.Data) > 0 {
		if err := json.Unmarshal(a.Data, &d); err != nil {
			return webauthn.Credential{}, fmt.Errorf("passkey: authenticator %s: %w", a.ID, err)
		}
	}
	var flags protocol.AuthenticatorFlags
	for _, f := range []struct {
		on   bool
		flag protocol.AuthenticatorFlags
	}{
		{d.UserPresent, protocol.FlagUserPresent},
		{d.UserVerified, protocol.FlagUserVerified},
		{a.BackupEligible, protocol.FlagBackupEligible},
		{a.BackupState, protocol.FlagBackupState},
	} {
		if f.on {
			flags |= f.flag
		}
	}
	return webauthn.Credential{
		ID:                a.CredentialID,
		PublicKey:         a.PublicKey,
		AttestationType:   d.AttestationType,
		AttestationFormat: d.AttestationFormat,
		Transport:         d.Transport,
		Flags:             webauthn.NewCredentialFlags(flags),
		Authenticator: webauthn.Authenticator{
			AAGUID: a.AAGUID, SignCount: a.SignCount, Attachment: d.Attachment,
		},
	}, nil
}

// dataOf returns the Data to store for a new credential c.
func dataOf(c *webauthn.Credential) ([]byte, error) {
	return json.Marshal(credentialData{
		AttestationType: c.AttestationType, AttestationFormat: c.AttestationFormat,
		Transport: c.Transport, Attachment: c.Authenticator.Attachment,
		UserPresent: c.Flags.UserPresent, UserVerified: c.Flags.UserVerified,
	})
}

// user is a store.User with its WebAuthn credentials, as the library sees
// a user. The user handle is the user's id.
type user struct {
	u     *store.User
	auths []*store.Authenticator
	creds []webauthn.Credential
}

func (w *user) WebAuthnID() []byte { return []byte(w.u.ID) }

func (w *user) WebAuthnName() string {
	if w.u.Username != "" {
		return w.u.Username
	}
	if w.u.Email != "" {
		return w.u.Email
	}
	return w.u.ID
}

func (w *user) WebAuthnDisplayName() string {
	if w.u.DisplayName != "" {
		return w.u.DisplayName
	}
	return w.WebAuthnName()
}

func (w *user) WebAuthnCredentials() []webauthn.Credential { return w.creds }

// byCredentialID returns the user's authenticator with credential id id.
func (w *user) byCredentialID(id []byte) *store.Authenticator {
	for _, a := range w.auths {
		if string(a.CredentialID) == string(id) {
			return a
		}
	}
	return nil
}

// loadUser returns u as the library sees it, with its credentials.
func (f *Factor) loadUser(ctx context.Context, u *store.User) (*user, error) {
	all, err := f.auths.ListByUser(ctx, u.ID)
	if err != nil {
		return nil, fmt.Errorf("passkey: authenticators of %s: %w", u.ID, err)
	}
	w := &user{u: u}
	for _, a := range all {
		if !isWebAuthn(a) {
			continue
		}
		c, err := credential(a)
		if err != nil {
			return nil, err
		}
		w.auths = append(w.auths, a)
		w.creds = append(w.creds, c)
	}
	return w, nil
}

// loadUserID is loadUser for the user with id id.
func (f *Factor) loadUserID(ctx context.Context, id string) (*user, error) {
	u, err := f.users.Get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("passkey: user %s: %w", id, err)
	}
	return f.loadUser(ctx, u)
}

// HardwareBound reports whether a's key cannot leave its device: it said
// it cannot be backed up, its model is on the allow-list, or it is a
// security key.
func (f *Factor) HardwareBound(a *store.Authenticator) bool {
	if !a.BackupEligible || a.Method == acr.SecurityKey {
		return true
	}
	id, err := uuid.FromBytes(a.AAGUID)
	return err == nil && f.hardware[id]
}
