package main

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

var otpauthURI = regexp.MustCompile(`otpauth://totp/[^<"]+`)

// A step-up over HTTP, as a relying party sees it: a password session
// asked for mfa sets up an authenticator app on the step-up page, and the
// ID token then says mfa with the app's amr. The session keeps its sid
// through the step-up (its cookie token changes), so an ID token from
// before it still signs the user out without a question.
func TestStepUpKeepsTheSessionsSID(t *testing.T) {
	issuer := startOP(t)
	r := newRP(t, issuer, "app", "")
	a := r.authorize(nil)
	a.register("ivan", password)
	first, before := a.tokens()

	a = r.authorize(url.Values{"acr_values": {"urn:stepup:acr:mfa"}})
	if !a.on("/stepup") {
		t.Fatalf("asking for mfa: not on the step-up page but %v", a.page)
	}
	a.follow(r.browser.Get(issuer + "/enroll?" + a.page.Request.URL.RawQuery + "&method=TOTP"))
	uri := strings.ReplaceAll(otpauthURI.FindString(a.body), "&amp;", "&")
	challenge := challengeOf(t, a.body)
	a.submit("/enroll", url.Values{"method": {"TOTP"}, "challenge": {challenge}, "code": {totpCode(t, uri, time.Now())}})
	if !strings.Contains(a.body, "Save your recovery codes") {
		t.Fatalf("after the app's first code:\n%.800s", a.body)
	}
	a.submit("/enroll/done", nil)
	_, after := a.tokens()
	if after.ACR != "urn:stepup:acr:mfa" || strings.Join(after.AMR, " ") != "pwd otp mfa" {
		t.Errorf("after the step-up: acr %q amr %v, want mfa and pwd otp mfa", after.ACR, after.AMR)
	}
	if after.SID == "" || after.SID != before.SID {
		t.Fatalf("sid before the step-up %q, after %q: want the same", before.SID, after.SID)
	}
	// The ID token from before the step-up names the session still.
	raw, _ := first.Extra("id_token").(string)
	resp, err := r.browser.Get(issuer + "/end_session?" + url.Values{"id_token_hint": {raw}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path == "/sign-out" {
		t.Fatal("an ID token from before the step-up was asked about, not taken as the session's")
	}
}

var challengeInput = regexp.MustCompile(`name="challenge" value="([^"]+)"`)

func challengeOf(t *testing.T, body string) string {
	t.Helper()
	m := challengeInput.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no challenge on the page:\n%.800s", body)
	}
	return m[1]
}
