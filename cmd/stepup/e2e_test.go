package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// The end-to-end tests run a real `stepup serve` on a loopback port and
// drive it as a relying party does, with coreos/go-oidc and x/oauth2, and
// as a browser does, with a cookie jar that follows redirects and submits
// the hosted pages' forms.

const rpRedirect = "http://localhost:9/callback" // never dialled: the browser stops at it

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// testClients are the clients of startOP: a public client "app", a
// confidential client "bank" (minimum mfa, RS256), a confidential client
// with opaque access tokens, and a confidential client "web".
var testClients = fmt.Sprintf(`    - id: app
      redirect_uris: [%[1]s]
    - id: bank
      secret: a-long-enough-secret-for-the-bank-client
      redirect_uris: [%[1]s]
      minimum_acr: mfa
      signing_alg: RS256
    - id: opaque
      secret: a-long-enough-secret-for-the-opaque-client
      redirect_uris: [%[1]s]
      access_token_format: opaque
    - id: web
      secret: a-long-enough-secret-for-the-web-client
      redirect_uris: [%[1]s]
`, rpRedirect)

// startOP runs stepup with testClients and returns its issuer URL.
func startOP(t *testing.T) string {
	t.Helper()
	return startOPWithClients(t, filepath.Join(t.TempDir(), "data"), testClients).issuer
}

// runningOP is a `stepup serve` started by startOPWithClients.
type runningOP struct {
	*server
	issuer string
	config string // its configuration file, to restart it or run other commands with
}

// startOPWithClients runs stepup with the clients given as YAML list items
// under oidc.clients (none if empty), keeping its data in dataDir. The
// cheapest password parameters keep sign-ins fast.
func startOPWithClients(t *testing.T, dataDir, clients string) runningOP {
	t.Helper()
	return startOPWithServerKeys(t, dataDir, clients, "")
}

// startOPWithServerKeys is startOPWithClients with more keys of the server
// section, as YAML lines indented by two spaces.
func startOPWithServerKeys(t *testing.T, dataDir, clients, serverKeys string) runningOP {
	t.Helper()
	port := freePort(t)
	issuer := fmt.Sprintf("http://localhost:%d", port)
	cfg := fmt.Sprintf(`server:
  listen: 127.0.0.1:%d
  public_url: %s
  shutdown_timeout: 5s
%sstore:
  memdb:
    dir: %q
passwords:
  memory_kib: 8
  iterations: 1
`, port, issuer, serverKeys, dataDir)
	if clients != "" {
		cfg += "oidc:\n  clients:\n" + clients
	}
	path := filepath.Join(t.TempDir(), "stepup.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return runningOP{server: startServer(t, path), issuer: issuer, config: path}
}

// rp is a relying party with a browser.
type rp struct {
	t        *testing.T
	issuer   string
	provider *gooidc.Provider
	oauth    oauth2.Config
	browser  *http.Client
}

func newRP(t *testing.T, issuer, clientID, secret string) *rp {
	t.Helper()
	ctx := context.Background()
	provider, err := gooidc.NewProvider(ctx, issuer)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	jar, _ := cookiejar.New(nil)
	return &rp{
		t: t, issuer: issuer, provider: provider,
		oauth: oauth2.Config{ClientID: clientID, ClientSecret: secret, Endpoint: provider.Endpoint(),
			RedirectURL: rpRedirect, Scopes: []string{gooidc.ScopeOpenID, "profile"}},
		browser: &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
			if strings.HasPrefix(req.URL.String(), rpRedirect) {
				return http.ErrUseLastResponse
			}
			return nil
		}},
	}
}

// attempt is one authorization request on its way.
type attempt struct {
	rp       *rp
	state    string
	nonce    string
	verifier string
	page     *http.Response // the hosted page the browser is on, or nil
	body     string
	callback *url.URL // the redirect to the relying party, once there
}

// authorize starts an authorization request with extra parameters.
func (r *rp) authorize(extra url.Values) *attempt {
	r.t.Helper()
	a := &attempt{rp: r, state: randomString(), nonce: randomString(), verifier: oauth2.GenerateVerifier()}
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(a.verifier), gooidc.Nonce(a.nonce)}
	for k := range extra {
		opts = append(opts, oauth2.SetAuthURLParam(k, extra.Get(k)))
	}
	a.follow(r.browser.Get(r.oauth.AuthCodeURL(a.state, opts...)))
	return a
}

