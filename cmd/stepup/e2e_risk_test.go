package main

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// signInRules challenge a sign-in from a device the user has not signed
// in on before, and block one browser outright.
const signInRules = `action: signIn
default: ALLOW
rules:
  - id: blocked-agent
    priority: 1
    when: device.user_agent.contains("EvilBrowser")
    outcome: BLOCK
  - id: new-device
    priority: 10
    when: user.exists && device.new
    outcome: CHALLENGE
    level: mfa
`

// The rules of the configuration decide OpenID Connect sign-ins, over the
// device signal: the device cookie the hosted pages set names the browser,
// a sign-in there makes it known, and a known device signs in with a
// password alone where a new one must step up.
func TestRulesDecideTheSignIn(t *testing.T) {
	dir := t.TempDir()
	rulesFile := filepath.Join(dir, "signIn.yaml")
	if err := os.WriteFile(rulesFile, []byte(signInRules), 0o600); err != nil {
		t.Fatal(err)
	}
	// The extra keys end the server section and open the rules section.
	issuer := startOPWithServerKeys(t, filepath.Join(dir, "data"), testClients, "rules:\n  files: ["+rulesFile+"]\n").issuer

	// A first sign-in registers, on a device new to the account: the
	// rules ask for mfa, so the user sets up an authenticator app.
	r := newRP(t, issuer, "app", "")
	a := r.authorize(nil)
	a.register("ivy", password)
	if !a.on("/stepup") {
		t.Fatalf("a first sign-in on a new device: on %v, want the step-up page\n%.1500s", a.page.Request.URL, a.body)
	}
	a.follow(r.browser.Get(issuer + "/enroll?" + a.page.Request.URL.RawQuery + "&method=TOTP"))
	uri := strings.ReplaceAll(otpauthURI.FindString(a.body), "&amp;", "&")
	a.submit("/enroll", url.Values{"method": {"TOTP"}, "challenge": {challengeOf(t, a.body)}, "code": {totpCode(t, uri, time.Now())}})
	a.submit("/enroll/done", nil)
	if _, id := a.tokens(); id.ACR != "urn:stepup:acr:mfa" {
		t.Fatalf("the first sign-in: acr %q, want mfa", id.ACR)
	}

	// The same browser, its stepup session gone: the device is known now,
	// and a password is enough.
	u, _ := url.Parse(issuer)
	r.browser.Jar.SetCookies(u, []*http.Cookie{{Name: "stepup_session", Value: "", Path: "/", MaxAge: -1}})
	a = r.authorize(nil)
	a.signIn("ivy", password)
	if _, id := a.tokens(); id.ACR != "urn:stepup:acr:1fa" {
		t.Fatalf("a password on the known device: acr %q, want 1fa", id.ACR)
	}

	// Another browser is another device: the password is not enough.
	other := newRP(t, issuer, "app", "")
	a = other.authorize(nil)
	a.signIn("ivy", password)
	if !a.on("/stepup") {
		t.Fatalf("a password on another device: on %v, want the step-up page", a.page.Request.URL)
	}

	// A browser the rules block is refused before it signs in.
	evil := newRP(t, issuer, "app", "")
	evil.browser.Transport = userAgent{"Mozilla/5.0 EvilBrowser/1.0", http.DefaultTransport}
	a = evil.authorize(nil)
	if got := a.oauthError(); got != "access_denied" {
		t.Fatalf("the blocked browser: error %q, want access_denied", got)
	}
}

// userAgent sets the User-Agent of every request.
type userAgent struct {
	value string
	next  http.RoundTripper
}

func (u userAgent) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("User-Agent", u.value)
	return u.next.RoundTrip(r)
}
