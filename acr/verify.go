package acr

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unsafe"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// ErrInvalidToken is wrapped by every error of Verify that says the token
// itself is bad (as opposed to a KeySet that could not be reached): a
// resource server answers it with RFC 6750's invalid_token.
var ErrInvalidToken = errors.New("acr: invalid token")

// Defaults of a Verifier.
const (
	// DefaultLeeway is the clock skew allowed between the issuer and the
	// verifier for exp, nbf and iat. Access tokens live minutes, so the
	// leeway is kept well under go-jose's own default of one minute.
	DefaultLeeway = 30 * time.Second
	// DefaultCacheSize is the number of verified tokens a Verifier keeps.
	DefaultCacheSize = 10000
)

// DefaultAlgorithms are the signature algorithms a Verifier accepts unless
// configured otherwise.
func DefaultAlgorithms() []jose.SignatureAlgorithm {
	return []jose.SignatureAlgorithm{jose.ES256, jose.RS256, jose.EdDSA}
}

// asymmetric are the algorithms a Verifier may be configured with: those of
// public keys. HS256 and friends are refused, so a public key can never be
// used as an HMAC secret (key confusion), and so is "none".
var asymmetric = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512, jose.EdDSA,
}

// Claims are the claims of a verified RFC 9068 access token. A *Claims
// returned by Verify may be shared by every caller that presents the same
// token (see VerifierConfig.CacheSize): treat it, and its slices, as
// read-only.
type Claims struct {
	Issuer    string   // iss
	Subject   string   // sub: the user
	ClientID  string   // client_id: the client the token was issued to
	Scope     string   // scope: space-separated scopes
	ID        string   // jti
	ACR       string   // acr, as the issuer wrote it
	Audience  []string // aud, always as a list
	Expiry    time.Time
	NotBefore time.Time // zero when the token has no nbf
	IssuedAt  time.Time // zero when the token has no iat
	AuthTime  time.Time // auth_time: when the user authenticated; zero if absent
	AMR       []string  // amr: RFC 8176 authentication methods
	// Level is the level the verifier's Scheme gives ACR: None for a value
	// the scheme does not know, and for a token without acr.
	Level Level
}

// VerifierConfig configures a Verifier. Issuer and Audience are required.
type VerifierConfig struct {
	// Issuer is the exact iss every token must carry.
	Issuer string
	// Audience is this API's identifier, which the token's aud (a string or
	// a list) must contain.
	Audience string
	// Algorithms are the signature algorithms accepted; nil means
	// DefaultAlgorithms. Only asymmetric algorithms may be listed.
	Algorithms []jose.SignatureAlgorithm
	// Scheme maps the acr claim to a Level; nil means NewScheme(nil).
	Scheme *Scheme
	// Leeway is the clock skew allowed for exp, nbf and iat: 0 means
	// DefaultLeeway, a negative value none at all.
	Leeway time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// CacheSize bounds the cache of verified tokens: 0 means
	// DefaultCacheSize, a negative value no cache. The cache is split in
	// 16 shards, so the bound is rounded down to a multiple of 16, and is
	// at least 16.
	CacheSize int
}

// Verifier verifies stepup's JWT access tokens (RFC 9068). Create it with
// NewVerifier; it is safe for concurrent use.
type Verifier struct {
	keys     KeySet
	issuer   string
	audience string
	algs     []jose.SignatureAlgorithm
	scheme   *Scheme
	leeway   time.Duration
	now      func() time.Time
	cache    *tokenCache // nil: no cache
}

