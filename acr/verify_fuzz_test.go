package acr

import (
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// FuzzVerify feeds the token path arbitrary strings, seeded with good tokens
// and their mutations: it must never panic, and never accept a token that
// the test key did not sign.
func FuzzVerify(f *testing.F) {
	k := keysOnce()
	good := goodToken(f, nil)
	parts := strings.Split(good, ".")
	for _, seed := range []string{
		good,
		sign(f, jose.RS256, k.rsa, "rsa1", "at+jwt", goodClaims()),
		sign(f, jose.EdDSA, k.ed, "ed1", "at+jwt", goodClaims()),
		sign(f, jose.ES256, k.other, "ec1", "at+jwt", goodClaims()),
		sign(f, jose.ES256, k.ec, "ec1", "JWT", goodClaims()),
		parts[0] + "." + parts[1] + ".",
		parts[0] + "." + parts[1],
		parts[0] + ".." + parts[2],
		good + "." + parts[2],
		b64(`{"alg":"none","typ":"at+jwt"}`) + "." + parts[1] + ".",
		b64(`{"alg":"ES256","typ":"at+jwt","kid":"ec1","crit":["exp"]}`) + "." + parts[1] + "." + parts[2],
		"", ".", "..", "a.b.c", "{}",
	} {
		f.Add(seed)
	}
	// One verifier for all inputs, so the cache is fuzzed too.
	v := newTestVerifier(f, publicSet(f), func(c *VerifierConfig) { c.CacheSize = 64 })
	algs := []jose.SignatureAlgorithm{jose.ES256, jose.RS256, jose.EdDSA}
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := v.Verify(t.Context(), raw)
		if err != nil {
			if c != nil {
				t.Fatalf("claims %+v with error %v", c, err)
			}
			return
		}
		jws, perr := jose.ParseSignedCompact(raw, algs)
		if perr != nil {
			t.Fatalf("accepted a token go-jose cannot parse: %v", perr)
		}
		signed := false
		for _, key := range []any{k.ec.Public(), k.rsa.Public(), k.ed.Public()} {
			if _, err := jws.Verify(key); err == nil {
				signed = true
			}
		}
		if !signed {
			t.Fatalf("accepted a token no test key signed: %q", raw)
		}
		if c.Issuer != testIssuer || c.Subject == "" || !c.Expiry.After(vnow.Add(-DefaultLeeway)) {
			t.Fatalf("accepted claims that fail the checks: %+v", c)
		}
	})
}
