package oidc

import (
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/stepup-auth/stepup/stepup/store"
)

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
