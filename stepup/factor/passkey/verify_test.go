package passkey_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/descope/virtualwebauthn"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/factor/passkey"
	"github.com/stepup-auth/stepup/stepup/store"
)

// enrolled returns an env with alice, who has enrolled a device with o's
// flags.
func enrolled(t *testing.T, o virtualwebauthn.AuthenticatorOptions, mod func(*passkey.Options)) (*env, *device) {
	t.Helper()
	e := newEnv(t, mod)
	d := newDevice(o)
	e.enroll(t, e.user(t, "alice"), d)
	return e, d
}

// aliceRef is the user enrolled creates, for target and env.verify.
var aliceRef = &store.User{ID: "alice"}

func TestVerifyExpiredSession(t *testing.T) {
	e, d := enrolled(t, virtualwebauthn.AuthenticatorOptions{}, func(o *passkey.Options) { o.Timeout = time.Minute })
	p, err := e.f.BeginVerify(context.Background(), target(aliceRef))
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	_, err = e.f.FinishVerify(context.Background(), target(aliceRef), factor.Answer{ChallengeID: p.ChallengeID, Response: d.get(t, p)})
	if !errors.Is(err, factor.ErrExpired) {
		t.Fatalf("an answer at the timeout: %v, want ErrExpired", err)
	}
}

// TestVerifyExpiredSessionInLaxStore: a store that hands out a challenge
// past its ExpiresAt does not make it live.
func TestVerifyExpiredSessionInLaxStore(t *testing.T) {
	ctx := context.Background()
	e, d := enrolled(t, virtualwebauthn.AuthenticatorOptions{}, nil)
	lax := &laxChallenges{Challenges: e.st.Challenges(), kept: map[string]store.Challenge{}}
	e.f = newFactor(t, e.st, e.clock.Now, e.logs, func(o *passkey.Options) { o.Challenges = lax })
	p := e.beginVerify(t, aliceRef)
	e.clock.Advance(passkey.DefaultTimeout)
	_, err := e.f.FinishVerify(ctx, target(aliceRef), factor.Answer{ChallengeID: p.ChallengeID, Response: d.get(t, p)})
	if !errors.Is(err, factor.ErrExpired) {
		t.Fatalf("an expired challenge the store still gave: %v, want ErrExpired", err)
	}
}

// laxChallenges is a store that forgets to check expiry on Consume.
type laxChallenges struct {
	store.Challenges
	kept map[string]store.Challenge
}

func (l *laxChallenges) Create(ctx context.Context, c *store.Challenge) error {
	l.kept[c.ID] = *c
	return l.Challenges.Create(ctx, c)
}

func (l *laxChallenges) Consume(_ context.Context, id string) (*store.Challenge, error) {
	c, ok := l.kept[id]
	if !ok {
		return nil, store.ErrNotFound
	}
	delete(l.kept, id)
	return &c, nil
}

func TestVerifyReplay(t *testing.T) {
	ctx := context.Background()
	// A synced passkey's counter stays 0, so only the consumed session
	// stops a replay.
	e, d := enrolled(t, virtualwebauthn.AuthenticatorOptions{BackupEligible: true, BackupState: true}, nil)
	d.frozen = true
	p, err := e.f.BeginVerify(ctx, target(aliceRef))
	if err != nil {
		t.Fatal(err)
	}
	a := factor.Answer{ChallengeID: p.ChallengeID, Response: d.get(t, p)}
	if _, err := e.f.FinishVerify(ctx, target(aliceRef), a); err != nil {
		t.Fatalf("first answer: %v", err)
	}
	if _, err := e.f.FinishVerify(ctx, target(aliceRef), a); !errors.Is(err, factor.ErrExpired) {
		t.Fatalf("the same assertion again: %v, want ErrExpired", err)
	}
	a.Response = d.get(t, p)
	if _, err := e.f.FinishVerify(ctx, target(aliceRef), a); !errors.Is(err, factor.ErrExpired) {
		t.Fatalf("a new assertion for a consumed challenge: %v, want ErrExpired", err)
	}
}

func TestVerifyWrongOrigin(t *testing.T) {
	e, d := enrolled(t, virtualwebauthn.AuthenticatorOptions{}, nil)
	d.rp.Origin = "http://localhost:8444"
	if _, err := e.verify(t, aliceRef, d); !errors.Is(err, factor.ErrWrongAnswer) {
		t.Fatalf("an assertion from another origin: %v, want ErrWrongAnswer", err)
	}
}

func TestVerifyRequiresUserVerification(t *testing.T) {
	e, d := enrolled(t, virtualwebauthn.AuthenticatorOptions{}, nil)
	d.auth.Options.UserNotVerified = true
	if _, err := e.verify(t, aliceRef, d); !errors.Is(err, factor.ErrWrongAnswer) {
		t.Fatalf("an assertion without UV by a credential enrolled with UV: %v, want ErrWrongAnswer", err)
	}
	d.auth.Options.UserNotVerified = false
	if _, err := e.verify(t, aliceRef, d); err != nil {
		t.Fatalf("the same credential with UV: %v", err)
	}
}

func TestVerifyChallengeOfAnotherUser(t *testing.T) {
	ctx := context.Background()
	e, d := enrolled(t, virtualwebauthn.AuthenticatorOptions{}, nil)
	bob := e.user(t, "bob")
	e.enroll(t, bob, newDevice(virtualwebauthn.AuthenticatorOptions{}))
	p := e.beginVerify(t, aliceRef)
	_, err := e.f.FinishVerify(ctx, target(bob), factor.Answer{ChallengeID: p.ChallengeID, Response: d.get(t, p)})
	if !errors.Is(err, factor.ErrExpired) {
		t.Fatalf("alice's challenge and answer, claimed for bob: %v, want ErrExpired", err)
	}
}

