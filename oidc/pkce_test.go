package oidc

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
)

func TestPKCESyntaxIsRFC7636s(t *testing.T) {
	sum := sha256.Sum256([]byte("verifier"))
	for _, c := range []struct {
		name  string
		value string
		want  bool
	}{
		{"verifier of 43", strings.Repeat("a", 43), true},
		{"verifier of 128 with every unreserved kind", strings.Repeat("aZ9-._~", 18) + "ab", true},
		{"verifier of 42", strings.Repeat("a", 42), false},
		{"verifier of 129", strings.Repeat("a", 129), false},
		{"verifier with a reserved character", strings.Repeat("a", 42) + "+", false},
		{"verifier with a trailing newline", strings.Repeat("a", 43) + "\n", false},
		{"empty verifier", "", false},
	} {
		if got := codeVerifierSyntax.MatchString(c.value); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	for _, c := range []struct {
		name  string
		value string
		want  bool
	}{
		{"an S256 challenge", base64.RawURLEncoding.EncodeToString(sum[:]), true},
		{"padded", base64.URLEncoding.EncodeToString(sum[:]), false},
		{"base64, not base64url", strings.Repeat("a", 42) + "+", false},
		{"42 characters", strings.Repeat("a", 42), false},
		{"a verifier's tilde", strings.Repeat("a", 42) + "~", false},
	} {
		if got := s256ChallengeSyntax.MatchString(c.value); got != c.want {
			t.Errorf("code_challenge %s: %v, want %v", c.name, got, c.want)
		}
	}
}
