package totp_test

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/factor/factortest"
	"github.com/stepup-auth/stepup/stepup/store"
)

// beginEnroll starts an enrollment of a new user alice in flow "enroll".
func beginEnroll(t *testing.T, e *env) (*store.User, factor.Target, factor.Prompt, []byte) {
	t.Helper()
	u := factortest.NewUser(t, e.st, "alice")
	target := factor.Target{UserID: u.ID, FlowID: "enroll"}
	p, err := e.f.BeginEnroll(context.Background(), u, target)
	if err != nil {
		t.Fatalf("BeginEnroll: %v", err)
	}
	return u, target, p, secretOf(t, p)
}

// enrolled reports whether u has a TOTP authenticator to verify with.
func enrolled(t *testing.T, e *env, u *store.User) bool {
	t.Helper()
	_, err := e.f.BeginVerify(context.Background(), factor.Target{UserID: u.ID, FlowID: "flow-1"})
	if err != nil && !errors.Is(err, factor.ErrNotEnrolled) {
		t.Fatalf("BeginVerify: %v", err)
	}
	return err == nil
}

func TestEnrollConfirmedByFirstCode(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	u, target, p, secret := beginEnroll(t, e)
	if enrolled(t, e, u) {
		t.Fatal("the user is enrolled before answering")
	}
	wrong := factor.Answer{ChallengeID: p.ChallengeID, Response: []byte(wrongCode(secret, e.clock.Now()))}
	if _, err := e.f.FinishEnroll(ctx, u, target, wrong); !errors.Is(err, factor.ErrWrongAnswer) {
		t.Fatalf("a wrong first code: %v, want ErrWrongAnswer", err)
	}
	if enrolled(t, e, u) {
		t.Fatal("a wrong first code enrolled the user")
	}
	e.clock.Advance(time.Minute)
	res, err := e.f.FinishEnroll(ctx, u, target, factor.Answer{ChallengeID: p.ChallengeID, Response: []byte(codeAt(secret, e.clock.Now(), 0)), Name: "Phone"})
	if err != nil {
		t.Fatalf("the right code after a wrong one: %v", err)
	}
	a := res.Authenticator
	if a.UserID != u.ID || a.Method != acr.TOTP || !a.Verified || a.Name != "Phone" || !a.CreatedAt.Equal(e.clock.Now()) {
		t.Errorf("enrolled %+v", a)
	}
	if res.Verification.Method != acr.TOTP || res.Verification.AuthenticatorID != a.ID || !res.Verification.At.Equal(e.clock.Now()) {
		t.Errorf("the enrollment's verification is %+v", res.Verification)
	}
	if !enrolled(t, e, u) {
		t.Fatal("not enrolled after the right code")
	}
	// The challenge is spent: the same answer does not enroll twice.
	_, err = e.f.FinishEnroll(ctx, u, target, factor.Answer{ChallengeID: p.ChallengeID, Response: []byte(codeAt(secret, e.clock.Now(), 1))})
	if !errors.Is(err, factor.ErrExpired) {
		t.Fatalf("a second answer to an answered enrollment: %v, want ErrExpired", err)
	}
	if all, _ := e.st.Authenticators().ListByUser(ctx, u.ID); len(all) != 1 {
		t.Fatalf("%d authenticators after one enrollment", len(all))
	}
}

func TestEnrollDefaultName(t *testing.T) {
	e := newEnv(t)
	u := factortest.NewUser(t, e.st, "alice")
	if _, a := enroll(t, e.f, e.clock.Now, u); a.Name != "Authenticator app" {
		t.Errorf("an unnamed authenticator is called %q", a.Name)
	}
}

// TestEnrollAttemptsSpent: five wrong codes spend the enrollment, and then
// even the right one does not enroll: the challenge is as good as
// expired, and the user starts again.
func TestEnrollAttemptsSpent(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	u, target, p, secret := beginEnroll(t, e)
	for i := range 5 {
		a := factor.Answer{ChallengeID: p.ChallengeID, Response: []byte(wrongCode(secret, e.clock.Now()))}
		if _, err := e.f.FinishEnroll(ctx, u, target, a); !errors.Is(err, factor.ErrWrongAnswer) {
			t.Fatalf("wrong code %d: %v", i+1, err)
		}
	}
	right := factor.Answer{ChallengeID: p.ChallengeID, Response: []byte(codeAt(secret, e.clock.Now(), 0))}
	if _, err := e.f.FinishEnroll(ctx, u, target, right); !errors.Is(err, factor.ErrExpired) {
		t.Fatalf("the right code after five wrong ones: %v, want ErrExpired", err)
	}
	if enrolled(t, e, u) {
		t.Fatal("enrolled after the attempts were spent")
	}
}

