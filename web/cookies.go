package web

import (
	"net/http"

	"github.com/stepup-auth/stepup/stepup"
	"github.com/stepup-auth/stepup/stepup/store"
)

// The cookies the hosted pages and the OpenID Provider share. Served over
// HTTPS, their names carry the __Host- prefix, which browsers accept only
// from this exact host, Secure, on path /: a sibling subdomain cannot plant
// one (a known flow binding or a session token of its choosing). On
// http://localhost in development they go without it, as browsers require.
const (
	// SessionCookie holds the SSO session token.
	SessionCookie = "stepup_session"
	// FlowCookie holds the browser binding of flow tokens: a random value
	// the OP sets when it starts a flow, so that a flow link carried to
	// another browser does not open there.
	FlowCookie = "stepup_flow"
)

// CookieName is the name a cookie of the pages goes by: with the __Host-
// prefix when secure.
func CookieName(name string, secure bool) string {
	if secure {
		return "__Host-" + name
	}
	return name
}

// SetFlowCookie sets the flow binding cookie. secure is false only for
// development on http://localhost.
//
// SameSite=Lax, not Strict: the browser arrives from the relying party
// by a top-level cross-site redirect, and must bring the cookie with it.
func SetFlowCookie(w http.ResponseWriter, value string, secure bool) {
	setCookie(w, FlowCookie, value, secure)
}

// FlowBinding returns the request's flow binding, or "" without one.
func FlowBinding(r *http.Request, secure bool) string {
	c, err := r.Cookie(CookieName(FlowCookie, secure))
	if err != nil {
		return ""
	}
	return c.Value
}

// SessionFromRequest returns the live session named by the request's
// session cookie, with its token. Without a cookie, or with one that names
// no live session, the error is stepup.ErrNoSession.
func SessionFromRequest(r *http.Request, s *stepup.Sessions, secure bool) (*store.Session, string, error) {
	c, err := r.Cookie(CookieName(SessionCookie, secure))
	if err != nil {
		return nil, "", stepup.ErrNoSession
	}
	sess, err := s.Find(r.Context(), c.Value)
	if err != nil {
		return nil, "", err
	}
	return sess, c.Value, nil
}

// setSessionCookie hands the browser a session token. It is a browser
// session cookie, without an expiry: the session's idle and absolute
// timeouts are kept by the server, and closing the browser ends it on
// shared computers.
func setSessionCookie(w http.ResponseWriter, token string, secure bool) {
	setCookie(w, SessionCookie, token, secure)
}

// clearSessionCookie removes the session cookie from the browser.
func clearSessionCookie(w http.ResponseWriter, secure bool) {
	http.SetCookie(w, &http.Cookie{Name: CookieName(SessionCookie, secure), Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
}

func setCookie(w http.ResponseWriter, name, value string, secure bool) {
	http.SetCookie(w, &http.Cookie{
		Name:     CookieName(name, secure),
		Value:    value,
		Path:     "/",
		HttpOnly: true,
		Secure:   secure,
		SameSite: http.SameSiteLaxMode,
	})
}
