package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// Rules of the authorization request that its parameters' edge cases test:
// hints, request objects, prompts, cancelling, and what userinfo tells.

// nullHint is a JWT-shaped id_token_hint whose payload is JSON null.
const nullHint = "eyJhbGciOiJFUzI1NiJ9.bnVsbA.AAAA"

func TestAMalformedIDTokenHintIsAnErrorNotACrash(t *testing.T) {
	issuer := startOP(t)
	r := newRP(t, issuer, "app", "")
	for _, hint := range []string{nullHint, "eyJhbGciOiJFUzI1NiJ9.W10.AAAA", "not-a-jwt", "a.b.c.d", "a.!!.c"} {
		if got := r.authorize(url.Values{"id_token_hint": {hint}}).oauthError(); got != "invalid_request" {
			t.Errorf("/authorize with id_token_hint %q: error %q, want invalid_request", hint, got)
		}
		resp, err := http.Get(issuer + "/end_session?" + url.Values{"id_token_hint": {hint}}.Encode())
		if err != nil {
			t.Fatalf("/end_session with id_token_hint %q: %v", hint, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("/end_session with id_token_hint %q: %d, want 400", hint, resp.StatusCode)
		}
	}
}

// Core §3.1.2.1: id_token_hint is an ID token the provider issued, in
// whatever algorithm it signed it.
func TestAnEdDSAClientsIDTokenIsAcceptedAsAHint(t *testing.T) {
	op := startOPWithClients(t, filepath.Join(t.TempDir(), "data"), `    - id: ed
      redirect_uris: [`+rpRedirect+`]
      signing_alg: EdDSA
`)
	r := newRP(t, op.issuer, "ed", "")
	a := r.authorize(nil)
	a.register("erin", password)
	tok, _ := a.tokens()
	hint, _ := tok.Extra("id_token").(string)
	b := r.authorize(url.Values{"prompt": {"none"}, "id_token_hint": {hint}})
	if b.callback == nil || b.callback.Query().Get("code") == "" {
		t.Fatalf("prompt=none with the client's own EdDSA ID token as hint: %v", b.callback)
	}
	// The hint is the signed-in user's: end_session signs out without a
	// question.
	if out := r.endSession(url.Values{"id_token_hint": {hint}}); !out.on("/signed-out") {
		t.Errorf("end_session with the EdDSA hint ended on %v, want %s", out.page.Request.URL, "/signed-out")
	}
}

// An essential acr without values asks only that an acr come back; the
// acr_values it came with are still the floor.
func TestAnEssentialACRWithoutValuesKeepsTheACRValuesFloor(t *testing.T) {
	r := signedIn(t, startOP(t), "app", "")
	a := r.authorize(url.Values{"acr_values": {"urn:stepup:acr:mfa"}, "claims": {`{"id_token":{"acr":{"essential":true}}}`}})
	if !a.on("/stepup") {
		t.Fatalf("acr_values=mfa with an essential acr of no values, at 1fa: %v (callback %v), want the step-up page", a.page, a.callback)
	}
}

// Core §6.2: a request object's parameters supersede the request's; one by
// reference stepup cannot read must be refused, not ignored (§3.1.2.6).
func TestRequestURIIsRefusedNotIgnored(t *testing.T) {
	r := signedIn(t, startOP(t), "app", "")
	for _, extra := range []url.Values{
		{"request_uri": {"https://rp.example/request/1"}},
		{"request_uri": {"urn:ietf:params:oauth:request_uri:abc"}, "prompt": {"none"}},
	} {
		if got := r.authorize(extra).oauthError(); got != "request_uri_not_supported" {
			t.Errorf("%v: error %q, want request_uri_not_supported", extra, got)
		}
	}
}

// RFC 6749 §4.1.2.1: error_description is printable ASCII without " and \,
// and the provider must not echo the caller's text onto the relying party.
func TestAnErrorDescriptionEchoesNothing(t *testing.T) {
	r := newRP(t, startOP(t), "app", "")
	a := r.authorize(url.Values{"response_mode": {`<b>"x\ ü`}})
	desc := a.callback.Query().Get("error_description")
	if a.oauthError() != "invalid_request" || strings.Contains(desc, "<b>") {
		t.Errorf("an unsupported response_mode: %q %q", a.oauthError(), desc)
	}
	for _, c := range desc {
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			t.Errorf("error_description %q holds %q, outside RFC 6749's set", desc, c)
		}
	}
}

