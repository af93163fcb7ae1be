package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup"
	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/store"
)

// Messages of the sign-in page. The credentials message is the same for
// every failure, so the page cannot tell which usernames exist.
const (
	msgBadCredentials = "Wrong username or password."
	msgLocked         = "This account is locked after too many failed sign-ins. Ask your administrator to unlock it."
	msgOtherUser      = "You are signed in to this application as someone else; sign in as the expected user."
	msgBadPasskey     = "That passkey could not sign you in. Try again, or sign in with your password."
	msgNoPassword     = "This application does not take passwords: sign in with a passkey."
)

// signInView is the sign-in page of a flow: the password form if the
// flow takes passwords, the passkey button if it takes passkeys.
func (s *Server) signInView(flow stepup.Flow, token, binding, username, message string) view {
	return view{
		Title: "Sign in", Flow: token, CSRF: s.csrfToken(binding), Username: username, Error: message,
		Passkeys:   s.factors.Passkey != nil && allowed(flow, acr.Passkey),
		NoPassword: !allowed(flow, acr.Password),
		Upstreams:  s.upstreamButtons(flow),
	}
}

func (s *Server) signInPage(w http.ResponseWriter, r *http.Request) {
	flow, token, binding, ok := s.openFlow(w, r)
	if !ok || s.actionFlow(w, flow) {
		return
	}
	s.render(w, http.StatusOK, "signin", s.signInView(flow, token, binding, flow.LoginHint, ""))
}

