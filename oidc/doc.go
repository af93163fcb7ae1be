// Package oidc will be stepup's OpenID Provider, built on zitadel/oidc/v3:
// discovery, authorize, token, userinfo, JWKS, introspection, revocation and
// end_session, with the assurance semantics of acr_values, the claims
// parameter, max_age, prompt and id_token_hint. It starts a stepup flow for
// each authorization request and finishes it at the callback; it renders no
// pages itself.
//
// So far it holds the parser of the claims request parameter, which
// zitadel/oidc drops; the provider itself is work in progress.
package oidc
