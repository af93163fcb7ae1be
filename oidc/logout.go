package oidc

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/stepup-auth/stepup/stepup/store"
	"github.com/stepup-auth/stepup/web"
)

// RP-Initiated Logout 1.0 §2: the OP MUST ask the user before ending their
// session when no id_token_hint came, or the one that came is not the
// signed-in user's. Otherwise any page could sign its visitors out of
// stepup with a link (logout CSRF). The question is a page with a form; its
// sealed intent names the browser's session, so only a page stepup showed
// that browser can answer it.

const (
	signOutPath = "/sign-out"
	// signOutWindow is how long the question may stay unanswered.
	signOutWindow = 10 * time.Minute
	// maxSignOutForm bounds the answer: an intent, which holds the
	// redirect with the relying party's state, and a word.
	maxSignOutForm = 64 << 10
)

// signOutIntent is what the question carries, sealed: whose session ends
// and where the browser goes next (validated by end_session).
type signOutIntent struct {
	SessionID string `json:"s"`
	Redirect  string `json:"r"`
	Expires   int64  `json:"e"`
}

// EndSession lets zitadel/oidc validate the request (id_token_hint,
// post_logout_redirect_uri registered for the client), then ends the
// browser's SSO session, asking the user first unless the id_token_hint is
// the signed-in user's.
func (s *server) EndSession(ctx context.Context, r *op.Request[oidc.EndSessionRequest]) (*op.Redirect, error) {
	if !wellFormedHint(r.Data.IdTokenHint) {
		return nil, oidc.ErrInvalidRequest().WithDescription("id_token_hint is not a JWT")
	}
	req, err := op.ValidateEndSessionRequest(ctx, r.Data, s.p.op)
	if err != nil {
		return nil, err
	}
	sess, err := s.p.session(&http.Request{Header: r.Header})
	switch {
	case err != nil:
		return nil, oidc.ErrServerError().WithParent(err)
	case sess == nil: // nobody is signed in: nothing to ask
		return op.NewRedirect(req.RedirectURI), nil
	case hintOfSession(req, sess, s.p.sid(sess.Name())):
		if err := s.p.endSession(ctx, sess.ID); err != nil {
			return nil, oidc.ErrServerError().WithParent(err)
		}
		return op.NewRedirect(req.RedirectURI), nil
	}
	intent, err := json.Marshal(signOutIntent{SessionID: sess.Name(), Redirect: req.RedirectURI,
		Expires: s.p.now().Add(signOutWindow).Unix()})
	if err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	sealed, err := s.p.intents.Encrypt(string(intent))
	if err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	return op.NewRedirect(signOutPath + "?intent=" + url.QueryEscape(sealed)), nil
}

// hintOfSession reports whether the request's id_token_hint belongs to the
// browser's session, whose sid is sid: the session's user's, with its sid,
// or, for a token issued before ID tokens carried one, issued since the
// session began. One of another session (that ended, or leaked from a log)
// must not end this one unasked.
func hintOfSession(req *op.EndSessionRequest, sess *store.Session, sid string) bool {
	if req.IDTokenHintClaims == nil || req.UserID != sess.UserID {
		return false
	}
	if hint := req.IDTokenHintClaims.SessionID; hint != "" {
		return hmac.Equal([]byte(hint), []byte(sid))
	}
	return !req.IDTokenHintClaims.GetIssuedAt().Before(sess.CreatedAt.Truncate(time.Second))
}

// sid is the public name of an SSO session in ID tokens: a MAC of its id,
// so that relying parties can tell sessions apart without learning the
// store's key of any.
func (p *Provider) sid(sessionID string) string {
	mac := hmac.New(sha256.New, p.sidKey)
	mac.Write([]byte(sessionID))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil)[:16])
}

// deriveKey derives a key for one use from the crypto key.
func deriveKey(key [32]byte, use string) []byte {
	mac := hmac.New(sha256.New, key[:])
	mac.Write([]byte(use))
	return mac.Sum(nil)
}

// endSession deletes an SSO session; one already gone is no error.
func (p *Provider) endSession(ctx context.Context, id string) error {
	if err := p.store.Sessions().Delete(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

// signOut asks (GET) and answers (POST) whether to end the browser's
// session. An intent of another session, or of none, asks nothing: the
// browser goes where the intent says, signed in as it was.
func (p *Provider) signOut(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxSignOutForm)
	sealed := r.FormValue("intent")
	plain, err := p.intents.Decrypt(sealed)
	var intent signOutIntent
	if err == nil {
		err = json.Unmarshal([]byte(plain), &intent)
	}
	if err != nil || !p.now().Before(time.Unix(intent.Expires, 0)) {
		badRequest(w, signOutExpiredPage)
		return
	}
	sess, err := p.session(r)
	if err != nil {
		http.Error(w, "The sign-out could not be completed; try again.", http.StatusInternalServerError)
		p.log.Error("oidc: sign-out", "err", err)
		return
	}
	if sess == nil || sess.Name() != intent.SessionID {
		http.Redirect(w, r, intent.Redirect, http.StatusSeeOther)
		return
	}
	if r.Method == http.MethodGet {
		p.askSignOut(w, sealed, intent.Redirect)
		return
	}
	if r.PostFormValue("answer") == "sign-out" {
		if err := p.endSession(r.Context(), sess.ID); err != nil {
			http.Error(w, "The sign-out could not be completed; try again.", http.StatusInternalServerError)
			p.log.Error("oidc: sign-out", "err", err)
			return
		}
	}
	http.Redirect(w, r, intent.Redirect, http.StatusSeeOther)
}

var signOutExpiredPage = template.Must(template.New("sign-out-expired").Parse(`<!doctype html>
<html lang="en"><meta charset="utf-8"><title>Sign-out expired</title>
<p>This sign-out has expired or was opened in another browser, so you are still signed in.
Go back to the application and sign out again.</p></html>`))

var signOutPage = template.Must(template.New("sign-out").Parse(`<!doctype html>
<html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign out?</title><link rel="stylesheet" href="/static/style.css">
<main><h1>Sign out?</h1>
<p>An application asked to sign you out. Sign out of all applications that use this sign-in?</p>
<form method="post" action="` + signOutPath + `">
<input type="hidden" name="intent" value="{{.}}">
<button type="submit" name="answer" value="sign-out">Sign out</button>
<button type="submit" name="answer" value="stay">Stay signed in</button>
</form></main></html>`))

// askSignOut shows the question. Its form is answered with a redirect to
// redirect, which the policy's form-action must allow as well as 'self'.
func (p *Provider) askSignOut(w http.ResponseWriter, sealed, redirect string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer") // the URL carries the intent
	h.Set("Content-Security-Policy", web.ContentSecurityPolicy(redirect))
	_ = signOutPage.Execute(w, sealed)
}
