package acr

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"
)

// TokenVerifier checks a bearer access token and returns its claims: a
// Verifier checks a JWT itself, an Introspector asks the authorization
// server (RFC 7662). An error that wraps ErrInvalidToken says the token is
// bad; any other says it could not be checked.
//
// A TokenVerifier that also has a method Now() time.Time gives Middleware
// its clock for a Requirement's MaxAge; otherwise Middleware uses
// time.Now.
type TokenVerifier interface {
	Verify(ctx context.Context, raw string) (*Claims, error)
}

var (
	_ TokenVerifier = (*Verifier)(nil)
	_ TokenVerifier = (*Introspector)(nil)
)

// clock is the optional capability of a TokenVerifier to tell the time.
type clock interface{ Now() time.Time }

// claimsKey carries a request's verified claims in its context.
type claimsKey struct{}

// FromContext returns the claims of the access token Middleware verified
// for the request; ok is false outside Middleware. The claims are shared:
// read them, do not change them.
func FromContext(ctx context.Context) (c *Claims, ok bool) {
	c, ok = ctx.Value(claimsKey{}).(*Claims)
	return c, ok
}

// Middleware protects a handler: it lets a request through only with a
// bearer access token (RFC 6750 §2.1, the Authorization header) that v
// verifies (a Verifier, an Introspector) and that meets r, with its claims in the request's context
// (FromContext). Otherwise it answers 401 with a Bearer challenge:
//
//   - no token: the bare challenge, "Bearer" (RFC 6750 §3.1);
//   - a token v refuses: error="invalid_token";
//   - a token that does not meet r: error="insufficient_user_authentication"
//     with acr_values and max_age (RFC 9470 §3), which the client turns
//     into a new authorization request (ParseChallenge, AuthParams).
//
// When v cannot check the token (the key set's issuer or the introspection
// endpoint is unreachable: an error without ErrInvalidToken), it answers
// 503: the token may well be good.
//
// It fits any router built on net/http (chi, gorilla/mux; echo and gin
// through their adapters).
func Middleware(v TokenVerifier, r Requirement) func(http.Handler) http.Handler {
	now := time.Now
	if c, ok := v.(clock); ok {
		now = c.Now
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			raw, ok := bearerToken(req)
			if !ok {
				Challenge{}.ServeHTTP(w, req)
				return
			}
			claims, err := v.Verify(req.Context(), raw)
			if err != nil && !errors.Is(err, ErrInvalidToken) {
				// The keys or the introspection could not be had: no
				// fault of the token, and no reason for the client to
				// drop it.
				http.Error(w, "the access token cannot be checked now", http.StatusServiceUnavailable)
				return
			}
			if err != nil {
				// The cause is for the server's log, not the client: a
				// fixed description tells an attacker nothing.
				Challenge{Error: CodeInvalidToken, Description: "The access token is not valid"}.ServeHTTP(w, req)
				return
			}
			if ch := r.Check(claims, now()); ch != nil {
				ch.ServeHTTP(w, req)
				return
			}
			next.ServeHTTP(w, req.WithContext(context.WithValue(req.Context(), claimsKey{}, claims)))
		})
	}
}

// MaxTokenLength bounds an access token, in bytes: stepup's are under
// 1 KiB; a longer one is refused before any work (a signature check, a
// request to an introspection endpoint).
const MaxTokenLength = 8 << 10

// bearerToken returns the token of an "Authorization: Bearer" header;
// the scheme is case-insensitive (RFC 9110 §11.1).
func bearerToken(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return token, true
}
