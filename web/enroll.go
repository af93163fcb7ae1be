package web

import (
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/stepup-auth/stepup/stepup/factor/push"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup"
	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/store"
)

// Setting up a factor: a user's first right after they sign in (the
// step-up page offers it when they have none), later ones from the account
// page after a fresh step-up (Factors.changeNeeds). Setting a factor up
// proves it, so the verification it made joins the session. A user's first
// factor comes with recovery codes, shown once.

// mayChange reports whether the session may now change the user's
// factors concerning method m.
func (s *Server) mayChange(sess *store.Session, auths []*store.Authenticator, m acr.Method) bool {
	level, since := s.factors.changeNeeds(auths, stepup.Verifications(sess), m, s.now())
	return acr.Assess(stepup.Verifications(sess), since).Level.Satisfies(level)
}

// enrollURL is the set-up page of method m in a flow.
func enrollURL(flowToken string, m acr.Method) string {
	return pageURL("/enroll", flowToken) + "&method=" + url.QueryEscape(string(m))
}

// enrollTitle names the set-up page of method m.
func enrollTitle(m acr.Method) string {
	switch m {
	case acr.TOTP:
		return "Set up an authenticator app"
	case acr.EmailOTP:
		return "Set up codes by email"
	case acr.SMS:
		return "Set up codes by text message"
	case acr.WhatsApp:
		return "Set up codes by WhatsApp"
	case acr.Push:
		return "Set up approvals on your phone"
	}
	return "Set up a passkey"
}

// enrolling is what a set-up works with: the flow's session and user,
// the method's enroller, and the user's authenticators before it.
type enrolling struct {
	sess     *store.Session
	user     *store.User
	enroller factor.Enroller
	auths    []*store.Authenticator
}

// openEnroll is the start of both set-up handlers, with the change
// allowed; or nil, having answered.
func (s *Server) openEnroll(w http.ResponseWriter, r *http.Request, flow stepup.Flow, token string, m acr.Method) *enrolling {
	if flow.ActionID != "" {
		// Whoever holds a challenge link is not a sign-in: a factor set
		// up from one could sign its holder in as the user. Factors are
		// set up after signing in to stepup.
		s.errorPage(w, http.StatusForbidden, "Not available here",
			"Set up a passkey or an authenticator app on your account page (/account), then go back to the application.")
		return nil
	}
	enroller := s.factors.enroller(m)
	if enroller == nil || !allowed(flow, m) {
		s.errorPage(w, http.StatusNotFound, "Not available", "This kind of factor cannot be set up here.")
		return nil
	}
	sess, u, ok := s.sessionOrHandBack(w, r, flow)
	if !ok {
		return nil
	}
	auths, err := s.listAuthenticators(r.Context(), sess.UserID)
	if err != nil {
		s.fail(w, r, err)
		return nil
	}
	level, since := s.factors.changeNeeds(auths, stepup.Verifications(sess), m, s.now())
	if s.requireLevel(w, r, sess, level, since, enrollURL(token, m)) {
		return nil
	}
	return &enrolling{sess: sess, user: u, enroller: enroller, auths: auths}
}

func (s *Server) enrollPage(w http.ResponseWriter, r *http.Request) {
	flow, token, binding, ok := s.openFlow(w, r)
	if !ok {
		return
	}
	m, _ := acr.ParseMethod(r.URL.Query().Get("method"))
	e := s.openEnroll(w, r, flow, token, m)
	if e == nil {
		return
	}
	s.renderEnroll(w, r, http.StatusOK, flow, token, binding, e, m, "")
}

// renderEnroll shows the set-up page of method m, with a new challenge for
// an authenticator app.
func (s *Server) renderEnroll(w http.ResponseWriter, r *http.Request, status int, flow stepup.Flow, token, binding string,
	e *enrolling, m acr.Method, message string) {
	v := view{Title: enrollTitle(m), Flow: token, CSRF: s.csrfToken(binding), Method: m, Error: message}
	if m == acr.EmailOTP {
		v.Destination = e.user.Email // the address it most likely is
	}
	if m == acr.TOTP || m == acr.Push {
		p, err := e.enroller.BeginEnroll(r.Context(), e.user, target(e.user.ID, binding, flow))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		v.Challenge, v.URI = p.ChallengeID, template.URL(p.URI)
		if m == acr.TOTP {
			v.Secret = typedSecret(p.URI)
		}
		// A data: URL of our own PNG, which the policy's img-src allows.
		v.QRCode = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(p.QRCode))
	}
	s.render(w, status, "enroll", v)
}

// typedSecret is the secret of an otpauth URI as a user types it into an
// app by hand: in groups of four.
func typedSecret(uri string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return ""
	}
	secret := u.Query().Get("secret")
	var groups []string
	for len(secret) > 4 {
		groups = append(groups, secret[:4])
		secret = secret[4:]
	}
	return strings.Join(append(groups, secret), " ")
}

// Messages of the set-up page.
const (
	msgEnrollWrongCode = "That code is not right. Enter the code your app shows now."
	msgEnrollMalformed = "Enter the six digits your app shows now."
	msgEnrollPasskey   = "The passkey could not be set up. Try again, and confirm with your fingerprint, face or PIN when asked."
	msgEnrollExpired   = "That took too long, or too many codes were wrong. Start again: scan this new code."
	msgEnrollDuplicate = "This passkey is already set up for your account."
)

