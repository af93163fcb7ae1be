package demo

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/stepup-auth/stepup/acr"
)

// start begins an action. With a session, the demo calls its API at once
// and signs in again only when the API asks for it: with the challenge's
// acr_values and max_age when the token falls short (RFC 9470), plainly
// when the token has expired. Without one, it signs in first, at the
// client's minimum: the API then says what more the action needs.
//
// An action is a form post from the demo's own pages: posts the browser
// marks as cross-origin are refused, and a signed-in browser's form must
// carry the CSRF token of its session, so that no other site can make the
// demo send a transfer for the user.
func (s *Server) start(w http.ResponseWriter, r *http.Request) {
	if !s.readForm(w, r) {
		return
	}
	a, ok := actions[r.PostFormValue("action")]
	if !ok {
		s.errorPage(w, http.StatusBadRequest, "Unknown action",
			"The demo knows two actions: view balance and transfer money.", "")
		return
	}
	sess, raw, ok := s.session(r)
	switch {
	case !ok:
		s.authorize(w, r, a, nil, nil)
	case !s.validCSRF(r.PostFormValue("csrf"), raw):
		s.forbidden(w)
	case sess.AccessToken == "":
		s.authorize(w, r, a, nil, sess)
	default:
		s.run(w, r, a, sess, raw, false, "")
	}
}

// run calls the API for a with the session's access token and shows what
// it answered. fresh says the token was issued by the sign-in just made,
// and answered is the challenge that sign-in answered, if any. The demo
// follows the API's challenge once: a fresh token the API refuses
// outright, or a second challenge, is shown, not followed, so an OP that
// cannot give what the API asks for does not send the browser round in a
// loop.
func (s *Server) run(w http.ResponseWriter, r *http.Request, a action, sess *session, raw string, fresh bool, answered string) {
	c, err := s.callAPI(r.Context(), a, sess.AccessToken)
	if err != nil {
		s.fail(w, r, "The demo's API did not answer as it should. The cause is in the stepup log.", err)
		return
	}
	v := view{Title: a.Title, Session: sess, Claims: sess.fields(s.now()), CSRF: s.csrfToken(raw)}
	if answered != "" {
		v.Calls = append(v.Calls, followed(c.Request, answered))
	}
	switch {
	case c.allowed():
		v.Result = c.result.Result
	case answered == "" && c.stepUp():
		s.authorize(w, r, a, &c, sess)
		return
	case !fresh && c.signIn():
		s.authorize(w, r, a, nil, sess)
		return
	case c.stepUp():
		v.Result, v.Refused = s.shortfall(a, sess), true
	default:
		v.Result, v.Refused = "Not done: the API refuses the access token stepup just issued. The cause is in the stepup log.", true
	}
	v.Calls = append(v.Calls, c)
	s.render(w, http.StatusOK, "result", v)
}

// shortfall says, for the user, why the API still refuses the action after
// the sign-in that answered its challenge. The challenge's description is
// for developers (the page shows it with the API's answers); this is worded
// from the session's claims, which came with the access token.
func (s *Server) shortfall(a action, sess *session) string {
	level, ok := s.scheme.Level(sess.ACR)
	if !ok {
		level = acr.None
	}
	if !level.Satisfies(a.Needs.Level) {
		at := sess.ACR
		if at == "" {
			at = "no level at all"
		}
		return fmt.Sprintf("Not done: %s needs %s, and you signed in at %s. Set up a passkey or an authenticator app "+
			"(on the step-up page, or on your account page at /account), then start it again.", a.Object, shortName(a.Needs.Level), at)
	}
	return fmt.Sprintf("Not done: %s needs a sign-in within the last %d minutes, and yours was %s. Start it again to sign in afresh.",
		a.Object, int(a.Needs.MaxAge/time.Minute), ago(s.now().Sub(time.Unix(sess.AuthTime, 0))))
}

// followed is the call whose challenge the session's sign-in answered,
// with the authorization request's parameters it asked for.
func followed(request, challenge string) call {
	c := call{Request: request, Status: http.StatusUnauthorized, Challenge: challenge}
	if ch, err := acr.ParseWWWAuthenticate(challenge); err == nil {
		params := ch.AuthParams()
		var asked []string
		for _, k := range slices.Sorted(maps.Keys(params)) {
			asked = append(asked, k+"="+params.Get(k))
		}
		c.Then = "The demo asked stepup again with " + strings.Join(asked, " and ") + ", and you signed in."
	}
	return c
}

// shortName is a level's name without its URN prefix: "mfa".
func shortName(l acr.Level) string {
	v := l.String()
	return v[strings.LastIndex(v, ":")+1:]
}