func (s *Server) signIn(w http.ResponseWriter, r *http.Request) {
	flow, binding, ok := s.openPost(w, r)
	if !ok || s.actionFlow(w, flow) {
		return
	}
	username := r.PostFormValue("username")
	again := func(status int, message string) {
		s.render(w, status, "signin", s.signInView(flow, r.PostFormValue("flow"), binding, username, message))
	}
	if !allowed(flow, acr.Password) {
		// A password would not count for this client: signing in with one
		// would only bring the user back here.
		again(http.StatusForbidden, msgNoPassword)
		return
	}
	ip := s.clientIP(r)
	user, err := s.accounts.Authenticate(r.Context(), username, r.PostFormValue("password"), ip)
	var throttled *stepup.ThrottledError
	switch {
	case errors.As(err, &throttled):
		s.log.Warn("web: sign-in throttled", "ip", ip, "retry_after", throttled.RetryAfter)
		w.Header().Set("Retry-After", strconv.Itoa(seconds(throttled.RetryAfter)))
		again(http.StatusTooManyRequests, "Too many failed sign-ins. Try again in "+inWords(throttled.RetryAfter)+".")
		return
	case errors.Is(err, stepup.ErrAccountLocked):
		s.log.Warn("web: sign-in to a locked account", "ip", ip)
		again(http.StatusForbidden, msgLocked)
		return
	case errors.Is(err, stepup.ErrBadCredentials):
		s.log.Info("web: sign-in failed", "ip", ip)
		s.failedSignIn(r.Context(), username)
		again(http.StatusUnprocessableEntity, msgBadCredentials)
		return
	case errors.Is(err, context.Canceled):
		// The browser went away while the check waited its turn: no one
		// is there to answer, and nothing failed on our side.
		s.log.Info("web: sign-in abandoned by the client", "ip", ip)
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	if s.risk != nil {
		s.risk.Attempted(user.ID)
	}
	if flow.UserID != "" && flow.UserID != user.ID {
		// A flow never switches user: the OP asked for this one (an
		// id_token_hint, or an earlier sign-in of the same flow).
		s.log.Warn("web: sign-in as another user than the flow's", "user", user.ID, "flow_user", flow.UserID)
		username = ""
		again(http.StatusForbidden, msgOtherUser)
		return
	}
	s.signedIn(w, r, flow, user, s.passwordVerification())
}

// failedSignIn tells the engine of a wrong password for username's
// account, if it names one: the rules' velocity.failures_1h.
func (s *Server) failedSignIn(ctx context.Context, username string) {
	if s.risk == nil || s.users == nil {
		return
	}
	name, err := stepup.CanonicalUsername(username)
	if err != nil {
		return
	}
	if u, err := s.users.GetByUsername(ctx, name); err == nil {
		s.risk.Attempted(u.ID)
		s.risk.Failed(u.ID)
	}
}

// actionFlow refuses a tracked action's challenge on a sign-in page, and
// reports whether it did: a challenge is answered with a factor, and
// signs nobody in to stepup.
func (s *Server) actionFlow(w http.ResponseWriter, flow stepup.Flow) bool {
	if flow.ActionID == "" {
		return false
	}
	s.errorPage(w, http.StatusForbidden, "Not available here",
		"This confirmation is answered with a passkey or a code, not by signing in. Go back to the application and start again.")
	return true
}

// passwordVerification is the verification a right password makes now.
func (s *Server) passwordVerification() store.Verification {
	return store.Verification{Method: acr.Password, AuthenticatorID: "password", AMR: []string{acr.AMRPassword}, At: s.now()}
}

// passkeySignIn signs in with a discoverable passkey: the passkey says
// whose it is, so no username is typed.
func (s *Server) passkeySignIn(w http.ResponseWriter, r *http.Request) {
	flow, binding, ok := s.openPost(w, r)
	if !ok || s.actionFlow(w, flow) {
		return
	}
	again := func(status int, message string) {
		s.render(w, status, "signin", s.signInView(flow, r.PostFormValue("flow"), binding, "", message))
	}
	if s.factors.Passkey == nil || !allowed(flow, acr.Passkey) {
		again(http.StatusNotFound, msgBadPasskey)
		return
	}
	answer := factor.Answer{ChallengeID: r.PostFormValue("challenge"), Response: []byte(r.PostFormValue("response"))}
	res, err := s.factors.Passkey.FinishSignIn(r.Context(), target("", binding, flow), answer)
	switch {
	case errors.Is(err, factor.ErrWrongAnswer), errors.Is(err, factor.ErrExpired), errors.Is(err, factor.ErrMalformed):
		s.log.Info("web: passkey sign-in failed", "ip", s.clientIP(r), "err", err)
		again(http.StatusUnprocessableEntity, msgBadPasskey)
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	user, err := s.activeUser(r.Context(), res.Authenticator.UserID)
	switch {
	case err != nil:
		s.fail(w, r, err)
		return
	case user == nil:
		again(http.StatusUnprocessableEntity, msgBadPasskey)
		return
	case flow.UserID != "" && flow.UserID != user.ID:
		again(http.StatusForbidden, msgOtherUser)
		return
	}
	// A lock stops guesses at a password or a code. A passkey guesses
	// nothing, so it still signs in: the owner's way back into an account
	// that an attacker's guesses locked.
	s.signedIn(w, r, flow, user, res.Verification)
}

// signedIn records a first-factor verification v of user in the
// browser's session and hands the flow back.
//
// One browser holds one signed-in user. A session of the same user gains
// the verification, unless the flow asks for a fresh sign-in; any other
// session is ended and replaced by a new one. Either way the browser gets
// a new token, so a token planted before the sign-in (session fixation)
// is worth nothing.
func (s *Server) signedIn(w http.ResponseWriter, r *http.Request, flow stepup.Flow, user *store.User, v store.Verification) {
	ctx := r.Context()
	sess, oldToken, err := SessionFromRequest(r, s.sessions, s.secure)
	if err != nil && !errors.Is(err, stepup.ErrNoSession) {
		s.fail(w, r, err)
		return
	}
	if sess != nil && sess.UserID == user.ID && !flow.FreshSignIn {
		switch next, err := s.elevate(w, r, sess, v); {
		case err == nil:
			s.log.Info("web: signed in", "user", user.ID, "new_session", false)
			s.handBackSignedIn(w, r, flow, user, next)
			return
		case errors.Is(err, stepup.ErrNoSession):
			sess = nil // it ended meanwhile: start a new one below
		default:
			s.fail(w, r, err)
			return
		}
	}
	if sess != nil {
		if err := s.sessions.End(ctx, oldToken); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	token, next, err := s.sessions.Start(ctx, user.ID, v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	setSessionCookie(w, token, s.secure)
	s.log.Info("web: signed in", "user", user.ID, "new_session", true)
	s.handBackSignedIn(w, r, flow, user, next)
}

// handBackSignedIn hands the flow back as the sign-in of user.
func (s *Server) handBackSignedIn(w http.ResponseWriter, r *http.Request, flow stepup.Flow, user *store.User, sess *store.Session) {
	flow.UserID = user.ID
	// The fresh sign-in the flow asked for has happened.
	flow.FreshSignIn = false
	s.handBack(w, r, flow, sess)
}

// seconds rounds d up to whole seconds, as Retry-After counts them.
func seconds(d time.Duration) int {
	return int((d + time.Second - 1) / time.Second)
}

// inWords says d for people, rounded up to the second or the minute.
func inWords(d time.Duration) string {
	n := seconds(d)
	switch {
	case n <= 1:
		return "1 second"
	case n < 60:
		return fmt.Sprintf("%d seconds", n)
	case n <= 60:
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", (n+59)/60)
}
