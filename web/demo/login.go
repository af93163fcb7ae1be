package demo

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/stepup-auth/stepup/acr"
)

// action is something the demo bank does: a route of its API, with the
// policy the route enforces.
type action struct {
	Name   string // the route is apiPrefix+Name
	Method string
	Title  string
	Object string // how a sentence names it
	Needs  acr.Requirement
	Done   string // what the API answers when it is done
	Reason string // why it asks for more, for stepup's step-up page
}

var actions = map[string]action{
	"balance": {
		Name: "balance", Method: http.MethodGet, Title: "View balance", Object: "the balance",
		Needs: acr.Require(acr.OneFactor),
		Done:  "Balance: 1,234.56 EUR",
	},
	"transfer": {
		Name: "transfer", Method: http.MethodPost, Title: "Transfer money", Object: "the transfer",
		Needs:  acr.Require(acr.MFA, acr.MaxAge(5*time.Minute)),
		Reason: "Confirm the transfer of 250.00 EUR to a new payee.",
		Done:   "Transfer sent",
	},
}

// pending is a sign-in under way, kept in the login cookie.
type pending struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"` // PKCE
	Action   string `json:"a"`
	// Challenge is the API's WWW-Authenticate header that this sign-in
	// answers, if it answers one: the demo follows a challenge once, so an
	// OP that cannot meet it does not send the browser round in a loop.
	Challenge string `json:"c,omitempty"`
	// Subject is the demo's signed-in user the sign-in is for, if any:
	// an answer for another user is refused.
	Subject string `json:"sub,omitempty"`
}

// session is what the demo keeps of a verified ID token.
type session struct {
	Issuer   string   `json:"iss"`
	Subject  string   `json:"sub"`
	Audience []string `json:"aud"`
	ACR      string   `json:"acr"`
	AMR      []string `json:"amr,omitempty"`
	AuthTime int64    `json:"auth_time"`
	Nonce    string   `json:"nonce"`
	// Username comes from the userinfo endpoint: stepup's ID tokens for
	// the code flow carry no profile claims.
	Username string `json:"preferred_username,omitempty"`
	// IDToken is the ID token as issued: the id_token_hint of the
	// logout, with which stepup ends its session without asking.
	IDToken string `json:"id_token"`
	// AccessToken is what the demo calls its API with.
	AccessToken string `json:"at"`
}

// Name is how the home page names the user.
func (s *session) Name() string {
	if s.Username != "" {
		return s.Username
	}
	return s.Subject
}

// fields lists the claims for the page.
func (s *session) fields(now time.Time) []field {
	auth := time.Unix(s.AuthTime, 0).UTC()
	f := []field{
		{"iss", s.Issuer},
		{"sub", s.Subject},
		{"aud", strings.Join(s.Audience, " ")},
		{"acr", s.ACR},
		{"amr", strings.Join(s.AMR, " ")},
		{"auth_time", auth.Format("2006-01-02 15:04:05 UTC") + " (" + ago(now.Sub(auth)) + ")"},
		{"nonce", s.Nonce},
	}
	if s.Username != "" {
		f = append(f, field{"preferred_username (from userinfo)", s.Username})
	}
	return f
}

func ago(d time.Duration) string {
	n := max(0, int(d/time.Second))
	if n == 1 {
		return "1 second ago"
	}
	return strconv.Itoa(n) + " seconds ago"
}

// session returns the signed-in user, with the raw cookie.
func (s *Server) session(r *http.Request) (*session, string, bool) {
	sess, raw, err := readCookie[*session](s.cookies, r, sessionCookie)
	return sess, raw, err == nil && sess != nil
}

// authorize starts an authorization code flow for an action, with the
// parameters of the API's challenge when it answers one. With a session
// (sess non-nil), the request names its user by id_token_hint, so that
// stepup steps up that user or asks them to sign in, and never answers
// for whoever else its own session now belongs to.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, a action, challenge *call, sess *session) {
	p, err := s.discover(r.Context())
	if err != nil {
		s.fail(w, r, "The demo could not read stepup's discovery document at "+s.issuer+
			". The server must be able to reach its own public URL (server.public_url).", err)
		return
	}
	pend := pending{State: random(), Nonce: random(), Verifier: oauth2.GenerateVerifier(), Action: a.Name}
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(pend.Verifier), gooidc.Nonce(pend.Nonce)}
	if sess != nil {
		pend.Subject = sess.Subject
		opts = append(opts, oauth2.SetAuthURLParam("id_token_hint", sess.IDToken))
	}
	if challenge != nil {
		pend.Challenge = challenge.Challenge
		params := challenge.parsed.AuthParams()
		for k := range params {
			opts = append(opts, oauth2.SetAuthURLParam(k, params.Get(k)))
		}
		if a.Reason != "" {
			opts = append(opts, oauth2.SetAuthURLParam("stepup_reason", a.Reason))
		}
	}
	expires := s.now().Add(loginLifetime)
	value, err := seal(s.cookies, loginCookie, pend, expires)
	if err != nil {
		s.fail(w, r, "The demo could not start the sign-in.", err)
		return
	}
	s.setCookie(w, loginCookie, value, expires)
	http.Redirect(w, r, s.oauth(p).AuthCodeURL(pend.State, opts...), http.StatusSeeOther)
}

