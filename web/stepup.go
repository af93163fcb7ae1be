package web

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup"
	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/factor/magiclink"
	"github.com/stepup-auth/stepup/stepup/store"
)

// The step-up page offers the methods among the user's factors that bring
// the session to the flow's level, the strongest first, and never one
// that cannot; a user with no factor of their own is offered to set one
// up. A verification is recorded in the session and the flow handed back,
// which decides again.

// levelWords says what a level asks of the user.
func levelWords(l acr.Level) string {
	switch l {
	case acr.OneFactor:
		return "a sign-in"
	case acr.MFA:
		return "a second proof of who you are"
	case acr.PhishingResistant:
		return "a passkey or a security key"
	case acr.PhishingResistantHardware:
		return "a security key, or a passkey that never leaves its device"
	}
	return l.String()
}

func (s *Server) stepUpPage(w http.ResponseWriter, r *http.Request) {
	flow, token, binding, ok := s.openFlow(w, r)
	if !ok {
		return
	}
	sess, u, ok := s.sessionOrHandBack(w, r, flow)
	if !ok {
		return
	}
	method, _ := acr.ParseMethod(r.URL.Query().Get("method"))
	if method == acr.SecurityKey {
		method = acr.Passkey // one ceremony for both
	}
	s.renderStepUp(w, r, http.StatusOK, flow, token, binding, sess, u, method, nil, "")
}

