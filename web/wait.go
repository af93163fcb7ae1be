package web

import (
	"encoding/json"
	"net/http"

	"github.com/stepup-auth/stepup/acr"
)

// Some answers come from elsewhere: a magic link opened, a push approved
// on a phone. The page that waits for one carries a form whose
// data-wait names /stepup/wait; its script (static/wait.js) asks there
// every two seconds and posts the form once the answer is in, and without
// the script the form's button does the same. Asking changes nothing.

// waitStatus answers the waiting page's script: {"ready": true} once the
// answer of the challenge is in. A challenge expired or not this flow's,
// or a session gone, is "ready" too: posting the form shows the user why.
func (s *Server) waitStatus(w http.ResponseWriter, r *http.Request) {
	flow, _, binding, ok := s.openFlow(w, r)
	if !ok {
		return
	}
	ready := true
	if sess, _, err := s.flowSession(r, flow); err == nil && sess != nil {
		t, id := target(sess.UserID, binding, flow), r.URL.Query().Get("challenge")
		m, _ := acr.ParseMethod(r.URL.Query().Get("method"))
		switch {
		case m == acr.EmailMagicLink && s.factors.MagicLink != nil:
			opened, _, err := s.factors.MagicLink.Opened(r.Context(), t, id)
			ready = opened || err != nil
		case m == acr.Push && s.factors.Push != nil:
			answered, err := s.factors.Push.Answered(r.Context(), t, id)
			ready = answered || err != nil
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]bool{"ready": ready})
}
