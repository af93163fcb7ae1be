// Package web is stepup's hosted UI: the server-rendered pages a browser
// passes through while a stepup.Flow is pending.
//
// Server.Handler serves
//
//	GET/POST /signin    sign-in with a local username and password
//	GET/POST /register  creation of a local account, signed in at once
//	GET/POST /stepup    the step-up page; until second factors exist it
//	                    can only hand the flow back with Unmet set
//	GET /static/...     the embedded stylesheet
//
// Every page takes the flow token in a flow parameter and opens it
// against the browser's FlowCookie, so a link opened in another browser,
// or expired, gets a friendly 400 page. When a page is done it sets the
// flow's UserID (or Unmet) and hands it, with the browser's session, to
// Options.HandBack in the same request: the completion target (the OP's
// authorize flow, later the track API) answers the browser from there,
// with the code for the relying party or the next page. The pages decide
// nothing about levels; the engine does.
//
// Sign-in records a password verification in the browser's session
// (SessionCookie): the session of the same user gains it, anything else
// (no session, another user's, or a flow asking for a fresh sign-in) is
// ended and replaced. A flow never changes user: signing in as someone
// other than the flow's UserID is refused. Failed sign-ins, and apart from
// them registrations (20 a minute by default), are throttled per client
// address: the connection's, or, from one of
// Options.TrustedProxies, the right-most address in X-Forwarded-For that
// is not a trusted proxy.
//
// The pages are html/template files and one stylesheet, embedded in the
// binary. No script, no external resource: every response carries a
// Content-Security-Policy that allows only the site's own stylesheet and
// images and forms posting back to the site, and forbids framing, along
// with nosniff, no-referrer and no-store. Every form carries a CSRF token
// (an HMAC of the flow binding under a key derived from
// Options.CSRFKey), and posts the browser marks as cross-origin are
// refused. Inputs carry the standard autocomplete tokens (username,
// current-password, new-password) for browsers and password managers.
//
// SetFlowCookie, FlowBinding and SessionFromRequest are exported so that
// the OP reads and writes the same cookies.
package web
