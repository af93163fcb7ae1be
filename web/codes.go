package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/factor/deliver"
	"github.com/stepup-auth/stepup/stepup/factor/otp"
	"github.com/stepup-auth/stepup/stepup/factor/phone"
	"github.com/stepup-auth/stepup/stepup/factor/sendlimit"
)

// Codes sent by email, SMS or WhatsApp, and links by email: the step-up
// page sends one only when the user asks (a POST: a page load or a link preview sends
// nothing), then shows where it went, a field for it, and a way to send
// another once the cool-down has passed.

// sendCode sends the code of a step-up, or a new one in place of the
// code the form names.
func (s *Server) sendCode(w http.ResponseWriter, r *http.Request) {
	flow, binding, ok := s.openPost(w, r)
	if !ok {
		return
	}
	sess, u, ok := s.sessionOrHandBack(w, r, flow)
	if !ok {
		return
	}
	token := r.PostFormValue("flow")
	method, _ := acr.ParseMethod(r.PostFormValue("method"))
	f := s.factors.byMethod(method)
	if f == nil || !sends(method) || !allowed(flow, method) {
		s.errorPage(w, http.StatusBadRequest, "This form could not be read",
			"This form could not be read. Go back to the application and start again.")
		return
	}
	t := target(sess.UserID, binding, flow)
	t.Lang = r.Header.Get("Accept-Language")
	vouched := false
	if r.PostFormValue("vouched") == "1" {
		var err error
		if vouched, err = s.vouchedOffered(r.Context(), sess, u, flow, method); err != nil {
			s.fail(w, r, err)
			return
		}
		if !vouched {
			s.errorPage(w, http.StatusBadRequest, "This form could not be read",
				"This form could not be read. Go back to the application and start again.")
			return
		}
	}
	var p factor.Prompt
	var err error
	switch old := r.PostFormValue("challenge"); {
	case old != "" && sendsCode(method):
		p, err = s.factors.codes(method).Resend(r.Context(), t, old)
	case vouched:
		p, err = s.factors.codes(method).BeginEnrollTo(r.Context(), u, t, vouchedTo(flow, method), "")
	default:
		// A new link replaces none: the one sent before still works
		// until it expires, and the send limits bound how many go out.
		p, err = f.BeginVerify(r.Context(), t)
	}
	if err != nil {
		status, message, fault := sendFailure(w, err)
		if fault {
			s.fail(w, r, err)
			return
		}
		if method == acr.Push && errors.Is(err, factor.ErrNotEnrolled) {
			message = msgNoPhone
		}
		s.log.Info("web: code not sent", "user", sess.UserID, "method", method, "err", err)
		var sent *factor.Prompt
		if old := r.PostFormValue("challenge"); old != "" && !errors.Is(err, factor.ErrExpired) {
			// The code sent before still works.
			sent = &factor.Prompt{ChallengeID: old, Display: r.PostFormValue("sent_to")}
		} else if sent, err = s.codeOnItsWay(r.Context(), t, method, err); err != nil {
			s.fail(w, r, err)
			return
		}
		s.renderStepUp(w, r, status, flow, token, binding, sess, u, method, sent, message)
		return
	}
	s.log.Info("web: code sent", "user", sess.UserID, "method", method)
	s.renderStepUp(w, r, http.StatusOK, flow, token, binding, sess, u, method, &p, "")
}

// codeOnItsWay returns, when a send was refused for the cool-down, the
// code of the flow sent a moment before, whose page the user left (a
// double click, the Back button): the page asks for that code rather
// than for a new one they cannot have yet.
func (s *Server) codeOnItsWay(ctx context.Context, t factor.Target, m acr.Method, refused error) (*factor.Prompt, error) {
	var limit *sendlimit.LimitError
	codes := s.factors.codes(m)
	if codes == nil || !errors.As(refused, &limit) || limit.Scope != sendlimit.ScopeCooldown {
		return nil, nil
	}
	p, ok, err := codes.Sent(ctx, t)
	if err != nil || !ok {
		return nil, err
	}
	return &p, nil
}

