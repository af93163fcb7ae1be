package acr_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/stepup-auth/stepup/acr"
)

// mwIssuer signs access tokens as stepup does, for the middleware tests.
type mwIssuer struct {
	t      testing.TB
	signer jose.Signer
	keys   *acr.StaticKeySet
	now    time.Time
}

func newMWIssuer(t testing.TB) *mwIssuer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: k, KeyID: "k1", Algorithm: "ES256"}},
		(&jose.SignerOptions{}).WithType("at+jwt"))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := acr.NewStaticKeySet(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &k.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
	if err != nil {
		t.Fatal(err)
	}
	return &mwIssuer{t: t, signer: signer, keys: keys, now: time.Now()}
}

func (i *mwIssuer) token(level string, authAge time.Duration, amr ...string) string {
	i.t.Helper()
	claims := map[string]any{
		"iss": "https://id.example", "sub": "alice", "aud": "api", "client_id": "app",
		"exp": i.now.Add(5 * time.Minute).Unix(), "iat": i.now.Unix(), "jti": "t1",
		"acr": level, "amr": amr, "auth_time": i.now.Add(-authAge).Unix(),
	}
	raw, err := jwt.Signed(i.signer).Claims(claims).Serialize()
	if err != nil {
		i.t.Fatal(err)
	}
	return raw
}

func TestMiddleware(t *testing.T) {
	iss := newMWIssuer(t)
	v, err := acr.NewVerifier(iss.keys, acr.VerifierConfig{Issuer: "https://id.example", Audience: "api"})
	if err != nil {
		t.Fatal(err)
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, found := acr.FromContext(r.Context())
		if !found {
			t.Error("no claims in the handler's context")
			return
		}
		io.WriteString(w, c.Subject)
	})
	transfer := acr.Middleware(v, acr.Require(acr.MFA, acr.MaxAge(5*time.Minute), acr.RequireAMR("otp")))(ok)
	tests := []struct {
		name, authorization string
		status              int
		challenge           string
	}{
		{"no token", "", 401, `Bearer`},
		{"another scheme", "Basic YWxpY2U6cHc=", 401, `Bearer`},
		{"a bad token", "Bearer x.y.z", 401, `Bearer error="invalid_token", error_description="The access token is not valid"`},
		{"level too low", "Bearer " + iss.token("urn:stepup:acr:1fa", time.Minute, "pwd", "otp"), 401,
			`Bearer error="insufficient_user_authentication", error_description="This resource needs a level of at least urn:stepup:acr:mfa", acr_values="urn:stepup:acr:mfa", max_age="300"`},
		{"too old", "Bearer " + iss.token("urn:stepup:acr:mfa", 10*time.Minute, "pwd", "otp"), 401,
			`Bearer error="insufficient_user_authentication", error_description="This resource needs an authentication within 5m0s", acr_values="urn:stepup:acr:mfa", max_age="300"`},
		{"an amr missing", "Bearer " + iss.token("urn:stepup:acr:phr", time.Minute, "pwd", "pop"), 401,
			`Bearer error="insufficient_user_authentication", error_description="This resource needs amr otp", acr_values="urn:stepup:acr:mfa", max_age="300"`},
		{"a higher level than asked", "bearer " + iss.token("urn:stepup:acr:phr", time.Minute, "pwd", "otp"), 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/transfer", nil)
			if tt.authorization != "" {
				req.Header.Set("Authorization", tt.authorization)
			}
			rec := httptest.NewRecorder()
			transfer.ServeHTTP(rec, req)
			if rec.Code != tt.status || rec.Header().Get("WWW-Authenticate") != tt.challenge {
				t.Errorf("%d %q, want %d %q", rec.Code, rec.Header().Get("WWW-Authenticate"), tt.status, tt.challenge)
			}
			if tt.status == 200 && rec.Body.String() != "alice" {
				t.Errorf("the handler saw %q, want alice's claims", rec.Body.String())
			}
		})
	}
}

type failingKeys struct{}

func (failingKeys) Keys(context.Context, string) ([]jose.JSONWebKey, error) {
	return nil, errors.New("the issuer is unreachable")
}

// A key set that cannot answer is no verdict on the token: 503, not
// invalid_token, which would make the client drop a good token.
func TestMiddlewareWithoutKeysIsUnavailable(t *testing.T) {
	iss := newMWIssuer(t)
	v, err := acr.NewVerifier(failingKeys{}, acr.VerifierConfig{Issuer: "https://id.example", Audience: "api", CacheSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/balance", nil)
	req.Header.Set("Authorization", "Bearer "+iss.token("urn:stepup:acr:mfa", time.Minute))
	rec := httptest.NewRecorder()
	acr.Middleware(v, acr.Require(acr.OneFactor))(http.NotFoundHandler()).ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("WWW-Authenticate") != "" {
		t.Fatalf("%d %q, want 503 without a challenge", rec.Code, rec.Header().Get("WWW-Authenticate"))
	}
}

// BenchmarkMiddleware is a request through the middleware to a handler,
// with a token the verifier has seen (the cache's case).
func BenchmarkMiddleware(b *testing.B) {
	iss := newMWIssuer(b)
	v, err := acr.NewVerifier(iss.keys, acr.VerifierConfig{Issuer: "https://id.example", Audience: "api"})
	if err != nil {
		b.Fatal(err)
	}
	h := acr.Middleware(v, acr.Require(acr.MFA))(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	req := httptest.NewRequest("GET", "/balance", nil)
	req.Header.Set("Authorization", "Bearer "+iss.token("urn:stepup:acr:mfa", time.Minute, "pwd", "otp"))
	rec := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(rec, req)
	}
}

// A token without an amr the route needs is asked for the level that
// brings it, not the level it has, which would only bring it back.
func TestRequireAMRAsksForTheLevelThatBringsIt(t *testing.T) {
	now := time.Now()
	c := &acr.Claims{Level: acr.MFA, AMR: []string{"pwd", "otp", "mfa"}, AuthTime: now}
	ch := acr.Require(acr.MFA, acr.RequireAMR("hwk")).Check(c, now)
	if ch == nil || len(ch.ACRValues) != 1 || ch.ACRValues[0] != acr.PhishingResistantHardware.String() {
		t.Fatalf("challenge %+v, want acr_values phrh", ch)
	}
	if ch := acr.Require(acr.MFA, acr.RequireAMR("otp")).Check(c, now); ch != nil {
		t.Fatalf("a token with the amr: challenged %+v", ch)
	}
}
