// Package oidc is stepup's OpenID Provider, built on zitadel/oidc/v3:
// discovery, authorize, token (authorization_code, refresh_token),
// userinfo, JWKS, introspection, revocation and end_session.
//
// It adds what the library leaves to its user: the claims parameter
// (parsed here, claims.go), acr_values, max_age, prompt and id_token_hint
// acted on through the stepup engine (flow.go), PKCE S256 for every
// client, authorization requests bound to the browser that opened them,
// codes whose replay revokes what they issued, rotating refresh tokens
// whose reuse revokes the family, RFC 9068 access tokens with acr, amr and
// auth_time, Cache-Control: no-store on token responses (server.go,
// tokens.go, refresh.go), PKCE's syntax (pkce.go), token, introspection
// and revocation endpoints that take only POST and answer a failed client
// authentication with 401 and a Basic challenge (clientauth.go), RFC 6750
// challenges at userinfo, and the question RP-Initiated Logout requires
// before an end_session without the signed-in user's id_token_hint ends
// the session (logout.go).
//
// It renders no sign-in pages: a flow that needs the user goes to the
// hosted pages (package web) as a signed stepup.Flow, and the pages hand it
// back to Provider.Continue in the request that finishes it. Its own pages
// are the few that end a flow or a session: expired, signed out, and the
// sign-out question.
package oidc
