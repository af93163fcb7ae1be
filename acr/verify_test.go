package acr

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

const (
	testIssuer   = "https://stepup.example"
	testAudience = "api://payments"
)

var vnow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

// testKeys are the issuer's signing keys, generated once per test binary.
type testKeys struct {
	ec, ec2, other *ecdsa.PrivateKey
	rsa            *rsa.PrivateKey
	ed             ed25519.PrivateKey
}

var keysOnce = sync.OnceValue(func() *testKeys {
	must := func(err error) {
		if err != nil {
			panic(err)
		}
	}
	k := &testKeys{}
	var err error
	k.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	k.ec2, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	k.other, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	k.rsa, err = rsa.GenerateKey(rand.Reader, 2048)
	must(err)
	_, k.ed, err = ed25519.GenerateKey(rand.Reader)
	must(err)
	return k
})

// publicSet is the issuer's published JWK set: ec1 (alg ES256), rsa1 (no
// alg), ed1 (alg EdDSA), and rsa-ps, the RSA key published for PS256 only.
func publicSet(t testing.TB) *StaticKeySet {
	k := keysOnce()
	set, err := NewStaticKeySet(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: k.ec.Public(), KeyID: "ec1", Algorithm: "ES256", Use: "sig"},
		{Key: k.rsa.Public(), KeyID: "rsa1", Use: "sig"},
		{Key: k.ed.Public(), KeyID: "ed1", Algorithm: "EdDSA"},
		{Key: k.rsa.Public(), KeyID: "rsa-ps", Algorithm: "PS256"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// goodClaims are the claims of an access token as stepup's provider writes
// them (oidc/tokens.go), valid at vnow.
func goodClaims() map[string]any {
	return map[string]any{
		"iss": testIssuer, "sub": "user-1", "aud": []string{"client-1", testAudience}, "client_id": "client-1",
		"exp": vnow.Add(5 * time.Minute).Unix(), "iat": vnow.Add(-time.Minute).Unix(), "jti": "at-1",
		"scope": "openid payments", "auth_time": vnow.Add(-2 * time.Minute).Unix(),
		"acr": "urn:stepup:acr:mfa", "amr": []string{"pwd", "otp", "mfa"},
	}
}

// sign returns a compact JWS of claims with the given alg, key, kid and
// typ header (none when typ is empty).
func sign(t testing.TB, alg jose.SignatureAlgorithm, key any, kid, typ string, claims map[string]any) string {
	t.Helper()
	opts := &jose.SignerOptions{}
	if typ != "" {
		opts.WithType(jose.ContentType(typ))
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// goodToken is an ES256 access token from ec1 with claims changed by edit.
func goodToken(t testing.TB, edit func(map[string]any)) string {
	c := goodClaims()
	if edit != nil {
		edit(c)
	}
	return sign(t, jose.ES256, keysOnce().ec, "ec1", "at+jwt", c)
}

func newTestVerifier(t testing.TB, keys KeySet, edit func(*VerifierConfig)) *Verifier {
	t.Helper()
	c := VerifierConfig{Issuer: testIssuer, Audience: testAudience, Now: func() time.Time { return vnow }}
	if edit != nil {
		edit(&c)
	}
	v, err := NewVerifier(keys, c)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestVerifyGoodToken(t *testing.T) {
	k := keysOnce()
	v := newTestVerifier(t, publicSet(t), nil)
	for _, tt := range []struct {
		alg jose.SignatureAlgorithm
		key any
		kid string
		typ string
	}{
		{jose.ES256, k.ec, "ec1", "at+jwt"},
		{jose.RS256, k.rsa, "rsa1", "at+jwt"},
		{jose.EdDSA, k.ed, "ed1", "at+jwt"},
		{jose.ES256, k.ec, "ec1", "application/at+jwt"},
		{jose.ES256, k.ec, "ec1", "AT+JWT"},
		{jose.ES256, k.ec, "", "at+jwt"}, // no kid: every key is tried
	} {
		t.Run(string(tt.alg)+"/"+tt.kid+"/"+tt.typ, func(t *testing.T) {
			got, err := v.Verify(t.Context(), sign(t, tt.alg, tt.key, tt.kid, tt.typ, goodClaims()))
			if err != nil {
				t.Fatal(err)
			}
			want := &Claims{
				Issuer: testIssuer, Subject: "user-1", ClientID: "client-1", Scope: "openid payments", ID: "at-1",
				ACR: "urn:stepup:acr:mfa", Audience: []string{"client-1", testAudience},
				Expiry: vnow.Add(5 * time.Minute), IssuedAt: vnow.Add(-time.Minute), AuthTime: vnow.Add(-2 * time.Minute),
				AMR: []string{"pwd", "otp", "mfa"}, Level: MFA,
			}
			if !equalClaims(got, want) {
				t.Fatalf("claims\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func equalClaims(a, b *Claims) bool {
	return a.Issuer == b.Issuer && a.Subject == b.Subject && a.ClientID == b.ClientID && a.Scope == b.Scope &&
		a.ID == b.ID && a.ACR == b.ACR && slices.Equal(a.Audience, b.Audience) && a.Expiry.Equal(b.Expiry) &&
		a.NotBefore.Equal(b.NotBefore) && a.IssuedAt.Equal(b.IssuedAt) && a.AuthTime.Equal(b.AuthTime) &&
		slices.Equal(a.AMR, b.AMR) && a.Level == b.Level
}

// Each case is a token that one check alone refuses: want is a piece of
// that check's message, so a case also fails when another check catches
// the token instead.
func TestVerifyRefuses(t *testing.T) {
	k := keysOnce()
	ecDER, err := x509.MarshalPKIXPublicKey(k.ec.Public())
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(map[string]any)) func(testing.TB) string {
		return func(t testing.TB) string { return goodToken(t, f) }
	}
	tests := []struct {
		name   string
		token  func(testing.TB) string
		config func(*VerifierConfig)
		want   string
	}{
		{"missing exp", edit(func(c map[string]any) { delete(c, "exp") }), nil, "no exp"},
		{"expired beyond the leeway", edit(func(c map[string]any) { c["exp"] = vnow.Add(-DefaultLeeway - time.Second).Unix() }), nil, "expired"},
		{"expired, without leeway", edit(func(c map[string]any) { c["exp"] = vnow.Unix() }),
			func(c *VerifierConfig) { c.Leeway = -1 }, "expired"},
		{"nbf in the future", edit(func(c map[string]any) { c["nbf"] = vnow.Add(DefaultLeeway + time.Second).Unix() }), nil, "not valid before"},
		{"iat in the future", edit(func(c map[string]any) { c["iat"] = vnow.Add(DefaultLeeway + time.Second).Unix() }), nil, "issued in the future"},
		{"auth_time in the future", edit(func(c map[string]any) {
			c["auth_time"] = vnow.Add(time.Hour).Unix()
			delete(c, "iat")
		}), nil, "auth_time in the future"},
		{"auth_time after iat", edit(func(c map[string]any) { c["auth_time"] = vnow.Unix() }), nil, "after iat"},
		{"wrong aud", edit(func(c map[string]any) { c["aud"] = "api://other" }), nil, "aud"},
		{"wrong aud list", edit(func(c map[string]any) { c["aud"] = []string{"client-1", "api://other"} }), nil, "aud"},
		{"missing aud", edit(func(c map[string]any) { delete(c, "aud") }), nil, "aud"},
		{"wrong iss", edit(func(c map[string]any) { c["iss"] = testIssuer + "/" }), nil, "iss"},
		{"missing sub", edit(func(c map[string]any) { delete(c, "sub") }), nil, "no sub"},
		{"typ JWT (an ID token)", func(t testing.TB) string {
			return sign(t, jose.ES256, k.ec, "ec1", "JWT", goodClaims())
		}, nil, "typ"},
		{"no typ", func(t testing.TB) string {
			return sign(t, jose.ES256, k.ec, "ec1", "", goodClaims())
		}, nil, "typ"},
		{"alg not in the list", func(t testing.TB) string { return goodToken(t, nil) },
			func(c *VerifierConfig) { c.Algorithms = []jose.SignatureAlgorithm{jose.RS256} }, "unexpected signature algorithm"},
		{"alg none", func(t testing.TB) string {
			p, _ := json.Marshal(goodClaims())
			return b64(`{"alg":"none","typ":"at+jwt","kid":"ec1"}`) + "." + b64(string(p)) + "."
		}, nil, "unexpected signature algorithm"},
		{"HS256 with the public key as secret", func(t testing.TB) string {
			return sign(t, jose.HS256, ecDER, "ec1", "at+jwt", goodClaims())
		}, nil, "unexpected signature algorithm"},
		{"signed by another key", func(t testing.TB) string {
			return sign(t, jose.ES256, k.other, "ec1", "at+jwt", goodClaims())
		}, nil, "signature"},
		{"payload swapped", func(t testing.TB) string {
			good := strings.Split(goodToken(t, nil), ".")
			evil := strings.Split(goodToken(t, func(c map[string]any) { c["sub"] = "admin" }), ".")
			return good[0] + "." + evil[1] + "." + good[2]
		}, nil, "signature"},
		{"key published for another alg", func(t testing.TB) string {
			return sign(t, jose.RS256, k.rsa, "rsa-ps", "at+jwt", goodClaims())
		}, nil, "is for algorithm"},
		{"JWS JSON serialization", func(t testing.TB) string {
			parts := strings.Split(goodToken(t, nil), ".")
			return `{"payload":"` + parts[1] + `","protected":"` + parts[0] + `","signature":"` + parts[2] + `"}`
		}, nil, "compact"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newTestVerifier(t, publicSet(t), tt.config)
			c, err := v.Verify(t.Context(), tt.token(t))
			if err == nil {
				t.Fatalf("accepted: %+v", c)
			}
			if !errors.Is(err, ErrInvalidToken) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q: want ErrInvalidToken about %q", err, tt.want)
			}
		})
	}
}

// The leeway is what it says on both sides of it.
func TestVerifyLeeway(t *testing.T) {
	v := newTestVerifier(t, publicSet(t), func(c *VerifierConfig) { c.CacheSize = -1 })
	inside := goodToken(t, func(c map[string]any) {
		c["exp"] = vnow.Add(-DefaultLeeway + time.Second).Unix()
		c["nbf"] = vnow.Add(DefaultLeeway - time.Second).Unix()
		c["iat"] = vnow.Add(DefaultLeeway - time.Second).Unix()
	})
	if _, err := v.Verify(t.Context(), inside); err != nil {
		t.Fatalf("a token within the leeway: %v", err)
	}
	// Any negative Leeway is none, not a stricter clock.
	strict := newTestVerifier(t, publicSet(t), func(c *VerifierConfig) { c.Leeway = -time.Hour })
	fresh := goodToken(t, func(c map[string]any) { c["exp"] = vnow.Add(time.Second).Unix() })
	if _, err := strict.Verify(t.Context(), fresh); err != nil {
		t.Fatalf("a token a second before its exp, with no leeway: %v", err)
	}
}

// rotatingKeySet is an issuer's key set that a test rotates.
type rotatingKeySet struct {
	set   atomic.Pointer[StaticKeySet]
	calls atomic.Int64
}

func (r *rotatingKeySet) Keys(ctx context.Context, kid string) ([]jose.JSONWebKey, error) {
	r.calls.Add(1)
	return r.set.Load().Keys(ctx, kid)
}

func TestVerifyUnknownKidThenRotation(t *testing.T) {
	k := keysOnce()
	keys := &rotatingKeySet{}
	keys.set.Store(publicSet(t))
	v := newTestVerifier(t, keys, nil)
	raw := sign(t, jose.ES256, k.ec2, "ec2", "at+jwt", goodClaims())
	_, err := v.Verify(t.Context(), raw)
	if !errors.Is(err, ErrInvalidToken) || !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("before the rotation: %v, want ErrInvalidToken and ErrUnknownKey", err)
	}
	rotated, err := NewStaticKeySet(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: k.ec2.Public(), KeyID: "ec2", Algorithm: "ES256"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	keys.set.Store(rotated)
	if _, err := v.Verify(t.Context(), raw); err != nil {
		t.Fatalf("after the rotation: %v", err)
	}
}

// failingKeySet is an issuer that cannot be reached.
type failingKeySet struct{}

func (failingKeySet) Keys(context.Context, string) ([]jose.JSONWebKey, error) {
	return nil, errors.New("connection refused")
}

func TestVerifyKeySetFailureIsNotAnInvalidToken(t *testing.T) {
	v := newTestVerifier(t, failingKeySet{}, nil)
	_, err := v.Verify(t.Context(), goodToken(t, nil))
	if err == nil || errors.Is(err, ErrInvalidToken) {
		t.Fatalf("error %v: want an error that is not ErrInvalidToken", err)
	}
}

func TestVerifyLevelsAndAliases(t *testing.T) {
	scheme, err := NewScheme(map[string]Level{"gold": MFA})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		acr    string
		scheme *Scheme
		want   Level
	}{
		{"gold", scheme, MFA},
		{"gold", nil, None}, // not an alias of the default scheme
		{"phr", nil, PhishingResistant},
		{"urn:stepup:acr:phrh", scheme, PhishingResistantHardware},
		{"", scheme, None},
		{"urn:example:unknown", scheme, None},
	} {
		v := newTestVerifier(t, publicSet(t), func(c *VerifierConfig) { c.Scheme = tt.scheme })
		raw := goodToken(t, func(c map[string]any) {
			if c["acr"] = tt.acr; tt.acr == "" {
				delete(c, "acr")
			}
		})
		got, err := v.Verify(t.Context(), raw)
		if err != nil {
			t.Fatal(err)
		}
		if got.Level != tt.want || got.ACR != tt.acr {
			t.Errorf("acr %q (custom scheme %v): level %v, want %v", tt.acr, tt.scheme != nil, got.Level, tt.want)
		}
	}
}

func TestVerifyCache(t *testing.T) {
	keys := &rotatingKeySet{}
	keys.set.Store(publicSet(t))
	now := vnow
	v := newTestVerifier(t, keys, func(c *VerifierConfig) {
		c.Leeway = -1
		c.Now = func() time.Time { return now }
	})
	raw := goodToken(t, nil) // exp is vnow+5m
	first, err := v.Verify(t.Context(), raw)
	if err != nil {
		t.Fatal(err)
	}
	now = vnow.Add(5*time.Minute - time.Second)
	second, err := v.Verify(t.Context(), raw)
	if err != nil {
		t.Fatal(err)
	}
	if second != first || keys.calls.Load() != 1 {
		t.Fatalf("a second verification looked up the key again (%d look-ups): the cache was not used", keys.calls.Load())
	}
	now = vnow.Add(5 * time.Minute)
	if c, err := v.Verify(t.Context(), raw); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("a cached token at its exp: %+v, %v; want it refused", c, err)
	}
}

func TestVerifyCacheOff(t *testing.T) {
	keys := &rotatingKeySet{}
	keys.set.Store(publicSet(t))
	v := newTestVerifier(t, keys, func(c *VerifierConfig) { c.CacheSize = -1 })
	raw := goodToken(t, nil)
	for range 3 {
		if _, err := v.Verify(t.Context(), raw); err != nil {
			t.Fatal(err)
		}
	}
	if n := keys.calls.Load(); n != 3 || v.cache != nil {
		t.Fatalf("%d look-ups for 3 verifications with the cache off, want 3", n)
	}
}

func TestVerifyCacheBounded(t *testing.T) {
	v := newTestVerifier(t, publicSet(t), func(c *VerifierConfig) { c.CacheSize = 64 })
	for i := range 300 {
		raw := goodToken(t, func(c map[string]any) { c["jti"] = fmt.Sprint("at-", i) })
		if _, err := v.Verify(t.Context(), raw); err != nil {
			t.Fatal(err)
		}
		if n := v.cache.len(); n > 64 {
			t.Fatalf("after %d tokens the cache holds %d, more than its size 64", i+1, n)
		}
	}
}

// Expired entries go first when the cache is full.
func TestTokenCacheEvictsExpiredFirst(t *testing.T) {
	c := newTokenCache(cacheShards * 4)
	var sums [][32]byte
	for i := range 4 {
		var sum [32]byte // all in shard 0
		sum[1] = byte(i)
		exp := vnow.Add(time.Hour)
		if i == 2 {
			exp = vnow.Add(time.Minute)
		}
		c.put(sum, &Claims{Expiry: exp}, exp, vnow)
		sums = append(sums, sum)
	}
	var fresh [32]byte
	fresh[1] = 99
	c.put(fresh, &Claims{Expiry: vnow.Add(time.Hour)}, vnow.Add(time.Hour), vnow.Add(2*time.Minute))
	for i, sum := range append(sums, fresh) {
		if got, want := c.get(sum, vnow.Add(2*time.Minute)) != nil, i != 2; got != want {
			t.Errorf("entry %d cached: %v, want %v", i, got, want)
		}
	}
}

func TestVerifyConcurrent(t *testing.T) {
	v := newTestVerifier(t, publicSet(t), func(c *VerifierConfig) { c.CacheSize = 32 })
	tokens := make([]string, 8)
	for i := range tokens {
		tokens[i] = goodToken(t, func(c map[string]any) { c["jti"] = fmt.Sprint("at-", i) })
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				if _, err := v.Verify(context.Background(), tokens[(g+i)%len(tokens)]); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestNewVerifierRefusesBadConfig(t *testing.T) {
	keys := publicSet(t)
	good := VerifierConfig{Issuer: testIssuer, Audience: testAudience}
	for name, tt := range map[string]struct {
		keys KeySet
		edit func(*VerifierConfig)
	}{
		"no issuer":   {keys, func(c *VerifierConfig) { c.Issuer = "" }},
		"no audience": {keys, func(c *VerifierConfig) { c.Audience = "" }},
		"no key set":  {nil, nil},
		"HS256":       {keys, func(c *VerifierConfig) { c.Algorithms = []jose.SignatureAlgorithm{jose.ES256, jose.HS256} }},
		"none":        {keys, func(c *VerifierConfig) { c.Algorithms = []jose.SignatureAlgorithm{"none"} }},
	} {
		c := good
		if tt.edit != nil {
			tt.edit(&c)
		}
		if _, err := NewVerifier(tt.keys, c); err == nil || !strings.HasPrefix(err.Error(), "acr: ") {
			t.Errorf("%s: error %v, want one starting with acr:", name, err)
		}
	}
	if _, err := NewVerifier(keys, good); err != nil {
		t.Fatal(err)
	}
}

// A cache hit is a hash and a map look-up: nothing on the heap.
func TestVerifyCacheHitAllocatesNothing(t *testing.T) {
	v := newTestVerifier(t, publicSet(t), nil)
	raw := goodToken(t, nil)
	ctx := context.Background()
	if _, err := v.Verify(ctx, raw); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = v.Verify(ctx, raw) }); n != 0 {
		t.Fatalf("%v allocations per cache hit, want 0", n)
	}
}
