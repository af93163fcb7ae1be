package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// RP-Initiated Logout 1.0 §2: without an id_token_hint of the signed-in
// user, the OP MUST ask before ending the session. And RFC 6750's
// challenges at the userinfo endpoint.

// stillSignedIn reports whether r's browser still has its SSO session.
func (r *rp) stillSignedIn() bool {
	r.t.Helper()
	a := r.authorize(url.Values{"prompt": {"none"}})
	return a.callback != nil && a.callback.Query().Get("error") == ""
}

// endSession opens /end_session with query and returns where it led.
func (r *rp) endSession(query url.Values) *attempt {
	r.t.Helper()
	a := &attempt{rp: r}
	a.follow(r.browser.Get(r.issuer + "/end_session?" + query.Encode()))
	return a
}

func TestEndSessionWithoutAHintAsksFirst(t *testing.T) {
	r := signedIn(t, startOP(t), "app", "")
	a := r.endSession(nil)
	if !a.on("/sign-out") || a.page.StatusCode != http.StatusOK || !strings.Contains(a.body, `value="sign-out"`) {
		t.Fatalf("end_session without id_token_hint ended at %v (%d), want the question on %s:\n%.800s", a.page.Request.URL, a.page.StatusCode, "/sign-out", a.body)
	}
	if csp := a.page.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("the question's Content-Security-Policy is %q", csp)
	}
	if !r.stillSignedIn() {
		t.Fatal("end_session without id_token_hint ended the session before the user answered")
	}
	a.submit("/sign-out", url.Values{"answer": {"stay"}})
	if !a.on("/signed-out") || !r.stillSignedIn() {
		t.Fatalf("answering 'stay signed in' ended at %v, signed in: %v; want %s, still signed in", a.page.Request.URL, r.stillSignedIn(), "/signed-out")
	}
	a = r.endSession(nil)
	a.submit("/sign-out", url.Values{"answer": {"sign-out"}})
	if !a.on("/signed-out") {
		t.Fatalf("answering 'sign out' ended at %v, want %s", a.page.Request.URL, "/signed-out")
	}
	if r.stillSignedIn() {
		t.Fatal("answering 'sign out' left the session")
	}
}

func TestEndSessionWithAnotherUsersHintAsksFirst(t *testing.T) {
	issuer := startOP(t)
	bobs, _ := registered(t, issuer, "bob")
	r := signedIn(t, issuer, "app", "")
	a := r.endSession(url.Values{"id_token_hint": {bobs.Extra("id_token").(string)}})
	if !a.on("/sign-out") {
		t.Fatalf("end_session with another user's id_token_hint ended at %v, want the question", a.page.Request.URL)
	}
	if !r.stillSignedIn() {
		t.Fatal("end_session with another user's id_token_hint ended alice's session")
	}
}

func TestEndSessionWithAHintFromAnEarlierSessionAsksFirst(t *testing.T) {
	issuer := startOP(t)
	r := newRP(t, issuer, "app", "")
	a := r.authorize(nil)
	a.register("alice", password)
	old, _ := a.tokens()
	hint := url.Values{"id_token_hint": {old.Extra("id_token").(string)}}
	if e := r.endSession(hint); !e.on("/signed-out") || r.stillSignedIn() {
		t.Fatalf("end_session with the session's own hint ended at %v; want signed out at once", e.page.Request.URL)
	}
	// iat has whole seconds: sign in again in a later second than the
	// old token's.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
	a = r.authorize(nil)
	a.signIn("alice", password)
	a.tokens()
	if e := r.endSession(hint); !e.on("/sign-out") {
		t.Fatalf("end_session with an ID token of an earlier session ended at %v, want the question", e.page.Request.URL)
	}
	if !r.stillSignedIn() {
		t.Fatal("an ID token of an earlier session ended the new one unasked")
	}
}