// signedIn finishes the flow: the code becomes tokens, the ID token is
// verified and its claims kept, and the action goes on with the new
// access token.
func (s *Server) signedIn(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	pend, _, err := readCookie[pending](s.cookies, r, loginCookie)
	s.setCookie(w, loginCookie, "", time.Time{}) // a sign-in completes once
	a, known := actions[pend.Action]
	if err != nil || !known || subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(pend.State)) != 1 {
		s.errorPage(w, http.StatusBadRequest, "This sign-in has expired",
			"This sign-in has expired, was already completed, or was started in another browser or at another address than "+
				s.issuer+homePath+". Start again from the demo's home page.", "")
		return
	}
	if code := q.Get("error"); code != "" {
		title, message := explain(code)
		s.errorPage(w, http.StatusOK, title, message, code)
		return
	}
	sess, tok, err := s.redeem(r.Context(), q.Get("code"), pend)
	if err != nil {
		s.fail(w, r, "The demo could not redeem the sign-in at stepup's token endpoint, or could not verify the ID token. "+
			"The cause is in the stepup log.", err)
		return
	}
	if pend.Subject != "" && sess.Subject != pend.Subject {
		// The demo's session stays the user's who asked; what was asked
		// for them is not done for someone else.
		s.errorPage(w, http.StatusOK, "Signed in as someone else",
			"stepup answered for another user than the one signed in to the demo, so nothing was done. "+
				"Sign out of the demo, then start again.", "")
		return
	}
	value, err := seal(s.cookies, sessionCookie, sess, tok)
	if err != nil {
		s.fail(w, r, "The demo could not keep the sign-in.", err)
		return
	}
	s.setCookie(w, sessionCookie, value, tok)
	s.run(w, r, a, sess, value, true, pend.Challenge)
}

// redeem exchanges the code and verifies the ID token, returning its
// claims and its expiry.
func (s *Server) redeem(ctx context.Context, code string, pend pending) (*session, time.Time, error) {
	p, err := s.discover(ctx)
	if err != nil {
		return nil, time.Time{}, err
	}
	ctx = gooidc.ClientContext(ctx, s.client) // the key x/oauth2 reads too
	tok, err := s.oauth(p).Exchange(ctx, code, oauth2.VerifierOption(pend.Verifier))
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("demo: code exchange: %w", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := p.Verifier(&gooidc.Config{
		ClientID: ClientID, SupportedSigningAlgs: []string{gooidc.ES256}, Now: s.now,
	}).Verify(ctx, raw)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("demo: ID token: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(pend.Nonce)) != 1 {
		return nil, time.Time{}, errors.New("demo: ID token: the nonce is not the one sent")
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return nil, time.Time{}, fmt.Errorf("demo: ID token: %w", err)
		}
	}
	var c struct {
		ACR      string   `json:"acr"`
		AMR      []string `json:"amr"`
		AuthTime int64    `json:"auth_time"`
	}
	if err := idt.Claims(&c); err != nil {
		return nil, time.Time{}, fmt.Errorf("demo: ID token: %w", err)
	}
	sess := &session{
		Issuer: idt.Issuer, Subject: idt.Subject, Audience: idt.Audience,
		ACR: c.ACR, AMR: c.AMR, AuthTime: c.AuthTime, Nonce: idt.Nonce, IDToken: raw,
		AccessToken: tok.AccessToken,
	}
	sess.Username = s.username(ctx, p, tok, idt.Subject)
	return sess, idt.Expiry, nil
}

// username asks the userinfo endpoint for preferred_username. Without it
// the pages name the user by sub, so a failure is only logged.
func (s *Server) username(ctx context.Context, p *gooidc.Provider, tok *oauth2.Token, subject string) string {
	info, err := p.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		s.log.Warn("demo: userinfo", "err", err)
		return ""
	}
	var c struct {
		Username string `json:"preferred_username"`
	}
	if info.Subject != subject || info.Claims(&c) != nil {
		s.log.Warn("demo: userinfo does not match the ID token's subject")
		return ""
	}
	return c.Username
}

// explain turns an OP's error code into words for the user.
func explain(code string) (title, message string) {
	switch code {
	case "unmet_authentication_requirements":
		return "More proof needed", "stepup could not reach the level this action asks for with the factors you have, " +
			"and the request accepted nothing less. Set up a passkey or an authenticator app on your account page (/account), " +
			"then start it again."
	case "access_denied":
		return "Sign-in cancelled", "The sign-in was cancelled or refused, so nothing was done."
	case "login_required", "interaction_required", "consent_required", "account_selection_required":
		return "Sign-in needed", "stepup needs you to sign in before this action. Start it again from the demo's home page."
	case "server_error", "temporarily_unavailable":
		return "stepup had a problem", "stepup had a problem on its side, so nothing was done. Try again in a moment."
	}
	return "Sign-in failed", "The sign-in did not complete, so nothing was done."
}

// random returns 128 random bits, base64url: a state or a nonce.
func random() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand does not fail
	return base64.RawURLEncoding.EncodeToString(b[:])
}