// NewVerifier returns a Verifier of tokens signed by keys, checked as c says.
// It refuses a config without issuer or audience, and one that lists a
// symmetric algorithm or "none".
func NewVerifier(keys KeySet, c VerifierConfig) (*Verifier, error) {
	var errs []error
	if keys == nil {
		errs = append(errs, errors.New("acr: verifier: no key set"))
	}
	if c.Issuer == "" {
		errs = append(errs, errors.New("acr: verifier: issuer is required"))
	}
	if c.Audience == "" {
		errs = append(errs, errors.New("acr: verifier: audience is required"))
	}
	algs := slices.Clone(c.Algorithms)
	if len(algs) == 0 {
		algs = DefaultAlgorithms()
	}
	for _, a := range algs {
		if !slices.Contains(asymmetric, a) {
			errs = append(errs, fmt.Errorf("acr: verifier: algorithm %q is not an asymmetric signature algorithm", a))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	v := &Verifier{keys: keys, issuer: c.Issuer, audience: c.Audience, algs: algs, scheme: c.Scheme,
		leeway: leewayOf(c.Leeway), now: c.Now, cache: cacheOf(c.CacheSize)}
	if v.now == nil {
		v.now = time.Now
	}
	return v, nil
}

// leewayOf is a configured leeway: 0 means DefaultLeeway, a negative
// value none.
func leewayOf(d time.Duration) time.Duration {
	switch {
	case d == 0:
		return DefaultLeeway
	case d < 0:
		return 0
	}
	return d
}

// cacheOf is the cache of a configured size: 0 means DefaultCacheSize, a
// negative size no cache (nil).
func cacheOf(size int) *tokenCache {
	switch {
	case size == 0:
		return newTokenCache(DefaultCacheSize)
	case size > 0:
		return newTokenCache(size)
	}
	return nil
}

// tokenClaims is the JSON of an access token's claims.
type tokenClaims struct {
	Issuer    string           `json:"iss"`
	Subject   string           `json:"sub"`
	Audience  jwt.Audience     `json:"aud"`
	Expiry    *jwt.NumericDate `json:"exp"`
	NotBefore *jwt.NumericDate `json:"nbf"`
	IssuedAt  *jwt.NumericDate `json:"iat"`
	ID        string           `json:"jti"`
	ClientID  string           `json:"client_id"`
	Scope     string           `json:"scope"`
	ACR       string           `json:"acr"`
	AMR       []string         `json:"amr"`
	AuthTime  *jwt.NumericDate `json:"auth_time"`
}

// invalid returns an error wrapping ErrInvalidToken.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidToken}, args...)...)
}

// Verify checks an access token and returns its claims. The token must be a
// JWS in compact serialization with typ at+jwt (RFC 9068 §2.1), signed with
// one of the configured algorithms by a key of the KeySet found by its kid
// (a key that names another alg is not used), with iss equal to the issuer,
// aud containing the audience, an exp in the future, no nbf, iat or
// auth_time in the future (nor an auth_time after iat), and a sub. exp,
// nbf, iat and auth_time are allowed the leeway. RFC 9068 also requires
// iat, jti and client_id; they are checked when present, not required, so
// that tokens of issuers that leave them out still pass.
//
// Every refusal wraps ErrInvalidToken; an unknown kid wraps ErrUnknownKey
// as well. Any other error of the KeySet (the issuer cannot be reached) is
// returned wrapped, without ErrInvalidToken: the token may be good.
//
// A token verified before is answered from the cache while it is not
// expired, without a signature check or a KeySet look-up, so a key withdrawn
// from the set stays trusted for the tokens it already verified, until they
// expire.
func (v *Verifier) Verify(ctx context.Context, raw string) (*Claims, error) {
	if len(raw) > MaxTokenLength {
		return nil, invalid("longer than %d bytes", MaxTokenLength)
	}
	var sum [32]byte
	if v.cache != nil {
		sum = hashToken(raw)
		if c := v.cache.get(sum, v.now()); c != nil {
			return c, nil
		}
	}
	c, err := v.verify(ctx, raw)
	if err != nil {
		return nil, err
	}
	if v.cache != nil {
		v.cache.put(sum, c, c.Expiry, v.now())
	}
	return c, nil
}

// hashToken is the SHA-256 of raw, the token's cache key. It hashes the
// string's bytes in place: []byte(raw) would copy a token of a kilobyte
// to the heap on every request, and sha256 neither keeps nor writes them.
func hashToken(raw string) [32]byte {
	return sha256.Sum256(unsafe.Slice(unsafe.StringData(raw), len(raw)))
}

// verify is Verify without the cache.
func (v *Verifier) verify(ctx context.Context, raw string) (*Claims, error) {
	jws, err := jose.ParseSignedCompact(raw, v.algs)
	if err != nil {
		// Also what an alg outside v.algs, "none" and HS256 included, gives.
		return nil, invalid("%w", err)
	}
	h := jws.Signatures[0].Protected
	alg := jose.SignatureAlgorithm(h.Algorithm) // one of v.algs: ParseSignedCompact checked it
	typ, _ := h.ExtraHeaders[jose.HeaderType].(string)
	if !strings.EqualFold(typ, "at+jwt") && !strings.EqualFold(typ, "application/at+jwt") {
		return nil, invalid("typ %q is not at+jwt", typ)
	}
	keys, err := v.keys.Keys(ctx, h.KeyID)
	switch {
	case errors.Is(err, ErrUnknownKey):
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	case err != nil:
		return nil, fmt.Errorf("acr: looking up the token's key: %w", err)
	}
	var payload []byte
	tried := false
	for _, k := range keys {
		if k.Algorithm != "" && k.Algorithm != string(alg) {
			continue
		}
		tried = true
		if payload, err = jws.Verify(k.Key); err == nil {
			break
		}
	}
	switch {
	case !tried:
		return nil, invalid("no key for kid %q is for algorithm %s", h.KeyID, alg)
	case err != nil:
		return nil, invalid("signature: %w", err)
	}
	var tc tokenClaims
	if err := json.Unmarshal(payload, &tc); err != nil {
		return nil, invalid("claims: %w", err)
	}
	return v.check(&tc)
}

// check checks the claims of a token whose signature is good.
func (v *Verifier) check(tc *tokenClaims) (*Claims, error) {
	switch {
	case tc.Issuer != v.issuer:
		return nil, invalid("iss %q is not %q", tc.Issuer, v.issuer)
	case !slices.Contains(tc.Audience, v.audience):
		return nil, invalid("aud %q does not contain %q", []string(tc.Audience), v.audience)
	}
	return tc.check(v.now(), v.leeway, v.scheme)
}

// Now is the time by the verifier's clock (VerifierConfig.Now), which
// Middleware checks a Requirement's MaxAge against.
func (v *Verifier) Now() time.Time { return v.now() }

// check checks the times and the subject of a token's claims at now, the
// same for a JWT and an introspection answer, and returns them as Claims,
// with the Level scheme gives their acr.
func (tc *tokenClaims) check(now time.Time, leeway time.Duration, scheme *Scheme) (*Claims, error) {
	switch {
	case tc.Expiry == nil:
		return nil, invalid("no exp")
	case !now.Before(tc.Expiry.Time().Add(leeway)):
		return nil, invalid("expired at %v", tc.Expiry.Time())
	case tc.NotBefore != nil && now.Add(leeway).Before(tc.NotBefore.Time()):
		return nil, invalid("not valid before %v", tc.NotBefore.Time())
	case tc.IssuedAt != nil && now.Add(leeway).Before(tc.IssuedAt.Time()):
		return nil, invalid("issued in the future, at %v", tc.IssuedAt.Time())
	case tc.AuthTime != nil && now.Add(leeway).Before(tc.AuthTime.Time()):
		// An authentication in the future would meet any max_age.
		return nil, invalid("auth_time in the future, at %v", tc.AuthTime.Time())
	case tc.AuthTime != nil && tc.IssuedAt != nil && tc.IssuedAt.Time().Add(leeway).Before(tc.AuthTime.Time()):
		return nil, invalid("auth_time %v after iat %v", tc.AuthTime.Time(), tc.IssuedAt.Time())
	case tc.Subject == "":
		return nil, invalid("no sub")
	}
	level, _ := scheme.Level(tc.ACR) // unknown or absent: None
	return &Claims{
		Issuer: tc.Issuer, Subject: tc.Subject, ClientID: tc.ClientID, Scope: tc.Scope, ID: tc.ID, ACR: tc.ACR,
		Audience: tc.Audience, Expiry: tc.Expiry.Time(), NotBefore: timeOf(tc.NotBefore),
		IssuedAt: timeOf(tc.IssuedAt), AuthTime: timeOf(tc.AuthTime), AMR: tc.AMR, Level: level,
	}, nil
}

// timeOf is d's time, or the zero time for a claim that is absent.
func timeOf(d *jwt.NumericDate) time.Time {
	if d == nil {
		return time.Time{}
	}
	return d.Time()
}
