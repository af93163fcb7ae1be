package passkey_test

import (
	"context"
	"errors"
	"testing"

	"github.com/descope/virtualwebauthn"

	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/factor/passkey"
	"github.com/stepup-auth/stepup/stepup/store"
)

// signIn answers a new sign-in prompt with d.
func (e *env) signIn(t *testing.T, d *device) (factor.Result, error) {
	t.Helper()
	ctx := context.Background()
	tg := factor.Target{FlowID: flowID}
	p, err := e.f.BeginSignIn(ctx, tg)
	if err != nil {
		t.Fatalf("BeginSignIn: %v", err)
	}
	return e.f.FinishSignIn(ctx, tg, factor.Answer{ChallengeID: p.ChallengeID, Response: d.get(t, p)})
}

func TestSignInFindsTheUser(t *testing.T) {
	e, _ := enrolled(t, virtualwebauthn.AuthenticatorOptions{}, nil)
	bob := e.user(t, "bob")
	bobs := newDevice(virtualwebauthn.AuthenticatorOptions{BackupEligible: true})
	e.enroll(t, bob, bobs)
	res, err := e.signIn(t, bobs)
	if err != nil {
		t.Fatalf("sign-in: %v", err)
	}
	if res.Authenticator.UserID != bob.ID || !res.Verification.UserVerified || res.Verification.HardwareBound {
		t.Errorf("signed in %s with %+v, want bob, user-verified, synced", res.Authenticator.UserID, res.Verification)
	}
}

func TestSignInRefuses(t *testing.T) {
	ctx := context.Background()
	t.Run("UserHandleOfAnotherUser", func(t *testing.T) {
		e, d := enrolled(t, virtualwebauthn.AuthenticatorOptions{}, nil)
		e.user(t, "bob")
		d.auth.Options.UserHandle = []byte("bob")
		if _, err := e.signIn(t, d); !errors.Is(err, factor.ErrWrongAnswer) {
			t.Fatalf("alice's credential claiming to be bob's: %v, want ErrWrongAnswer", err)
		}
	})
	t.Run("UnknownCredential", func(t *testing.T) {
		e, _ := enrolled(t, virtualwebauthn.AuthenticatorOptions{}, nil)
		stranger := newDevice(virtualwebauthn.AuthenticatorOptions{UserHandle: []byte("alice")})
		if _, err := e.signIn(t, stranger); !errors.Is(err, factor.ErrWrongAnswer) {
			t.Fatalf("a credential never enrolled: %v, want ErrWrongAnswer", err)
		}
	})
	t.Run("NoUserVerification", func(t *testing.T) {
		e, d := enrolled(t, virtualwebauthn.AuthenticatorOptions{}, nil)
		d.auth.Options.UserNotVerified = true
		if _, err := e.signIn(t, d); !errors.Is(err, factor.ErrWrongAnswer) {
			t.Fatalf("a sign-in without UV: %v, want ErrWrongAnswer", err)
		}
	})
	t.Run("CounterGoesBack", func(t *testing.T) {
		e, d := enrolled(t, virtualwebauthn.AuthenticatorOptions{}, nil)
		if _, err := e.signIn(t, d); err != nil {
			t.Fatal(err)
		}
		d.cred.Counter = 0
		if _, err := e.signIn(t, d); !errors.Is(err, factor.ErrWrongAnswer) {
			t.Fatalf("a sign-in whose counter went back: %v, want ErrWrongAnswer", err)
		}
	})
	t.Run("Replay", func(t *testing.T) {
		e, d := enrolled(t, virtualwebauthn.AuthenticatorOptions{BackupEligible: true}, nil)
		d.frozen = true
		tg := factor.Target{FlowID: flowID}
		p, err := e.f.BeginSignIn(ctx, tg)
		if err != nil {
			t.Fatal(err)
		}
		a := factor.Answer{ChallengeID: p.ChallengeID, Response: d.get(t, p)}
		if _, err := e.f.FinishSignIn(ctx, tg, a); err != nil {
			t.Fatal(err)
		}
		if _, err := e.f.FinishSignIn(ctx, tg, a); !errors.Is(err, factor.ErrExpired) {
			t.Fatalf("the same sign-in again: %v, want ErrExpired", err)
		}
	})
	t.Run("OtherFlow", func(t *testing.T) {
		e, d := enrolled(t, virtualwebauthn.AuthenticatorOptions{}, nil)
		p, err := e.f.BeginSignIn(ctx, factor.Target{FlowID: "flow-other"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.f.FinishSignIn(ctx, factor.Target{FlowID: flowID}, factor.Answer{ChallengeID: p.ChallengeID, Response: d.get(t, p)})
		if !errors.Is(err, factor.ErrExpired) {
			t.Fatalf("a sign-in answer in another flow: %v, want ErrExpired", err)
		}
	})
	t.Run("VerificationChallenge", func(t *testing.T) {
		e, d := enrolled(t, virtualwebauthn.AuthenticatorOptions{}, nil)
		p := e.beginVerify(t, aliceRef)
		_, err := e.f.FinishSignIn(ctx, factor.Target{FlowID: flowID}, factor.Answer{ChallengeID: p.ChallengeID, Response: d.get(t, p)})
		if !errors.Is(err, factor.ErrExpired) {
			t.Fatalf("a sign-in answering alice's verification challenge: %v, want ErrExpired", err)
		}
	})
	t.Run("UserGone", func(t *testing.T) {
		e, d := enrolled(t, virtualwebauthn.AuthenticatorOptions{}, nil)
		// The user record is gone but, in a race with the deletion, the
		// credential is still found.
		a, err := e.st.Authenticators().GetByCredentialID(ctx, d.cred.ID)
		if err != nil {
			t.Fatal(err)
		}
		gone := &goneUsers{Users: e.st.Users(), id: a.UserID}
		e.f = newFactor(t, e.st, e.clock.Now, e.logs, func(o *passkey.Options) { o.Users = gone })
		if res, err := e.signIn(t, d); err == nil || !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a sign-in of a deleted user: %+v, %v; want store.ErrNotFound", res, err)
		}
	})
}

// goneUsers is a store whose user id has just been deleted.
type goneUsers struct {
	store.Users
	id string
}

func (g *goneUsers) Get(ctx context.Context, id string) (*store.User, error) {
	if id == g.id {
		return nil, store.ErrNotFound
	}
	return g.Users.Get(ctx, id)
}
