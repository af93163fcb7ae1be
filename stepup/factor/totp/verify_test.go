package totp_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/factor/factortest"
	"github.com/stepup-auth/stepup/stepup/seal"
	"github.com/stepup-auth/stepup/stepup/store"
)

// TestSkew: a code of the step before or after the current one verifies,
// one two steps away does not.
func TestSkew(t *testing.T) {
	for _, tc := range []struct {
		delta int
		ok    bool
	}{
		{-2, false}, {-1, true}, {0, true}, {1, true}, {2, false},
	} {
		t.Run(time.Duration(tc.delta*30*int(time.Second)).String(), func(t *testing.T) {
			e := newEnv(t)
			u := factortest.NewUser(t, e.st, "alice")
			secret, _ := enroll(t, e.f, e.clock.Now, u)
			e.clock.Advance(10 * time.Minute)
			_, err := e.verify(u, codeAt(secret, e.clock.Now(), tc.delta))
			switch {
			case tc.ok && err != nil:
				t.Fatalf("the code of step %+d: %v", tc.delta, err)
			case !tc.ok && !errors.Is(err, factor.ErrWrongAnswer):
				t.Fatalf("the code of step %+d: %v, want ErrWrongAnswer", tc.delta, err)
			}
		})
	}
}

func TestReplay(t *testing.T) {
	t.Run("SameCodeTwice", func(t *testing.T) {
		e := newEnv(t)
		u := factortest.NewUser(t, e.st, "alice")
		secret, _ := enroll(t, e.f, e.clock.Now, u)
		e.clock.Advance(time.Minute)
		code := codeAt(secret, e.clock.Now(), 0)
		if _, err := e.verify(u, code); err != nil {
			t.Fatalf("first use: %v", err)
		}
		if _, err := e.verify(u, code); !errors.Is(err, factor.ErrWrongAnswer) {
			t.Fatalf("second use: %v, want ErrWrongAnswer", err)
		}
	})
	t.Run("EarlierStepAfterLaterOne", func(t *testing.T) {
		e := newEnv(t)
		u := factortest.NewUser(t, e.st, "alice")
		secret, _ := enroll(t, e.f, e.clock.Now, u)
		e.clock.Advance(time.Minute)
		now := e.clock.Now()
		res, err := e.verify(u, codeAt(secret, now, 1))
		if err != nil {
			t.Fatalf("the code of the next step: %v", err)
		}
		if want := totpStep(now) + 1; res.Authenticator.Counter != want {
			t.Errorf("the counter is %d after the code of step %d", res.Authenticator.Counter, want)
		}
		for _, d := range []int{0, -1} {
			if _, err := e.verify(u, codeAt(secret, now, d)); !errors.Is(err, factor.ErrWrongAnswer) {
				t.Errorf("the code of step %+d, inside the window but before the last used: %v, want ErrWrongAnswer", d, err)
			}
		}
	})
	t.Run("EnrollmentCodeDoesNotVerify", func(t *testing.T) {
		e := newEnv(t)
		u := factortest.NewUser(t, e.st, "alice")
		secret, a := enroll(t, e.f, e.clock.Now, u)
		if a.Counter != totpStep(e.clock.Now()) {
			t.Errorf("the enrolled counter is %d, want the step of the first code %d", a.Counter, totpStep(e.clock.Now()))
		}
		if _, err := e.verify(u, codeAt(secret, e.clock.Now(), 0)); !errors.Is(err, factor.ErrWrongAnswer) {
			t.Fatalf("the code that confirmed enrollment, again: %v, want ErrWrongAnswer", err)
		}
	})
	t.Run("CodeRepeatedByNextStep", func(t *testing.T) {
		// With this secret, steps 59061240 and 59061241 (2026-02-23
		// 09:00:00 and :30 UTC) both make 963181. It is a new step's
		// code when it comes again: refusing it would lock the user out
		// for 30 seconds for nothing.
		secret := []byte("12345678901234567890")
		const step = 59061240
		if a, b := hotpCode(secret, step, 6), hotpCode(secret, step+1, 6); a != b {
			t.Fatalf("the fixture is wrong: steps %d and %d make %s and %s", step, step+1, a, b)
		}
		e := newEnvRand(t, fixedSecret(secret))
		u := factortest.NewUser(t, e.st, "alice")
		e.clock.Advance(time.Unix(step*30, 0).Sub(e.clock.Now()) - 10*time.Minute)
		if got, _ := enroll(t, e.f, e.clock.Now, u); !bytes.Equal(got, secret) {
			t.Fatalf("the factor did not take the secret from Rand first: %x", got)
		}
		e.clock.Advance(10 * time.Minute)
		code := codeAt(secret, e.clock.Now(), 0)
		if _, err := e.verify(u, code); err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		e.clock.Advance(30 * time.Second)
		res, err := e.verify(u, code)
		if err != nil {
			t.Fatalf("the same digits at step %d: %v", step+1, err)
		}
		if res.Authenticator.Counter != step+1 {
			t.Errorf("counter = %d, want %d", res.Authenticator.Counter, step+1)
		}
		if _, err := e.verify(u, code); !errors.Is(err, factor.ErrWrongAnswer) {
			t.Fatalf("a third time in step %d: %v, want ErrWrongAnswer", step+1, err)
		}
	})
}

