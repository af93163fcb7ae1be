package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup"
	"github.com/stepup-auth/stepup/stepup/store"
)

// The pages' own flows. A change of factors on the account page may need
// a fresh sign-in or a step-up first; the pages then start a flow of
// their own, with no authorization request, whose completion target is
// the page to return to (Flow.Next). It goes through the same sign-in and
// step-up pages as a relying party's flow.

// localFlowLifetime is how long a flow of the pages' own may take.
const localFlowLifetime = 10 * time.Minute

// handBack hands a flow the pages are done with to its completion target:
// the OpenID Provider for a relying party's flow, the page it returns to
// for one of the pages' own.
func (s *Server) handBack(w http.ResponseWriter, r *http.Request, flow stepup.Flow, sess *store.Session) {
	if flow.ActionID != "" && s.actions != nil {
		s.finishAction(w, r, flow)
		return
	}
	if flow.AuthRequestID != "" {
		s.completion(w, r, flow, sess)
		return
	}
	next := flow.Next
	if flow.Cancelled || !localPath(next) {
		next = "/account"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// localPath reports whether p is a path of this site, never another
// host's ("//evil.example", "/\\evil.example").
func localPath(p string) bool {
	return strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "//") && !strings.HasPrefix(p, "/\\")
}

// ensureBinding returns the flow binding of the browser of r, setting a
// new binding cookie if it has none yet.
func (s *Server) ensureBinding(w http.ResponseWriter, r *http.Request) (string, error) {
	if binding := FlowBinding(r, s.secure); binding != "" {
		return binding, nil
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("web: flow binding: %w", err)
	}
	binding := base64.RawURLEncoding.EncodeToString(b[:])
	SetFlowCookie(w, binding, s.secure)
	return binding, nil
}

// localFlow seals a flow of the pages' own for the browser of r, setting
// its binding cookie if it has none yet.
func (s *Server) localFlow(w http.ResponseWriter, r *http.Request, flow stepup.Flow) (string, string, error) {
	binding, err := s.ensureBinding(w, r)
	if err != nil {
		return "", "", err
	}
	if flow.ExpiresAt.IsZero() {
		flow.ExpiresAt = s.now().Add(localFlowLifetime)
	}
	token, err := s.flows.Seal(flow, binding)
	return token, binding, err
}

// requireLevel makes sure the session has reached level with
// verifications since since. If it has not, it sends the browser to a
// fresh sign-in (nothing counts any more) or a step-up, which then returns
// to next, and reports true: it has answered the request.
func (s *Server) requireLevel(w http.ResponseWriter, r *http.Request, sess *store.Session, level acr.Level,
	since time.Time, next string) bool {
	have := acr.Assess(stepup.Verifications(sess), since)
	if have.Level.Satisfies(level) {
		return false
	}
	flow := stepup.Flow{UserID: sess.UserID, Level: level, Since: since, Next: next}
	page := "/stepup"
	if have.Level == acr.None {
		flow.FreshSignIn = true
		page = "/signin"
	}
	token, _, err := s.localFlow(w, r, flow)
	if err != nil {
		s.fail(w, r, err)
		return true
	}
	http.Redirect(w, r, pageURL(page, token), http.StatusSeeOther)
	return true
}

// flowSession returns the browser's session when it is the session of
// the flow's user, and that user is still active, else nil; with the
// user, read once for the whole request (nil without Options.Users).
func (s *Server) flowSession(r *http.Request, flow stepup.Flow) (*store.Session, *store.User, error) {
	if flow.ActionID != "" {
		return s.actionSession(r.Context(), flow)
	}
	sess, _, err := SessionFromRequest(r, s.sessions, s.secure)
	switch {
	case errors.Is(err, stepup.ErrNoSession):
		return nil, nil, nil
	case err != nil:
		return nil, nil, err
	case flow.UserID != "" && sess.UserID != flow.UserID:
		return nil, nil, nil
	}
	if s.users == nil {
		return sess, nil, nil
	}
	// A disabled user's session neither steps up nor changes factors.
	u, err := s.activeUser(r.Context(), sess.UserID)
	if err != nil || u == nil {
		return nil, nil, err
	}
	return sess, u, nil
}

// actionSession is flowSession for a tracked action's challenge: what the
// challenge proved so far, nil when it is over (the hand-back then says
// so).
func (s *Server) actionSession(ctx context.Context, flow stepup.Flow) (*store.Session, *store.User, error) {
	if s.actions == nil {
		return nil, nil, nil
	}
	sess, err := s.actions.Session(ctx, flow)
	switch {
	case errors.Is(err, stepup.ErrActionToken):
		return nil, nil, nil
	case err != nil:
		return nil, nil, err
	}
	if s.users == nil {
		return sess, nil, nil
	}
	u, err := s.activeUser(ctx, sess.UserID)
	if err != nil || u == nil {
		return nil, nil, err
	}
	return sess, u, nil
}

// sessionOrHandBack returns the flow's session (flowSession). Without
// one (it lapsed, or is someone else's) it hands the flow back, whose
// completion target sends the browser to sign in, and reports false, as
// it does after answering a fault.
func (s *Server) sessionOrHandBack(w http.ResponseWriter, r *http.Request, flow stepup.Flow) (*store.Session, *store.User, bool) {
	sess, u, err := s.flowSession(r, flow)
	switch {
	case err != nil:
		s.fail(w, r, err)
		return nil, nil, false
	case sess == nil:
		s.handBack(w, r, flow, nil)
		return nil, nil, false
	}
	return sess, u, true
}

// activeUser returns the user with id, or nil if they are gone or disabled.
func (s *Server) activeUser(ctx context.Context, id string) (*store.User, error) {
	u, err := s.users.Get(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	case u.Disabled:
		return nil, nil
	}
	return u, nil
}
