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
	// Peek returns the action a challenge link's token names and binds
	// it to no browser; a challenge another browser owns is
	// stepup.ErrActionToken.
	Peek(ctx context.Context, token, binding string) (stepup.Tracked, error)
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
	// Vouched is where the action's application vouches its user reads
	// messages; the flow token does not carry it.
	Vouched(ctx context.Context, flow stepup.Flow) (stepup.Vouched, error)
}

var _ Actions = (*stepup.Tracker)(nil)

// A challenge link (GET /challenge?token=...) is fetched by more than the
// user's browser: mail and chat apps fetch links to preview them, some
// before the user ever clicks. Opening a challenge binds it to the browser
// that opens it, so a GET must not: it shows what the link is for, and
// the user's Continue (POST /challenge, a form with the CSRF token of the
// browser's flow binding) opens it. A preview bot does not submit forms,
// and one that did without keeping the page's cookie has no valid CSRF
// token.

// challengePage shows a tracked action's challenge link: what it asks,
// and a Continue button. It binds nothing and consumes nothing.
func (s *Server) challengePage(w http.ResponseWriter, r *http.Request) {
	if s.actions == nil {
		http.NotFound(w, r)
		return
	}
	// The form's CSRF token is that of the browser's binding, which
	// Continue will bind the challenge to: one is set if it has none.
	binding, err := s.ensureBinding(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	token := r.URL.Query().Get("token")
	action, err := s.actions.Peek(r.Context(), token, binding)
	switch {
	case errors.Is(err, stepup.ErrActionToken):
		s.challengeExpired(w)
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	v := view{Title: "Confirm it's you", CSRF: s.csrfToken(binding), ChallengeToken: token, Action: action.Action}
	if action.Challenge != nil {
		v.Level = levelWords(action.Challenge.Level)
	}
	s.render(w, http.StatusOK, "challenge", v)
}

// openChallenge is the challenge page's Continue: it opens the challenge
// for this browser, which owns it from then on, and sends it on to the
// step-up page with the challenge's flow.
func (s *Server) openChallenge(w http.ResponseWriter, r *http.Request) {
	if s.actions == nil {
		http.NotFound(w, r)
		return
	}
	if !s.readPost(w, r) {
		return
	}
	binding := FlowBinding(r, s.secure)
	if !s.validCSRF(r.PostFormValue("csrf"), binding) {
		s.forbidden(w)
		return
	}
	flow, err := s.actions.Open(r.Context(), r.PostFormValue("token"), binding)
	switch {
	case errors.Is(err, stepup.ErrActionToken):
		s.challengeExpired(w)
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

// challengeExpired answers a challenge link that cannot be answered here.
func (s *Server) challengeExpired(w http.ResponseWriter) {
	s.errorPage(w, http.StatusBadRequest, "This link has expired",
		"This confirmation link has expired, was used already, or was opened in another browser. "+
			"Go back to the application and start again.")
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
