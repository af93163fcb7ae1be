package main

// Defences of the track API and its hosted challenge: each test was a
// working attack or a gap before its fix.

import (
	"errors"
	"io"
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

// openChallenge opens a challenge link in the browser of a, as its user
// does: the link's page, then its Continue.
func (a *attempt) openChallenge(link string) {
	a.rp.t.Helper()
	a.follow(a.rp.browser.Get(link))
	if !a.on("/challenge") || !strings.Contains(a.body, `<form method="post" action="/challenge">`) {
		a.rp.t.Fatalf("the challenge link: %d on %v, want its page with Continue\n%.1500s", a.page.StatusCode, a.page.Request.URL, a.body)
	}
	a.submit("/challenge", nil)
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
	a.openChallenge(ts.trackBig(sub, "pay-1", rpRedirect))
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
	a.openChallenge(link)
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

// Mail and chat apps (Slack, Outlook SafeLinks, iMessage) fetch a link
// with a GET, without the user's cookies, to preview it, often before the
// user clicks. Such a fetch of a challenge link took the challenge: the
// user's own browser was then refused. The link's page now binds nothing;
// only its Continue, a form with the CSRF token of the page's cookie, does.
func TestTrackChallengeLinkPreviewTakesNothing(t *testing.T) {
	ts := startTrackServer(t)
	user, uri := registerWithTOTP(t, ts.issuer, "lena")
	link := ts.trackBig(user, "pay-1", rpRedirect)

	// The preview bot: no cookie jar, redirects followed, twice over.
	bot := &http.Client{Timeout: 10 * time.Second}
	var page string
	for range 2 {
		req, _ := http.NewRequest(http.MethodGet, link, nil)
		req.Header.Set("User-Agent", "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)")
		resp, err := bot.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		page = string(body)
		if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/challenge" ||
			!strings.Contains(page, `<form method="post" action="/challenge">`) || !strings.Contains(page, "<strong>payment</strong>") ||
			!strings.Contains(page, "a second proof of who you are") {
			t.Errorf("the preview's GET: %d on %v, want the link's page naming the payment\n%.1500s", resp.StatusCode, resp.Request.URL, page)
		}
		// The page carries the token: no cache keeps it, no Referer sends
		// it on, and no script runs but the site's own.
		if h := resp.Header; h.Get("Cache-Control") != "no-store" || h.Get("Referrer-Policy") != "no-referrer" ||
			!strings.Contains(h.Get("Content-Security-Policy"), "script-src 'self';") {
			t.Errorf("the link's page: Cache-Control %q, Referrer-Policy %q, Content-Security-Policy %q",
				h.Get("Cache-Control"), h.Get("Referrer-Policy"), h.Get("Content-Security-Policy"))
		}
	}
	// A bot that posts the form, without the cookie the page came with,
	// has no valid CSRF token.
	form := url.Values{}
	for _, m := range hiddenInput.FindAllStringSubmatch(page, -1) {
		form.Set(m[1], strings.ReplaceAll(m[2], "&#43;", "+"))
	}
	if form.Get("token") == "" || form.Get("csrf") == "" {
		t.Errorf("the link's page has no token and CSRF token to post: %v", form)
	}
	if resp, err := bot.PostForm(ts.issuer+"/challenge", form); err != nil {
		t.Fatal(err)
	} else if resp.Body.Close(); resp.StatusCode != http.StatusForbidden {
		t.Errorf("Continue without the page's cookie: %d, want 403", resp.StatusCode)
	}

	// The user's browser: the page, Continue, and the app's code.
	jar, _ := cookiejar.New(nil)
	a := &attempt{rp: ts.browser(jar)}
	a.openChallenge(link)
	if !a.on("/stepup") || !strings.Contains(a.body, `name="code"`) {
		t.Fatalf("Continue after the previews: on %v\n%.1500s", a.page.Request.URL, a.body)
	}
	a.submit("/stepup/verify", url.Values{"method": {"TOTP"}, "code": {totpCode(t, uri, time.Now().Add(30*time.Second))}})
	if a.callback == nil {
		t.Fatalf("after the code the browser is on %v\n%.1500s", a.page.Request.URL, a.body)
	}
	if _, v := ts.call("POST", "/v1/validate", ts.serverKey, map[string]any{"token": a.callback.Query().Get("token")}); v["state"] != "CHALLENGE_SUCCEEDED" {
		t.Errorf("the user's answer after the previews: %v, want CHALLENGE_SUCCEEDED", v)
	}
}

// Of two browsers that continue from the same link's page, the first owns
// the challenge, and the second is refused, as a link forwarded or leaked
// in a log is; its page then says so at once. The owner may come back.
func TestTrackChallengeFirstBrowserToContinueOwnsIt(t *testing.T) {
	ts := startTrackServer(t)
	sub := registerLocalUser(t, ts.issuer, "olga")
	link := ts.trackBig(sub, "pay-1", rpRedirect)

	var first, second *attempt
	for _, a := range []**attempt{&first, &second} {
		jar, _ := cookiejar.New(nil)
		*a = &attempt{rp: ts.browser(jar)}
		(*a).follow((*a).rp.browser.Get(link))
		if !(*a).on("/challenge") || !strings.Contains((*a).body, `action="/challenge"`) {
			t.Fatalf("the link: %d on %v, want its page\n%.1500s", (*a).page.StatusCode, (*a).page.Request.URL, (*a).body)
		}
	}
	first.submit("/challenge", nil)
	if !first.on("/stepup") {
		t.Fatalf("the first Continue: on %v, want the step-up page\n%.1500s", first.page.Request.URL, first.body)
	}
	const refused = "was used already, or was opened in another browser"
	second.submit("/challenge", nil)
	if second.page.StatusCode != http.StatusBadRequest || !strings.Contains(second.body, refused) {
		t.Errorf("the second Continue: %d on %v, want 400, opened in another browser\n%.1500s",
			second.page.StatusCode, second.page.Request.URL, second.body)
	}
	second.follow(second.rp.browser.Get(link))
	if second.page.StatusCode != http.StatusBadRequest || !strings.Contains(second.body, refused) {
		t.Errorf("the link again in the second browser: %d, want 400, opened in another browser\n%.1500s", second.page.StatusCode, second.body)
	}
	first.openChallenge(link)
	if !first.on("/stepup") {
		t.Errorf("the link again in its browser: on %v, want the step-up page", first.page.Request.URL)
	}
}

var errLoop = errors.New("redirect loop")