// RFC 6749 §4.1.2.1: access_denied when the resource owner denies the
// request; the step-up page's Cancel is that, Continue is not.
func TestCancellingTheStepUpIsAccessDenied(t *testing.T) {
	issuer := startOP(t)
	for action, want := range map[string]string{"cancel": "access_denied", "continue": ""} {
		r := newRP(t, issuer, "app", "")
		a := r.authorize(url.Values{"acr_values": {"urn:stepup:acr:mfa"}})
		a.register("user-"+action, password)
		a.submit("/stepup", url.Values{"action": {action}})
		if a.callback == nil {
			t.Fatalf("%s: no callback; on %v", action, a.page.Request.URL)
		}
		if got := a.callback.Query().Get("error"); got != want {
			t.Errorf("%s on the step-up page: error %q, want %q", action, got, want)
		}
	}
}

// Core §3.1.2.6: login_required when the request "cannot be completed
// without displaying a user interface for End-User authentication" — a
// session too old for max_age needs a sign-in, not a step-up.
func TestPromptNoneWithASessionTooOldIsLoginRequired(t *testing.T) {
	r := signedIn(t, startOP(t), "app", "")
	if got := r.authorize(url.Values{"prompt": {"none"}, "max_age": {"0"}}).oauthError(); got != "login_required" {
		t.Errorf("prompt=none&max_age=0 with a session: %q, want login_required", got)
	}
	if got := r.authorize(url.Values{"prompt": {"none"}, "acr_values": {"urn:stepup:acr:mfa"}}).oauthError(); got != "interaction_required" {
		t.Errorf("prompt=none asking for a step-up: %q, want interaction_required", got)
	}
}

// Core §3.1.2.1: prompt=select_account asks the user to choose an account;
// the sign-in page, where any account can sign in, is that choice.
func TestPromptSelectAccountShowsTheSignInPage(t *testing.T) {
	issuer := startOP(t)
	r := signedIn(t, issuer, "app", "")
	a := r.authorize(url.Values{"prompt": {"select_account"}})
	if !a.on("/signin") {
		t.Fatalf("prompt=select_account with a session: %v (callback %v), want the sign-in page", a.page, a.callback)
	}
	// Another account may be chosen: it is a new sign-in, not a switch
	// behind the user's back.
	registered(t, issuer, "bob")
	a.signIn("bob", password)
	if _, claims := a.tokens(); claims.Subject == "" {
		t.Fatal("no subject after choosing another account")
	}
}

// Core §5.5: the claims parameter may ask for acr in userinfo; userinfo
// tells how the user authenticated, as the ID token does.
func TestUserinfoTellsHowTheUserAuthenticated(t *testing.T) {
	r := newRP(t, startOP(t), "app", "")
	a := r.authorize(url.Values{"claims": {`{"userinfo":{"acr":{"essential":true}}}`}})
	a.register("dave", password)
	tok, id := a.tokens()
	info, err := r.provider.UserInfo(context.Background(), oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatal(err)
	}
	var got idClaims
	if err := info.Claims(&got); err != nil {
		t.Fatal(err)
	}
	if got.ACR != id.ACR || !slices.Equal(got.AMR, id.AMR) || got.AuthTime != id.AuthTime {
		t.Errorf("userinfo says acr %q amr %v auth_time %d; the ID token %q %v %d",
			got.ACR, got.AMR, got.AuthTime, id.ACR, id.AMR, id.AuthTime)
	}
}

