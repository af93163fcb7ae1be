package oidc

import (
	"encoding/base64"
	"encoding/json"
	"strings"
)

// wellFormedHint reports whether an id_token_hint, if one came, has the
// shape of a signed JWT whose payload is a JSON object. zitadel/oidc
// (v3.51) reads the issuer of a hint's claims before anything else, and a
// payload of JSON null leaves it no claims to read: it panics. The shape is
// checked here first so that bad input is an error; what a well-formed
// hint says is still zitadel's to verify.
func wellFormedHint(hint string) bool {
	if hint == "" {
		return true
	}
	parts := strings.Split(hint, ".")
	if len(parts) != 3 {
		return false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return false
	}
	var claims map[string]json.RawMessage
	return json.Unmarshal(payload, &claims) == nil && claims != nil
}
