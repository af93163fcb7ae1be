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

	"github.com/stepup-auth/stepup/stepup/store/memdb"
)

// One test per rule of assurance semantics (OpenID Connect Core, RFC 9470)
// and per hole the library leaves open, each named after its rule.

const password = "correct horse battery"

// signedIn returns a relying party whose browser has alice's session.
func signedIn(t *testing.T, issuer, client, secret string) *rp {
	t.Helper()
	r := newRP(t, issuer, client, secret)
	a := r.authorize(nil)
	a.register("alice", password)
	a.tokens()
	return r
}

// registered signs username up in a browser of its own and returns its
// first tokens.
func registered(t *testing.T, issuer, username string) (*oauth2.Token, idClaims) {
	t.Helper()
	a := newRP(t, issuer, "app", "").authorize(nil)
	a.register(username, password)
	return a.tokens()
}

func TestACRValuesUnknownAreIgnored(t *testing.T) {
	r := newRP(t, startOP(t), "app", "")
	a := r.authorize(url.Values{"acr_values": {"urn:example:unknown also-unknown"}})
	a.register("alice", password)
	if _, id := a.tokens(); id.ACR != "urn:stepup:acr:1fa" {
		t.Errorf("acr %q, want the level reached, 1fa", id.ACR)
	}
}

func TestACRValuesFirstSupportedValueIsTheTarget(t *testing.T) {
	r := newRP(t, startOP(t), "app", "")
	a := r.authorize(url.Values{"acr_values": {"urn:example:unknown urn:stepup:acr:mfa urn:stepup:acr:1fa"}})
	a.register("alice", password)
	// The target is mfa: after the password the browser is sent to step up.
	if !a.on("/stepup") {
		t.Fatalf("after a password sign-in toward mfa, the browser is on %v", a.page.Request.URL)
	}
}

func TestACRValuesVoluntaryIssueTheLevelReached(t *testing.T) {
	r := newRP(t, startOP(t), "app", "")
	a := r.authorize(url.Values{"acr_values": {"urn:stepup:acr:mfa"}})
	a.register("alice", password)
	a.submit("/stepup", url.Values{"action": {"continue"}})
	if _, id := a.tokens(); id.ACR != "urn:stepup:acr:1fa" {
		t.Errorf("acr %q, want the level actually reached (1fa), never the requested one", id.ACR)
	}
}

func TestEssentialACRUnmetEndsWithUnmetAuthenticationRequirements(t *testing.T) {
	r := newRP(t, startOP(t), "app", "")
	a := r.authorize(url.Values{"claims": {`{"id_token":{"acr":{"essential":true,"values":["urn:stepup:acr:mfa"]}}}`}})
	a.register("alice", password)
	a.submit("/stepup", url.Values{"action": {"continue"}})
	if e := a.oauthError(); e != "unmet_authentication_requirements" {
		t.Fatalf("error %q, want unmet_authentication_requirements", e)
	}
}

func TestEssentialACRMetCarriesTheRequestedValue(t *testing.T) {
	r := newRP(t, startOP(t), "app", "")
	a := r.authorize(url.Values{"claims": {`{"id_token":{"acr":{"essential":true,"values":["urn:okta:loa:1fa:any"]}}}`}})
	a.register("alice", password)
	if _, id := a.tokens(); id.ACR != "urn:okta:loa:1fa:any" {
		t.Errorf("acr %q, want the requested value urn:okta:loa:1fa:any", id.ACR)
	}
}

func TestEssentialACROfUnknownValuesIsUnmet(t *testing.T) {
	r := newRP(t, startOP(t), "app", "")
	a := r.authorize(url.Values{"claims": {`{"id_token":{"acr":{"essential":true,"values":["urn:example:gold"]}}}`}})
	if e := a.oauthError(); e != "unmet_authentication_requirements" {
		t.Fatalf("error %q, want unmet_authentication_requirements", e)
	}
}

