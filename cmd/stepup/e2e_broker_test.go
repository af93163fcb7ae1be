package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/stepup-auth/stepup/stepup/factor/deliver/delivertest"
)

// stepup as an external IdP of a broker: Keycloak's "OpenID Connect
// v1.0" identity provider and a Cognito user pool's OIDC identity
// provider (docs/keycloak-broker.md, docs/cognito-idp.md). The tests play
// the broker's side of the wire as each one's documentation and source
// describe it, with plain HTTP rather than an OIDC library, so that what
// is sent is exactly what the broker sends.

const (
	keycloakSecret = "a-long-enough-secret-for-the-keycloak-broker"
	cognitoSecret  = "a-long-enough-secret-for-the-cognito-user-pool"
)

// brokerClients are configured as docs/keycloak-broker.md and
// docs/cognito-idp.md say.
var brokerClients = fmt.Sprintf(`    - id: keycloak
      secret: %[2]s
      redirect_uris: [%[1]s]
      signing_alg: RS256
    - id: cognito
      secret: %[3]s
      redirect_uris: [%[1]s]
      signing_alg: RS256
      pkce_optional: true
`, rpRedirect, keycloakSecret, cognitoSecret)

// startBrokerOP runs stepup with brokerClients, sending email to a real
// SMTP server inside the test.
func startBrokerOP(t *testing.T) (runningOP, *delivertest.Mailbox) {
	t.Helper()
	mb := delivertest.StartMailbox(t)
	delivery := fmt.Sprintf(`delivery:
  site_name: Example Bank
  resend_cooldown: 1s
  email: {smtp: %q, from: "Example Bank <no-reply@bank.test>", security: plaintext}
`, mb.Addr)
	return startOPWithServerKeys(t, filepath.Join(t.TempDir(), "data"), brokerClients, delivery), mb
}

// broker is a relying party as a broker is one: discovery read as JSON,
// the token request sent by hand.
type broker struct {
	t     *testing.T
	rp    *rp // the browser and the authorization request
	disco struct {
		Issuer           string   `json:"issuer"`
		TokenEndpoint    string   `json:"token_endpoint"`
		UserinfoEndpoint string   `json:"userinfo_endpoint"`
		JWKSURI          string   `json:"jwks_uri"`
		IDTokenAlgs      []string `json:"id_token_signing_alg_values_supported"`
		TokenAuthMethods []string `json:"token_endpoint_auth_methods_supported"`
		ClaimsSupported  []string `json:"claims_supported"`
		ACRValues        []string `json:"acr_values_supported"`
		ScopesSupported  []string `json:"scopes_supported"`
	}
	secret string
}

func newBroker(t *testing.T, issuer, clientID, secret string) *broker {
	t.Helper()
	b := &broker{t: t, rp: newRP(t, issuer, clientID, secret), secret: secret}
	b.rp.oauth.Scopes = []string{"openid", "profile", "email"}
	brokerGet(t, issuer+"/.well-known/openid-configuration", "", &b.disco)
	return b
}

// brokerGet decodes the JSON a GET of u answers with 200, sending a bearer
// token if one is given.
func brokerGet(t *testing.T, u, bearer string, v any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	decodeOK(t, req, v)
}

func decodeOK(t *testing.T, req *http.Request, v any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %s\n%s", req.Method, req.URL, resp.Status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("%s %s: %v\n%s", req.Method, req.URL, err, body)
	}
}

// authorizeWithoutPKCE starts an authorization request as a broker that
// sends no PKCE does: state, a nonce unless noNonce, and extra.
func (b *broker) authorizeWithoutPKCE(extra url.Values, noNonce bool) *attempt {
	b.t.Helper()
	r := b.rp
	a := &attempt{rp: r, state: randomString()}
	var opts []oauth2.AuthCodeOption
	if !noNonce {
		a.nonce = randomString()
		opts = append(opts, gooidc.Nonce(a.nonce))
	}
	for k := range extra {
		opts = append(opts, oauth2.SetAuthURLParam(k, extra.Get(k)))
	}
	a.follow(r.browser.Get(r.oauth.AuthCodeURL(a.state, opts...)))
	return a
}

