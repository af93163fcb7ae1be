// Package demo is a small relying party that stepup serves under /demo on
// its own server, so that a newcomer can see step-up authentication work
// end to end right after `stepup serve`: register, sign in, and read the
// ID token that came back.
//
// It plays a bank with an API of two routes, each protected by
// acr.Middleware with its policy declared beside it, as any API that uses
// stepup would:
//
//	GET  /demo/api/balance   acr.Require(acr.OneFactor)
//	POST /demo/api/transfer  acr.Require(acr.MFA, acr.MaxAge(5*time.Minute))
//
// The API checks stepup's JWT access tokens (RFC 9068; audience
// stepup-demo) with keys it discovers at the first call, and answers a
// token that falls short with an RFC 9470 challenge. The demo's pages are
// its client: an action calls the API with the signed-in user's access
// token; without a session they sign in first, at the client's minimum.
// On a challenge they read it with acr.ParseChallenge and ask stepup again
// with its acr_values and max_age (and a stepup_reason for the step-up
// page), then call the API with the new token. A challenge is followed
// once: if stepup's new token still falls short (the user went on without
// a second factor), the page says so rather than pretending, and shows
// the API's answers.
//
// Handler serves
//
//	GET  /demo/          the home page: who is signed in, at which level
//	POST /demo/login     action=balance|transfer: calls the API, or starts
//	                     an authorization code flow with PKCE S256, state
//	                     and nonce when there is no session or the API
//	                     asks for more (then with id_token_hint, so the
//	                     step-up is for the user signed in)
//	GET  /demo/callback  exchanges the code, verifies the ID token, calls
//	                     the API with the new access token and shows the
//	                     claims and the action's result
//	POST /demo/logout    clears the demo's cookie and sends the browser to
//	                     the OP's end_session endpoint
//	/demo/api/...        the API above
//
// The demo is an ordinary OpenID Connect client of the server it runs on:
// it uses golang.org/x/oauth2 and coreos/go-oidc over HTTP against the
// issuer URL, and calls its API over HTTP too, exactly as an application
// elsewhere would. Discovery is fetched at first use, because the server
// is not listening yet when the demo is built. So the server must be able
// to reach its own public URL, which holds for the default
// http://localhost:8080.
//
// State lives in two cookies scoped to /demo/, HttpOnly, SameSite=Lax and
// Secure when the issuer is https, each signed with an HMAC: the pending
// sign-in (state, nonce, PKCE verifier, the challenge it answers; ten
// minutes) and the verified claims with the ID and access tokens (until the
// ID token expires; about 2 KB of the 4 KB a browser keeps). The forms
// (an action, the logout) are posts the browser must not mark as
// cross-origin and, when signed in, carry a CSRF token, an HMAC of the
// claims cookie: another site cannot make the demo send a transfer. Pages are embedded html/template
// files on the hosted pages' layout, headers and stylesheet (web.Pages,
// web.SecurityHeaders): no script.
//
// Setup registers the public client stepup-demo (Source "demo") in the
// store when the demo is enabled, and removes it when not.
package demo
