package oidc

import "regexp"

// PKCE's syntax (RFC 7636), which zitadel/oidc does not check: it would
// take a one-character verifier, guessable whatever the challenge.
var (
	// codeVerifierSyntax is §4.1: "code-verifier = 43*128unreserved",
	// unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~".
	codeVerifierSyntax = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)
	// s256ChallengeSyntax is §4.2 for S256: BASE64URL-ENCODE(SHA256(...)),
	// 32 bytes in 43 characters without padding.
	s256ChallengeSyntax = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)
)
