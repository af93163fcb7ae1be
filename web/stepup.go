package web

import (
	"errors"
	"net/http"

	"github.com/stepup-auth/stepup/stepup"
)

// The step-up page. Second factors plug in here: with them, the page
// offers the user's enrolled factors that reach flow.Level (limited to
// flow.Methods), records the verification in the session, and hands the
// flow back met. Until then it can only say so and hand it back unmet.

func (s *Server) stepUpPage(w http.ResponseWriter, r *http.Request) {
	flow, token, binding, ok := s.openFlow(w, r)
	if !ok {
		return
	}
	s.render(w, http.StatusOK, "stepup", view{
		Title: "More proof needed", Flow: token, CSRF: s.csrfToken(binding), Level: flow.Level.String(),
	})
}

// stepUp hands the flow back unmet when the user chooses to continue (what
// an unmet level means is the completion target's call), or cancelled.
func (s *Server) stepUp(w http.ResponseWriter, r *http.Request) {
	flow, _, ok := s.openPost(w, r)
	if !ok {
		return
	}
	sess, _, err := SessionFromRequest(r, s.sessions, s.secure)
	if err != nil && !errors.Is(err, stepup.ErrNoSession) {
		s.fail(w, r, err)
		return
	}
	if r.PostFormValue("action") == "cancel" {
		flow.Cancelled = true
	} else {
		flow.Unmet = true
	}
	s.handBack(w, r, flow, sess)
}
