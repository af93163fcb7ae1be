// Package web is stepup's hosted UI: the server-rendered pages a browser
// passes through while a stepup.Flow is pending.
//
// Server.Handler serves
//
//	GET/POST /signin        sign-in with a username and password
//	POST /signin/passkey    sign-in with a discoverable passkey (no username)
//	GET/POST /register      creation of a local account, signed in at once
//	GET/POST /stepup        the step-up page: the user's factors that reach
//	                        the flow's level, or setting up a first one
//	POST /stepup/verify     an answer to the step-up page
//	GET/POST /enroll        setting up a passkey or an authenticator app
//	POST /enroll/done       on from the recovery codes, shown once
//	POST /webauthn/options  a WebAuthn ceremony's options, for the script
//	GET /account            the user's factors: add, remove, new recovery codes
//	GET/POST /challenge     a tracked action's challenge link (Options.Actions):
//	                        GET shows what it asks and binds nothing (link
//	                        previews fetch it too); POST, its Continue, opens
//	                        the challenge for this browser alone
//	GET /review[/check]     a sign-in held for review waits here, looking
//	                        again every 5 s (a Refresh header, no script)
//	GET /static/...         the embedded stylesheet and WebAuthn script
//
// Every page takes the flow token in a flow parameter and opens it
// against the browser's FlowCookie, so a link opened in another browser,
// or expired, gets a friendly 400 page. When a page is done it sets the
// flow's UserID (or Unmet) and hands it, with the browser's session, to
// Options.HandBack in the same request: the completion target (the OP's
// authorize flow) answers the browser from there, with the code for the
// relying party or the next page. A tracked action's challenge
// (Flow.ActionID) runs on the same step-up and enrollment pages, but its
// verifications go to the action's record through Options.Actions, never
// to a session, and its end sends the browser to the backend's redirect
// URL: a challenge link signs nobody in. The link's page changes nothing
// until the user continues: the first browser to continue owns the
// challenge, and a mail or chat app that fetched the link for a preview
// has taken nothing from the user. The challenge's flow opens no sign-in or
// enrollment page and the step-up page offers no password: whoever holds
// a link is not a sign-in. A flow without an
// authorization request is the pages' own (a change on the account page
// that needs a step-up first): it returns to its Flow.Next. The pages
// decide nothing about levels: the engine does, and the pages weigh a
// session as it does (stepup.Counted) to offer only what reaches the level.
//
// Every sign-in and step-up records a verification in the browser's
// session under a new token (stepup.Sessions.Elevate): the session of the
// same user gains it, anything else (no session, another user's, or a flow
// asking for a fresh sign-in) is ended and replaced. A flow never changes
// user: signing in as someone other than the flow's UserID is refused.
// Failed sign-ins, and apart from them registrations (20 a minute by
// default), are throttled per client address: the connection's, or, from
// one of Options.TrustedProxies, the right-most address in X-Forwarded-For
// that is not a trusted proxy. Failed verifications of second factors are
// bounded per user by Factors.Limiter.
//
// The pages are html/template files, one stylesheet and one script
// (WebAuthn ceremonies only), embedded in the binary. Every response
// carries a Content-Security-Policy that allows only the site's own
// stylesheet, script, images (and data: images, an app's QR code) and
// requests, forms posting back to the site, and forbids framing, along
// with nosniff, no-referrer and no-store. Every form carries a CSRF token
// (an HMAC of the flow binding under a key derived from Options.CSRFKey),
// and posts the browser marks as cross-origin are refused. Inputs carry the
// standard autocomplete tokens (username webauthn, current-password,
// new-password, one-time-code) for browsers and password managers.
//
// SetFlowCookie, FlowBinding and SessionFromRequest are exported so that
// the OP reads and writes the same cookies.
package web
