package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/stepup-auth/stepup/stepup"
)

// reviewInterval is how often the waiting page looks again.
const reviewInterval = "5"

// reviewPage is where a sign-in the rules hold for review waits for a
// person's decision: it looks again every few seconds (a Refresh header,
// which needs no script), by handing the flow back to its completion
// target, which sends the browser on once the review is decided.
func (s *Server) reviewPage(w http.ResponseWriter, r *http.Request) {
	_, token, binding, ok := s.openFlow(w, r)
	if !ok {
		return
	}
	check := "/review/check?" + url.Values{"flow": {token}}.Encode()
	w.Header().Set("Refresh", reviewInterval+"; url="+check)
	s.render(w, http.StatusOK, "review", view{Title: "Waiting for approval", Flow: token, CSRF: s.csrfToken(binding), Link: check})
}

// reviewCheck hands a waiting flow back to its completion target, which
// answers with the waiting page again, or the outcome.
func (s *Server) reviewCheck(w http.ResponseWriter, r *http.Request) {
	flow, _, _, ok := s.openFlow(w, r)
	if !ok {
		return
	}
	sess, _, err := SessionFromRequest(r, s.sessions, s.secure)
	if err != nil && !errors.Is(err, stepup.ErrNoSession) {
		s.fail(w, r, err)
		return
	}
	s.handBack(w, r, flow, sess)
}
