package config

import (
	"fmt"
	"strings"
)

// SigningAlg is the JWS algorithm a client's ID tokens (and JWT access
// tokens) are signed with.
type SigningAlg string

// The signing algorithms stepup offers.
const (
	ES256 SigningAlg = "ES256" // ECDSA on P-256 with SHA-256
	RS256 SigningAlg = "RS256" // RSASSA-PKCS1-v1_5 with SHA-256, for relying parties that know nothing else
	EdDSA SigningAlg = "EdDSA" // Ed25519
)

// signingAlgs lists the signing algorithms, the default first.
var signingAlgs = []SigningAlg{ES256, RS256, EdDSA}

// UnmarshalText accepts an algorithm's name in any case and keeps its JOSE
// spelling ("es256" becomes ES256). Empty text is the zero SigningAlg, which
// Validate refuses.
func (a *SigningAlg) UnmarshalText(b []byte) error {
	v, err := parseChoice(string(b), signingAlgs, "signing algorithm")
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// TokenFormat is how a client's access tokens are issued.
type TokenFormat string

// The access token formats.
const (
	// JWT is a signed token a resource server can check without asking
	// stepup.
	JWT TokenFormat = "jwt"
	// Opaque is a random handle a resource server checks by introspection,
	// which lets stepup revoke it at once.
	Opaque TokenFormat = "opaque"
)

// tokenFormats lists the access token formats, the default first.
var tokenFormats = []TokenFormat{JWT, Opaque}

// UnmarshalText accepts jwt or opaque, in any case. Empty text is the zero
// TokenFormat, which Validate refuses.
func (f *TokenFormat) UnmarshalText(b []byte) error {
	v, err := parseChoice(string(b), tokenFormats, "access token format")
	if err != nil {
		return err
	}
	*f = v
	return nil
}

// parseChoice returns the choice that s names, compared without regard to
// case; "" is the zero value.
func parseChoice[T ~string](s string, choices []T, what string) (T, error) {
	if s == "" {
		return "", nil
	}
	for _, c := range choices {
		if strings.EqualFold(s, string(c)) {
			return c, nil
		}
	}
	return "", fmt.Errorf("config: unknown %s %q (want %s)", what, s, orList(choices))
}

// orList joins choices as "a, b or c".
func orList[T ~string](choices []T) string {
	s := make([]string, len(choices))
	for i, c := range choices {
		s[i] = string(c)
	}
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}
