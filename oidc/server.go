package oidc

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/stepup-auth/stepup/stepup/keys"
	"github.com/stepup-auth/stepup/stepup/store"
)

// server is zitadel/oidc's server with stepup's rules where the library
// leaves them open (see LIBRARY-NOTES.md): PKCE S256 for every client, the
// claims parameter, discovery of the assurance features, and the code and
// refresh grants minted by stepup (RFC 9068 access tokens, one-time codes
// whose replay revokes what they issued, rotating refresh tokens).
type server struct {
	*op.LegacyServer
	p *Provider
}

// Authorize checks what zitadel/oidc does not, after it has validated the
// redirect_uri, so that a refusal goes back to the relying party.
func (s *server) Authorize(ctx context.Context, r *op.ClientRequest[oidc.AuthRequest]) (*op.Redirect, error) {
	if r.Data.ResponseType != oidc.ResponseTypeCode {
		return nil, (&oidc.Error{ErrorType: "unsupported_response_type"}).WithDescription("only response_type=code is supported")
	}
	switch {
	case r.Data.CodeChallenge == "" && r.Data.CodeChallengeMethod == "" && pkceOptional(r.Client):
		// RFC 9700 §2.1.1: an OpenID Connect client may rely on the
		// nonce instead, which the ID token carries back. The code of a
		// request without a challenge takes no code_verifier (tokens.go).
		if r.Data.Nonce == "" {
			return nil, oidc.ErrInvalidRequest().WithDescription("a request without PKCE must carry a nonce")
		}
	case r.Data.CodeChallenge == "" || r.Data.CodeChallengeMethod != oidc.CodeChallengeMethodS256:
		return nil, oidc.ErrInvalidRequest().WithDescription("PKCE with code_challenge_method=S256 is required")
	case !s256ChallengeSyntax.MatchString(r.Data.CodeChallenge): // RFC 7636 §4.2
		return nil, oidc.ErrInvalidRequest().WithDescription("code_challenge must be the unpadded base64url SHA-256 of the code_verifier")
	}
	// The code goes back by redirect (query, or fragment if asked): the
	// hosted pages answer with the redirect themselves, under a policy
	// that allows no script and no cross-site form, which form_post's
	// self-submitting page needs. Discovery leaves response_modes_supported
	// at its default, query and fragment.
	// The description is fixed: RFC 6749 §4.1.2.1 limits it to printable
	// ASCII, and echoing a parameter would put anyone's text on the
	// relying party's error page.
	if m := r.Data.ResponseMode; m != "" && m != oidc.ResponseModeQuery && m != oidc.ResponseModeFragment {
		return nil, oidc.ErrInvalidRequest().WithDescription("this response_mode is not supported; use query or fragment")
	}
	// A request object by reference would supersede these parameters (Core
	// §6.2); ignoring it would drop what it asks, such as an essential acr.
	// Core §3.1.2.6 has an error for it; discovery says it is unsupported.
	if r.Form.Get("request_uri") != "" {
		return nil, (&oidc.Error{ErrorType: "request_uri_not_supported"}).WithDescription("request_uri is not supported")
	}
	if !wellFormedHint(r.Data.IDTokenHint) {
		return nil, oidc.ErrInvalidRequest().WithDescription("id_token_hint is not a JWT")
	}
	reason, err := parseReason(r.Form.Get(ReasonParameter))
	if err != nil {
		return nil, oidc.ErrInvalidRequest().WithDescription("%s", err)
	}
	ctx = context.WithValue(ctx, reasonKey{}, reason)
	if raw := r.Form.Get("claims"); raw != "" {
		if _, err := ParseClaims(raw); err != nil {
			return nil, oidc.ErrInvalidRequest().WithDescription("%s", err)
		}
		ctx = context.WithValue(ctx, claimsKey{}, raw)
	}
	// Bind the request to this browser now, at /authorize: the flow cookie
	// (set here if it has none) is what the hosted pages and /flow/start
	// ask for.
	browser := (&http.Request{Header: r.Header}).WithContext(ctx)
	binding := s.p.opts.FlowBinding(browser)
	fresh := binding == ""
	if fresh {
		binding = randomID()
	}
	ctx = context.WithValue(ctx, bindingKey{}, bindingHash(binding))
	created := new(*store.AuthRequest)
	ctx = context.WithValue(ctx, createdKey{}, created)
	redirect, err := s.LegacyServer.Authorize(ctx, r)
	if err != nil || *created == nil {
		return redirect, err
	}
	// A cross-site POST brings no SameSite=Lax cookie, so only a GET shows
	// the browser's session here; after a POST, /flow/start (a GET, which
	// does bring it) decides.
	if r.Method != http.MethodGet {
		return s.bindFresh(redirect, fresh, binding), nil
	}
	// Decide now, so that a browser that must sign in goes straight to
	// the page; one whose session is enough goes on to /flow/start.
	next := s.p.decide(ctx, browser, *created, binding, true)
	switch {
	case next.err != nil:
		s.p.logServerError(next.err)
		_ = s.p.store.AuthRequests().Delete(ctx, (*created).ID)
		return nil, next.err
	case next.page != "":
		redirect.URL = next.page
	}
	return s.bindFresh(redirect, fresh, binding), nil
}

