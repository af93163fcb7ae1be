package main

import (
	"slices"
	"testing"
	"time"
)

func TestSignInIssuesACRAMRAuthTime(t *testing.T) {
	issuer := startOP(t)
	r := newRP(t, issuer, "app", "")
	before := time.Now().Add(-time.Second).Unix()
	a := r.authorize(nil)
	a.register("alice", "correct horse battery")
	tok, id := a.tokens()
	if id.ACR != "urn:stepup:acr:1fa" || !slices.Equal(id.AMR, []string{"pwd"}) {
		t.Errorf("ID token acr %q amr %v, want urn:stepup:acr:1fa [pwd]", id.ACR, id.AMR)
	}
	if id.AuthTime < before || id.AuthTime > time.Now().Unix() {
		t.Errorf("auth_time %d is not the sign-in just now", id.AuthTime)
	}
	header, claims := jwtParts(t, tok.AccessToken)
	if header["typ"] != "at+jwt" {
		t.Errorf("access token typ %v, want at+jwt (RFC 9068)", header["typ"])
	}
	for _, c := range []string{"acr", "amr", "auth_time", "scope", "client_id", "aud", "jti", "sub", "exp", "iat", "iss"} {
		if _, ok := claims[c]; !ok {
			t.Errorf("access token lacks %s: %v", c, claims)
		}
	}
	if claims["acr"] != id.ACR || claims["client_id"] != "app" || claims["sub"] != id.Subject {
		t.Errorf("access token claims %v disagree with the ID token %+v", claims, id)
	}
}

func TestSingleSignOnNeedsNoPage(t *testing.T) {
	issuer := startOP(t)
	r := newRP(t, issuer, "app", "")
	a := r.authorize(nil)
	a.register("bob", "correct horse battery")
	_, first := a.tokens()
	b := r.authorize(nil)
	if b.callback == nil {
		t.Fatalf("a second sign-in with a session showed %v", b.page.Request.URL)
	}
	_, second := b.tokens()
	if second.Subject != first.Subject || second.AuthTime != first.AuthTime {
		t.Errorf("SSO: %+v, want the same user and auth_time as %+v", second, first)
	}
}
