package web

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/factor"
)

// WebAuthn ceremonies run in the page's script (static/webauthn.js): it
// asks webauthnOptions for the options of one ceremony, passes them to
// the browser, and posts the credential back with the page's form. The
// options are fetched, not written into the page, so that a page view
// stores no challenge until the user chooses a passkey.

// optionsResponse is what the script receives: the challenge to name in
// the form, and the options in their JSON form, as the browser's
// PublicKeyCredential.parse{Creation,Request}OptionsFromJSON take them.
type optionsResponse struct {
	Challenge string          `json:"challenge"`
	PublicKey json.RawMessage `json:"publicKey"`
}

// webauthnOptions starts a ceremony of the form it is posted: "signin" (a
// discoverable passkey, no user known yet), "stepup" (one of the session
// user's credentials) or "enroll" (a new passkey for them).
func (s *Server) webauthnOptions(w http.ResponseWriter, r *http.Request) {
	flow, binding, ok := s.openPost(w, r)
	if !ok {
		return
	}
	if s.factors.Passkey == nil {
		http.NotFound(w, r)
		return
	}
	ctx := r.Context()
	var (
		p   factor.Prompt
		err error
	)
	switch r.PostFormValue("ceremony") {
	case "signin":
		p, err = s.factors.Passkey.BeginSignIn(ctx, target("", binding, flow))
	case "stepup", "enroll":
		sess, u, serr := s.flowSession(r, flow)
		if serr != nil || sess == nil {
			s.jsonError(w, r, http.StatusForbidden, serr)
			return
		}
		auths, aerr := s.listAuthenticators(ctx, sess.UserID)
		if aerr != nil {
			s.jsonError(w, r, http.StatusInternalServerError, aerr)
			return
		}
		if r.PostFormValue("ceremony") == "stepup" {
			t := target(sess.UserID, binding, flow)
			t.Authenticators = s.factors.passkeysReaching(counted(sess, flow), auths, flow, s.now())
			if len(t.Authenticators) == 0 {
				s.jsonError(w, r, http.StatusConflict, nil)
				return
			}
			p, err = s.factors.Passkey.BeginVerify(ctx, t)
			break
		}
		if !s.mayChange(sess, auths, acr.Passkey) {
			s.jsonError(w, r, http.StatusForbidden, nil)
			return
		}
		p, err = s.factors.Passkey.BeginEnroll(ctx, u, target(sess.UserID, binding, flow))
	default:
		s.jsonError(w, r, http.StatusBadRequest, nil)
		return
	}
	switch {
	case errors.Is(err, factor.ErrNotEnrolled):
		s.jsonError(w, r, http.StatusConflict, nil)
		return
	case err != nil:
		s.jsonError(w, r, http.StatusInternalServerError, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(optionsResponse{Challenge: p.ChallengeID, PublicKey: p.Options})
}

// jsonError answers the script with a status and no details; a fault of
// ours (err) goes to the log.
func (s *Server) jsonError(w http.ResponseWriter, r *http.Request, status int, err error) {
	if err != nil {
		s.log.Error("web: webauthn options", "path", r.URL.Path, "err", err)
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(`{"error":"` + http.StatusText(status) + `"}`))
}