func TestClaimsParameterInvalidIsInvalidRequest(t *testing.T) {
	r := newRP(t, startOP(t), "app", "")
	a := r.authorize(url.Values{"claims": {`{"id_token":`}})
	if e := a.oauthError(); e != "invalid_request" {
		t.Fatalf("error %q, want invalid_request", e)
	}
}

func TestMaxAgeZeroForcesAFreshSignIn(t *testing.T) {
	issuer := startOP(t)
	r := signedIn(t, issuer, "app", "")
	a := r.authorize(url.Values{"max_age": {"0"}})
	if !a.on("/signin") {
		t.Fatalf("max_age=0 with a session: the browser is on %v, callback %v; want the sign-in page", a.page, a.callback)
	}
	a.signIn("alice", password)
	a.tokens()
}

func TestPromptLoginForcesAFreshSignIn(t *testing.T) {
	r := signedIn(t, startOP(t), "app", "")
	a := r.authorize(url.Values{"prompt": {"login"}})
	if !a.on("/signin") {
		t.Fatalf("prompt=login with a session: callback %v; want the sign-in page", a.callback)
	}
}

func TestMaxAgeKeepsAFreshSession(t *testing.T) {
	r := signedIn(t, startOP(t), "app", "")
	a := r.authorize(url.Values{"max_age": {"300"}})
	if a.callback == nil {
		t.Fatalf("a session younger than max_age showed %v", a.page.Request.URL)
	}
	if _, id := a.tokens(); id.AuthTime == 0 {
		t.Error("no auth_time with max_age")
	}
}

func TestPromptNoneWithoutSessionIsLoginRequired(t *testing.T) {
	r := newRP(t, startOP(t), "app", "")
	if e := r.authorize(url.Values{"prompt": {"none"}}).oauthError(); e != "login_required" {
		t.Fatalf("error %q, want login_required", e)
	}
}

func TestPromptNoneNeedingAStepUpIsInteractionRequired(t *testing.T) {
	r := signedIn(t, startOP(t), "app", "")
	a := r.authorize(url.Values{"prompt": {"none"}, "acr_values": {"urn:stepup:acr:mfa"}})
	if e := a.oauthError(); e != "interaction_required" {
		t.Fatalf("error %q, want interaction_required", e)
	}
}

func TestPromptNoneWithASessionSucceeds(t *testing.T) {
	r := signedIn(t, startOP(t), "app", "")
	r.authorize(url.Values{"prompt": {"none"}}).tokens()
}

func TestLoginHintOfAnotherUserNeedsASignIn(t *testing.T) {
	issuer := startOP(t)
	registered(t, issuer, "bob")
	r := signedIn(t, issuer, "app", "") // alice's browser
	a := r.authorize(url.Values{"login_hint": {"bob"}})
	if !a.on("/signin") || !strings.Contains(a.body, `value="bob"`) {
		t.Fatalf("login_hint=bob with alice's session: page %v; want the sign-in page for bob", a.page)
	}
}

func TestIDTokenHintOfAnotherUserNeverSwitchesUser(t *testing.T) {
	issuer := startOP(t)
	bobTokens, _ := registered(t, issuer, "bob")
	r := signedIn(t, issuer, "app", "") // alice's browser
	a := r.authorize(url.Values{"id_token_hint": {bobTokens.Extra("id_token").(string)}})
	if !a.on("/signin") {
		t.Fatalf("id_token_hint of bob with alice's session: callback %v; want the sign-in page", a.callback)
	}
	a.signIn("alice", password)
	if a.callback != nil && a.callback.Query().Get("code") != "" {
		t.Fatal("signing in as alice completed a request whose id_token_hint names bob")
	}
}

func TestClientMinimumLevelUnmetIsAnError(t *testing.T) {
	r := newRP(t, startOP(t), "bank", "a-long-enough-secret-for-the-bank-client")
	a := r.authorize(url.Values{"acr_values": {"urn:stepup:acr:1fa"}}) // cannot lower the client's minimum
	a.register("alice", password)
	a.submit("/stepup", url.Values{"action": {"continue"}})
	if e := a.oauthError(); e != "unmet_authentication_requirements" {
		t.Fatalf("error %q, want unmet_authentication_requirements", e)
	}
}