func TestVerifyOtherFlow(t *testing.T) {
	ctx := context.Background()
	e, d := enrolled(t, virtualwebauthn.AuthenticatorOptions{}, nil)
	p, err := e.f.BeginVerify(ctx, factor.Target{UserID: "alice", FlowID: "flow-other"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.f.FinishVerify(ctx, target(aliceRef), factor.Answer{ChallengeID: p.ChallengeID, Response: d.get(t, p)})
	if !errors.Is(err, factor.ErrExpired) {
		t.Fatalf("an answer to another flow's challenge: %v, want ErrExpired", err)
	}
}

// TestVerifyOtherUsersCredential: Bob answers Alice's verification with
// his own credential, signed over her challenge.
func TestVerifyOtherUsersCredential(t *testing.T) {
	ctx := context.Background()
	e, _ := enrolled(t, virtualwebauthn.AuthenticatorOptions{}, nil)
	bob := e.user(t, "bob")
	bobs := newDevice(virtualwebauthn.AuthenticatorOptions{})
	e.enroll(t, bob, bobs)
	p, err := e.f.BeginVerify(ctx, target(aliceRef))
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.f.FinishVerify(ctx, target(aliceRef), factor.Answer{ChallengeID: p.ChallengeID, Response: bobs.get(t, p)})
	if !errors.Is(err, factor.ErrWrongAnswer) {
		t.Fatalf("bob's credential for alice: %v, want ErrWrongAnswer", err)
	}
}

func TestVerifyCounterPolicy(t *testing.T) {
	t.Run("CounterGoesBack", func(t *testing.T) {
		e, d := enrolled(t, virtualwebauthn.AuthenticatorOptions{}, nil)
		d.cred.Counter = 10
		if _, err := e.verify(t, aliceRef, d); err != nil {
			t.Fatalf("counter 11: %v", err)
		}
		d.cred.Counter = 5 // a clone that signed less often
		_, err := e.verify(t, aliceRef, d)
		if !errors.Is(err, factor.ErrWrongAnswer) {
			t.Fatalf("counter 6 after 11: %v, want ErrWrongAnswer", err)
		}
		if !strings.Contains(e.logs.String(), "cloned") {
			t.Errorf("no warning logged: %q", e.logs.String())
		}
		d.frozen = true
		d.cred.Counter = 11 // the same count again
		if _, err := e.verify(t, aliceRef, d); !errors.Is(err, factor.ErrWrongAnswer) {
			t.Fatalf("counter 11 after 11: %v, want ErrWrongAnswer", err)
		}
		d.cred.Counter = 12
		res, err := e.verify(t, aliceRef, d)
		if err != nil || res.Authenticator.SignCount != 12 {
			t.Fatalf("counter 12 after 11: %v, count %v", err, res.Authenticator)
		}
	})
	t.Run("ZeroStaysZero", func(t *testing.T) {
		e, d := enrolled(t, virtualwebauthn.AuthenticatorOptions{BackupEligible: true}, nil)
		d.frozen = true
		for i := range 3 {
			if _, err := e.verify(t, aliceRef, d); err != nil {
				t.Fatalf("assertion %d with counter 0: %v", i+1, err)
			}
		}
	})
}

func TestVerifyRecordsUse(t *testing.T) {
	e, d := enrolled(t, virtualwebauthn.AuthenticatorOptions{BackupEligible: true}, nil)
	e.clock.Advance(time.Hour)
	d.auth.Options.BackupState = true // now synced
	res, err := e.verify(t, aliceRef, d)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := e.st.Authenticators().Get(context.Background(), res.Authenticator.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.SignCount != d.cred.Counter || !stored.BackupState || !stored.LastUsedAt.Equal(e.clock.Now()) {
		t.Errorf("stored count %d, backed up %v, last used %s; want %d, true, %s",
			stored.SignCount, stored.BackupState, stored.LastUsedAt, d.cred.Counter, e.clock.Now())
	}
	v := res.Verification
	if !v.UserVerified || v.HardwareBound || v.Method != acr.Passkey || !v.At.Equal(e.clock.Now()) {
		t.Errorf("verification %+v: want a user-verified passkey, not hardware-bound, now", v)
	}
}

// A prompt asked for some authenticators names only their credentials,
// and none of them is ErrNotEnrolled.
func TestVerifyNamesOnlyTheAuthenticatorsAskedFor(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	u := e.user(t, "alice")
	first := e.enroll(t, u, newDevice(virtualwebauthn.AuthenticatorOptions{}))
	second := e.enroll(t, u, newDevice(virtualwebauthn.AuthenticatorOptions{}))
	tg := target(u)
	tg.Authenticators = []string{second.Authenticator.ID}
	p, err := e.f.BeginVerify(ctx, tg)
	if err != nil {
		t.Fatal(err)
	}
	var request struct {
		Allow []struct{ ID string } `json:"allowCredentials"`
	}
	if err := json.Unmarshal(p.Options, &request); err != nil {
		t.Fatal(err)
	}
	if len(request.Allow) != 1 || request.Allow[0].ID != base64.RawURLEncoding.EncodeToString(second.Authenticator.CredentialID) {
		t.Errorf("allowCredentials %+v, want the second credential alone", request.Allow)
	}
	tg.Authenticators = []string{"someone-else", first.Authenticator.ID + "x"}
	if _, err := e.f.BeginVerify(ctx, tg); !errors.Is(err, factor.ErrNotEnrolled) {
		t.Errorf("none of the asked-for authenticators: %v, want ErrNotEnrolled", err)
	}
}
