package demo

import (
	"errors"
	"net/http"
	"net/url"
	"time"
)

// logout signs the browser out of the demo, then sends it to the OP's
// end_session endpoint, which ends the stepup session and comes back to
// the demo's home page.
//
// The form must carry the CSRF token of the browser's session cookie, and
// posts the browser marks as cross-origin are refused: another site must
// not sign a user out behind their back.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if !s.readForm(w, r) {
		return
	}
	sess, raw, ok := s.session(r)
	if !ok {
		// Signed out already, or the session expired: nothing to end here.
		s.setCookie(w, sessionCookie, "", time.Time{})
		http.Redirect(w, r, homePath, http.StatusSeeOther)
		return
	}
	if !s.validCSRF(r.PostFormValue("csrf"), raw) {
		s.forbidden(w)
		return
	}
	s.setCookie(w, sessionCookie, "", time.Time{})
	endSession, err := s.endSessionURL(r, sess.IDToken)
	if err != nil {
		s.fail(w, r, "You are signed out of the demo, but it could not reach stepup's end_session endpoint, "+
			"so your stepup session goes on.", err)
		return
	}
	http.Redirect(w, r, endSession, http.StatusSeeOther)
}

// endSessionURL is the OP's end_session endpoint with the demo's client_id,
// post_logout_redirect_uri and, if the session has it, the ID token as
// id_token_hint: without it stepup asks the user before signing out.
func (s *Server) endSessionURL(r *http.Request, idToken string) (string, error) {
	p, err := s.discover(r.Context())
	if err != nil {
		return "", err
	}
	var meta struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if err := p.Claims(&meta); err != nil {
		return "", err
	}
	if meta.EndSession == "" {
		return "", errors.New("demo: the discovery document has no end_session_endpoint")
	}
	u, err := url.Parse(meta.EndSession)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("client_id", ClientID)
	if idToken != "" {
		q.Set("id_token_hint", idToken)
	}
	q.Set("post_logout_redirect_uri", s.issuer+homePath)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// readForm reads a form posted from the demo's pages, and answers it
// itself when it cannot be read or the browser marks it as cross-origin.
func (s *Server) readForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, http.StatusBadRequest, "This form could not be read",
			"This form could not be read. Go back to the demo's home page and try again.", "")
		return false
	}
	if err := s.origins.Check(r); err != nil {
		s.forbidden(w)
		return false
	}
	return true
}

func (s *Server) forbidden(w http.ResponseWriter) {
	s.errorPage(w, http.StatusForbidden, "This form was refused",
		"This form has expired or did not come from this site. Go back to the demo's home page and try again.", "")
}