// renderStepUp shows the step-up page with method chosen (the strongest
// on offer if it is not), the code it sent if any, and message, if any,
// about the last answer.
func (s *Server) renderStepUp(w http.ResponseWriter, r *http.Request, status int, flow stepup.Flow, token, binding string,
	sess *store.Session, u *store.User, method acr.Method, sent *factor.Prompt, message string) {
	v := view{
		Title: "Confirm it's you", Flow: token, CSRF: s.csrfToken(binding), Level: levelWords(flow.Level),
		Error: message, Reason: flow.Reason,
	}
	if sent != nil {
		v.Challenge, v.SentTo = sent.ChallengeID, sent.Display
		v.Vouched = r.PostFormValue("vouched") == "1"
		if method == acr.EmailMagicLink && s.factors.MagicLink != nil {
			// Its status would say ready at once, and the script would
			// post the form again and again while the user types.
			_, v.Elsewhere, _ = s.factors.MagicLink.Opened(r.Context(), target(sess.UserID, binding, flow), sent.ChallengeID)
		}
	}
	if s.factors.enabled() {
		auths, err := s.listAuthenticators(r.Context(), sess.UserID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		have, now := counted(sess, flow), s.now()
		offers := s.stepUpOffers(have, auths, u, flow, now)
		if len(offers) > 0 {
			i := max(0, slices.IndexFunc(offers, func(o offer) bool { return o.Method == method }))
			v.Offer = &offers[i]
			v.Others = append(slices.Clone(offers[:i]), offers[i+1:]...)
		}
		switch {
		case v.Offer == nil && flow.ActionID != "":
			v.Error = "Set up a passkey or an authenticator app on your account page (/account) first, then go back to the application."
		case v.Offer == nil && !hasStrong(auths):
			v.Enrolls = s.factors.enrollOffers(have, flow, now)
		}
	}
	if v.Offer == nil && len(v.Enrolls) == 0 {
		v.Title = "More proof needed"
	}
	s.render(w, status, "stepup", v)
}

// stepUpOffers returns what the step-up page offers: the user's factors
// that reach the flow's level, a password where that counts, and, for a
// tracked action's user with none of those, codes to the addresses its
// application vouches for.
func (s *Server) stepUpOffers(have []acr.Verification, auths []*store.Authenticator, u *store.User, flow stepup.Flow, now time.Time) []offer {
	offers := s.factors.offers(have, auths, flow, now)
	// A challenge of a tracked action is answered with a factor: a
	// password would be a sign-in, which it never makes.
	if o, ok := passwordOffer(u, have, flow, now); ok && flow.ActionID == "" {
		offers = append(offers, o)
		sortOffers(offers)
	}
	if len(offers) == 0 && flow.ActionID != "" {
		offers = s.factors.vouchedOffers(have, flow, now)
	}
	return offers
}

// vouchedOffered reports whether the step-up page offers a code of method
// to the address the application vouches for: only to a user with no
// factor the challenge allows, and only for a method the rules allow that
// reaches the level. The form's vouched field asks; this decides.
func (s *Server) vouchedOffered(ctx context.Context, sess *store.Session, u *store.User, flow stepup.Flow, method acr.Method) (bool, error) {
	if flow.ActionID == "" || !sendsCode(method) || vouchedTo(flow, method) == "" {
		return false, nil
	}
	auths, err := s.listAuthenticators(ctx, sess.UserID)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(s.stepUpOffers(counted(sess, flow), auths, u, flow, s.now()), func(o offer) bool {
		return o.Vouched && o.Method == method
	}), nil
}

// hasStrong reports whether the user has a factor of their own.
func hasStrong(auths []*store.Authenticator) bool { return slices.ContainsFunc(auths, strong) }

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

// Messages of the step-up page.
const (
	msgWrongCode    = "That code is not right. Check it and try again."
	msgWrongPasskey = "Your passkey could not be verified. Try again, and confirm with your fingerprint, face or PIN when asked."
	msgExpired      = "That took too long, or the page was used twice. Try again."
	msgMalformed    = "That answer could not be read. Try again."
	msgFactorLocked = "This account is locked after too many failed attempts. Ask your administrator to unlock it."
	msgCodeExpired  = "That code has expired or was wrong too often. Send a new one."
	msgPushRefused  = "The request was denied on your phone, or another number was picked there. Send a new one if it was you."
	msgPushExpired  = "That request to your phone has expired or was answered already. Send a new one."
)

// verify checks an answer to the step-up page, records the verification
// in the session, and hands the flow back.
func (s *Server) verify(w http.ResponseWriter, r *http.Request) {
	flow, binding, ok := s.openPost(w, r)
	if !ok {
		return
	}
	sess, u, ok := s.sessionOrHandBack(w, r, flow)
	if !ok {
		return
	}
	method, _ := acr.ParseMethod(r.PostFormValue("method"))
	f := s.factors.byMethod(method)
	if f == nil || !allowed(flow, method) {
		s.errorPage(w, http.StatusBadRequest, "This form could not be read",
			"This form could not be read. Go back to the application and start again.")
		return
	}
	token := r.PostFormValue("flow")
	answer := factor.Answer{ChallengeID: r.PostFormValue("challenge"), Response: []byte(answerOf(r))}
	if r.PostFormValue("vouched") == "1" {
		// A code sent to where the application vouches the user reads:
		// the right one sets that up as their factor, and verifies them;
		// only while the page would offer it.
		switch ok, err := s.vouchedOffered(r.Context(), sess, u, flow, method); {
		case err != nil:
			s.fail(w, r, err)
			return
		case !ok:
			s.errorPage(w, http.StatusBadRequest, "This form could not be read",
				"This form could not be read. Go back to the application and start again.")
			return
		}
		f = enrollAsVerify{s.factors.codes(method), u}
	}
	res, err := s.factors.Limiter.Verify(r.Context(), f, target(sess.UserID, binding, flow), answer)
	if err != nil {
		if waits(method) && errors.Is(err, factor.ErrPending) {
			s.stillWaiting(w, r, flow, token, binding, sess, u, answer, err)
			return
		}
		status, message, fault := s.verifyFailure(w, err, method)
		if fault {
			s.fail(w, r, err)
			return
		}
		s.log.Info("web: step-up verification failed", "user", sess.UserID, "method", method, "err", err)
		if s.risk != nil {
			s.risk.Failed(sess.UserID)
		}
		var sent *factor.Prompt
		if sends(method) && !errors.Is(err, factor.ErrExpired) && method != acr.Push {
			// The code is still good for another try. (A refused push
			// is spent: waiting for it again would post it at once.)
			sent = &factor.Prompt{ChallengeID: answer.ChallengeID, Display: r.PostFormValue("sent_to")}
		}
		s.renderStepUp(w, r, status, flow, token, binding, sess, u, method, sent, message)
		return
	}
	next, err := s.record(w, r, flow, sess, res.Verification)
	switch {
	case errors.Is(err, stepup.ErrNoSession), errors.Is(err, stepup.ErrActionToken):
		s.handBack(w, r, flow, nil) // signed out meanwhile, or the challenge is over
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	s.log.Info("web: stepped up", "user", sess.UserID, "method", res.Verification.Method, "authenticator", res.Authenticator.ID)
	s.handBack(w, r, flow, next)
}

// elevate records a verification in the session under a new token, and
// hands the browser the token.
func (s *Server) elevate(w http.ResponseWriter, r *http.Request, sess *store.Session, v store.Verification) (*store.Session, error) {
	token, next, err := s.sessions.Elevate(r.Context(), sess, v)
	if err != nil {
		return nil, err
	}
	setSessionCookie(w, token, s.secure)
	return next, nil
}

// answerOf is the answer a form carries: a WebAuthn response, or a code.
func answerOf(r *http.Request) string {
	if v := r.PostFormValue("response"); v != "" {
		return v
	}
	return r.PostFormValue("code")
}

// verifyFailure turns a failed verification into what the user sees.
// fault says it is ours, not theirs.
func (s *Server) verifyFailure(w http.ResponseWriter, err error, m acr.Method) (status int, message string, fault bool) {
	var wait *factor.WaitError
	switch {
	case errors.As(err, &wait):
		w.Header().Set("Retry-After", strconv.Itoa(seconds(wait.RetryAfter)))
		return http.StatusTooManyRequests, "Too many failed attempts. Try again in " + inWords(wait.RetryAfter) + ".", false
	case errors.Is(err, factor.ErrLocked):
		return http.StatusForbidden, msgFactorLocked, false
	case errors.Is(err, factor.ErrWrongAnswer) && m == acr.Push:
		return http.StatusUnprocessableEntity, msgPushRefused, false
	case errors.Is(err, factor.ErrWrongAnswer) && (m == acr.Passkey || m == acr.SecurityKey):
		return http.StatusUnprocessableEntity, msgWrongPasskey, false
	case errors.Is(err, factor.ErrWrongAnswer):
		return http.StatusUnprocessableEntity, msgWrongCode, false
	case errors.Is(err, factor.ErrExpired) && m == acr.Push:
		return http.StatusUnprocessableEntity, msgPushExpired, false
	case errors.Is(err, factor.ErrExpired) && sends(m):
		return http.StatusUnprocessableEntity, msgCodeExpired, false
	case errors.Is(err, factor.ErrExpired):
		return http.StatusUnprocessableEntity, msgExpired, false
	case errors.Is(err, factor.ErrMalformed):
		return http.StatusUnprocessableEntity, msgMalformed, false
	case errors.Is(err, factor.ErrNotEnrolled):
		return http.StatusUnprocessableEntity, msgExpired, false
	}
	return 0, "", true
}

// stillWaiting answers a waiting step-up posted before its answer came:
// the same page again, asking, for a magic link opened in another
// browser, for the code that browser shows.
func (s *Server) stillWaiting(w http.ResponseWriter, r *http.Request, flow stepup.Flow, token, binding string,
	sess *store.Session, u *store.User, a factor.Answer, err error) {
	method, _ := acr.ParseMethod(r.PostFormValue("method"))
	sent := &factor.Prompt{ChallengeID: a.ChallengeID, Display: r.PostFormValue("sent_to")}
	message := "The link has not been opened yet. Open it from your email, then come back here."
	if method == acr.Push {
		message = "Your phone has not answered yet. Approve the request there, picking the number shown here."
	}
	if errors.Is(err, magiclink.ErrOpenedElsewhere) {
		message = "The link was opened in another browser or on another device. Type the code it shows there."
	}
	s.renderStepUp(w, r, http.StatusAccepted, flow, token, binding, sess, u, method, sent, message)
}

// enrollAsVerify verifies with the code of an enrollment: the code that
// proves an address or a number the application vouches for.
type enrollAsVerify struct {
	Codes
	user *store.User
}

func (e enrollAsVerify) FinishVerify(ctx context.Context, t factor.Target, a factor.Answer) (factor.Result, error) {
	return e.FinishEnroll(ctx, e.user, t, a)
}