// TestConcurrentSameCode: of 20 requests racing with one right code,
// exactly one verifies. Every request reads the authenticator before any
// goes on, so all of them find the code unused and race to take its step.
func TestConcurrentSameCode(t *testing.T) {
	e := newEnv(t)
	u := factortest.NewUser(t, e.st, "alice")
	secret, _ := enroll(t, e.f, e.clock.Now, u)
	e.clock.Advance(time.Minute)
	code := codeAt(secret, e.clock.Now(), 0)
	const n = 20
	auths := &readBarrier{Authenticators: e.st.Authenticators()}
	auths.wg.Add(n)
	f := e.factor(t, auths, nil)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = f.FinishVerify(context.Background(), factor.Target{UserID: u.ID, FlowID: "flow-1"}, factor.Answer{Response: []byte(code)})
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, factor.ErrWrongAnswer):
			t.Errorf("a losing request: %v, want ErrWrongAnswer", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of %d concurrent requests verified with one code, want 1", ok, n)
	}
}

// readBarrier holds each ListByUser until wg is done: until every request
// of a race has read the authenticators.
type readBarrier struct {
	store.Authenticators
	wg sync.WaitGroup
}

func (r *readBarrier) ListByUser(ctx context.Context, userID string) ([]*store.Authenticator, error) {
	as, err := r.Authenticators.ListByUser(ctx, userID)
	r.wg.Done()
	r.wg.Wait()
	return as, err
}

// TestEnrolledOnly: only confirmed TOTP authenticators count; an
// unconfirmed one, or another method's, is not one to verify with.
func TestEnrolledOnly(t *testing.T) {
	ctx := context.Background()
	secret := []byte("12345678901234567890")
	sealer, err := seal.New(seal.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		method   acr.Method
		verified bool
	}{
		// As another version or a migration may leave one.
		{"Unconfirmed", acr.TOTP, false},
		{"OtherMethod", acr.RecoveryCode, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			u := factortest.NewUser(t, e.st, "alice")
			sealed, _ := sealer.Seal(secret, nil)
			a := &store.Authenticator{ID: "other", UserID: u.ID, Method: tc.method, Secret: sealed, Verified: tc.verified}
			if err := e.st.Authenticators().Create(ctx, a); err != nil {
				t.Fatal(err)
			}
			if _, err := e.f.BeginVerify(ctx, factor.Target{UserID: u.ID, FlowID: "flow-1"}); !errors.Is(err, factor.ErrNotEnrolled) {
				t.Fatalf("BeginVerify: %v, want ErrNotEnrolled", err)
			}
			if _, err := e.verify(u, codeAt(secret, e.clock.Now(), 0)); !errors.Is(err, factor.ErrNotEnrolled) {
				t.Fatalf("FinishVerify: %v, want ErrNotEnrolled", err)
			}
		})
	}
}

// TestSecretSealed: the stored secret is not the secret, and a sealed
// secret copied into another user's authenticator does not open there.
func TestSecretSealed(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	alice := factortest.NewUser(t, e.st, "alice")
	bob := factortest.NewUser(t, e.st, "bob")
	aliceSecret, aliceAuth := enroll(t, e.f, e.clock.Now, alice)
	bobSecret, bobAuth := enroll(t, e.f, e.clock.Now, bob)

	stored, err := e.st.Authenticators().Get(ctx, aliceAuth.ID)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(stored.Secret, aliceSecret) || bytes.Contains(stored.Secret, []byte(b32(aliceSecret))) {
		t.Fatal("the stored Secret contains the secret in clear")
	}
	if _, err := seal.SealedKeyID(stored.Secret); err != nil {
		t.Fatalf("the stored Secret is not a sealed blob: %v", err)
	}

	// Someone who can write the database, but not read the master key,
	// copies Alice's sealed secret into Bob's record, hoping her codes
	// then verify Bob.
	victim, err := e.st.Authenticators().Get(ctx, bobAuth.ID)
	if err != nil {
		t.Fatal(err)
	}
	victim.Secret = stored.Secret
	if err := e.st.Authenticators().Update(ctx, victim); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	_, err = e.verify(bob, codeAt(aliceSecret, e.clock.Now(), 0))
	if err == nil {
		t.Fatal("Alice's code verified Bob with her secret copied into his record")
	}
	if !errors.Is(err, seal.ErrOpen) {
		t.Errorf("the copied secret: %v, want seal.ErrOpen", err)
	}
	// Bob has no secret that opens, so no code was compared: a fault for
	// the operator, which factor.Limiter does not count against Bob.
	if errors.Is(err, factor.ErrWrongAnswer) {
		t.Errorf("no secret opened, yet the code was called wrong: %v", err)
	}
	if _, err := e.verify(bob, codeAt(bobSecret, e.clock.Now(), 0)); err == nil {
		t.Fatal("Bob's own code verified with a secret that is not his")
	}
}

