package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// The endpoints a client calls with its credentials (token, introspection,
// revocation): RFC 6749 §2.3 and §5.2, RFC 7662, RFC 7009, and PKCE's
// syntax (RFC 7636). One test per rule, named after it.

// clientPost posts form to issuer+path, with HTTP Basic credentials if
// user is not empty, and returns the response and its JSON body, if any.
func clientPost(t *testing.T, issuer, path string, form url.Values, user, secret string) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, issuer+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(user, secret)
	}
	return send(t, req)
}

// send sends req and returns the response and its JSON body, if any.
func send(t *testing.T, req *http.Request) (*http.Response, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	return resp, body
}

// offlineTokens signs alice up at client and returns her first tokens,
// with a refresh token, and the relying party.
func offlineTokens(t *testing.T, issuer, client, secret string) (*rp, *oauth2.Token) {
	t.Helper()
	r := newRP(t, issuer, client, secret)
	r.oauth.Scopes = append(r.oauth.Scopes, "offline_access")
	a := r.authorize(nil)
	a.register("alice", password)
	tok, _ := a.tokens()
	if tok.RefreshToken == "" {
		t.Fatal("no refresh token with offline_access")
	}
	return r, tok
}

var clientEndpoints = []string{"/oauth/token", "/oauth/introspect", "/oauth/revoke"}

// RFC 6749 §3.2: "The client MUST use the HTTP POST method when making
// access token requests"; RFC 7662 §2.1 and RFC 7009 §2.1 ask POST of
// introspection and revocation. A request by another method is 405 and
// none of its parameters is taken. A CORS preflight is still answered.
func TestClientEndpointsTakeOnlyPOST(t *testing.T) {
	issuer := startOP(t)
	r, tok := offlineTokens(t, issuer, "app", "")
	query := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}, "client_id": {"app"},
		"token": {tok.AccessToken}}.Encode()
	for _, path := range clientEndpoints {
		for _, method := range []string{http.MethodGet, http.MethodPut} {
			req, _ := http.NewRequest(method, issuer+path+"?"+query, nil)
			resp, _ := send(t, req)
			if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != http.MethodPost {
				t.Errorf("%s %s: %d, Allow %q; want 405, Allow: POST", method, path, resp.StatusCode, resp.Header.Get("Allow"))
			}
		}
		req, _ := http.NewRequest(http.MethodOptions, issuer+path, nil)
		req.Header.Set("Origin", "https://spa.example")
		req.Header.Set("Access-Control-Request-Method", http.MethodPost)
		if resp, _ := send(t, req); resp.StatusCode >= 300 || resp.Header.Get("Access-Control-Allow-Origin") == "" {
			t.Errorf("CORS preflight of %s: %d, Access-Control-Allow-Origin %q", path, resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
		}
	}
	if !r.active(tok.AccessToken) {
		t.Error("a revocation by GET was taken")
	}
	if _, err := r.tryRefresh(tok.RefreshToken); err != nil {
		t.Errorf("a refresh by GET was taken: the refresh token no longer works: %v", err)
	}
}

// RFC 6749 §2.3.1: client credentials "MUST NOT be included in the request
// URI". A request with a query is refused whole, as invalid_request, and
// nothing it asks is done.
func TestClientCredentialsInTheRequestURIAreRefused(t *testing.T) {
	issuer := startOP(t)
	r, tok := offlineTokens(t, issuer, "web", webSecret)
	credentials := "?" + url.Values{"client_id": {"web"}, "client_secret": {webSecret}}.Encode()
	for path, form := range map[string]url.Values{
		"/oauth/token":      {"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}},
		"/oauth/introspect": {"token": {tok.AccessToken}},
		"/oauth/revoke":     {"token": {tok.AccessToken}},
	} {
		resp, body := clientPost(t, issuer, path+credentials, form, "", "")
		if resp.StatusCode != http.StatusBadRequest || body["error"] != "invalid_request" || resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("POST %s with the secret in the URI: %d %v, Cache-Control %q; want 400 invalid_request, no-store",
				path, resp.StatusCode, body, resp.Header.Get("Cache-Control"))
		}
	}
	if !r.active(tok.AccessToken) {
		t.Error("a revocation with the secret in the URI was taken")
	}
	if _, err := r.tryRefresh(tok.RefreshToken); err != nil {
		t.Errorf("a refresh with the secret in the URI was taken: the refresh token no longer works: %v", err)
	}
}

