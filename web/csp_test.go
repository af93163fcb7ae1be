package web

import "testing"

func TestFormActionAllowsTheRedirectOriginOnly(t *testing.T) {
	for redirect, want := range map[string]string{
		"https://app.example.com/bye?x=1": "'self' https://app.example.com",
		"http://localhost:3000/":          "'self' http://localhost:3000",
		"http://127.0.0.1:5173/out":       "'self' http://127.0.0.1:5173",
		"http://[::1]:8080/":              "'self' http:", // a CSP host source cannot name an IPv6 literal
		"/signed-out":                     "'self'",
		"javascript:alert(1)":             "'self'",
		"https://app.example.com;x/":      "'self' https:", // no CSP host source: the scheme only
		"https://xn--nxa.example/":        "'self' https://xn--nxa.example",
	} {
		if got := formAction(redirect); got != want {
			t.Errorf("formAction(%q) = %q, want %q", redirect, got, want)
		}
	}
}