// pkceOptional reports whether c is a confidential client configured to
// leave PKCE out (store.Client.PKCEOptional).
func pkceOptional(c op.Client) bool {
	cl, ok := c.(client)
	return ok && cl.rec.PKCEOptional && cl.rec.SecretHash != ""
}

// bindFresh sets a new flow binding cookie on the redirect, if fresh.
func (s *server) bindFresh(redirect *op.Redirect, fresh bool, binding string) *op.Redirect {
	if fresh {
		if redirect.Header == nil {
			redirect.Header = http.Header{}
		}
		s.p.opts.SetFlowBinding(headerWriter(redirect.Header), binding)
	}
	return redirect
}

// headerWriter lets a cookie setter write into the headers of a redirect
// that zitadel/oidc sends later.
type headerWriter http.Header

func (h headerWriter) Header() http.Header         { return http.Header(h) }
func (h headerWriter) Write(b []byte) (int, error) { return len(b), nil }
func (h headerWriter) WriteHeader(int)             {}

// UserInfo answers as RFC 6750 §3.1 asks of a protected resource: a token
// that is malformed, expired, revoked or of a disabled account is 401
// invalid_token (zitadel/oidc answers 401 access_denied or 403), and only
// the store's failure is a server error. Answers are not for caches (RFC
// 6749 §5.1).
func (s *server) UserInfo(ctx context.Context, r *op.Request[oidc.UserInfoRequest]) (*op.Response, error) {
	ctx, failure := withFailureSlot(ctx)
	resp, err := s.LegacyServer.UserInfo(ctx, r)
	var oe *oidc.Error
	switch {
	case *failure != nil:
		err = *failure
	case err == nil:
		resp.Header.Set("Cache-Control", "no-store")
		return resp, nil
	case errors.Is(err, errTokenInactive), errors.As(err, &oe) && oe.ErrorType == oidc.AccessDenied:
		return nil, op.NewStatusError(&oidc.Error{ErrorType: errInvalidToken,
			Description: "the access token is malformed, expired or revoked"}, http.StatusUnauthorized)
	}
	s.p.log.Error("oidc: userinfo", "err", err)
	return nil, op.NewStatusError(oidc.ErrServerError(), http.StatusInternalServerError)
}

// errInvalidToken is RFC 6750's error for a token a resource refuses.
const errInvalidToken = "invalid_token"

