package oidc

import (
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/stepup-auth/stepup/stepup/store"
)

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

func TestHintOfSession(t *testing.T) {
	began := time.Date(2026, 11, 24, 12, 0, 0, 500_000_000, time.UTC)
	sess := &store.Session{ID: "s1", UserID: "alice", CreatedAt: began}
	hint := func(sub, sid string, iat time.Time) *op.EndSessionRequest {
		claims := &oidc.IDTokenClaims{TokenClaims: oidc.TokenClaims{Subject: sub, IssuedAt: oidc.FromTime(iat)}, SessionID: sid}
		return &op.EndSessionRequest{UserID: sub, IDTokenHintClaims: claims}
	}
	for _, c := range []struct {
		name string
		req  *op.EndSessionRequest
		want bool
	}{
		{"no hint", &op.EndSessionRequest{}, false},
		{"this session's sid", hint("alice", "sid-1", began.Add(-time.Hour)), true},
		{"another session's sid", hint("alice", "sid-2", began.Add(time.Hour)), false},
		{"another user", hint("bob", "sid-1", began), false},
		{"no sid, issued since the session began", hint("alice", "", began), true}, // iat has whole seconds
		{"no sid, issued before", hint("alice", "", began.Add(-time.Second)), false},
	} {
		if got := hintOfSession(c.req, sess, "sid-1"); got != c.want {
			t.Errorf("%s: hintOfSession = %v, want %v", c.name, got, c.want)
		}
	}
}
