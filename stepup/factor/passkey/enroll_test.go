package passkey_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/descope/virtualwebauthn"
	"github.com/google/uuid"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/factor/passkey"
	"github.com/stepup-auth/stepup/stepup/store"
)

func TestEnrollRequiresUserVerification(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	u := e.user(t, "alice")
	d := newDevice(virtualwebauthn.AuthenticatorOptions{UserNotVerified: true})
	p, err := e.f.BeginEnroll(ctx, u, target(u))
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.f.FinishEnroll(ctx, u, target(u), factor.Answer{ChallengeID: p.ChallengeID, Response: d.create(t, p)})
	if !errors.Is(err, factor.ErrWrongAnswer) {
		t.Fatalf("a credential created without UV: %v, want ErrWrongAnswer", err)
	}
	if _, err := e.f.BeginVerify(ctx, target(u)); !errors.Is(err, factor.ErrNotEnrolled) {
		t.Fatalf("after the refused enrollment: %v, want ErrNotEnrolled", err)
	}
}

// TestEnrollKinds checks what an enrollment stores and proves, by the
// authenticator's attachment, backup flags and model.
func TestEnrollKinds(t *testing.T) {
	listed := uuid.MustParse("ee882879-721c-4913-9775-3dfcce97072a")
	for _, tc := range []struct {
		name       string
		opts       virtualwebauthn.AuthenticatorOptions
		attachment string
		aaguid     uuid.UUID
		method     acr.Method
		hardware   bool
		level      acr.Level
	}{
		{"SyncedPasskey", virtualwebauthn.AuthenticatorOptions{BackupEligible: true, BackupState: true}, "platform", uuid.Nil, acr.Passkey, false, acr.PhishingResistant},
		{"SyncablePasskeyNotYetSynced", virtualwebauthn.AuthenticatorOptions{BackupEligible: true}, "platform", uuid.Nil, acr.Passkey, false, acr.PhishingResistant},
		{"DeviceBoundPasskey", virtualwebauthn.AuthenticatorOptions{}, "platform", uuid.Nil, acr.Passkey, true, acr.PhishingResistantHardware},
		{"AllowListedModel", virtualwebauthn.AuthenticatorOptions{BackupEligible: true}, "platform", listed, acr.Passkey, true, acr.PhishingResistantHardware},
		{"SecurityKey", virtualwebauthn.AuthenticatorOptions{}, "cross-platform", uuid.Nil, acr.SecurityKey, true, acr.PhishingResistantHardware},
		{"PasskeyOnAPhone", virtualwebauthn.AuthenticatorOptions{BackupEligible: true, BackupState: true}, "cross-platform", uuid.Nil, acr.Passkey, false, acr.PhishingResistant},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(o *passkey.Options) { o.HardwareAAGUIDs = []uuid.UUID{listed} })
			u := e.user(t, "alice")
			d := newDevice(tc.opts)
			d.attachment = tc.attachment
			if tc.aaguid != uuid.Nil {
				d.auth.Aaguid = tc.aaguid
			}
			res := e.enroll(t, u, d)
			a, v := res.Authenticator, res.Verification
			if a.Method != tc.method || v.Method != tc.method || v.HardwareBound != tc.hardware || !v.UserVerified {
				t.Errorf("enrolled %s (hardware %v, uv %v), want %s (hardware %v, uv)", v.Method, v.HardwareBound, v.UserVerified, tc.method, tc.hardware)
			}
			if got := acr.Assess([]acr.Verification{{Method: v.Method, At: v.At, UserVerified: v.UserVerified, HardwareBound: v.HardwareBound}}, v.At).Level; got != tc.level {
				t.Errorf("the enrollment reaches %s, want %s", got, tc.level)
			}
			stored, err := e.st.Authenticators().GetByCredentialID(context.Background(), d.cred.ID)
			if err != nil {
				t.Fatal(err)
			}
			if stored.UserID != u.ID || stored.Name != passkey.DefaultName || !stored.Verified ||
				stored.BackupEligible != tc.opts.BackupEligible || stored.BackupState != tc.opts.BackupState ||
				string(stored.AAGUID) != string(d.auth.Aaguid[:]) || len(stored.PublicKey) == 0 {
				t.Errorf("stored %+v", stored)
			}
			// And a verification by it proves the same.
			res, err = e.verify(t, u, d)
			if err != nil {
				t.Fatal(err)
			}
			if res.Verification.Method != tc.method || res.Verification.HardwareBound != tc.hardware {
				t.Errorf("verified %s (hardware %v), want %s (hardware %v)", res.Verification.Method, res.Verification.HardwareBound, tc.method, tc.hardware)
			}
		})
	}
}

func TestEnrollSameCredentialTwice(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	u := e.user(t, "alice")
	d := newDevice(virtualwebauthn.AuthenticatorOptions{})
	e.enroll(t, u, d)
	// An authenticator that ignores excludeCredentials.
	p, err := e.f.BeginEnroll(ctx, u, target(u))
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.f.FinishEnroll(ctx, u, target(u), factor.Answer{ChallengeID: p.ChallengeID, Response: d.create(t, p), Name: "Again"})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("the same credential again: %v, want store.ErrConflict", err)
	}
}

// TestChallengeOfAnotherKind: an answer to a prompt of one ceremony is
// refused by another, even when signed over its challenge.
func TestChallengeOfAnotherKind(t *testing.T) {
	ctx := context.Background()
	e, d := enrolled(t, virtualwebauthn.AuthenticatorOptions{}, nil)
	p, err := e.f.BeginEnroll(ctx, aliceRef, target(aliceRef))
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.f.FinishVerify(ctx, target(aliceRef), factor.Answer{ChallengeID: p.ChallengeID, Response: d.get(t, p)})
	if !errors.Is(err, factor.ErrExpired) {
		t.Fatalf("an assertion over an enrollment challenge: %v, want ErrExpired", err)
	}

	other := &store.Challenge{ID: "totp-1", Method: acr.TOTP, UserID: "alice", FlowID: flowID, ExpiresAt: e.clock.Now().Add(time.Minute)}
	if err := e.st.Challenges().Create(ctx, other); err != nil {
		t.Fatal(err)
	}
	p = e.beginVerify(t, aliceRef)
	_, err = e.f.FinishVerify(ctx, target(aliceRef), factor.Answer{ChallengeID: other.ID, Response: d.get(t, p)})
	if !errors.Is(err, factor.ErrExpired) {
		t.Fatalf("an answer naming a TOTP challenge: %v, want ErrExpired", err)
	}
}
