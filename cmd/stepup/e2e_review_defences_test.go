package main

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// heldAt signs username in from a new browser (a new device: the review
// rule holds it) and returns the attempt, on the review page.
func heldAt(t *testing.T, ts *trackServer, username string, extra url.Values) (*rp, *attempt) {
	t.Helper()
	r := newRP(t, ts.issuer, "app", "")
	a := r.authorize(extra)
	a.signIn(username, password)
	if !a.on("/review") {
		t.Fatalf("a sign-in from a new device: on %v\n%.800s", a.page.Request.URL, a.body)
	}
	return r, a
}

// reviewAs decides the pending review of sub.
func reviewAs(t *testing.T, ts *trackServer, sub string, approve bool) {
	t.Helper()
	state := "REVIEW_FAILED"
	if approve {
		state = "REVIEW_SUCCEEDED"
	}
	key := pendingReviewKey(t, ts, sub)
	if status, out := ts.call("PATCH", "/v1/users/"+sub+"/actions/signIn/"+key, ts.serverKey, map[string]any{"state": state}); status != http.StatusOK {
		t.Fatalf("the review: %d %v", status, out)
	}
}

// A sign-in the rules hold for review has proved a password and nothing
// else; until a person approves, it may not change the account. The
// review page's flow token must not open the set-up page: a factor set up
// there outlives the refusal, and is the attacker's second factor from
// then on.
func TestAHeldSignInSetsUpNoFactor(t *testing.T) {
	ts := startTrackServerWith(t, reviewRules, "  review: wait\n")
	sub := registerLocalUser(t, ts.issuer, "vera") // password only

	// The attacker, with vera's password, on a device of their own.
	r, a := heldAt(t, ts, "vera", nil)
	a.follow(r.browser.Get(ts.issuer + "/enroll?" + a.page.Request.URL.RawQuery + "&method=TOTP"))
	if uri := strings.ReplaceAll(otpauthURI.FindString(a.body), "&amp;", "&"); uri != "" {
		a.submit("/enroll", url.Values{"method": {"TOTP"}, "challenge": {challengeOf(t, a.body)}, "code": {totpCode(t, uri, time.Now())}})
	}
	reviewAs(t, ts, sub, false)

	status, out := ts.call("GET", "/v1/users/"+sub, ts.serverKey, nil)
	if status != http.StatusOK {
		t.Fatalf("the user: %d %v", status, out)
	}
	methods, _ := out["enrolledMethods"].([]any)
	if slices.Contains(methods, any("TOTP")) {
		t.Fatalf("a sign-in held for review, then refused, set up an authenticator app on the account: %v", methods)
	}
}

// A refused review ends the session its sign-in made, as a block does:
// nothing may go on with a sign-in the rules and a person refused.
func TestARefusedReviewEndsTheSessionItsSignInMade(t *testing.T) {
	ts := startTrackServerWith(t, reviewRules, "  review: wait\n")
	sub := registerLocalUser(t, ts.issuer, "wade")

	r, a := heldAt(t, ts, "wade", nil)
	check := a.page.Request.URL.Query().Get("flow")
	reviewAs(t, ts, sub, false)
	a.follow(r.browser.Get(ts.issuer + "/review/check?flow=" + url.QueryEscape(check)))
	if got := a.oauthError(); got != "access_denied" {
		t.Fatalf("a refused sign-in: %q, want access_denied", got)
	}
	if got := r.authorize(url.Values{"prompt": {"none"}}).oauthError(); got != "login_required" {
		t.Fatalf("prompt=none after the refusal: %q, want login_required (the refused sign-in's session gone)", got)
	}
}

// Approved but short of a voluntary acr_values: the step-up page's
// Continue answers with the level reached, as it does without a review,
// instead of sending the browser back to the step-up page for ever.
func TestAReviewApprovedSignInCanContinueBelowAVoluntaryLevel(t *testing.T) {
	ts := startTrackServerWith(t, reviewRules, "  review: wait\n")
	sub := registerLocalUser(t, ts.issuer, "yara")
	mfa := url.Values{"acr_values": {"urn:stepup:acr:mfa"}}

	r, a := heldAt(t, ts, "yara", mfa)
	check := a.page.Request.URL.Query().Get("flow")
	reviewAs(t, ts, sub, true)
	a.follow(r.browser.Get(ts.issuer + "/review/check?flow=" + url.QueryEscape(check)))
	if !a.on("/stepup") {
		t.Fatalf("approved, short of mfa: on %v, want the step-up page", a.page.Request.URL)
	}
	a.submit("/stepup", url.Values{"action": {"continue"}})
	if a.callback == nil {
		t.Fatalf("Continue on the step-up page of an approved sign-in: on %v, want the callback with the level reached", a.page.Request.URL)
	}
	if _, id := a.tokens(); id.Subject != sub {
		t.Fatalf("sub %q, want %q", id.Subject, sub)
	}
}

// Giving up a held sign-in (the review page's Cancel) ends its session
// too.
func TestACancelledHeldSignInEndsItsSession(t *testing.T) {
	ts := startTrackServerWith(t, reviewRules, "  review: wait\n")
	registerLocalUser(t, ts.issuer, "cora")
	r, a := heldAt(t, ts, "cora", nil)
	a.submit("/review/cancel", url.Values{"action": {"cancel"}})
	if got := a.oauthError(); got != "access_denied" {
		t.Fatalf("a cancelled held sign-in: %q, want access_denied", got)
	}
	if got := r.authorize(url.Values{"prompt": {"none"}}).oauthError(); got != "login_required" {
		t.Fatalf("prompt=none after the cancel: %q, want login_required", got)
	}
}

// A review decided with a server key through the track API is in the
// audit trail, as one decided through the admin API is: the decision of a
// held sign-in is not less accountable for the API that made it.
func TestAReviewDecidedThroughTheTrackAPIIsAudited(t *testing.T) {
	ts := startTrackServerWith(t, reviewRules, "  review: wait\n")
	sub := registerLocalUser(t, ts.issuer, "ines")
	heldAt(t, ts, "ines", nil)
	reviewAs(t, ts, sub, true)

	status, trail := ts.call("GET", "/admin/v1/audit", ts.adminKey, nil)
	if status != http.StatusOK {
		t.Fatalf("the audit trail: %d %v", status, trail)
	}
	var decided []map[string]any
	for _, e := range trail["events"].([]any) {
		if e := e.(map[string]any); e["type"] == "review.decided" {
			decided = append(decided, e)
		}
	}
	if len(decided) != 1 {
		t.Fatalf("%d review.decided events, want one: %v", len(decided), trail["events"])
	}
	// A key is su_server_<id>_<secret>: the trail names it by its id.
	keyID := strings.SplitN(ts.serverKey, "_", 4)[2]
	e, data := decided[0], decided[0]["data"].(map[string]any)
	if e["actor"] != "test-server (key "+keyID+")" || e["subject"] != sub || data["state"] != "REVIEW_SUCCEEDED" ||
		data["via"] != "track API" {
		t.Errorf("the event: %v, want one by test-server (key %s) about %s, REVIEW_SUCCEEDED via the track API", e, keyID, sub)
	}
}
