package main

// Defences of the rules over sign-ins, end to end through `stepup serve`:
// each test was a working attack or a gap before its fix.

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startOPWithRules runs stepup with testClients and one signIn rule file.
func startOPWithRules(t *testing.T, rules string) runningOP {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "signIn.yaml")
	if err := os.WriteFile(file, []byte(rules), 0o600); err != nil {
		t.Fatal(err)
	}
	return startOPWithServerKeys(t, filepath.Join(dir, "data"), testClients, "rules:\n  files: ["+file+"]\n")
}

// An attacker with ivy's password, on a device of their own: the rules ask
// for mfa, and going on from the step-up page without it (an Unmet
// hand-back) is refused, because a level the rules raised cannot be
// bargained down like a voluntary acr_values; and the attacker's device
// stays new.
func TestContinuingPastARuleStepUpNeitherSignsInNorRemembersTheDevice(t *testing.T) {
	op := startOPWithRules(t, signInRules)

	// ivy registers on her laptop and sets up an authenticator app.
	ivy := newRP(t, op.issuer, "app", "")
	a := ivy.authorize(nil)
	a.register("ivy", password)
	a.follow(ivy.browser.Get(op.issuer + "/enroll?" + a.page.Request.URL.RawQuery + "&method=TOTP"))
	uri := strings.ReplaceAll(otpauthURI.FindString(a.body), "&amp;", "&")
	a.submit("/enroll", url.Values{"method": {"TOTP"}, "challenge": {challengeOf(t, a.body)}, "code": {totpCode(t, uri, time.Now())}})
	a.submit("/enroll/done", nil)
	a.tokens()

	// The attacker knows the password only.
	attacker := newRP(t, op.issuer, "app", "")
	a = attacker.authorize(nil)
	a.signIn("ivy", password)
	if !a.on("/stepup") {
		t.Fatalf("a new device: on %v, want the step-up page", a.page.Request.URL)
	}
	a.submit("/stepup", url.Values{"action": {"continue"}})
	if a.callback == nil || a.callback.Query().Get("error") == "" {
		_, id := a.tokens()
		t.Errorf("continuing past the rules' step-up signed the attacker in with acr %q; want unmet_authentication_requirements", id.ACR)
	}

	// And their device must still be new.
	u, _ := url.Parse(op.issuer)
	attacker.browser.Jar.SetCookies(u, []*http.Cookie{{Name: "stepup_session", Value: "", Path: "/", MaxAge: -1}})
	a = attacker.authorize(nil)
	a.signIn("ivy", password)
	if !a.on("/stepup") {
		_, id := a.tokens()
		t.Fatalf("the attacker's device became known without a second factor: the password alone gave acr %q", id.ACR)
	}
}

// Velocity sees a burst of sign-ins: /authorize counts the address (from
// the request the server received) and each password submitted counts
// the user.
func TestVelocityCountsSignInAttempts(t *testing.T) {
	op := startOPWithRules(t, `action: signIn
default: ALLOW
rules:
  - {id: burst, priority: 1, when: velocity.user_1m >= 3 || velocity.ip_1m >= 3, outcome: BLOCK}
`)
	a := newRP(t, op.issuer, "app", "").authorize(nil)
	a.register("ivy", password)
	a.code()
	var got []string
	for range 3 {
		a = newRP(t, op.issuer, "app", "").authorize(nil)
		if a.callback == nil { // not refused at /authorize already
			a.signIn("ivy", password)
		}
		switch {
		case a.callback == nil:
			got = append(got, "page "+a.page.Request.URL.Path)
		case a.callback.Query().Get("error") != "":
			got = append(got, a.callback.Query().Get("error"))
		default:
			got = append(got, "signed in")
		}
	}
	if got[2] != "access_denied" {
		t.Fatalf("the 2nd to 4th sign-ins of a burst from one address: %q; want the last one (at least) access_denied", got)
	}
}

// Wrong passwords reach the rules as velocity.failures_1h.
func TestFailedSignInsReachTheRules(t *testing.T) {
	op := startOPWithRules(t, `action: signIn
default: ALLOW
rules:
  - {id: guessing, priority: 1, when: velocity.failures_1h >= 3, outcome: BLOCK}
`)
	a := newRP(t, op.issuer, "app", "").authorize(nil)
	a.register("ivy", password)
	a.code()

	a = newRP(t, op.issuer, "app", "").authorize(nil)
	for range 3 {
		a.signIn("ivy", "wrong guess")
		if !a.on("/signin") {
			t.Fatalf("a wrong password: on %v", a.page.Request.URL)
		}
	}
	a.signIn("ivy", password)
	if a.callback == nil || a.callback.Query().Get("error") != "access_denied" {
		t.Fatalf("after 3 failed passwords in the hour: callback %v; want access_denied by rule guessing", a.callback)
	}
}