func TestEndSessionQuestionBelongsToItsBrowser(t *testing.T) {
	issuer := startOP(t)
	victim := signedIn(t, issuer, "app", "")
	attacker := newRP(t, issuer, "app", "")
	signUp := attacker.authorize(nil)
	signUp.register("mallory", password)
	signUp.tokens()
	q := attacker.endSession(nil)
	if !q.on("/sign-out") {
		t.Fatalf("end_session ended at %v, want the question", q.page.Request.URL)
	}
	// The attacker's question, opened or answered in the victim's browser,
	// ends nothing there.
	intent := q.page.Request.URL.Query().Get("intent")
	a := victim.visit("/sign-out" + "?intent=" + url.QueryEscape(intent))
	if a.on("/sign-out") {
		t.Error("another browser's question was shown to the victim")
	}
	resp, err := victim.browser.PostForm(issuer+"/sign-out", url.Values{"intent": {intent}, "answer": {"sign-out"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !victim.stillSignedIn() {
		t.Fatal("another browser's answer ended the victim's session")
	}
	for _, bad := range []string{"", "forged", intent[:len(intent)-2] + "AA"} {
		resp, err := victim.browser.Get(issuer + "/sign-out" + "?intent=" + url.QueryEscape(bad))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("a sign-out question with intent %q: %d, want 400", bad, resp.StatusCode)
		}
	}
}

func TestEndSessionWithoutASessionAsksNothing(t *testing.T) {
	r := newRP(t, startOP(t), "app", "")
	if a := r.endSession(nil); !a.on("/signed-out") {
		t.Fatalf("end_session in a browser without a session ended at %v, want %s", a.page.Request.URL, "/signed-out")
	}
}

// RFC 6750 §3: a protected resource answers a request without a usable
// token with 401 and a Bearer challenge; §3.1: a malformed, expired or
// revoked token is invalid_token.
func TestUserinfoRefusesWithABearerChallenge(t *testing.T) {
	issuer := startOP(t)
	r := newRP(t, issuer, "app", "")
	a := r.authorize(nil)
	a.register("alice", password)
	code := a.code()
	tok, err := r.oauth.Exchange(context.Background(), code, oauth2.VerifierOption(a.verifier))
	if err != nil {
		t.Fatal(err)
	}
	r.oauth.Exchange(context.Background(), code, oauth2.VerifierOption(a.verifier)) // a replay revokes tok
	for _, c := range []struct {
		name, authorization, challenge string
	}{
		{"no token", "", "Bearer"},
		{"a malformed token", "Bearer not-a-token", `Bearer error="invalid_token"`},
		{"a revoked token", "Bearer " + tok.AccessToken, `Bearer error="invalid_token"`},
	} {
		req, _ := http.NewRequest(http.MethodGet, issuer+"/userinfo", nil)
		if c.authorization != "" {
			req.Header.Set("Authorization", c.authorization)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Error string `json:"error"`
		}
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != c.challenge {
			t.Errorf("userinfo with %s: %d, WWW-Authenticate %q; want 401, %q", c.name, resp.StatusCode, resp.Header.Get("WWW-Authenticate"), c.challenge)
		}
		if c.authorization != "" && body.Error != "invalid_token" {
			t.Errorf("userinfo with %s: error %q, want invalid_token", c.name, body.Error)
		}
	}
}

// RFC 6749 §4.1.2: a replayed code revokes what it issued, also after the
// code's own lifetime, while its tombstone lives.
func TestAReplayAfterTheCodesLifetimeStillRevokes(t *testing.T) {
	if testing.Short() {
		t.Skip("waits 11 s; CI runs it")
	}
	t.Parallel()
	op := startOPWithClients(t, filepath.Join(t.TempDir(), "data"), fmt.Sprintf(`    - id: app
      redirect_uris: [%s]
  code_lifetime: 10s
`, rpRedirect))
	r := newRP(t, op.issuer, "app", "")
	a := r.authorize(nil)
	a.register("alice", password)
	code := a.code()
	tok, err := r.oauth.Exchange(context.Background(), code, oauth2.VerifierOption(a.verifier))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(11 * time.Second) // past code_lifetime; the access token lives 5m
	if _, err := r.oauth.Exchange(context.Background(), code, oauth2.VerifierOption(a.verifier)); err == nil || !strings.Contains(err.Error(), "already used") {
		t.Fatalf("a replay after the code's lifetime: %v, want invalid_grant, already used", err)
	}
	if r.active(tok.AccessToken) {
		t.Fatal("the access token issued from a code replayed after its lifetime is still active")
	}
}
