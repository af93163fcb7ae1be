// Package demo is a small relying party that stepup serves under /demo on
// its own server, so that a newcomer can see step-up authentication work
// end to end right after `stepup serve`: register, sign in, and read the
// ID token that came back.
//
// It plays a bank with two actions. "View balance" signs in at the
// client's minimum, 1fa. "Transfer money" asks for
// acr_values=urn:stepup:acr:mfa with max_age=300, and then checks what
// came back, as a real relying party must: acr_values is a wish, not a
// guarantee, so the transfer goes through only when the acr claim names
// mfa or higher (compared through an acr.Scheme) and auth_time is recent.
// Otherwise the page says so, without pretending.
//
// Handler serves
//
//	GET  /demo/          the home page: who is signed in, at which level
//	GET  /demo/login     ?action=balance|transfer: starts an authorization
//	                     code flow with PKCE S256, state and nonce
//	GET  /demo/callback  exchanges the code, verifies the ID token, shows
//	                     its claims and the action's result
//	POST /demo/logout    clears the demo's cookie and sends the browser to
//	                     the OP's end_session endpoint
//
// The demo is an ordinary OpenID Connect client of the server it runs on:
// it uses golang.org/x/oauth2 and coreos/go-oidc over HTTP against the
// issuer URL, exactly as an application elsewhere would. Discovery is
// fetched at first use, because the server is not listening yet when the
// demo is built. So the server must be able to reach its own public URL,
// which holds for the default http://localhost:8080.
//
// State lives in two cookies scoped to /demo/, HttpOnly, SameSite=Lax and
// Secure when the issuer is https, each signed with an HMAC: the pending
// sign-in (state, nonce, PKCE verifier; ten minutes) and the verified
// claims (until the ID token expires). The logout form carries a CSRF
// token, an HMAC of the claims cookie. Pages are embedded html/template
// files on the hosted pages' layout, headers and stylesheet (web.Pages,
// web.SecurityHeaders): no script.
//
// Setup registers the public client stepup-demo (Source "demo") in the
// store when the demo is enabled, and removes it when not.
package demo