// firstRedirect sends an authorization request and returns where the OP
// redirects the browser first.
func (r *rp) firstRedirect(opts ...oauth2.AuthCodeOption) *url.URL {
	r.t.Helper()
	resp, err := r.browser.Get(r.oauth.AuthCodeURL("state1", opts...))
	if err != nil {
		r.t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := resp.Location()
	return loc
}

func TestPKCEIsRequired(t *testing.T) {
	r := newRP(t, startOP(t), "app", "")
	if loc := r.firstRedirect(); loc == nil || loc.Query().Get("error") != "invalid_request" {
		t.Fatalf("an authorization request without PKCE: %v, want invalid_request at the redirect URI", loc)
	}
}

func TestPKCEPlainIsRefused(t *testing.T) {
	r := newRP(t, startOP(t), "app", "")
	loc := r.firstRedirect(oauth2.SetAuthURLParam("code_challenge", strings.Repeat("a", 43)),
		oauth2.SetAuthURLParam("code_challenge_method", "plain"))
	if loc == nil || loc.Query().Get("error") != "invalid_request" {
		t.Fatalf("PKCE plain: %v, want invalid_request", loc)
	}
}

func TestRedirectURIMustMatchExactly(t *testing.T) {
	r := newRP(t, startOP(t), "app", "")
	r.oauth.RedirectURL = rpRedirect + "/../evil"
	resp, err := r.browser.Get(r.oauth.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc, _ := resp.Location(); loc != nil || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("a redirect_uri that is not registered: %d to %v; want 400 and no redirect", resp.StatusCode, loc)
	}
}

func TestCodeIsSingleUseAndAReplayRevokesItsTokens(t *testing.T) {
	issuer := startOP(t)
	r := newRP(t, issuer, "app", "")
	a := r.authorize(nil)
	a.register("alice", password)
	code := a.code()
	ctx := context.Background()
	tok, err := r.oauth.Exchange(ctx, code, oauth2.VerifierOption(a.verifier))
	if err != nil {
		t.Fatal(err)
	}
	if !r.active(tok.AccessToken) {
		t.Fatal("the first exchange's access token is not active")
	}
	if _, err := r.oauth.Exchange(ctx, code, oauth2.VerifierOption(a.verifier)); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Fatalf("a replayed code: %v, want invalid_grant", err)
	}
	if r.active(tok.AccessToken) {
		t.Fatal("the access token issued from a replayed code is still active")
	}
}

// active asks the userinfo endpoint whether an access token is accepted.
func (r *rp) active(accessToken string) bool {
	r.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, r.issuer+"/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+accessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func TestRefreshRotatesKeepsTheSignInAndReuseRevokes(t *testing.T) {
	r := newRP(t, startOP(t), "app", "")
	r.oauth.Scopes = append(r.oauth.Scopes, "offline_access")
	a := r.authorize(nil)
	a.register("alice", password)
	first, id := a.tokens()
	if first.RefreshToken == "" {
		t.Fatal("no refresh token with offline_access")
	}
	second := r.refresh(first.RefreshToken)
	refreshed := r.verifyIDToken(second, "")
	if refreshed.ACR != id.ACR || refreshed.AuthTime != id.AuthTime || strings.Join(refreshed.AMR, " ") != strings.Join(id.AMR, " ") ||
		refreshed.SID == "" || refreshed.SID != id.SID {
		t.Errorf("after a refresh: %+v, want the acr, amr, auth_time and sid of the sign-in %+v", refreshed, id)
	}
	if _, claims := jwtParts(t, second.AccessToken); claims["acr"] != id.ACR {
		t.Errorf("refreshed access token acr %v, want %s", claims["acr"], id.ACR)
	}
	if second.RefreshToken == first.RefreshToken {
		t.Fatal("the refresh token did not rotate")
	}
	if _, err := r.tryRefresh(first.RefreshToken); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Fatalf("reuse of a rotated refresh token: %v, want invalid_grant", err)
	}
	if _, err := r.tryRefresh(second.RefreshToken); err == nil {
		t.Fatal("the family survived the reuse of one of its tokens")
	}
	if r.active(second.AccessToken) {
		t.Fatal("an access token of a revoked family is still active")
	}
}