// wantBasicChallenge checks a refused client authentication: RFC 6749
// §5.2, 401 invalid_client with "the WWW-Authenticate response header
// field matching the authentication scheme used by the client", and no
// caching.
func wantBasicChallenge(t *testing.T, issuer, name string, resp *http.Response, body map[string]any) {
	t.Helper()
	challenge := `Basic realm="` + issuer + `"`
	if resp.StatusCode != http.StatusUnauthorized || body["error"] != "invalid_client" ||
		resp.Header.Get("WWW-Authenticate") != challenge || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("%s: %d %v, WWW-Authenticate %q, Cache-Control %q; want 401 invalid_client, %s, no-store", name,
			resp.StatusCode, body, resp.Header.Get("WWW-Authenticate"), resp.Header.Get("Cache-Control"), challenge)
	}
}

// RFC 6749 §5.2: "If the client attempted to authenticate via the
// Authorization request header field, the authorization server MUST
// respond with an HTTP 401 (Unauthorized) status code and include the
// WWW-Authenticate response header field matching the authentication
// scheme used by the client." A secret in the body gets the same answer
// (RFC 9110 §15.5.2: every 401 carries a challenge).
func TestFailedClientAuthenticationIs401WithABasicChallenge(t *testing.T) {
	issuer := startOP(t)
	exchange := url.Values{"grant_type": {"authorization_code"}, "code": {"x"}, "redirect_uri": {rpRedirect}}
	inBody := url.Values{"client_id": {"web"}, "client_secret": {"wrong"}}
	for k, v := range exchange {
		inBody[k] = v
	}
	for _, c := range []struct {
		name, path   string
		form         url.Values
		user, secret string
	}{
		{"token, wrong secret by Basic", "/oauth/token", exchange, "web", "wrong"},
		{"token, unknown client by Basic", "/oauth/token", exchange, "nobody", "wrong"},
		{"token, wrong secret in the body", "/oauth/token", inBody, "", ""},
		{"revocation, wrong secret by Basic", "/oauth/revoke", url.Values{"token": {"x"}}, "web", "wrong"},
	} {
		resp, body := clientPost(t, issuer, c.path, c.form, c.user, c.secret)
		wantBasicChallenge(t, issuer, c.name, resp, body)
	}
}

// RFC 7662 §2.3: "If the protected resource uses OAuth 2.0 client
// credentials to authenticate to the introspection endpoint and its
// credentials are invalid, the authorization server responds with an HTTP
// 401 (Unauthorized) as described in Section 5.2 of OAuth 2.0".
func TestIntrospectionWithInvalidCredentialsIs401(t *testing.T) {
	issuer := startOP(t)
	for _, c := range []struct{ name, user, secret string }{
		{"a wrong secret", "web", "wrong"},
		{"an unknown client", "nobody", "wrong"},
		{"an empty secret", "web", ""},
	} {
		resp, body := clientPost(t, issuer, "/oauth/introspect", url.Values{"token": {"x"}}, c.user, c.secret)
		wantBasicChallenge(t, issuer, "introspection with "+c.name, resp, body)
	}
}

// RFC 9700 §4.14.2: a rotated-out refresh token presented again revokes
// its family, whatever else the request asks: a scope check first would
// spare the family, and its different error would tell a past token of
// the family from any other string. Only the current token has its
// scopes checked (RFC 6749 §6), and is refused unspent.
func TestRefreshReuseAskingMoreScopesStillRevokes(t *testing.T) {
	issuer := startOP(t)
	r, first := offlineTokens(t, issuer, "app", "")
	second := r.refresh(first.RefreshToken)
	more := func(token string) map[string]any {
		_, body := clientPost(t, issuer, "/oauth/token", url.Values{"grant_type": {"refresh_token"},
			"refresh_token": {token}, "client_id": {"app"}, "scope": {"openid address"}}, "", "")
		return body
	}
	if body := more(second.RefreshToken); body["error"] != "invalid_scope" {
		t.Fatalf("the current refresh token asking more scopes: %v, want invalid_scope", body)
	}
	if body := more(first.RefreshToken); body["error"] != "invalid_grant" {
		t.Errorf("a reused refresh token asking more scopes: %v, want invalid_grant", body)
	}
	if _, err := r.tryRefresh(second.RefreshToken); err == nil {
		t.Error("the family survived the reuse of one of its tokens")
	}
	if r.active(second.AccessToken) {
		t.Error("an access token of a family whose token was reused is still active")
	}
}

