package demo

import (
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/stepup-auth/stepup/acr"
)

// start begins an action. With a session, the demo calls its API at once
// and signs in again only when the API asks for it: with the challenge's
// acr_values and max_age when the token falls short (RFC 9470), plainly
// when the token has expired. Without one, it signs in first, at the
// client's minimum: the API then says what more the action needs.
func (s *Server) start(w http.ResponseWriter, r *http.Request) {
	a, ok := actions[r.URL.Query().Get("action")]
	if !ok {
		s.errorPage(w, http.StatusBadRequest, "Unknown action",
			"The demo knows two actions: view balance and transfer money.", "")
		return
	}
	sess, raw, ok := s.session(r)
	if !ok || sess.AccessToken == "" {
		s.authorize(w, r, a, nil)
		return
	}
	s.run(w, r, a, sess, raw, false, "")
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
		s.authorize(w, r, a, &c)
		return
	case !fresh && c.signIn():
		s.authorize(w, r, a, nil)
		return
	case c.stepUp():
		v.Result, v.Refused = "Not done: the API still refuses stepup's new token ("+c.parsed.Description+
			"). Set up a passkey or an authenticator app (on the step-up page, or on your account page at /account), "+
			"then start it again.", true
	default:
		v.Result, v.Refused = "Not done: the API refuses the access token stepup just issued. The cause is in the stepup log.", true
		s.log.Error("demo: the API refuses a fresh access token", "challenge", c.Challenge)
	}
	v.Calls = append(v.Calls, c)
	s.render(w, http.StatusOK, "result", v)
}

// followed is the call whose challenge the session's sign-in answered,
// with the authorization request's parameters it asked for.
func followed(request, challenge string) call {
	c := call{Request: request, Status: http.StatusUnauthorized, Challenge: challenge}
	if ch, err := acr.ParseWWWAuthenticate(challenge); err == nil {
		var asked []string
		for _, k := range slices.Sorted(maps.Keys(ch.AuthParams())) {
			asked = append(asked, k+"="+ch.AuthParams().Get(k))
		}
		c.Then = "The demo asked stepup again with " + strings.Join(asked, " and ") + ", and you signed in."
	}
	return c
}
