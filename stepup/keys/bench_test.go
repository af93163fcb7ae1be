package keys_test

import (
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/stepup-auth/stepup/stepup/keys"
)

// idClaims is the size of a typical stepup ID token.
type idClaims struct {
	jwt.Claims
	ACR      string   `json:"acr"`
	AMR      []string `json:"amr"`
	AuthTime int64    `json:"auth_time"`
	Nonce    string   `json:"nonce"`
}

// BenchmarkSign signs an ID token the way the provider does for each token:
// Signer (a cached look-up), a go-jose signer, a signed JWT. The Ring runs
// on the real clock, so it re-reads the store every DefaultReload.
func BenchmarkSign(b *testing.B) {
	for _, alg := range []string{"ES256", "RS256", "EdDSA"} {
		b.Run(alg, func(b *testing.B) {
			e := newEnv(b)
			r, err := keys.New(e.lists, e.sealer, keys.Options{Algorithms: []string{alg}, RetireAfter: retireAfter})
			if err != nil {
				b.Fatal(err)
			}
			mustEnsure(b, r)
			now := time.Now()
			claims := idClaims{
				Claims: jwt.Claims{Issuer: "https://stepup.example", Subject: "user-0123456789", Audience: jwt.Audience{"client-1"},
					IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Hour))},
				ACR: "urn:stepup:acr:mfa", AMR: []string{"pwd", "otp", "mfa"}, AuthTime: now.Unix(), Nonce: "n-0S6_WzA2Mj",
			}
			opts := (&jose.SignerOptions{}).WithType("JWT")
			b.ReportAllocs()
			for b.Loop() {
				k, err := r.Signer(e.ctx, alg)
				if err != nil {
					b.Fatal(err)
				}
				signer, err := jose.NewSigner(k.JOSE(), opts)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := jwt.Signed(signer).Claims(claims).Serialize(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSigner is the look-up alone: what Signer adds to each signature.
func BenchmarkSigner(b *testing.B) {
	e := newEnv(b)
	r, err := keys.New(e.lists, e.sealer, keys.Options{RetireAfter: retireAfter})
	if err != nil {
		b.Fatal(err)
	}
	mustEnsure(b, r)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := r.Signer(e.ctx, "ES256"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
