package upstream

import (
	"slices"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/store"
)

// Trust is an upstream's trust map: which of its acr and amr values stepup
// believes, and as which level. The zero Trust believes nothing.
type Trust struct {
	ACR map[string]acr.Level
	AMR []AMRRule
}

// AMRRule gives Level to a sign-in whose amr holds every value of All.
type AMRRule struct {
	All   []string
	Level acr.Level
}

// Limits on the amr an upstream sends, kept in stepup's session and
// copied into its tokens: generous for any real provider, and small enough
// that one cannot bloat every token stepup issues.
const (
	maxAMRValues = 8
	maxAMRLength = 32
)

// Verify is the verification an upstream sign-in makes: acr.Upstream at
// the highest level the trust map gives its acr or amr, and one factor
// when it gives none. Only a trusted sign-in carries the upstream's amr,
// so that an untrusted one cannot say "mfa" in stepup's tokens.
//
// At is the upstream's auth_time, or without one the token's issue time,
// never later than now: a clock ahead of stepup's must not make a sign-in
// fresher than it is.
func (t Trust) Verify(c Claims, now time.Time) store.Verification {
	level := acr.OneFactor
	if l, ok := t.ACR[c.ACR]; ok && c.ACR != "" {
		level = max(level, l)
	}
	for _, r := range t.AMR {
		if len(r.All) > 0 && containsAll(c.AMR, r.All) {
			level = max(level, r.Level)
		}
	}
	v := store.Verification{Method: acr.Upstream, AuthenticatorID: "upstream", Level: level, At: now}
	if level > acr.OneFactor {
		v.AMR = saneAMR(c.AMR)
	}
	at := c.AuthTime
	if at.IsZero() {
		at = c.IssuedAt
	}
	if !at.IsZero() && at.Before(now) {
		v.At = at
	}
	return v
}

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// saneAMR keeps the amr values that look like RFC 8176's: short words of
// lower-case letters, digits, - and _, each once.
func saneAMR(amr []string) []string {
	var out []string
	for _, a := range amr {
		if len(out) == maxAMRValues {
			break
		}
		if a == "" || len(a) > maxAMRLength || slices.Contains(out, a) || !word(a) {
			continue
		}
		out = append(out, a)
	}
	return out
}

func word(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