// A User-Agent padded to about 1 MB does not escape the BLOCK rule of
// e2e_risk_test.go: the rules see at most 512 bytes of it, and a rule
// stopped by its cost limit counts as matched.
func TestAPaddedUserAgentIsStillBlocked(t *testing.T) {
	op := startOPWithRules(t, signInRules)
	evil := newRP(t, op.issuer, "app", "")
	evil.browser.Transport = userAgent{"Mozilla/5.0 EvilBrowser/1.0 " + strings.Repeat("a", 1_010_000), http.DefaultTransport}
	a := evil.authorize(nil)
	if a.callback == nil || a.oauthError() != "access_denied" {
		t.Fatalf("EvilBrowser with a padded user agent: on %v, want access_denied", a.page.Request.URL)
	}
}

// A sign-in the rules refuse is logged with the rule that refused it.
func TestABlockIsLoggedWithItsRule(t *testing.T) {
	op := startOPWithRules(t, signInRules)
	evil := newRP(t, op.issuer, "app", "")
	evil.browser.Transport = userAgent{"Mozilla/5.0 EvilBrowser/1.0", http.DefaultTransport}
	if got := evil.authorize(nil).oauthError(); got != "access_denied" {
		t.Fatalf("error %q", got)
	}
	if !strings.Contains(op.log.String(), "blocked-agent") {
		t.Fatalf("the log does not name the rule that blocked:\n%s", op.log)
	}
}

// A browser the signIn rules block cannot sign in on the account page
// either (and set up factors there): the page asks the engine, and ends
// the session the sign-in made.
func TestABlockedBrowserCannotSetUpFactorsOnTheAccountPage(t *testing.T) {
	op := startOPWithRules(t, `action: signIn
default: ALLOW
rules:
  - {id: blocked-agent, priority: 1, when: device.user_agent.contains("EvilBrowser"), outcome: BLOCK}
`)
	a := newRP(t, op.issuer, "app", "").authorize(nil)
	a.register("ivy", password)
	a.code()

	evil := newRP(t, op.issuer, "app", "")
	evil.browser.Transport = userAgent{"Mozilla/5.0 EvilBrowser/1.0", http.DefaultTransport}
	if got := evil.authorize(nil).oauthError(); got != "access_denied" {
		t.Fatalf("the blocked browser at /authorize: %q", got)
	}
	a = &attempt{rp: evil}
	a.follow(evil.browser.Get(op.issuer + "/account"))
	a.signIn("ivy", password)
	if a.page == nil || a.page.StatusCode != http.StatusForbidden || !strings.Contains(a.body, "This sign-in is not allowed from here") {
		t.Fatalf("a browser the signIn rules block, signing in on /account: %v\n%.1500s", a.page, a.body)
	}
	// The session the sign-in page made is gone: the account page asks
	// for a sign-in again.
	a.follow(evil.browser.Get(op.issuer + "/account"))
	if !a.on("/signin") {
		t.Fatalf("after the refusal the account page is %v, want the sign-in page", a.page.Request.URL)
	}
}

// A rule that names the second factor it wants (methods: [TOTP]) can be
// met: the sign-in it steps up from still counts.
func TestARuleNamingTOTPCanBeSatisfied(t *testing.T) {
	op := startOPWithRules(t, `action: signIn
default: ALLOW
rules:
  - {id: totp-please, priority: 1, when: "true", outcome: CHALLENGE, level: mfa, methods: [TOTP]}
`)
	a := newRP(t, op.issuer, "app", "").authorize(nil)
	if !a.on("/signin") {
		t.Fatalf("on %v", a.page.Request.URL)
	}
	if !strings.Contains(a.body, `autocomplete="current-password"`) && !strings.Contains(a.body, `action="/signin/passkey"`) {
		t.Fatalf("the sign-in page of a flow the TOTP rule decided offers no way to sign in:\n%.1200s", a.body)
	}
}