// brokerTokens is the token response a broker reads.
type brokerTokens struct {
	AccessToken string `json:"access_token"`
	IDToken     string `json:"id_token"`
	TokenType   string `json:"token_type"`
}

// exchange redeems the attempt's code as the broker's token request does:
// the client's secret in the body (client_secret_post) or, RFC 6749
// §2.3.1's way, form-encoded in a Basic header (client_secret_basic); the
// code_verifier only if the authorization request had a challenge.
func (b *broker) exchange(a *attempt, basic, pkce bool) brokerTokens {
	b.t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {a.code()}, "redirect_uri": {rpRedirect}}
	if pkce {
		form.Set("code_verifier", a.verifier)
	}
	if !basic {
		form.Set("client_id", b.rp.oauth.ClientID)
		form.Set("client_secret", b.secret)
	}
	req, _ := http.NewRequest(http.MethodPost, b.disco.TokenEndpoint, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic {
		req.SetBasicAuth(url.QueryEscape(b.rp.oauth.ClientID), url.QueryEscape(b.secret))
	}
	var tok brokerTokens
	decodeOK(b.t, req, &tok)
	if tok.AccessToken == "" || tok.IDToken == "" || !strings.EqualFold(tok.TokenType, "bearer") {
		b.t.Fatalf("token response %+v", tok)
	}
	return tok
}

// brokerClaims are the ID token's or userinfo's claims a broker maps.
type brokerClaims struct {
	Issuer        string   `json:"iss"`
	Subject       string   `json:"sub"`
	Audience      []string `json:"aud"`
	AZP           string   `json:"azp"`
	Expiry        int64    `json:"exp"`
	Nonce         string   `json:"nonce"`
	ACR           string   `json:"acr"`
	AMR           []string `json:"amr"`
	AuthTime      int64    `json:"auth_time"`
	Username      string   `json:"preferred_username"`
	Email         string   `json:"email"`
	EmailVerified *bool    `json:"email_verified"`
}

// verifyIDToken checks the ID token as a broker does, against the keys
// at jwks_uri and nothing else: signed with RS256 by the key its kid
// names, of this issuer, for this client, not expired, with the nonce
// the broker sent. It returns the claims and the raw claim set.
func (b *broker) verifyIDToken(raw, nonce string) (brokerClaims, map[string]any) {
	b.t.Helper()
	jws, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		b.t.Fatalf("the ID token is not an RS256 JWS: %v", err)
	}
	kid := jws.Signatures[0].Header.KeyID
	if kid == "" {
		b.t.Fatal("the ID token names no key (kid), which Cognito requires")
	}
	var set jose.JSONWebKeySet
	brokerGet(b.t, b.disco.JWKSURI, "", &set)
	keys := set.Key(kid)
	if len(keys) != 1 || keys[0].Algorithm != "RS256" || keys[0].Use != "sig" {
		b.t.Fatalf("jwks_uri has %d keys of kid %q: %+v", len(keys), kid, keys)
	}
	payload, err := jws.Verify(keys[0])
	if err != nil {
		b.t.Fatalf("the ID token's signature does not verify with jwks_uri's key: %v", err)
	}
	var c brokerClaims
	var all map[string]any
	if err := json.Unmarshal(payload, &c); err != nil {
		b.t.Fatal(err)
	}
	_ = json.Unmarshal(payload, &all)
	switch {
	case c.Issuer != b.disco.Issuer:
		b.t.Errorf("iss %q, want %q", c.Issuer, b.disco.Issuer)
	case !slices.Contains(c.Audience, b.rp.oauth.ClientID) || c.AZP != b.rp.oauth.ClientID:
		b.t.Errorf("aud %v azp %q, want %q", c.Audience, c.AZP, b.rp.oauth.ClientID)
	case time.Unix(c.Expiry, 0).Before(time.Now()):
		b.t.Errorf("expired at %d", c.Expiry)
	case c.Nonce != nonce:
		b.t.Errorf("nonce %q, want %q", c.Nonce, nonce)
	}
	return c, all
}