func (s *Server) enroll(w http.ResponseWriter, r *http.Request) {
	flow, binding, ok := s.openPost(w, r)
	if !ok {
		return
	}
	token := r.PostFormValue("flow")
	m, _ := acr.ParseMethod(r.PostFormValue("method"))
	e := s.openEnroll(w, r, flow, token, m)
	if e == nil {
		return
	}
	ctx, u := r.Context(), e.user
	answer := factor.Answer{
		ChallengeID: r.PostFormValue("challenge"), Response: []byte(answerOf(r)),
		Name: authenticatorName(r.PostFormValue("name")),
	}
	if m == acr.Push && r.PostFormValue("confirm") != "1" {
		// Whoever photographed the QR code could have enrolled first: the
		// user sees which device did, and confirms it is theirs.
		d, err := s.factors.Push.EnrolledDevice(ctx, u, target(u.ID, binding, flow), answer.ChallengeID)
		if err != nil {
			s.enrollFailed(w, r, flow, token, binding, e, m, answer.ChallengeID, err)
			return
		}
		s.render(w, http.StatusOK, "enroll", view{
			Title: enrollTitle(m), Flow: token, CSRF: s.csrfToken(binding), Method: m, Challenge: answer.ChallengeID,
			DeviceName: d.Name, DevicePlatform: push.Platform(d),
		})
		return
	}
	res, err := e.enroller.FinishEnroll(ctx, u, target(u.ID, binding, flow), answer)
	if err != nil {
		s.enrollFailed(w, r, flow, token, binding, e, m, answer.ChallengeID, err)
		return
	}
	next, err := s.record(w, r, flow, e.sess, res.Verification)
	switch {
	case errors.Is(err, stepup.ErrNoSession), errors.Is(err, stepup.ErrActionToken):
		s.handBack(w, r, flow, nil) // signed out meanwhile; the factor stays
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	s.log.Info("web: factor set up", "user", u.ID, "method", res.Authenticator.Method, "authenticator", res.Authenticator.ID)
	if !hasStrong(e.auths) && s.factors.Recovery != nil {
		codes, err := s.factors.Recovery.Generate(ctx, u.ID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.render(w, http.StatusOK, "codes", view{Title: "Save your recovery codes", Flow: token,
			CSRF: s.csrfToken(binding), Codes: codes})
		return
	}
	s.handBack(w, r, flow, next)
}

// enrollFailed answers a set-up whose answer did not do: the same
// challenge again when the user can still answer it (a wrong or mistyped
// code: the app already holds its secret), a new one when it is spent or
// expired, and a fault of ours as such.
func (s *Server) enrollFailed(w http.ResponseWriter, r *http.Request, flow stepup.Flow, token, binding string,
	e *enrolling, m acr.Method, challenge string, err error) {
	s.log.Info("web: enrollment failed", "user", e.user.ID, "method", m, "err", err)
	again := func(message string) {
		s.render(w, http.StatusUnprocessableEntity, "enroll", view{
			Title: enrollTitle(m), Flow: token, CSRF: s.csrfToken(binding), Method: m, Error: message, Challenge: challenge,
		})
	}
	switch {
	case errors.Is(err, store.ErrConflict):
		s.renderEnroll(w, r, http.StatusUnprocessableEntity, flow, token, binding, e, m, msgEnrollDuplicate)
	case sendsCode(m) && (errors.Is(err, factor.ErrWrongAnswer) || errors.Is(err, factor.ErrMalformed)):
		s.render(w, http.StatusUnprocessableEntity, "enroll", view{
			Title: enrollTitle(m), Flow: token, CSRF: s.csrfToken(binding), Method: m, Error: msgWrongCode,
			Challenge: challenge, SentTo: r.PostFormValue("sent_to"),
		})
	case m == acr.Push && errors.Is(err, factor.ErrPending):
		s.render(w, http.StatusAccepted, "enroll", view{
			Title: enrollTitle(m), Flow: token, CSRF: s.csrfToken(binding), Method: m, Challenge: challenge,
			Error: "Your phone has not finished setting up yet. Scan the code with the app, then come back here.",
		})
	case m == acr.Push && errors.Is(err, factor.ErrExpired):
		s.renderEnroll(w, r, http.StatusUnprocessableEntity, flow, token, binding, e, m, "That took too long. Scan this new code.")
	case sendsCode(m) && errors.Is(err, factor.ErrExpired):
		s.renderEnroll(w, r, http.StatusUnprocessableEntity, flow, token, binding, e, m, msgCodeExpired)
	case m == acr.TOTP && errors.Is(err, factor.ErrWrongAnswer):
		again(msgEnrollWrongCode)
	case m == acr.TOTP && errors.Is(err, factor.ErrMalformed):
		again(msgEnrollMalformed)
	case m == acr.TOTP && errors.Is(err, factor.ErrExpired):
		s.renderEnroll(w, r, http.StatusUnprocessableEntity, flow, token, binding, e, m, msgEnrollExpired)
	case errors.Is(err, factor.ErrWrongAnswer), errors.Is(err, factor.ErrExpired), errors.Is(err, factor.ErrMalformed):
		s.renderEnroll(w, r, http.StatusUnprocessableEntity, flow, token, binding, e, m, msgEnrollPasskey)
	default:
		s.fail(w, r, err)
	}
}

// maxNameLength bounds an authenticator's name, in characters.
const maxNameLength = 64

// authenticatorName is a name as typed, fit to store and show: without
// control or format characters, trimmed, at most maxNameLength characters.
func authenticatorName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > maxNameLength {
		s = strings.TrimSpace(string(r[:maxNameLength]))
	}
	return s
}

// enrolled goes on from the recovery codes page.
func (s *Server) enrolled(w http.ResponseWriter, r *http.Request) {
	flow, _, ok := s.openPost(w, r)
	if !ok {
		return
	}
	sess, _, err := s.flowSession(r, flow)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.handBack(w, r, flow, sess)
}
