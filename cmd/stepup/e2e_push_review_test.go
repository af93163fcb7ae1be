package main

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stepup-auth/stepup/stepup/factor/push"
	"github.com/stepup-auth/stepup/stepup/factor/push/pushdevice"
)

// enrollPhone registers user in a new browser and sets up a reference
// phone from the set-up page.
func enrollPhone(t *testing.T, issuer, user string) *pushdevice.Device {
	t.Helper()
	r := newRP(t, issuer, "app", "")
	a := r.authorize(url.Values{"acr_values": {"urn:stepup:acr:mfa"}})
	a.register(user, password)
	a.follow(r.browser.Get(issuer + "/enroll?" + a.page.Request.URL.RawQuery + "&method=PUSH"))
	m := enrollURIOn.FindStringSubmatch(a.body)
	if m == nil {
		t.Fatalf("the set-up page has no enrollment link:\n%.1500s", a.body)
	}
	phone, err := pushdevice.New(pushdevice.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := phone.Enroll(context.Background(), html.UnescapeString(m[1]), user+"'s phone", "android"); err != nil {
		t.Fatal(err)
	}
	challenge := challengeOf(t, a.body)
	a.submit("/enroll", url.Values{"method": {"PUSH"}, "challenge": {challenge}})
	a.submit("/enroll", url.Values{"method": {"PUSH"}, "challenge": {challenge}, "confirm": {"1"}})
	if !strings.Contains(a.body, "Save your recovery codes") {
		t.Fatalf("after the phone enrolled:\n%.1500s", a.body)
	}
	return phone
}

// A push denied on the phone is spent: the page says so and does not
// show it again as still waiting (its script would post it at once, and
// the refusal would give way to a message about an expired code), and a
// push posted again once spent is not spoken of as a code.
func TestPushDeniedIsNotShownAsWaiting(t *testing.T) {
	op := startOPWithServerKeys(t, filepath.Join(t.TempDir(), "data"), testClients, "delivery:\n  push:\n    enabled: true\n")
	phone := enrollPhone(t, op.issuer, "quinn")
	b := stepUpWithPush(t, op.issuer, "quinn")
	challenge := challengeOf(t, b.body)
	if state, err := phone.Deny(context.Background(), nextPush(t, phone)); err != nil || state != push.StateDenied {
		t.Fatalf("denying: %q %v", state, err)
	}
	b.submit("/stepup/verify", url.Values{"method": {"PUSH"}, "challenge": {challenge}})
	if b.page == nil || b.page.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(b.body, "denied on your phone") {
		t.Fatalf("after a deny: %v\n%.1500s", b.callback, b.body)
	}
	if strings.Contains(b.body, `data-wait="/stepup/wait?`) || strings.Contains(b.body, "I approved it") {
		t.Errorf("after a deny the page waits for the spent push again:\n%.3000s", b.body)
	}
	// What the waiting script posts, had it been shown.
	b.submit("/stepup/verify", url.Values{"method": {"PUSH"}, "challenge": {challenge}})
	if b.page == nil || b.page.StatusCode != http.StatusUnprocessableEntity || strings.Contains(b.body, "code has expired") {
		t.Errorf("a spent push posted again: %v\n%.3000s", b.callback, b.body)
	}
}

// A push asked for on an account with no phone set up (removed in another
// tab, or a form posted by hand) says so, not that a code expired.
func TestPushWithNoPhoneSaysSo(t *testing.T) {
	op := startOPWithServerKeys(t, filepath.Join(t.TempDir(), "data"), testClients, "delivery:\n  push:\n    enabled: true\n")
	r := newRP(t, op.issuer, "app", "")
	a := r.authorize(url.Values{"acr_values": {"urn:stepup:acr:mfa"}})
	a.register("sam", password)
	a.submit("/stepup/send", url.Values{"method": {"PUSH"}})
	if a.page == nil || a.page.StatusCode != http.StatusUnprocessableEntity || strings.Contains(a.body, "code has expired") {
		t.Fatalf("a push with no phone set up: %v\n%.3000s", a.callback, a.body)
	}
}
