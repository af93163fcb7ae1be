package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/stepup-auth/stepup/stepup"
	"github.com/stepup-auth/stepup/stepup/store"
)

// Actions is the stepup.Tracker as the pages use it: a tracked action's
// challenge runs on the same step-up and enrollment pages as a relying
// party's step-up, as a flow whose completion target is the action. Its
// verifications go to the action's record, never to a session: a
// challenge link signs nobody in.
type Actions interface {
	// Open turns a challenge link's token into its flow, for the browser
	// of binding; the first browser to open it owns it.
	Open(ctx context.Context, token, binding string) (stepup.Flow, error)
	// Session is what the challenge has proved so far, for the pages to
	// weigh; it is not stored.
	Session(ctx context.Context, flow stepup.Flow) (*store.Session, error)
	// Verified records a verification of the challenge.
	Verified(ctx context.Context, flow stepup.Flow, v store.Verification) error
	// Finish ends the challenge and returns where the browser goes, ""
	// when the caller gave no redirect URL.
	Finish(ctx context.Context, flow stepup.Flow) (string, error)
}

var _ Actions = (*stepup.Tracker)(nil)

// challengePage opens a tracked action's challenge link and sends the
// browser on to the step-up page with the challenge's flow.
func (s *Server) challengePage(w http.ResponseWriter, r *http.Request) {
	if s.actions == nil {
		http.NotFound(w, r)
		return
	}
	// The binding cookie, new if the browser has none, is what the
	// challenge will be bound to: localFlow sets it.
	binding := FlowBinding(r, s.secure)
	if binding == "" {
		var err error
		if _, binding, err = s.localFlow(w, r, stepup.Flow{}); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	flow, err := s.actions.Open(r.Context(), r.URL.Query().Get("token"), binding)
	switch {
	case errors.Is(err, stepup.ErrActionToken):
		s.errorPage(w, http.StatusBadRequest, "This link has expired",
			"This confirmation link has expired, was used already, or was opened in another browser. "+
				"Go back to the application and start again.")
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	token, err := s.flows.Seal(flow, binding)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, pageURL("/stepup", token), http.StatusSeeOther)
}

// finishAction hands a challenge's flow back to its action and sends the
// browser where the action says.
func (s *Server) finishAction(w http.ResponseWriter, r *http.Request, flow stepup.Flow) {
	next, err := s.actions.Finish(r.Context(), flow)
	switch {
	case errors.Is(err, stepup.ErrActionToken):
		s.errorPage(w, http.StatusBadRequest, "This link has expired",
			"This confirmation has expired or was completed already. Go back to the application and start again.")
	case err != nil:
		s.fail(w, r, err)
	case next == "":
		s.render(w, http.StatusOK, "error", view{Title: "Done",
			Error: "You can close this page and go back to the application."})
	default:
		http.Redirect(w, r, next, http.StatusSeeOther)
	}
}

// record keeps a verification the pages made: in the session, under a new
// token the browser gets, or in the tracked action a challenge's flow
// completes.
func (s *Server) record(w http.ResponseWriter, r *http.Request, flow stepup.Flow, sess *store.Session,
	v store.Verification) (*store.Session, error) {
	if flow.ActionID != "" {
		return sess, s.actions.Verified(r.Context(), flow, v)
	}
	return s.elevate(w, r, sess, v)
}
