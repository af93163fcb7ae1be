package oidc

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// clientEndpoint guards the endpoints a client calls with its credentials
// (token, introspection, revocation) where zitadel/oidc takes any method
// and reads r.Form, query included:
//
//   - RFC 6749 §3.2: "The client MUST use the HTTP POST method when making
//     access token requests", and RFC 7662 §2.1 and RFC 7009 §2.1 ask the
//     same of introspection and revocation: anything else is 405.
//   - RFC 6749 §2.3.1: client credentials "MUST NOT be included in the
//     request URI". A query is refused whole, before the library parses
//     it, so that a secret sent there is never taken.
//   - RFC 6749 §5.2: a 401 carries "the WWW-Authenticate response header
//     field matching the authentication scheme used by the client", Basic,
//     the only scheme stepup takes (RFC 9110 §15.5.2 asks a challenge of
//     every 401, so a client that sent its secret in the body gets it too).
//   - No answer is for caches (RFC 6749 §5.1): the library sets no-store on
//     token responses but not on its errors.
//
// A CORS preflight goes on to the library, which answers it.
func clientEndpoint(realm string, next http.Handler) http.Handler {
	challenge := fmt.Sprintf("Basic realm=%q", realm)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		switch {
		case r.Method != http.MethodPost:
			w.Header().Set("Allow", http.MethodPost)
			op.WriteError(w, r, op.NewStatusError(oidc.ErrInvalidRequest().WithDescription("use POST"),
				http.StatusMethodNotAllowed), nil)
		case r.URL.RawQuery != "":
			op.WriteError(w, r, oidc.ErrInvalidRequest().WithDescription("parameters go in the request body, not the URI"), nil)
		default:
			next.ServeHTTP(&challengeWriter{ResponseWriter: w, challenge: challenge}, r)
		}
	})
}

// callerWithSecret refuses an introspection caller that sent no secret
// with 401 invalid_client, which zitadel/oidc answers with 400 before any
// hook of stepup's runs: RFC 7662 §2.3 answers invalid caller credentials
// "as described in Section 5.2 of OAuth 2.0", a 401 (clientEndpoint adds
// the challenge).
func callerWithSecret(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost { // a CORS preflight, which clientEndpoint lets through
			next.ServeHTTP(w, r)
			return
		}
		_, secret, basic := r.BasicAuth()
		if !basic && r.ParseForm() == nil {
			secret = r.PostForm.Get("client_secret")
		}
		if secret == "" && r.PostForm.Get("client_assertion") == "" {
			op.WriteError(w, r, op.NewStatusError(errClientAuthentication(), http.StatusUnauthorized), nil)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// errClientAuthentication is the one answer to a failed client
// authentication, whatever failed (RFC 6749 §5.2 invalid_client).
func errClientAuthentication() *oidc.Error {
	return oidc.ErrInvalidClient().WithDescription("client authentication failed")
}

// VerifyClient answers a failed client authentication at the token and
// revocation endpoints with 401, which zitadel/oidc answers with 400: RFC
// 6749 §5.2, "If the client attempted to authenticate via the
// Authorization request header field, the authorization server MUST
// respond with an HTTP 401 (Unauthorized) status code". clientEndpoint
// adds the challenge.
func (s *server) VerifyClient(ctx context.Context, r *op.Request[op.ClientCredentials]) (op.Client, error) {
	c, err := s.LegacyServer.VerifyClient(ctx, r)
	if errors.Is(err, oidc.ErrInvalidClient()) { // an oidc.Error is one of any description
		return nil, op.NewStatusError(errClientAuthentication().WithParent(err), http.StatusUnauthorized)
	}
	return c, err
}