// Messages about sending a code.
const (
	msgUndelivered   = "The code could not be sent. Try again in a moment, or choose another method."
	msgNotThisNumber = "Codes cannot be sent to this number. Enter a mobile number."
	msgNotThisRegion = "Codes cannot be sent to numbers of this country."
	msgNotAnAddress  = "Enter an email address such as name@example.com."
	msgNoPhone       = "No phone is set up for approvals on this account. Choose another method."
)

// sendFailure turns a failed send into what the user sees; fault says it
// is ours, not theirs.
func sendFailure(w http.ResponseWriter, err error) (status int, message string, fault bool) {
	var limit *sendlimit.LimitError
	var wait *factor.WaitError
	switch {
	case errors.As(err, &wait):
		// The push limits: how many a user is sent, against fatigue.
		w.Header().Set("Retry-After", strconv.Itoa(seconds(wait.RetryAfter)))
		return http.StatusTooManyRequests, "Too many requests were sent to your phone lately. Try again in " + inWords(wait.RetryAfter) + ", or choose another method.", false
	case errors.As(err, &limit):
		w.Header().Set("Retry-After", strconv.Itoa(seconds(limit.RetryAfter)))
		if limit.Scope == sendlimit.ScopeCooldown {
			return http.StatusTooManyRequests, "A code was sent a moment ago. You can ask for another in " + inWords(limit.RetryAfter) + ".", false
		}
		return http.StatusTooManyRequests, "Too many codes were sent. Try again in " + inWords(limit.RetryAfter) + ", or choose another method.", false
	case errors.Is(err, deliver.ErrUndelivered):
		return http.StatusBadGateway, msgUndelivered, false
	case errors.Is(err, phone.ErrCountryNotAllowed):
		return http.StatusUnprocessableEntity, msgNotThisRegion, false
	case errors.Is(err, phone.ErrInvalidNumber), errors.Is(err, phone.ErrCannotReceiveSMS):
		return http.StatusUnprocessableEntity, msgNotThisNumber, false
	case errors.Is(err, otp.ErrInvalidAddress):
		return http.StatusUnprocessableEntity, msgNotAnAddress, false
	case errors.Is(err, factor.ErrNotEnrolled):
		return http.StatusUnprocessableEntity, "Nothing is set up for this method yet. Choose another one.", false
	case errors.Is(err, factor.ErrExpired):
		return http.StatusUnprocessableEntity, msgCodeExpired, false
	}
	return 0, "", true
}

// sendEnrollCode sends the code that proves an address or a number the
// user typed to set it up.
func (s *Server) sendEnrollCode(w http.ResponseWriter, r *http.Request) {
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
	codes := s.factors.codes(m)
	if codes == nil {
		s.errorPage(w, http.StatusNotFound, "Not available", "This kind of factor cannot be set up here.")
		return
	}
	t := target(e.user.ID, binding, flow)
	t.Lang = r.Header.Get("Accept-Language")
	dest := r.PostFormValue("destination")
	var p factor.Prompt
	var err error
	if old := r.PostFormValue("challenge"); old != "" {
		p, err = codes.Resend(r.Context(), t, old)
	} else {
		p, err = codes.BeginEnrollTo(r.Context(), e.user, t, dest, authenticatorName(r.PostFormValue("name")))
	}
	v := view{Title: enrollTitle(m), Flow: token, CSRF: s.csrfToken(binding), Method: m, Destination: dest}
	if err != nil {
		status, message, fault := sendFailure(w, err)
		if fault {
			s.fail(w, r, err)
			return
		}
		s.log.Info("web: enrollment code not sent", "user", e.user.ID, "method", m, "err", err)
		if old := r.PostFormValue("challenge"); old != "" && !errors.Is(err, factor.ErrExpired) {
			v.Challenge, v.SentTo = old, r.PostFormValue("sent_to")
		}
		v.Error = message
		s.render(w, status, "enroll", v)
		return
	}
	v.Challenge, v.SentTo = p.ChallengeID, p.Display
	s.render(w, http.StatusOK, "enroll", v)
}