// userinfo asks the userinfo endpoint with the access token as a bearer
// token, by GET or by POST with an empty body; with method "POST form",
// by POST with the token in the body (RFC 6750 §2.2).
func (b *broker) userinfo(accessToken, method string) (brokerClaims, map[string]any) {
	b.t.Helper()
	var req *http.Request
	if method == "POST form" {
		req, _ = http.NewRequest(http.MethodPost, b.disco.UserinfoEndpoint, strings.NewReader(url.Values{"access_token": {accessToken}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req, _ = http.NewRequest(method, b.disco.UserinfoEndpoint, nil)
		req.Header.Set("Authorization", "Bearer "+accessToken)
	}
	var all map[string]any
	decodeOK(b.t, req, &all)
	raw, _ := json.Marshal(all)
	var c brokerClaims
	if err := json.Unmarshal(raw, &c); err != nil {
		b.t.Fatal(err)
	}
	return c, all
}

// checkDiscovery checks what a broker reads from discovery.
func (b *broker) checkDiscovery() {
	b.t.Helper()
	d := b.disco
	for _, want := range []struct {
		what string
		list []string
		has  []string
	}{
		{"id_token_signing_alg_values_supported", d.IDTokenAlgs, []string{"RS256"}},
		{"token_endpoint_auth_methods_supported", d.TokenAuthMethods, []string{"client_secret_post", "client_secret_basic"}},
		{"claims_supported", d.ClaimsSupported, []string{"acr", "amr", "auth_time", "email", "email_verified"}},
		{"acr_values_supported", d.ACRValues, []string{"urn:stepup:acr:mfa"}},
		{"scopes_supported", d.ScopesSupported, []string{"openid", "profile", "email"}},
	} {
		for _, v := range want.has {
			if !slices.Contains(want.list, v) {
				b.t.Errorf("discovery: %s %v lacks %s", want.what, want.list, v)
			}
		}
	}
	if d.UserinfoEndpoint == "" || d.JWKSURI == "" || d.TokenEndpoint == "" {
		b.t.Errorf("discovery lacks an endpoint: %+v", d)
	}
}

// Keycloak's OIDC identity provider (identity brokering) signs a user in
// through stepup: it forwards the application's acr_values and, with
// "Pass login_hint", its login_hint; it sends PKCE S256 ("Use PKCE"), a
// nonce and scope openid profile email, and redeems the code with
// client_secret_post, its default. The user registers, steps up with an
// authenticator app, and Keycloak gets acr and amr in an RS256 ID token
// it checks against jwks_uri, and the same at userinfo. A second sign-in,
// by the session, redeems its code with client_secret_basic.
func TestKeycloakBrokersThroughStepup(t *testing.T) {
	op, _ := startBrokerOP(t)
	b := newBroker(t, op.issuer, "keycloak", keycloakSecret)
	b.checkDiscovery()

	kc := url.Values{"acr_values": {"urn:stepup:acr:mfa"}, "login_hint": {"ivan"}}
	a := b.rp.authorize(kc)
	if !a.on("/signin") || !strings.Contains(a.body, `value="ivan"`) {
		t.Fatalf("the sign-in page does not take the forwarded login_hint:\n%.1500s", a.body)
	}
	a.register("ivan", password)
	if !a.on("/stepup") {
		t.Fatalf("a forwarded acr_values of mfa: not on the step-up page but %v\n%.800s", a.page, a.body)
	}
	a.follow(b.rp.browser.Get(op.issuer + "/enroll?" + a.page.Request.URL.RawQuery + "&method=TOTP"))
	uri := strings.ReplaceAll(otpauthURI.FindString(a.body), "&amp;", "&")
	a.submit("/enroll", url.Values{"method": {"TOTP"}, "challenge": {challengeOf(t, a.body)}, "code": {totpCode(t, uri, time.Now())}})
	a.submit("/enroll/done", nil)

	tok := b.exchange(a, false, true)
	id, _ := b.verifyIDToken(tok.IDToken, a.nonce)
	if id.ACR != "urn:stepup:acr:mfa" || strings.Join(id.AMR, " ") != "pwd otp mfa" || id.AuthTime == 0 {
		t.Errorf("ID token: acr %q amr %v auth_time %d, want mfa, pwd otp mfa and a time", id.ACR, id.AMR, id.AuthTime)
	}
	if id.Username != "ivan" {
		t.Errorf("ID token: preferred_username %q", id.Username)
	}
	// Keycloak's user info request is a GET with the bearer token.
	for _, method := range []string{http.MethodGet, http.MethodPost, "POST form"} {
		info, _ := b.userinfo(tok.AccessToken, method)
		if info.Subject != id.Subject || info.ACR != id.ACR || !slices.Equal(info.AMR, id.AMR) || info.AuthTime != id.AuthTime {
			t.Errorf("userinfo by %s: %+v, want the ID token's sub, acr, amr and auth_time", method, info)
		}
		// No address was proved: neither says one, and neither says
		// email_verified of nothing.
		if info.Email != id.Email || info.Email != "" || info.EmailVerified != nil || id.EmailVerified != nil {
			t.Errorf("userinfo by %s: email %q verified %v; ID token %q %v", method, info.Email, info.EmailVerified, id.Email, id.EmailVerified)
		}
	}

	// Keycloak's "Client secret as basic auth".
	again := b.rp.authorize(kc)
	tok = b.exchange(again, true, true)
	if id, _ := b.verifyIDToken(tok.IDToken, again.nonce); id.ACR != "urn:stepup:acr:mfa" {
		t.Errorf("second sign-in: acr %q", id.ACR)
	}
}

// cognitoAttributes maps claims to user pool attributes as a Cognito
// user pool's attribute mapping does (docs/cognito-idp.md): each mapped
// claim present sets its attribute, a string as it is, true and false as
// "true" and "false", and a claim of several values (amr) as the values
// joined, each form-encoded where it is not alphanumeric or one of
// . - * _ (AWS: "Cognito will URL form encode the values containing
// non-alphanumeric characters"). The separator of the values is not
// documented; this takes a comma: check in your pool.
func cognitoAttributes(claims map[string]any, mapping map[string]string) map[string]string {
	encode := func(s string) string {
		var out strings.Builder
		for _, r := range s {
			if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(".-*_", r)) {
				out.WriteRune(r)
				continue
			}
			out.WriteString(url.QueryEscape(string(r)))
		}
		return out.String()
	}
	attrs := map[string]string{}
	for attr, claim := range mapping {
		switch v := claims[claim].(type) {
		case string:
			attrs[attr] = v
		case bool:
			attrs[attr] = fmt.Sprint(v)
		case []any:
			parts := make([]string, len(v))
			for i, e := range v {
				parts[i] = encode(fmt.Sprint(e))
			}
			attrs[attr] = strings.Join(parts, ",")
		}
	}
	return attrs
}

// A Cognito user pool's OIDC identity provider: scope openid email
// profile, a nonce but no PKCE (its documentation has no PKCE setting for
// an OIDC IdP, so the client has pkce_optional), client_secret_post (the
// only client authentication Cognito supports), an RS256 client, and
// "attributes_request_method" GET, by
// which Cognito asks userinfo for the attributes it maps, with the access
// token as a bearer token. The user proves an email address at the step-up
// and Cognito maps email, email_verified, acr and amr (into custom:acr and
// custom:amr).
func TestCognitoFederatesToStepup(t *testing.T) {
	op, mb := startBrokerOP(t)
	b := newBroker(t, op.issuer, "cognito", cognitoSecret)
	b.checkDiscovery()

	a := b.authorizeWithoutPKCE(url.Values{"acr_values": {"urn:stepup:acr:mfa"}}, false)
	a.register("erin", password)
	if !a.on("/stepup") {
		t.Fatalf("asking for mfa: not on the step-up page but %v", a.page)
	}
	a.follow(b.rp.browser.Get(op.issuer + "/enroll?" + a.page.Request.URL.RawQuery + "&method=EMAIL_OTP"))
	a.submit("/enroll/send", url.Values{"method": {"EMAIL_OTP"}, "destination": {"erin@example.com"}})
	mail := mb.Wait(t, "erin@example.com", 1)
	a.submit("/enroll", url.Values{"method": {"EMAIL_OTP"}, "challenge": {challengeOf(t, a.body)}, "code": {codeFrom(t, mail.Text)}})
	a.submit("/enroll/done", nil)

	tok := b.exchange(a, false, false)
	id, _ := b.verifyIDToken(tok.IDToken, a.nonce)
	if id.Email != "erin@example.com" || id.EmailVerified == nil || !*id.EmailVerified {
		t.Errorf("ID token: email %q verified %v, want the proved address, verified", id.Email, id.EmailVerified)
	}
	info, claims := b.userinfo(tok.AccessToken, http.MethodGet)
	if info.Subject != id.Subject || info.Email != id.Email || info.EmailVerified == nil || !*info.EmailVerified {
		t.Errorf("userinfo: %+v, want the ID token's sub and verified email", info)
	}
	mapping := map[string]string{
		"username": "sub", "email": "email", "email_verified": "email_verified",
		"custom:acr": "acr", "custom:amr": "amr",
	}
	got := cognitoAttributes(claims, mapping)
	want := map[string]string{
		"username": id.Subject, "email": "erin@example.com", "email_verified": "true",
		"custom:acr": "urn:stepup:acr:mfa", "custom:amr": "pwd,otp,mfa",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("Cognito would map %s = %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
}

// PKCE is optional only for a confidential client configured so, and
// only with a nonce; a code issued without a challenge takes no
// code_verifier (RFC 9700 §4.8.2), and one issued with a challenge is not
// redeemed without its verifier.
func TestPKCEOptionalOnlyWhereConfigured(t *testing.T) {
	op, _ := startBrokerOP(t)
	kc := newBroker(t, op.issuer, "keycloak", keycloakSecret)
	if a := kc.authorizeWithoutPKCE(nil, false); a.oauthError() != "invalid_request" {
		t.Errorf("keycloak (PKCE required) without PKCE: %q", a.oauthError())
	}
	cg := newBroker(t, op.issuer, "cognito", cognitoSecret)
	if a := cg.authorizeWithoutPKCE(nil, true); a.oauthError() != "invalid_request" ||
		!strings.Contains(a.callback.Query().Get("error_description"), "nonce") {
		t.Errorf("cognito without PKCE nor nonce: %v", a.callback)
	}
	a := cg.authorizeWithoutPKCE(nil, false)
	a.register("fay", password)
	code := a.code()
	post := func(form url.Values) int {
		form.Set("grant_type", "authorization_code")
		form.Set("code", code)
		form.Set("redirect_uri", rpRedirect)
		form.Set("client_id", "cognito")
		form.Set("client_secret", cognitoSecret)
		resp, err := http.PostForm(cg.disco.TokenEndpoint, form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post(url.Values{"code_verifier": {oauth2.GenerateVerifier()}}); got != http.StatusBadRequest {
		t.Errorf("a code_verifier for a request without a challenge: %d", got)
	}
	if got := post(url.Values{}); got != http.StatusOK {
		t.Errorf("the code without a verifier, after a refused try: %d", got)
	}
	// The same client's request with PKCE must still prove it.
	b := cg.rp.authorize(nil)
	code = b.code()
	if got := post(url.Values{}); got != http.StatusBadRequest {
		t.Errorf("a code of a request with a challenge, without its verifier: %d", got)
	}
	if got := post(url.Values{"code_verifier": {b.verifier}}); got != http.StatusOK {
		t.Errorf("the code with its verifier: %d", got)
	}
}
