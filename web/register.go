package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup"
)

func (s *Server) registerPage(w http.ResponseWriter, r *http.Request) {
	flow, token, binding, ok := s.openFlow(w, r)
	if !ok {
		return
	}
	if !allowed(flow, acr.Password) {
		s.errorPage(w, http.StatusForbidden, "Sign in with a passkey", msgNoPassword)
		return
	}
	if flow.UserID != "" {
		s.expectsUser(w, token)
		return
	}
	s.render(w, http.StatusOK, "register", view{Title: "Create an account", Flow: token, CSRF: s.csrfToken(binding)})
}

func (s *Server) register(w http.ResponseWriter, r *http.Request) {
	flow, binding, ok := s.openPost(w, r)
	if !ok {
		return
	}
	token := r.PostFormValue("flow")
	if !allowed(flow, acr.Password) {
		s.errorPage(w, http.StatusForbidden, "Sign in with a passkey", msgNoPassword)
		return
	}
	if flow.UserID != "" {
		// Checked before the account is made, not after: a flow for
		// someone else would refuse it, and leave it behind.
		s.expectsUser(w, token)
		return
	}
	v := view{
		Title: "Create an account", Flow: token, CSRF: s.csrfToken(binding),
		Username: r.PostFormValue("username"),
	}
	pw := r.PostFormValue("password")
	if _, err := stepup.CanonicalUsername(v.Username); err != nil {
		v.UsernameError = fieldMessage("The username", err)
	}
	if pw != r.PostFormValue("confirm") {
		v.ConfirmError = "The passwords do not match."
	}
	if v.UsernameError != "" || v.ConfirmError != "" {
		s.render(w, http.StatusUnprocessableEntity, "register", v)
		return
	}
	ip := s.clientIP(r)
	user, err := s.accounts.Register(r.Context(), v.Username, pw, ip)
	var (
		input     *stepup.InputError
		throttled *stepup.ThrottledError
	)
	switch {
	case errors.As(err, &throttled):
		s.log.Warn("web: registration throttled", "ip", ip, "retry_after", throttled.RetryAfter)
		w.Header().Set("Retry-After", strconv.Itoa(seconds(throttled.RetryAfter)))
		v.Error = "Too many attempts from your network. Try again in " + inWords(throttled.RetryAfter) + "."
		s.render(w, http.StatusTooManyRequests, "register", v)
		return
	case errors.Is(err, stepup.ErrUsernameTaken):
		v.UsernameError = "This username is taken."
	case errors.As(err, &input) && errors.Is(err, stepup.ErrInvalidUsername):
		v.UsernameError = fieldMessage("The username", err)
	case errors.As(err, &input):
		v.PasswordError = fieldMessage("The password", err)
	case err != nil:
		s.fail(w, r, err)
		return
	}
	if err != nil {
		s.render(w, http.StatusUnprocessableEntity, "register", v)
		return
	}
	s.log.Info("web: account registered", "user", user.ID)
	s.signedIn(w, r, flow, user, s.passwordVerification())
}

// expectsUser refuses to make an account in a flow that is for a known
// user already.
func (s *Server) expectsUser(w http.ResponseWriter, flowToken string) {
	s.render(w, http.StatusForbidden, "error", view{
		Title: "Sign in instead",
		Error: "This application is waiting for a particular account to sign in, so a new account cannot be created here.",
		Link:  pageURL("/signin", flowToken), LinkText: "Sign in",
	})
}

// fieldMessage turns an *InputError into a sentence about field.
func fieldMessage(field string, err error) string {
	var input *stepup.InputError
	if !errors.As(err, &input) {
		return field + " is not valid."
	}
	return field + " " + input.Reason + "."
}