// RFC 7009 §2.1: "token REQUIRED. The token that the client wants to get
// revoked." A string naming a refresh family by its id is no token of it,
// and revokes nothing (store.RefreshFamilies: knowing a family's id is not
// enough to revoke it).
func TestRevokingByAFamilyIDRevokesNothing(t *testing.T) {
	issuer := startOP(t)
	r, tok := offlineTokens(t, issuer, "app", "")
	familyID, _, _ := strings.Cut(tok.RefreshToken, ".")
	for _, token := range []string{"rf:" + familyID, familyID} {
		resp, body := clientPost(t, issuer, "/oauth/revoke", url.Values{"token": {token}, "client_id": {"app"}}, "", "")
		if resp.StatusCode != http.StatusOK {
			t.Errorf("revoking %q: %d %v, want 200 (an invalid token is not an error)", token, resp.StatusCode, body)
		}
	}
	if !r.active(tok.AccessToken) {
		t.Error("the family's access token was revoked by the family's id")
	}
	if _, err := r.tryRefresh(tok.RefreshToken); err != nil {
		t.Errorf("the family was revoked by its id: %v", err)
	}
}

// RFC 7009 §2.1: the server "verifies whether the token was issued to the
// client making the revocation request. If this validation fails, the
// request is refused". The caller did authenticate, so the refusal is
// unauthorized_client, not invalid_client, which RFC 6749 §5.2 keeps for
// "Client authentication failed".
func TestRevokingAnotherClientsTokenIsUnauthorizedClient(t *testing.T) {
	issuer := startOP(t)
	r, tok := offlineTokens(t, issuer, "web", webSecret)
	for name, token := range map[string]string{"access": tok.AccessToken, "refresh": tok.RefreshToken} {
		resp, body := clientPost(t, issuer, "/oauth/revoke", url.Values{"token": {token}},
			"bank", "a-long-enough-secret-for-the-bank-client")
		if resp.StatusCode != http.StatusBadRequest || body["error"] != "unauthorized_client" || resp.Header.Get("WWW-Authenticate") != "" {
			t.Errorf("bank revoking web's %s token: %d %v, WWW-Authenticate %q; want 400 unauthorized_client, no challenge",
				name, resp.StatusCode, body, resp.Header.Get("WWW-Authenticate"))
		}
	}
	if !r.active(tok.AccessToken) {
		t.Error("another client revoked web's access token")
	}
	r.refresh(tok.RefreshToken)
}

// RFC 7636 §4.2: an S256 code_challenge is BASE64URL-ENCODE(SHA256(...)),
// 43 characters; anything else is invalid_request at the redirect URI.
func TestPKCEChallengeIsA43CharacterBase64URLSHA256(t *testing.T) {
	r := newRP(t, startOP(t), "app", "")
	for _, challenge := range []string{
		strings.Repeat("a", 42),
		strings.Repeat("a", 44),
		strings.Repeat("a", 43) + "=", // padded
		strings.Repeat("a", 42) + "+", // base64, not base64url
	} {
		loc := r.firstRedirect(oauth2.SetAuthURLParam("code_challenge", challenge),
			oauth2.SetAuthURLParam("code_challenge_method", "S256"))
		if loc == nil || !strings.HasPrefix(loc.String(), rpRedirect) || loc.Query().Get("error") != "invalid_request" {
			t.Errorf("code_challenge %q: redirected to %v, want invalid_request at the redirect URI", challenge, loc)
		}
	}
}

// RFC 7636 §4.1: "code-verifier = 43*128unreserved". A verifier outside
// the syntax is invalid_request, even one that matches its challenge, and
// spends nothing: the code stays redeemable by its verifier.
func TestPKCEVerifierIs43To128UnreservedCharacters(t *testing.T) {
	issuer := startOP(t)
	r := signedIn(t, issuer, "app", "")
	ctx := context.Background()
	for _, verifier := range []string{
		"a",
		strings.Repeat("a", 42),
		strings.Repeat("a", 129),
		strings.Repeat("a", 42) + "+",
	} {
		a := &attempt{rp: r, state: randomString(), verifier: verifier}
		a.follow(r.browser.Get(r.oauth.AuthCodeURL(a.state, oauth2.S256ChallengeOption(verifier))))
		if _, err := r.oauth.Exchange(ctx, a.code(), oauth2.VerifierOption(verifier)); err == nil || !strings.Contains(err.Error(), "invalid_request") {
			t.Errorf("code_verifier %q matching its challenge: %v, want invalid_request", verifier, err)
		}
	}
	a := r.authorize(nil)
	code := a.code()
	if _, err := r.oauth.Exchange(ctx, code, oauth2.VerifierOption("a")); err == nil || !strings.Contains(err.Error(), "invalid_request") {
		t.Errorf("code_verifier %q: %v, want invalid_request", "a", err)
	}
	if _, err := r.oauth.Exchange(ctx, code, oauth2.VerifierOption(a.verifier)); err != nil {
		t.Fatalf("the code no longer works after a malformed code_verifier: %v", err)
	}
}
