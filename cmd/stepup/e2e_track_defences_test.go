package main

// Defences of the track API and its hosted challenge: each test was a
// working attack or a gap before its fix.

import (
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"
)

// registerLocalUser registers username with a password through the OIDC
// flow of client "app" and returns their sub (stepup's user id), which a
// backend that is also this OP's relying party tracks actions for (the
// demo does exactly that with sess.Subject).
func registerLocalUser(t *testing.T, issuer, username string) string {
	t.Helper()
	r := newRP(t, issuer, "app", "")
	a := r.authorize(nil)
	a.register(username, password)
	_, claims := a.tokens()
	if claims.Subject == "" {
		t.Fatal("no sub")
	}
	return claims.Subject
}

// trackBig tracks a 1500 payment (the "big" rule: CHALLENGE mfa) for user
// with redirect, and returns the challenge URL.
func (ts *trackServer) trackBig(user, key, redirect string) string {
	ts.t.Helper()
	status, out := ts.call("POST", "/v1/users/"+user+"/actions/payment", ts.serverKey, map[string]any{
		"idempotencyKey": key, "redirectUrl": redirect, "custom": map[string]any{"amount": 1500},
	})
	if status != http.StatusOK || out["state"] != "CHALLENGE_REQUIRED" || out["url"] == nil {
		ts.t.Fatalf("track: %d %v", status, out)
	}
	return out["url"].(string)
}

// Whoever holds a challenge link cannot set up a factor on the user's
// account from it (a passkey set up so would sign its holder in to stepup
// as the user), nor sign in with the challenge's flow: the pages refuse
// both, and nothing loops.
func TestTrackChallengeLinkSetsUpNothingAndSignsNobodyIn(t *testing.T) {
	ts := startTrackServer(t)
	sub := registerLocalUser(t, ts.issuer, "victim")
	jar, _ := cookiejar.New(nil)
	r := &rp{t: t, issuer: ts.issuer, browser: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 10 {
				return errLoop
			}
			return nil
		}}}
	a := &attempt{rp: r}
	a.follow(r.browser.Get(ts.trackBig(sub, "pay-1", rpRedirect)))
	if !a.on("/stepup") || !strings.Contains(a.body, "Set up a passkey or an authenticator app on your account page") {
		t.Fatalf("the challenge of a user with no factor: on %v\n%.1500s", a.page.Request.URL, a.body)
	}
	flow := url.QueryEscape(a.page.Request.URL.Query().Get("flow"))
	for _, path := range []string{"/enroll?flow=" + flow + "&method=PASSKEY", "/enroll?flow=" + flow + "&method=TOTP", "/signin?flow=" + flow} {
		resp, err := r.browser.Get(ts.issuer + path)
		if errors.Is(err, errLoop) {
			t.Fatalf("%s loops", path)
		}
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s with the challenge's flow: %d, want 403", path, resp.StatusCode)
		}
	}
}

// The challenge page offers no password for a user who has one: a
// password never answers a challenge (the application's sign-in may have
// been that password), and signing in would make a stepup session.
func TestTrackChallengeOffersNoPassword(t *testing.T) {
	ts := startTrackServer(t)
	sub := registerLocalUser(t, ts.issuer, "pat")
	link := ts.trackBig(sub, "pay-1", rpRedirect)

	jar, _ := cookiejar.New(nil) // a browser with no stepup session
	r := ts.browser(jar)
	a := &attempt{rp: r}
	a.follow(r.browser.Get(link))
	if !a.on("/stepup") {
		t.Fatalf("the link: %v", a.page.Request.URL)
	}
	if strings.Contains(a.body, `href="/signin?flow=`) {
		t.Errorf("the challenge page offers a password sign-in, which cannot answer a challenge:\n%.800s", a.body)
	} else {
		return
	}
	// Follow the offer, as the user would.
	flow := a.page.Request.URL.Query().Get("flow")
	a.follow(r.browser.Get(ts.issuer + "/signin?flow=" + url.QueryEscape(flow)))
	a.signIn("pat", password)
	u, _ := url.Parse(ts.issuer)
	for _, c := range jar.Cookies(u) {
		if c.Name == "stepup_session" {
			t.Error("the challenge's flow left a stepup SSO session in the browser")
		}
	}
	if a.callback == nil {
		t.Fatalf("after the password the browser is on %v", a.page.Request.URL)
	}
	_, v := ts.call("POST", "/v1/validate", ts.serverKey, map[string]any{"token": a.callback.Query().Get("token")})
	if v["state"] != "CHALLENGE_SUCCEEDED" {
		t.Errorf("the password the page offered ended the challenge as %v", v["state"])
	}
	// And that session is the user's at stepup: SSO to a relying party.
	rpA := newRP(t, ts.issuer, "app", "")
	rpA.browser = r.browser
	if got := rpA.authorize(nil); got.callback != nil && got.callback.Query().Get("code") != "" {
		t.Error("the browser that answered a challenge signs in to relying parties as the user with no page")
	}
}

// A retry with the same idempotency key (the first answer was lost) gets
// the challenge's url and token again; the key reused for another request
// is a conflict, not the first decision.
func TestTrackIdempotentRetry(t *testing.T) {
	ts := startTrackServer(t)
	first := ts.track("u1", "k1", 1500)
	again := ts.track("u1", "k1", 1500)
	if again["url"] == nil || again["token"] == nil {
		t.Errorf("a retry of a CHALLENGE_REQUIRED call has no url/token: %v (first had %v)", again, first["url"])
	}
	ts.track("u1", "k2", 50) // ALLOW
	status, out := ts.call("POST", "/v1/users/u1/actions/payment", ts.serverKey, map[string]any{
		"idempotencyKey": "k2", "custom": map[string]any{"amount": 90000},
	})
	if status != http.StatusConflict {
		t.Errorf("the key of a 50 payment reused for 90000: %d %v, want 409", status, out)
	}
}

var errLoop = errors.New("redirect loop")