func TestLastUsedAt(t *testing.T) {
	e := newEnv(t)
	u := factortest.NewUser(t, e.st, "alice")
	secret, a := enroll(t, e.f, e.clock.Now, u)
	e.clock.Advance(time.Hour)
	res, err := e.verify(u, codeAt(secret, e.clock.Now(), 0))
	if err != nil {
		t.Fatal(err)
	}
	stored, err := e.st.Authenticators().Get(context.Background(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !stored.LastUsedAt.Equal(e.clock.Now()) || !res.Authenticator.LastUsedAt.Equal(e.clock.Now()) {
		t.Errorf("LastUsedAt stored %v, returned %v, want %v", stored.LastUsedAt, res.Authenticator.LastUsedAt, e.clock.Now())
	}
	if stored.Counter != totpStep(e.clock.Now()) {
		t.Errorf("stored counter %d, want %d", stored.Counter, totpStep(e.clock.Now()))
	}
}

// TestTwoAuthenticators: a user with two apps verifies with either.
func TestTwoAuthenticators(t *testing.T) {
	e := newEnv(t)
	u := factortest.NewUser(t, e.st, "alice")
	first, a1 := enroll(t, e.f, e.clock.Now, u)
	second, a2 := enroll(t, e.f, e.clock.Now, u)
	e.clock.Advance(time.Minute)
	for _, c := range []struct {
		secret []byte
		id     string
	}{{second, a2.ID}, {first, a1.ID}} {
		res, err := e.verify(u, codeAt(c.secret, e.clock.Now(), 0))
		if err != nil {
			t.Fatal(err)
		}
		if res.Authenticator.ID != c.id || res.Verification.AuthenticatorID != c.id {
			t.Errorf("verified %s, want %s", res.Authenticator.ID, c.id)
		}
	}
}

func TestMalformedCode(t *testing.T) {
	e := newEnv(t)
	u := factortest.NewUser(t, e.st, "alice")
	secret, _ := enroll(t, e.f, e.clock.Now, u)
	e.clock.Advance(time.Minute)
	code := codeAt(secret, e.clock.Now(), 0)
	for _, in := range []string{"", code[:5], code + "0", code[:3] + "-" + code[3:], "abcdef"} {
		if _, err := e.verify(u, in); !errors.Is(err, factor.ErrMalformed) {
			t.Errorf("FinishVerify(%q): %v, want ErrMalformed", in, err)
		}
	}
	// Apps show the code in two groups; a user may type it so.
	if _, err := e.verify(u, " "+code[:3]+" "+code[3:]+"\n"); err != nil {
		t.Errorf("the code typed in two groups: %v", err)
	}
}

// TestUnreadableSecretBesideGoodOne: a user with one authenticator whose
// secret does not open and one that does still verifies with the good
// one, and a wrong code counts as wrong (it was compared).
func TestUnreadableSecretBesideGoodOne(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	u := factortest.NewUser(t, e.st, "alice")
	_, broken := enroll(t, e.f, e.clock.Now, u)
	good, _ := enroll(t, e.f, e.clock.Now, u)
	broken.Secret[len(broken.Secret)-1] ^= 1
	if err := e.st.Authenticators().Update(ctx, broken); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	_, err := e.verify(u, wrongCode(good, e.clock.Now()))
	if !errors.Is(err, factor.ErrWrongAnswer) || !errors.Is(err, seal.ErrOpen) {
		t.Fatalf("a wrong code: %v, want ErrWrongAnswer that names seal.ErrOpen", err)
	}
	if _, err := e.verify(u, codeAt(good, e.clock.Now(), 0)); err != nil {
		t.Fatalf("the good authenticator's code: %v", err)
	}
}