// follow records where the browser ended: a page or the callback.
func (a *attempt) follow(resp *http.Response, err error) {
	a.rp.t.Helper()
	if err != nil {
		a.rp.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a.page, a.body, a.callback = nil, string(b), nil
	if loc, err := resp.Location(); err == nil && strings.HasPrefix(loc.String(), rpRedirect) {
		a.callback = loc
		return
	}
	a.page = resp
}

// on reports whether the browser is on the hosted page at path.
func (a *attempt) on(path string) bool { return a.page != nil && a.page.Request.URL.Path == path }

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="(flow|csrf|intent|token)" value="([^"]*)">`)

// submit posts the form of the current page to path with fields.
func (a *attempt) submit(path string, fields url.Values) {
	a.rp.t.Helper()
	if a.page == nil {
		a.rp.t.Fatalf("no page to submit %s from; callback %v", path, a.callback)
	}
	form := url.Values{}
	for k, v := range fields {
		form[k] = v
	}
	for _, m := range hiddenInput.FindAllStringSubmatch(a.body, -1) {
		form.Set(m[1], strings.ReplaceAll(m[2], "&#43;", "+"))
	}
	target := a.page.Request.URL.ResolveReference(&url.URL{Path: path})
	req, _ := http.NewRequest(http.MethodPost, target.String(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", a.rp.issuer)
	a.follow(a.rp.browser.Do(req))
}

// register creates an account on the sign-in page (via its register link).
func (a *attempt) register(username, password string) {
	a.rp.t.Helper()
	if !a.on("/signin") {
		a.rp.t.Fatalf("expected the sign-in page, got %v (callback %v)", a.page, a.callback)
	}
	// The register page takes the same flow.
	a.follow(a.rp.browser.Get(a.rp.issuer + "/register?" + a.page.Request.URL.RawQuery))
	a.submit("/register", url.Values{"username": {username}, "password": {password}, "confirm": {password}})
}

func (a *attempt) signIn(username, password string) {
	a.rp.t.Helper()
	a.submit("/signin", url.Values{"username": {username}, "password": {password}})
}

// code returns the authorization code of the callback, failing on an error.
func (a *attempt) code() string {
	a.rp.t.Helper()
	if a.callback == nil {
		a.rp.t.Fatalf("no callback; the browser is on %v:\n%.600s", a.page.Request.URL, a.body)
	}
	q := a.callback.Query()
	if q.Get("error") != "" {
		a.rp.t.Fatalf("the OP answered %s: %s", q.Get("error"), q.Get("error_description"))
	}
	if q.Get("state") != a.state {
		a.rp.t.Fatalf("state %q, want %q", q.Get("state"), a.state)
	}
	return q.Get("code")
}

// oauthError returns the error of the callback.
func (a *attempt) oauthError() string {
	a.rp.t.Helper()
	if a.callback == nil {
		a.rp.t.Fatalf("no callback; the browser is on %v", a.page.Request.URL)
	}
	return a.callback.Query().Get("error")
}

// tokens exchanges the code and verifies the ID token with go-oidc.
func (a *attempt) tokens() (*oauth2.Token, idClaims) {
	a.rp.t.Helper()
	tok, err := a.rp.oauth.Exchange(context.Background(), a.code(), oauth2.VerifierOption(a.verifier))
	if err != nil {
		a.rp.t.Fatalf("code exchange: %v", err)
	}
	return tok, a.rp.verifyIDToken(tok, a.nonce)
}

type idClaims struct {
	Subject  string   `json:"sub"`
	ACR      string   `json:"acr"`
	AMR      []string `json:"amr"`
	AuthTime int64    `json:"auth_time"`
	Nonce    string   `json:"nonce"`
	SID      string   `json:"sid"`
}

func (r *rp) verifyIDToken(tok *oauth2.Token, nonce string) idClaims {
	r.t.Helper()
	raw, _ := tok.Extra("id_token").(string)
	algs := []string{"ES256", "RS256", "EdDSA"}
	idt, err := r.provider.Verifier(&gooidc.Config{ClientID: r.oauth.ClientID, SupportedSigningAlgs: algs}).Verify(context.Background(), raw)
	if err != nil {
		r.t.Fatalf("go-oidc rejects the ID token: %v", err)
	}
	var c idClaims
	if err := idt.Claims(&c); err != nil {
		r.t.Fatal(err)
	}
	if nonce != "" && c.Nonce != nonce {
		r.t.Errorf("nonce %q, want %q", c.Nonce, nonce)
	}
	return c
}

// jwtParts decodes a JWT's header and claims without verifying it.
func jwtParts(t *testing.T, raw string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %.40s", raw)
	}
	for i, dst := range []*map[string]any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			t.Fatal(err)
		}
	}
	return header, claims
}

func randomString() string { return oauth2.GenerateVerifier()[:22] }
