package main

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/factor/deliver/delivertest"
)

var magicLinkIn = regexp.MustCompile(`http://localhost:\d+/magic\?token=[A-Za-z0-9_.-]+`)

// setUpEmail registers user in a new browser and sets up their address
// for codes on the step-up page mfa asks for; it returns their sub.
func setUpEmail(t *testing.T, op runningOP, mb *delivertest.Mailbox, user, addr string) string {
	t.Helper()
	return setUpEmailAt(t, op.issuer, mb, user, addr)
}

func setUpEmailAt(t *testing.T, issuer string, mb *delivertest.Mailbox, user, addr string) string {
	t.Helper()
	r := newRP(t, issuer, "app", "")
	a := r.authorize(url.Values{"acr_values": {"urn:stepup:acr:mfa"}})
	a.register(user, password)
	a.follow(r.browser.Get(issuer + "/enroll?" + a.page.Request.URL.RawQuery + "&method=EMAIL_OTP"))
	a.submit("/enroll/send", url.Values{"method": {"EMAIL_OTP"}, "destination": {addr}})
	code := codeFrom(t, mb.Wait(t, addr, 1).Text)
	a.submit("/enroll", url.Values{"method": {"EMAIL_OTP"}, "challenge": {challengeOf(t, a.body)}, "code": {code}})
	a.submit("/enroll/done", nil)
	_, claims := a.tokens()
	return claims.Subject
}

// askForLink signs user in to a new browser, asks for mfa, and has a link
// sent; it returns the waiting attempt and the link.
func askForLink(t *testing.T, op runningOP, mb *delivertest.Mailbox, user, addr string, nth int) (*attempt, string) {
	t.Helper()
	time.Sleep(time.Second) // the address's cool-down
	r := newRP(t, op.issuer, "app", "")
	a := r.authorize(url.Values{"acr_values": {"urn:stepup:acr:mfa"}})
	a.signIn(user, password)
	if !strings.Contains(a.body, "method=EMAIL_MAGIC_LINK") {
		t.Fatalf("the step-up page offers no link:\n%.1500s", a.body)
	}
	a.follow(r.browser.Get(op.issuer + "/stepup?" + a.page.Request.URL.RawQuery + "&method=EMAIL_MAGIC_LINK"))
	a.submit("/stepup/send", url.Values{"method": {"EMAIL_MAGIC_LINK"}})
	if !strings.Contains(a.body, "data-wait=") {
		t.Fatalf("after sending a link: no waiting form:\n%.1500s", a.body)
	}
	mail := mb.Wait(t, addr, nth)
	link := magicLinkIn.FindString(mail.Text)
	if link == "" || !strings.Contains(mail.HTML, strings.ReplaceAll(link, "&", "&amp;")) {
		t.Fatalf("no link in both parts of %q", mail.Text)
	}
	return a, link
}

// linkReady asks the waiting page's status URL, as its script does.
func linkReady(t *testing.T, a *attempt) bool {
	t.Helper()
	m := regexp.MustCompile(`data-wait="([^"]+)"`).FindStringSubmatch(a.body)
	if m == nil {
		t.Fatalf("no waiting form:\n%.1000s", a.body)
	}
	resp, err := a.rp.browser.Get(a.rp.issuer + strings.ReplaceAll(m[1], "&amp;", "&"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return strings.Contains(string(b), `"ready":true`)
}

// openLink opens link in the browser of r as a person does: the page,
// then Continue.
func openLink(t *testing.T, r *rp, link string) *attempt {
	t.Helper()
	o := &attempt{rp: r}
	o.follow(r.browser.Get(link))
	if !strings.Contains(o.body, `action="/magic"`) {
		t.Fatalf("the link's page has no Continue:\n%.1000s", o.body)
	}
	o.submit("/magic", nil)
	return o
}

// Magic links end to end, through a real SMTP server: a mail scanner's
// fetches take nothing; the link opened in the browser that asked
// completes its step-up; opened on another device it shows a code that
// the first tab needs, and signs the other device in to nothing.
func TestMagicLinkStepUp(t *testing.T) {
	op, mb, _ := startOPWithDelivery(t, time.Second)
	setUpEmail(t, op, mb, "lena", "lena@example.com")

	a, link := askForLink(t, op, mb, "lena", "lena@example.com", 2)
	// A scanner fetches the link, twice, with no cookies of the user's.
	for range 2 {
		resp, err := http.Get(link)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("a preview's GET: %d", resp.StatusCode)
		}
	}
	if linkReady(t, a) {
		t.Fatal("the waiting tab is ready after previews alone")
	}
	opened := openLink(t, a.rp, link)
	if !strings.Contains(opened.body, "Go back to the tab") {
		t.Fatalf("the link opened in the browser that asked:\n%.1000s", opened.body)
	}
	if !linkReady(t, a) {
		t.Fatal("the waiting tab is not ready after the link was opened")
	}
	a.submit("/stepup/verify", url.Values{"method": {"EMAIL_MAGIC_LINK"}, "challenge": {challengeOf(t, a.body)}})
	_, claims := a.tokens()
	if claims.ACR != "urn:stepup:acr:mfa" || strings.Join(claims.AMR, " ") != "pwd otp mfa" {
		t.Errorf("after a magic link: acr %q amr %v", claims.ACR, claims.AMR)
	}
	// The link is spent.
	again := &attempt{rp: a.rp}
	again.follow(a.rp.browser.Get(link))
	if again.page.StatusCode != http.StatusBadRequest {
		t.Errorf("a used link: %d, want 400", again.page.StatusCode)
	}

	// Another device opens the link: it gets a code, and no session.
	a, link = askForLink(t, op, mb, "lena", "lena@example.com", 3)
	phone := newRP(t, op.issuer, "app", "")
	opened = openLink(t, phone, link)
	code := regexp.MustCompile(`<p class="key">(\d{6})</p>`).FindStringSubmatch(opened.body)
	if code == nil || !strings.Contains(opened.body, "Do not type the code anywhere else") {
		t.Fatalf("the link on another device shows no code and warning:\n%.1500s", opened.body)
	}
	resp, err := phone.browser.Get(op.issuer + "/account")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != "/signin" {
		t.Fatalf("the device that opened the link reaches %s: it must be signed in to nothing", resp.Request.URL.Path)
	}
	challenge := challengeOf(t, a.body)
	a.submit("/stepup/verify", url.Values{"method": {"EMAIL_MAGIC_LINK"}, "challenge": {challenge}})
	if a.page == nil || a.page.StatusCode != http.StatusAccepted || !strings.Contains(a.body, "Type the code it shows") {
		t.Fatalf("the first tab without the code: %v\n%.1000s", a.page, a.body)
	}
	a.submit("/stepup/verify", url.Values{"method": {"EMAIL_MAGIC_LINK"}, "challenge": {challenge}, "code": {code[1]}})
	_, claims = a.tokens()
	if claims.ACR != "urn:stepup:acr:mfa" {
		t.Errorf("after the code from the other device: acr %q", claims.ACR)
	}
}