func (r *rp) tryRefresh(token string) (*oauth2.Token, error) {
	return r.oauth.TokenSource(context.Background(), &oauth2.Token{RefreshToken: token}).Token()
}

func (r *rp) refresh(token string) *oauth2.Token {
	r.t.Helper()
	tok, err := r.tryRefresh(token)
	if err != nil {
		r.t.Fatalf("refresh: %v", err)
	}
	return tok
}

func TestTokenResponsesAreNotCached(t *testing.T) {
	issuer := startOP(t)
	r := newRP(t, issuer, "app", "")
	a := r.authorize(nil)
	a.register("alice", password)
	form := url.Values{"grant_type": {"authorization_code"}, "code": {a.code()}, "redirect_uri": {rpRedirect},
		"client_id": {"app"}, "code_verifier": {a.verifier}}
	resp, err := http.PostForm(r.provider.Endpoint().TokenURL, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("token response %d with Cache-Control %q, want 200 and no-store", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
}

const webSecret = "a-long-enough-secret-for-the-web-client"

func TestIntrospectionCarriesTheAssurance(t *testing.T) {
	issuer := startOP(t)
	r := newRP(t, issuer, "web", webSecret)
	a := r.authorize(nil)
	a.register("alice", password)
	tok, id := a.tokens()
	got := introspect(t, issuer, "web", webSecret, tok.AccessToken)
	if got["active"] != true || got["acr"] != id.ACR || got["auth_time"] == nil || got["amr"] == nil {
		t.Fatalf("introspection %v, want active with acr %s, amr and auth_time", got, id.ACR)
	}
	// Another client is not told about web's token.
	if got := introspect(t, issuer, "bank", "a-long-enough-secret-for-the-bank-client", tok.AccessToken); got["active"] != false {
		t.Fatalf("introspection of web's token by bank: %v, want inactive", got)
	}
}

func TestIntrospectionOfRevokedForgedOrIDTokensIsInactive(t *testing.T) {
	issuer := startOP(t)
	r := newRP(t, issuer, "web", webSecret)
	a := r.authorize(nil)
	a.register("alice", password)
	code := a.code()
	ctx := context.Background()
	tok, err := r.oauth.Exchange(ctx, code, oauth2.VerifierOption(a.verifier))
	if err != nil {
		t.Fatal(err)
	}
	if got := introspect(t, issuer, "web", webSecret, tok.Extra("id_token").(string)); got["active"] != false {
		t.Errorf("an ID token introspects as an active access token: %v", got)
	}
	r.oauth.Exchange(ctx, code, oauth2.VerifierOption(a.verifier)) // a replay revokes tok
	if got := introspect(t, issuer, "web", webSecret, tok.AccessToken); got["active"] != false {
		t.Errorf("a revoked access token introspects active: %v", got)
	}
	// Random strings of the length of an encrypted opaque token.
	for i := range 100 {
		forged := randomString() + randomString() + randomString()[:16]
		if got := introspect(t, issuer, "web", webSecret, forged); got["active"] != false {
			t.Fatalf("forged token %q (try %d) introspects active: %v", forged, i+1, got)
		}
	}
}

func TestRevokingARefreshTokenRevokesIt(t *testing.T) {
	issuer := startOP(t)
	r := newRP(t, issuer, "app", "")
	r.oauth.Scopes = append(r.oauth.Scopes, "offline_access")
	a := r.authorize(nil)
	a.register("alice", password)
	first, _ := a.tokens()
	resp, err := http.PostForm(issuer+"/oauth/revoke", url.Values{
		"token": {first.RefreshToken}, "token_type_hint": {"refresh_token"}, "client_id": {"app"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revocation answered %d", resp.StatusCode)
	}
	if _, err := r.tryRefresh(first.RefreshToken); err == nil {
		t.Fatal("the refresh token still works after its revocation")
	}
}

// An attacker who starts a request (holding the PKCE verifier) and gets a
// signed-in victim to open its /flow/start link must not get a code of the
// victim's session: the request belongs to the browser that sent it.
func TestARequestBelongsToTheBrowserThatSentIt(t *testing.T) {
	issuer := startOP(t)
	victim := signedIn(t, issuer, "app", "")
	// The attacker is signed in too, so its own request goes on to
	// /flow/start, the link that would complete it.
	attacker := newRP(t, issuer, "app", "")
	own := attacker.authorize(nil)
	own.register("mallory", password)
	own.tokens()
	noFollow := &http.Client{Jar: attacker.browser.Jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(attacker.oauth.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	start, _ := resp.Location()
	if start == nil || start.Path != "/flow/start" {
		t.Fatalf("the signed-in attacker's request went to %v, want /flow/start", start)
	}
	a := &attempt{rp: victim}
	a.follow(victim.browser.Get(start.String()))
	if a.callback != nil {
		t.Fatalf("the victim's browser completed the attacker's request: %v", a.callback)
	}
	if a.page.StatusCode != http.StatusBadRequest {
		t.Fatalf("the victim's browser got %d, want the 400 page", a.page.StatusCode)
	}
}

func TestAFlowCannotBeContinuedInAnotherBrowser(t *testing.T) {
	issuer := startOP(t)
	r := newRP(t, issuer, "app", "")
	a := r.authorize(nil) // on the sign-in page, in r's browser
	thief := newRP(t, issuer, "app", "")
	resp, err := thief.browser.Get(a.page.Request.URL.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("another browser opened the sign-in page of this flow: %d", resp.StatusCode)
	}
}

func TestEndSessionEndsTheSSOSession(t *testing.T) {
	issuer := startOP(t)
	r := newRP(t, issuer, "app", "")
	a := r.authorize(nil)
	a.register("alice", password)
	tok, _ := a.tokens()
	resp, err := r.browser.Get(issuer + "/end_session?id_token_hint=" + url.QueryEscape(tok.Extra("id_token").(string)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/signed-out" {
		t.Fatalf("end_session ended at %d %v, want the signed-out page", resp.StatusCode, resp.Request.URL)
	}
	if e := r.authorize(url.Values{"prompt": {"none"}}).oauthError(); e != "login_required" {
		t.Fatalf("after logout, prompt=none gives %q, want login_required", e)
	}
}

func TestOpaqueAccessTokensWorkAtUserinfoAndIntrospection(t *testing.T) {
	issuer := startOP(t)
	r := newRP(t, issuer, "opaque", "a-long-enough-secret-for-the-opaque-client")
	a := r.authorize(nil)
	a.register("alice", password)
	tok, id := a.tokens()
	if strings.Count(tok.AccessToken, ".") == 2 {
		t.Fatalf("a client configured for opaque tokens got a JWT: %.40s", tok.AccessToken)
	}
	if !r.active(tok.AccessToken) {
		t.Fatal("userinfo refuses the opaque access token")
	}
	got := introspect(t, issuer, "opaque", "a-long-enough-secret-for-the-opaque-client", tok.AccessToken)
	if got["active"] != true || got["acr"] != id.ACR {
		t.Fatalf("introspection of an opaque token: %v", got)
	}
}

// introspect asks the introspection endpoint about a token, as a client.
func introspect(t *testing.T, issuer, client, secret, token string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, issuer+"/oauth/introspect", strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(client, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("introspection without Cache-Control: no-store")
	}
	var got map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	return got
}

// A sign-in that finishes late in its authorization request's life still
// gets a code that lives its whole code_lifetime. It waits a minute, the
// shortest request lifetime, so it runs beside the other tests.
func TestACodeOutlivesItsAuthorizationRequest(t *testing.T) {
	if testing.Short() {
		t.Skip("waits a minute; CI runs it")
	}
	t.Parallel()
	op := startOPWithClients(t, filepath.Join(t.TempDir(), "data"), fmt.Sprintf(`    - id: app
      redirect_uris: [%s]
  code_lifetime: 5m
  auth_request_lifetime: 1m
`, rpRedirect))
	r := newRP(t, op.issuer, "app", "")
	a := r.authorize(nil)
	time.Sleep(55 * time.Second) // the user takes 55 s on the sign-in page
	a.register("alice", password)
	code := a.code()
	time.Sleep(6 * time.Second) // redeemed 6 s later, well inside code_lifetime
	if _, err := r.oauth.Exchange(context.Background(), code, oauth2.VerifierOption(a.verifier)); err != nil {
		t.Fatalf("a 6 s old code (code_lifetime 5m) is refused: %v", err)
	}
}

// A code exchange that fails its checks (here the redirect_uri) burns
// nothing: the same code then succeeds. x/oauth2 retries a failed exchange
// with another client authentication style; a burnt code would turn every
// such retry into a "replay" that revokes.
func TestAFailedExchangeDoesNotBurnTheCode(t *testing.T) {
	r := newRP(t, startOP(t), "app", "")
	a := r.authorize(nil)
	a.register("alice", password)
	code := a.code()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {rpRedirect + "/other"},
		"client_id": {"app"}, "code_verifier": {a.verifier}}
	resp, err := http.PostForm(r.provider.Endpoint().TokenURL, form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("an exchange with another redirect_uri answered %d", resp.StatusCode)
	}
	if _, err := r.oauth.Exchange(context.Background(), code, oauth2.VerifierOption(a.verifier)); err != nil {
		t.Fatalf("the code no longer works after a failed exchange: %v", err)
	}
}

// prompt=login asks for a sign-in, which may be another user's: only an
// id_token_hint fixes who it must be.
func TestPromptLoginMaySignInAnotherUser(t *testing.T) {
	issuer := startOP(t)
	_, bob := registered(t, issuer, "bob")
	r := signedIn(t, issuer, "app", "") // alice's browser
	a := r.authorize(url.Values{"prompt": {"login"}})
	a.signIn("bob", password)
	if _, id := a.tokens(); id.Subject != bob.Subject {
		t.Fatalf("prompt=login, signed in as bob: sub %s, want bob's %s", id.Subject, bob.Subject)
	}
}

func TestAnUnknownClientIsABadRequest(t *testing.T) {
	issuer := startOP(t)
	resp, err := http.Get(issuer + "/authorize?client_id=nobody&response_type=code&scope=openid&redirect_uri=" + url.QueryEscape(rpRedirect))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("an unknown client_id answered %d, want 400", resp.StatusCode)
	}
}

// A refresh token with the family's id but a secret that was never the
// family's is invalid, and revokes nothing: only a reused token does.
func TestAForgedRefreshTokenRevokesNothing(t *testing.T) {
	r := newRP(t, startOP(t), "app", "")
	r.oauth.Scopes = append(r.oauth.Scopes, "offline_access")
	a := r.authorize(nil)
	a.register("alice", password)
	tok, _ := a.tokens()
	familyID, _, _ := strings.Cut(tok.RefreshToken, ".")
	if _, err := r.tryRefresh(familyID + ".forged-secret"); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Fatalf("a forged refresh token: %v, want invalid_grant", err)
	}
	r.refresh(tok.RefreshToken) // the real one still works
}

// setDisabled disables or enables username's account in the stopped
// server's data folder, as an operator's tool would.
func setDisabled(t *testing.T, dataDir, username string, disabled bool) {
	t.Helper()
	st, err := memdb.Open(memdb.Options{Dir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	u, err := st.Users().GetByUsername(ctx, username)
	if err != nil {
		t.Fatal(err)
	}
	u.Disabled = disabled
	if err := st.Users().Update(ctx, u); err != nil {
		t.Fatal(err)
	}
}

// A disabled account keeps nothing working: its SSO session signs nobody
// in, its refresh token and access token are refused. Enabling it again
// restores the grant.
func TestADisabledAccountLosesItsSessionAndTokens(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	op := startOPWithClients(t, dataDir, testClients)
	r := newRP(t, op.issuer, "app", "")
	r.oauth.Scopes = append(r.oauth.Scopes, "offline_access")
	a := r.authorize(nil)
	a.register("alice", password)
	tok, _ := a.tokens()
	if e := r.authorize(url.Values{"prompt": {"none"}}).code(); e == "" {
		t.Fatal("no SSO before the account was disabled")
	}

	if code := op.stop(t); code != exitOK {
		t.Fatalf("serve exited with %d:\n%s", code, op.log)
	}
	setDisabled(t, dataDir, "alice", true)
	disabled := startServer(t, op.config)
	if e := r.authorize(url.Values{"prompt": {"none"}}).oauthError(); e != "login_required" {
		t.Errorf("prompt=none with a disabled account's session: %q, want login_required", e)
	}
	if _, err := r.tryRefresh(tok.RefreshToken); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Errorf("refresh of a disabled account: %v, want invalid_grant", err)
	}
	if r.active(tok.AccessToken) {
		t.Error("userinfo answers for a disabled account")
	}

	if code := disabled.stop(t); code != exitOK {
		t.Fatalf("serve exited with %d:\n%s", code, disabled.log)
	}
	setDisabled(t, dataDir, "alice", false)
	startServer(t, op.config)
	if !r.active(tok.AccessToken) {
		t.Error("the access token did not come back with the account")
	}
	r.refresh(tok.RefreshToken)
}

// OpenID Connect Core §3.1.2.1: the authorization endpoint takes POST. A
// browser sends no SameSite=Lax cookie with a cross-site POST, so the
// session is looked at only once the browser is back on a GET of the OP's
// own: SSO (here prompt=none) still works.
func TestAPostedAuthorizationRequestStillSeesTheSession(t *testing.T) {
	issuer := startOP(t)
	r := signedIn(t, issuer, "app", "")
	verifier := oauth2.GenerateVerifier()
	auth, _ := url.Parse(r.oauth.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("prompt", "none")))
	// The POST as a browser sends it cross-site: without the cookies.
	crossSite := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := crossSite.PostForm(issuer+"/authorize", auth.Query())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	next, err := resp.Location()
	if err != nil {
		t.Fatalf("POST /authorize answered %d without a redirect", resp.StatusCode)
	}
	if next.Query().Get("error") != "" {
		t.Fatalf("POST /authorize decided without the session: %v", next)
	}
	// The browser keeps the flow cookie the answer set, and goes on with
	// all its cookies.
	r.browser.Jar.SetCookies(next, resp.Cookies())
	a := &attempt{rp: r, state: "s", verifier: verifier}
	a.follow(r.browser.Get(next.String()))
	if a.code() == "" {
		t.Fatal("no code")
	}
}

// response_mode=form_post needs a self-submitting page, which the hosted
// pages' policy forbids: it is refused up front, by a plain redirect,
// never half-served after the sign-in.
func TestFormPostResponseModeIsRefused(t *testing.T) {
	r := newRP(t, startOP(t), "app", "")
	a := r.authorize(url.Values{"response_mode": {"form_post"}})
	if e := a.oauthError(); e != "invalid_request" || !strings.Contains(a.callback.Query().Get("error_description"), "response_mode is not supported") {
		t.Fatalf("form_post: %v", a.callback)
	}
}