// bearerChallenge adds the WWW-Authenticate header RFC 6750 §3 requires of
// a 401 from a protected resource (the userinfo endpoint): a bare Bearer
// challenge when the request brought no token, invalid_token when it did.
func bearerChallenge(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		challenge := "Bearer"
		if r.Header.Get("Authorization") != "" || r.FormValue("access_token") != "" {
			challenge = `Bearer error="invalid_token"`
		}
		next.ServeHTTP(&challengeWriter{ResponseWriter: w, challenge: challenge}, r)
	})
}

// challengeWriter sets WWW-Authenticate on a 401.
type challengeWriter struct {
	http.ResponseWriter
	challenge string
}

func (c *challengeWriter) WriteHeader(code int) {
	if code == http.StatusUnauthorized && c.Header().Get("WWW-Authenticate") == "" {
		c.Header().Set("WWW-Authenticate", c.challenge)
	}
	c.ResponseWriter.WriteHeader(code)
}

// Introspect answers a token the store could not look up with a server
// error, not active=false: a resource server must not take an outage for a
// revocation (nor cache it as one). Caller credentials that fail are 401
// invalid_client, where zitadel/oidc answers 400 unauthorized_client: RFC
// 7662 §2.3, "If the protected resource uses OAuth 2.0 client credentials
// to authenticate to the introspection endpoint and its credentials are
// invalid, the authorization server responds with an HTTP 401
// (Unauthorized) as described in Section 5.2 of OAuth 2.0".
func (s *server) Introspect(ctx context.Context, r *op.Request[op.IntrospectionRequest]) (*op.Response, error) {
	ctx, failure := withFailureSlot(ctx)
	resp, err := s.LegacyServer.Introspect(ctx, r)
	switch {
	case *failure != nil: // before err: a client the store could not read is not unknown
		s.p.log.Error("oidc: introspection", "err", *failure)
		return nil, op.NewStatusError(oidc.ErrServerError(), http.StatusInternalServerError)
	case errors.Is(err, oidc.ErrUnauthorizedClient()), errors.Is(err, oidc.ErrInvalidClient()):
		return nil, op.NewStatusError(errClientAuthentication().WithParent(err), http.StatusUnauthorized)
	case err != nil:
		return nil, err
	}
	resp.Header.Set("Cache-Control", "no-store")
	return resp, nil
}

// Discovery adds what relying parties need to ask for assurance.
func (s *server) Discovery(ctx context.Context, r *op.Request[struct{}]) (*op.Response, error) {
	resp, err := s.LegacyServer.Discovery(ctx, r)
	if err != nil {
		return nil, err
	}
	cfg := resp.Data.(*oidc.DiscoveryConfiguration)
	cfg.ACRValuesSupported = s.p.opts.Scheme.Values()
	cfg.ClaimsParameterSupported = true
	cfg.CodeChallengeMethodsSupported = []oidc.CodeChallengeMethod{oidc.CodeChallengeMethodS256}
	cfg.ResponseTypesSupported = []string{string(oidc.ResponseTypeCode)}
	cfg.GrantTypesSupported = []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken}
	cfg.RequestParameterSupported = false
	// zitadel/oidc advertises JWT client authentication at these
	// endpoints by default; stepup does not accept it.
	cfg.IntrospectionEndpointAuthSigningAlgValuesSupported = nil
	cfg.RevocationEndpointAuthSigningAlgValuesSupported = nil
	resp.Header.Set("Cache-Control", "public, max-age=3600")
	return resp, nil
}

// Keys serves the JWKS cacheable for keys.JWKSMaxAge: a next key signs
// only once it has been published for longer than that, so a verifier's
// cached copy always holds the key a new token names.
func (s *server) Keys(ctx context.Context, _ *op.Request[struct{}]) (*op.Response, error) {
	set, err := s.p.keys.JWKS(ctx)
	if err != nil {
		return nil, op.AsStatusError(err, http.StatusInternalServerError)
	}
	resp := op.NewResponse(set)
	resp.Header.Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int(keys.JWKSMaxAge/time.Second)))
	return resp, nil
}