// The ID token and userinfo carry one acr: an essential request in the
// userinfo member binds as one in id_token does, and a null acr in id_token
// does not hide it (Core §5.5.1.1; never a token with a lower acr).
func TestAnEssentialUserinfoACRIsNotHiddenByAnIDTokenNull(t *testing.T) {
	r := newRP(t, startOP(t), "app", "")
	a := r.authorize(url.Values{"claims": {`{"id_token":{"acr":null},"userinfo":{"acr":{"essential":true,"values":["urn:stepup:acr:phr"]}}}`}})
	a.register("frank", password)
	if a.on("/stepup") {
		a.submit("/stepup", url.Values{"action": {"continue"}})
	}
	if got := a.oauthError(); got != "unmet_authentication_requirements" {
		t.Fatalf("an essential phr in userinfo, met with a password: %q, want unmet_authentication_requirements", got)
	}
}

// A flow token outlives its request in the browser (a second tab, the back
// button): once the request is done, its pages refuse it, and make no
// account and start no session with it.
func TestAFinishedFlowMakesNoAccount(t *testing.T) {
	issuer := startOP(t)
	r := newRP(t, issuer, "app", "")
	a := r.authorize(nil)
	signInPage := *a // the sign-in page, with its flow and CSRF tokens
	a.register("grace", password)
	a.code()

	// The sign-in page's own form, posted to /register as its link leads.
	signInPage.submit("/register", url.Values{"username": {"mallory"}, "password": {password}, "confirm": {password}})
	if signInPage.page == nil || signInPage.page.StatusCode != http.StatusBadRequest ||
		!strings.Contains(signInPage.body, "was used already") {
		t.Fatalf("registering with the finished flow: %v (callback %v)\n%.600s", signInPage.page, signInPage.callback, signInPage.body)
	}
	b := newRP(t, issuer, "app", "").authorize(nil)
	if b.signIn("mallory", password); b.callback != nil {
		t.Error("an account was made with the finished flow")
	}
}

// A relying party says why it asks with stepup_reason; the step-up page
// shows it, escaped. A reason that is too long or hides characters is a
// bad request, not text on the page.
func TestTheStepUpPageShowsTheRelyingPartysReason(t *testing.T) {
	issuer := startOPWithClients(t, filepath.Join(t.TempDir(), "data"), fmt.Sprintf(`    - id: app
      redirect_uris: [%[1]s]
      step_up_reasons: true
    - id: other
      redirect_uris: [%[1]s]
`, rpRedirect)).issuer
	r := newRP(t, issuer, "app", "")
	a := r.authorize(url.Values{"acr_values": {"urn:stepup:acr:mfa"}, "stepup_reason": {`Confirm the transfer of <b>500 EUR</b>`}})
	a.register("reasoned", password)
	if !a.on("/stepup") {
		t.Fatalf("not on the step-up page: %v", a.page.Request.URL)
	}
	if !strings.Contains(a.body, "The application says why: <q>Confirm the transfer of &lt;b&gt;500 EUR&lt;/b&gt;</q>") {
		t.Errorf("the step-up page does not show the reason, escaped:\n%s", a.body)
	}
	// A client that does not show reasons has them ignored: anyone can
	// make its authorization links.
	o := newRP(t, issuer, "other", "")
	a = o.authorize(url.Values{"acr_values": {"urn:stepup:acr:mfa"}, "stepup_reason": {"Your account is suspended: call +1 555 0100"}})
	a.register("unreasoned", password)
	if !a.on("/stepup") || strings.Contains(a.body, "suspended") {
		t.Errorf("a reason of a client that shows none is on the step-up page:\n%s", a.body)
	}
	for _, bad := range []string{strings.Repeat("x", 201), "pay\u202eRUE 005", "line\nbreak"} {
		if got := newRP(t, issuer, "app", "").authorize(url.Values{"stepup_reason": {bad}}).oauthError(); got != "invalid_request" {
			t.Errorf("stepup_reason %q: %q, want invalid_request", bad, got)
		}
	}
}