// TestEnrollChallengeBound: an enrollment answered for another user or
// flow, or too late, is refused; one refused for another user or flow is
// not spent, and its own user still finishes it.
func TestEnrollChallengeBound(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name        string
		asBob       bool
		flow        string
		challengeID string // empty: the prompt's
		wait        time.Duration
		stillOpen   bool
	}{
		{name: "OtherFlow", flow: "flow-2", stillOpen: true},
		{name: "OtherUser", asBob: true, flow: "enroll", stillOpen: true},
		{name: "UnknownChallenge", flow: "enroll", challengeID: "nope", stillOpen: true},
		{name: "Expired", flow: "enroll", wait: 10 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			u, target, p, secret := beginEnroll(t, e)
			bob := factortest.NewUser(t, e.st, "bob")
			e.clock.Advance(tc.wait)
			who := u
			if tc.asBob {
				who = bob
			}
			a := factor.Answer{ChallengeID: p.ChallengeID, Response: []byte(codeAt(secret, e.clock.Now(), 0))}
			if tc.challengeID != "" {
				a.ChallengeID = tc.challengeID
			}
			if _, err := e.f.FinishEnroll(ctx, who, factor.Target{UserID: who.ID, FlowID: tc.flow}, a); !errors.Is(err, factor.ErrExpired) {
				t.Fatalf("got %v, want ErrExpired", err)
			}
			if enrolled(t, e, u) || enrolled(t, e, bob) {
				t.Fatal("a refused answer enrolled someone")
			}
			a.ChallengeID = p.ChallengeID
			_, err := e.f.FinishEnroll(ctx, u, target, a)
			if tc.stillOpen && err != nil {
				t.Fatalf("the enrollment's own user and flow, after the refused answer: %v", err)
			}
			if !tc.stillOpen && !errors.Is(err, factor.ErrExpired) {
				t.Fatalf("the enrollment's own user and flow, too late: %v, want ErrExpired", err)
			}
		})
	}
}

func TestEnrollPrompt(t *testing.T) {
	e := newEnv(t)
	u, _, p, secret := beginEnroll(t, e)
	if len(secret) != 20 {
		t.Errorf("the secret has %d bytes, want 20", len(secret))
	}
	uri, err := url.Parse(p.URI)
	if err != nil {
		t.Fatal(err)
	}
	q := uri.Query()
	if uri.Scheme != "otpauth" || uri.Host != "totp" {
		t.Errorf("URI %q is not otpauth://totp/", p.URI)
	}
	if want := "/" + issuer + ":" + u.Username; uri.Path != want {
		t.Errorf("label %q, want %q", uri.Path, want)
	}
	for k, want := range map[string]string{"issuer": issuer, "digits": "6", "period": "30", "algorithm": "SHA1"} {
		if got := q.Get(k); got != want {
			t.Errorf("URI %s=%q, want %q", k, got, want)
		}
	}
	img, err := png.Decode(bytes.NewReader(p.QRCode))
	if err != nil {
		t.Fatalf("the QR code is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 200 || b.Dy() != 200 {
		t.Errorf("the QR code is %v, want 200x200", b)
	}
	c, err := e.st.Challenges().Get(context.Background(), p.ChallengeID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Method != acr.TOTP || c.UserID != u.ID || c.FlowID != "enroll" || c.MaxAttempts != 5 || !c.ExpiresAt.Equal(e.clock.Now().Add(10*time.Minute)) {
		t.Errorf("the challenge is %+v", c)
	}
	if bytes.Contains(c.Data, secret) || strings.Contains(string(c.Data), b32(secret)) {
		t.Error("the challenge holds the secret in clear")
	}
}

// TestEnrollAccountName: a user without a username is named by id.
func TestEnrollAccountName(t *testing.T) {
	e := newEnv(t)
	u := &store.User{ID: "u-42", CreatedAt: e.clock.Now()}
	if err := e.st.Users().Create(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	p, err := e.f.BeginEnroll(context.Background(), u, factor.Target{UserID: u.ID, FlowID: "enroll"})
	if err != nil {
		t.Fatal(err)
	}
	if uri, _ := url.Parse(p.URI); uri.Path != "/"+issuer+":u-42" {
		t.Errorf("label %q, want the user id", uri.Path)
	}
}

// TestEnrollOtherMethodChallenge: the id of another factor's challenge,
// for the same user and flow, does not finish a TOTP enrollment.
func TestEnrollOtherMethodChallenge(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	u, target, p, secret := beginEnroll(t, e)
	c, err := e.st.Challenges().Get(ctx, p.ChallengeID)
	if err != nil {
		t.Fatal(err)
	}
	other := c.Clone()
	other.ID, other.Method, other.Version = "passkey-challenge", acr.Passkey, 0
	if err := e.st.Challenges().Create(ctx, other); err != nil {
		t.Fatal(err)
	}
	a := factor.Answer{ChallengeID: other.ID, Response: []byte(codeAt(secret, e.clock.Now(), 0))}
	if _, err := e.f.FinishEnroll(ctx, u, target, a); !errors.Is(err, factor.ErrExpired) {
		t.Fatalf("a passkey challenge's id: %v, want ErrExpired", err)
	}
}
