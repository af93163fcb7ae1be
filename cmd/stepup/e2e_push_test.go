package main

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/factor/deliver"
	"github.com/stepup-auth/stepup/stepup/factor/push"
	"github.com/stepup-auth/stepup/stepup/factor/push/pushdevice"
)

var (
	enrollURIOn = regexp.MustCompile(`href="(stepup-push://[^"]+)"`)
	numberOn    = regexp.MustCompile(`<p class="key" aria-live="polite">(\d+)</p>`)
)

// Push with number matching, end to end: the reference device enrolls
// from the set-up page's link, then approves a step-up by picking the
// number the page shows; the operator's webhook hears of each push. A
// phone that picks another number refuses the step-up, and the cool-off
// after it refuses the next push for a while.
func TestPushStepUpWithNumberMatching(t *testing.T) {
	const secret = "a-push-webhook-secret-of-32-chars!"
	heard := make(chan string, 8)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := deliver.VerifyWebhook([]byte(secret), r.Header, body, time.Now()); err != nil {
			t.Errorf("the push webhook: %v", err)
		}
		heard <- string(body)
	}))
	t.Cleanup(hook.Close)
	op := startOPWithServerKeys(t, filepath.Join(t.TempDir(), "data"), testClients,
		fmt.Sprintf("delivery:\n  push:\n    enabled: true\n    webhook: {url: %q, secret: %q}\n", hook.URL, secret))
	ctx := context.Background()

	r := newRP(t, op.issuer, "app", "")
	a := r.authorize(url.Values{"acr_values": {"urn:stepup:acr:mfa"}})
	a.register("pia", password)
	if !strings.Contains(a.body, "method=PUSH") {
		t.Fatalf("the step-up page offers no push set-up:\n%.1500s", a.body)
	}
	a.follow(r.browser.Get(op.issuer + "/enroll?" + a.page.Request.URL.RawQuery + "&method=PUSH"))
	m := enrollURIOn.FindStringSubmatch(a.body)
	if m == nil {
		t.Fatalf("the set-up page has no enrollment link:\n%.1500s", a.body)
	}
	phone, err := pushdevice.New(pushdevice.Options{})
	if err != nil {
		t.Fatal(err)
	}
	challenge := challengeOf(t, a.body)
	a.submit("/enroll", url.Values{"method": {"PUSH"}, "challenge": {challenge}})
	if a.page.StatusCode != http.StatusAccepted {
		t.Fatalf("the set-up before the phone enrolled: %d", a.page.StatusCode)
	}
	if err := phone.Enroll(ctx, html.UnescapeString(m[1]), "Pia's phone", "android"); err != nil {
		t.Fatalf("the phone enrolling: %v", err)
	}
	a.submit("/enroll", url.Values{"method": {"PUSH"}, "challenge": {challenge}})
	if !strings.Contains(a.body, "Pia&#39;s phone</strong> (android)") || !strings.Contains(a.body, "Is this your phone?") {
		t.Fatalf("after the phone enrolled, the page does not name it for the user to confirm:\n%.1500s", a.body)
	}
	// Until the user confirms it, the device is nobody's factor.
	if _, err := phone.Next(ctx, 0); err == nil {
		t.Fatal("an unconfirmed device polled for pushes")
	}
	a.submit("/enroll", url.Values{"method": {"PUSH"}, "challenge": {challenge}, "confirm": {"1"}})
	if !strings.Contains(a.body, "Save your recovery codes") {
		t.Fatalf("after the phone enrolled:\n%.1500s", a.body)
	}
	a.submit("/enroll/done", nil)
	if _, claims := a.tokens(); claims.ACR != "urn:stepup:acr:mfa" {
		t.Fatalf("after setting up the phone: acr %q", claims.ACR)
	}

	// A new browser: the password, then a push approved with the number.
	b := stepUpWithPush(t, op.issuer, "pia")
	shown := numberOf(t, b.body)
	body := <-heard
	if !strings.Contains(body, phone.ID()) || strings.Contains(body, strconv.Itoa(shown)+`"`) && strings.Contains(body, `"number"`) {
		t.Errorf("the webhook got %s: want the device, and never the number", body)
	}
	c := nextPush(t, phone)
	if !slices.Contains(c.Choices, shown) || len(c.Choices) != 3 {
		t.Fatalf("the phone was offered %v, the page shows %d", c.Choices, shown)
	}
	if state, err := phone.Approve(ctx, c, shown); err != nil || state != push.StateApproved {
		t.Fatalf("approving with the number shown: %q %v", state, err)
	}
	b.submit("/stepup/verify", url.Values{"method": {"PUSH"}, "challenge": {challengeOf(t, b.body)}})
	_, claims := b.tokens()
	if claims.ACR != "urn:stepup:acr:mfa" || strings.Join(claims.AMR, " ") != "pwd swk user mfa" {
		t.Errorf("after the push: acr %q amr %v", claims.ACR, claims.AMR)
	}

	// Another browser; the phone picks a number the page does not show.
	b = stepUpWithPush(t, op.issuer, "pia")
	shown = numberOf(t, b.body)
	<-heard
	c = nextPush(t, phone)
	wrong := c.Choices[slices.IndexFunc(c.Choices, func(n int) bool { return n != shown })]
	if state, err := phone.Approve(ctx, c, wrong); err != nil || state != push.StateWrongNumber {
		t.Fatalf("approving with another number: %q %v", state, err)
	}
	b.submit("/stepup/verify", url.Values{"method": {"PUSH"}, "challenge": {challengeOf(t, b.body)}})
	if b.callback != nil || b.page.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(b.body, "another number was picked") {
		t.Fatalf("a push approved with the wrong number: %v\n%.1000s", b.callback, b.body)
	}
	// The cool-off: no new push for a while.
	b.submit("/stepup/send", url.Values{"method": {"PUSH"}})
	if b.page.StatusCode != http.StatusTooManyRequests || b.page.Header.Get("Retry-After") == "" {
		t.Fatalf("a push right after a wrong number: %d\n%.1000s", b.page.StatusCode, b.body)
	}
}

// stepUpWithPush signs user in to a new browser, asks for mfa and sends
// a push.
func stepUpWithPush(t *testing.T, issuer, user string) *attempt {
	t.Helper()
	r := newRP(t, issuer, "app", "")
	b := r.authorize(url.Values{"acr_values": {"urn:stepup:acr:mfa"}})
	b.signIn(user, password)
	if !b.on("/stepup") || !strings.Contains(b.body, "Send a push") {
		t.Fatalf("the step-up page offers no push:\n%.1500s", b.body)
	}
	b.submit("/stepup/send", url.Values{"method": {"PUSH"}})
	if !strings.Contains(b.body, `data-wait="/stepup/wait?`) {
		t.Fatalf("after sending a push: no waiting form:\n%.1500s", b.body)
	}
	return b
}

func numberOf(t *testing.T, body string) int {
	t.Helper()
	m := numberOn.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("the page shows no number:\n%.1500s", body)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func nextPush(t *testing.T, phone *pushdevice.Device) pushdevice.Challenge {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cs, err := phone.Next(ctx, 5*time.Second)
	if err != nil || len(cs) != 1 {
		t.Fatalf("the phone's poll: %+v %v", cs, err)
	}
	return cs[0]
}
