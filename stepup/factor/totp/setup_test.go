package totp_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"io"
	"net/url"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/factor/factortest"
	"github.com/stepup-auth/stepup/stepup/factor/totp"
	"github.com/stepup-auth/stepup/stepup/seal"
	"github.com/stepup-auth/stepup/stepup/store"
	"github.com/stepup-auth/stepup/stepup/store/conformance"
)

const issuer = "Example Corp"

// hotpCode is factortest.HOTP, an RFC 4226 code made by hand,
// independent of the pquerna/otp the factor uses.
var hotpCode = factortest.HOTP

// codeAt is the six-digit code of secret for the 30-second step of t,
// moved by delta steps.
func codeAt(secret []byte, t time.Time, delta int) string {
	return hotpCode(secret, uint64(t.Unix()/30+int64(delta)), 6)
}

// env is one factor over its own store and fake clock.
type env struct {
	f      *totp.Factor
	st     store.Store
	clock  *conformance.Clock
	sealer *seal.Sealer
}

func newEnv(t *testing.T) *env {
	return newEnvRand(t, nil)
}

func newEnvRand(t *testing.T, random io.Reader) *env {
	t.Helper()
	e := &env{clock: conformance.NewClock(), sealer: newSealer(t)}
	e.st = factortest.NewStore(t, e.clock.Now)
	e.f = e.factor(t, e.st.Authenticators(), random)
	return e
}

// factor returns a factor of e over auths (e's own, or a wrapper of them).
func (e *env) factor(t testing.TB, auths store.Authenticators, random io.Reader) *totp.Factor {
	t.Helper()
	f, err := totp.New(totp.Options{
		Authenticators: auths, Challenges: e.st.Challenges(), Sealer: e.sealer,
		Issuer: issuer, Now: e.clock.Now, Rand: random,
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func newSealer(t testing.TB) *seal.Sealer {
	t.Helper()
	sealer, err := seal.New(seal.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	return sealer
}

// newFactor returns a factor over st on the clock now.
func newFactor(t testing.TB, st store.Store, now func() time.Time) *totp.Factor {
	t.Helper()
	f, err := totp.New(totp.Options{
		Authenticators: st.Authenticators(), Challenges: st.Challenges(), Sealer: newSealer(t),
		Issuer: issuer, Now: now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// secretOf reads the secret out of an enrollment prompt's URI, as an app does.
func secretOf(t testing.TB, p factor.Prompt) []byte {
	t.Helper()
	u, err := url.Parse(p.URI)
	if err != nil {
		t.Fatalf("the enrollment URI %q: %v", p.URI, err)
	}
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(u.Query().Get("secret"))
	if err != nil {
		t.Fatalf("the secret of %q: %v", p.URI, err)
	}
	return secret
}

// enroll gives u an authenticator in flow "enroll", confirmed with the
// code of the current step, and returns its secret and record.
func enroll(t testing.TB, f *totp.Factor, now func() time.Time, u *store.User) ([]byte, *store.Authenticator) {
	t.Helper()
	ctx := context.Background()
	target := factor.Target{UserID: u.ID, FlowID: "enroll"}
	p, err := f.BeginEnroll(ctx, u, target)
	if err != nil {
		t.Fatalf("BeginEnroll: %v", err)
	}
	secret := secretOf(t, p)
	res, err := f.FinishEnroll(ctx, u, target, factor.Answer{ChallengeID: p.ChallengeID, Response: []byte(codeAt(secret, now(), 0))})
	if err != nil {
		t.Fatalf("FinishEnroll with the right code: %v", err)
	}
	return secret, res.Authenticator
}

// verify submits code for u in flow "flow-1".
func (e *env) verify(u *store.User, code string) (factor.Result, error) {
	return e.f.FinishVerify(context.Background(), factor.Target{UserID: u.ID, FlowID: "flow-1"}, factor.Answer{Response: []byte(code)})
}

// wrongCode returns a code that no step in the window of now makes.
func wrongCode(secret []byte, now time.Time) string {
	valid := map[string]bool{}
	for d := -1; d <= 1; d++ {
		valid[codeAt(secret, now, d)] = true
	}
	for n := 0; ; n++ {
		if c := fmt.Sprintf("%06d", n); !valid[c] {
			return c
		}
	}
}

// totpStep is the RFC 6238 step of t, counted here rather than by the factor.
func totpStep(t time.Time) uint64 { return uint64(t.Unix() / 30) }

// b32 spells a secret as otpauth URIs do.
func b32(secret []byte) string {
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(secret)
}

// fixedSecret is a random source whose first bytes are secret: the factor
// reads the new secret first.
func fixedSecret(secret []byte) io.Reader {
	return io.MultiReader(bytes.NewReader(secret), rand.Reader)
}
