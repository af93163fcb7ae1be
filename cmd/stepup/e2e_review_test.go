package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// reviewRules hold for a person to look at a sign-in from another device
// than the one(s) the user signed in on before.
const reviewRules = `action: signIn
default: ALLOW
rules:
  - {id: another-device, priority: 1, when: user.exists && device.new && device.count > 0, outcome: REVIEW}
`

// With rules.review: wait, a sign-in the rules hold waits on a page until
// a person decides through the track API; approved, it completes; refused,
// the relying party gets access_denied.
func TestASignInHeldForReviewWaitsForAPerson(t *testing.T) {
	ts := startTrackServerWith(t, reviewRules, "  review: wait\n")
	sub := registerLocalUser(t, ts.issuer, "rita") // the first device: no review

	decide := func(approve bool) *attempt {
		t.Helper()
		r := newRP(t, ts.issuer, "app", "")
		a := r.authorize(nil)
		a.signIn("rita", password)
		if !a.on("/review") || a.page.Header.Get("Refresh") == "" || !strings.Contains(a.body, "waiting for a person to approve it") {
			t.Fatalf("a sign-in from a new device: on %v\n%.1000s", a.page.Request.URL, a.body)
		}
		check := a.page.Request.URL.Query().Get("flow")
		// Looking again before anyone decides: still waiting.
		a.follow(r.browser.Get(ts.issuer + "/review/check?flow=" + url.QueryEscape(check)))
		if !a.on("/review") {
			t.Fatalf("looking again before a decision: on %v", a.page.Request.URL)
		}
		// An analyst lists the sign-ins waiting for review, and decides.
		status, list := ts.call("GET", "/admin/v1/actions/signIn/reviews", ts.adminKey, nil)
		reviews, _ := list["reviews"].([]any)
		if status != http.StatusOK || len(reviews) != 1 || reviews[0].(map[string]any)["user"] != sub ||
			reviews[0].(map[string]any)["rule"] != "another-device" {
			t.Fatalf("the pending reviews: %d %v", status, list)
		}
		key := reviews[0].(map[string]any)["key"].(string)
		if key != pendingReviewKey(t, ts, sub) {
			t.Errorf("the pending review's key %q is not the one the log names", key)
		}
		if status, out := ts.call("POST", "/admin/v1/actions/signIn/reviews/"+sub+"/"+key, ts.adminKey,
			map[string]any{"approve": approve, "comment": "checked with the user"}); status != http.StatusOK {
			t.Fatalf("the review: %d %v", status, out)
		}
		a.follow(r.browser.Get(ts.issuer + "/review/check?flow=" + url.QueryEscape(check)))
		return a
	}
	if _, id := decide(true).tokens(); id.Subject != sub {
		t.Fatalf("an approved sign-in signed in %q, want %q", id.Subject, sub)
	}
	if got := decide(false).oauthError(); got != "access_denied" {
		t.Fatalf("a refused sign-in: %q, want access_denied", got)
	}

	// A decision on nothing, a second decision, or none at all, are refused.
	for _, tc := range []struct {
		path   string
		body   map[string]any
		status int
	}{
		{"/admin/v1/actions/signIn/reviews/" + sub + "/no-such-key", map[string]any{"approve": true}, http.StatusNotFound},
		{"/admin/v1/actions/signIn/reviews/" + sub + "/" + pendingReviewKey(t, ts, sub), map[string]any{"approve": true}, http.StatusConflict},
		{"/admin/v1/actions/signIn/reviews/" + sub + "/x", map[string]any{"comment": "?"}, http.StatusBadRequest},
	} {
		if status, out := ts.call("POST", tc.path, ts.adminKey, tc.body); status != tc.status {
			t.Errorf("POST %s %v: %d %v, want %d", tc.path, tc.body, status, out, tc.status)
		}
	}
	if status, _ := ts.call("GET", "/admin/v1/actions/signIn/reviews", ts.serverKey, nil); status != http.StatusUnauthorized {
		t.Errorf("a server key on the reviews: %d", status)
	}

	// Both decisions are in the audit trail, with the key that made them.
	_, trail := ts.call("GET", "/admin/v1/audit", ts.adminKey, nil)
	if got := fmt.Sprint(trail["events"]); strings.Count(got, "review.decided") != 2 || !strings.Contains(got, "test-admin") {
		t.Errorf("the audit trail: %v", trail)
	}

	// Every sign-in the rules decided is stored, and replays: the first
	// (allowed), and the two held ones (approved, refused).
	status, sim := ts.call("POST", "/admin/v1/simulate", ts.adminKey, map[string]any{
		"spec_yaml": "action: signIn\ndefault: ALLOW\n", "recent": 10})
	results, _ := sim["results"].([]any)
	if status != http.StatusOK || len(results) != 3 {
		t.Fatalf("the stored sign-ins replayed: %d %v", status, sim)
	}
	var decided []string
	for _, r := range results {
		decided = append(decided, r.(map[string]any)["decided"].(map[string]any)["outcome"].(string))
	}
	if strings.Join(decided, " ") != "REVIEW REVIEW ALLOW" {
		t.Errorf("what was decided, newest first: %v", decided)
	}
}

// pendingReviewKey is the idempotency key of sub's sign-in waiting for
// review: the authorization request's id, which the log names.
func pendingReviewKey(t *testing.T, ts *trackServer, sub string) string {
	t.Helper()
	key := ""
	for _, line := range strings.Split(ts.log(), "\n") { // the latest
		if strings.Contains(line, "waits for review") && strings.Contains(line, sub) {
			i := strings.Index(line, "key=")
			key = strings.Fields(line[i+len("key="):])[0]
		}
	}
	if key == "" {
		t.Fatalf("no review in the log:\n%s", ts.log())
	}
	return key
}

// By default (rules.review: block) a review refuses the sign-in at once.
func TestASignInHeldForReviewIsRefusedByDefault(t *testing.T) {
	ts := startTrackServerWith(t, reviewRules, "")
	registerLocalUser(t, ts.issuer, "ron")
	a := newRP(t, ts.issuer, "app", "").authorize(nil)
	a.signIn("ron", password)
	if got := a.oauthError(); got != "access_denied" {
		t.Fatalf("a sign-in held for review, by default: %q, want access_denied", got)
	}
}

// A tracked action held for review stays on the analysts' list however
// many actions come after it: the list is of what waits, not of the
// latest records.
func TestAReviewStaysListedBehindNewerActions(t *testing.T) {
	ts := startTrackServerWith(t, `action: payment
default: ALLOW
rules:
  - {id: huge, priority: 1, when: 'action.custom.?amount.orValue(0) > 100000', outcome: REVIEW}
`, "")
	if out := ts.track("ursula", "held", 250000); out["state"] != "REVIEW_REQUIRED" {
		t.Fatalf("the large payment: %v", out)
	}
	for i := range 1100 { // more than the list's 1000
		if out := ts.track("ursula", fmt.Sprint("small-", i), 10); out["state"] != "ALLOW" {
			t.Fatalf("a small payment: %v", out)
		}
	}
	status, list := ts.call("GET", "/admin/v1/actions/payment/reviews", ts.adminKey, nil)
	reviews, _ := list["reviews"].([]any)
	if status != http.StatusOK || len(reviews) != 1 || reviews[0].(map[string]any)["key"] != "held" {
		t.Fatalf("the pending reviews after 1100 newer payments: %d %v", status, list)
	}
}
