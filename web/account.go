package web

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup"
	"github.com/stepup-auth/stepup/stepup/store"
)

// The account page lists the user's factors and lets them add and remove
// factors and make new recovery codes, each after a fresh enough step-up
// (Factors.changeNeeds). Its forms belong to a flow of the pages' own
// that returns here.

// authenticatorView is one factor as the account page lists it.
type authenticatorView struct {
	ID, Label, Name, Detail string
	Added, LastUsed         string
}

// accountFlow is the flow of the account page's forms.
func accountFlow(userID string) stepup.Flow {
	return stepup.Flow{UserID: userID, Level: acr.OneFactor, Next: "/account"}
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request) {
	sess, _, err := SessionFromRequest(r, s.sessions, s.secure)
	if err != nil && !errors.Is(err, stepup.ErrNoSession) {
		s.fail(w, r, err)
		return
	}
	var u *store.User
	if sess != nil {
		if u, err = s.activeUser(r.Context(), sess.UserID); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if u != nil && s.refused(w, r, sess) {
		return
	}
	if u == nil {
		// Sign in first, then come back.
		token, _, err := s.localFlow(w, r, stepup.Flow{Level: acr.OneFactor, Next: "/account", FreshSignIn: true})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		http.Redirect(w, r, pageURL("/signin", token), http.StatusSeeOther)
		return
	}
	auths, err := s.listAuthenticators(r.Context(), u.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	token, binding, err := s.localFlow(w, r, accountFlow(u.ID))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := view{
		Title: "Your sign-in methods", Flow: token, CSRF: s.csrfToken(binding), Username: u.Username,
		Passkeys: s.factors.Passkey != nil, TOTP: s.factors.TOTP != nil,
		Recovery: s.factors.Recovery != nil && hasStrong(auths),
	}
	for _, m := range methodOrder {
		if sendsCode(m) && s.factors.codes(m) != nil || m == acr.Push && s.factors.Push != nil {
			v.Adds = append(v.Adds, offer{Method: m, Label: methodLabel(m), Sends: true})
		}
	}
	v.Recover = s.factors.Recovery != nil && slices.ContainsFunc(auths, func(a *store.Authenticator) bool {
		return a.Method == acr.RecoveryCode && a.Verified && s.factors.Recovery.Remaining(a) > 0
	})
	if r.URL.Query().Get("removed") != "" {
		v.Notice = "The method was removed."
	}
	slices.SortFunc(auths, func(a, b *store.Authenticator) int {
		if c := cmp.Compare(slices.Index(methodOrder, a.Method), slices.Index(methodOrder, b.Method)); c != 0 {
			return c
		}
		return a.CreatedAt.Compare(b.CreatedAt)
	})
	for _, a := range auths {
		if a.Verified {
			v.Authenticators = append(v.Authenticators, s.authenticatorView(a))
		}
	}
	s.render(w, http.StatusOK, "account", v)
}

func (s *Server) authenticatorView(a *store.Authenticator) authenticatorView {
	v := authenticatorView{ID: a.ID, Label: methodLabel(a.Method), Name: a.Name, Added: day(a.CreatedAt), LastUsed: day(a.LastUsedAt)}
	switch a.Method {
	case acr.Passkey, acr.SecurityKey:
		v.Label = "Passkey"
		if a.Method == acr.SecurityKey {
			v.Label = "Security key"
		}
		if a.BackupEligible {
			v.Detail = "synced with your other devices"
		} else {
			v.Detail = "kept on one device"
		}
	case acr.EmailOTP, acr.SMS, acr.WhatsApp:
		v.Detail = a.Destination
	case acr.RecoveryCode:
		v.Label, v.Name = "Recovery codes", ""
		if s.factors.Recovery != nil {
			v.Detail = fmt.Sprintf("%d of 10 left", s.factors.Recovery.Remaining(a))
		}
	}
	return v
}

// day formats a time as the account page shows it.
func day(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2 Jan 2006")
}

// openAccountPost reads a form of the account page: its flow must be the
// signed-in user's, and the change it asks for allowed for method m, or
// it answers (with a step-up that returns to the account page) and
// reports false.
func (s *Server) openAccountPost(w http.ResponseWriter, r *http.Request) (*store.Session, []*store.Authenticator, bool) {
	flow, _, ok := s.openPost(w, r)
	if !ok {
		return nil, nil, false
	}
	sess, _, err := s.flowSession(r, flow)
	if err != nil {
		s.fail(w, r, err)
		return nil, nil, false
	}
	if sess == nil || flow.Next != "/account" {
		http.Redirect(w, r, "/account", http.StatusSeeOther)
		return nil, nil, false
	}
	auths, err := s.listAuthenticators(r.Context(), sess.UserID)
	if err != nil {
		s.fail(w, r, err)
		return nil, nil, false
	}
	return sess, auths, true
}

// allowChange answers with a step-up and reports false unless the session
// may change the factors concerning m now.
func (s *Server) allowChange(w http.ResponseWriter, r *http.Request, sess *store.Session, auths []*store.Authenticator, m acr.Method) bool {
	level, since := s.factors.changeNeeds(auths, stepup.Verifications(sess), m, s.now())
	return !s.requireLevel(w, r, sess, level, since, "/account")
}

func (s *Server) removeFactor(w http.ResponseWriter, r *http.Request) {
	sess, auths, ok := s.openAccountPost(w, r)
	if !ok {
		return
	}
	i := slices.IndexFunc(auths, func(a *store.Authenticator) bool { return a.ID == r.PostFormValue("authenticator") })
	if i < 0 {
		http.Redirect(w, r, "/account", http.StatusSeeOther)
		return
	}
	a := auths[i]
	if !s.allowChange(w, r, sess, auths, a.Method) {
		return
	}
	if err := s.factors.Authenticators.Delete(r.Context(), a.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.fail(w, r, err)
		return
	}
	s.log.Info("web: factor removed", "user", sess.UserID, "method", a.Method, "authenticator", a.ID)
	http.Redirect(w, r, "/account?removed=1", http.StatusSeeOther)
}

// recover starts the way back for a user who lost a factor: a step-up
// with a password and a recovery code, which then lets them replace the
// lost factor for the change window (Factors.changeNeeds).
func (s *Server) recover(w http.ResponseWriter, r *http.Request) {
	sess, _, err := SessionFromRequest(r, s.sessions, s.secure)
	if err != nil {
		http.Redirect(w, r, "/account", http.StatusSeeOther)
		return
	}
	flow := stepup.Flow{
		UserID: sess.UserID, Level: acr.MFA, Since: s.now().Add(-s.factors.ChangeWindow),
		Methods: []acr.Method{acr.Password, acr.RecoveryCode}, Next: "/account",
	}
	token, _, err := s.localFlow(w, r, flow)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, pageURL("/stepup", token), http.StatusSeeOther)
}

func (s *Server) newRecoveryCodes(w http.ResponseWriter, r *http.Request) {
	sess, auths, ok := s.openAccountPost(w, r)
	if !ok {
		return
	}
	if s.factors.Recovery == nil || !hasStrong(auths) {
		http.Redirect(w, r, "/account", http.StatusSeeOther)
		return
	}
	if !s.allowChange(w, r, sess, auths, acr.RecoveryCode) {
		return
	}
	codes, err := s.factors.Recovery.Generate(r.Context(), sess.UserID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("web: new recovery codes", "user", sess.UserID)
	s.render(w, http.StatusOK, "codes", view{Title: "Save your recovery codes", Codes: codes, Next: "/account"})
}

// refused asks the engine whether sess may use the account page, as a
// sign-in from this browser. When the signIn rules block it or hold it
// for review, it ends the session, answers the request and returns true:
// a browser the rules keep out of relying parties does not change
// factors here either.
func (s *Server) refused(w http.ResponseWriter, r *http.Request, sess *store.Session) bool {
	if s.decide == nil {
		return false
	}
	d, err := s.decide(r.Context(), stepup.Request{
		Action: stepup.SignIn, UserID: sess.UserID, Verifications: stepup.Verifications(sess), Origin: s.Origin(r),
	})
	if err != nil {
		s.fail(w, r, err)
		return true
	}
	if d.Outcome != stepup.Block && d.Outcome != stepup.Review {
		return false
	}
	s.log.Info("web: the account page refused by the rules", "user", sess.UserID, "outcome", d.Outcome.String())
	if _, token, err := SessionFromRequest(r, s.sessions, s.secure); err == nil {
		if err := s.sessions.End(r.Context(), token); err != nil {
			s.fail(w, r, err)
			return true
		}
	}
	clearSessionCookie(w, s.secure)
	s.errorPage(w, http.StatusForbidden, "Not allowed", "This sign-in is not allowed from here. Contact your administrator if you think it should be.")
	return true
}
